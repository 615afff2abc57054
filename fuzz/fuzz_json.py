#!/usr/bin/env python3
"""Structure-aware fuzzing of ``compare-json`` on JSON input, with and without a schema
(issue 19), through the real command.

The fuzzer's bytes are read as choices (:class:`contract.Draw`) that build a JSON
document the way a hostile client would write one: members named after the schema's
fields (JSON names and proto names, of the message and of the messages below it) or
not, values of the right type or the wrong one, huge and negative numbers, numbers
beyond int64 and double, ``NaN``/``Infinity`` as strings and as bare literals, duplicate
keys, lone surrogates and control characters in keys and strings, invalid UTF-8, deep
nesting (a few levels to a few thousand), the document cut short, JSON Lines of several
documents; or, for a share of the inputs, the bytes themselves as the text. Options:
a schema and type or none (inferred), ``--format json|table``, ``--input-format
auto|json|jsonl``, ``--max-depth``.

Contract (``run_cli``): never a traceback, exit 0 or 1, UTF-8 output free of control
characters; the JSON output parses and its per-field bytes add up to its totals.

    python fuzz/fuzz_json.py fuzz/work/corpus/json fuzz/corpus/json \
        -max_total_time=1800 -rss_limit_mb=2048 -timeout=20 -max_len=4096
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from contract import Draw, fuzz_main, instrumented, run_cli

with instrumented(__name__ == "__main__"):
    import wiretool.cli  # noqa: F401  (the commands, and every module they import)
    from wiretool.protobuf.schema import load_schema

from fuzz_schema import (  # one compiled descriptor set for both harnesses
    PERSON_DESC,
    SCHEMAS_DESC,
    check_compare_document,
)

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ["--descriptor-set", str(PERSON_DESC), "--descriptor-set", str(SCHEMAS_DESC)]
TYPES = (
    "wiretool.samples.Person", "wiretool.samples.AddressBook", "wiretool.demo.Request",
    "wiretool.demo.Reply", "hostile.Node", "google.protobuf.Struct", "google.protobuf.Value",
    "google.protobuf.Timestamp", "google.protobuf.Any",
)
_POOL = load_schema(descriptor_sets=[PERSON_DESC, SCHEMAS_DESC])
# Every name a member could have: JSON names and proto names of every field of every
# message a type reaches, so generated documents hit real fields at every level.
KEYS: dict[str, list[str]] = {}
for _name in TYPES:
    _seen: set[str] = set()
    _keys: list[str] = []
    _todo = [_POOL.resolve_type(_name)]
    while _todo:
        _descriptor = _todo.pop()
        if _descriptor.full_name in _seen:
            continue
        _seen.add(_descriptor.full_name)
        for _fd in _descriptor.fields:
            _keys += [_fd.json_name, _fd.name]
            if _fd.message_type is not None:
                _todo.append(_fd.message_type)
    KEYS[_name] = sorted(set(_keys))
KEYS[""] = ["a", "b", "id", "name", "value", "items", "0", "f1"]

NUMBERS = (
    "0", "-0", "1", "-1", "2", "127", "128", "-129", "2147483647", "2147483648", "-2147483648",
    "-2147483649", "4294967295", "4294967296", "9007199254740993", "9223372036854775807",
    "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
    "18446744073709551615", "18446744073709551616", "1" + "0" * 30, "-" + "9" * 40,
    "1" + "0" * 400, "1e308", "1.7976931348623157e308", "1e309", "-1e999", "1e-400", "5e-324",
    "0.5", "-2.5", "3.141592653589793", "1e2", "1E+2", "1.0", "100.000", "0.1e1",
)
STRINGS = (
    "", "x", "NaN", "Infinity", "-Infinity", "nan", "inf", "1", "-1", "1e5", "0x10", "01",
    "18446744073709551616", "9223372036854775808", "true", "null", "RED", "BLUE", "MOBILE",
    "WORK", "STATUS_SHIPPED", "1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
    "10000-01-01T00:00:00Z", "1972-01-01T10:00:20.021-05:00", "1.5s", "-315576000001s",
    "0.000000001s", "a.b,c", "fooBar,baz_qux", "AAAA", "____", "AQID", "AQ==", "AQ=", "=",
    "type.googleapis.com/wiretool.demo.Point", "type.googleapis.com/google.protobuf.Struct",
    "type.googleapis.com/nope.Missing", "/", "\u00e9t\u00e9", "\U0001f600", "\x00", "\x1b[31m",
    "\u202eevil", "\u200b", "[red]x[/red]", "\\", "\"", "a" * 300,
)
SURROGATES = ("\\ud800", "\\udfff", "\\ud83d", "\\ude00", "\\ud83d\\ude00", "\\udc80x")


class Writer:
    """Builds the text of one JSON document from the choices (not via json.dumps, so it
    can write what json.dumps never does: duplicate keys, bare NaN, lone surrogates)."""

    def __init__(self, draw: Draw, keys: list[str]) -> None:
        self.draw = draw
        self.keys = keys
        self.budget = 400  # values per document

    def value(self, depth: int) -> str:
        self.budget -= 1
        draw = self.draw
        choice = draw.below(16) if self.budget > 0 and depth < 60 else draw.below(9)
        if choice in (0, 1):
            return draw.pick(NUMBERS)
        if choice in (2, 3):
            return self.string()
        if choice == 4:
            return draw.pick(("true", "false", "null"))
        if choice == 5:
            return draw.pick(("NaN", "Infinity", "-Infinity", "nan", "1e", "-", "01", "0x1"))
        if choice == 6:
            return str(draw.below(1 << 16) - (1 << 15))
        if choice == 7:
            return f"{draw.below(1 << 16)}.{draw.below(1000)}e{draw.below(40) - 20}"
        if choice == 8:
            return "{}" if draw.chance(128) else "[]"
        if choice in (9, 10, 11, 12):
            return self.object(depth + 1)
        if choice in (13, 14):
            return self.array(depth + 1)
        return self.deep()

    def key(self) -> str:
        draw = self.draw
        if draw.chance(200):
            return json.dumps(draw.pick(self.keys))
        return self.string()

    def string(self) -> str:
        draw = self.draw
        kind = draw.below(8)
        if kind < 5:
            return json.dumps(draw.pick(STRINGS), ensure_ascii=draw.chance(128))
        if kind == 5:
            text = json.dumps(draw.pick(STRINGS))
            return text[:-1] + draw.pick(SURROGATES) + '"'
        if kind == 6:
            return json.dumps(draw.take(draw.below(24)).decode("latin-1"),
                              ensure_ascii=draw.chance(128))
        return '"' + draw.pick(self.keys) + draw.pick(("\\u0000", "\\n", "\\t", "\\\\", "")) + '"'

    def object(self, depth: int) -> str:
        draw = self.draw
        members = []
        keys: list[str] = []
        for _ in range(draw.below(6)):
            duplicate = keys and draw.chance(16)
            key = draw.pick(keys) if duplicate else self.key()
            keys.append(key)
            members.append(f"{key}: {self.value(depth)}")
        return "{" + ", ".join(members) + "}"

    def array(self, depth: int) -> str:
        return "[" + ", ".join(self.value(depth) for _ in range(self.draw.below(6))) + "]"

    def deep(self) -> str:
        """Nesting of a few levels to a few thousand: arrays, objects, or a field again."""
        draw = self.draw
        levels = draw.pick((2, 10, 48, 49, 50, 95, 99, 100, 101, 120, 249, 250, 251, 600, 5000))
        shape = draw.below(3)
        if shape == 0:
            return "[" * levels + self.value(levels) + "]" * levels
        key = json.dumps(draw.pick(self.keys)) if shape == 1 else '"a"'
        return f"{{{key}: " * levels + self.value(levels) + "}" * levels


def document(draw: Draw, keys: list[str]) -> bytes:
    writer = Writer(draw, keys)
    text = writer.object(1) if draw.chance(230) else writer.value(1)
    raw = text.encode("utf-8", errors="surrogatepass")  # a raw surrogate: not UTF-8
    if draw.chance(24):
        raw = raw[:draw.below(len(raw) + 1)]  # cut short
    if draw.chance(8):
        raw = b"\xef\xbb\xbf" + raw  # a BOM
    if draw.chance(8):
        at = draw.below(len(raw) + 1)
        raw = raw[:at] + draw.pick((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00")) + raw[at:]
    return raw


def test_one_input(data: bytes) -> None:
    draw = Draw(data)
    options = draw.byte()
    type_name = draw.pick(TYPES)
    with_schema = bool(options & 1)
    keys = KEYS[type_name] if with_schema or options & 2 else KEYS[""]
    fmt = "table" if options & 4 else "json"
    input_format = ("auto", "json", "jsonl", "auto")[options >> 3 & 3]
    depth = ("100", "1", "5", "250")[options >> 5 & 3]
    if options & 0x80:
        text = draw.rest()  # the bytes themselves, for mutations of the text
    else:
        texts = [document(draw, keys) for _ in range(1 + (input_format == "jsonl") * 2)]
        text = b"\n".join(texts)
    args = ["compare-json", *((*SCHEMA, "-t", type_name) if with_schema else ()),
            "-f", fmt, "-i", input_format, "--max-depth", depth, "-"]
    run = run_cli(args, text, json_output=fmt == "json")
    if fmt == "json":
        check_compare_document(json.loads(run.stdout))


if __name__ == "__main__":
    fuzz_main(test_one_input)
