"""Text laid out by hand for the terminal: widths, wrapping that never breaks a word,
cutting from either end, and colour as ready-made escape codes.

The frame and summary views of ``h2-frames`` print hundreds of thousands of lines,
so they build strings themselves instead of asking rich to lay out tables (rich
measured every cell of every row: 172 frames/s). rich is used where it earns its
cost: turning style names into the escape codes of the terminal's colour system
(once per style, ``Styles``) and measuring the width of non-ASCII text
(``cell_len``). Every function here takes text that is already escaped
(``render.escape``): wire data never reaches the terminal as control characters,
and never decides a colour.

The rules of fitting, in one place:

* a word (a run without a break opportunity) and a number are never split across
  lines; a line is broken after a space, and, inside values, after ``/ , ; & = ?``;
* a token wider than the whole column (an opaque token, a long base64 value) is
  folded at the column's edge, never inside an escape such as ``\\x1b``;
* a single-line cell that must be cut is cut from the left when it is a path or a
  name (``…Demo/ServerStream``: the end is what differs) and from the right
  otherwise, with an ellipsis, never inside an escape; numbers are never cut (their
  columns are as wide as their widest number).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import IO

from rich.cells import cell_len
from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style

ELLIPSIS = "…"

_ESCAPE = r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[nrt\\])"
"""An escape ``render.escape`` writes: ``\\x1b``, ``\\u200b``, ``\\n``, ``\\\\``."""
_BREAK_AFTER = re.compile(
    rf"(?:{_ESCAPE}|[^ /,;&=?\\]|\\)*?(?:[/,;&=?]+ *| +|{_ESCAPE}(?!\\)|$)")
"""A token of a value: a run, then the break opportunities after it (slash, comma,
semicolon, ampersand, equals, question mark, spaces, and the end of a run of escapes
in binary data: ``\\x16|name``)."""
_ATOM = re.compile(r"\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)|.", re.S)
"""One visible unit of escaped text: an escape sequence or one character."""
_COLOR_SYSTEMS = {"standard": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT,
                  "truecolor": ColorSystem.TRUECOLOR, "windows": ColorSystem.WINDOWS}


def width(text: str) -> int:
    """Terminal cells of ``text`` (wide characters count two)."""
    return len(text) if text.isascii() else cell_len(text)


class Styles:
    """Style names turned into (start, end) escape codes for one console, once: an
    empty pair when the console has no colour (a pipe, ``NO_COLOR``)."""

    def __init__(self, console: Console, names: dict[str, str]) -> None:
        system = None if console.no_color else _COLOR_SYSTEMS.get(console.color_system or "")
        self.enabled = system is not None
        self._codes: dict[str, tuple[str, str]] = {}
        for role, name in names.items():
            if system is None or not name:
                self._codes[role] = ("", "")
                continue
            start, _, end = Style.parse(name).render("\0", color_system=system).partition("\0")
            self._codes[role] = (start, end)

    def __call__(self, role: str, text: str) -> str:
        """``text`` in the style of ``role`` (unchanged without colour)."""
        start, end = self._codes.get(role, ("", ""))
        return f"{start}{text}{end}" if start else text

    def codes(self, role: str) -> tuple[str, str]:
        return self._codes.get(role, ("", ""))


def pad(text: str, cells: int, *, right: bool = False, shown: int | None = None) -> str:
    """``text`` padded with spaces to ``cells`` (``shown``: its width, if the text
    carries escape codes)."""
    gap = cells - (width(text) if shown is None else shown)
    if gap <= 0:
        return text
    return " " * gap + text if right else text + " " * gap


def atoms(text: str) -> list[str]:
    """The visible units of escaped text (an escape sequence is one)."""
    if "\\" not in text:
        return list(text)
    return _ATOM.findall(text)


def cut_right(text: str, cells: int) -> str:
    """``text`` in at most ``cells``, cut at the end with an ellipsis."""
    if width(text) <= cells:
        return text
    out, used = [], 0
    for atom in atoms(text):
        size = width(atom)
        if used + size > cells - 1:
            break
        out.append(atom)
        used += size
    return "".join(out) + ELLIPSIS


_SEGMENT_END = frozenset("/.:-_ ,<")
"""Where a path or a name may be cut from the left: after one of these."""


def cut_left(text: str, cells: int) -> str:
    """``text`` in at most ``cells``, cut at the start with an ellipsis (paths and
    names: ``…Demo/ServerStream``), after a ``/ . : - _ , <`` or space when one leaves
    at least half the room (a segment is then shown whole or not at all)."""
    if width(text) <= cells:
        return text
    out: list[str] = []
    used = 0
    for atom in reversed(atoms(text)):
        size = width(atom)
        if used + size > cells - 1:
            break
        out.append(atom)
        used += size
    kept = "".join(reversed(out))
    for at, char in enumerate(kept):
        if char in _SEGMENT_END:
            if width(kept[at + 1:]) * 2 >= cells and at + 1 < len(kept):
                return ELLIPSIS + kept[at + 1:].lstrip(" ")
            break
    return ELLIPSIS + kept


def fold(text: str, cells: int) -> list[str]:
    """``text`` cut into pieces of at most ``cells``, between escapes (for a token
    wider than its column: it is data, not a word)."""
    pieces: list[str] = []
    current: list[str] = []
    used = 0
    for atom in atoms(text):
        size = width(atom)
        if used + size > cells and current:
            pieces.append("".join(current))
            current, used = [], 0
        current.append(atom)
        used += size
    if current or not pieces:
        pieces.append("".join(current))
    return pieces


def value_tokens(text: str) -> list[str]:
    """``text`` cut after each break opportunity (spaces kept with their token)."""
    if len(text) < 8 or not any(c in text for c in " /,;&=?\\"):
        return [text]
    return [token for token in _BREAK_AFTER.findall(text) if token]


def wrap(tokens: Iterable[str], cells: int, *, first: int | None = None) -> list[str]:
    """Tokens packed into lines of at most ``cells`` (the first line ``first``), a
    token never split unless wider than a whole line; trailing spaces dropped.

    A token may end with the text that separates it from the next (``"a, "``): lines
    are joined without adding anything."""
    lines: list[str] = []
    line = ""
    used = 0
    limit = cells if first is None else first
    for token in tokens:
        size = width(token)
        bare = token.rstrip(" ")
        if used + width(bare) <= limit:
            line += token
            used += size
            continue
        if line:
            lines.append(line.rstrip(" "))
            limit = cells
        if width(bare) > limit:
            pieces = fold(bare, limit)
            lines.extend(pieces[:-1])
            limit = cells
            line = pieces[-1] + token[len(bare):]
        else:
            line = token
        used = width(line)
    if line or not lines:
        lines.append(line.rstrip(" "))
    return lines


def wrap_text(text: str, cells: int, *, first: int | None = None) -> list[str]:
    """A value wrapped at its break opportunities (``value_tokens``)."""
    if width(text) <= (cells if first is None else first):
        return [text]
    return wrap(value_tokens(text), cells, first=first)


def joined(items: list[str], separator: str = ", ") -> list[str]:
    """Items as tokens that carry their separator (for ``wrap``)."""
    return [item + separator for item in items[:-1]] + items[-1:]


_UNITS = frozenset({"B", "bytes", "byte", "ms", "s", "frames", "calls", "streams"})
"""Words that stay on the line of the number before them (``22709 bytes``)."""
_COUNT = re.compile(r"[(]?[\d.,]+ +$")


def words(text: str) -> list[str]:
    """``text`` as tokens broken after spaces only (prose, a heading); a number and
    its unit (``22709 bytes``) are one token."""
    tokens = [token for token in re.findall(r"[^ ]*(?: +|$)", text) if token]
    out: list[str] = []
    for token in tokens:
        if out and _COUNT.match(out[-1]) and token.rstrip(" ,;:)→←").rstrip() in _UNITS:
            out[-1] += token
        else:
            out.append(token)
    return out


def console_like(console: Console, file: IO[str]) -> Console:
    """A console that prints to ``file`` exactly what ``console`` would print (same
    width, colours, terminal or not)."""
    return Console(
        file=file,
        width=console.width,
        color_system=console.color_system,  # type: ignore[arg-type]
        force_terminal=console.is_terminal,
        no_color=console.no_color,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )
