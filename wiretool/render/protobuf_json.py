"""The ``decode --format json`` contract: a DecodeResult as JSON-ready dicts.

The keys and their meanings are documented in README.md ("JSON output of
decode") and are stable: new keys may be added, existing ones keep their meaning.
Integers are exact (JSON numbers of any size); floats that JSON cannot hold are
written as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` as in the
proto3 JSON mapping.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from wiretool.errors import Diagnostic
from wiretool.protobuf.model import DecodeResult, DecodeView, Field, Kind, Message, Unparsed


def json_float(number: float) -> float | str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


def field_to_json(field: Field, parent_path: str = "") -> dict[str, Any]:
    """One FIELD object of the contract, children included."""
    path = f"{parent_path}.{field.number}" if parent_path else str(field.number)
    out = _field_head(field, path)
    if field.kind is Kind.MESSAGE or field.kind is Kind.GROUP:
        out["fields"] = [field_to_json(child, path) for child in field.fields]
    return out


def _field_head(field: Field, path: str) -> dict[str, Any]:
    """A FIELD object without its ``fields`` (so children can be streamed)."""
    out: dict[str, Any] = {
        "offset": field.offset,
        "number": field.number,
        "wire_type": int(field.wire_type),
        "length": field.length,
        "kind": field.kind.value,
        "path": path,
        "tag_length": field.tag_length,
        "value_offset": field.value_offset,
        "value_length": field.value_length,
        "overlong": field.overlong,
    }
    kind = field.kind
    if kind is Kind.VARINT:
        out["value"] = field.value
        out["signed"] = field.signed
        out["zigzag"] = field.zigzag
        out["bool"] = field.boolean
    elif kind is Kind.FIXED32 or kind is Kind.FIXED64:
        out["value"] = field.value
        out["signed"] = field.signed
        floating = field.floating
        out["float"] = None if floating is None else json_float(floating)
    elif kind is Kind.STRING:
        out["value"] = field.value
    elif kind is Kind.BYTES:
        assert isinstance(field.value, bytes)
        out["value"] = field.value.hex()
    elif kind is Kind.PACKED:
        out["packed_type"] = field.packed_type.value if field.packed_type else None
        out["values"] = list(field.values)
    if kind is Kind.MESSAGE or kind is Kind.GROUP:
        out["expanded"] = field.expanded
    if field.wire_type == 2:
        out["alternatives"] = [k.value for k in field.alternatives]
    if field.schema is not None:
        schema = field.schema
        out["name"] = schema.name
        out["type"] = schema.type
        out["json_name"] = schema.json_name
        display = schema.display
        out["display"] = json_float(display) if isinstance(display, float) else display
        if schema.oneof is not None:
            out["oneof"] = schema.oneof
    return out


def unparsed_to_json(unparsed: Unparsed | None) -> dict[str, Any] | None:
    if unparsed is None:
        return None
    return {"offset": unparsed.offset, "length": unparsed.length, "hex": unparsed.data.hex()}


def message_to_json(message: Message, with_fields: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "offset": message.offset,
        "length": message.length,
        "framing": message.framing,
    }
    if message.framing is not None:
        out["prefix_offset"] = message.prefix_offset
        out["prefix_length"] = message.prefix_length
    if message.framing == "grpc":
        out["compressed"] = message.compressed
        out["wire_length"] = message.wire_length
    if message.type_name is not None:
        out["type"] = message.type_name
    if with_fields:
        out["fields"] = [field_to_json(f) for f in message.fields]
    out["unparsed"] = unparsed_to_json(message.unparsed)
    return out


def diagnostic_to_json(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "offset": diagnostic.offset,
        "length": diagnostic.length,
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
    }


def result_to_json(
    result: DecodeResult, input_info: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The whole ``decode --format json`` document."""
    out: dict[str, Any] = {}
    if input_info is not None:
        out["input"] = input_info
    out["messages"] = [message_to_json(m) for m in result.messages]
    out["trailing"] = unparsed_to_json(result.trailing)
    out["diagnostics"] = [diagnostic_to_json(d) for d in result.diagnostics]
    return out


def render_json(
    view: DecodeView, out: TextIO, input_info: dict[str, Any] | None = None
) -> None:
    """Write the document of ``result_to_json`` field by field, never holding it whole.

    With a ``DecodeStream`` the fields are built while they are written, so memory
    stays at one top-level field; the bytes written are the same as
    ``json.dumps(result_to_json(...), ensure_ascii=False, separators=(",", ":"))``.
    """
    write = out.write
    write("{")
    if input_info is not None:
        write('"input":' + _dumps(input_info) + ",")
    write('"messages":[')
    for index, (message, fields) in enumerate(view.parts()):
        if index:
            write(",")
        head = message_to_json(message, with_fields=False)
        del head["unparsed"]
        write(_dumps(head)[:-1] + ',"fields":[')
        _write_fields(fields, "", write)
        write('],"unparsed":')
        _write_unparsed(message.unparsed, write)
        write("}")
    write('],"trailing":')
    _write_unparsed(view.trailing, write)
    write(',"diagnostics":' + _dumps([diagnostic_to_json(d) for d in view.diagnostics]))
    write("}\n")


_HEX_CHUNK = 1 << 16


def _write_unparsed(unparsed: Unparsed | None, write: Callable[[str], Any]) -> None:
    """``unparsed_to_json`` written piece by piece: a tail can be a 64 MiB gzip bomb."""
    if unparsed is None:
        write("null")
        return
    write(f'{{"offset":{unparsed.offset},"length":{unparsed.length},"hex":"')
    data = unparsed.data
    for start in range(0, len(data), _HEX_CHUNK):
        write(data[start : start + _HEX_CHUNK].hex())
    write('"}')


def _write_fields(fields: Iterable[Field], parent_path: str, write: Callable[[str], Any]) -> None:
    for index, field in enumerate(fields):
        if index:
            write(",")
        path = f"{parent_path}.{field.number}" if parent_path else str(field.number)
        if field.kind is Kind.MESSAGE or field.kind is Kind.GROUP:
            write(_dumps(_field_head(field, path))[:-1] + ',"fields":[')
            _write_fields(field.fields, path, write)
            write("]}")
        elif field.schema is None and field.kind is not Kind.PACKED:
            write(_scalar_json(field, path))
        else:
            write(_dumps(_field_head(field, path)))


def _scalar_json(field: Field, path: str) -> str:
    """The FIELD object of a schemaless varint/fixed/string/bytes field, formatted directly.

    The fast path of ``_field_head`` for the fields that make up most of a message:
    the same keys in the same order, byte for byte (tests compare the two).
    """
    head = (f'{{"offset":{field.offset},"number":{field.number},"wire_type":'
            f'{field.wire_type.value},"length":{field.length},"kind":"{field.kind.value}",'
            f'"path":"{path}","tag_length":{field.tag_length},"value_offset":'
            f'{field.value_offset},"value_length":{field.value_length},"overlong":'
            f'{"true" if field.overlong else "false"}')
    kind = field.kind
    value = field.value
    if kind is Kind.VARINT:
        assert isinstance(value, int)
        signed = value - (1 << 64) if value >> 63 else value
        zigzag = (value >> 1) ^ -(value & 1)
        boolean = "true" if value == 1 else "false" if value == 0 else "null"
        return f'{head},"value":{value},"signed":{signed},"zigzag":{zigzag},"bool":{boolean}}}'
    if kind is Kind.STRING:
        return f'{head},"value":{_dumps(value)},"alternatives":{_kinds(field)}}}'
    if kind is Kind.BYTES:
        assert isinstance(value, bytes)
        return f'{head},"value":"{value.hex()!s}","alternatives":{_kinds(field)}}}'
    floating = field.floating
    assert isinstance(value, int)
    return (f'{head},"value":{value},"signed":{field.signed},"float":'
            f'{_dumps(None if floating is None else json_float(floating))}}}')


def _kinds(field: Field) -> str:
    if not field.alternatives:
        return "[]"
    return "[" + ",".join(f'"{kind.value}"' for kind in field.alternatives) + "]"


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
