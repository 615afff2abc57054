"""Hostile captures: each attack of issue 7, through the capture pipeline and through
``wiretool h2-frames``, which reads pcap/pcapng. Also covered in
tests/capture/test_capture_pcap.py (record length 2^31, snaplen 0, truncated pcapng
block, length not a multiple of 4) and test_capture_tcp.py (sequence jumps)."""

from __future__ import annotations

import io
import json
import random
import struct

import pytest

from tests.capture import writer as w
from tests.hostile.helpers import assert_tiles, cli, needs_entry_point, subprocess_run
from wiretool.capture import (
    CaptureDiagnostic,
    Gap,
    Packet,
    StreamData,
    follow_tcp,
    read_packets,
)


def items(data: bytes, chunk: int = 4096) -> list[Packet | CaptureDiagnostic]:
    got = list(read_packets(io.BytesIO(data), chunk_size=chunk))
    assert got == list(read_packets(io.BytesIO(data), chunk_size=1 << 20))
    return got


def flow_frames() -> list[bytes]:
    f = w.Flow()
    return [*f.handshake(), f.send("client", b"hello"), f.send("server", b"world")]


def test_record_length_2_31_is_skipped_and_reading_resynchronises() -> None:
    frames = flow_frames()
    start = 1_700_000_000 * 10**9
    good = w.pcap([(start + i * 1000, f) for i, f in enumerate(frames)])
    first_end = 24 + 16 + len(frames[0])
    bad_record = struct.pack("<IIII", 1_700_000_000, 5, 1 << 31, 1 << 31)
    data = good[:first_end] + bad_record + good[first_end:]
    got = items(data)
    errors = [i for i in got if isinstance(i, CaptureDiagnostic) and i.severity == "error"]
    assert "declares 2147483648 captured bytes" in errors[0].message
    assert errors[0].offset == first_end
    assert errors[1].message.startswith("skipped 16 bytes")
    assert len([i for i in got if isinstance(i, Packet)]) == len(frames)


def test_snaplen_0_is_a_warning_and_packets_still_read() -> None:
    data = w.pcap(list(enumerate(flow_frames())), snaplen=0)
    got = items(data)
    assert any("snaplen is 0" in i.message for i in got if isinstance(i, CaptureDiagnostic))
    assert len([i for i in got if isinstance(i, Packet)]) == 5


def test_truncated_pcap_and_pcapng_blocks() -> None:
    pcap = w.pcap(list(enumerate(flow_frames())))
    for cut in (10, 30, len(pcap) - 7):
        got = items(pcap[:cut])
        assert any(i.severity == "error" for i in got if isinstance(i, CaptureDiagnostic))
    ng = w.pcapng_shb() + w.pcapng_idb(1) + b"".join(w.pcapng_epb(0, i, f)
                                                     for i, f in enumerate(flow_frames()))
    got = items(ng[:-9])
    assert any("truncated" in i.message or "skipped" in i.message
               for i in got if isinstance(i, CaptureDiagnostic))
    assert len([i for i in got if isinstance(i, Packet)]) == 4


def test_pcapng_block_length_not_a_multiple_of_4() -> None:
    frames = flow_frames()
    bad = bytearray(w.pcapng_epb(0, 0, frames[0]))
    struct.pack_into("<I", bad, 4, len(bad) - 1)  # total length 4k + 3
    data = w.pcapng_shb() + w.pcapng_idb(1) + bytes(bad) + w.pcapng_epb(0, 1, frames[1])
    got = items(data)
    assert any("must be a multiple of 4" in i.message for i in got
               if isinstance(i, CaptureDiagnostic))
    assert [p.data for p in got if isinstance(p, Packet)] == [frames[1]]


def test_a_megabyte_of_random_bytes_behind_valid_headers_are_bounded() -> None:
    noise = random.Random(7).randbytes(1 << 20)
    for header in (w.pcap([]), w.pcapng_shb() + w.pcapng_idb(1)):
        data = header + noise
        got = list(read_packets(io.BytesIO(data)))
        # Every byte is a packet or a skipped range; the count of records is bounded by
        # the input, not by what the noise declares.
        assert len(got) < len(data) // 16
        if header[:4] != b"\x0a\x0d\x0d\x0a":
            spans = [(0, 24)] + [
                (i.file_offset, i.data_offset + len(i.data) - i.file_offset)
                if isinstance(i, Packet) else (i.offset, i.length)
                for i in got if isinstance(i, Packet) or i.message.startswith(
                    ("skipped ", "capture ends in the middle"))]
            assert_tiles(spans, 0, len(data), "pcap")
        events = list(follow_tcp(io.BytesIO(data)))
        assert all(isinstance(e, CaptureDiagnostic | StreamData | Gap) or hasattr(e, "conn_id")
                   for e in events)


def test_tcp_sequence_numbers_that_jump() -> None:
    f = w.Flow()
    frames = f.handshake()
    base = f.seq["client"]
    frames.append(f.send("client", b"AAAA", seq=base))
    for jump in (1 << 31, (1 << 32) - 1, 70_000_000, 12_345):
        frames.append(f.send("client", b"B" * 100, seq=base + 4 + jump))
    frames.append(f.send("client", b"CCCC", seq=base + 4))
    events = list(follow_tcp(io.BytesIO(w.pcap(list(enumerate(frames))))))
    client = [e for e in events if isinstance(e, StreamData | Gap) and e.direction == "client"]
    assert isinstance(client[0], StreamData) and client[0].data == b"AAAA"
    at = 0
    for event in client:  # contiguous from offset 0, whatever the jumps
        assert event.stream_offset == at
        at += len(event.data) if isinstance(event, StreamData) else event.length
    warnings = [e for e in events if isinstance(e, CaptureDiagnostic)
                and "jumps" in e.message]
    assert warnings  # the jump beyond the buffer is reported, nothing raised
    gaps = [e for e in events if isinstance(e, Gap)]
    assert all(g.length > 0 for g in gaps)


# -- through the CLI: h2-frames reads captures ---------------------------------------

CLI_CASES = {
    "record length 2^31": (w.pcap([]) + struct.pack("<IIII", 0, 0, 1 << 31, 1 << 31), 1,
                           "declares 2147483648 captured bytes"),
    "snaplen 0": (w.pcap([], snaplen=0), 0, "snaplen is 0"),
    "pcapng length 33": (w.pcapng_shb() + w.pcapng_idb(1) + struct.pack("<II", 6, 33)
                         + bytes(40), 1, "invalid total length 33"),
    "random bytes": (w.pcap([]) + random.Random(3).randbytes(200_000), 1, "pcap record"),
    "truncated block": ((w.pcapng_shb() + w.pcapng_idb(1)
                         + w.pcapng_epb(0, 0, flow_frames()[0]))[:-5], 1, "truncated"),
}


@pytest.mark.parametrize("name", list(CLI_CASES))
def test_h2_frames_on_hostile_captures(name: str) -> None:
    data, code, words = CLI_CASES[name]
    run = cli("h2-frames", "-f", "jsonl", "-", stdin=data)
    assert run.code == code
    records = run.jsonl()  # every line valid JSON
    assert any(words in str(r.get("message")) for r in records), records[:3]


@needs_entry_point
def test_h2_frames_on_a_hostile_capture_in_a_real_process() -> None:
    data = w.pcap([]) + random.Random(5).randbytes(3 << 20)
    done = subprocess_run("h2-frames", "-f", "jsonl", "-", stdin=data)
    assert done.code == 1
    assert all(json.loads(line)["record"] for line in done.stdout.splitlines())
    assert done.peak_rss_mb < 500, done.peak_rss_mb
