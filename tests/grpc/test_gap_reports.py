"""A lost TCP segment is reported once: one error (with packet number and stream offset,
and what the HTTP/2 reader lost) and one info saying where reading resynchronised."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.capture import writer as w
from tests.grpc import h2build as hb
from wiretool.cli import app

REQUEST = bytes.fromhex("0a03616461")   # field 1 "ada"
REPLY = bytes.fromhex("0a0568656c6c6f")  # field 1 "hello"


def h2_frames(tmp_path: Path, packets: list[bytes], *args: str) -> tuple[int, list[dict[str, Any]]]:
    path = tmp_path / "c.pcap"
    path.write_bytes(w.pcap([(1_700_000_000_000_000_000 + i * 1000, p)
                             for i, p in enumerate(packets)]))
    result = CliRunner().invoke(app, ["h2-frames", "-f", "jsonl", *args, str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def diagnostics(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Without the consequences shown elsewhere (unknown HPACK entries, a gRPC stream)."""
    return [r for r in records if r["record"] == "diagnostic"
            and not r["message"].startswith(("HPACK:", "stream "))]


def test_a_gap_in_an_http2_connection_is_one_error_and_one_info(tmp_path: Path) -> None:
    client, server = hb.Peer(), hb.Peer()
    c1, s1 = hb.unary_exchange(REQUEST, REPLY, stream=1, client=client, server=server)
    c2, s2 = hb.unary_exchange(REQUEST, REPLY, stream=3, client=client, server=server,
                               preface=False)
    flow = w.Flow()
    packets = [*flow.handshake(), flow.send("client", c1), flow.send("server", s1)]
    flow.send("server", s2[:20])  # lost
    packets += [flow.send("server", s2[20:]), flow.send("client", c2),
                flow.send("client", b"", flags=w.ACK)]
    code, records = h2_frames(tmp_path, packets)
    assert code == 1
    error, info = diagnostics(records)
    assert error["severity"] == "error" and error["direction"] == "server"
    assert error["connection"] == {"number": 1, "client": "10.0.0.1:40000",
                                   "server": "10.0.0.2:8443"}
    assert error["packet"] == len(packets) - 1  # the client's segment acking past the hole
    assert (error["offset"], error["length"]) == (len(s1), 20)
    assert error["message"].startswith(f"20 byte(s) missing at offset {len(s1)} (not captured)")
    assert info["severity"] == "info" and info["direction"] == "server"
    resumed = next(r["offset"] for r in records if r["record"] == "frame"
                   and r["direction"] == "server" and r["offset"] > len(s1))
    assert info["offset"] == resumed
    skipped = resumed - len(s1) - 20
    assert info["message"] == (f"reading resynchronised at offset {resumed}: {skipped} byte(s) "
                               "after the gap skipped up to a plausible frame header")


def test_a_gap_while_detection_is_pending_is_reported_once(tmp_path: Path) -> None:
    c, s = hb.unary_exchange(REQUEST, REPLY)
    flow = w.Flow()
    packets = flow.handshake()
    flow.send("client", c[:40])  # lost: the preface and the start of SETTINGS
    packets += [flow.send("client", c[40:]), flow.send("server", s),
                flow.send("client", b"", flags=w.ACK)]
    code, records = h2_frames(tmp_path, packets)
    assert code == 1
    error, info = diagnostics(records)
    assert (error["severity"], error["offset"], error["length"]) == ("error", 0, 40)
    assert error["packet"] is not None and error["direction"] == "client"
    assert info["severity"] == "info" and info["direction"] == "client"
    assert "capture" not in error  # the HTTP/2 report, not the reassembler's


def test_a_gap_in_a_connection_that_is_not_http2_keeps_the_capture_report(
        tmp_path: Path) -> None:
    flow = w.Flow(("10.0.0.1", 40001), ("10.0.0.2", 80))
    packets = [*flow.handshake(), flow.send("client", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")]
    flow.send("server", b"HTTP/1.1 200 OK\r\n")  # lost
    packets += [flow.send("server", b"Content-Length: 0\r\n\r\n"),
                flow.send("client", b"", flags=w.ACK)]
    code, records = h2_frames(tmp_path, packets)
    assert code == 1
    (report,) = diagnostics(records)
    assert report["packet"] == len(packets) and "file_offset" in report
    assert "17 bytes missing at stream offset 0" in report["message"]
