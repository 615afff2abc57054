"""What ``h2-frames`` says about input that is not what it expects: bytes that do not
start like HTTP/2, an empty input, filters that keep nothing (the newcomer review's D29
and D30)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import SAMPLES
from wiretool.cli import app
from wiretool.http2.constants import PREFACE
from wiretool.http2.detect import starts_like_http2

NOT_HTTP2 = "it does not look like HTTP/2"


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["h2-frames", *args], input=stdin,
                                env={"COLUMNS": "120"})
    return result.exit_code, result.stdout, result.stderr


def test_random_bytes_get_an_error_at_offset_0_and_are_still_read(tmp_path: Path) -> None:
    blob = tmp_path / "random.bin"
    blob.write_bytes(random.Random(7).randbytes(3000))
    code, out, _ = run("-f", "jsonl", str(blob))
    records = [json.loads(line) for line in out.splitlines()]
    first = next(r for r in records if r["record"] == "diagnostic")
    assert code == 1 and first["offset"] == 0 and first["severity"] == "error"
    assert NOT_HTTP2 in first["message"]
    assert any(r["record"] == "frame" for r in records)  # nothing is dropped
    code, out, _ = run("-f", "table", str(blob))
    assert code == 1 and NOT_HTTP2 in " ".join(out.split())


@pytest.mark.parametrize("name", sorted(p.name for p in (SAMPLES / "h2").glob("*.bin")))
def test_real_one_direction_dumps_start_like_http2(name: str) -> None:
    _, out, _ = run("-f", "jsonl", str(SAMPLES / "h2" / name))
    assert NOT_HTTP2 not in out


def test_a_dump_that_starts_mid_connection_is_not_flagged() -> None:
    second_half = (SAMPLES / "h2" / "basic.server.bin").read_bytes()[126:]
    _, out, _ = run("-f", "jsonl", "--direction", "server", "-", stdin=second_half)
    assert NOT_HTTP2 not in out and '"type_name": "HEADERS"' in out


def test_starts_like_http2() -> None:
    assert starts_like_http2(PREFACE[:9]) and starts_like_http2(PREFACE)
    assert starts_like_http2(bytes.fromhex("000006040000000000"))  # SETTINGS
    assert starts_like_http2(bytes.fromhex("000004080000000000"))  # WINDOW_UPDATE
    assert not starts_like_http2(b"GET / HTTP/1.1\r\n")
    assert not starts_like_http2(bytes.fromhex("16030100c8010000c4"))  # a TLS ClientHello
    assert not starts_like_http2(bytes.fromhex("d4c3b2a102000400"))  # a pcap header


def test_an_empty_input_is_said_to_be_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    code, out, _ = run("-f", "table", str(empty))
    assert code == 0 and "warning: the input is empty" in out
    code, out, _ = run("-f", "jsonl", str(empty))
    (diag,) = [json.loads(line) for line in out.splitlines()
               if json.loads(line)["record"] == "diagnostic"]
    assert code == 0 and diag["message"] == "the input is empty: no bytes to decode"


def test_a_filter_that_keeps_nothing_says_so() -> None:
    code, _, err = run("-f", "jsonl", "--stream", "999", "--type", "PING",
                       str(SAMPLES / "grpc" / "demo.pcap"))
    assert code == 0
    assert "no frame matched --stream 999 and --type PING (94 frame(s) read)" in err
    _, _, err = run("-f", "jsonl", "--stream", "1", str(SAMPLES / "grpc" / "demo.pcap"))
    assert "no frame matched" not in err
