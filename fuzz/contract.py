"""The contract every harness checks, shared by ``fuzz_*.py`` and ``tests/hostile``.

Sans-IO checks on the models: spans inside the input, tiles without holes or
overlaps, renderings that are valid JSON and that never put a control character
on the terminal. A violated contract is an ``AssertionError`` (a finding).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable

# Anything a terminal could interpret: C0 (except newline), DEL, C1, bidi/format chars.
UNSAFE_OUTPUT = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)


def assert_tiles(spans: Iterable[tuple[int, int]], start: int, end: int, what: str) -> None:
    """``spans`` ((offset, length) pairs) cover ``[start, end)`` exactly, in order."""
    at = start
    for offset, length in sorted(spans):
        assert length >= 0, f"{what}: negative length at {offset}"
        problem = "hole" if offset > at else "overlap"
        assert offset == at, f"{what}: {problem} at {at} (next span at {offset})"
        at = offset + length
    assert at == end, f"{what}: spans end at {at}, expected {end}"


def assert_terminal_safe(text: str, what: str) -> None:
    found = UNSAFE_OUTPUT.search(text)
    assert found is None, f"{what}: unescaped {found.group(0)!r} reached the terminal output"


def assert_json_document(text: str) -> object:
    return json.loads(text)


def assert_json_lines(text: str) -> list[object]:
    return [json.loads(line) for line in text.splitlines()]


def plain_console(out: io.StringIO, width: int = 120):  # type: ignore[no-untyped-def]
    """A rich console like the CLI's off a terminal (no colour, no markup)."""
    from wiretool.cli.common import make_console

    return make_console(out, width)
