"""JSON text as the reader needs it: exact 64-bit integers, indentation for people,
JSON Lines cut out of a document.

The writers (``protobuf_json``, ``compare_json``, ``h2_jsonl``, ``hpack_view``) write
compact JSON for programs. This module holds the rules every command shares:

* **exact integers** (:func:`exact_integers`): an integer beyond ±(2**53 - 1) is
  written as a decimal string, as the proto3 JSON mapping writes int64, uint64 and
  fixed64. A reader that keeps numbers as IEEE doubles (``jq``, JavaScript) would
  otherwise round ``18446744073709551316`` to ``18446744073709552000``; smaller
  integers stay numbers.
* **indentation** (:func:`indent`): a compact document re-laid out with two spaces
  per level, token by token: every string and number keeps its exact spelling, so
  it works whatever wrote the document (the Python writers, the Rust core).
* **JSON Lines from a document** (:func:`members`, :func:`elements`): the text of each
  member of an object and of each element of an array, again without re-encoding.

Everything here takes and returns text; nothing is parsed into Python values
except by :func:`exact_integers`, which works on values before they are encoded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer an IEEE double holds exactly (and every smaller one)."""


def exact_integers(value: Any) -> Any:
    """``value`` (a JSON-ready tree) with every integer beyond ±``MAX_SAFE_INTEGER``
    replaced by its decimal string; the tree is shared where nothing changes."""
    kind = type(value)
    if kind is int:
        return str(value) if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else value
    if kind is dict:
        changed = None
        for key, item in value.items():
            new = exact_integers(item)
            if new is not item:
                if changed is None:
                    changed = dict(value)
                changed[key] = new
        return value if changed is None else changed
    if kind is list or kind is tuple:
        items = [exact_integers(item) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return items
    return value


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+', re.S)
"""One token of JSON text: a string, a punctuation mark, or a literal (number, true,
false, null); whitespace between tokens is skipped."""


def indent(text: str, step: int = 2) -> str:
    """``text`` (one JSON document) with ``step`` spaces per level, a member or an
    element per line, ``": "`` after a key; empty ``{}`` and ``[]`` stay on one line.
    Tokens are copied as they are."""
    out: list[str] = []
    level = 0
    tokens = _TOKEN.findall(text)
    count = len(tokens)
    for index, token in enumerate(tokens):
        if token in "{[" and len(token) == 1:
            following = tokens[index + 1] if index + 1 < count else ""
            if following in ("}", "]"):
                out.append(token)
                continue
            level += 1
            out.append(token + "\n" + " " * (step * level))
        elif token in "}]" and len(token) == 1:
            previous = tokens[index - 1] if index else ""
            if previous in ("{", "["):
                out.append(token)
                continue
            level -= 1
            out.append("\n" + " " * (step * level) + token)
        elif token == ",":
            out.append(",\n" + " " * (step * level))
        elif token == ":":
            out.append(": ")
        else:
            out.append(token)
    return "".join(out)


def _spans(text: str, start: int) -> Iterator[tuple[int, int, int]]:
    """(depth, start, end) of every token of ``text`` from ``start``; depth counts the
    brackets open before the token."""
    depth = 0
    for match in _TOKEN.finditer(text, start):
        token = match.group()
        if token == "}" or token == "]":
            depth -= 1
        yield depth, match.start(), match.end()
        if token == "{" or token == "[":
            depth += 1


def members(text: str) -> list[tuple[str, str]]:
    """The (key, value text) of each member of the JSON object ``text``, in order; the
    key is the JSON string's text with its quotes (``'"input"'``)."""
    out: list[tuple[str, str]] = []
    state, key, value_start, last_end = "key", "", 0, 0
    for depth, start, end in _spans(text, 0):
        token = text[start:end]
        if depth == 0:
            if token == "}" and state == "value":
                out.append((key, text[value_start:last_end]))
            continue
        if state == "key" and depth == 1 and token.startswith('"'):
            key, state = token, "colon"
        elif state == "colon" and token == ":":
            state = "start"
        elif state == "start":
            value_start, state = start, "value"
        elif state == "value" and depth == 1 and token == ",":
            out.append((key, text[value_start:last_end]))
            state = "key"
        last_end = end
    return out


def elements(text: str) -> list[str]:
    """The text of each element of the JSON array ``text``, in order."""
    out: list[str] = []
    state, element_start, last_end = "start", 0, 0
    for depth, start, end in _spans(text, 0):
        token = text[start:end]
        if depth == 0:
            if token == "]" and state == "value":
                out.append(text[element_start:last_end])
            continue
        if state == "start":
            element_start, state = start, "value"
        elif depth == 1 and token == ",":
            out.append(text[element_start:last_end])
            state = "start"
        last_end = end
    return out


def with_members(object_text: str, leading: str) -> str:
    """The JSON object ``object_text`` with the members ``leading`` (compact text such
    as ``'"record":"message","index":0'``) put first."""
    body = object_text.strip()[1:]
    return "{" + leading + ("," + body if body.strip() != "}" else "}")


def json_lines(document: str, arrays: dict[str, str]) -> list[str]:
    """JSON Lines from one JSON object ``document``, one record per line, each with a
    ``record`` member first: an element of a member named in ``arrays`` (member name
    -> record name) is a record of its own, with its ``index``; a member that is an
    object is a record named after the member; a scalar member is ``{"record": NAME,
    "value": VALUE}``; a null one gives no line. Values keep their exact text."""
    lines: list[str] = []
    for key, value in members(document):
        name = key[1:-1]
        if name in arrays:
            record = f'"record":"{arrays[name]}"'
            lines.extend(with_members(item, f'{record},"index":{index}')
                         for index, item in enumerate(elements(value)))
        elif value.startswith("{"):
            lines.append(with_members(value, f'"record":{key}'))
        elif value != "null":
            lines.append(f'{{"record":{key},"value":{value}}}')
    return lines
