"""Turn what the user gave us into bytes: raw binary, hex text, hex dumps, base64.

Auto-detection, in order (the first that fits wins):

1. not ASCII text (or controls other than tab and line breaks, or a line break
   first: a binary message starting with field 1)  -> raw binary;
2. ``xxd`` dump (``00000000: 0a03 6162  ..ab``) -> hex dump;
3. ``hexdump -C`` dump (``00000000  0a 03 |..|``) -> hex dump;
4. hex digits with optional whitespace, ``0x``/``\\x`` prefixes and ``:``/``,``/``-``
   separators, an even number of digits       -> hex;
5. base64 or base64url (padding optional)      -> base64;
6. text that is *almost* one of them (an odd number of hex digits, ``...`` at the
   end, a ``key=`` prefix, quotes or ``b'...'`` around it, braces around ``0x..``
   bytes) -> an ``InputError`` that says what to fix at which character offset
   (``almost_encoded``), rather than the text's own bytes decoded as a message;
7. anything else                               -> raw binary.

Hex wins over base64 for text that is both (``deadbeef``); ``--input-format``
forces a reading. This module reads files and stdin and nothing else; it knows
nothing about protobuf or HTTP/2.
"""

from __future__ import annotations

import base64
import binascii
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

from wiretool.errors import InputError


class InputFormat(StrEnum):
    """How the input's bytes are written."""

    AUTO = "auto"
    RAW = "raw"
    HEX = "hex"
    BASE64 = "base64"


@dataclass(frozen=True, slots=True)
class DecodedInput:
    """The bytes to decode and how they were found."""

    data: bytes
    """The binary payload."""
    format: InputFormat
    """The format that was read (never ``AUTO``)."""
    detail: str
    """A more precise name of the layout, e.g. ``xxd dump`` or ``base64url``."""


_XXD_LINE = re.compile(rb"^\s*[0-9a-fA-F]{4,16}:\s")
_HEXDUMP_C_LINE = re.compile(rb"^[0-9a-fA-F]{7,16}(\s\s|\s*$)")
_HEX_TOKEN_SEPARATORS = re.compile(rb"0[xX]|\\[xX]|[\s:,\-]")
_HEX_DIGITS = re.compile(rb"^[0-9a-fA-F]*$")
_BASE64 = re.compile(rb"^[A-Za-z0-9+/]*={0,2}$")
_BASE64URL = re.compile(rb"^[A-Za-z0-9\-_]*={0,2}$")
_NOT_TEXT = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""Controls other than tab, line feed and carriage return."""
_LINE_BREAKS = b"\n\r"
_BLANK = re.compile(rb"[ \t\r\n]*\Z")
"""Nothing but spaces and line breaks (a match stops at the first other byte: a binary
message is not copied to find out, as ``strip`` would)."""


def read_source(path: str) -> bytes:
    """Read a whole file, or standard input when ``path`` is ``-``."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def decode_input(raw: bytes, fmt: InputFormat = InputFormat.AUTO, *,
                 hints: bool = True) -> DecodedInput:
    """Return the binary payload written in ``raw``, detecting the format unless forced.

    Raises InputError (with a character offset) when a forced format does not fit, and,
    with ``hints``, when detected text is almost hex or base64 (rule 6 above); without,
    such text is raw binary, as any other.
    """
    if fmt is InputFormat.RAW:
        return DecodedInput(raw, InputFormat.RAW, "raw binary")
    if fmt is InputFormat.HEX:
        found = _try_hex(raw)
        if found is None:
            raise InputError(_explain_bad_hex(raw), _first_bad_hex(raw))
        return found
    if fmt is InputFormat.BASE64:
        found = _try_base64(raw)
        if found is None:
            raise InputError("input is not valid base64 or base64url")
        return found
    if raw and _BLANK.match(raw):
        # ``echo "$BLOB"`` with an empty variable: a line break, not a message (as bytes
        # it would be a truncated field 1); ``--input-format raw`` reads it as bytes.
        return DecodedInput(b"", InputFormat.HEX, "empty text (whitespace only)")
    if not _is_ascii_text(raw):
        cut = _cut_end(raw) if hints else None  # "0a 03 61 …": ASCII but the "…"
        if cut is not None and _is_ascii_text(raw[:cut.start()]):
            almost = almost_encoded(raw)
            if almost is not None:
                raise almost
        return DecodedInput(raw, InputFormat.RAW, "raw binary")
    found = _try_hex(raw)
    if found is not None:
        return found
    odd = _odd_hex(raw) if hints else None  # before base64: "0896011" is base64 too
    if odd is not None:
        raise odd
    found = _try_base64(raw)
    if found is not None or not hints:
        return found or DecodedInput(raw, InputFormat.RAW, "raw binary")
    almost = almost_encoded(raw)
    if almost is not None:
        raise almost
    return DecodedInput(raw, InputFormat.RAW, "raw binary")


_AS_RAW = "; or read the text's own bytes with --input-format raw"
_KEY_PREFIX = re.compile(rb"^\s*([A-Za-z_][\w.\-]*\s*[=:]\s*)")
_CUT_END = re.compile(rb"(?:\.{3,}|\xe2\x80\xa6)\s*$")
"""``...`` or ``…`` (UTF-8) at the end: a blob shortened by whoever copied it."""
_CUT_TAIL = 4096
"""Bytes at the end looked at for ``_CUT_END``: searching a multi-megabyte binary
message from its start cost 47 ms on 3.5 MB (a try at every ``.``)."""


def _cut_end(raw: bytes) -> re.Match[bytes] | None:
    """``_CUT_END`` in the last ``_CUT_TAIL`` bytes (offsets stay those of ``raw``)."""
    return _CUT_END.search(raw, max(0, len(raw) - _CUT_TAIL))
_QUOTES = {b"'": b"'", b'"': b'"', b"`": b"`"}
_BRACKETS = {b"{": b"}", b"[": b"]", b"(": b")"}


def _decodes(text: bytes) -> str | None:
    """How ``text`` reads on its own ("hex", "base64"...), or None. Base64 only as one
    word (or lines of one): words with spaces between them are prose, not a blob."""
    if not text.strip():
        return None
    found = _try_hex(text)
    if found is None and b" " not in text.strip() and b"\t" not in text:
        found = _try_base64(text)
    return None if found is None else found.detail


def _odd_hex(raw: bytes) -> InputError | None:
    """The error for hex text with an odd number of digits (the group at fault when
    the others are pairs), or None."""
    digits = _HEX_TOKEN_SEPARATORS.sub(b"", raw)
    if not digits or len(digits) % 2 == 0 or not _HEX_DIGITS.match(digits):
        return None
    # "0x8" is the group "8" after its prefix
    groups = [(m.start(1), m.group(1))
              for m in re.finditer(rb"(?:0[xX]|\\[xX])?([0-9a-fA-F]+)", raw)]
    odd = [(at, group) for at, group in groups if len(group) % 2]
    if len(groups) > 1 and len(odd) == 1:
        at, group = odd[0]
        return InputError(
            f"input looks like hex but the group {group.decode()!r} at offset {at} has an "
            f"odd number of digits (the others are whole bytes): a digit is missing or one "
            f"too many" + _AS_RAW, at)
    last = groups[-1][0] + len(groups[-1][1]) - 1
    return InputError(
        f"input looks like hex but has an odd number of hex digits ({len(digits)}): a digit "
        f"is missing or one too many (the last is at offset {last})" + _AS_RAW, last)


def _bad_xxd_line(raw: bytes) -> InputError | None:
    """The error for an ``xxd`` dump one of whose lines does not read (a digit lost or
    added when it was copied), or None when ``raw`` is not laid out as one."""
    lines = raw.splitlines(keepends=True)
    if not lines or not all(_XXD_LINE.match(line) for line in lines if line.strip()):
        return None
    at = 0
    for number, line in enumerate(lines, start=1):
        if line.strip() and _read_xxd([line.rstrip(b"\r\n")]) is None:
            return InputError(
                f"input looks like an xxd dump but its line {number} (offset {at}) does not "
                f"read as one: a hex digit is missing or one too many, or the ASCII column "
                f"is not two spaces after the hex" + _AS_RAW, at)
        at += len(line)
    return None


def almost_encoded(raw: bytes) -> InputError | None:
    """The error for ASCII text that is hex or base64 but for one thing a person can
    fix (what, and at which character offset), or None. See the module docstring."""
    stripped = raw.strip()
    start = raw.find(stripped[:1]) if stripped else 0
    end = start + len(stripped) - 1
    cut = _cut_end(raw)
    if cut is None:
        dump = _bad_xxd_line(raw)
        if dump is not None:
            return dump
    else:
        kept = raw[:cut.start()]
        if _decodes(kept) or _odd_hex(kept) is not None:
            return InputError(
                f"input ends with {cut.group().strip().decode('utf-8')!r} at offset "
                f"{cut.start()}: it looks cut short when it was copied; copy the whole "
                f"blob (or delete the {cut.group().strip().decode('utf-8')!r} to decode "
                f"what is there)" + _AS_RAW, cut.start())
    head, tail = stripped[:1], stripped[-1:]
    if stripped[:2] in (b"b'", b'b"') and len(stripped) > 2 and tail == stripped[1:2]:
        return InputError(
            f"input is Python's bytes notation b'...' (offsets {start}-{end}): paste "
            f"data.hex() instead, or the text inside the quotes if it is all \\x escapes"
            + _AS_RAW, start)
    if head in _QUOTES and len(stripped) > 1 and tail == head:
        reading = _decodes(stripped[1:-1])
        if reading is not None:
            return InputError(
                f"input is in quotes: delete the {head.decode()!r} at offset {start} and "
                f"the one at offset {end} (the text inside reads as {reading})" + _AS_RAW,
                start)
    if head in _BRACKETS and tail == _BRACKETS[head]:
        inner = stripped[1:-1]
        if _decodes(inner) == "hex":
            return InputError(
                f"input is a list of bytes in {head.decode()}{tail.decode()}: delete the "
                f"{head.decode()!r} at offset {start} and the {tail.decode()!r} at offset "
                f"{end} (the bytes inside read as hex)" + _AS_RAW, start)
    key = _KEY_PREFIX.match(raw)
    if key is not None:
        rest = raw[key.end():]
        reading = _decodes(rest) or ("hex (with an odd number of digits)"
                                     if _odd_hex(rest) is not None else None)
        if reading is not None:
            prefix = key.group(1).strip().decode()
            return InputError(
                f"input starts with {prefix!r} (offsets {key.start(1)}-"
                f"{key.start(1) + len(prefix) - 1}): "
                f"delete it; what follows at offset {key.end()} reads as {reading}" + _AS_RAW,
                key.start(1))
    return None


def _is_ascii_text(raw: bytes) -> bool:
    """Could be hex or base64 text: ASCII whose only controls are tab and line breaks,
    and that does not start with a line break.

    A binary protobuf message is ASCII text surprisingly often (its first tag is a
    line feed for field 1, a length of 9, 10 or 13 is a tab or a line break, and 32 to
    126 are printable), and most often starts with field 1's tag, ``\n``: so a leading
    line break means binary, and so do vertical tab and form feed, which no text dump
    contains (``0a 0c "order_sample"`` would otherwise be the base64url
    ``order_sample``). ``--input-format`` reads such text anyway.
    """
    # Binary input is told at its first byte (a line break) or its first byte above
    # 0x7f before ``strip`` copies a multi-megabyte message that happens to start or
    # end with a whitespace byte.
    if not raw or raw[0] in _LINE_BREAKS or not raw.isascii() or not raw.strip():
        return False
    return _NOT_TEXT.search(raw) is None


def _try_hex(raw: bytes) -> DecodedInput | None:
    lines = [line for line in raw.splitlines() if line.strip()]
    if not lines:
        return None
    if all(_XXD_LINE.match(line) for line in lines):
        data = _read_xxd(lines)
        if data is not None:
            return DecodedInput(data, InputFormat.HEX, "xxd dump")
    if all(_HEXDUMP_C_LINE.match(line) for line in lines) and any(b"|" in ln for ln in lines):
        data = _read_hexdump_c(lines)
        if data is not None:
            return DecodedInput(data, InputFormat.HEX, "hexdump -C dump")
    digits = _HEX_TOKEN_SEPARATORS.sub(b"", raw)
    if len(digits) % 2 == 0 and _HEX_DIGITS.match(digits):
        return DecodedInput(bytes.fromhex(digits.decode("ascii")), InputFormat.HEX, "hex")
    return None


def _read_xxd(lines: list[bytes]) -> bytes | None:
    """Read ``xxd`` output: ``OFFSET: HHHH HHHH ...  ascii``."""
    out = bytearray()
    for line in lines:
        body = line.split(b":", 1)[1]
        # The ASCII column is separated from the hex column by two spaces.
        hex_part = body[1:].split(b"  ", 1)[0] if body.startswith(b" ") else body
        digits = re.sub(rb"\s", b"", hex_part)
        if len(digits) % 2 or not _HEX_DIGITS.match(digits):
            return None
        out += bytes.fromhex(digits.decode("ascii"))
    return bytes(out)


def _read_hexdump_c(lines: list[bytes]) -> bytes | None:
    """Read ``hexdump -C`` output: ``OFFSET  HH HH ... |ascii|`` (a bare offset ends it)."""
    out = bytearray()
    for line in lines:
        body = line.split(b"|", 1)[0]
        tokens = body.split()[1:]
        if tokens == [b"*"]:
            return None  # repeated-line marker: the dump elides bytes we cannot restore
        for token in tokens:
            if len(token) != 2 or not _HEX_DIGITS.match(token):
                return None
            out += bytes.fromhex(token.decode("ascii"))
    return bytes(out)


def _try_base64(raw: bytes) -> DecodedInput | None:
    text = re.sub(rb"\s", b"", raw)
    if not text:
        return None
    for pattern, altchars, name in ((_BASE64, None, "base64"), (_BASE64URL, b"-_", "base64url")):
        if pattern.match(text):
            padded = text + b"=" * (-len(text) % 4)
            try:
                data = base64.b64decode(padded, altchars=altchars, validate=True)
            except binascii.Error:
                continue
            return DecodedInput(data, InputFormat.BASE64, name)
    return None


def _first_bad_hex(raw: bytes) -> int | None:
    for index, byte in enumerate(raw):
        if not (chr(byte).isspace() or chr(byte) in "0123456789abcdefABCDEFxX:,-\\"):
            return index
    return None


def _explain_bad_hex(raw: bytes) -> str:
    bad = _first_bad_hex(raw)
    if bad is not None:
        return f"input is not hex: unexpected character {chr(raw[bad])!r} at offset {bad}"
    return "input is not hex: odd number of hex digits"


# -- incremental reading of hex text dumps ---------------------------------------------
#
# ``decode_input`` reads a whole input. Commands that stream (``h2-frames``) detect
# the layout from the first lines with the same rules (``detect_text_dump``) and then
# read one line at a time (``iter_text_dump``), so memory stays bounded by a line.

TEXT_DUMP_FORMATS = ("xxd dump", "hexdump -C dump", "hex")
"""The layouts ``iter_text_dump`` reads (the ``detail`` names ``decode_input`` gives)."""

DETECT_LINES = 32
"""How many complete first lines ``detect_text_dump`` looks at."""

MAX_LINE_BYTES = 64 * 1024
"""``iter_text_dump`` reads at most this much at a time; a longer line of plain hex is
read in pieces, a longer xxd/hexdump -C line is an error."""


def detect_text_dump(head: bytes) -> str | None:
    """The layout of a text input from its first bytes: a ``TEXT_DUMP_FORMATS`` name, or
    None when the first lines are not hex text (read the input whole with ``decode_input``).

    The rules of ``decode_input`` applied to the first ``DETECT_LINES`` complete lines
    (an incomplete last line is left out unless it is the only one).
    """
    pieces = head.splitlines(keepends=True)
    if len(pieces) > 1 and not pieces[-1].endswith((b"\n", b"\r")):
        pieces.pop()
    lines = [line.rstrip(b"\r\n") for line in pieces[:DETECT_LINES] if line.strip()]
    if not lines or not _is_ascii_text(b"\n".join(lines)):
        return None
    if all(_XXD_LINE.match(line) for line in lines) and _read_xxd(lines) is not None:
        return "xxd dump"
    if (all(_HEXDUMP_C_LINE.match(line) for line in lines) and any(b"|" in ln for ln in lines)
            and _read_hexdump_c(lines) is not None):
        return "hexdump -C dump"
    digits = _HEX_TOKEN_SEPARATORS.sub(b"", b"\n".join(lines))
    if _HEX_DIGITS.match(digits):
        return "hex"
    return None


def iter_text_dump(stream: IO[bytes], fmt: str = "auto") -> Iterator[bytes]:
    """The bytes written in a hex text input, yielded line by line as it is read.

    ``fmt``: a ``TEXT_DUMP_FORMATS`` name, or ``auto`` to detect it from the first
    lines (``detect_text_dump``; InputError when they are not hex text). A later line
    that does not fit the layout raises InputError naming the line and its offset.
    Memory is bounded by ``MAX_LINE_BYTES``.
    """
    first: list[bytes] = []
    if fmt == "auto":
        while len(first) < DETECT_LINES:
            line = stream.readline(MAX_LINE_BYTES)
            if not line:
                break
            first.append(line)
        detected = detect_text_dump(b"".join(first))
        if detected is None:
            raise InputError("input is not hex text (hex, xxd or hexdump -C)", 0)
        fmt = detected
    if fmt not in TEXT_DUMP_FORMATS:
        raise ValueError(f"unknown text dump format {fmt!r}")
    lines = _chain_lines(first, stream)
    if fmt == "hex":
        yield from _iter_hex(lines)
    else:
        yield from _iter_dump_lines(lines, fmt)


def _chain_lines(first: list[bytes], stream: IO[bytes]) -> Iterator[bytes]:
    yield from first
    while line := stream.readline(MAX_LINE_BYTES):
        yield line


def _iter_dump_lines(lines: Iterable[bytes], fmt: str) -> Iterator[bytes]:
    """xxd or hexdump -C, one line at a time (the rules of ``_read_xxd``/``_read_hexdump_c``)."""
    offset = 0
    for number, raw_line in enumerate(lines, start=1):
        line = raw_line.rstrip(b"\r\n")
        at, offset = offset, offset + len(raw_line)
        if not line.strip():
            continue
        if fmt == "xxd dump":
            data = _read_xxd([line]) if _XXD_LINE.match(line) else None
        elif line.strip() == b"*" or line.split()[1:2] == [b"*"]:
            raise InputError(f"line {number} (offset {at}): hexdump -C left out repeated lines "
                             "('*'); the bytes cannot be restored: use hexdump -Cv", at)
        else:
            data = _read_hexdump_c([line]) if _HEXDUMP_C_LINE.match(line) else None
        if data is None:
            shown = line[:40].decode("ascii", "replace")
            raise InputError(f"line {number} (offset {at}) is not a {fmt} line: {shown!r}", at)
        if data:
            yield data


def _iter_hex(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Plain hex, in pieces: separators as in ``decode_input``; digits may continue on the
    next line, and a ``0x``/``\\x`` prefix cut by a piece boundary is kept together."""
    carry = b""
    nibble = b""
    offset = 0  # input offset of ``carry + piece``
    for piece in [*pieces, b""]:
        text = carry + piece
        carry = b""
        if piece and text.endswith((b"0", b"\\")):
            carry, text = text[-1:], text[:-1]  # may start a prefix: decide with the next
        digits = _HEX_TOKEN_SEPARATORS.sub(b"", text)
        if not _HEX_DIGITS.match(digits):
            bad = _first_bad_hex(text)
            at = offset + (bad or 0)
            shown = chr(text[bad]) if bad is not None else "?"
            raise InputError(f"input is not hex: unexpected character {shown!r} at offset {at}",
                             at)
        offset += len(text)
        digits = nibble + digits
        nibble = digits[len(digits) // 2 * 2 :]
        if len(digits) >= 2:
            yield bytes.fromhex(digits[: len(digits) // 2 * 2].decode("ascii"))
    if nibble:
        raise InputError(f"input is not hex: odd number of hex digits (input ends at offset "
                         f"{offset})", offset)
