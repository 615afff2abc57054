"""The scoring shortcuts of ``infer.py`` and ``wire._candidates`` change no score.

Each test compares a shortcut with the plain form of its rule (as the module
docstring states it), bit for bit: scores are added up across the input, so even
a float rounded differently could change a decision.
"""

from __future__ import annotations

import math
import re

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
        return text, 0.2
    controls = len(_CONTROL.findall(payload))
    if controls:
        return text, 1.0 - 3.0 * controls
    if text.isspace():
        return text, 0.5
    return text, 3.0 + 0.5 * min(len(payload), 20)


def plain_score_message(fields: list[tuple[int, int, int]], text_children: int,
                        clean_text: bool) -> float:
    if not fields:
        return 0.1
    score = 2.0 + 1.0 * text_children
    if clean_text:
        return min(score, 2.0) - 4.0
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


texts = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=30).map(str.encode),
    st.text(alphabet=st.sampled_from(" \t\n\r\x00\x1f\x7f\x85\xa0\u2028é✓a"), max_size=30)
    .map(str.encode),
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
@given(field_shapes, st.integers(0, 5), st.booleans())
def test_score_message_is_the_plain_rule(fields: list[tuple[int, int, int]],
                                         text_children: int, clean_text: bool) -> None:
    got = infer.score_message(fields, text_children, clean_text)
    assert got.hex() == plain_score_message(fields, text_children, clean_text).hex()


def test_first_bytes_that_cannot_start_a_message_fail_the_scan() -> None:
    tails = [b"", b"\x00", b"\x01\x02", b"\x08\x01", b"\x80\x01", bytes(range(16))]
    for first in range(256):
        parses = any(wire._is_message(bytes([first]) + tail, 0, 1 + len(tail)) is not None
                     for tail in tails)
        assert wire._CAN_START[first] or not parses, first
