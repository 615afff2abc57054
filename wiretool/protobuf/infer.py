"""Choosing what a length-delimited payload is, without a schema.

A LEN payload (wire type 2) may be a nested message, a string, raw bytes or a
packed repeated scalar; the wire does not say which. Decoders that try "message
first" turn short strings (``hi``, ``image.png``, ``PLAYERGROUP``) into nested
messages and never find packed numbers. wiretool scores every reading instead and
picks the best one. The rules, each a rough log-odds of "this reading explains the
bytes better than random data would":

``bytes``
    Always possible; score 0. Every other reading must beat it.

``string``
    Valid UTF-8 is required. With no control characters (tab, newline and
    carriage return allowed) it scores ``3 + 0.5 * min(len, 20)``: real messages
    almost always contain control bytes (the tags of fields 1-3 and every length
    below 32 are control characters), so clean text is strong evidence. Each
    control character costs 3, so text with a NUL in it is shown as bytes. A
    string of only whitespace scores 0.5 (a lone ``\n`` is more often a byte).

``message``
    The payload must parse completely as fields: valid wire types, field numbers
    from 1 to 2^29-1, balanced groups, every length inside the payload. It starts
    at 2; each field adds evidence by its number (+0.4 up to 15, -0.3 up to 200,
    then -1, -2, -4) and wire type (varint +0.2, LEN +0.3 plus ``0.5 + 0.35 *
    ln(1 + length)``, at most 3, for a length that fit exactly - a coincidence of
    chance about 1/length - and 1 more when that child is clean text; fixed32/fixed64
    -0.3; groups -3, the classic false reading of short strings). Field numbers in
    ascending order (as serializers write them) add 0.3 per pair; a step back
    costs 1. When the payload is itself clean text, the message reading is a
    coincidence: its score is capped at 2 and loses 4 - unless a length prefix is
    tab/newline/carriage return (lengths 9, 10, 13), the one way a real message
    looks like text. An empty payload scores 0.1 as a message, 0.2 as a string.

``packed``
    varint elements: the payload must end on a byte below 0x80, with no varint
    over 10 bytes and none overlong (no real encoder writes one: -5). Parsing
    proves little (half of all random payloads parse), so each element adds the
    log-odds of "real integer" against "random bytes": a one-byte element by its
    value (+0.8 below 16, +0.3 for 0, 0 below 64, -0.7 above), a longer one by
    its length and its last byte, which holds the top 7 bits (+0.6 below 16,
    -0.8 from 64: real values rarely fill their range, random bytes do); a
    10-byte sign-extended negative number adds 2.5; elements of one multi-byte
    size add 0.5 each. Base -0.6, capped at 4. fixed32/fixed64 elements: the
    length must be a multiple of 4/8; each element that reads as a plausible
    float/double (magnitude between 1e-6 and 1e9) adds 2 (3 for doubles), an
    exact zero 0.5, anything else costs 2; base -1, capped at 5.

Consistency: the scores of all occurrences of the same field number at the same
path (the chain of field numbers from the root, across every message of the
input) are added up, and the best reading that fits *every* occurrence wins.
This is what keeps a repeated field from flipping between ``message`` and
``string`` from one element to the next, and lets the many clear occurrences of a
field decide the ambiguous ones. A schema hint (``KindHints``) overrides all of
this when the payload fits the declared type.

This module only scores; ``wire.py`` walks the bytes and builds the model. These
are the reference rules: the native core runs them from ``core/src/rules.rs``, and
``tests/protobuf/test_native.py`` holds the two to the same results.
"""

from __future__ import annotations

import math
import re
import struct

from wiretool.protobuf.model import PackedType, WireType

_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LONG_VARINT = re.compile(rb"[\x80-\xff]{10}")
_OVERLONG_VARINT = re.compile(rb"[\x80-\xff]\x00")
_VARINT_RUN = re.compile(rb"[\x80-\xff]*[\x00-\x7f]")

PACKED_BASE = -0.6
PACKED_CAP = 4.0
PACKED_FIXED_CAP = 5.0
"""Plausible floats are rarer by chance than small varints, so they may score higher."""
PACKED_MAX = max(PACKED_CAP, PACKED_FIXED_CAP)
PACKED_SAME_SIZE = 0.5
MESSAGE_BASE = 2.0
MESSAGE_LEN_CHILD_CAP = 3.0
MESSAGE_TEXT_CHILD = 1.0
MESSAGE_CLEAN_TEXT_PENALTY = 4.0

STRING_BASE = 3.0
STRING_PER_CHAR = 0.5
STRING_CHAR_CAP = 20
STRING_CONTROL_COST = 3.0


def score_string(payload: bytes) -> tuple[str, float] | None:
    """The text and its score, or None when the payload is not valid UTF-8."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not payload:
        return text, 0.2
    # Printable text has no control characters; only other text is searched for them.
    controls = 0 if text.isprintable() else len(_CONTROL.findall(payload))
    if controls:
        return text, 1.0 - STRING_CONTROL_COST * controls
    if text.isspace():
        return text, 0.5  # "\n" alone is more often a byte than a string
    chars = len(payload)
    return text, STRING_BASE + STRING_PER_CHAR * (chars if chars < STRING_CHAR_CAP
                                                  else STRING_CHAR_CAP)


def _number_score(number: int) -> float:
    if number <= 15:
        return 0.4
    if number <= 200:
        return -0.3
    if number <= 2000:
        return -1.0
    if number <= 65535:
        return -2.0
    return -4.0


_WIRE_TYPE_SCORE: dict[int, float] = {
    WireType.VARINT: 0.2,
    WireType.LEN: 0.3,
    WireType.I32: -0.3,
    WireType.I64: -0.3,
    WireType.SGROUP: -3.0,
}


def score_message(
    fields: list[tuple[int, int, int]], text_children: int, clean_text: bool
) -> float:
    """Score of a payload that parsed completely into these fields.

    ``fields``: (number, wire type, payload length) of each field; ``text_children``:
    how many LEN children hold clean text; ``clean_text``: the payload itself is
    clean text (then the message reading is a coincidence).
    """
    numbers_and_types = fields
    if not numbers_and_types:
        return 0.1
    score = MESSAGE_BASE + MESSAGE_TEXT_CHILD * text_children
    if clean_text:
        # Clean text that happens to parse: however many "fields" it makes, it stays
        # a coincidence, so the score is capped before the penalty.
        return min(score, MESSAGE_BASE) - MESSAGE_CLEAN_TEXT_PENALTY
    previous = 0
    for number, wire_type, size in numbers_and_types:
        if number < _TABLE_NUMBERS:
            score += _FIELD_SCORE[number << 3 | wire_type]
        else:
            score += _number_score(number) + _WIRE_TYPE_SCORE.get(wire_type, 0.0)
        if wire_type == _LEN:
            # A random length fits the rest exactly with a chance of about 1/size.
            score += _LEN_FIT_SCORE[size] if size < _TABLE_SIZES else _len_fit_score(size)
        if previous:
            score += 0.3 if number >= previous else -1.0
        previous = number
    return score


def _len_fit_score(size: int) -> float:
    return min(0.5 + 0.35 * math.log1p(size), MESSAGE_LEN_CHILD_CAP)


_LEN = int(WireType.LEN)
# The same numbers, computed once (score_message runs for every payload tried).
_TABLE_NUMBERS = 256
_FIELD_SCORE = [_number_score(tag >> 3) + _WIRE_TYPE_SCORE.get(tag & 7, 0.0)
                for tag in range(_TABLE_NUMBERS << 3)]
"""``_number_score(number) + _WIRE_TYPE_SCORE[wire type]`` by tag."""
_TABLE_SIZES = 4096
_LEN_FIT_SCORE = [_len_fit_score(size) for size in range(_TABLE_SIZES)]


def score_packed_varints(payload: bytes) -> float | None:
    """Score of ``payload`` read as packed varints, or None when it cannot be one."""
    if not payload or payload[-1] >= 0x80 or _LONG_VARINT.search(payload):
        return None
    if _OVERLONG_VARINT.search(payload):
        return -5.0
    # Any payload ending below 0x80 parses, so parsing proves little. Each element
    # instead adds the log-odds of its length (and, for one byte, its value) under
    # "real integers" against "random bytes", where a length-k run has chance 2^-k:
    # small counters, and long runs such as negative int32s, are what real data has.
    score = PACKED_BASE
    runs = _VARINT_RUN.findall(payload)
    for run in runs:
        size = len(run)
        if size == 1:
            score += _ONE_BYTE_SCORE[run[0]]
        elif size == 10:
            # A negative int32/int64: sign-extended, so 0xff bytes and a final 0x01.
            score += 2.5 if run[-1] == 1 and run[5:9] == b"\xff\xff\xff\xff" else 0.5
        else:
            score += _MULTI_BYTE_SCORE[size][run[-1]]
    if len(runs) > 1 and len(runs[0]) > 1 and len({len(run) for run in runs}) == 1:
        # Elements of one size (ids, timestamps of one magnitude): random bytes
        # rarely manage that for long.
        score += PACKED_SAME_SIZE * (len(runs) - 1)
    return min(score, PACKED_CAP)


_PACKED_LENGTH_SCORE = (0.0, 0.0, 0.2, 0.5, 0.8, 0.8, 0.6, 0.6, 0.6, 0.6)
"""Log-odds of a multi-byte element by its length (index = bytes)."""
_ONE_BYTE_SCORE = [0.3 if value == 0 else 0.8 if value < 16 else 0.0 if value < 64 else -0.7
                   for value in range(0x80)]
"""Log-odds of a one-byte element by its value."""
_MULTI_BYTE_SCORE = [
    [_PACKED_LENGTH_SCORE[size] + (0.6 if top < 16 else 0.0 if top < 64 else -0.8)
     for top in range(0x80)]
    for size in range(10)
]
"""Log-odds of a multi-byte element by its length and its last byte, which holds the
top 7 bits: small for real values (they rarely fill their range), uniform in random
bytes."""


def is_clean_text(payload: bytes) -> bool:
    """Valid UTF-8 with no control characters other than tab, newline, carriage return."""
    if _CONTROL.search(payload) is not None:
        return False
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_FLOAT_SAMPLE = 64
"""Elements looked at to judge packed floats (enough to tell data from noise)."""


def score_packed_fixed(payload: bytes, width: int) -> float | None:
    """Score of ``payload`` read as packed fixed32 (4) / fixed64 (8), or None."""
    if not payload or len(payload) % width:
        return None
    count = len(payload) // width
    sample = count if count < _FLOAT_SAMPLE else _FLOAT_SAMPLE
    floats = (_FLOATS if width == 4 else _DOUBLES)[sample].unpack_from(payload)
    per_plausible = 2.0 if width == 4 else 3.0
    score = 0.0
    for number in floats:
        if number == 0.0:
            score += 0.5
        elif 1e-6 <= abs(number) <= 1e9:  # False for NaN and infinities
            score += per_plausible
        else:
            score -= 2.0
    return min(score * count / sample - 1.0, PACKED_FIXED_CAP)


_FLOATS = [struct.Struct(f"<{count}f") for count in range(_FLOAT_SAMPLE + 1)]
_DOUBLES = [struct.Struct(f"<{count}d") for count in range(_FLOAT_SAMPLE + 1)]


def packed_scores(payload: bytes) -> list[tuple[PackedType, float]]:
    """Every packed reading of the payload that parses, with its score."""
    found: list[tuple[PackedType, float]] = []
    varints = score_packed_varints(payload)
    if varints is not None:
        found.append((_PACKED_VARINT, varints))
    for width, packed_type in _PACKED_FIXED:
        fixed = score_packed_fixed(payload, width)
        if fixed is not None:
            found.append((packed_type, fixed))
    return found


_PACKED_VARINT = PackedType.VARINT
_PACKED_FIXED = ((4, PackedType.FIXED32), (8, PackedType.FIXED64))


def unpack(payload: bytes, packed_type: PackedType) -> tuple[int, ...]:
    """The elements of a packed payload as unsigned integers (the payload must fit)."""
    if packed_type is PackedType.FIXED32:
        return struct.unpack(f"<{len(payload) // 4}I", payload)
    if packed_type is PackedType.FIXED64:
        return struct.unpack(f"<{len(payload) // 8}Q", payload)
    values: list[int] = []
    append = values.append
    value = shift = 0
    for byte in payload:
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            append(value & 0xFFFFFFFFFFFFFFFF)
            value = shift = 0
        else:
            shift += 7
    return tuple(values)
