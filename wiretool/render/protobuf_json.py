"""The ``decode --format json`` contract: a DecodeResult as JSON-ready dicts.

The keys and their meanings are documented in docs/json.md ("decode") and
are stable: new keys may be added, existing ones keep their meaning.
Integers are exact: a number up to ±(2**53 - 1), beyond it its decimal text as a
string (``json_text.exact_integers``: the 64-bit ``value``, ``signed``, ``zigzag``,
packed ``values`` and ``display`` of a field, as the proto3 JSON mapping writes
int64), so a reader of doubles (``jq``, JavaScript) reads them exactly; floats that
JSON cannot hold are written as the strings ``"NaN"``, ``"Infinity"`` and
``"-Infinity"`` as in the proto3 JSON mapping.

The text is ``escape_json(json.dumps(result_to_json(...), ensure_ascii=False,
separators=(",", ":")))`` (:func:`document_text`): UTF-8 with non-ASCII text as it
is, except what a terminal could act on (DEL, C1 controls, bidi and zero-width
characters, surrogates), written as ``\\uXXXX`` escapes of the same value, so wire
strings, schema names and diagnostics printed to a terminal cannot drive it or
reorder text (``render.escape``).
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from wiretool.errors import Diagnostic
from wiretool.protobuf.model import DecodeResult, DecodeView, Field, Kind, Message, Unparsed
from wiretool.render.escape import escape_json
from wiretool.render.json_text import MAX_SAFE_INTEGER, exact_integers


def exact(value: int | None) -> int | str | None:
    """An integer member of the contract: itself up to ±(2**53 - 1), else its decimal
    text (``json_text.exact_integers`` for one integer)."""
    if value is None or -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        return value
    return str(value)


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
        "offset": exact(field.offset),
        "number": field.number,
        "wire_type": int(field.wire_type),
        "length": exact(field.length),
        "kind": field.kind.value,
        "path": path,
        "tag_length": field.tag_length,
        "value_offset": exact(field.value_offset),
        "value_length": exact(field.value_length),
        "overlong": field.overlong,
    }
    kind = field.kind
    if kind is Kind.VARINT:
        out["value"] = exact(field.value)  # type: ignore[arg-type]
        out["signed"] = exact(field.signed)
        out["zigzag"] = exact(field.zigzag)
        out["bool"] = field.boolean
    elif kind is Kind.FIXED32 or kind is Kind.FIXED64:
        out["value"] = exact(field.value)  # type: ignore[arg-type]
        out["signed"] = exact(field.signed)
        floating = field.floating
        out["float"] = None if floating is None else json_float(floating)
    elif kind is Kind.STRING:
        out["value"] = field.value
    elif kind is Kind.BYTES:
        assert isinstance(field.value, bytes)
        out["value"] = field.value.hex()
    elif kind is Kind.PACKED:
        out["packed_type"] = field.packed_type.value if field.packed_type else None
        out["values"] = [exact(value) for value in field.values]
    if kind is Kind.MESSAGE or kind is Kind.GROUP:
        out["expanded"] = field.expanded
    if field.wire_type == 2:
        out["alternatives"] = [k.value for k in field.alternatives]
    if field.any_value:
        out["any_value"] = True
    if field.schema is not None:
        schema = field.schema
        out["name"] = schema.name
        out["type"] = schema.type
        out["json_name"] = schema.json_name
        display = schema.display
        if isinstance(display, float):
            out["display"] = json_float(display)
        elif isinstance(display, int) and not isinstance(display, bool):
            out["display"] = exact(display)
        else:
            out["display"] = display
        if schema.oneof is not None:
            out["oneof"] = schema.oneof
    return out


def unparsed_to_json(unparsed: Unparsed | None) -> dict[str, Any] | None:
    if unparsed is None:
        return None
    return {"offset": exact(unparsed.offset), "length": exact(unparsed.length),
            "hex": unparsed.data.hex()}


def message_to_json(message: Message, with_fields: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "offset": exact(message.offset),
        "length": exact(message.length),
        "framing": message.framing,
    }
    if message.framing is not None:
        out["prefix_offset"] = exact(message.prefix_offset)
        out["prefix_length"] = exact(message.prefix_length)
    if message.framing == "grpc":
        out["compressed"] = message.compressed
        out["wire_length"] = exact(message.wire_length)
    if message.type_name is not None:
        out["type"] = message.type_name
    if with_fields:
        out["fields"] = [field_to_json(f) for f in message.fields]
    out["unparsed"] = unparsed_to_json(message.unparsed)
    return out


def diagnostic_to_json(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "offset": exact(diagnostic.offset),
        "length": exact(diagnostic.length),
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


def document_text(result: DecodeResult, input_info: dict[str, Any] | None = None) -> str:
    """The whole document as one text: what :func:`render_json` writes, built at once."""
    return escape_json(_dumps(result_to_json(result, input_info))) + "\n"


def render_json(
    view: DecodeView, out: TextIO, input_info: dict[str, Any] | None = None
) -> None:
    """Write the document of ``result_to_json`` field by field, never holding it whole.

    The bytes written are those of :func:`document_text`. The fields of a ``DecodeStream``
    (``native.NativeFields``) have their FIELD objects written by the native core
    itself, without a Python object per field, so memory stays at one chunk of text;
    a ``DecodeResult``'s fields are written from the model.
    """
    write_raw, write_bytes, to_stdout = _writers(out)

    def write(text: str) -> Any:  # the core escapes what it writes itself
        return write_raw(escape_json(text))

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
        native_json = getattr(fields, "write_json", None)
        if (native_json is not None and to_stdout is not None
                and fields.size_bytes >= _DIRECT_BYTES):  # type: ignore[attr-defined]
            to_stdout()  # what Python wrote goes out first
            fields.write_json_stdout()  # type: ignore[attr-defined]
        elif native_json is not None:
            native_json(write_bytes)
        else:
            _write_fields(fields, write)
        write('],"unparsed":')
        _write_unparsed(message.unparsed, write_raw)  # hex and numbers: nothing to escape
        write("}")
    write('],"trailing":')
    _write_unparsed(view.trailing, write_raw)
    write(',"diagnostics":' + _dumps([diagnostic_to_json(d) for d in view.diagnostics]))
    write("}\n")


_DIRECT_BYTES = 64 * 1024
"""Messages at least this large have the core write their JSON to file descriptor 1
itself; smaller ones (a stream of many) go through the buffer, which saves the two
flushes a direct write needs."""


def _writers(
    out: TextIO,
) -> tuple[Callable[[str], Any], Callable[[bytes], Any], Callable[[], Any] | None]:
    """``(write text, write UTF-8 bytes, flush before the core writes to fd 1)``.

    A text stream over a byte buffer (standard output) that encodes UTF-8 gets both
    written to its buffer, so the core's chunks go out without being decoded and
    encoded again; when that buffer is file descriptor 1, the core writes there
    itself (the third item flushes the buffer first). Any other stream gets text.
    """
    buffer = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None)
    if buffer is not None and encoding and codecs.lookup(encoding).name == "utf-8":
        out.flush()
        write_bytes: Callable[[bytes], Any] = buffer.write

        def write_text(text: str) -> Any:
            return write_bytes(text.encode())

        try:
            to_stdout = buffer.flush if buffer.fileno() == 1 else None
        except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
            to_stdout = None
        return write_text, write_bytes, to_stdout
    write = out.write
    return write, lambda chunk: write(chunk.decode()), None


_HEX_CHUNK = 1 << 16


def _write_unparsed(unparsed: Unparsed | None, write: Callable[[str], Any]) -> None:
    """``unparsed_to_json`` written piece by piece: a tail can be a 64 MiB gzip bomb."""
    if unparsed is None:
        write("null")
        return
    write(f'{{"offset":{_encode(exact(unparsed.offset))},'
          f'"length":{_encode(exact(unparsed.length))},"hex":"')
    data = unparsed.data
    for start in range(0, len(data), _HEX_CHUNK):
        write(data[start : start + _HEX_CHUNK].hex())
    write('"}')


def _write_fields(fields: Iterable[Field], write: Callable[[str], Any]) -> None:
    """Write the FIELD objects of model ``fields``, comma-separated, children included
    (fields the core decoded write their own text: ``native.NativeFields``)."""
    separator = ""
    for field in fields:
        write(separator + _encode(field_to_json(field)))  # exact already
        separator = ","


_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _dumps(value: Any) -> str:
    """Compact JSON text of ``value``, integers beyond ±(2**53 - 1) as strings (the
    FIELD objects have theirs already; the document's heads follow the same rule)."""
    return _encode(exact_integers(value))
