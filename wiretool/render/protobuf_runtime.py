"""``decode --format proto-json`` and ``--format textproto``: messages as the runtime prints them.

Reads a :class:`~wiretool.protobuf.runtime.RuntimeDecode` (messages parsed by the
protobuf runtime with the schema) and writes each one with the runtime's own printers,
``json_format`` (canonical proto3 JSON, https://protobuf.dev/programming-guides/json/)
and ``text_format``, so that the text is what ``buf convert`` and ``protoc --decode``
print. Where they differ from ``protoc``, or cannot go on, this module steps in, and
only there (the two printers are subclassed at those methods):

* textproto: fields the schema does not know are printed by number exactly as
  ``protoc --decode`` prints them (C++ ``TextFormat::Printer::PrintUnknownFields``):
  varints unsigned in decimal, fixed32/fixed64 as ``0x`` and 8/16 hex digits, groups
  as blocks, a non-empty length-delimited payload that parses as a message as a block
  (at most 10 levels deep), anything else as a C-escaped string;
* both: an ``Any`` whose type is in the schema is printed expanded (``[url] { }`` /
  ``"@type"``), as the runtime prints it when given the schema's pool (``protoc
  --decode`` never expands one: ``expand_any=False`` prints it as protoc does); one whose
  type is not, or whose value does not parse as its type, is printed as its two plain
  fields (textproto: as ``protoc`` does; JSON: ``typeUrl`` and base64 ``value``, which no
  proto3 JSON parser accepts — a warning says so).

Proto3 JSON has no place for unknown fields: the runtime leaves them out, and
:func:`render_proto_json` returns one warning per message listing each of them with its
offset and path. Terminal safety: JSON strings keep control, bidi and zero-width
characters as ``\\uXXXX`` escapes (``escape_json``); textproto strings are C-escaped by
the runtime as protoc does (every byte outside printable ASCII in octal), and the one
place wire text reaches the output unescaped, an ``Any`` type URL, goes through
``escape_message``.

Streams: proto-json writes one JSON document per message (pretty-printed, one after
another, as ``grpcurl`` does: ``jq`` reads them as a stream; ``jq -c .`` makes JSON
Lines); textproto writes each message after a ``#`` comment line that says which one it
is (a comment, so each part still parses as one message). One plain message is written
with no comment, byte for byte as ``protoc --decode`` writes it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import IO, TYPE_CHECKING, Any

from google.protobuf import json_format, text_encoding, text_format
from google.protobuf.message import DecodeError

from wiretool.errors import Diagnostic, Severity
from wiretool.protobuf.model import WireType
from wiretool.protobuf.runtime import RuntimeDecode, RuntimeMessage, UnknownField
from wiretool.protobuf.wire import read_varint
from wiretool.render.escape import escape_json, escape_message

if TYPE_CHECKING:
    from google.protobuf.descriptor_pool import DescriptorPool

UNKNOWN_RECURSION_LIMIT = 10
"""How deep protoc looks for messages inside unknown length-delimited fields
(``kUnknownFieldRecursionLimit`` in C++ ``text_format.cc``)."""

UNKNOWN_LISTED = 20
"""Unknown fields named in one warning; the rest are counted."""


def render_proto_json(result: RuntimeDecode, out: IO[str],
                      pool: DescriptorPool) -> list[Diagnostic]:
    """Write each parsed message as canonical proto3 JSON; return the warnings and errors
    about what the JSON leaves out or cannot hold."""
    notes: list[Diagnostic] = []
    for item in result.messages:
        if item.message is None:
            continue
        where = _where(item)
        printer = _JsonPrinter(pool, _noting(notes, item))
        try:
            text = printer.ToJsonString(item.message, 2, False, False)
        except json_format.SerializeToJsonError as exc:
            notes.append(Diagnostic(
                _offset(item), Severity.ERROR,
                f"{where} cannot be written as proto3 JSON ({str(exc).rstrip('.')}); not shown "
                f"(--format textproto shows it)"))
            continue
        out.write(escape_json(text))
        out.write("\n")
        if item.unknown:
            notes.append(_dropped(item, result.type_name))
    return notes


def render_textproto(result: RuntimeDecode, out: IO[str], pool: DescriptorPool, *,
                     expand_any: bool = True) -> None:
    """Write each parsed message in the text format, as ``protoc --decode`` does.

    ``expand_any`` prints an ``Any`` whose type is in ``pool`` as ``[type_url] { ... }``;
    without it, as its two plain fields, byte for byte as ``protoc --decode`` (which
    never expands one).
    """
    total = len(result.messages)
    for item in result.messages:
        if result.stream:
            if item.index:
                out.write("\n")
            kind = "gRPC message" if item.framing == "grpc" else "delimited message"
            out.write(f"# {kind} {item.index + 1} of {total} at offset {item.prefix_offset}, "
                      f"{item.length} bytes")
            out.write(" (decompressed)" if item.compressed else "")
            out.write("\n" if item.message is not None else ": not valid, see the error\n")
        if item.message is None:
            continue
        writer = text_format.TextWriter(as_utf8=False)
        printer = _TextPrinter(out=writer, as_utf8=False,
                               descriptor_pool=pool if expand_any else None,
                               print_unknown_fields=True)
        printer.PrintMessage(item.message)
        out.write(writer.getvalue())
        writer.close()


def _noting(notes: list[Diagnostic], item: RuntimeMessage) -> Callable[[str], None]:
    def note(text: str) -> None:
        notes.append(Diagnostic(_offset(item), Severity.WARNING, f"{_where(item)}: {text}"))
    return note


def _where(item: RuntimeMessage) -> str:
    if item.framing is None:
        return f"message at offset {item.offset}"
    kind = "gRPC message" if item.framing == "grpc" else "delimited message"
    return f"{kind} {item.index + 1} at offset {item.prefix_offset}"


def _offset(item: RuntimeMessage) -> int:
    """The item's offset in the input (a compressed message's payload is not in it)."""
    if item.compressed and item.prefix_offset is not None:
        return item.prefix_offset + 5
    return item.offset


def _dropped(item: RuntimeMessage, type_name: str) -> Diagnostic:
    """The warning that lists the unknown fields proto3 JSON left out of one message."""
    listed = [_describe(field) for field in item.unknown[:UNKNOWN_LISTED]]
    more = len(item.unknown) - len(listed)
    inside = " of the decompressed payload" if item.compressed else ""
    return Diagnostic(
        _offset(item), Severity.WARNING,
        f"{_where(item)}: {len(item.unknown)} field(s) not in the schema of {type_name} "
        f"are left out of proto3 JSON (--format textproto or json shows them): "
        + "; ".join(listed) + (f"; and {more} more" if more else "")
        + (f" (offsets{inside})" if inside else ""))


def _describe(field: UnknownField) -> str:
    because = f", {field.reason}" if field.reason else ""
    return f"{field.path} ({field.wire_type.name}{because}) at offset {field.offset}"


# -- the runtime's printers, where protoc's behaviour differs --------------------------


# The runtime's printers are private classes, absent from its type stubs; the methods
# overridden below are covered by tests against protoc and the expectations.
_RuntimeJsonPrinter: Any = getattr(json_format, "_Printer")  # noqa: B009
_RuntimeTextPrinter: Any = getattr(text_format, "_Printer")  # noqa: B009
_build_message: Any = getattr(text_format, "_BuildMessageFromTypeName")  # noqa: B009


class _JsonPrinter(_RuntimeJsonPrinter):  # type: ignore[misc]
    """``json_format``'s printer, with the schema's pool for ``Any`` and a fallback for an
    ``Any`` it cannot expand."""

    def __init__(self, pool: DescriptorPool, note: Callable[[str], None]) -> None:
        super().__init__(descriptor_pool=pool)
        self._note = note

    def _AnyMessageToJsonObject(self, message: Any) -> Any:
        try:
            return super()._AnyMessageToJsonObject(message)
        except (TypeError, DecodeError) as exc:
            url = message.type_url
            why = ("its type is not in the schema" if isinstance(exc, TypeError)
                   else "its value does not parse as that type")
            self._note(f"google.protobuf.Any with type URL {url!r}: {why}; written as its "
                       "fields typeUrl and value (base64), which is not proto3 JSON")
            return {"typeUrl": url, "value": base64.b64encode(message.value).decode("ascii")}


class _TextPrinter(_RuntimeTextPrinter):  # type: ignore[misc]
    """``text_format``'s printer, printing unknown fields and ``Any`` as protoc does."""

    def _TryPrintAsAnyMessage(self, message: Any) -> bool:
        # protoc prints an Any whose value does not parse as its plain fields.
        if self.descriptor_pool is None:
            return False
        try:
            packed = _build_message(message.TypeName(), self.descriptor_pool)
            if packed is not None:
                packed.ParseFromString(message.value)
        except DecodeError:
            return False
        if packed is None or "/" not in message.type_url:
            return False
        self.out.write(f"{' ' * self.indent}[{escape_message(message.type_url)}] ")
        self._PrintMessageFieldValue(packed)
        self.out.write("\n")
        return True

    def _PrintUnknownFields(self, unknown_field_set: Any) -> None:
        self._print_unknown(_runtime_unknown(unknown_field_set), UNKNOWN_RECURSION_LIMIT)

    def _print_unknown(self, fields: Iterable[tuple[int, int, Any]], budget: int) -> None:
        out = self.out
        for number, wire_type, data in fields:
            out.write(f"{' ' * self.indent}{number}")
            if wire_type == WireType.SGROUP:
                self._block(data, budget)
            elif wire_type == WireType.LEN:
                embedded = (parse_unknown_fields(data, budget)
                            if data and budget > 0 else None)
                if embedded is not None:
                    self._block(embedded, budget - 1)
                else:
                    out.write(f': "{text_encoding.CEscape(data, False)}"\n')
            elif wire_type == WireType.I32:
                out.write(f": 0x{data:08x}\n")
            elif wire_type == WireType.I64:
                out.write(f": 0x{data:016x}\n")
            else:
                out.write(f": {data}\n")

    def _block(self, fields: Iterable[tuple[int, int, Any]], budget: int) -> None:
        self.out.write(" {\n")
        self.indent += 2
        self._print_unknown(fields, budget)
        self.indent -= 2
        self.out.write(f"{' ' * self.indent}}}\n")


def _runtime_unknown(unknown_field_set: Any) -> list[tuple[int, int, Any]]:
    """The runtime's unknown fields as ``(number, wire type, value)``; a group's value is
    the list of its fields."""
    fields: list[tuple[int, int, Any]] = []
    for field in unknown_field_set:
        data = field.data
        if field.wire_type == WireType.SGROUP:
            data = _runtime_unknown(data)
        fields.append((field.field_number, field.wire_type, data))
    return fields


def parse_unknown_fields(data: bytes, budget: int) -> list[tuple[int, int, Any]] | None:
    """``data`` read as a message with no schema, as C++ ``UnknownFieldSet`` parses it
    for the text printer (groups nested at most ``budget`` deep); None when it is not one.
    """
    fields, pos = _parse_unknown(data, 0, budget, None)
    return fields if fields is not None and pos == len(data) else None


def _parse_unknown(data: bytes, pos: int, budget: int,
                   group: int | None) -> tuple[list[tuple[int, int, Any]] | None, int]:
    end = len(data)
    fields: list[tuple[int, int, Any]] = []
    try:
        while pos < end:
            tag, pos = read_varint(data, pos, end)
            number, wire_type = tag >> 3, tag & 7
            if tag > 0xFFFFFFFF or number == 0:
                return None, pos
            if wire_type == WireType.EGROUP:
                return (fields, pos) if group == number else (None, pos)
            if wire_type == WireType.VARINT:
                value, pos = read_varint(data, pos, end)
                fields.append((number, wire_type, value))
            elif wire_type in (WireType.I32, WireType.I64):
                size = 4 if wire_type == WireType.I32 else 8
                if pos + size > end:
                    return None, pos
                fields.append((number, wire_type,
                               int.from_bytes(data[pos : pos + size], "little")))
                pos += size
            elif wire_type == WireType.LEN:
                size, pos = read_varint(data, pos, end)
                if pos + size > end:
                    return None, pos
                fields.append((number, wire_type, data[pos : pos + size]))
                pos += size
            elif wire_type == WireType.SGROUP:
                if budget <= 0:
                    return None, pos
                inner, pos = _parse_unknown(data, pos, budget - 1, number)
                if inner is None:
                    return None, pos
                fields.append((number, wire_type, inner))
            else:
                return None, pos
    except ValueError:
        return None, pos
    return (fields, pos) if group is None else (None, pos)

