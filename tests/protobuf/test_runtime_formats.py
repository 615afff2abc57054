"""``decode --format textproto|proto-json`` against protoc and the stock runtime printer.

The expectations in data/runtime/cases.json were written by
``scripts/make_runtime_expectations.py``: ``protoc --decode`` (C++) per message for the
text format, the stock ``json_format.MessageToJson`` for proto3 JSON.
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wiretool.cli import app
from wiretool.errors import Severity
from wiretool.protobuf.runtime import decode_with_runtime
from wiretool.protobuf.schema import load_schema
from wiretool.render.protobuf_runtime import (
    parse_unknown_fields,
    render_proto_json,
    render_textproto,
)

ROOT = Path(__file__).resolve().parents[2]
CASES = json.loads((ROOT / "tests/protobuf/data/runtime/cases.json").read_text())
runner = CliRunner()


def _input(case: dict[str, Any]) -> bytes:
    if "input" in case:
        return (ROOT / case["input"]).read_bytes()
    return bytes.fromhex(case["hex"])


def _schema(case: dict[str, Any]) -> Any:
    return load_schema([ROOT / p for p in case["protos"]], [], [])


def _split_stream(text: str) -> list[str]:
    """The textproto of each message of a stream (after each ``#`` header line)."""
    parts = text.split("# ")[1:]
    return [part.split("\n", 1)[1].removesuffix("\n\n") + ("\n" if part.endswith("\n\n") else "")
            for part in parts]


def _same_text(ours: str, protoc: str | None) -> bool:
    """Line for line equal, except that a float may be written in another form of the
    same value: the runtime writes the shortest that round-trips (``3.4028235e+38``,
    ``-0.0``), protoc 3.21 up to 9 or 17 digits (``3.40282347e+38``, ``-0``)."""
    if protoc is None:
        return False
    mine, theirs = ours.split("\n"), protoc.split("\n")
    if len(mine) != len(theirs):
        return False
    for a, b in zip(mine, theirs, strict=True):
        if a == b:
            continue
        name_a, _, value_a = a.partition(": ")
        name_b, _, value_b = b.partition(": ")
        try:
            x, y = float(value_a), float(value_b)
            same = name_a == name_b and value_a.startswith("-") == value_b.startswith("-") and (
                x == y or struct.pack("<f", x) == struct.pack("<f", y))  # a float32
        except ValueError:
            return False
        if not same:
            return False
    return True


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_textproto_is_what_protoc_decode_prints(case: dict[str, Any]) -> None:
    schema = _schema(case)
    result = decode_with_runtime(_input(case), schema.resolve_type(case["type"]),
                                 framing="none" if "hex" in case else "auto")
    out = io.StringIO()
    render_textproto(result, out, schema.pool, expand_any=False)
    expected = [e["textproto"] for e in case["expected"]]
    got = _split_stream(out.getvalue()) if result.stream else [out.getvalue()]
    assert len(got) == len(expected)
    for ours, protoc in zip(got, expected, strict=True):
        assert _same_text(ours, protoc), (ours, protoc)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_proto_json_is_the_canonical_mapping(case: dict[str, Any]) -> None:
    schema = _schema(case)
    result = decode_with_runtime(_input(case), schema.resolve_type(case["type"]),
                                 framing="none" if "hex" in case else "auto")
    out = io.StringIO()
    notes = render_proto_json(result, out, schema.pool)
    decoder = json.JSONDecoder()
    text, documents, pos = out.getvalue(), [], 0
    while pos < len(text):
        value, pos = decoder.raw_decode(text, pos)
        documents.append(value)
        pos += 1  # the newline after each document
    expected = [e["proto_json"] for e in case["expected"]]
    if None in expected:  # an Any whose type the schema lacks: our fallback, with a warning
        assert any("not in the schema" in n.message for n in notes)
        assert documents[0]["any"] == {"typeUrl": "type.googleapis.com/not.in.Schema",
                                       "value": "CAE="}
    else:
        assert documents == expected
    assert all(n.severity is Severity.WARNING for n in notes)


def test_any_in_the_schema_is_expanded_in_both_formats() -> None:
    [case] = [c for c in CASES if c["name"] == "demo-19"]  # google.rpc.Status of demo.pcap
    schema = _schema(case)
    result = decode_with_runtime(_input(case), schema.resolve_type("google.rpc.Status"))
    text = io.StringIO()
    render_textproto(result, text, schema.pool)
    assert text.getvalue() == (
        'code: 3\n'
        'message: "name must not be empty"\n'
        'details {\n'
        '  [type.googleapis.com/wiretool.demo.ErrorDetail] {\n'
        '    field: "name"\n'
        '    reason: "must not be empty"\n'
        '  }\n'
        '}\n')
    out = io.StringIO()
    assert render_proto_json(result, out, schema.pool) == []
    assert json.loads(out.getvalue())["details"] == [{
        "@type": "type.googleapis.com/wiretool.demo.ErrorDetail",
        "field": "name", "reason": "must not be empty"}]


def test_unknown_fields_dropped_from_json_are_listed_with_offsets() -> None:
    [case] = [c for c in CASES if c["name"] == "hostile-unknown-fields"]
    schema = _schema(case)
    result = decode_with_runtime(_input(case), schema.resolve_type("hostile.Node"))
    [message] = result.messages
    # f_int32 = 5 (2 bytes), then 101 at offset 2, 102 at 6, 103 at 12 ...
    assert [(u.path, u.offset) for u in message.unknown] == [
        ("101", 2), ("102", 6), ("103", 12), ("104", 22), ("104", 29), ("105", 34),
        ("f_string", 40), ("f_enum", 42), ("f_message.101", 46)]
    assert "declared f_string with wire type LEN" in message.unknown[6].reason
    assert "not a value of the closed enum hostile.Color" in message.unknown[7].reason
    [note] = render_proto_json(result, io.StringIO(), schema.pool)
    assert note.severity is Severity.WARNING
    assert "9 field(s) not in the schema of hostile.Node are left out of proto3 JSON" in (
        note.message)
    assert "f_message.101 (VARINT) at offset 46" in note.message


def test_json_escapes_what_a_terminal_would_act_on() -> None:
    [case] = [c for c in CASES if c["name"] == "hostile-everything"]
    schema = _schema(case)
    result = decode_with_runtime(_input(case), schema.resolve_type("hostile.Node"))
    out = io.StringIO()
    render_proto_json(result, out, schema.pool)
    text = out.getvalue()
    assert "\x1b" not in text and "\u202e" not in text and "\u200b" not in text
    assert "\\u001b[31mred" in text and "\\u202eevil" in text and "\u00e9\u4e2d" in text
    value = json.loads(text)
    assert value["fInt64"] == "-9223372036854775808"  # int64 as a string
    assert value["fDouble"] == "NaN" and value["fFloat"] == "Infinity"
    assert value["fEnum"] == "BLUE"
    assert value["mBlobs"] == {"18446744073709551615": "AQI="}
    assert value["time"] == "2024-11-26T00:00:00.123Z"
    assert value["duration"] == "-5.500s"
    assert value["any"]["@type"] == "type.googleapis.com/hostile.Node"


def test_textproto_never_writes_control_characters() -> None:
    [case] = [c for c in CASES if c["name"] == "hostile-everything"]
    schema = _schema(case)
    result = decode_with_runtime(_input(case), schema.resolve_type("hostile.Node"))
    out = io.StringIO()
    render_textproto(result, out, schema.pool)
    assert out.getvalue().isascii()
    assert all(ch >= " " or ch == "\n" for ch in out.getvalue())


def test_a_hostile_any_type_url_is_escaped() -> None:
    schema = load_schema([ROOT / "tests/hostile/data/hostile.proto"], [], [])
    url = b"\x1b[2J\xe2\x80\xae/hostile.Node"
    data = b"\x82\x05" + bytes([len(url) + 4]) + b"\x0a" + bytes([len(url)]) + url + b"\x12\x00"
    result = decode_with_runtime(data, schema.resolve_type("hostile.Node"))
    out = io.StringIO()
    render_textproto(result, out, schema.pool)
    assert out.getvalue() == "any {\n  [\\x1b[2J\\u202e/hostile.Node] {\n  }\n}\n"


def test_bytes_that_are_not_the_type_give_an_offset_and_the_rest_is_printed() -> None:
    schema = load_schema([ROOT / "samples/person.proto"], [], [])
    person = schema.resolve_type("wiretool.samples.Person")
    good = b"\x0a\x02hi"
    bad = b"\x0a\x02hi\x22\x05\x0a\x09abc"  # phones: 5 bytes, holding a string of 9
    stream = b"".join(bytes([len(m)]) + m for m in (good, bad, good))
    result = decode_with_runtime(stream, person, framing="delimited")
    [error] = result.diagnostics
    assert error.severity is Severity.ERROR
    assert error.offset == 12  # the nested string's tag: 1 + 4, prefix 1, name 4, phones 2
    assert error.message == (
        "delimited message 2 (prefix at offset 5) (11 bytes) is not a valid "
        "wiretool.samples.Person: field 1 at offset 12 declares 9 bytes, 3 remain; not shown")
    out = io.StringIO()
    render_textproto(result, out, schema.pool)
    assert out.getvalue() == (
        '# delimited message 1 of 3 at offset 0, 4 bytes\nname: "hi"\n\n'
        "# delimited message 2 of 3 at offset 5, 11 bytes: not valid, see the error\n\n"
        '# delimited message 3 of 3 at offset 17, 4 bytes\nname: "hi"\n')


@pytest.mark.parametrize(("data", "cause"), [
    (b"\x08", "field 1: varint at offset 1 runs past the end"),
    (b"\x0f", "tag at offset 0 has wire type 7, which does not exist"),
    (b"\x00", "tag at offset 0 has field number 0"),
    (b"\x0c", "end-group tag for field 1 at offset 0 closes no open group"),
    (b"\x0b\x08\x01", "group 1 is not closed before offset 3"),
    (b"\x0a\x02\xff\xfe", "field 1 (name) is a string but not UTF-8 at offset 2"),
    (b"\x22" * 0 + (b"\x22\x02\x22\x00" * 1), None),  # valid: an empty nested phone
])
def test_fault_causes(data: bytes, cause: str | None) -> None:
    schema = load_schema([ROOT / "samples/person.proto"], [], [])
    result = decode_with_runtime(data, schema.resolve_type("wiretool.samples.Person"),
                                 framing="none")
    if cause is None:
        assert result.diagnostics == () and result.messages[0].message is not None
    else:
        [error] = result.diagnostics
        assert cause in error.message and result.messages[0].message is None


def test_nesting_past_the_runtime_limit_is_a_fault_at_its_offset() -> None:
    schema = load_schema([ROOT / "tests/hostile/data/hostile.proto"], [], [])
    data = b"\x08\x01"
    for _ in range(101):  # f_message 101 levels deep
        data = b"\x5a" + _varint(len(data)) + data
    result = decode_with_runtime(data, schema.resolve_type("hostile.Node"), framing="none")
    [error] = result.diagnostics
    assert "nesting deeper than 100 levels" in error.message


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def test_unknown_payloads_parse_as_cpp_unknown_field_sets_do() -> None:
    assert parse_unknown_fields(b"\x08\x01\x12\x01a", 10) == [(1, 0, 1), (2, 2, b"a")]
    assert parse_unknown_fields(b"\x0b\x08\x01\x0c", 10) == [(1, 3, [(1, 0, 1)])]
    assert parse_unknown_fields(b"\x0b\x08\x01\x0c", 0) is None  # no budget for a group
    assert parse_unknown_fields(b"\x00\x00", 10) is None  # field number 0
    assert parse_unknown_fields(b"\x0c", 10) is None  # end-group at the top
    assert parse_unknown_fields(b"\x0a\x05ab", 10) is None  # past the end


# -- the CLI -----------------------------------------------------------------------------


def test_cli_without_a_schema_is_a_usage_error() -> None:
    done = runner.invoke(app, ["decode", "-f", "textproto", "samples/person.bin"])
    assert done.exit_code == 2
    assert "--proto FILE or --descriptor-set FILE" in done.output
    assert "--type NAME" in done.output


def test_cli_proto_json_of_a_grpc_stream_is_one_document_per_message() -> None:
    done = runner.invoke(app, ["decode", "--proto", "samples/person.proto", "-t", "Person",
                               "-f", "proto-json", "samples/people.grpc"])
    assert done.exit_code == 0, done.output
    [case] = [c for c in CASES if c["name"] == "people-grpc"]
    documents = [json.loads(d) for d in done.stdout.split("\n}\n") if d.strip()
                 for d in [d + "\n}"]]
    assert documents == [e["proto_json"] for e in case["expected"]]


def test_cli_reports_dropped_fields_on_stderr_and_exits_0() -> None:
    [case] = [c for c in CASES if c["name"] == "hostile-unknown-fields"]
    done = subprocess.run(
        [sys.executable, "-m", "wiretool", "decode", "--proto",
         "tests/hostile/data/hostile.proto", "-t", "hostile.Node", "-f", "proto-json", "-i",
         "hex", "-"], input=case["hex"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"fInt32": 5, "fMessage": {"fInt32": 2}}
    assert done.stderr.startswith("wiretool: warning: offset 0: message at offset 0: 9 field(s)")


def test_cli_malformed_message_exits_1_and_prints_the_others() -> None:
    stream = b"\x04\x0a\x02hi" + b"\x03\x0a\x05h" + b"\x04\x0a\x02yo"
    done = subprocess.run(
        [sys.executable, "-m", "wiretool", "decode", "--proto", "samples/person.proto", "-t",
         "Person", "-f", "textproto", "--delimited", "-i", "raw", "-"], input=stream,
        capture_output=True, cwd=ROOT, check=False)
    assert done.returncode == 1
    assert done.stdout.decode().count('name: "') == 2
    assert b"error: offset 6: delimited message 2 (prefix at offset 5)" in done.stderr


def test_a_timestamp_proto3_json_cannot_hold_is_an_error_for_that_message() -> None:
    schema = load_schema([ROOT / "tests/hostile/data/hostile.proto"], [], [])
    node = schema.resolve_type("hostile.Node")
    far = b"\xa2\x05\x06\x08\x80\x80\x80\x80\x40"  # time { seconds: 2**34 } (year 2514: fine)
    too_far = b"\xa2\x05\x07\x08\x80\x80\x80\x80\x80\x20"  # seconds: 2**40, past 9999
    stream = b"".join(bytes([len(m)]) + m for m in (far, too_far))
    result = decode_with_runtime(stream, node, framing="delimited")
    out = io.StringIO()
    notes = render_proto_json(result, out, schema.pool)
    assert json.loads(out.getvalue())["time"].startswith("2514-")
    [error] = notes
    assert error.severity is Severity.ERROR and error.offset == 11  # its first byte
    assert "delimited message 2 at offset 10 cannot be written as proto3 JSON" in error.message


def test_the_decode_help_examples_with_a_runtime_format_run(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from wiretool.cli.decode import DECODE_HELP

    examples = [line.split()[1:] for line in DECODE_HELP.splitlines()
                if line.startswith("  wiretool decode")
                and ("-f proto-json" in line or "-f textproto" in line)]
    assert len(examples) == 2
    monkeypatch.chdir(ROOT)
    for args in examples:
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
        assert 'name' in done.stdout
