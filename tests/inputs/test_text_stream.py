"""Incremental reading of hex text dumps (``wiretool.inputs.iter_text_dump``): the same
bytes as the whole-input reader ``decode_input``, for every layout, however the input
is cut into lines."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.errors import InputError
from wiretool.inputs import decode_input, detect_text_dump, iter_text_dump

PAYLOAD = bytes.fromhex("0a0c416461204c6f76656c616365109707")  # 1: "Ada Lovelace", 2: 919

XXD = b"""00000000: 0a0c 4164 6120 4c6f 7665 6c61 6365 1097  ..Ada Lovelace..
00000010: 07                                       .
"""
HEXDUMP_C = b"""00000000  0a 0c 41 64 61 20 4c 6f  76 65 6c 61 63 65 10 97  |..Ada Lovelace..|
00000010  07                                                |.|
00000011
"""


def streamed(text: bytes, fmt: str = "auto") -> bytes:
    return b"".join(iter_text_dump(io.BytesIO(text), fmt))


@pytest.mark.parametrize(
    ("text", "layout"),
    [
        (XXD, "xxd dump"),
        (HEXDUMP_C, "hexdump -C dump"),
        (PAYLOAD.hex().encode(), "hex"),
        (PAYLOAD.hex(" ").encode() + b"\n", "hex"),
        (PAYLOAD.hex(":").upper().encode(), "hex"),
        (b", ".join(b"0x%02x" % b for b in PAYLOAD), "hex"),
        (b"".join(b"\\x%02x" % b for b in PAYLOAD), "hex"),
        (PAYLOAD.hex("\n", 4).encode() + b"\n", "hex"),
        (b"0a0\nc41\r\n64", "hex"),  # a byte's two digits on two lines
    ],
)
def test_same_bytes_as_the_whole_reader(text: bytes, layout: str) -> None:
    assert detect_text_dump(text) == layout
    assert streamed(text) == decode_input(text).data
    assert streamed(text, layout) == decode_input(text).data


@pytest.mark.skipif(not (shutil.which("xxd") and shutil.which("hexdump")),
                    reason="needs xxd and hexdump")
def test_real_xxd_and_hexdump_output_of_a_big_input() -> None:
    data = bytes(range(256)) * 300 + b"\x00" * 64  # repeated lines: hexdump -C would elide
    xxd = subprocess.run(["xxd"], input=data, capture_output=True, check=True).stdout
    assert streamed(xxd) == data
    dump = subprocess.run(["hexdump", "-Cv"], input=data, capture_output=True,
                          check=True).stdout
    assert streamed(dump) == data
    elided = subprocess.run(["hexdump", "-C"], input=data, capture_output=True,
                            check=True).stdout
    with pytest.raises(InputError, match=r"left out repeated lines.*hexdump -Cv"):
        streamed(elided)


def test_memory_bounded_by_a_line_yields_as_it_reads() -> None:
    lines = iter(XXD.splitlines(keepends=True) * 1000)

    class OneLineAtATime(io.RawIOBase):
        def readline(self, size: int | None = -1) -> bytes:
            return next(lines, b"")

    pieces = iter_text_dump(OneLineAtATime(), "xxd dump")  # type: ignore[arg-type]
    assert next(pieces) == PAYLOAD[:16]
    assert next(pieces) == PAYLOAD[16:]


def test_a_long_single_line_of_hex_is_read_in_pieces() -> None:
    data = bytes(range(256)) * 1024  # 512 KiB of hex digits on one line
    pieces = list(iter_text_dump(io.BytesIO(data.hex().encode()), "hex"))
    assert b"".join(pieces) == data and len(pieces) > 4
    spaced = b", ".join(b"0x%02x" % b for b in data)  # 0x prefixes cut by piece boundaries
    assert streamed(spaced) == data


@pytest.mark.parametrize(
    ("text", "fmt", "message", "offset"),
    [
        (XXD * 20 + b"00000011: zz\n", "auto", r"line 41 \(offset 2420\) is not a xxd dump "
         "line", 2420),
        (b"0a0c\n0a0g\n", "hex", r"unexpected character 'g' at offset 8", 8),
        (b"0a0c\n0a0\n", "hex", r"odd number of hex digits", 9),
        (b"hello world\n", "auto", r"not hex text", 0),
    ],
)
def test_a_line_that_does_not_fit_says_where(text: bytes, fmt: str, message: str,
                                             offset: int) -> None:
    with pytest.raises(InputError, match=message) as info:
        streamed(text, fmt)
    assert info.value.offset == offset


def test_detection_looks_at_complete_first_lines_only() -> None:
    head = XXD + b"00000011: 07"  # the head of a longer input, cut mid-line
    assert detect_text_dump(head[:-3]) == "xxd dump"
    assert detect_text_dump(b"\x00\x01binary") is None
    assert detect_text_dump(b"SGVsbG8gd29ybGQ=\n") is None  # base64: read whole instead


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=300), layout=st.sampled_from(["plain", "spaced", "0x", "xxd"]),
       width=st.integers(1, 40), crlf=st.booleans())
def test_any_bytes_any_line_width(data: bytes, layout: str, width: int, crlf: bool) -> None:
    if layout == "xxd":
        text = b"".join(b"%08x: %s  .\n" % (i, data[i : i + 16].hex(" ", 2).encode())
                        for i in range(0, len(data), 16))
    else:
        token = {"plain": b"%02x", "spaced": b"%02x ", "0x": b"0x%02x,"}[layout]
        flat = b"".join(token % b for b in data)
        if layout == "0x":  # a line break inside "0x" is not hex for either reader
            width = max(width // 5, 1) * 5
        text = b"\n".join(flat[i : i + width] for i in range(0, len(flat), width))
    if crlf:
        text = text.replace(b"\n", b"\r\n")
    if not data:
        return
    assert streamed(text) == data == decode_input(text).data
