"""One-direction raw dumps of a real grpcio connection (samples/grpc/demo.{client,server}.bin,
TCP stream 0 of demo.pcap reassembled by tshark, see make_dumps.sh) through ``h2-frames``
raw input: tshark's frames and headers (demo.tshark.json), and the gRPC messages the
capture path finds on the same connection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wiretool.cli import app

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "grpc"
TSHARK = json.loads((SAMPLES / "demo.tshark.json").read_text())
SERVER_PORT = 47113


def h2_frames(*args: str) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(app, ["h2-frames", "-f", "jsonl", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def tshark_frames(side: str) -> list[dict[str, Any]]:
    return [f for f in TSHARK["frames"] if f["tcp_stream"] == 0
            and (f["sender_port"] == SERVER_PORT) == (side == "server")]


@pytest.mark.parametrize("side", ["client", "server"])
def test_raw_dump_frames_and_headers_match_tshark(side: str) -> None:
    code, records = h2_frames("-i", "raw", str(SAMPLES / f"demo.{side}.bin"))
    assert code == 0
    frames = [r for r in records if r["record"] == "frame"]
    assert {f["direction"] for f in frames} == {side}  # detected: preface / SETTINGS at 0
    theirs = tshark_frames(side)
    assert [(f["stream_id"], f["type"], f["flags"], f["length"]) for f in frames] == [
        (f["stream_id"], f["type"], f["flags"], f["length"]) for f in theirs]
    ours_h = [[(h["name"], h["value"]) for h in f["headers"]] for f in frames if "headers" in f]
    theirs_h = [[(n, v) for n, v in f["headers"]] for f in theirs if "headers" in f]
    assert len(ours_h) == len(theirs_h) > 0
    for block, expected in zip(ours_h, theirs_h, strict=True):
        # tshark prints -bin values as text; compare names, and the values that are text
        assert [n for n, _v in block] == [n for n, _v in expected]
        assert [v for n, v in block if not n.endswith("-bin")] == [
            v for n, v in expected if not n.endswith("-bin")]


@pytest.mark.parametrize("side", ["client", "server"])
def test_raw_dump_grpc_messages_equal_the_capture_path(side: str) -> None:
    _code, from_dump = h2_frames(str(SAMPLES / f"demo.{side}.bin"))
    _code, from_capture = h2_frames(str(SAMPLES / "demo.pcap"))
    first = next(r["connection"] for r in from_capture if r["record"] == "connection")
    keys = ("stream_id", "path", "compressed", "length", "data", "offset", "frame_offset")

    def messages(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: r.get(k) for k in keys} for r in records if r["record"] == "grpc-message"
                and r["direction"] == side and r.get("connection", first) == first]

    dump, capture = messages(from_dump), messages(from_capture)
    assert len(dump) == 10
    if side == "server":  # :path is in the request, which the server's dump does not hold
        assert {m.pop("path") for m in dump} == {None}
        for m in capture:
            m.pop("path")
    assert dump == capture


def test_big_grpc_frame_in_one_direction_is_only_a_warning() -> None:
    # grpc-core announced a larger SETTINGS_MAX_FRAME_SIZE; the client's dump alone
    # does not show it, so the 20012-byte DATA frame must not be an error.
    code, records = h2_frames(str(SAMPLES / "demo.client.bin"))
    (diagnostic,) = [r for r in records if r["record"] == "diagnostic"]
    assert code == 0 and diagnostic["severity"] == "warning"
    assert "length 20012 exceeds 16384" in diagnostic["message"]
    assert "limit is unknown" in diagnostic["message"]
    big = next(f for f in tshark_frames("client") if f["length"] > 16_384)
    assert big["length"] == 20012
