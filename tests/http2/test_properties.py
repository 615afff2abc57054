"""Hypothesis properties: any bytes give only records and diagnostics, spans inside the input;
hpack.Encoder output round-trips through the walker; chunking never changes the result."""

from __future__ import annotations

import hpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiretool.errors import Diagnostic
from wiretool.http2.connection import Connection
from wiretool.http2.constants import PREFACE
from wiretool.http2.frames import Frame, Preface, Record
from wiretool.http2.hpack import HpackContext, Representation

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def frame_bytes(ftype: int, flags: int, stream: int, payload: bytes) -> bytes:
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + stream.to_bytes(4, "big") + (
        payload)


frames_strategy = st.lists(
    st.builds(
        frame_bytes,
        st.integers(0, 0x12), st.integers(0, 255), st.integers(0, 2**32 - 1),
        st.binary(max_size=40),
    ),
    max_size=8,
).map(b"".join)

inputs = st.one_of(
    st.binary(max_size=300),
    frames_strategy,
    frames_strategy.map(lambda b: PREFACE + b),
    st.tuples(frames_strategy, st.binary(max_size=20)).map(lambda t: t[0] + t[1]),
)


def decode_all(data: bytes, cuts: list[int]) -> list[Record]:
    connection = Connection()
    records: list[Record] = []
    previous = 0
    for cut in [*sorted(c % (len(data) + 1) for c in cuts), len(data)]:
        records += connection.feed(None, data[previous:cut])
        previous = cut
    return records + connection.close()


def all_diagnostics(records: list[Record]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for record in records:
        if isinstance(record, Frame):
            out += record.diagnostics
            if record.header_block is not None:
                out += record.header_block.diagnostics
        elif isinstance(record, Diagnostic):
            out.append(record)
    return out


@FAST
@given(inputs, st.lists(st.integers(0, 400), max_size=6))
def test_any_bytes_give_records_with_spans_inside_the_input(data: bytes, cuts: list[int]) -> None:
    records = decode_all(data, cuts)
    for record in records:
        assert isinstance(record, Frame | Preface | Diagnostic)
        if isinstance(record, Frame):
            assert record.offset >= 0 and record.end <= len(data)
            block = record.header_block
            if block is not None:
                for field in block.fields:
                    at = block.field_offset(field)
                    assert 0 <= at < len(data)
                    assert data[at : at + 1] == field.wire[:1]
    for diag in all_diagnostics(records):
        assert 0 <= diag.offset <= len(data)
        assert diag.offset + diag.length <= len(data)


@FAST
@given(inputs, st.lists(st.integers(0, 400), max_size=6))
def test_chunking_does_not_change_the_result(data: bytes, cuts: list[int]) -> None:
    assert decode_all(data, cuts) == decode_all(data, [])


@FAST
@given(st.binary(max_size=200), st.booleans(), st.sampled_from([0, 60, 256 * 1024]))
def test_any_header_block_gives_fields_or_diagnostics(block: bytes, complete: bool,
                                                      list_limit: int) -> None:
    ctx = HpackContext(history_complete=complete, max_header_list_size=list_limit)
    result = ctx.decode_block(block, segments=((0, 1000),))
    # The block's counts are its fields' (worked out while decoding, once).
    assert result.decoded_length == sum(
        len(f.name or b"") + len(f.value or b"") for f in result.fields
        if f.representation is not Representation.SIZE_UPDATE)
    assert result.insertions == sum(1 for f in result.fields if f.inserted)
    assert result.evictions == sum(len(f.evicted) for f in result.fields)
    position = 0
    for field in result.fields:
        assert field.block_offset == position and result.field_offset(field) == 1000 + position
        assert block[position : position + len(field.wire)] == field.wire
        position += len(field.wire)
    if result.undecodable_from is None:
        assert position == len(block)
    for diag in result.diagnostics:
        assert 1000 <= diag.offset <= 1000 + len(block)
    assert ctx.size <= max(ctx.max_size, 0) or ctx.approximate


header_text = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=30)
header_lists = st.lists(
    st.tuples(
        st.one_of(st.sampled_from([":method", ":path", "user-agent", "cookie", "x-a"]),
                  header_text.map(str.lower).filter(bool)),
        header_text,
    ),
    max_size=12,
)


@FAST
@given(st.lists(header_lists, min_size=1, max_size=6), st.sampled_from([0, 64, 256, 4096]))
def test_hpack_encoder_output_round_trips(lists: list[list[tuple[str, str]]], size: int) -> None:
    encoder = hpack.Encoder()
    encoder.header_table_size = size
    ctx = HpackContext(table_size_limit=4096)
    oracle = hpack.Decoder()
    for headers in lists:
        wire = encoder.encode(headers)
        block = ctx.decode_block(wire)
        assert block.diagnostics == ()
        assert block.headers == [(n.encode(), v.encode()) for n, v in headers]
        oracle.decode(wire)
        assert [(e.name, e.value) for e in block.table] == list(
            oracle.header_table.dynamic_entries)
