"""Byte-level tests of the wire walker (protobuf encoding spec)."""

from __future__ import annotations

import pytest

from tests.protobuf.test_properties import varint
from wiretool.errors import Severity
from wiretool.protobuf.model import Kind, PackedType, WireType
from wiretool.protobuf.wire import decode, decode_message, read_varint


def h(text: str) -> bytes:
    """Hex with '#' comments, as written in these tests."""
    return bytes.fromhex("".join(line.split("#")[0] for line in text.splitlines()))


def test_varint_readings() -> None:
    data = h("""
        08 96 01                       # field 1 varint 150
        10 ff ff ff ff ff ff ff ff ff 01  # field 2 varint 2^64-1 (int64 -1)
        18 03                          # field 3 varint 3 (zigzag -2)
        20 01                          # field 4 varint 1 (bool true)
    """)
    message, diagnostics = decode_message(data)
    assert diagnostics == []
    f1, f2, f3, f4 = message.fields
    assert (f1.offset, f1.number, f1.wire_type, f1.length, f1.value) == (0, 1, WireType.VARINT, 3, 150)
    assert (f1.tag_length, f1.value_offset, f1.value_length) == (1, 1, 2)
    assert f2.value == 2**64 - 1 and f2.signed == -1 and f2.length == 11
    assert f3.zigzag == -2 and f3.boolean is None
    assert f4.boolean is True
    assert all(isinstance(f.value, int) for f in message.fields)  # exact, never floats


def test_fixed_readings() -> None:
    data = h("""
        0d 00 00 80 3f                 # field 1 fixed32: float 1.0
        11 00 00 00 00 00 00 f0 bf     # field 2 fixed64: double -1.0
        1d ff ff ff ff                 # field 3 fixed32: signed -1
    """)
    message, _ = decode_message(data)
    f1, f2, f3 = message.fields
    assert f1.kind is Kind.FIXED32 and f1.value == 0x3F800000 and f1.floating == 1.0
    assert f2.kind is Kind.FIXED64 and f2.floating == -1.0
    assert f2.signed == int.from_bytes(bytes.fromhex("000000000000f0bf"), "little", signed=True)
    assert f3.signed == -1 and f3.value == 0xFFFFFFFF


def test_overlong_varint_is_accepted_and_flagged() -> None:
    data = h("08 80 00   # field 1 varint 0 written in two bytes")
    message, diagnostics = decode_message(data)
    assert diagnostics == []
    assert message.fields[0].value == 0 and message.fields[0].overlong


def test_nested_message_offsets_are_absolute() -> None:
    data = h("""
        0a 05                          # field 1 LEN 5
           08 01                       #   field 1 varint 1   (offset 2)
           12 01 78                    #   field 2 LEN "x"    (offset 4, payload at 6)
    """)
    message, _ = decode_message(data)
    outer = message.fields[0]
    assert outer.kind is Kind.MESSAGE and outer.length == 7 and outer.value_offset == 2
    inner1, inner2 = outer.fields
    assert (inner1.offset, inner2.offset, inner2.value_offset) == (2, 4, 6)


def test_group_is_nested() -> None:
    data = h("""
        0b                             # field 1 start group
           10 2a                       #   field 2 varint 42
        0c                             # field 1 end group
    """)
    message, diagnostics = decode_message(data)
    assert diagnostics == []
    group = message.fields[0]
    assert group.kind is Kind.GROUP and group.length == 4 and group.value_length == 2
    assert group.fields[0].value == 42


@pytest.mark.parametrize(
    ("hex_text", "fault_offset", "tail_offset", "words"),
    [
        ("08 96 01 1a c8 01 61 62", 3, 3, "field 3 at offset 3 declares 200 bytes, 2 remain"),
        ("08 96 01 0e 01", 3, 3, "invalid wire type 6"),
        ("08 96 01 0f", 3, 3, "invalid wire type 7"),
        ("08 96 01 00 01", 3, 3, "field number 0"),
        ("08 96 01 0c", 3, 3, "no matching start-group"),
        ("08 96", 1, 0, "runs past the end"),
        ("08 " + "80 " * 10 + "01", 1, 0, "longer than 10 bytes"),
        ("0d 00 00", 0, 0, "needs 4 bytes, 2 remain"),
    ],
)
def test_faults_keep_the_valid_part(hex_text: str, fault_offset: int, tail_offset: int,
                                    words: str) -> None:
    data = bytes.fromhex(hex_text)
    message, diagnostics = decode_message(data)
    assert len(diagnostics) == 1
    assert diagnostics[0].severity is Severity.ERROR
    assert diagnostics[0].offset == fault_offset
    assert words in diagnostics[0].message
    assert message.unparsed is not None and message.unparsed.offset == tail_offset
    # nothing lost: fields and the unparsed tail tile the input
    covered = sum(f.length for f in message.fields) + message.unparsed.length
    assert covered == len(data)


def test_mismatched_and_unclosed_groups_are_diagnostics() -> None:
    mismatched = h("0b 10 01 14   # group 1 closed by end-group of field 2")
    message, diagnostics = decode_message(mismatched)
    assert any("does not match the start-group of field 1" in d.message for d in diagnostics)
    assert message.fields[0].kind is Kind.GROUP and message.unparsed is not None
    assert message.fields[0].length + message.unparsed.length == len(mismatched)
    unclosed = h("0b 10 01      # group 1 never closed")
    message, diagnostics = decode_message(unclosed)
    assert any("not closed" in d.message for d in diagnostics)
    assert message.fields[0].length == 3


def test_deep_nesting_stops_at_max_depth_without_recursion_error() -> None:
    data = b""
    for _ in range(10_000):
        data = b"\x0a" + varint(len(data)) + data
    message, diagnostics = decode_message(data, max_depth=100)
    depth, field = 1, message.fields[0]
    while field.fields:
        depth += 1
        field = field.fields[0]
    assert depth == 100 and not field.expanded
    assert any("--max-depth 100" in d.message and d.severity is Severity.WARNING
               for d in diagnostics)


def test_deep_groups_do_not_recurse() -> None:
    data = b"\x0b" * 100_000 + b"\x0c" * 100_000
    message, diagnostics = decode_message(data, max_depth=50)
    assert message.fields[0].kind is Kind.GROUP
    assert message.fields[0].length == len(data)
    assert all(d.severity is not Severity.ERROR for d in diagnostics)


def test_read_varint() -> None:
    assert read_varint(b"\x96\x01", 0, 2) == (150, 2)
    with pytest.raises(ValueError, match="runs past the end"):
        read_varint(b"\x96", 0, 1)


def test_offset_starts_inside_a_blob() -> None:
    data = h("ff ff ff   08 01   # three junk bytes, then field 1 varint 1")
    result = decode(data, start=3, framing="none")
    assert result.ok and result.start == 3
    assert result.messages[0].fields[0].offset == 3


def test_packed_reading_has_elements() -> None:
    data = h("2a 07 01 02 03 96 01 ac 02   # field 5 packed [1, 2, 3, 150, 300]")
    message, _ = decode_message(data)
    field = message.fields[0]
    assert field.kind is Kind.PACKED and field.packed_type is PackedType.VARINT
    assert field.values == (1, 2, 3, 150, 300)

