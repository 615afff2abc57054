"""Make wire data safe to show: no control characters, no escape sequences, no markup.

Values from the wire are data. Before any of them reaches a terminal, control
characters (C0, DEL, C1), and the Unicode format characters that reorder or hide
text (bidi overrides, zero-width marks), are replaced by visible escapes.
Renderers build ``rich.text.Text`` objects from these strings and never let rich
interpret markup, so ``[red]`` in a header value stays text.
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, and invisible/reordering format characters
# (the "Trojan Source" set: U+200B-U+200F, U+202A-U+202E, U+2066-U+2069, U+FEFF).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_SURROGATE = re.compile("[\udc80-\udcff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_text(text: str) -> str:
    """``text`` with every unsafe character written as a visible escape."""
    if _UNSAFE.search(text) is None and "\\" not in text:
        return text
    return _UNSAFE.sub(_escape_char, text.replace("\\", "\\\\"))


def escape_bytes(data: bytes) -> str:
    """Bytes as text: UTF-8 where valid, ``\\xNN`` for every other byte, then escaped."""
    # surrogateescape maps each invalid byte to a lone surrogate U+DC80..U+DCFF, which
    # cannot appear in valid UTF-8, so it can be told apart from a literal "\\x41".
    text = escape_text(data.decode("utf-8", errors="surrogateescape"))
    return _SURROGATE.sub(lambda m: f"\\x{ord(m.group(0)) - 0xDC00:02x}", text)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (never inside an escape)."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    # Do not leave half an escape such as "\x1" at the end.
    backslash = cut.rfind("\\", max(len(cut) - 6, 0))
    if backslash != -1:
        cut = cut[:backslash]
    return cut + "…"
