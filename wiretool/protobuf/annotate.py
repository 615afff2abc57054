"""Put a schema on a schemaless decode: field names, declared types, readable values.

Two pieces, used together by every command that takes a schema:

* :class:`DescriptorHints` tells the wire decoder what each length-delimited
  field is (message, string, bytes, packed scalars) so it does not have to guess;
* :func:`annotate` walks the decoded tree afterwards and fills ``Field.schema``
  (name, declared type, JSON name, the value as the schema reads it, oneof),
  sets ``Message.type_name``, leaves unknown fields schemaless, and reports a
  diagnostic when the wire contradicts the schema (that field then stays
  schemaless: the bytes are shown as they are, never forced into a type).

The schema never wins over the bytes: a value reaches a declared type's reading
(:func:`read_scalar`) only with the wire type that type is encoded with (a varint
is never read as a float, a packed varint list never as packed floats); anything
else keeps its raw reading and gets the error "declared double but wire type
VARINT at offset N". A value of the right wire type that does not fit the declared
type (an int32 varint beyond 32 bits, a bool of 2) is read as protobuf parsers read
it, with a warning that gives the raw value.

Usage::

    hints = DescriptorHints(descriptor)
    result = annotate(wire.decode(data, hints=hints), descriptor)

This module reads the model and descriptors only; it never decodes bytes
(``wire.py``) or loads schemas (``schema.py``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Container, Iterable, Iterator
from typing import Any, Literal, NamedTuple

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
ELEMENT_WIRE_TYPE: dict[PackedType, WireType] = {
    PackedType.VARINT: WireType.VARINT,
    PackedType.FIXED32: WireType.I32,
    PackedType.FIXED64: WireType.I64,
}
"""The wire type each element of a packed field would have on its own."""

_U32 = (1 << 32) - 1
_U64 = (1 << 64) - 1
_INT32 = range(-(1 << 31), 1 << 31)


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


ANY_TYPE = "google.protobuf.Any"

AnyPool = Any | None | Literal["own"]
"""Where the type URL of a ``google.protobuf.Any`` is looked up: a descriptor pool, or
``"own"`` (the pool of the message type decoded: a schema's), or None (Anys are not
unpacked)."""


def any_pool_of(descriptor: Descriptor, any_pool: AnyPool) -> Any:
    """The pool ``any_pool`` stands for (None: do not unpack Anys)."""
    return descriptor.file.pool if any_pool == "own" else any_pool


class DescriptorHints:
    """What a schema tells the decoder (``wire.decode(..., hints=...)``): the message
    type of the input; the decoder reads the declared kind of each length-delimited
    field of it and of the types below it (``kind_for``), and keeps it where the
    payload fits. The value of a ``google.protobuf.Any`` whose type URL names a message
    type of ``any_pool`` is read as that type (the core: ``native.NativeReader``);
    a type URL the pool lacks, or a value that is not such a message, keeps its
    reading, with a warning."""

    def __init__(self, descriptor: Descriptor, any_pool: AnyPool = "own") -> None:
        self.descriptor = descriptor
        self.any_pool = any_pool_of(descriptor, any_pool)

    def kind_for(self, number: int, wire_type: WireType) -> Kind | PackedType | None:
        """The declared reading of field ``number`` sent as ``wire_type``, or None."""
        fd = self.descriptor.fields_by_number.get(number)
        if fd is None:
            return None
        kind = expected_kind(fd, wire_type)
        if kind is Kind.PACKED:
            return _PACKED_AS[fd.type]
        return kind


def annotate(result: DecodeResult, descriptor: Descriptor,
             any_pool: AnyPool = "own") -> DecodeResult:
    """``result`` with every message read as ``descriptor`` (see the module docstring);
    ``any_pool``: as given to the decode's ``DescriptorHints``."""
    found: list[Diagnostic] = []
    already = {d.offset for d in result.diagnostics}
    pool = any_pool_of(descriptor, any_pool)
    messages = tuple(
        dataclasses.replace(
            message,
            fields=_annotate_fields(message.fields, descriptor, found, already, pool),
            type_name=descriptor.full_name,
        )
        for message in result.messages
    )
    return dataclasses.replace(result, messages=messages, diagnostics=(*result.diagnostics, *found))


def annotate_message(message: Message, descriptor: Descriptor,
                     any_pool: AnyPool = "own") -> tuple[Message, list[Diagnostic]]:
    """One message read as ``descriptor``, with the diagnostics that produced."""
    found: list[Diagnostic] = []
    fields = _annotate_fields(message.fields, descriptor, found, set(),
                              any_pool_of(descriptor, any_pool))
    return dataclasses.replace(message, fields=fields, type_name=descriptor.full_name), found


class AnnotatedView:
    """A ``DecodeView`` whose messages are read as ``descriptor`` while they are rendered.

    The view must come from a decode given ``DescriptorHints(descriptor)``: the
    decoder has then already reported every payload that does not fit its declared
    type, so only wire-type contradictions are added here.
    """

    def __init__(self, view: DecodeView, descriptor: Descriptor,
                 any_pool: AnyPool = "own") -> None:
        self._view = view
        self._descriptor = descriptor
        self._pool = any_pool_of(descriptor, any_pool)
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
            annotated = (native(self._descriptor, self._found, self._pool)
                         if native is not None else None)
            typed = dataclasses.replace(message, type_name=self._descriptor.full_name)
            if annotated is not None:
                yield typed, annotated
            elif self._descriptor.full_name == ANY_TYPE:  # its two fields read together
                yield typed, _annotate_fields(tuple(fields), self._descriptor, self._found,
                                              _REPORTED, self._pool)
            else:
                yield typed, (_annotate_field(f, self._descriptor, self._found, _REPORTED,
                                              self._pool) for f in fields)


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
    pool: Any,
) -> tuple[Field, ...]:
    held = _held_type(fields, descriptor, pool)
    if held is not None:
        return (_annotate_field(fields[0], descriptor, found, already, pool),
                _any_value(fields[1], descriptor, held, found, already, pool))
    return tuple(_annotate_field(f, descriptor, found, already, pool) for f in fields)


def _held_type(fields: tuple[Field, ...], descriptor: Descriptor, pool: Any) -> Descriptor | None:
    """The type a ``google.protobuf.Any``'s value was read as by the decoder: the Any is
    its type URL (field 1) and its value (field 2, a message: the decoder found the
    type the URL names in ``pool``, and the value parsed)."""
    if pool is None or descriptor.full_name != ANY_TYPE or len(fields) != 2:
        return None
    url, value = fields
    if (url.number, value.number) != (1, 2) or not isinstance(url.value, str):
        return None
    if value.kind is not Kind.MESSAGE:
        return None
    return any_type(url.value, pool)


def any_type(type_url: str, pool: Any) -> Descriptor | None:
    """The message type of ``pool`` a type URL names (the name after its last ``/``,
    as protobuf runtimes resolve it), or None."""
    try:
        found: Descriptor = pool.FindMessageTypeByName(type_url.rsplit("/", 1)[-1])
    except KeyError:
        return None
    return found


def _any_value(field: Field, descriptor: Descriptor, held: Descriptor, found: list[Diagnostic],
               already: Container[int], pool: Any) -> Field:
    """An Any's value read as ``held``: named as the field, typed as ``held``."""
    fd = descriptor.fields_by_number[2]
    children = _annotate_fields(field.fields, held, found, already, pool)
    info = SchemaInfo(name=fd.name, type="." + held.full_name, json_name=fd.json_name,
                      display=None, oneof=oneof_name(fd))
    return field._replace(fields=children, schema=info)


def _annotate_field(
    field: Field, descriptor: Descriptor, found: list[Diagnostic], already: Container[int],
    pool: Any,
) -> Field:
    fd = descriptor.fields_by_number.get(field.number)
    if fd is None:
        return field  # unknown field: stays schemaless (schema None marks it unknown)
    declared = type_name(fd)
    where = f"field {field.number} ({fd.name})"
    kind = expected_kind(fd, field.wire_type)
    if kind is None:
        found.append(_misfit(field, f"{where}: declared {declared} but wire type "
                                    f"{field.wire_type.name} at offset {field.offset}"))
        return field
    if field.kind is not kind:
        if field.offset not in already:  # the decoder already said why it did not fit
            found.append(_misfit(field, f"{where} at offset {field.offset}: declared "
                                        f"{declared}, but the payload does not read as "
                                        f"{kind.value}"))
        return field
    if kind is Kind.PACKED and field.packed_type is not _PACKED_AS[fd.type]:
        # The decoder read the payload as other elements than the declared type's
        # (it says why); the schema's reading of those numbers would be meaningless.
        if field.offset not in already:
            read_as = field.packed_type.value if field.packed_type else "?"
            found.append(_misfit(field, f"{where}: declared repeated {declared} (packed "
                                        f"{_PACKED_AS[fd.type].value}) but packed {read_as} "
                                        f"at offset {field.offset}"))
        return field
    display, problems = display_value(fd, field)
    wrong = [p for p in problems if p.mismatch]
    if wrong:  # cannot happen after the checks above; the raw reading stays, all the same
        found.append(_misfit(field, f"{where}: declared {declared} but {wrong[0].text} "
                                    f"at offset {field.offset}"))
        return field
    if problems:
        found.append(_out_of_range(field, where, declared, problems))
    children = field.fields
    if field.fields and fd.message_type is not None:
        children = _annotate_fields(field.fields, fd.message_type, found, already, pool)
    info = SchemaInfo(
        name=fd.name,
        type=declared,
        json_name=fd.json_name,
        display=display,
        oneof=oneof_name(fd),
    )
    return field._replace(fields=children, schema=info)


def _misfit(field: Field, text: str) -> Diagnostic:
    """The error for a field the schema cannot read: shown as decoded, without schema."""
    return Diagnostic(field.offset, Severity.ERROR,
                      f"{text}; shown as read, without schema", field.length)


def _out_of_range(
    field: Field, where: str, declared: str, problems: list[Reading]
) -> Diagnostic:
    """The warning for values of the right wire type outside the declared type's range."""
    first = problems[0].text
    head = f"{where} at offset {field.offset}: declared {declared}, but"
    if field.kind is not Kind.PACKED:
        text = f"{head} {first}"
    elif len(problems) == 1:
        text = f"{head} an element of the packed field is out of range: {first}"
    else:
        text = (f"{head} {len(problems)} of its {len(field.values)} packed elements are out "
                f"of range; the first: {first}")
    return Diagnostic(field.offset, Severity.WARNING, text, field.length)


def display_value(
    fd: FieldDescriptor, field: Field
) -> tuple[str | int | float | bool | None, list[Reading]]:
    """The value as the schema reads it (enum name, zigzag, signed, float, bool), and the
    readings that did not simply fit the declared type (see :func:`read_scalar`).

    Strings, bytes and messages are shown from the field itself (None here); a
    packed field gives its elements as one string, e.g. ``"[-1, 2, RED]"``.
    """
    if field.kind is Kind.PACKED and field.packed_type is not None:
        wire_type = ELEMENT_WIRE_TYPE[field.packed_type]
        readings = [read_scalar(fd, v, wire_type) for v in field.values]
        shown = "[" + ", ".join(str(r.value) for r in readings) + "]"
        return shown, [r for r in readings if r.problem is not None]
    if isinstance(field.value, int) and field.kind in (Kind.VARINT, Kind.FIXED32, Kind.FIXED64):
        reading = read_scalar(fd, field.value, field.wire_type)
        return reading.value, [reading] if reading.problem is not None else []
    return None, []


class Reading(NamedTuple):
    """A scalar as a declared type reads it (see :func:`read_scalar`)."""

    value: str | int | float | bool
    """The declared type's reading; the raw unsigned value when ``mismatch``."""
    problem: str | None = None
    """What did not fit, for a diagnostic: ``wire type VARINT``, or ``varint 2 is not 0 or 1:
    read as true``; None when the value is simply of the declared type."""
    mismatch: bool = False
    """True when the wire type is not the declared type's: ``value`` is then the raw value."""

    @property
    def text(self) -> str:
        return self.problem or ""


_WIRE_NAMES = {WireType.VARINT: "varint", WireType.I32: "fixed32", WireType.I64: "fixed64"}


def read_scalar(fd: FieldDescriptor, raw: int, wire_type: WireType) -> Reading:
    """One scalar of type ``fd`` from its unsigned value as read with ``wire_type``.

    The schema never wins over the bytes: when ``wire_type`` is not the one ``fd``
    is encoded with (a varint where a ``double`` belongs), or ``raw`` is more than that
    wire type can carry, the raw value comes back unread, flagged ``mismatch``. A value
    of the right wire type outside the declared range is read the way protobuf parsers
    read it (the low 32 bits of an int32, any non-zero bool is true), with a ``problem``
    that gives the raw value (encoding spec, "Varints" and "Signed Integers").
    """
    declared = declared_wire_type(fd)
    limit = _U32 if wire_type is WireType.I32 else _U64
    if wire_type is not declared or fd.type == FD.TYPE_GROUP or not 0 <= raw <= limit:
        if wire_type is not declared:
            what = f"wire type {wire_type.name}"
        else:
            what = f"{_WIRE_NAMES.get(wire_type, wire_type.name)} value {raw} (too large)"
        return Reading(raw, what, mismatch=True)
    t = fd.type
    if t == FD.TYPE_ENUM or t == FD.TYPE_INT32:
        # int32 and enum values are sign-extended to 64 bits (encoding spec, "Varints");
        # parsers keep the low 32 bits of anything else.
        number = to_signed(raw & _U32, 32)
        problem = None
        if to_signed(raw, 64) not in _INT32:
            problem = f"varint {raw} is not a 32-bit value: read as {number} (its low 32 bits)"
        if t == FD.TYPE_ENUM and fd.enum_type is not None:
            value = fd.enum_type.values_by_number.get(number)
            if value is not None:
                return Reading(str(value.name), problem)
        return Reading(number, problem)
    if t == FD.TYPE_BOOL:
        if raw > 1:
            return Reading(True, f"varint {raw} is not 0 or 1: read as true")
        return Reading(raw == 1)
    if t in (FD.TYPE_UINT32, FD.TYPE_SINT32):
        low = raw & _U32
        value32 = low if t == FD.TYPE_UINT32 else zigzag_decode(low)
        if raw > _U32:
            return Reading(value32, f"varint {raw} is not a 32-bit value: read as {value32} "
                                    "(its low 32 bits)")
        return Reading(value32)
    if t in (FD.TYPE_INT64, FD.TYPE_SFIXED64):
        return Reading(to_signed(raw, 64))
    if t == FD.TYPE_SFIXED32:
        return Reading(to_signed(raw, 32))
    if t == FD.TYPE_SINT64:
        return Reading(zigzag_decode(raw))
    if t == FD.TYPE_FLOAT:
        return Reading(fixed_to_float(raw, 32))
    if t == FD.TYPE_DOUBLE:
        return Reading(fixed_to_float(raw, 64))
    return Reading(raw)  # uint64, fixed32, fixed64
