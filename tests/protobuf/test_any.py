"""google.protobuf.Any read as the type its URL names, when the schema has it.

With a schema, the value of an Any whose type URL names a message type of the
schema's pool is read as that type (names, declared types, readings) in every view
of ``decode`` and of ``h2-frames``, by the core and by ``annotate`` alike; a type URL
the schema lacks, or a value that is not such a message, keeps the value's reading
(bytes) with a warning at its offset. With or without a schema, an Any's value says
it is one (``any_value``: declared bytes, holding a serialized message). The Anys are
made by the protobuf runtime (``Any.Pack``), the demo capture's by grpcio.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import Any

import pytest
from google.protobuf import any_pb2, duration_pb2

from tests.conftest import ROOT, SAMPLES
from tests.protobuf.test_json_contract import INFO, annotated_alike, core_json
from wiretool.protobuf import wire
from wiretool.protobuf.annotate import AnnotatedView, DescriptorHints
from wiretool.protobuf.schema import load_schema
from wiretool.render.protobuf_json import render_json

ENVELOPE_PROTO = ROOT / "tests" / "protobuf" / "data" / "envelope.proto"
SCHEMA = load_schema([ENVELOPE_PROTO])
ENVELOPE = SCHEMA.resolve_type("wiretool.test.Envelope")
ANY = SCHEMA.resolve_type("google.protobuf.Any")


def _envelope(payload: bytes = b"", more: tuple[bytes, ...] = (), note: str = "") -> bytes:
    """Envelope's wire bytes from Anys already serialized (built by the runtime)."""
    from google.protobuf import message_factory

    cls = message_factory.GetMessageClass(ENVELOPE)
    envelope = cls(note=note)
    if payload:
        envelope.payload.MergeFromString(payload)
    for item in more:
        envelope.more.add().MergeFromString(item)
    return bytes(envelope.SerializeToString())


def _any(type_url: str, value: bytes) -> bytes:
    return bytes(any_pb2.Any(type_url=type_url, value=value).SerializeToString())


def _duration(seconds: int, nanos: int) -> bytes:
    packed = any_pb2.Any()
    packed.Pack(duration_pb2.Duration(seconds=seconds, nanos=nanos))
    return bytes(packed.SerializeToString())


def _document(data: bytes, descriptor: Any = ENVELOPE, **options: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(core_json(data, descriptor=descriptor, **options))
    return document


def _named(fields: list[dict[str, Any]]) -> list[Any]:
    """(name, type, kind, display or nested) of each field, recursively."""
    out: list[Any] = []
    for field in fields:
        inner = _named(field["fields"]) if field["kind"] == "message" else field.get("display")
        out.append((field.get("name"), field.get("type"), field["kind"], inner))
    return out


def test_a_well_known_type_in_an_any_is_read_as_that_type() -> None:
    data = _envelope(_duration(5, 500), note="x")
    annotated_alike(data, ENVELOPE)
    document = _document(data)
    assert document["diagnostics"] == []
    payload = document["messages"][0]["fields"][0]
    assert _named([payload]) == [
        ("payload", ".google.protobuf.Any", "message", [
            ("type_url", "string", "string", None),
            ("value", ".google.protobuf.Duration", "message", [
                ("seconds", "int64", "varint", 5), ("nanos", "int32", "varint", 500)])])]
    value = payload["fields"][1]
    assert (value["json_name"], value["display"]) == ("value", None)
    # the offsets are those of the bytes: the value's fields tile its payload
    assert sum(f["length"] for f in value["fields"]) == value["value_length"]


def test_an_unknown_type_url_keeps_the_bytes_with_a_warning() -> None:
    inner = _any("type.googleapis.com/acme.Missing", b"\x08\x01")
    data = _envelope(inner)
    annotated_alike(data, ENVELOPE)
    document = _document(data)
    value = document["messages"][0]["fields"][0]["fields"][1]
    assert (value["kind"], value["value"], value["type"]) == ("bytes", "0801", "bytes")
    [warning] = document["diagnostics"]
    assert warning == {
        "offset": value["offset"], "length": value["length"], "severity": "warning",
        "message": f"google.protobuf.Any value at offset {value['offset']} (type URL "
                   "type.googleapis.com/acme.Missing): the schema has no message type "
                   "acme.Missing; shown as bytes"}


def test_a_value_that_is_not_the_named_type_keeps_the_bytes_with_a_warning() -> None:
    inner = _any("type.googleapis.com/google.protobuf.Duration", b"\x08\xff\xff")  # truncated
    data = _envelope(inner)
    annotated_alike(data, ENVELOPE)
    document = _document(data)
    value = document["messages"][0]["fields"][0]["fields"][1]
    assert (value["kind"], value["value"]) == ("bytes", "08ffff")
    [warning] = document["diagnostics"]
    assert warning["severity"] == "warning" and warning["offset"] == value["offset"]
    assert warning["message"].endswith("the 3-byte value is not a google.protobuf.Duration "
                                       "message; shown as bytes")


def test_an_any_inside_an_any_and_the_depth_bound() -> None:
    envelope_in_any = _any("type.googleapis.com/wiretool.test.Envelope",
                           _envelope(_duration(-1, -5), note="inner"))
    data = _envelope(envelope_in_any, more=(_duration(7, 0), envelope_in_any))
    annotated_alike(data, ENVELOPE)
    document = _document(data)
    assert document["diagnostics"] == []
    fields = document["messages"][0]["fields"]
    inner_envelope = fields[0]["fields"][1]
    assert inner_envelope["type"] == ".wiretool.test.Envelope"
    duration = inner_envelope["fields"][0]["fields"][1]
    assert _named(duration["fields"]) == [("seconds", "int64", "varint", -1),
                                          ("nanos", "int32", "varint", -5)]
    assert [f["fields"][1]["type"] for f in fields[1:3]] == [".google.protobuf.Duration",
                                                          ".wiretool.test.Envelope"]
    # --max-depth bounds the nesting as anywhere: the inner Any's value is not expanded
    for max_depth in (2, 3, 4):
        annotated_alike(data, ENVELOPE, max_depth=max_depth)
    shallow = _document(data, max_depth=3)
    cut = shallow["messages"][0]["fields"][0]["fields"][1]["fields"][0]
    assert cut["expanded"] is False and cut["fields"] == []
    assert any("--max-depth 3 reached" in d["message"] for d in shallow["diagnostics"])


def test_a_whole_message_that_is_an_any() -> None:
    data = _duration(3, 0)
    annotated_alike(data, ANY)
    document = _document(data, ANY)
    assert document["messages"][0]["fields"][1]["type"] == ".google.protobuf.Duration"


def test_without_unpacking_an_any_stays_its_bytes() -> None:
    """``any_pool=None`` (compare-json's sizes, h2-frames' Status without a schema)."""
    data = _envelope(_duration(5, 0))
    hints = DescriptorHints(ENVELOPE, None)
    view = AnnotatedView(wire.decode(data, hints=hints), ENVELOPE, None)
    [(_, fields)] = list(view.parts())
    value = next(iter(fields)).fields[1]
    assert (value.kind.value, value.schema.type if value.schema else None) == ("bytes", "bytes")
    assert view.diagnostics == []


def _any_values(fields: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(path, kind) of each field marked ``any_value``, recursively."""
    out: list[tuple[str, str]] = []
    for field in fields:
        assert field.get("any_value", True) is True  # present only when true
        if "any_value" in field:
            out.append((field["path"], field["kind"]))
        out += _any_values(field.get("fields", []))
    return out


def test_without_a_schema_an_any_value_says_it_is_bytes_holding_a_message() -> None:
    """Issue 18: bytes holding a serialized message (``Any.value``) read as that message,
    as every decoder reads them, and say so: ``any_value`` in JSON, the table's value."""
    data = _envelope(_duration(5, 500), more=(_any("type.googleapis.com/a.B", b"\x08\x01"),))
    document = json.loads(core_json(data))
    assert _any_values(document["messages"][0]["fields"]) == [("1.2", "message"),
                                                               ("2.2", "message")]
    python = io.StringIO()  # the Python writer over the model says the same
    render_json(wire.decode(data), python, INFO)
    assert python.getvalue() == core_json(data)
    table = _wiretool("decode", "-i", "raw", "-f", "table", "-", stdin=data)
    assert table.count("(Any value: bytes holding a message)") == 2
    # With the schema: the Duration it holds, still marked as an Any's value.
    named = _document(data)
    assert _any_values(named["messages"][0]["fields"]) == [("1.2", "message"),
                                                            ("2.2", "bytes")]
    # A field 2 beside something that is no type URL is no Any's value.
    plain = json.loads(core_json(b"\x0a\x03abc\x12\x02\x08\x01"))
    assert _any_values(plain["messages"][0]["fields"]) == []


def _wiretool(*args: str, stdin: bytes | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "wiretool", *args], cwd=ROOT, input=stdin,
                          capture_output=True, check=False, timeout=120,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return done.stdout.decode()


@pytest.mark.parametrize("form", ["table", "hexdump", "json", "jsonl"])
def test_every_view_of_decode_names_the_held_type(form: str) -> None:
    data = _envelope(_duration(5, 500))
    out = _wiretool("decode", "--proto", str(ENVELOPE_PROTO), "-t", "wiretool.test.Envelope",
                    "-i", "raw", "-f", form, "-", stdin=data)
    if form == "hexdump":  # names, not types, beside the bytes
        assert "1.2 value message" in out and "1.2.1 seconds varint 5" in out
        assert "1.2.2 nanos varint 500" in out
        return
    assert "google.protobuf.Duration" in out
    assert "seconds" in out and "nanos" in out


DEMO = str(SAMPLES / "grpc" / "demo.pcap")
DEMO_PROTO = str(SAMPLES / "grpc" / "demo.proto")


def test_h2_frames_reads_the_demo_error_detail_in_the_status_details() -> None:
    """Newcomer review D26: the failing call's grpc-status-details-bin holds an Any of
    wiretool.demo.ErrorDetail, which demo.proto defines."""
    table = _wiretool("h2-frames", "--proto", DEMO_PROTO, "-s", "11", "-f", "table", DEMO)
    after = table.split("value = 2  ErrorDetail  {2 fields, 25 B}", 1)[1]
    assert "field = 1  string  \"name\"" in after
    assert "reason = 2  string  \"must not be empty\"" in after
    lines = _wiretool("h2-frames", "-f", "jsonl", "--proto", DEMO_PROTO, DEMO)
    [status] = [r for r in map(json.loads, lines.splitlines())
                if r["record"] == "grpc-status" and r["details"] is not None]
    detail = status["details"]["fields"][2]
    assert detail["name"] == "details"
    value = detail["fields"][1]
    assert value["type"] == ".wiretool.demo.ErrorDetail" and value["kind"] == "message"
    assert [(f["name"], f["value"]) for f in value["fields"]] == [
        ("field", "name"), ("reason", "must not be empty")]
    # without a schema: the bytes as before, and no warning
    plain = _wiretool("h2-frames", "-f", "jsonl", DEMO)
    [status] = [r for r in map(json.loads, plain.splitlines())
                if r["record"] == "grpc-status" and r["details"] is not None]
    assert status["details"]["fields"][2]["fields"][1]["kind"] == "bytes"
    assert "Any value" not in plain
