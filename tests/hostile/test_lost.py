"""Nothing lost: for every parser, the spans of the model tile the input (hypothesis).

protobuf: top-level fields + ``unparsed`` tile each message, and framing prefixes +
message bodies + ``trailing`` tile the input; HTTP/2: the preface, the frames and the
diagnostic for a stray partial header tile each direction; HPACK: the representations
tile each block up to ``undecodable_from``, and a diagnostic covers the rest; pcap:
the file header, the records and the skipped ranges tile the file. pcapng cannot say
it yet (xfail): blocks that are not packets (section, interface, statistics...) have
no span in the model.
"""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.capture import writer as w
from tests.hostile.helpers import SAMPLES, assert_tiles
from wiretool.capture import CaptureDiagnostic, CaptureParser, Packet, read_packets
from wiretool.capture.model import Block
from wiretool.errors import Diagnostic
from wiretool.http2.frames import Frame, FrameReader, Preface
from wiretool.http2.hpack import HpackContext
from wiretool.protobuf.model import DecodeResult, Field, Kind
from wiretool.protobuf.wire import decode

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REAL = [(SAMPLES / name).read_bytes() for name in ("person.bin", "people.grpc",
                                                    "people.delimited")]


def mutated(samples: list[bytes]) -> st.SearchStrategy[bytes]:
    """A real sample with a few bytes overwritten, inserted or cut off."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        data = bytearray(draw(st.sampled_from(samples)))
        for _ in range(draw(st.integers(0, 4))):
            at = draw(st.integers(0, max(len(data) - 1, 0)))
            action = draw(st.sampled_from(["set", "insert", "cut"]))
            byte = draw(st.integers(0, 255))
            if action == "set" and data:
                data[at] = byte
            elif action == "insert":
                data.insert(at, byte)
            else:
                del data[at:]
        return bytes(data)

    return build()


# -- protobuf ------------------------------------------------------------------------


def field_spans(fields: tuple[Field, ...], start: int, end: int) -> None:
    assert_tiles([(f.offset, f.length) for f in fields], start, end, "fields")
    for f in fields:
        if f.kind in (Kind.MESSAGE, Kind.GROUP) and f.expanded:
            field_spans(f.fields, f.value_offset, f.value_offset + f.value_length)


def protobuf_tiles(result: DecodeResult, size: int) -> None:
    spans: list[tuple[int, int]] = []
    for m in result.messages:
        tail = m.unparsed
        fields_end = tail.offset if tail is not None else m.offset + m.length
        field_spans(m.fields, m.offset, fields_end)
        if tail is not None:
            assert tail.offset + tail.length == m.offset + m.length
        if m.framing is None:
            spans.append((m.offset, m.length))
            continue
        assert m.prefix_offset is not None
        after = m.prefix_offset + m.prefix_length
        body = min(m.wire_length or 0, size - after) if m.compressed else m.length
        spans.append((m.prefix_offset, m.prefix_length + body))
    if result.trailing is not None:
        spans.append((result.trailing.offset, result.trailing.length))
    assert_tiles(spans, result.start, size, "messages")


@FAST
@given(data=st.binary(max_size=300) | mutated(REAL),
       framing=st.sampled_from(["auto", "none", "grpc", "delimited"]))
def test_protobuf_fields_unparsed_and_framing_tile_the_input(data: bytes, framing: str) -> None:
    protobuf_tiles(decode(data, framing=framing, max_depth=8), len(data))


# -- HTTP/2 frames -------------------------------------------------------------------

H2 = [p.read_bytes() for p in sorted((SAMPLES / "h2").glob("*.bin"))]


@FAST
@given(data=st.binary(max_size=400) | mutated(H2), cuts=st.lists(st.integers(0, 5000),
                                                                max_size=4))
def test_frames_and_diagnostics_tile_each_direction(data: bytes, cuts: list[int]) -> None:
    reader = FrameReader()
    records = []
    at = 0
    for cut in sorted(min(c, len(data)) for c in cuts):
        records += reader.feed(data[at:cut])
        at = cut
    records += reader.feed(data[at:]) + reader.close()
    spans = []
    for record in records:
        if isinstance(record, Preface):
            spans.append((record.offset, record.length))
        elif isinstance(record, Frame):
            spans.append((record.offset, record.end - record.offset))
        else:
            assert isinstance(record, Diagnostic)
            if "too few for a 9-byte frame header" in record.message:
                spans.append((record.offset, record.length))
    assert_tiles(spans, 0, len(data), "h2 records")


# -- HPACK ---------------------------------------------------------------------------


@FAST
@given(blocks=st.lists(st.binary(max_size=60), min_size=1, max_size=5),
       history=st.booleans())
def test_representations_tile_each_block_up_to_where_it_broke(
    blocks: list[bytes], history: bool
) -> None:
    context = HpackContext(history_complete=history)
    base = 0
    for wire in blocks:
        block = context.decode_block(wire, segments=((0, base),))
        stop = len(wire) if block.undecodable_from is None else block.undecodable_from
        assert_tiles([(f.block_offset, len(f.wire)) for f in block.fields], 0, stop, "block")
        if block.undecodable_from is not None:
            (error,) = [d for d in block.diagnostics if d.severity == "error"]
            assert base + stop <= error.offset and error.offset + error.length == base + len(wire)
        base += len(wire)


# -- captures ------------------------------------------------------------------------

CAPTURES = [p.read_bytes() for p in sorted((SAMPLES / "capture").glob("*.pcap"))]


def pcap_tiles(data: bytes) -> None:
    items = list(read_packets(io.BytesIO(data), chunk_size=97))
    not_capture = any(isinstance(i, CaptureDiagnostic) and i.message.startswith("not a pcap")
                      for i in items)
    spans = [] if not_capture else [(0, min(24, len(data)))]
    for item in items:
        if isinstance(item, Packet):
            spans.append((item.file_offset, item.data_offset + len(item.data) - item.file_offset))
        elif isinstance(item, CaptureDiagnostic) and item.message.startswith(
            ("skipped ", "capture ends in the middle", "input of ", "not a pcap")
        ):
            spans.append((item.offset, item.length))
    assert_tiles(spans, 0, len(data), "pcap")


@FAST
@given(data=mutated(CAPTURES) | st.builds(
    lambda tail: w.pcap([(1, w.ethernet(w.ipv4("10.0.0.1", "10.0.0.2", w.tcp(1, 2, 3))))])
    + tail, st.binary(max_size=600)))
def test_pcap_header_records_and_skipped_bytes_tile_the_file(data: bytes) -> None:
    assume(len(data) >= 24)
    pcap_tiles(data)


def capture_tiles(data: bytes, chunk: int) -> None:
    """Packets (whole records), non-packet blocks and skipped ranges tile the file."""
    parser = CaptureParser(report_blocks=True)
    items: list[object] = []
    blocks: list[Block] = []
    for at in range(0, len(data), chunk):
        items += parser.feed(data[at : at + chunk])
        blocks += parser.take_blocks()
    items += parser.close()
    blocks += parser.take_blocks()
    not_capture = [i for i in items if isinstance(i, CaptureDiagnostic)
                   and i.message.startswith("not a pcap")]
    spans = [(b.offset, b.length) for b in blocks]
    for item in items:
        if isinstance(item, Packet):
            spans.append((item.file_offset, item.record_length))
        elif isinstance(item, CaptureDiagnostic) and item.message.startswith(
            ("skipped ", "capture ends in the middle", "input of ", "not a pcap")
        ):
            spans.append((item.offset, item.length))
    if not_capture:
        spans = [(d.offset, d.length) for d in not_capture]
    assert_tiles(spans, 0, len(data), "capture")


def test_pcapng_blocks_tile_the_file() -> None:
    data = Path(SAMPLES / "capture" / "nghttp2-h2c.pcapng").read_bytes()
    capture_tiles(data, 1 << 16)


PCAPNGS = [p.read_bytes() for p in sorted((SAMPLES / "capture").glob("*.pcapng"))]


@FAST
@given(data=mutated(PCAPNGS), chunk=st.integers(1, 4096))
def test_pcapng_blocks_packets_and_skipped_bytes_tile_the_file(data: bytes, chunk: int) -> None:
    capture_tiles(data, chunk)
