"""Kind inference: the cases other decoders get wrong (the ground truth of real schemas is
``tests/protobuf/groundtruth``)."""

from __future__ import annotations

import pytest

from wiretool.protobuf.model import Kind, PackedType
from wiretool.protobuf.wire import decode, decode_message


def string_field(number: int, text: bytes) -> bytes:
    return bytes([number << 3 | 2, len(text)]) + text


# Strings that protoc --decode_raw, protobuf-inspector or bbpb read as nested
# messages or groups (collected from their issue trackers).
ADVERSARIAL_STRINGS = [b"hi", b"k", b"xs", b"image.png", b"inputType", b"unverifiedLazy",
                       b"apple_pay", b"PLAYERGROUP", b"cd", b"{}", b"ok", b"id"]


@pytest.mark.parametrize("text", ADVERSARIAL_STRINGS, ids=lambda t: t.decode())
def test_short_strings_are_strings(text: bytes) -> None:
    message, _ = decode_message(string_field(1, text))
    field = message.fields[0]
    assert field.kind is Kind.STRING, (text, field.kind)
    assert field.value == text.decode()


def test_strings_that_also_parse_list_message_as_alternative() -> None:
    message, _ = decode_message(string_field(2, b"hi"))  # 'h' 'i' = field 13 varint 105
    assert Kind.MESSAGE in message.fields[0].alternatives


def test_packed_varints_are_detected() -> None:
    # field 5, LEN 7: 01 02 03 96 01 ac 02 = [1, 2, 3, 150, 300]; not a message
    # (0x01 is field 0), not text (control bytes).
    message, _ = decode_message(bytes.fromhex("2a07010203960 1ac02".replace(" ", "")))
    field = message.fields[0]
    assert (field.kind, field.packed_type, field.values) == (
        Kind.PACKED, PackedType.VARINT, (1, 2, 3, 150, 300))


def test_packed_negative_int32s() -> None:
    minus_one = bytes.fromhex("ffffffffffffffffff01")
    payload = minus_one + b"\x05" + minus_one
    message, _ = decode_message(bytes([0x2A, len(payload)]) + payload)
    assert message.fields[0].kind is Kind.PACKED
    assert message.fields[0].values == (2**64 - 1, 5, 2**64 - 1)


def test_packed_floats_are_detected() -> None:
    # field 14, LEN 8: 0.5f, 1.25f
    message, _ = decode_message(bytes.fromhex("7208 0000003f 0000a03f".replace(" ", "")))
    assert message.fields[0].packed_type is PackedType.FIXED32


def test_repeated_field_does_not_flip_between_siblings() -> None:
    # Two occurrences of field 4 holding a sub-message {1: "ab"}; the second has a
    # payload that alone would read as text ("\n\x02ab" has a control byte, but
    # "\n\nabcdefghij" does not) - consistency keeps both as messages.
    first = b"\x0a\x02ab"
    second = b"\x0a\x0aabcdefghij"
    data = bytes([0x22, len(first)]) + first + bytes([0x22, len(second)]) + second
    message, _ = decode_message(data)
    assert [f.kind for f in message.fields] == [Kind.MESSAGE, Kind.MESSAGE]


def test_field_path_is_consistent_across_a_stream() -> None:
    # A delimited stream of three messages whose field 1 is a sha-like blob in two and
    # a blob that would parse as packed varints in the third: all three are bytes.
    blobs = [bytes.fromhex("8f9e3c77a1b2c3d4e5f60718293a4b5c"),
             bytes.fromhex("fa4b2c3d1e0f9a8b7c6d5e4f3a2b1c0d"),
             bytes.fromhex("0102030405060708090a0b0c0d0e0f01")]
    stream = b"".join(bytes([18, 0x0A, 16]) + blob for blob in blobs)
    result = decode(stream, framing="delimited")
    kinds = {m.fields[0].kind for m in result.messages}
    assert len(kinds) == 1
