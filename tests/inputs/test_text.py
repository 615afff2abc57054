"""Input auto-detection: raw, hex (every common spelling), xxd, hexdump -C, base64."""

from __future__ import annotations

import pytest

from wiretool.errors import InputError
from wiretool.inputs import InputFormat, decode_input

PAYLOAD = bytes.fromhex("0a0c416461204c6f76656c616365109707")  # 1: "Ada Lovelace", 2: 919

XXD = b"""00000000: 0a0c 4164 6120 4c6f 7665 6c61 6365 1097  ..Ada Lovelace..
00000010: 07                                       .
"""
HEXDUMP_C = b"""00000000  0a 0c 41 64 61 20 4c 6f  76 65 6c 61 63 65 10 97  |..Ada Lovelace..|
00000010  07                                                |.|
00000011
"""


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        (PAYLOAD.hex().encode(), "hex"),
        (PAYLOAD.hex(" ").encode(), "hex"),
        (PAYLOAD.hex(":").upper().encode(), "hex"),
        (b", ".join(b"0x%02x" % b for b in PAYLOAD), "hex"),
        (b"".join(b"\\x%02x" % b for b in PAYLOAD), "hex"),
        (PAYLOAD.hex("\n", 4).encode() + b"\n", "hex"),
        (XXD, "xxd dump"),
        (HEXDUMP_C, "hexdump -C dump"),
        (b"CgxBZGEgTG92ZWxhY2UQlwc=", "base64"),
        (b"CgxBZGEgTG92ZWxhY2UQlwc", "base64"),
    ],
)
def test_text_encodings_are_detected(text: bytes, detail: str) -> None:
    found = decode_input(text)
    assert found.data == PAYLOAD
    assert found.detail == detail


def test_base64url() -> None:
    data = bytes([0xFB, 0xFF, 0xBF])
    found = decode_input(b"-_-_")
    assert (found.data, found.detail) == (data, "base64url")


def test_binary_is_raw() -> None:
    found = decode_input(PAYLOAD)
    assert (found.data, found.format) == (PAYLOAD, InputFormat.RAW)


def test_forced_raw_keeps_text_bytes() -> None:
    assert decode_input(b"0801", InputFormat.RAW).data == b"0801"


def test_forced_hex_reports_the_bad_character() -> None:
    with pytest.raises(InputError) as info:
        decode_input(b"08 96 zz", InputFormat.HEX)
    assert info.value.offset == 6 and "'z'" in info.value.message


def test_forced_base64_rejects_garbage() -> None:
    with pytest.raises(InputError):
        decode_input(b"!!!", InputFormat.BASE64)


# Binary messages whose bytes are all ASCII text: every one of them decodes as hex or
# base64 if whitespace is skipped. Found in the ground truth of tests/protobuf/groundtruth.
ASCII_MESSAGES = [
    # 0a 0c "order_sample": field 1, 12 bytes (\n, form feed) - base64url "order_sample"
    bytes.fromhex("0a0c") + b"order_sample",
    # 0a 0b "IRV3E2p0n32": field 1, 11 bytes (\n, vertical tab) - base64
    bytes.fromhex("0a0b") + b"IRV3E2p0n32",
    # 0a 0a "/task/beta": field 1, 10 bytes (\n, \n) - base64 of the text after them
    bytes.fromhex("0a0a") + b"/task/beta",
    # 0a 20 <32 hex digits>: field 1, a trace id as text (32 bytes: a space) - hex
    bytes.fromhex("0a20") + b"4bf92f3577b34da6a3ce929d0e0e4736",
    # 0d 41424344: field 1 fixed32 (\r) "ABCD" - base64
    bytes.fromhex("0d") + b"ABCD",
]


@pytest.mark.parametrize("data", ASCII_MESSAGES, ids=lambda d: repr(d[:6]))
def test_binary_messages_that_are_ascii_text_are_raw(data: bytes) -> None:
    found = decode_input(data)
    assert (found.data, found.format) == (data, InputFormat.RAW)


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        (b"  " + PAYLOAD.hex(" ").encode() + b"\n", "hex"),  # indented
        (b"\t" + PAYLOAD.hex().encode(), "hex"),  # indented with a tab
        (PAYLOAD.hex("\n", 4).encode() + b"\r\n", "hex"),
        (b"CgxBZGEgTG92ZWxhY2UQlwc=\r\n", "base64"),
    ],
)
def test_text_that_starts_or_ends_with_whitespace_is_still_text(text: bytes, detail: str) -> None:
    found = decode_input(text)
    assert (found.data, found.detail) == (PAYLOAD, detail)


def test_a_leading_line_break_is_read_as_binary_unless_forced() -> None:
    text = b"\n" + PAYLOAD.hex().encode()
    assert decode_input(text).format is InputFormat.RAW
    assert decode_input(text, InputFormat.HEX).data == PAYLOAD
