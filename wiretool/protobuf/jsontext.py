"""JSON text -> a JSON value, safely: the reader every JSON input of wiretool goes through.

* :func:`looks_like_json` tells JSON text from protobuf bytes;
* :func:`parse_json_text` reads a document (UTF-8, BOM tolerated). Syntax errors
  give line and column; objects and arrays nested deeper than ``max_depth``, an
  object that repeats a key, a key holding U+0000, a string with a lone surrogate
  (``"\\ud800"``: not
  Unicode text, and the protobuf runtime refuses it) and a number beyond the range
  of a double (``1e999``: proto3 JSON writes infinity as the string ``"Infinity"``)
  give the JSON path (``$.a.b[3]``) as well.

The stdlib parser recurses once per level of nesting and would exhaust the stack on
a document of a few thousand ``[``; so the nesting is measured first, by a scan that
does not recurse (:func:`locate_structure_problem`), and the parser only ever sees
documents within the bound. This module imports nothing heavy (the CLI reads its
limits at start-up); mapping values to protobuf messages is ``jsonmap.py``'s job.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

from wiretool.errors import WiretoolError


class JsonInputError(WiretoolError):
    """The input is not JSON, or not JSON of the requested type (exit code 1)."""

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        path: str | None = None,
        offset: int | None = None,
    ) -> None:
        super().__init__(message, offset)
        self.line = line
        """1-based line of a syntax error."""
        self.column = column
        """1-based column of a syntax error."""
        self.path = path
        """JSON path (``$.a.b[0]``) of a value that does not fit the schema."""


def looks_like_json(data: bytes) -> bool:
    """True when ``data`` is UTF-8 text starting (after whitespace/BOM) with ``{`` or ``[``."""
    text = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text[:1] not in (b"{", b"["):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


DEFAULT_MAX_DEPTH = 100
"""Deepest JSON nesting read by default (``compare-json --max-depth``)."""
MAX_DEPTH_LIMIT = 250
"""Highest ``max_depth`` accepted: the stdlib parser and the runtime's JSON mapping recurse."""


def parse_json_text(data: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """The JSON value in ``data``; JsonInputError with line and column when it is not JSON.

    Objects and arrays nested deeper than ``max_depth`` (the top-level value is depth 1),
    an object with the same key twice (the runtime's ``json_format.Parse`` refuses it
    too), a key holding U+0000, a lone surrogate in a string and a number beyond the
    range of a double are errors that name the JSON path, line and column
    (:func:`locate_structure_problem`).
    """
    if not 1 <= max_depth <= MAX_DEPTH_LIMIT:
        raise ValueError(f"max_depth must be 1-{MAX_DEPTH_LIMIT}, not {max_depth}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JsonInputError(
            f"input is not UTF-8 (invalid byte at offset {exc.start})", offset=exc.start
        ) from None
    # Valid UTF-8 cannot hold a surrogate, nor a JSON string a raw U+0000: only a
    # \uXXXX escape can make either.
    escapes = _LONE_SURROGATE_ESCAPE.search(text) is not None or "\\u0000" in text
    if escapes or _deeper_than(text, max_depth):
        problem = locate_structure_problem(text, max_depth)
        if problem is not None:
            raise problem
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite,
                          object_pairs_hook=_unique_keys)
    except (_DuplicateKey, _Infinite) as exc:
        problem = locate_structure_problem(text, max_depth)
        raise problem or JsonInputError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise JsonInputError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            line=exc.lineno,
            column=exc.colno,
            offset=exc.pos,
        ) from None
    except ValueError as exc:  # NaN/Infinity literals; integers longer than 4300 digits
        raise JsonInputError(f"invalid JSON: {exc}") from None


class _DuplicateKey(Exception):
    """Raised inside the stdlib parser; the key is then located by a scan."""


class _Infinite(Exception):
    """Raised inside the stdlib parser; the number is then located by a scan."""


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Infinite(f"number {text} is beyond the range of a double")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _DuplicateKey
    return out


# A JSON string literal (unrolled: no backtracking), and everything that is not a bracket.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def _deeper_than(text: str, max_depth: int) -> bool:
    """True when brackets outside strings nest deeper than ``max_depth`` (a cheap check).

    Runs at C speed (two substitutions and an accumulate). Before the first syntax
    error the text is valid JSON, where it is exact; after one it may say True for a
    document the exact scan then finds only invalid.
    """
    if text.count("[") + text.count("{") <= max_depth:
        return False
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > max_depth


_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]|-?[0-9][0-9.eE+-]*', re.DOTALL)
# A high surrogate escape not followed by a low one, or a low one not after a high one
# (a cheap filter: an escaped backslash before "u" can make it match where the scan
# then finds nothing).
_LONE_SURROGATE_ESCAPE = re.compile(
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)
_SURROGATE = re.compile("[\ud800-\udfff]")


def locate_structure_problem(text: str, max_depth: int) -> JsonInputError | None:
    """The first place, in text order, where nesting passes ``max_depth``, an object
    repeats a key, a key holds U+0000, a string holds a lone surrogate or a number is
    beyond the range of a double, as an error naming the JSON path, line and column;
    None if there is none.

    A scan of the tokens that shape the document (strings, brackets, commas, colons),
    with an explicit stack: it does not recurse, whatever the nesting.
    """
    # Each open container: [is_object, key or index, keys seen, expecting a key].
    stack: list[list[Any]] = []
    for match in _TOKEN.finditer(text):
        token = match.group()
        top = stack[-1] if stack else None
        if token in "[{":
            if len(stack) >= max_depth:
                return _structure_error(
                    text, match.start(), _path(stack),
                    f"JSON nested deeper than --max-depth {max_depth}")
            stack.append([token == "{", None if token == "{" else 0, set(), token == "{"])
        elif token in "]}":
            if stack:
                stack.pop()
        elif token == ",":
            if top is not None and top[0]:
                top[3] = True
            elif top is not None:
                top[1] += 1
        elif token == ":":
            if top is not None and top[0]:
                top[3] = False
        elif token[0] != '"':  # a number
            try:
                infinite = math.isinf(float(token))
            except ValueError:
                continue  # not a number after all: the parser says so
            if infinite:
                return _structure_error(
                    text, match.start(), _path(stack),
                    f"number {token} is beyond the range of a double (proto3 JSON writes "
                    'infinity as the string "Infinity")')
        else:  # a string: a key, or a value
            try:
                string = json.loads(token)
            except ValueError:
                string = token[1:-1]
            is_key = top is not None and top[0] and top[3]
            if is_key:
                assert top is not None
                top[1] = string
            lone = _SURROGATE.search(string)
            if lone is not None:
                return _structure_error(
                    text, match.start(), _path(stack),
                    f"lone surrogate \\u{ord(lone.group()):04x} in a "
                    f"{'key' if is_key else 'string'} (not Unicode text; protobuf strings "
                    "are UTF-8)")
            if is_key and "\x00" in string:
                return _structure_error(
                    text, match.start(), _path(stack),
                    "a key holding U+0000 (protobuf names cannot hold it; the runtime would "
                    "cut the key there)")
            if is_key:
                assert top is not None
                if string in top[2]:
                    return _structure_error(text, match.start(), _path(stack),
                                            f"duplicate key {json.dumps(string)}")
                top[2].add(string)
    return None


def _path(stack: list[list[Any]]) -> str:
    parts = ["$"]
    for is_object, where, _keys, _expecting in stack:
        if is_object:
            if where is not None:
                parts.append(json_member(where))
        else:
            parts.append(f"[{where}]")
    return "".join(parts)


def json_member(key: str) -> str:
    """``.key``, or ``[\"odd key\"]`` when the key is not an identifier."""
    return f".{key}" if _plain_key(key) else f"[{json.dumps(key)}]"


def _structure_error(text: str, offset: int, path: str, what: str) -> JsonInputError:
    line = text.count("\n", 0, offset) + 1
    column = offset - text.rfind("\n", 0, offset)
    return JsonInputError(f"{what} at {path} (line {line}, column {column})",
                          line=line, column=column, path=path, offset=offset)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _plain_key(key: str) -> bool:
    return key.isidentifier()
