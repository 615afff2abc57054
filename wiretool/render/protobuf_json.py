"""The ``decode --format json`` contract: a DecodeResult as JSON-ready dicts.

The keys and their meanings are documented in docs/json.md ("decode") and
are stable: new keys may be added, existing ones keep their meaning.
Integers are exact (JSON numbers of any size); floats that JSON cannot hold are
written as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` as in the
proto3 JSON mapping.
"""

from __future__ import annotations

import json
import math
import struct
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
    """Write the FIELD objects of ``fields``, comma-separated, children included.

    The text is collected in a list and written in chunks of ``_FLUSH_PARTS`` pieces:
    one ``write`` per field cost more than formatting the field.
    """
    parts: list[str] = []
    _field_texts(fields, parent_path, parts, write, {})
    write("".join(parts))


_FLUSH_PARTS = 4096
# The kinds as module globals: ``Kind.VARINT`` is a lookup on the enum class, which
# costs more than the test itself in a loop over every field.
_VARINT, _STRING, _BYTES, _MESSAGE, _GROUP, _PACKED, _FIXED64 = (
    Kind.VARINT, Kind.STRING, Kind.BYTES, Kind.MESSAGE, Kind.GROUP, Kind.PACKED, Kind.FIXED64)
_MAX_CACHED_PATHS = 4096
_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")


def _field_texts(
    fields: Iterable[Field],
    parent_path: str,
    parts: list[str],
    write: Callable[[str], Any],
    heads: dict[str, dict[int, tuple[Kind, str, str, str]]],
) -> None:
    """Append the JSON text of ``fields`` to ``parts`` (flushing it through ``write``).

    The fast path of ``_field_head``/``field_to_json`` for schemaless fields: the
    same keys in the same order, byte for byte (tests compare the two). The pieces
    of a FIELD object that depend only on its path and kind (``number`` to
    ``length``, ``kind`` to ``tag_length``) are formatted once per path, in
    ``heads``: parent path -> field number -> (kind, path, piece, piece).
    """
    append = parts.append
    known = heads.get(parent_path)
    if known is None:
        if len(heads) >= _MAX_CACHED_PATHS:  # hostile inputs: any number of paths
            heads.clear()
        known = heads[parent_path] = {}
    separator = ""
    for field in fields:
        row: tuple[Any, ...] = field  # unpacked at once: faster than attribute reads
        (offset, number, wire_type, length, tag_length, kind, value_offset, value_length,
         value, children, values, packed_type, alternatives, overlong, expanded, schema) = row
        if schema is not None:
            path = f"{parent_path}.{number}" if parent_path else str(number)
            if kind is _MESSAGE or kind is _GROUP:
                append(separator + _dumps(_field_head(field, path))[:-1] + ',"fields":[')
                _field_texts(children, path, parts, write, heads)
                append("]}")
            else:
                append(separator + _dumps(_field_head(field, path)))
            separator = ","
            continue
        cached = known.get(number)
        if cached is None or cached[0] is not kind:
            if len(known) >= _MAX_CACHED_PATHS:
                known.clear()
            path = f"{parent_path}.{number}" if parent_path else str(number)
            cached = known[number] = (
                kind, path,
                f',"number":{number},"wire_type":{int(wire_type)},"length":',
                f',"kind":"{kind.value}","path":"{path}","tag_length":',
            )
        _, path, after_offset, after_length = cached
        append(f'{separator}{{"offset":{offset}{after_offset}{length}{after_length}{tag_length}'
               f',"value_offset":{value_offset},"value_length":{value_length},"overlong":'
               f'{"true" if overlong else "false"}')
        separator = ","
        if kind is _STRING:  # the kinds by how common they are
            append(f',"value":{_encode_string(value)},"alternatives":{_kinds(alternatives)}}}')
        elif kind is _VARINT:
            append(f',"value":{value},"signed":{value - (1 << 64) if value >> 63 else value}'
                   f',"zigzag":{(value >> 1) ^ -(value & 1)},"bool":'
                   f'{"true" if value == 1 else "false" if value == 0 else "null"}}}')
        elif kind is _MESSAGE or kind is _GROUP:
            alternatives_text = (
                f',"alternatives":{_kinds(alternatives)}' if kind is _MESSAGE else "")
            append(f',"expanded":{"true" if expanded else "false"}{alternatives_text},"fields":[')
            _field_texts(children, path, parts, write, heads)
            append("]}")
        elif kind is _FIXED64:
            append(f',"value":{value},"signed":{value - (1 << 64) if value >> 63 else value}'
                   f',"float":{_float_text(_F64.unpack(value.to_bytes(8, "little"))[0])}}}')
        elif kind is _PACKED:
            append(f',"packed_type":{_encode_string(packed_type.value)},"values":['
                   f'{",".join(map(str, values))}],"alternatives":{_kinds(alternatives)}}}')
        elif kind is _BYTES:
            append(f',"value":"{value.hex()}","alternatives":{_kinds(alternatives)}}}')
        else:  # FIXED32
            append(f',"value":{value},"signed":{value - (1 << 32) if value >> 31 else value}'
                   f',"float":{_float_text(_F32.unpack(value.to_bytes(4, "little"))[0])}}}')
        if len(parts) >= _FLUSH_PARTS:
            write("".join(parts))
            parts.clear()


def _float_text(number: float) -> str:
    """``_dumps(json_float(number))``."""
    if number != number:
        return '"NaN"'
    if number in (_INFINITY, -_INFINITY):
        return '"Infinity"' if number > 0 else '"-Infinity"'
    return float.__repr__(number)


_INFINITY = float("inf")


def _kinds(alternatives: tuple[Kind, ...]) -> str:
    """The JSON list of ``alternatives`` (``Kind`` is a ``str``: its value joins as is)."""
    if not alternatives:
        return "[]"
    return '["' + '","'.join(alternatives) + '"]'


_encode_string = json.encoder.encode_basestring  # what _dumps does for a str
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
