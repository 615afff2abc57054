"""Advice on default values spelled out in the input JSON (canonical JSON drops them)."""

from __future__ import annotations

import json
from pathlib import Path

from wiretool.protobuf.comparejson import compare_document, read_document
from wiretool.protobuf.schema import load_schema

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_defaults_in_the_input_json_are_counted_exactly() -> None:
    schema = load_schema([], [], [SAMPLES / "person.desc"])
    person = schema.resolve_type("wiretool.samples.Person")
    defaults = {"name": "", "id": 0, "luckyNumbers": [], "score": 0.0, "createdMs": "0",
                "labels": {}, "phones": [{"number": "+1", "type": "MOBILE"}]}
    kept = {"email": "a@b.c"}
    text = json.dumps({**defaults, **kept}, separators=(",", ":")).encode()
    comparison = compare_document(read_document("in.json", text), schema=schema,
                                  descriptor=person)
    found = {a.path: a.json_bytes_saved for a in comparison.advice if a.kind == "json-default"}
    assert set(found) == {"name", "id", "lucky_numbers", "score", "created_ms", "labels",
                          "phones.type"}
    without = json.dumps({"email": "a@b.c", "phones": [{"number": "+1"}]},
                         separators=(",", ":")).encode()
    # Removing every flagged member (and its comma) saves exactly the advised bytes.
    assert sum(found.values()) == len(text) - len(without)
    # Canonical JSON already leaves them out: its size is the trimmed input's.
    assert comparison.json.bytes == len(without)


def test_fields_with_presence_are_not_flagged() -> None:
    schema = load_schema([], [], [SAMPLES / "person.desc"])
    person = schema.resolve_type("wiretool.samples.Person")
    text = b'{"slack":""}'  # a oneof member: a set default is meaningful
    comparison = compare_document(read_document("in.json", text), schema=schema,
                                  descriptor=person)
    assert not [a for a in comparison.advice if a.kind == "json-default"]
