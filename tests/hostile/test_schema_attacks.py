"""Hostile protobuf with a schema (issue 19): the schema never wins over the bytes.

A value read with one wire type never reaches the reading of a declared type that
needs another (a varint into a float, a packed varint list into packed floats, a
length-delimited payload into an int, a group where a message belongs); it keeps its
raw reading, and an error says "declared TYPE but wire type W at offset N". A value
of the right wire type outside its type's range (an int32 beyond 32 bits, a bool of
2) is read as protobuf parsers read it, with a warning that gives the raw value.

Schema: tests/hostile/data/hostile.proto (``hostile.Node``: one field of each scalar
type, numbered by its FieldDescriptorProto type number, packed fields at 20 + that
number, groups, maps, recursion, well-known types).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from google.protobuf.descriptor import FieldDescriptor

from tests.hostile.helpers import ROOT, cli, varint
from wiretool.errors import Severity
from wiretool.protobuf import wire
from wiretool.protobuf.annotate import (
    AnnotatedView,
    DescriptorHints,
    annotate,
    declared_wire_type,
    read_scalar,
)
from wiretool.protobuf.model import DecodeResult, Field, Kind, Message, PackedType, WireType
from wiretool.protobuf.schema import load_schema

DATA = Path(__file__).parent / "data"
HOSTILE_PROTO = DATA / "hostile.proto"
NODE = load_schema([HOSTILE_PROTO]).resolve_type("hostile.Node")
PERSON_PROTO = ROOT / "samples" / "person.proto"

# Issue 19, reproducer 1: 183 bytes a fuzzer reached; field 14 (repeated float, packed)
# carries a payload that is not a whole number of floats, so the decoder read it as
# packed varints, and those varints reached the float reading (struct.error).
ISSUE_19_PERSON = bytes.fromhex(
    "0a 0c 41 64 55 55 55 55 55 55 55 55 55 55"  # 1 name: "AdUUUUUUUUUU"
    " 55 55 55 55 55  55 55 55 55 55  55 55 55 55 55  55 55 55 55 55"  # 10 (slack, a string) as fixed32, at 14, 19, 24, 29
    " 55 55 55 55 55  55 55 55 55 55  55 55 55 72 72"  # ... at 34, 39, 44
    " 72 72"  # 14 weights (repeated float, packed) at 49: 114 bytes, not a multiple of 4
    " 72 72 72 72 72 72 72 72 72 72 72 72 4c 01 00 00 00 00 00 00 20 0f 2b 32 34 e0 c8 c8"
    " cf 30 20 39 30 30 31 32 33 2a 07 01 02 03 96 01 ac 02 30 c3 13 39 00 00 00 00 00 00"
    " ec 3f 42 20 fd ee 43 0d 40 bd 3b 57 de ea 27 c1 86 cd 60 97 90 03 3d 0f 06 f9 09 a8"
    " 80 6e 7c e6 e7 17 ab 7c 7d 50 29 4a 19 0a 04 74 65 61 6d 61 60 fb 98 92 03 3d 0f 06"
    " f9 09"
    " a8 80 6e 7c"  # 165: field 225285 varint 124 (unknown)
    " ff ff ff 20 72 72 72 72 72 72 72 72 a0 3f"  # 169: wire type 7: unparsed to the end
)


def decode_node(data: bytes) -> DecodeResult:
    return annotate(wire.decode(data, framing="none", hints=DescriptorHints(NODE)), NODE)


def streamed_node(data: bytes) -> tuple[list[Field], list[Any]]:
    """The view ``decode --proto`` renders from (fields annotated while they are read)."""
    view = AnnotatedView(
        wire.decode_stream(data, framing="none", hints=DescriptorHints(NODE)), NODE)
    fields = [f for _, fs in view.parts() for f in fs]
    return fields, view.diagnostics


def only(result: DecodeResult) -> Field:
    [message] = result.messages
    [field] = message.fields
    return field


def messages(result: DecodeResult, severity: Severity) -> list[str]:
    return [d.message for d in result.diagnostics if d.severity is severity]


# -- the reproducer ----------------------------------------------------------------------


def test_issue_19_reproducer_decodes_with_diagnostics_and_exit_1() -> None:
    for fmt in ("json", "table", "hexdump"):
        run = cli("decode", "--proto", str(PERSON_PROTO), "-t", "Person", "-f", fmt, "-i", "raw",
                  stdin=ISSUE_19_PERSON)
        assert run.code == 1, fmt
    doc = cli("decode", "--proto", str(PERSON_PROTO), "-t", "Person", "-f", "json", "-i", "raw",
              stdin=ISSUE_19_PERSON).json()
    assert isinstance(doc, dict)
    fields = doc["messages"][0]["fields"]
    weights = next(f for f in fields if f["number"] == 14)
    # The raw reading stays (114 bytes of no plausible floats: bytes, or packed varints
    # as the rules read it before 18f), without a schema reading of it.
    assert weights["kind"] == "bytes" or (weights["kind"], weights["packed_type"]) == ("packed", "varint")
    assert "name" not in weights and "display" not in weights
    texts = [d["message"] for d in doc["diagnostics"]]
    assert any(t.startswith("field 14 at offset 49: the schema says packed fixed32") for t in texts)
    assert ("field 10 (slack): declared string but wire type I32 at offset 14; shown as read, "
            "without schema") in texts
    assert doc["diagnostics"][-1]["message"].startswith("invalid wire type 7 in tag at offset 169")


# -- every wire type against every declared scalar type ----------------------------------


def encoded(number: int, wire_type: WireType) -> bytes:
    """One occurrence of field ``number`` with ``wire_type`` and a payload that reads."""
    tag = varint(number << 3 | wire_type)
    if wire_type is WireType.VARINT:
        return tag + varint(0xFFFF_FFFF_FFFF_FFFF)  # 10 bytes: every bit set
    if wire_type is WireType.I64:
        return tag + bytes.fromhex("0000 0000 0000 f07f")  # double +inf
    if wire_type is WireType.I32:
        return tag + bytes.fromhex("0000 c03f")  # float 1.5
    if wire_type is WireType.LEN:
        return tag + b"\x03" + b"\x08\x96\x01"  # a message, a packed varint, 3 bytes
    end = varint(number << 3 | WireType.EGROUP)
    return tag + b"\x08\x01" + end  # a group holding field 1 = 1


SCALARS = [fd for fd in NODE.fields if fd.number < 20 and fd.type not in (
    FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES, FieldDescriptor.TYPE_MESSAGE,
    FieldDescriptor.TYPE_GROUP)]
WIRE_TYPES = [WireType.VARINT, WireType.I64, WireType.LEN, WireType.SGROUP, WireType.I32]


@pytest.mark.parametrize("fd", SCALARS, ids=lambda fd: fd.name)
def test_each_scalar_type_meets_each_wire_type(fd: FieldDescriptor) -> None:
    assert len(SCALARS) == 14
    for wire_type in WIRE_TYPES:
        data = encoded(fd.number, wire_type)
        result = decode_node(data)
        field = only(result)
        streamed, diagnostics = streamed_node(data)
        assert streamed == [field]
        assert [d.message for d in diagnostics] == [d.message for d in result.diagnostics]
        if wire_type is declared_wire_type(fd):
            assert field.schema is not None and field.schema.name == fd.name
            assert messages(result, Severity.ERROR) == []
            continue
        assert field.schema is None, (fd.name, wire_type)  # the raw reading, unnamed
        assert field.wire_type is wire_type
        declared = (fd.message_type and "." + fd.message_type.full_name) or (
            "." + fd.enum_type.full_name if fd.enum_type else None)
        type_name = declared or {FieldDescriptor.TYPE_FLOAT: "float"}.get(fd.type) or \
            fd.name.removeprefix("f_")
        expected = (f"field {fd.number} ({fd.name}): declared {type_name} but wire type "
                    f"{wire_type.name} at offset 0; shown as read, without schema")
        assert messages(result, Severity.ERROR) == [expected], (fd.name, wire_type)


def test_read_scalar_never_trusts_the_schema_over_the_wire_type() -> None:
    by_name = {fd.name: fd for fd in NODE.fields}
    # A varint where a float belongs: the raw value, flagged, however large it is.
    reading = read_scalar(by_name["f_float"], 1 << 63, WireType.VARINT)
    assert reading == (1 << 63, "wire type VARINT", True)
    # The right wire type with more bits than it can carry: not read as a float either.
    reading = read_scalar(by_name["f_float"], 1 << 40, WireType.I32)
    assert reading.mismatch and reading.value == 1 << 40
    reading = read_scalar(by_name["f_double"], 1 << 64, WireType.I64)
    assert reading.mismatch and reading.value == 1 << 64
    # A fixed64 where an int32 belongs, and an I32 where a bool belongs.
    assert read_scalar(by_name["f_int32"], 5, WireType.I64).mismatch
    assert read_scalar(by_name["f_bool"], 1, WireType.I32).mismatch
    assert read_scalar(by_name["f_double"], 0x3FF0000000000000, WireType.I64) == (1.0, None,
                                                                                 False)


# -- packed fields whose elements are not the declared type's ----------------------------


@pytest.mark.parametrize("name, payload", [
    ("p_float", "01 02 03"),  # 3 bytes: not floats, reads as packed varints
    ("p_double", "01 02 03 04 05 06 07 08 09"),  # 9 bytes: not doubles
    ("p_fixed32", "96 01"),  # 2 bytes
    ("p_sfixed64", "01 02 03 04"),  # 4 bytes: fixed32s, not fixed64s
    ("p_int32", "80 80"),  # not even varints: a truncated one
])
def test_packed_payload_that_is_not_the_declared_elements(name: str, payload: str) -> None:
    fd = NODE.fields_by_name[name]
    body = bytes.fromhex(payload)
    data = varint(fd.number << 3 | 2) + varint(len(body)) + body
    result = decode_node(data)
    field = only(result)
    assert field.schema is None  # no reading of other elements as the declared type
    [error] = messages(result, Severity.ERROR)
    assert error.startswith(f"field {fd.number} at offset 0: the schema says packed ")
    streamed, diagnostics = streamed_node(data)
    assert streamed == [field] and [d.message for d in diagnostics] == [error]


def test_hand_built_packed_field_of_other_elements_is_refused_by_annotate() -> None:
    # A tree built elsewhere (or by a decoder that did not report it): packed varints
    # under a packed float. annotate itself says so; the values are not read as floats.
    field = Field(offset=0, number=22, wire_type=WireType.LEN, length=5, tag_length=1,
                  kind=Kind.PACKED, value_offset=2, value_length=3,
                  values=(1 << 40, 2), packed_type=PackedType.VARINT)
    result = annotate(DecodeResult((Message(0, 5, (field,)),), (), 5), NODE)
    assert result.messages[0].fields[0].schema is None
    [error] = messages(result, Severity.ERROR)
    assert error == ("field 22 (p_float): declared repeated float (packed fixed32) but packed "
                     "varint at offset 0; shown as read, without schema")


def test_hand_built_fixed32_under_a_double_is_refused() -> None:
    field = Field(offset=0, number=1, wire_type=WireType.I32, length=5, tag_length=1,
                  kind=Kind.FIXED32, value_offset=1, value_length=4, value=0x7FC00000)
    result = annotate(DecodeResult((Message(0, 5, (field,)),), (), 5), NODE)
    assert result.messages[0].fields[0].schema is None
    assert messages(result, Severity.ERROR) == [
        "field 1 (f_double): declared double but wire type I32 at offset 0; shown as read, "
        "without schema"]


# -- groups and messages ------------------------------------------------------------------


def test_group_field_sent_length_delimited_and_message_field_sent_as_group() -> None:
    result = decode_node(bytes.fromhex(
        "52 02 08 01"  # field 10 (Grp, a group) as LEN: 2 bytes, field 1 = 1
        " 5b 08 01 5c"  # field 11 (f_message, a message) as a group holding field 1 = 1
        " 53 08 01 54"  # field 10 as the group it is
    ))
    grp_as_len, message_as_group, grp = result.messages[0].fields
    assert grp_as_len.schema is None and message_as_group.schema is None
    assert message_as_group.kind is Kind.GROUP and message_as_group.fields[0].value == 1
    assert grp.schema is not None and grp.schema.type == ".hostile.Node.Grp"
    assert messages(result, Severity.ERROR) == [
        "field 10 (grp): declared .hostile.Node.Grp but wire type LEN at offset 0; shown as "
        "read, without schema",
        "field 11 (f_message): declared .hostile.Node but wire type SGROUP at offset 4; shown "
        "as read, without schema",
    ]


def test_mismatch_deep_inside_a_recursive_message_names_its_own_offset() -> None:
    # f_message { f_message { f_float as a varint } }
    inner = bytes.fromhex("10 96 01")  # field 2 (f_float) varint 150
    middle = b"\x5a" + varint(len(inner)) + inner
    data = b"\x5a" + varint(len(middle)) + middle
    result = decode_node(data)
    outer = only(result)
    assert outer.schema is not None and outer.fields[0].schema is not None
    leaf = outer.fields[0].fields[0]
    assert leaf.schema is None and leaf.value == 150
    assert messages(result, Severity.ERROR) == [
        "field 2 (f_float): declared float but wire type VARINT at offset 4; shown as read, "
        "without schema"]


# -- values of the right wire type, out of their type's range ----------------------------


@pytest.mark.parametrize("name, raw, shown, words", [
    ("f_int32", (1 << 32) + 5, 5, "varint 4294967301 is not a 32-bit value: read as 5"),
    ("f_int32", 0xFFFF_FFFF, -1, "varint 4294967295 is not a 32-bit value: read as -1"),
    ("f_enum", 1 << 40, "RED", "varint 1099511627776 is not a 32-bit value: read as 0"),
    ("f_enum", (1 << 33) + 2, "BLUE", "read as 2 (its low 32 bits)"),
    ("f_bool", 2, True, "varint 2 is not 0 or 1: read as true"),
    ("f_uint32", (1 << 33) + 7, 7, "varint 8589934599 is not a 32-bit value: read as 7"),
    ("f_sint32", (1 << 32) + 3, -2, "varint 4294967299 is not a 32-bit value: read as -2"),
])
def test_out_of_range_values_are_read_as_parsers_do_with_a_warning(
    name: str, raw: int, shown: object, words: str
) -> None:
    fd = NODE.fields_by_name[name]
    result = decode_node(varint(fd.number << 3) + varint(raw))
    field = only(result)
    assert field.value == raw  # the raw reading is kept in the model (and the JSON)
    assert field.schema is not None and field.schema.display == shown
    assert messages(result, Severity.ERROR) == []
    [warning] = messages(result, Severity.WARNING)
    assert warning.startswith(f"field {fd.number} ({name}) at offset 0: declared ")
    assert words in warning


def test_in_range_values_give_no_warning() -> None:
    data = b"".join([
        bytes.fromhex("28") + varint((1 << 64) - 42),  # f_int32 -42, sign-extended (10 bytes)
        bytes.fromhex("40 01"),  # f_bool true
        bytes.fromhex("70") + varint((1 << 64) - 1),  # f_enum -1 (unknown value, proto2)
        bytes.fromhex("68") + varint((1 << 32) - 1),  # f_uint32 max
        bytes.fromhex("18") + varint(1 << 63),  # f_int64 min
    ])
    result = decode_node(data)
    assert result.diagnostics == ()
    displays = [f.schema.display for f in result.messages[0].fields if f.schema]
    assert displays == [-42, True, -1, (1 << 32) - 1, -(1 << 63)]


def test_packed_elements_out_of_range_one_warning_per_field() -> None:
    body = varint(5) + varint(1 << 35) + varint((1 << 32) + 1) + varint(7)
    data = b"\xca\x01" + varint(len(body)) + body  # field 25 (p_int32) packed
    result = decode_node(data)
    field = only(result)
    assert field.schema is not None and field.schema.display == "[5, 0, 1, 7]"
    [warning] = messages(result, Severity.WARNING)
    assert warning == (
        "field 25 (p_int32) at offset 0: declared int32, but 2 of its 4 packed elements are "
        "out of range; the first: varint 34359738368 is not a 32-bit value: read as 0 (its low "
        "32 bits)")


# -- through the command, every view ------------------------------------------------------


def test_decode_views_show_the_raw_reading_and_the_diagnostic() -> None:
    data = bytes.fromhex("10 96 01  0d 00 00 c0 7f  40 02")  # f_float as varint; f_double as fixed32; f_bool 2
    args = ("decode", "--proto", str(HOSTILE_PROTO), "-t", "hostile.Node", "-i", "raw")
    doc = cli(*args, "-f", "json", stdin=data).json()
    assert isinstance(doc, dict)
    f_float, f_double, f_bool = doc["messages"][0]["fields"]
    assert f_float["value"] == 150 and "display" not in f_float
    assert f_double["float"] == "NaN" and "display" not in f_double
    assert f_bool["value"] == 2 and f_bool["display"] is True
    assert [(d["severity"], d["offset"]) for d in doc["diagnostics"]] == [
        ("error", 0), ("error", 3), ("warning", 8)]
    table = cli(*args, "-f", "table", stdin=data)
    assert table.code == 1
    assert "error: offset 0: field 2 (f_float): declared float but wire type VARINT at offset 0" in (
        table.stdout)
    assert "warning: offset 8: field 8 (f_bool) at offset 8: declared bool, but varint 2 is not 0 or 1" in (
        table.stdout)
    hexdump = cli(*args, "-f", "hexdump", stdin=data)
    assert hexdump.code == 1 and "declared double but wire type I32 at offset 3" in hexdump.stdout


def test_compare_json_binary_with_mismatches_is_compared_not_crashed() -> None:
    for data in (ISSUE_19_PERSON, bytes.fromhex("10 96 01 0d 00 00 c0 7f 40 02 ca 01 02 80 80")):
        for fmt in ("json", "table"):
            run = cli("compare-json", "--proto", str(HOSTILE_PROTO), "-t", "hostile.Node",
                      "-i", "raw", "-f", fmt, stdin=data)
            assert run.code in (0, 1)
            if fmt == "json":
                doc = run.json()
                assert isinstance(doc, dict) and doc["protobuf"]["bytes"] > 0


def test_views_never_read_an_element_wider_than_its_type_as_a_float() -> None:
    from wiretool.render.protobuf_values import describe_value

    field = Field(offset=0, number=1, wire_type=WireType.LEN, length=3, tag_length=1,
                  kind=Kind.PACKED, value_offset=2, value_length=1,
                  values=(0x3FC00000, 1 << 40), packed_type=PackedType.FIXED32)
    assert describe_value(field) == "[1.5, 1099511627776]"
