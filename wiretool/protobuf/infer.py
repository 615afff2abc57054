"""Choosing what a length-delimited payload is, without a schema.

A LEN payload (wire type 2) may be a nested message, a string, raw bytes or a
packed repeated scalar; the wire does not say which. Decoders that try "message
first" turn short strings (``hi``, ``image.png``, ``PLAYERGROUP``) into nested
messages and never find packed numbers. wiretool scores every reading of every
payload instead, and decides per field path by the weight of the evidence of all
its occurrences. These are the rules; ``wire.py`` applies them (it walks the bytes,
adds up the scores and builds the model), this module computes the scores.

Scores
------

Each score is a rough log-odds (natural units) of "this reading explains the
bytes better than random bytes would". Every reading that parses is scored,
whatever the payload looks like.

``bytes``
    Always possible; score 0.

``string``
    Valid UTF-8 is required; the empty payload scores 0. With an ASCII control
    character other than tab, line feed and carriage return (0x00-0x08, 0x0b,
    0x0c, 0x0e-0x1f, 0x7f) it scores ``1 - 3 * controls``, so text with a NUL in
    it is bytes. Whitespace alone scores 0.5 (a lone ``\n`` is more often a byte).
    Otherwise ``1 + `` the evidence of each byte, without a cap: ``a-z`` +2,
    space +2.5, ``A-Z``, digits and ``. - _ / : ,`` +1, other printable ASCII 0,
    tab, line feed and carriage return -1 (rare in text, but field 1's tag and
    lengths 9, 10, 13 in a message), each byte of a multi-byte UTF-8 character +1.
    Because a message's score includes its children's (below), a message whose
    every byte is printable is compared fairly with its text reading: its strings
    score the same in both, and what is left is its tags and lengths against the
    same bytes read as characters - ``0a 28 "grpc.reflection..."`` is a message
    (a line feed starting a string is unlikely, field 1's tag is not), ``"hi"``
    is a string (field 13 = 105 is unlikely).

``message``
    The payload must parse completely as fields: valid wire types, field numbers
    from 1 to 2^29-1, balanced groups, every length inside the payload. The empty
    payload scores 0. Otherwise its own evidence starts at 2; each field adds
    evidence by its number (+0.4 up to 15, -0.3 up to 200, then -1, -2, -4) and
    wire type (varint +0.2, LEN +0.3 plus ``0.5 + 0.35 * ln(1 + length)``, at most
    3, for a length that fit exactly - a coincidence of chance about 1/length -;
    fixed32/fixed64 -0.3; groups -3, the classic false reading of short strings).
    Field numbers in ascending order (as serializers write them) add 0.3 per
    pair; a step back costs 1. To that is added the *best score* (see below) of
    each of its length-delimited fields, those inside its groups included: a
    payload whose children are clean strings and well-formed messages is a
    message, and the evidence adds up from the leaves (a child not explored
    because of ``--max-depth`` adds nothing).

``packed``
    varint elements: the payload must end on a byte below 0x80, with no varint
    over 10 bytes and none overlong (no real encoder writes one: -5). It starts
    at 0.7 (random bytes parse as varints about half the time: ln 2), and each
    element adds the log-odds of "real integer" against "random bytes": a
    one-byte element by its value (+0.8 below 16, +0.3 for 0, 0 below 64, -0.7
    above), a longer one by its length (+0.2 for 2 bytes, +0.5 for 3, +0.8 for 4
    and 5, +0.6 beyond) and its last byte, which holds the top 7 bits (+0.6
    below 16, -0.8 from 64: real values rarely fill their range, random bytes
    do); a 10-byte sign-extended negative number adds 2.5 (0.5 otherwise);
    elements of one multi-byte size add 0.5 each. Capped at 5.3.
    fixed32/fixed64 elements: the length must be a multiple of 4/8; each element
    that reads as a plausible float/double (magnitude between 1e-6 and 1e9) adds
    2 (3 for doubles), an exact zero 0.5, an element whose top byte is that of a
    neighbouring element 1 (integers of one magnitude: counts, timestamps, ids),
    anything else -2; the last three count twice for fixed64 (they weigh by the
    bytes they cover). At most 64 elements are looked at and the sum is scaled to
    all of them; then 0.3 is added, and the score is capped at 6.3.
    A packed reading also has a *prior* of -1.3 (packed fields are rarer than
    bytes fields), counted once per field path, not once per occurrence. Packed
    readings are only scored where no other reading scores more than 14.3 (their
    cap plus ``ODD_COST``): above that they could neither be chosen nor tallied.

Per field path
--------------

A field path is the chain of field numbers from the root to a field, across
every message of the input (all the messages of a stream share their paths).
Below a ``google.protobuf.Any`` - a message of exactly a field 1 holding a type
URL (printable ASCII ending in ``/`` and a dotted type name) and a field 2, both
length-delimited - the type URL is part of the path of the fields inside field 2:
an Any is the one place where one chain of field numbers holds messages of many
types. A whole message (a region: one message of a stream) that is exactly those two
fields is an Any too.

For each occurrence, its *best score* is the highest of its readings' scores
with the priors (the packed prior; 0 for the others), and its own reading is the
reading that has it (ties: message, string, packed varint, packed fixed32,
packed fixed64, bytes). A path decides by the weight of the evidence of all its
occurrences: each reading that parses for an occurrence adds to the path's total
for that reading how far its score is above ``best - ODD_COST``
(``ODD_COST`` = 8), nothing if it is not; the reading whose total plus its prior
is highest is the path's reading (same ties). This is a mixture: an occurrence
is either of the path's kind, or - with a small prior chance, ``e^-8`` - an odd
one explained by its own best reading, so one odd occurrence costs a reading at
most ``ODD_COST`` instead of excluding it.

Each occurrence is then shown as the path's reading when that reading parses for
it and scores at least ``best - ODD_COST``; otherwise (an odd occurrence) as its
own reading. That is what keeps a repeated field from flipping between message
and string from one element to the next, lets the clear occurrences of a path
decide its ambiguous ones (a short packed array of mid-size values that alone
scores below bytes; a zero-length payload, which scores 0 as message, string and
bytes, is what its path decides, and an empty message when the path holds
nothing else), and lets an odd occurrence keep its reading without demoting its
siblings. A schema hint (``KindHints``) overrides all of this when the payload
fits the declared type.

The alternatives shown beside a reading are the other readings that parse, best
first by score with prior: ``bytes`` never (it always parses), ``packed`` only
when its score with the prior is above 0 (nearly any text parses as varints).

This module only scores; ``wire.py`` walks the bytes and builds the model. These
are the reference rules: the native core runs them from ``core/src/rules.rs``, and
``tests/protobuf/test_native.py`` holds the two to the same results.
"""

from __future__ import annotations

import math
import re
import struct

from wiretool.protobuf.model import PackedType, WireType

_LONG_VARINT = re.compile(rb"[\x80-\xff]{10}")
_OVERLONG_VARINT = re.compile(rb"[\x80-\xff]\x00")
_VARINT_RUN = re.compile(rb"[\x80-\xff]*[\x00-\x7f]")

PACKED_BASE = 0.7
"""A payload of random bytes parses as varints about half the time: ln 2."""
PACKED_FIXED_BASE = 0.3
PACKED_CAP = 5.3
PACKED_FIXED_CAP = 6.3
"""Plausible floats are rarer by chance than small varints, so they may score higher."""
PACKED_PRIOR = -1.3
"""Added once to a field path's total of each packed reading (see "Per field path"):
packed fields are rarer than bytes fields, but that is said once per field, not once
per occurrence."""
PACKED_MAX = max(PACKED_CAP, PACKED_FIXED_CAP)
PACKED_SAME_SIZE = 0.5
PACKED_SAME_TOP = 1.0
MESSAGE_BASE = 2.0
MESSAGE_LEN_CHILD_CAP = 3.0

STRING_BASE = 1.0
STRING_WHITESPACE = 0.5
"""The score of a string of whitespace only ("\n" alone is more often a byte)."""
ODD_COST = 8.0
"""What it costs a field path's reading that one of its occurrences is read otherwise
(see the module docstring, "Per field path")."""

STRING_CONTROL_COST = 3.0

# Text evidence per byte, in half points (integers, so that sums are exact whatever
# their order): each byte's class is found by one ``bytes.translate`` and counted.
_TEXT_CLASSES = (
    (b"a", 4, bytes(range(0x61, 0x7B))),                              # a-z: +2
    (b"s", 5, b" "),                                                   # space: +2.5
    (b"A", 2, bytes(range(0x41, 0x5B)) + b"0123456789.-_/:,"),         # A-Z 0-9 .-_/:, +1
    (b"w", -2, b"\t\n\r"),                                            # tab, line breaks: -1
    (b"h", 2, bytes(range(0x80, 0x100))),                              # UTF-8 sequences: +1
)
_TEXT_TABLE = bytearray(b"p" * 256)  # other printable ASCII (punctuation): 0
for _code, _, _members in _TEXT_CLASSES:
    for _byte in _members:
        _TEXT_TABLE[_byte] = _code[0]
_TEXT_TABLE_BYTES = bytes(_TEXT_TABLE)
_TEXT_WEIGHTS = tuple((code, weight) for code, weight, _ in _TEXT_CLASSES)
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_points(payload: bytes) -> int:
    """The text evidence of the bytes of a payload without controls, in half points."""
    classes = payload.translate(_TEXT_TABLE_BYTES)
    return sum(weight * classes.count(code) for code, weight in _TEXT_WEIGHTS)


def score_string(payload: bytes) -> tuple[str, float] | None:
    """The text and its score, or None when the payload is not valid UTF-8."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not payload:
        return text, 0.0
    # Printable text has no control characters; only other text is searched for them.
    controls = 0 if text.isprintable() else len(_CONTROL.findall(payload))
    if controls:
        return text, 1.0 - STRING_CONTROL_COST * controls
    if text.isspace():
        return text, STRING_WHITESPACE
    return text, STRING_BASE + 0.5 * text_points(payload)


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


def score_message(fields: list[tuple[int, int, int]]) -> float:
    """Score of a payload that parsed completely into these fields, before the scores of
    its length-delimited children are added (the caller adds them: see ``wire.py``).

    ``fields``: (number, wire type, payload length) of each field.
    """
    if not fields:
        return 0.0
    score = MESSAGE_BASE
    previous = 0
    for number, wire_type, size in fields:
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
    # Zeros, integers of one magnitude and noise weigh by the bytes they cover, so that
    # [3, 5] as fixed64 is not outscored by [3, 0, 5, 0] as fixed32.
    scale = width // 4
    last = width - 1
    score = 0.0
    for index, number in enumerate(floats):
        if number == 0.0:
            score += 0.5 * scale
        elif 1e-6 <= abs(number) <= 1e9:  # False for NaN and infinities
            score += per_plausible
        elif ((index and payload[index * width + last] == payload[index * width - 1])
              or (index + 1 < count and payload[index * width + last]
                  == payload[index * width + last + width])):
            # Integers of one magnitude (counts, timestamps, ids): an element's top byte
            # is its neighbour's, which random bytes manage once in 128.
            score += PACKED_SAME_TOP * scale
        else:
            score -= 2.0 * scale
    return min(score * count / sample + PACKED_FIXED_BASE, PACKED_FIXED_CAP)


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
