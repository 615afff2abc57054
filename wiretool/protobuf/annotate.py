"""Put a schema on a schemaless decode: field names, declared types, readable values.

Two pieces, used together by every command that takes a schema:

* :class:`DescriptorHints` tells the wire decoder what each length-delimited
  field is (message, string, bytes, packed scalars) so it does not have to guess;
* :func:`annotate` walks the decoded tree afterwards and fills ``Field.schema``
  (name, declared type, JSON name, the value as the schema reads it, oneof),
  sets ``Message.type_name``, leaves unknown fields schemaless, and reports a
  diagnostic when the wire contradicts the schema (that field then stays
  schemaless: the bytes are shown as they are, never forced into a type).

Usage::

    hints = DescriptorHints(descriptor)
    result = annotate(wire.decode(data, hints=hints), descriptor)

This module reads the model and descriptors only; it never decodes bytes
(``wire.py``) or loads schemas (``schema.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Container, Iterable, Iterator

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from wiretool.errors import Diagnostic, Severity
from wiretool.protobuf.model import (
    DecodeResult,
    DecodeView,
    Field,
    Kind,
    Message,
    PackedType,
    SchemaInfo,
    Unparsed,
    WireType,
    fixed_to_float,
    to_signed,
    zigzag_decode,
)

FD = FieldDescriptor

SCALAR_NAMES: dict[int, str] = {
    FD.TYPE_DOUBLE: "double",
    FD.TYPE_FLOAT: "float",
    FD.TYPE_INT64: "int64",
    FD.TYPE_UINT64: "uint64",
    FD.TYPE_INT32: "int32",
    FD.TYPE_FIXED64: "fixed64",
    FD.TYPE_FIXED32: "fixed32",
    FD.TYPE_BOOL: "bool",
    FD.TYPE_STRING: "string",
    FD.TYPE_BYTES: "bytes",
    FD.TYPE_UINT32: "uint32",
    FD.TYPE_SFIXED32: "sfixed32",
    FD.TYPE_SFIXED64: "sfixed64",
    FD.TYPE_SINT32: "sint32",
    FD.TYPE_SINT64: "sint64",
}

_VARINT_TYPES = frozenset(
    {
        FD.TYPE_INT32,
        FD.TYPE_INT64,
        FD.TYPE_UINT32,
        FD.TYPE_UINT64,
        FD.TYPE_SINT32,
        FD.TYPE_SINT64,
        FD.TYPE_BOOL,
        FD.TYPE_ENUM,
    }
)
_I64_TYPES = frozenset({FD.TYPE_FIXED64, FD.TYPE_SFIXED64, FD.TYPE_DOUBLE})
_I32_TYPES = frozenset({FD.TYPE_FIXED32, FD.TYPE_SFIXED32, FD.TYPE_FLOAT})

# Protobuf encoding spec, "Packed Repeated Fields": only scalar numeric types pack.
_PACKED_AS: dict[int, PackedType] = {
    **dict.fromkeys(_VARINT_TYPES, PackedType.VARINT),
    **dict.fromkeys(_I64_TYPES, PackedType.FIXED64),
    **dict.fromkeys(_I32_TYPES, PackedType.FIXED32),
}


def declared_wire_type(fd: FieldDescriptor) -> WireType:
    """The wire type a non-packed occurrence of ``fd`` uses."""
    if fd.type in _VARINT_TYPES:
        return WireType.VARINT
    if fd.type in _I64_TYPES:
        return WireType.I64
    if fd.type in _I32_TYPES:
        return WireType.I32
    if fd.type == FD.TYPE_GROUP:
        return WireType.SGROUP
    return WireType.LEN


def is_map(fd: FieldDescriptor) -> bool:
    """True for a ``map<K, V>`` field (a repeated, synthesized map-entry message)."""
    mt = fd.message_type
    return mt is not None and bool(mt.GetOptions().map_entry)


def type_name(fd: FieldDescriptor) -> str:
    """The declared type as written in a .proto: ``int32``, ``.pkg.Msg``, ``map<K, V>``."""
    entry = fd.message_type
    if entry is not None and entry.GetOptions().map_entry:
        key, value = entry.fields_by_number[1], entry.fields_by_number[2]
        return f"map<{type_name(key)}, {type_name(value)}>"
    if entry is not None:
        return "." + entry.full_name
    if fd.enum_type is not None:
        return "." + fd.enum_type.full_name
    return SCALAR_NAMES[fd.type]


def oneof_name(fd: FieldDescriptor) -> str | None:
    """The real oneof ``fd`` belongs to; None for none or proto3 ``optional``'s synthetic one."""
    oneof = fd.containing_oneof
    if oneof is None:
        return None
    # proto3 ``optional x`` makes a synthetic oneof "_x" holding only x (descriptor.proto,
    # FieldDescriptorProto.proto3_optional); it is not a oneof the user wrote.
    if len(oneof.fields) == 1 and oneof.name == "_" + fd.name:
        return None
    return str(oneof.name)


def expected_kind(fd: FieldDescriptor, wire_type: WireType) -> Kind | None:
    """How a field occurrence with ``wire_type`` must be read per ``fd``; None if it cannot."""
    declared = declared_wire_type(fd)
    if wire_type is declared:
        return {
            WireType.VARINT: Kind.VARINT,
            WireType.I64: Kind.FIXED64,
            WireType.I32: Kind.FIXED32,
            WireType.SGROUP: Kind.GROUP,
        }.get(wire_type) or {
            FD.TYPE_STRING: Kind.STRING,
            FD.TYPE_BYTES: Kind.BYTES,
        }.get(fd.type, Kind.MESSAGE)
    # A parser must accept packed and unpacked encodings of repeated scalars alike
    # (encoding spec, "Packed Repeated Fields").
    if wire_type is WireType.LEN and fd.is_repeated and fd.type in _PACKED_AS:
        return Kind.PACKED
    return None


class DescriptorHints:
    """What a schema tells the decoder (``wire.decode(..., hints=...)``): the message
    type of the input; the decoder reads the declared kind of each length-delimited
    field of it and of the types below it (``kind_for``), and keeps it where the
    payload fits."""

    def __init__(self, descriptor: Descriptor) -> None:
        self.descriptor = descriptor

    def kind_for(self, number: int, wire_type: WireType) -> Kind | PackedType | None:
        """The declared reading of field ``number`` sent as ``wire_type``, or None."""
        fd = self.descriptor.fields_by_number.get(number)
        if fd is None:
            return None
        kind = expected_kind(fd, wire_type)
        if kind is Kind.PACKED:
            return _PACKED_AS[fd.type]
        return kind


def annotate(result: DecodeResult, descriptor: Descriptor) -> DecodeResult:
    """``result`` with every message read as ``descriptor`` (see the module docstring)."""
    found: list[Diagnostic] = []
    already = {d.offset for d in result.diagnostics}
    messages = tuple(
        dataclasses.replace(
            message,
            fields=_annotate_fields(message.fields, descriptor, found, already),
            type_name=descriptor.full_name,
        )
        for message in result.messages
    )
    return dataclasses.replace(result, messages=messages, diagnostics=(*result.diagnostics, *found))


def annotate_message(message: Message, descriptor: Descriptor) -> tuple[Message, list[Diagnostic]]:
    """One message read as ``descriptor``, with the diagnostics that produced."""
    found: list[Diagnostic] = []
    fields = _annotate_fields(message.fields, descriptor, found, set())
    return dataclasses.replace(message, fields=fields, type_name=descriptor.full_name), found


class AnnotatedView:
    """A ``DecodeView`` whose messages are read as ``descriptor`` while they are rendered.

    The view must come from a decode given ``DescriptorHints(descriptor)``: the
    decoder has then already reported every payload that does not fit its declared
    type, so only wire-type contradictions are added here.
    """

    def __init__(self, view: DecodeView, descriptor: Descriptor) -> None:
        self._view = view
        self._descriptor = descriptor
        self._found: list[Diagnostic] = []

    @property
    def size(self) -> int:
        return self._view.size

    @property
    def start(self) -> int:
        return self._view.start

    @property
    def trailing(self) -> Unparsed | None:
        return self._view.trailing

    @property
    def message_count(self) -> int:
        return self._view.message_count

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return sorted([*self._view.diagnostics, *self._found], key=lambda d: d.offset)

    def parts(self) -> Iterator[tuple[Message, Iterable[Field]]]:
        for message, fields in self._view.parts():
            # The native core reads the schema itself when it was given these hints
            # (``native.NativeFields.annotated``: the same rules, and its JSON path).
            native = getattr(fields, "annotated", None)
            annotated = native(self._descriptor, self._found) if native is not None else None
            yield (dataclasses.replace(message, type_name=self._descriptor.full_name),
                   annotated if annotated is not None else
                   (_annotate_field(f, self._descriptor, self._found, _REPORTED) for f in fields))


class _Reported:
    """Stands for "every offset": the decoder reported each misfit payload already."""

    def __contains__(self, offset: object) -> bool:
        return True


_REPORTED = _Reported()


def _annotate_fields(
    fields: tuple[Field, ...],
    descriptor: Descriptor,
    found: list[Diagnostic],
    already: Container[int],
) -> tuple[Field, ...]:
    return tuple(_annotate_field(f, descriptor, found, already) for f in fields)


def _annotate_field(
    field: Field, descriptor: Descriptor, found: list[Diagnostic], already: Container[int]
) -> Field:
    fd = descriptor.fields_by_number.get(field.number)
    if fd is None:
        return field  # unknown field: stays schemaless (schema None marks it unknown)
    where = f"field {field.number} ({fd.name}: {type_name(fd)}) at offset {field.offset}"
    kind = expected_kind(fd, field.wire_type)
    if kind is None:
        found.append(
            Diagnostic(
                field.offset,
                Severity.ERROR,
                f"{where}: wire type {field.wire_type.name} contradicts the schema "
                f"({declared_wire_type(fd).name}); shown without schema",
                field.length,
            )
        )
        return field
    if field.kind is not kind:
        if field.offset not in already:  # the decoder already said why it did not fit
            found.append(
                Diagnostic(
                    field.offset,
                    Severity.ERROR,
                    f"{where}: payload does not read as {kind.value}; shown without schema",
                    field.length,
                )
            )
        return field
    children = field.fields
    if field.fields and fd.message_type is not None:
        children = _annotate_fields(field.fields, fd.message_type, found, already)
    info = SchemaInfo(
        name=fd.name,
        type=type_name(fd),
        json_name=fd.json_name,
        display=display_value(fd, field),
        oneof=oneof_name(fd),
    )
    return field._replace(fields=children, schema=info)


def display_value(fd: FieldDescriptor, field: Field) -> str | int | float | bool | None:
    """The value as the schema reads it: enum name, zigzag, signed, float, bool.

    Strings, bytes and messages are shown from the field itself (None here); a
    packed field gives its elements as one string, e.g. ``"[-1, 2, RED]"``.
    """
    if field.kind is Kind.PACKED:
        return "[" + ", ".join(str(read_scalar(fd, v)) for v in field.values) + "]"
    if isinstance(field.value, int) and field.kind in (Kind.VARINT, Kind.FIXED32, Kind.FIXED64):
        return read_scalar(fd, field.value)
    return None


def read_scalar(fd: FieldDescriptor, raw: int) -> str | int | float | bool:
    """One scalar of type ``fd`` from its unsigned wire value (encoding spec, "Varints")."""
    t = fd.type
    if t == FD.TYPE_ENUM and fd.enum_type is not None:
        number = to_signed(raw & 0xFFFFFFFF, 32)
        value = fd.enum_type.values_by_number.get(number)
        return str(value.name) if value is not None else number
    if t == FD.TYPE_BOOL:
        return raw != 0
    if t == FD.TYPE_INT32:
        return to_signed(raw & 0xFFFFFFFF, 32)  # parsers truncate int32 to 32 bits
    if t in (FD.TYPE_INT64, FD.TYPE_SFIXED64):
        return to_signed(raw, 64)
    if t == FD.TYPE_SFIXED32:
        return to_signed(raw, 32)
    if t == FD.TYPE_UINT32:
        return raw & 0xFFFFFFFF
    if t == FD.TYPE_SINT32:
        return zigzag_decode(raw & 0xFFFFFFFF)
    if t == FD.TYPE_SINT64:
        return zigzag_decode(raw & 0xFFFFFFFFFFFFFFFF)
    if t == FD.TYPE_FLOAT:
        return fixed_to_float(raw, 32)
    if t == FD.TYPE_DOUBLE:
        return fixed_to_float(raw, 64)
    return raw  # uint64, fixed32, fixed64
