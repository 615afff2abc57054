"""Real nghttpd/nghttp captures (samples/h2/NAME.pcap, tcpdump on lo, made by
samples/h2/make_samples.sh together with the follow dumps and tshark's expectations):
``h2-frames`` on the pcap gives the frames and headers tshark found, and exactly the
records of the follow-dump path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.http2.test_samples import NAMES, SAMPLES, tshark_expectations
from wiretool.cli import app

CAPTURE_ONLY = ("connection", "time", "time_ns", "packet")


def h2_frames(path: Path) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(app, ["h2-frames", "-f", "jsonl", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def per_direction(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """HTTP/2 records of each direction, in order, without the capture's packet data."""
    out: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record["record"] in ("connection", "summary"):
            continue
        out.setdefault(record["direction"], []).append(
            {k: v for k, v in record.items() if k not in CAPTURE_ONLY})
    return out


@pytest.mark.parametrize("name", NAMES)
def test_pcap_frames_and_headers_match_tshark(name: str) -> None:
    code, records = h2_frames(SAMPLES / f"{name}.pcap")
    assert code == 0
    (connection,) = [r for r in records if r["record"] == "connection"]
    assert connection["http2"] and connection["evidence"] == "preface"
    assert connection["connection"]["server"] == "127.0.0.1:18080"
    expected = tshark_expectations(name)
    for direction in ("client", "server"):
        frames = [r for r in records if r["record"] == "frame" and r["direction"] == direction]
        assert [(f["stream_id"], f["type"], f["flags"], f["length"]) for f in frames] == (
            expected[direction][0])
        assert [(h["name"], h["value"]) for f in frames for h in f.get("headers", [])] == (
            expected[direction][1])
        assert all(isinstance(f["packet"], int) and f["packet"] > 3 for f in frames)
    assert not [r for r in records if r["record"] == "diagnostic"]


@pytest.mark.parametrize("name", NAMES)
def test_pcap_and_follow_dump_give_the_same_records(name: str) -> None:
    _code, from_pcap = h2_frames(SAMPLES / f"{name}.pcap")
    code, from_follow = h2_frames(SAMPLES / f"{name}.follow")
    assert code == 0
    assert per_direction(from_pcap) == per_direction(from_follow)
    # and the one-direction raw dumps hold the same bytes as the capture's streams
    for side in ("client", "server"):
        raw = (SAMPLES / f"{name}.{side}.bin").read_bytes()
        frames = [r for r in from_pcap if r["record"] == "frame" and r["direction"] == side]
        last = frames[-1]
        assert last["offset"] + 9 + last["length"] == len(raw)


def test_pcaps_exercise_padding_priority_push_and_continuation() -> None:
    def frames(name: str) -> list[dict[str, Any]]:
        return [r for r in h2_frames(SAMPLES / f"{name}.pcap")[1] if r["record"] == "frame"]

    padded = frames("padding_priority")
    assert any(f.get("pad_length") for f in padded if f["type_name"] == "DATA")
    assert [f["weight"] for f in padded
            if f["type_name"] == "HEADERS" and f["direction"] == "client"] == [32, 200]
    assert [f["promised_stream_id"] for f in frames("push")
            if f["type_name"] == "PUSH_PROMISE"] == [2]
    continuation = frames("continuation")
    end = next(f for f in continuation if f.get("headers") and f["direction"] == "client")
    assert end["type_name"] == "CONTINUATION"
    assert sum(f["length"] for f in continuation if f["direction"] == "client"
               and f["type_name"] in ("HEADERS", "CONTINUATION")) > 16_384
