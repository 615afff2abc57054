"""The scoring shortcuts of ``infer.py`` and ``wire._readings`` change no score.

Each test compares a shortcut with the plain form of its rule (as the module
docstring states it), bit for bit: scores are added up across the input, so even
a float rounded differently could change a decision.
"""

from __future__ import annotations

import math
import re
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.protobuf import infer, wire

_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

def plain_score_string(payload: bytes) -> tuple[str, float] | None:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not payload:
        return text, 0.0
    controls = len(_CONTROL.findall(payload))
    if controls:
        return text, 1.0 - 3.0 * controls
    if text.isspace():
        return text, 0.5
    points = 0.0
    for byte in payload:
        if 0x61 <= byte <= 0x7A:
            points += 2.0  # a-z
        elif byte == 0x20:
            points += 2.5
        elif 0x41 <= byte <= 0x5A or 0x30 <= byte <= 0x39 or byte in b".-_/:,":
            points += 1.0
        elif byte in b"\t\n\r":
            points -= 1.0
        elif byte >= 0x80:
            points += 1.0
    return text, 1.0 + points


def plain_score_message(fields: list[tuple[int, int, int]]) -> float:
    if not fields:
        return 0.0
    score = 2.0
    previous = 0
    for number, wire_type, size in fields:
        number_score = (0.4 if number <= 15 else -0.3 if number <= 200 else -1.0
                        if number <= 2000 else -2.0 if number <= 65535 else -4.0)
        wire_score = {0: 0.2, 2: 0.3, 5: -0.3, 1: -0.3, 3: -3.0}.get(wire_type, 0.0)
        score += number_score + wire_score
        if wire_type == 2:
            score += min(0.5 + 0.35 * math.log1p(size), 3.0)
        if previous:
            score += 0.3 if number >= previous else -1.0
        previous = number
    return score


def plain_score_packed_varints(payload: bytes) -> float | None:
    if not payload or payload[-1] >= 0x80 or re.search(rb"[\x80-\xff]{10}", payload):
        return None
    if re.search(rb"[\x80-\xff]\x00", payload):
        return -5.0
    score = 0.7
    runs = re.findall(rb"[\x80-\xff]*[\x00-\x7f]", payload)
    for run in runs:
        size = len(run)
        if size == 1:
            value = run[0]
            score += 0.3 if value == 0 else 0.8 if value < 16 else 0.0 if value < 64 else -0.7
        elif size == 10:
            score += 2.5 if run[-1] == 1 and run[5:9] == b"\xff\xff\xff\xff" else 0.5
        else:
            top = run[-1]
            length_score = (0.0, 0.0, 0.2, 0.5, 0.8, 0.8, 0.6, 0.6, 0.6, 0.6)[size]
            score += length_score + (0.6 if top < 16 else 0.0 if top < 64 else -0.8)
    if len(runs) > 1 and len(runs[0]) > 1 and len({len(run) for run in runs}) == 1:
        score += 0.5 * (len(runs) - 1)
    return min(score, 5.3)


def plain_score_packed_fixed(payload: bytes, width: int) -> float | None:
    if not payload or len(payload) % width:
        return None
    count = len(payload) // width
    sample = min(count, 64)
    floats = struct.unpack_from(f"<{sample}{'f' if width == 4 else 'd'}", payload)
    tops = [payload[i * width + width - 1] for i in range(count)]
    scale = width // 4
    score = 0.0
    for index, number in enumerate(floats):
        if number == 0.0:
            score += 0.5 * scale
        elif math.isfinite(number) and 1e-6 <= abs(number) <= 1e9:
            score += 2.0 if width == 4 else 3.0
        elif (index > 0 and tops[index - 1] == tops[index]) or (
                index + 1 < count and tops[index + 1] == tops[index]):
            score += 1.0 * scale
        else:
            score -= 2.0 * scale
    return min(score * count / sample + 0.3, 6.3)


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out) + bytes([value])


packed = st.one_of(
    st.binary(max_size=80),
    st.lists(st.one_of(st.integers(0, 200), st.integers(0, (1 << 64) - 1)), max_size=20)
    .map(lambda values: b"".join(map(_varint, values))),
    st.lists(st.floats(width=32), max_size=80).map(lambda xs: struct.pack(f"<{len(xs)}f", *xs)),
    st.lists(st.floats(), max_size=70).map(lambda xs: struct.pack(f"<{len(xs)}d", *xs)),
)


@settings(max_examples=500, deadline=None)
@given(packed)
def test_packed_scores_are_the_plain_rules(payload: bytes) -> None:
    def bits(score: float | None) -> str | None:
        return None if score is None else score.hex()

    assert bits(infer.score_packed_varints(payload)) == bits(plain_score_packed_varints(payload))
    for width in (4, 8):
        assert bits(infer.score_packed_fixed(payload, width)) == bits(
            plain_score_packed_fixed(payload, width))


texts = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=30).map(str.encode),
    st.text(alphabet=st.sampled_from(" \t\n\r\x00\x1f\x7f\x85\xa0\u2028é✓a\ufffd"), max_size=30)
    .map(str.encode),
    st.lists(st.sampled_from([b"a", "\ufffd".encode(), b"\xff", b"\xef\xbf", b"\x80",
                              "é".encode()]), max_size=8).map(b"".join),
)


@settings(max_examples=500, deadline=None)
@given(texts)
def test_score_string_is_the_plain_rule(payload: bytes) -> None:
    assert infer.score_string(payload) == plain_score_string(payload)


field_shapes = st.lists(st.tuples(
    st.one_of(st.integers(1, 300), st.integers(1, (1 << 29) - 1)),
    st.sampled_from([0, 1, 2, 3, 5]),
    st.one_of(st.integers(0, 50), st.integers(0, 10_000)),
), max_size=20)


@settings(max_examples=500, deadline=None)
@given(field_shapes)
def test_score_message_is_the_plain_rule(fields: list[tuple[int, int, int]]) -> None:
    assert infer.score_message(fields).hex() == plain_score_message(fields).hex()


def test_first_bytes_that_cannot_start_a_message_fail_the_scan() -> None:
    tails = [b"", b"\x00", b"\x01\x02", b"\x08\x01", b"\x80\x01", bytes(range(16))]
    for first in range(256):
        parses = any(wire._is_message(bytes([first]) + tail, 0, 1 + len(tail)) is not None
                     for tail in tails)
        assert wire._CAN_START[first] or not parses, first
