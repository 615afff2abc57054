"""Hostile JSON through ``compare-json`` (issue 19): no traceback, ever.

* nesting is bounded by ``--max-depth`` (default 100) before the stdlib parser, which
  recurses, sees the text: deeper is an error at the JSON path, line and column;
* a document within the bound never makes anything else recurse too deep: the
  inferred schema is built without recursion, and the runtime's JSON mapping stops at
  100 message levels with an error at the path where the limit was passed;
* duplicate keys and lone surrogates are errors at their JSON path;
* every message that quotes the input is made safe for the terminal and for UTF-8
  (``escape_message``), on stderr, in the table and in the JSON document.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.hostile.helpers import (
    ROOT,
    cli,
    needs_entry_point,
    nested_messages,
    subprocess_run,
    varint,
)
from wiretool.protobuf import infer_json, wire
from wiretool.protobuf.jsontext import JsonInputError, parse_json_text
from wiretool.protobuf.model import Field, Kind, WireType
from wiretool.protobuf.schema import SchemaError

PERSON = ("--proto", str(ROOT / "samples" / "person.proto"), "-t", "Person")
HOSTILE = ("--proto", str(Path(__file__).parent / "data" / "hostile.proto"), "-t", "hostile.Node")


def compare(text: str | bytes, *options: str) -> tuple[int, dict[str, object], str]:
    """``compare-json -f json`` and ``-f table``: same exit code; the document; the table."""
    data = text.encode() if isinstance(text, str) else text
    as_json = cli("compare-json", "-f", "json", *options, stdin=data)
    as_table = cli("compare-json", "-f", "table", *options, stdin=data)
    assert as_table.code == as_json.code
    document = as_json.json()
    assert isinstance(document, dict)
    return as_json.code, document, as_table.stdout


def error_of(document: dict[str, object]) -> str:
    errors = document["errors"]
    assert isinstance(errors, list) and len(errors) == 1
    message = errors[0]["message"]
    assert isinstance(message, str)
    return message


# -- issue 19, reproducers 2 and 3 -----------------------------------------------------


@pytest.mark.parametrize("schema", [(), PERSON], ids=["no schema", "schema"])
def test_array_5000_deep_is_an_error_at_its_path(schema: tuple[str, ...]) -> None:
    code, document, table = compare("[" * 5000 + "]" * 5000, *schema)
    assert code == 1
    message = error_of(document)
    assert message == ("JSON nested deeper than --max-depth 100 at $" + "[0]" * 100
                       + " (line 1, column 101)")
    assert "JSON nested deeper than --max-depth 100" in table


def test_lone_surrogate_where_a_repeated_float_belongs() -> None:
    code, document, table = compare('{"name": "Ada", "weights": "\\ud800"}', *PERSON)
    assert code == 1
    assert error_of(document) == (
        "lone surrogate \\ud800 in a string (not Unicode text; protobuf strings are UTF-8) at "
        "$.weights (line 1, column 28)")
    assert "lone surrogate \\ud800 in a string" in table


@needs_entry_point
def test_reproducers_through_the_installed_command() -> None:
    for text in ("[" * 5000 + "]" * 5000, '{"name": "Ada", "weights": "\\ud800"}'):
        for fmt in ("json", "table"):
            done = subprocess_run("compare-json", "-f", fmt, *PERSON, stdin=text.encode())
            assert done.code == 1
            done.stderr.decode("utf-8")  # strict: what was written is UTF-8
            done.stdout.decode("utf-8")


# -- --max-depth ---------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1, 3, 100, 250])
def test_max_depth_is_exact(depth: int) -> None:
    inside = "[" * (depth - 1) + "]" * (depth - 1)
    ok = "{\"a\": " + (inside or "1") + "}"
    parse_json_text(ok.encode(), depth)
    with pytest.raises(JsonInputError) as raised:
        parse_json_text(("{\"a\": [" + inside + "]}").encode(), depth)
    assert raised.value.path == "$.a" + "[0]" * (depth - 1)


def test_max_depth_path_line_and_column_in_a_pretty_document() -> None:
    text = json.dumps({"a": 1, "b": [0, {"c d": {"e": [[1]]}}]}, indent=2)
    with pytest.raises(JsonInputError) as raised:
        parse_json_text(text.encode(), 5)
    error = raised.value
    assert error.path == '$.b[1]["c d"].e[0]'
    assert (error.line, error.column) == (8, 11)
    assert text.splitlines()[error.line - 1][error.column - 1] == "["
    assert str(error).startswith('JSON nested deeper than --max-depth 5 at $.b[1]["c d"].e[0]')


def test_max_depth_option_on_the_command() -> None:
    code, document, _ = compare('{"a": [[1]]}', "--max-depth", "2")
    assert code == 1 and "at $.a[0] (line 1, column 8)" in error_of(document)
    code, document, _ = compare('{"a": [[1]]}', "--max-depth", "3")
    assert code == 0 and document["type"] == "wiretool.inferred.Root"
    for bad in ("0", "251"):
        assert cli("compare-json", "--max-depth", bad, stdin=b"{}").code == 2


def test_jsonl_lines_are_bounded_each_and_named() -> None:
    text = '{"a": 1}\n' + "[" * 300 + "]" * 300 + '\n{"a": 2}\n'
    run = cli("compare-json", "-f", "json", "-i", "jsonl", stdin=text.encode())
    assert run.code == 1
    document = run.json()
    assert isinstance(document, dict)
    assert [e["input"] for e in document["errors"]] == ["-:2"]
    assert len(document["inputs"]) == 2


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"s": "[" * 1000, "t": "\\\"{" * 500})
    assert parse_json_text(text.encode(), 1) == json.loads(text)


def test_invalid_json_deeper_than_the_bound_is_still_an_error() -> None:
    # An unterminated string, then brackets: either error is fine, never a traceback.
    for text in ('{"a": "' + "[" * 5000, "[" * 5000 + '"', "]" * 10 + "[" * 5000):
        with pytest.raises(JsonInputError):
            parse_json_text(text.encode())


# -- within the bound, nothing downstream recurses too deep -----------------------------


def nest_objects(levels: int) -> str:
    """``levels`` objects, each the only member of the one around it."""
    return '{"a": ' * levels + "1" + "}" * levels


@pytest.mark.parametrize("levels", [96, 97, 98, 99, 150, 250])
def test_deep_objects_without_schema(levels: int) -> None:
    code, document, _ = compare(nest_objects(levels), "--max-depth", "250")
    # 96 levels of inferred messages, then google.protobuf.Struct and Value (the runtime
    # counts both): 98 levels of objects make 100 runtime levels, all it reads.
    if levels <= 98:
        assert code == 0 and document["protobuf"]["bytes"] > 0  # type: ignore[index]
    else:
        # Deeper than the runtime's 100 message levels: an error where it is passed.
        assert code == 1
        assert "messages nested deeper than the 100 levels the protobuf runtime reads" in (
            error_of(document))


def test_deep_recursive_message_with_a_schema_is_placed_where_the_limit_is_passed() -> None:
    # The root and 99 levels of f_message are the 100 levels the runtime reads.
    text = ('{"fMessage": ' * 150) + "{}" + "}" * 150
    code, document, _ = compare(text, *HOSTILE, "--max-depth", "250")
    assert code == 1
    assert error_of(document) == (
        "JSON does not fit hostile.Node at $" + ".fMessage" * 100 + ": messages nested deeper "
        "than the 100 levels the protobuf runtime reads")


@pytest.mark.parametrize("text", [
    '{"value": ' + "[" * 240 + "]" * 240 + "}",
    '{"struct": ' + '{"a": ' * 240 + "1" + "}" * 240 + "}",
    '{"list": ' + "[" * 240 + "]" * 240 + "}",
    '{"rMessage": ' + '[{"rMessage": ' * 120 + "[]" + "}]" * 120 + "}",
    '{"mNodes": ' + '{"k": {"mNodes": ' * 120 + "{}" + "}}" * 120 + "}",
])
def test_deep_well_known_types_repeated_and_maps_with_a_schema(text: str) -> None:
    code, document, _ = compare(text, *HOSTILE, "--max-depth", "250")
    assert code == 1
    assert "messages nested deeper than the 100 levels the protobuf runtime reads" in (
        error_of(document))


def test_inference_does_not_recurse() -> None:
    # Built without the parser (which is bounded): 10,000 levels, inferred without recursion.
    value: object = 1
    for _ in range(10_000):
        value = {"a": value}
    schema = infer_json.schema_from_json([value])  # type: ignore[list-item]
    root = schema.resolve_type(None)
    depth, descriptor = 1, root
    while descriptor.fields and descriptor.fields[0].message_type is not None:
        descriptor = descriptor.fields[0].message_type
        depth += 1
        if descriptor.full_name == "google.protobuf.Struct":
            break
    assert depth == infer_json.INFERRED_MAX_DEPTH + 1
    assert sys.getrecursionlimit() < 10_000


def test_inference_from_a_deep_decode_does_not_recurse() -> None:
    # A tree 10,000 levels deep, built by hand (the decoder stops at its max_depth).
    field = Field(offset=0, number=2, wire_type=WireType.VARINT, length=2, tag_length=1,
                  kind=Kind.VARINT, value_offset=1, value_length=1, value=1)
    for _ in range(10_000):
        field = Field(offset=0, number=1, wire_type=WireType.LEN, length=0, tag_length=1,
                      kind=Kind.MESSAGE, value_offset=2, value_length=0, fields=(field,))
    with pytest.raises(SchemaError):  # deeper than the runtime reads a descriptor
        infer_json.schema_from_decode([field])
    message, _ = wire.decode_message(nested_messages(5000), max_depth=infer_json.INFERRED_MAX_DEPTH)
    schema = infer_json.schema_from_decode(message.fields)
    assert schema.resolve_type(None).fields[0].name == "f1"


def test_field_numbers_still_follow_first_appearance() -> None:
    schema = infer_json.schema_from_json([{"a": [{"x": 1}, {"y": {"p": 1}}], "b": {"z": 1}},
                                          {"a": [{"w": 2, "y": {"q": 2}}]}])
    root = schema.resolve_type(None)
    element = root.fields_by_name["a"].message_type
    assert [(f.json_name, f.number) for f in element.fields] == [("x", 1), ("y", 2), ("w", 3)]
    assert [f.json_name for f in element.fields_by_name["y"].message_type.fields] == ["p", "q"]


def nested_f_message(levels: int) -> bytes:
    """``levels`` of hostile.Node.f_message (field 11) around f_int32 = 1."""
    body = b"\x28\x01"
    for _ in range(levels):
        body = b"\x5a" + varint(len(body)) + body
    return body


@pytest.mark.parametrize("levels", [50, 96, 97, 300])
def test_deep_binary_without_schema_is_measured(levels: int) -> None:
    run = cli("compare-json", "-f", "json", "-i", "raw", "--max-depth", "250",
              stdin=nested_messages(levels))
    assert run.code == 0
    document = run.json()
    assert isinstance(document, dict)
    assert document["protobuf"]["bytes"] == len(nested_messages(levels))
    notes = [d["message"] for d in document["diagnostics"]]
    if levels == 300:
        assert notes[-1] == ("-: without a schema, messages are expanded 96 levels deep at "
                             "most (the protobuf runtime reads 100); deeper ones are measured as "
                             "bytes")


def test_deep_binary_with_a_recursive_schema_falls_back_to_schemaless() -> None:
    run = cli("compare-json", "-f", "json", "-i", "raw", *HOSTILE, stdin=nested_f_message(150))
    assert run.code == 1
    document = run.json()
    assert isinstance(document, dict)
    assert document["diagnostics"][0]["message"].startswith(
        "-: the input does not parse as hostile.Node (")
    assert document["type"] == "wiretool.inferred.Root"
    assert document["protobuf"]["bytes"] == len(nested_f_message(150))


# -- duplicate keys, surrogates ----------------------------------------------------------


def test_duplicate_keys_are_errors_at_their_path() -> None:
    code, document, _ = compare('{"name": "a", "phones": [{"number": "1", "number": "2"}]}',
                                *PERSON)
    assert code == 1
    assert error_of(document) == 'duplicate key "number" at $.phones[0].number (line 1, column 42)'
    code, document, _ = compare('{"a": 1, "b": {}, "a": 2}')
    assert code == 1 and error_of(document).startswith('duplicate key "a" at $.a ')


@pytest.mark.parametrize("text, path", [
    ('{"\\udc80": 1}', '$["\\udc80"]'),
    ('{"a": ["x", {"b": "z\\ud83d"}]}', "$.a[1].b"),
    ('"\\ude00"', "$"),
])
def test_lone_surrogates_anywhere(text: str, path: str) -> None:
    with pytest.raises(JsonInputError) as raised:
        parse_json_text(text.encode())
    assert raised.value.path == path


def test_surrogate_pairs_and_escaped_backslashes_are_fine() -> None:
    text = '{"a": "\\ud83d\\ude00", "b": "\\\\ud800"}'
    assert parse_json_text(text.encode()) == {"a": "\U0001f600", "b": "\\ud800"}
    code, _, _ = compare(text)
    assert code == 0


# -- values: wrong types, huge and negative numbers, NaN and Infinity ----------------------


@pytest.mark.parametrize("text, words", [
    ('{"id": 1e999}', "number 1e999 is beyond the range of a double (proto3 JSON writes "
                      'infinity as the string "Infinity") at $.id (line 1, column 8)'),
    ('{"id": 1.5}', "at $.id: Failed to parse id field: Couldn't parse integer: 1.5"),
    ('{"score": 1' + "0" * 400 + "}", "at $.score: int too large to convert to float"),
    ('{"score": NaN}', "invalid JSON: NaN is not a JSON value"),
    ('{"score": -Infinity}', "invalid JSON: -Infinity is not a JSON value"),
    ('{"timezoneOffsetMinutes": -2147483649}', "Value out of range: -2147483649"),
    ('{"phones": [{"type": 1e10}]}', "at $.phones[0].type: "),
    ('{"luckyNumbers": [1, true]}', "at $.luckyNumbers[1]: "),
    ('{"labels": {"k": []}}', 'at $.labels["k"]: '),
    ('{"id": ' + "9" * 5000 + "}", "invalid JSON: Exceeds the limit (4300 digits)"),
])
def test_values_that_do_not_fit(text: str, words: str) -> None:
    code, document, _ = compare(text, *PERSON)
    assert code == 1
    assert words in error_of(document)


def test_special_float_strings_fit_a_double() -> None:
    code, document, _ = compare('{"score": "NaN", "weights": ["Infinity", "-Infinity", 1e-400]}',
                                *PERSON)
    assert code == 0 and document["json"]["bytes"] > 0  # type: ignore[index]


# -- messages are safe for the terminal and for UTF-8 ---------------------------------------


def test_quoted_control_characters_and_bidi_never_reach_the_terminal() -> None:
    text = '{"name": "x", "\\u001b[31mred\\u202e": 1}'
    run = cli("compare-json", "-f", "table", *PERSON, stdin=text.encode())
    assert run.code == 1
    assert "\x1b" not in run.stdout + run.stderr and "\u202e" not in run.stdout + run.stderr
    assert "\\x1b[31mred\\u202e" in run.stdout
    document = cli("compare-json", "-f", "json", *PERSON, stdin=text.encode()).json()
    assert isinstance(document, dict)
    assert "\\x1b[31mred\\u202e" in error_of(document)


def test_input_names_that_are_not_utf8_are_escaped(tmp_path: Path) -> None:
    name = tmp_path / "p\udcff\x1b.json"  # a file name with byte 0xff and an ESC
    try:
        name.write_text("[" * 300)
    except (UnicodeEncodeError, OSError):
        pytest.skip("the file system refuses such names")
    run = cli("compare-json", "-f", "json", str(name))
    assert run.code == 1
    document = run.json()
    assert isinstance(document, dict)
    assert document["errors"][0]["input"].endswith("p\\xff\\x1b.json")
    table = cli("compare-json", "-f", "table", str(name))
    assert "p\\xff\\x1b.json" in table.stdout and "\x1b" not in table.stdout
