"""Hypothesis properties of the wire walker: round trips, and any bytes are survived."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.errors import Diagnostic
from wiretool.protobuf.model import Field, Kind, WireType
from wiretool.protobuf.wire import decode, decode_message
from wiretool.render.protobuf_json import render_json


def varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


numbers = st.integers(min_value=1, max_value=(1 << 29) - 1)
scalar_fields = st.one_of(
    st.tuples(numbers, st.just(0), st.integers(0, 2**64 - 1)),
    st.tuples(numbers, st.just(1), st.integers(0, 2**64 - 1)),
    st.tuples(numbers, st.just(5), st.integers(0, 2**32 - 1)),
    st.tuples(numbers, st.just(2), st.binary(max_size=40)),
)


def encode(fields: list[tuple[int, int, object]]) -> bytes:
    out = bytearray()
    for number, wire, value in fields:
        out += varint(number << 3 | wire)
        if wire == 0:
            assert isinstance(value, int)
            out += varint(value)
        elif wire == 1:
            assert isinstance(value, int)
            out += value.to_bytes(8, "little")
        elif wire == 5:
            assert isinstance(value, int)
            out += value.to_bytes(4, "little")
        else:
            assert isinstance(value, bytes)
            out += varint(len(value)) + value
    return bytes(out)


@settings(max_examples=300, deadline=None)
@given(st.lists(scalar_fields, max_size=20))
def test_round_trip(fields: list[tuple[int, int, object]]) -> None:
    data = encode(fields)
    message, diagnostics = decode_message(data)
    assert diagnostics == []
    assert len(message.fields) == len(fields)
    for got, (number, wire, value) in zip(message.fields, fields, strict=True):
        assert (got.number, int(got.wire_type)) == (number, wire)
        if wire == 2:
            assert data[got.value_offset : got.value_offset + got.value_length] == value
        else:
            assert got.value == value


def _check_spans(fields: tuple[Field, ...], start: int, end: int) -> None:
    """Fields lie inside [start, end), in order, without overlapping."""
    cursor = start
    for field in fields:
        assert cursor <= field.offset and field.end <= end
        assert field.offset < field.value_offset + 1 and field.value_offset + field.value_length <= field.end
        if field.kind in (Kind.MESSAGE, Kind.GROUP) and field.expanded:
            _check_spans(field.fields, field.value_offset, field.value_offset + field.value_length)
        cursor = field.end


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200), st.sampled_from(["none", "grpc", "delimited", "auto"]))
def test_any_bytes_give_only_diagnostics(data: bytes, framing: str) -> None:
    result = decode(data, framing=framing)
    assert all(isinstance(d, Diagnostic) for d in result.diagnostics)
    for diagnostic in result.diagnostics:
        assert 0 <= diagnostic.offset <= max(len(data), max((m.length for m in result.messages), default=0))
    for message in result.messages:
        buffer_end = message.offset + message.length
        _check_spans(message.fields, message.offset, buffer_end)
        # nothing lost: top-level fields and the unparsed tail tile the message
        covered = sum(f.length for f in message.fields)
        covered += message.unparsed.length if message.unparsed else 0
        assert covered == message.length
    out = io.StringIO()
    render_json(result, out)
    json.loads(out.getvalue())


@settings(max_examples=200, deadline=None)
@given(st.lists(scalar_fields, min_size=1, max_size=8), st.integers(0, 60))
def test_mutated_messages_are_survived(fields: list[tuple[int, int, object]], cut: int) -> None:
    data = encode(fields)
    mutated = data[:cut] + b"\xff" + data[cut:]
    result = decode(mutated, framing="none")
    message = result.messages[0]
    covered = sum(f.length for f in message.fields) + (message.unparsed.length if message.unparsed else 0)
    assert covered == len(mutated)


def test_wire_types_are_spec_names() -> None:
    assert [w.name for w in WireType] == ["VARINT", "I64", "LEN", "SGROUP", "EGROUP", "I32"]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["none", "grpc", "delimited", "auto"]))
def test_streamed_decode_equals_the_whole_model(data: bytes, framing: str) -> None:
    """Fields built one top-level subtree at a time are the fields of the whole model."""
    from wiretool.protobuf.wire import decode_stream

    whole = decode(data, framing=framing)
    stream = decode_stream(data, framing=framing)
    parts = [(message, tuple(fields)) for message, fields in stream.parts()]
    assert [fields for _, fields in parts] == [m.fields for m in whole.messages]
    assert list(stream.diagnostics) == list(whole.diagnostics)
    assert stream.trailing == whole.trailing
