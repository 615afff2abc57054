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
    Valid UTF-8 is required. With no control characters (``\\t \\n \\r \\f \\v``
    allowed) it scores ``3 + 0.5 * min(len, 20)``: real messages almost always
    contain control bytes (the tags of fields 1-3 and every length below 32 are
    control characters), so clean text is strong evidence. Each control
    character costs 3, so text with a NUL in it is shown as bytes.

``message``
    The payload must parse completely as fields: valid wire types, field numbers
    from 1 to 2^29-1, balanced groups, every length inside the payload. It starts
    at 1 and each field adds evidence: small field numbers (+0.4 up to 20), 0 up
    to 200, then increasingly negative (-1, -2, -4); varint +0.2, LEN +0.3,
    fixed32/fixed64 -0.3, groups -3 (rare in modern protobuf; the classic
    false-positive of short strings). Field numbers in ascending order (as every
    real serializer writes them) add 0.3 per pair; a step backwards costs 0.7.
    An empty payload scores 0.2 as a message, 0.1 as a string.

``packed``
    varint elements: the payload must end on a byte below 0x80 and hold no varint
    longer than 10 bytes; ``-0.5 + 0.3 * min(count, 10)``, minus 5 when an element
    has an overlong encoding (no real encoder writes one). fixed32/fixed64
    elements: the length must be a multiple of 4/8; each element that reads as a
    plausible float/double (zero, or magnitude between 1e-6 and 1e9) adds 2 (3 for
    doubles; an exact zero adds only 0.5), every other element costs 2, minus 1.

Consistency: the scores of all occurrences of the same field number at the same
path (the chain of field numbers from the root, across every message of the
input) are added up, and the best reading that fits *every* occurrence wins.
This is what keeps a repeated field from flipping between ``message`` and
``string`` from one element to the next, and lets the many clear occurrences of a
field decide the ambiguous ones. A schema hint (``KindHints``) overrides all of
this when the payload fits the declared type.

This module only scores; ``wire.py`` walks the bytes and builds the model.
"""

from __future__ import annotations

import math
import re
import struct

from wiretool.protobuf.model import Kind, PackedType, WireType

_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
_LONG_VARINT = re.compile(rb"[\x80-\xff]{10}")
_OVERLONG_VARINT = re.compile(rb"[\x80-\xff]\x00")
_HIGH_BYTES = bytes(range(0x80, 0x100))

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
        return text, 0.1
    controls = len(_CONTROL.findall(payload))
    if controls:
        return text, 1.0 - STRING_CONTROL_COST * controls
    return text, STRING_BASE + STRING_PER_CHAR * min(len(payload), STRING_CHAR_CAP)


def _number_score(number: int) -> float:
    if number <= 20:
        return 0.4
    if number <= 200:
        return 0.0
    if number <= 2000:
        return -1.0
    if number <= 65535:
        return -2.0
    return -4.0


_WIRE_TYPE_SCORE = {
    WireType.VARINT: 0.2,
    WireType.LEN: 0.3,
    WireType.I32: -0.3,
    WireType.I64: -0.3,
    WireType.SGROUP: -3.0,
}


def score_message(numbers_and_types: list[tuple[int, int]]) -> float:
    """Score of a payload that parsed completely into these (number, wire type) fields."""
    if not numbers_and_types:
        return 0.2
    score = 1.0
    previous = 0
    for number, wire_type in numbers_and_types:
        score += _number_score(number) + _WIRE_TYPE_SCORE.get(wire_type, 0.0)
        if previous:
            score += 0.3 if number >= previous else -0.7
        previous = number
    return score


def score_packed_varints(payload: bytes) -> float | None:
    """Score of ``payload`` read as packed varints, or None when it cannot be one."""
    if not payload or payload[-1] >= 0x80 or _LONG_VARINT.search(payload):
        return None
    score = -0.5 + 0.3 * min(count_varints(payload), 10)
    if _OVERLONG_VARINT.search(payload):
        score -= 5.0
    return score


def count_varints(payload: bytes) -> int:
    """How many varints a packed payload holds (each byte below 0x80 ends one)."""
    return len(payload.translate(None, _HIGH_BYTES))


_FLOAT_SAMPLE = 64
"""Elements looked at to judge packed floats (enough to tell data from noise)."""


def score_packed_fixed(payload: bytes, width: int) -> float | None:
    """Score of ``payload`` read as packed fixed32 (4) / fixed64 (8), or None."""
    if not payload or len(payload) % width:
        return None
    count = len(payload) // width
    sample = min(count, _FLOAT_SAMPLE)
    floats = struct.unpack_from(f"<{sample}{'f' if width == 4 else 'd'}", payload)
    per_plausible = 2.0 if width == 4 else 3.0
    score = 0.0
    for number in floats:
        if number == 0.0:
            score += 0.5
        elif math.isfinite(number) and 1e-6 <= abs(number) <= 1e9:
            score += per_plausible
        else:
            score -= 2.0
    return score * count / sample - 1.0


def packed_scores(payload: bytes) -> list[tuple[PackedType, float]]:
    """Every packed reading of the payload that parses, with its score."""
    found: list[tuple[PackedType, float]] = []
    varints = score_packed_varints(payload)
    if varints is not None:
        found.append((PackedType.VARINT, varints))
    for width, packed_type in ((4, PackedType.FIXED32), (8, PackedType.FIXED64)):
        fixed = score_packed_fixed(payload, width)
        if fixed is not None:
            found.append((packed_type, fixed))
    return found


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


KIND_ORDER = (Kind.MESSAGE, Kind.STRING, Kind.PACKED, Kind.BYTES)
"""Tie-break order when two readings score the same."""
