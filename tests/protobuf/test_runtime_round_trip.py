"""Round trips through the protobuf runtime: encode -> decode -> the same fields.

hypothesis makes messages (``Person`` of ``samples/person.proto``: strings, ints of
every encoding, negative int32s, zigzag, doubles, packed ints and floats, enums,
bytes, maps, a oneof, repeated messages; ``google.protobuf.Value`` nested up to 12
deep; ``Any``), the runtime serializes them, and wiretool decodes the bytes with the
schema. Every field wiretool finds must be one the runtime wrote, at the offsets it
says: the bytes of each field alone parse, with the runtime, into a message holding
exactly that field's value (the value wiretool shows, its display as the schema reads
it, its elements when packed, its payload bytes when length-delimited); nested
messages recursively; the fields tile their message. Without the schema the walk is
the same (numbers, wire types, offsets).
"""

from __future__ import annotations

import math
from typing import Any

from google.protobuf import any_pb2, message_factory, struct_pb2, timestamp_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLES
from wiretool.protobuf.annotate import DescriptorHints, annotate
from wiretool.protobuf.model import Field, Kind, WireType
from wiretool.protobuf.schema import load_schema
from wiretool.protobuf.wire import decode

SCHEMA = load_schema([], [], [SAMPLES / "person.desc"])
PERSON = SCHEMA.resolve_type("wiretool.samples.Person")
BOOK = SCHEMA.resolve_type("wiretool.samples.AddressBook")
FD = FieldDescriptor


def _class(descriptor: Descriptor) -> Any:
    return message_factory.GetMessageClass(descriptor)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


def _shown(fd: FieldDescriptor, value: Any) -> Any:
    """A runtime scalar as ``annotate`` displays it (enum values by name)."""
    if fd.type == FD.TYPE_ENUM:
        named = fd.enum_type.values_by_number.get(value)
        return named.name if named is not None else value
    return value


def check_fields(data: bytes, fields: tuple[Field, ...], descriptor: Descriptor,
                 start: int, end: int) -> None:
    """``fields`` (decoded with ``descriptor``'s schema) are what the runtime reads in
    ``data[start:end]``, field by field."""
    cls = _class(descriptor)
    at = start
    for field in fields:
        assert field.offset == at  # the fields tile the message
        at = field.end
        fd = descriptor.fields_by_number[field.number]
        assert field.schema is not None and field.schema.name == fd.name
        alone = cls()
        alone.ParseFromString(data[field.offset : field.end])
        value = getattr(alone, fd.name)
        payload = data[field.value_offset : field.value_offset + field.value_length]
        if fd.type in (FD.TYPE_MESSAGE, FD.TYPE_GROUP):
            assert field.kind in (Kind.MESSAGE, Kind.GROUP)
            if fd.message_type.GetOptions().map_entry:
                # A map entry is written with its key and value even when they are
                # defaults: compared by what it holds.
                [key] = list(value)
                entry = _class(fd.message_type)()
                entry.ParseFromString(payload)
                assert (entry.key, entry.value) == (key, value[key])
            else:
                inner = value[0] if fd.is_repeated else value
                assert payload == inner.SerializeToString(deterministic=True)
            check_fields(data, field.fields, fd.message_type, field.value_offset,
                         field.value_offset + field.value_length)
        elif fd.type == FD.TYPE_STRING:
            text = value[0] if fd.is_repeated else value
            assert field.kind is Kind.STRING and field.value == text
        elif fd.type == FD.TYPE_BYTES:
            blob = value[0] if fd.is_repeated else value
            if descriptor.full_name == "google.protobuf.Any" and field.kind is Kind.MESSAGE:
                # An Any's value, read as the type its URL names (a type of the pool).
                assert field.schema.type.startswith(".") and payload == blob
                held = descriptor.file.pool.FindMessageTypeByName(field.schema.type[1:])
                check_fields(data, field.fields, held, field.value_offset,
                             field.value_offset + field.value_length)
                continue
            assert field.kind is Kind.BYTES and field.value == blob == payload
        elif field.kind is Kind.PACKED:
            assert field.wire_type is WireType.LEN and len(field.values) == len(value)
            shown = "[" + ", ".join(str(_shown(fd, v)) for v in value) + "]"
            assert field.schema.display == shown
        else:
            one = value[0] if fd.is_repeated else value
            assert _same(field.schema.display, _shown(fd, one)), (fd.name, field, one)
    assert at == end


def round_trip(message: Any) -> None:
    """Serialize ``message`` and decode it with and without its schema."""
    descriptor = message.DESCRIPTOR
    data = message.SerializeToString(deterministic=True)
    result = annotate(decode(data, framing="none", hints=DescriptorHints(descriptor)),
                      descriptor)
    assert not result.diagnostics
    [decoded] = result.messages
    assert decoded.unparsed is None
    check_fields(data, decoded.fields, descriptor, 0, len(data))
    # The walk does not depend on the schema.
    [plain] = decode(data, framing="none").messages
    same_walk(plain.fields, decoded.fields)


def same_walk(plain: tuple[Field, ...], typed: tuple[Field, ...]) -> None:
    """Numbers, wire types and offsets of every field alike; below a LEN field where
    both decodes read a message (without the schema an empty message may be a string)."""
    assert len(plain) == len(typed)
    for one, other in zip(plain, typed, strict=True):
        assert (one.offset, one.number, one.wire_type, one.length, one.value_offset,
                one.value_length) == (other.offset, other.number, other.wire_type,
                                      other.length, other.value_offset, other.value_length)
        if one.kind is other.kind and one.kind in (Kind.MESSAGE, Kind.GROUP):
            same_walk(one.fields, other.fields)


texts = st.text(max_size=30)
int32s = st.integers(-2**31, 2**31 - 1)


@st.composite
def people(draw: st.DrawFn) -> Any:
    person = _class(PERSON)(
        name=draw(texts), id=draw(int32s), email=draw(texts),
        balance_cents=draw(st.integers(-2**63, 2**63 - 1)), score=draw(st.floats()),
        avatar_sha256=draw(st.binary(max_size=40)),
        created_ms=draw(st.integers(-2**63, 2**63 - 1)),
        timezone_offset_minutes=draw(int32s))
    person.lucky_numbers.extend(draw(st.lists(int32s, max_size=8)))
    person.weights.extend(draw(st.lists(st.floats(width=32), max_size=6)))
    for number, kind in draw(st.lists(st.tuples(texts, st.integers(0, 3)), max_size=3)):
        person.phones.add(number=number, type=kind)  # 3: a value the enum does not name
    for key, value in draw(st.dictionaries(texts, texts, max_size=3)).items():
        person.labels[key] = value
    contact = draw(st.sampled_from(["none", "slack", "extension"]))
    if contact == "slack":
        person.slack = draw(texts)
    elif contact == "extension":
        person.extension = draw(st.integers(0, 2**32 - 1))
    return person


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(people())
# Packed floats whose bytes are clear text (" knN knN"): the schema's reading applies
# though the text scores too high for the packed readings to be scored.
@example(_class(PERSON)(weights=[999999488.0, 999999488.0]))
def test_people_round_trip(person: Any) -> None:
    round_trip(person)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(people(), max_size=5))
def test_address_books_round_trip(persons: list[Any]) -> None:
    book = _class(BOOK)()
    for person in persons:
        book.people.add().CopyFrom(person)
    round_trip(book)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=30)


def _value(data: Any) -> struct_pb2.Value:
    value = struct_pb2.Value()
    if data is None:
        value.null_value = struct_pb2.NULL_VALUE
    elif isinstance(data, bool):
        value.bool_value = data
    elif isinstance(data, float):
        value.number_value = data
    elif isinstance(data, str):
        value.string_value = data
    elif isinstance(data, list):
        for item in data:
            value.list_value.values.add().CopyFrom(_value(item))
    else:
        for key, item in data.items():
            value.struct_value.fields[key].CopyFrom(_value(item))
    return value


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values, st.integers(0, 12))
def test_struct_values_round_trip(data: Any, depth: int) -> None:
    for _ in range(depth):
        data = {"nested": data}
    round_trip(_value(data))


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**40), st.integers(0, 10**9 - 1), texts)
def test_anys_round_trip(seconds: int, nanos: int, text: str) -> None:
    holder = any_pb2.Any()
    holder.Pack(timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos))
    round_trip(holder)
    holder.Pack(_value(text))
    round_trip(holder)
