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
