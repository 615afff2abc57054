#!/usr/bin/env python3
"""Coverage-guided fuzzing of the capture reader: ``CaptureParser`` (fed in chunks),
``read_packets`` on gzip/xz input, ``LinkDecoder`` (every tunnel), ``TcpReassembler``
and ``detect_http2``.

Input: one control byte (low 3 bits: the chunk size seed; bits 3-4: read the body
as it is, or gzip it, or xz it first), then a capture file. Contract: only packets
and ``CaptureDiagnostic``s, never an exception; chunking changes nothing; a capture
compressed reads as the capture itself; a compressed body (the seeds hold some)
reads alike in any chunks, its diagnostics inside the compressed file; packet bytes
and diagnostics lie inside the file; for pcap files, the file header, the records and
the skipped ranges tile the file; per-packet link diagnostics lie inside their
packet, and the end-of-capture report of what was not followed names one kind once,
at an offset inside a packet; every path ends with an IP header; every direction of
every connection is delivered as contiguous ``StreamData`` and ``Gap`` events from
offset 0, and its bytes are the file's bytes at ``file_offset``; ``detect_http2``
never raises on the first bytes.

    python fuzz/fuzz_capture.py fuzz/work/corpus/capture fuzz/work/seeds/capture \
        -max_total_time=600 -rss_limit_mb=2048 -timeout=20
"""

from __future__ import annotations

import gzip
import io
import lzma
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contract import assert_tiles, fuzz_main, instrumented

with instrumented(__name__ == "__main__"):
    from wiretool.capture import (
        CaptureDiagnostic,
        CaptureFormat,
        CaptureParser,
        ConnectionClosed,
        ConnectionOpened,
        Gap,
        LayerKind,
        LinkDecoder,
        Packet,
        StreamData,
        TcpReassembler,
        read_packets,
        sniff_compression,
    )
    from wiretool.http2.detect import detect_http2

CHUNKS = (1, 7, 64, 1000, 1 << 16)


def parse(data: bytes, chunk: int) -> tuple[list[Packet | CaptureDiagnostic], CaptureParser]:
    parser = CaptureParser()
    items: list[Packet | CaptureDiagnostic] = []
    for at in range(0, len(data), chunk):
        items += parser.feed(data[at:at + chunk])
    items += parser.close()
    return items, parser


def pcap_tiles(items: list[Packet | CaptureDiagnostic], size: int) -> None:
    """pcap: header, records (header + captured bytes) and skipped ranges tile the file."""
    spans = [(0, min(24, size))]
    for item in items:
        if isinstance(item, Packet):
            spans.append((item.file_offset, item.data_offset + len(item.data) - item.file_offset))
        elif item.message.startswith(("skipped ", "capture ends in the middle")):
            spans.append((item.offset, item.length))
    assert_tiles(spans, 0, size, "pcap records")


def compressed(body: bytes, chunk: int) -> None:
    """A gzip/xz body: the same in any chunks, faults inside the compressed file."""
    items = list(read_packets(io.BytesIO(body), chunk_size=chunk))
    assert items == list(read_packets(io.BytesIO(body), chunk_size=1 << 20))
    for item in items:
        assert isinstance(item, Packet | CaptureDiagnostic)
        if isinstance(item, CaptureDiagnostic) and "compressed" in item.message:
            assert 0 <= item.offset <= len(body)


def test_one_input(data: bytes) -> None:
    if not data:
        return
    chunk, body = CHUNKS[data[0] % 8 % len(CHUNKS)], data[1:]
    mode = data[0] >> 3 & 3
    if sniff_compression(body) is not None:
        compressed(body, chunk)
        return
    if mode in (1, 2):  # compressed, it must read as itself
        packed = gzip.compress(body, mtime=0) if mode == 1 else lzma.compress(body)
        plain = list(read_packets(io.BytesIO(body)))
        assert list(read_packets(io.BytesIO(packed), chunk_size=chunk)) == plain
    items, parser = parse(body, chunk)
    assert items == parse(body, 1 << 20)[0], "chunking changed the result"
    for item in items:
        if isinstance(item, Packet):
            assert body[item.data_offset:item.data_offset + len(item.data)] == item.data
        else:
            assert isinstance(item, CaptureDiagnostic)
            assert item.offset >= 0 and item.offset + item.length <= len(body)
    if parser.format is CaptureFormat.PCAP and len(body) >= 24:
        pcap_tiles(items, len(body))

    reassembler = TcpReassembler(max_buffer_bytes=4096, max_buffer_segments=16,
                                 max_connections=8, overlap_check_bytes=64)
    events: list[object] = []
    link = LinkDecoder()
    packets: list[tuple[int, int]] = []
    for item in items:
        if isinstance(item, Packet):
            packets.append((item.data_offset, item.data_offset + len(item.data)))
            segment, diagnostics = link.decode(item)
            for diagnostic in diagnostics:
                assert item.data_offset <= diagnostic.offset
                assert diagnostic.offset + diagnostic.length <= item.data_offset + len(item.data)
            if segment is not None:
                assert segment.payload_length >= len(segment.payload)
                assert segment.path.layers[-1].kind in (LayerKind.IPV4, LayerKind.IPV6)
                assert str(segment.path).isprintable()
                if segment.header_only:
                    assert segment.payload == b"" and segment.payload_length == 0
                events += reassembler.feed(segment)
    events += reassembler.close()
    report = link.close()
    assert len({d.message.split(" (first: ")[0].split(" ", 1)[1] for d in report}) == len(report)
    for diagnostic in report:
        assert any(start <= diagnostic.offset <= end for start, end in packets)
    streams: dict[tuple[int, str], int] = defaultdict(int)
    first: dict[tuple[int, str], bytes] = defaultdict(bytes)
    closed = set()
    for event in events:
        if isinstance(event, StreamData | Gap):
            key = (event.conn_id, event.direction.value)
            assert key[0] not in closed
            assert event.stream_offset == streams[key], "stream data not contiguous"
            if isinstance(event, StreamData):
                assert body[event.file_offset:event.file_offset + len(event.data)] == event.data
                streams[key] += len(event.data)
                if len(first[key]) < 256:
                    first[key] += event.data
            else:
                assert event.length > 0
                streams[key] += event.length
        elif isinstance(event, ConnectionClosed):
            closed.add(event.conn_id)
            assert event.client_bytes == streams[(event.conn_id, "client")]
            assert event.server_bytes == streams[(event.conn_id, "server")]
        else:
            assert isinstance(event, ConnectionOpened | CaptureDiagnostic)
    conns = {conn for conn, _ in first}
    for conn in conns:
        for done in (False, True):
            detect_http2(first[(conn, "client")], first[(conn, "server")],
                         client_done=done, server_done=done, roles_certain=done)


if __name__ == "__main__":
    fuzz_main(test_one_input)
