"""Memory of ``h2-frames`` on a capture is bounded by the open streams, not the capture.

A synthesized capture (tests/capture/writer.py) of small requests on one HTTP/2
connection, at 1x and 4x the number of requests: the peak RSS of the real
``wiretool`` process (measured with ``os.wait4`` by a small Python parent, so that
pytest's own size does not count) must not grow with the number of closed
streams, for the frames and for ``--summary`` (whose per-method roll-up keeps no
row per stream: 32,000 distinct paths here). A resource check, not a timing one.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import hpack
import pytest

from tests.capture.writer import ACK, PSH, SYN, ethernet, ipv4, pcap, tcp
from tests.hostile.helpers import needs_entry_point

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
BASE_REQUESTS = 8000
SLACK_MIB = 20

# A parent that runs wiretool with its output thrown away and reports the child's
# peak RSS (KiB on Linux) from os.wait4.
_MEASURE = (
    "import os, subprocess, sys\n"
    "child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "_pid, status, usage = os.wait4(child.pid, 0)\n"
    "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)\n"
)


def _frame(ftype: int, flags: int, stream_id: int, payload: bytes) -> bytes:
    # RFC 9113 §4.1: length (24), type, flags, R + stream id (32)
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + struct.pack(
        "!I", stream_id) + payload


def synthesize(requests: int) -> bytes:
    """One connection: ``requests`` GET requests, each answered by HEADERS + DATA."""
    client, server = ("10.0.0.1", 40000), ("10.0.0.2", 8080)
    seq = {"client": 1000, "server": 5000}
    packets: list[tuple[int, bytes]] = []
    clock = [1_700_000_000 * 10**9]

    def send(side: str, payload: bytes, flags: int = ACK | PSH) -> None:
        src, dst = (client, server) if side == "client" else (server, client)
        other = "server" if side == "client" else "client"
        segment = tcp(src[1], dst[1], seq[side], seq[other], flags, payload)
        packets.append((clock[0], ethernet(ipv4(src[0], dst[0], segment))))
        seq[side] += len(payload) + (1 if flags & SYN else 0)
        clock[0] += 10_000

    send("client", b"", SYN)
    send("server", b"", SYN | ACK)
    requester, responder = hpack.Encoder(), hpack.Encoder()
    send("client", PREFACE + _frame(4, 0, 0, b""))  # SETTINGS
    send("server", _frame(4, 0, 0, b"") + _frame(4, 1, 0, b""))  # SETTINGS, ACK
    batch = 50
    for first in range(0, requests, batch):
        ask, answer = bytearray(), bytearray()
        for number in range(first, min(first + batch, requests)):
            stream_id = 2 * number + 1
            block = requester.encode([
                (":method", "GET"), (":scheme", "http"), (":authority", "example.test"),
                (":path", f"/item/{number}"), ("user-agent", "h2load nghttp2/1.52.0"),
                ("accept", "*/*"), ("x-request-id", f"req-{number:08d}")])
            ask += _frame(1, 0x5, stream_id, block)  # HEADERS END_STREAM|END_HEADERS
            block = responder.encode([
                (":status", "200"), ("content-type", "text/plain"),
                ("content-length", "5"), ("server", "nghttpd nghttp2/1.52.0")])
            answer += _frame(1, 0x4, stream_id, block)  # HEADERS END_HEADERS
            answer += _frame(0, 0x1, stream_id, b"hello")  # DATA END_STREAM
        send("client", bytes(ask))
        send("server", bytes(answer))
    return pcap(packets)


def peak_rss_mib(capture: Path, *args: str) -> float:
    done = subprocess.run([sys.executable, "-c", _MEASURE, "wiretool", "h2-frames", *args,
                           str(capture)], capture_output=True, text=True, check=True)
    code, peak_kib = done.stdout.split()
    assert code == "0", done.stderr
    return int(peak_kib) / 1024


@needs_entry_point
@pytest.mark.parametrize("args", [("--format", "jsonl"), ("--summary", "--format", "jsonl"),
                                  ("--summary", "--format", "table")],
                         ids=["jsonl", "summary-jsonl", "summary-table"])
def test_peak_memory_does_not_grow_with_closed_streams(tmp_path: Path,
                                                        args: tuple[str, ...]) -> None:
    small, large = tmp_path / "1x.pcap", tmp_path / "4x.pcap"
    small.write_bytes(synthesize(BASE_REQUESTS))
    large.write_bytes(synthesize(4 * BASE_REQUESTS))
    one, four = peak_rss_mib(small, *args), peak_rss_mib(large, *args)
    assert four <= one + SLACK_MIB, f"peak RSS {one:.1f} MiB at 1x, {four:.1f} MiB at 4x"


def test_synthesized_capture_closes_every_stream() -> None:
    """The capture the memory check uses is what it claims: every stream ends both ways."""
    import io

    from wiretool.capture import follow_tcp
    from wiretool.http2.frames import Frame
    from wiretool.session import ConnectionEnd, Located, SessionOptions
    from wiretool.session.capture import CaptureSession

    session = CaptureSession(SessionOptions(summary=True, stream_rows=True))
    frames = 0
    ends: list[ConnectionEnd] = []
    for event in follow_tcp(io.BytesIO(synthesize(120))):
        for item in session.feed(event):
            if isinstance(item, Located) and isinstance(item.record, Frame):
                frames += 1
            elif isinstance(item, ConnectionEnd):
                ends.append(item)
    for item in session.close():
        if isinstance(item, ConnectionEnd):
            ends.append(item)
    assert frames == 3 + 3 * 120  # client SETTINGS, server SETTINGS + ACK; 3 per request
    (end,) = ends
    assert [row.stream_id for row in end.rows] == [2 * n + 1 for n in range(120)]
    assert end.rows[7].path == "/item/7" and end.rows[7].status == "200"
    assert (end.rows[7].client_frames, end.rows[7].server_frames) == (1, 2)
    assert end.rows[7].server_data_bytes == 5
    assert end.summary is not None and end.summary.calls is not None
    stats = end.summary.calls.stats
    assert (stats.calls, stats.statuses, stats.frames) == (120, {"200": 120}, 3 * 120)
    assert stats.server_data_bytes == 5 * 120
