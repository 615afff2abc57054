"""Shared by the hostile-input tests: run the real CLI, build hostile bytes, check
the contract (exit code, no traceback, valid JSON, bounded resources)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wiretool.cli import app

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
HAVE_ENTRY_POINT = shutil.which("wiretool") is not None
needs_entry_point = pytest.mark.skipif(not HAVE_ENTRY_POINT, reason="wiretool not installed")


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> object:
        return json.loads(self.stdout)

    def jsonl(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.stdout.splitlines()]


def cli(*args: str, stdin: bytes | None = None) -> Run:
    """Run ``wiretool ARGS`` through Typer's runner; never a traceback, only SystemExit."""
    result = CliRunner().invoke(app, list(args), input=stdin,
                                env={"COLUMNS": "120", "NO_COLOR": "1"})
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{args}: {result.exception!r}")
    stderr = result.stderr if result.stderr_bytes is not None else ""
    assert "Traceback" not in result.stdout + stderr
    assert result.exit_code in (0, 1, 2)
    return Run(result.exit_code, result.stdout, stderr)


@dataclass
class Process:
    code: int
    stdout: bytes
    stderr: bytes
    peak_rss_mb: float


def subprocess_run(*args: str, stdin: bytes = b"") -> Process:
    """Run the installed ``wiretool`` entry point; its peak RSS comes from ``os.wait4``."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    with tempfile.TemporaryFile() as fin, tempfile.TemporaryFile() as fout, \
            tempfile.TemporaryFile() as ferr:
        fin.write(stdin)
        fin.seek(0)
        proc = subprocess.Popen(["wiretool", *args], stdin=fin, stdout=fout, stderr=ferr,
                                env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
    assert b"Traceback" not in err, err.decode(errors="replace")
    return Process(proc.returncode, out, err, usage.ru_maxrss / 1024)  # Linux: KiB


# -- protobuf ------------------------------------------------------------------------


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def nested_messages(depth: int) -> bytes:
    """``depth`` levels of field 1 (LEN) around ``08 01`` (field 1 varint 1)."""
    body = b"\x08\x01"
    for _ in range(depth):
        body = b"\x0a" + varint(len(body)) + body
    return body


# -- HTTP/2 --------------------------------------------------------------------------


def frame(ftype: int, flags: int, stream_id: int, payload: bytes = b"",
          length: int | None = None) -> bytes:
    """RFC 9113 §4.1 frame; ``length`` overrides the header's length field (a lie)."""
    size = len(payload) if length is None else length
    return size.to_bytes(3, "big") + bytes([ftype, flags]) + stream_id.to_bytes(4, "big") + payload


def hpack_int(value: int, prefix: int, first: int = 0) -> bytes:
    """RFC 7541 §5.1 integer with an N-bit prefix."""
    top = (1 << prefix) - 1
    if value < top:
        return bytes([first | value])
    out = bytearray([first | top])
    value -= top
    while value >= 128:
        out.append(value % 128 + 128)
        value //= 128
    out.append(value)
    return bytes(out)


def hpack_literal(name: bytes, value: bytes, first: int = 0x40) -> bytes:
    """Literal with a new name (incremental indexing by default), raw strings."""
    return (bytes([first]) + hpack_int(len(name), 7) + name
            + hpack_int(len(value), 7) + value)
