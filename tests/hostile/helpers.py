"""Shared by the hostile-input tests: run the real CLI, build hostile bytes, check
the contract (exit code, no traceback, valid JSON, bounded resources)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
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


# Linux charges a child with its parent's RSS high-water mark at exec time, so the
# peak of a process started straight from a big pytest process is at least pytest's.
# A small Python in between starts ``wiretool`` and reports its children's peak.
_MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "with open(sys.argv[1], 'w') as out:\n"
    "    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


def subprocess_run(*args: str, stdin: bytes = b"") -> Process:
    """Run the installed ``wiretool`` entry point and measure its peak RSS."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak"
        done = subprocess.run([sys.executable, "-c", _MEASURE, str(peak_file), "wiretool", *args],
                              input=stdin, capture_output=True, env=env, check=False)
        peak_kb = int(peak_file.read_text())  # Linux: KiB
    assert b"Traceback" not in done.stderr, done.stderr.decode(errors="replace")
    return Process(done.returncode, done.stdout, done.stderr, peak_kb / 1024)


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


def assert_tiles(spans: list[tuple[int, int]], start: int, end: int, what: str) -> None:
    """``spans`` ((offset, length) pairs) cover ``[start, end)`` exactly: no hole, no overlap."""
    at = start
    for offset, length in sorted(spans):
        assert length >= 0, f"{what}: negative length at {offset}"
        assert offset == at, f"{what}: {'hole' if offset > at else 'overlap'} at {at}"
        at = offset + length
    assert at == end, f"{what}: the spans end at {at}, the input at {end}"
