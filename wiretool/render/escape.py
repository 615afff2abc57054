"""Make wire data safe to show: no control characters, no escape sequences, no markup.

Values from the wire are data. Before any of them reaches a terminal, control
characters (C0, DEL, C1), and the Unicode format characters that reorder or hide
text (bidi overrides, zero-width marks), are replaced by visible escapes.
Renderers build ``rich.text.Text`` objects from these strings and never let rich
interpret markup, so ``[red]`` in a header value stays text.

Surrogates (U+D800-U+DFFF) are escaped too: they are not Unicode text, and writing
one to a UTF-8 stream raises. A string holds them only when it came from bytes
that are not UTF-8 (decoded with ``surrogateescape``: U+DC80-U+DCFF, one per byte,
shown as ``\\x80``..``\\xff``) or from a JSON ``\\ud800`` escape (shown as ``\\ud800``).

Two functions, one rule:

* :func:`escape_text` (and :func:`escape_bytes`) for values: backslashes are
  doubled, so ``\\x1b`` on screen is always the escape of a control character;
* :func:`escape_message` for every diagnostic and error message, and for names
  quoted next to one: the message is ours and may already quote values
  (``repr``, escaped text), so backslashes and newlines are left alone, and only
  what is unsafe is escaped. Every line the CLI writes to stderr and every
  diagnostic a renderer shows goes through it.

:func:`escape_json` applies the same rule to a JSON document written with non-ASCII
characters unescaped: what is unsafe becomes a ``\\uXXXX`` escape (the same value).
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, invisible/reordering format characters (the "Trojan
# Source" set: U+200B-U+200F, U+202A-U+202E, U+2060-U+2069, U+FEFF), and surrogates.
_UNSAFE_ABOVE_C0 = "\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x1f{_UNSAFE_ABOVE_C0}]")
# In a message a newline separates lines (compiler problems, lists of candidates).
_UNSAFE_IN_MESSAGE = re.compile(f"[\x00-\x09\x0b-\x1f{_UNSAFE_ABOVE_C0}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
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
    return escape_text(data.decode("utf-8", errors="surrogateescape"))


def escape_message(text: str) -> str:
    """A diagnostic or error message made safe for a terminal and for UTF-8 output.

    Control characters other than newline, bidi and zero-width characters, and
    surrogates become visible escapes; backslashes and newlines stay as they are.
    Applying it twice changes nothing.
    """
    if _UNSAFE_IN_MESSAGE.search(text) is None:
        return text
    return _UNSAFE_IN_MESSAGE.sub(_escape_char, text)


_UNSAFE_IN_JSON = re.compile(f"[{_UNSAFE_ABOVE_C0}]")


def escape_json(document: str) -> str:
    """A JSON text with what a terminal could act on written as ``\\uXXXX`` escapes.

    ``json.dumps`` escapes C0 controls but writes DEL, C1 controls, bidi and
    zero-width characters as they are (with ``ensure_ascii=False``); outside strings
    JSON holds none of them, so escaping them keeps every value as it was. Surrogates
    become escapes too, so the text can always be written as UTF-8.
    """
    if _UNSAFE_IN_JSON.search(document) is None:
        return document
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", document)


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
