"""Hypothesis: any bytes behind a valid header give packets and diagnostics, never a crash.

For a longer run: WIRETOOL_FUZZ_EXAMPLES=5000 pytest tests/capture/test_capture_fuzz.py
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.capture import cases
from tests.capture import writer as w
from wiretool.capture import (
    CaptureDiagnostic,
    ConnectionClosed,
    ConnectionOpened,
    Gap,
    Packet,
    StreamData,
    follow_tcp,
    read_packets,
)
from wiretool.http2.detect import PREFACE, detect_http2

SAMPLE = (Path(__file__).resolve().parents[2] / "samples" / "capture" / "nghttp2-h2c.pcap"
          ).read_bytes()
LINK_TYPES = st.sampled_from([0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147])
FUZZ = settings(
    max_examples=int(os.environ.get("WIRETOOL_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def check_whole_pipeline(data: bytes, chunk_size: int = 1 << 16) -> None:
    events = list(follow_tcp(io.BytesIO(data), chunk_size=chunk_size))
    for e in events:
        assert isinstance(e, CaptureDiagnostic | ConnectionOpened | StreamData | Gap
                          | ConnectionClosed)
        if isinstance(e, CaptureDiagnostic):
            assert 0 <= e.offset <= len(data) and e.offset + e.length <= len(data)
        if isinstance(e, StreamData):
            assert data[e.file_offset:e.file_offset + len(e.data)] == e.data


def check_packets(data: bytes, chunk_size: int) -> None:
    items = list(read_packets(io.BytesIO(data), chunk_size=chunk_size))
    for item in items:
        if isinstance(item, Packet):
            assert data[item.data_offset:item.data_offset + len(item.data)] == item.data
        else:
            assert isinstance(item, CaptureDiagnostic)
            assert 0 <= item.offset <= len(data) and item.offset + item.length <= len(data)
    assert items == list(read_packets(io.BytesIO(data)))  # chunking changes nothing


@FUZZ
@given(link=LINK_TYPES, tail=st.binary(max_size=2000), big=st.booleans(), ns=st.booleans(),
       chunk=st.integers(1, 700))
def test_random_bytes_after_a_pcap_header(link: int, tail: bytes, big: bool, ns: bool,
                                          chunk: int) -> None:
    data = w.pcap([], linktype=link, big_endian=big, nanoseconds=ns) + tail
    check_packets(data, chunk)
    check_whole_pipeline(data)


@FUZZ
@given(link=LINK_TYPES, tail=st.binary(max_size=2000), chunk=st.integers(1, 700))
def test_random_bytes_after_a_pcapng_header(link: int, tail: bytes, chunk: int) -> None:
    data = w.pcapng_shb() + w.pcapng_idb(link) + tail
    check_packets(data, chunk)
    check_whole_pipeline(data)


@FUZZ
@given(link=LINK_TYPES, frames=st.lists(st.binary(max_size=120), max_size=20))
def test_random_packets_in_a_valid_file(link: int, frames: list[bytes]) -> None:
    check_whole_pipeline(w.pcap([(i, f) for i, f in enumerate(frames)], linktype=link))


@FUZZ
@given(st.data())
def test_mutated_real_capture(data: st.DataObject) -> None:
    sample = bytearray(SAMPLE)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(sample) - 1))
        sample[at] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(24, len(sample)))
    check_whole_pipeline(bytes(sample[:cut]))


@FUZZ
@given(client=st.binary(max_size=300), server=st.binary(max_size=300),
       prefix=st.sampled_from([b"", PREFACE, b"GET / HTTP/1.1\r\nUpgrade: h2c\r\n"]),
       done=st.booleans(), certain=st.booleans())
def test_detect_never_raises(client: bytes, server: bytes, prefix: bytes, done: bool,
                             certain: bool) -> None:
    found = detect_http2(prefix + client, server, client_done=done, server_done=done,
                         roles_certain=certain)
    assert found.verdict in ("http2", "not-http2", "need-more")


def test_a_megabyte_of_garbage_is_read_quickly() -> None:
    import random
    import time

    rng = random.Random(7)
    junk = bytes(rng.getrandbits(8) for _ in range(1 << 20))
    start = time.perf_counter()
    check_whole_pipeline(w.pcap([]) + junk)
    check_whole_pipeline(w.pcapng_shb() + w.pcapng_idb(1) + junk)
    assert time.perf_counter() - start < 30


@FUZZ
@given(name=st.sampled_from(sorted(cases.TUNNELS)), cut=st.integers(0, 200), flips=st.lists(
    st.tuples(st.integers(0, 199), st.integers(1, 255)), max_size=4))
def test_damaged_tunnel_headers_give_diagnostics_not_crashes(
        name: str, cut: int, flips: list[tuple[int, int]]) -> None:
    """The first packets of each tunnel case, cut anywhere and with bytes flipped in
    their headers: only events and diagnostics inside the file, the report of what was
    not followed at the end, every path ending in an IP header."""
    demo = cases.read_pcap(cases.DEMO)[:4]
    frames = []
    for n, (_t, frame) in enumerate(demo):
        wrapped = bytearray(cases.TUNNELS[name](frame, n))
        for at, value in flips:
            if at < len(wrapped):
                wrapped[at] ^= value
        frames.append(bytes(wrapped[:len(wrapped) - cut % len(wrapped)]))
    data = w.pcap(list(enumerate(frames)))
    check_whole_pipeline(data)
    for event in follow_tcp(io.BytesIO(data)):
        if isinstance(event, ConnectionOpened):
            assert event.path.layers[-1].kind.value in ("ipv4", "ipv6")
