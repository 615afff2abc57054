"""Infer a schema when the user gives none, so that sizes can still be compared.

Two sources:

* :func:`schema_from_json` - from JSON values: field numbers in order of first
  appearance, types from the values (``true`` -> bool, integers -> int32, or
  int64 when one does not fit, numbers with a fraction -> double, strings ->
  string, objects -> nested messages, arrays -> repeated (scalars packed), mixed
  values -> ``google.protobuf.Value``, arrays of arrays -> ``ListValue``). proto3,
  so zeros and empty strings are not encoded. The protobuf size it yields is an
  *estimate*: a real schema may choose other types and numbers.
* :func:`schema_from_decode` - from a schemaless wire decode: one field per field
  number, named ``f<N>`` with JSON key ``"N"``, typed after what the decoder read
  (see :data:`BINARY_MAPPING`). proto2, so presence and packing stay as on the wire.

Both return a :class:`~wiretool.protobuf.schema.Schema` holding one synthesized
file; the runtime then does the encoding and the JSON mapping as it would for a
real schema. This module builds descriptors only; it encodes nothing itself.

Nothing here recurses: values and decoded fields are walked with explicit work
lists, so any nesting costs memory, not stack. The protobuf runtime reads at most
100 levels of nesting (in a message, and in the ``FileDescriptorProto`` of a
schema), so inferred message types stop at :data:`INFERRED_MAX_DEPTH` levels:
deeper JSON objects become ``google.protobuf.Struct``, and a schemaless decode
given to :func:`schema_from_decode` should not be expanded deeper than that.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import descriptor_pb2

from wiretool.protobuf.model import Field, Kind, PackedType, WireType, to_signed
from wiretool.protobuf.schema import Schema, build_schema

FDP = descriptor_pb2.FieldDescriptorProto
INFERRED_PACKAGE = "wiretool.inferred"
ROOT_NAME = "Root"

JSON_MAPPING = (
    "schema inferred from the JSON: field numbers in order of first appearance, "
    "integers as int32 (int64 when one does not fit), fractions as double, objects as "
    "messages, arrays as repeated fields (scalars packed), mixed values as "
    "google.protobuf.Value; proto3, so zero values are not encoded. The protobuf size is "
    "an estimate."
)
BINARY_MAPPING = (
    "no schema: JSON keys are field numbers; varints as int32 when every value fits "
    "(else int64/uint64, written as JSON strings as proto3 does for 64-bit integers), "
    "fixed32 as a number, fixed64 as a string, strings as strings, bytes as base64, "
    "messages and groups as objects, repeated or packed fields as arrays; a field "
    "number seen with two wire types is left out of the JSON."
)

_INT32 = range(-(2**31), 2**31)

INFERRED_MAX_DEPTH = 96
"""Deepest message nesting an inferred schema declares (the runtime refuses past 100)."""


# -- from JSON -------------------------------------------------------------------------


@dataclass
class _Shape:
    """What the values seen for one JSON key look like so far."""

    kinds: set[str] = field(default_factory=set)
    repeated: bool = False
    element_kinds: set[str] = field(default_factory=set)
    fits_int32: bool = True
    child: _Object | None = None


@dataclass
class _Object:
    keys: dict[str, _Shape] = field(default_factory=dict)


def _kind_of(value: Any, shape: _Shape, pending: deque[tuple[_Object, dict[str, Any]]]) -> str:
    """The kind of one JSON value; an object is queued in ``pending`` to be observed."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        if value not in _INT32:
            shape.fits_int32 = False
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        if shape.child is None:
            shape.child = _Object()
        pending.append((shape.child, value))
        return "object"
    if isinstance(value, list):
        return "array"
    return "null"


def _observe(root: _Object, values: Iterable[dict[str, Any]]) -> None:
    """Record the shape of every object in ``values`` (and of the objects inside them).

    Breadth first, with a queue instead of recursion: the values of one object type
    are still observed in document order, so field numbers follow first appearance.
    """
    pending: deque[tuple[_Object, dict[str, Any]]] = deque((root, v) for v in values)
    while pending:
        obj, value = pending.popleft()
        for key, member in value.items():
            shape = obj.keys.setdefault(key, _Shape())
            if isinstance(member, list):
                shape.repeated = True
                for element in member:
                    shape.element_kinds.add(_kind_of(element, shape, pending))
            else:
                shape.kinds.add(_kind_of(member, shape, pending))


def schema_from_json(values: Iterable[dict[str, Any]]) -> Schema:
    """A schema whose root message ``wiretool.inferred.Root`` fits every object in ``values``."""
    root = _Object()
    _observe(root, values)
    file = descriptor_pb2.FileDescriptorProto(
        name="wiretool_inferred_json.proto", package=INFERRED_PACKAGE, syntax="proto3"
    )
    if _fill_json_messages(file.message_type.add(), root):
        file.dependency.append("google/protobuf/struct.proto")
    return build_schema([file], [file.name])


def _fill_json_messages(root_msg: descriptor_pb2.DescriptorProto, root: _Object) -> bool:
    """Fill ``root_msg`` and its nested types from ``root``; True when struct.proto is needed."""
    uses_struct = False
    work = [(root_msg, ROOT_NAME, root, f"{INFERRED_PACKAGE}.{ROOT_NAME}", 1)]
    while work:
        msg, name, obj, scope, depth = work.pop()
        msg.name = name
        # A descriptor string cannot hold U+0000 (the runtime cuts it there, and two keys
        # could then clash): such a key gets no field, and the document is refused at it.
        members = [(k, shape) for k, shape in obj.keys.items() if "\x00" not in k]
        names = _Names(reserved={k for k, _ in members})
        for number, (key, shape) in enumerate(members, start=1):
            fdp = msg.field.add(name=names.make(key), number=number, json_name=key)
            kinds = (shape.kinds | shape.element_kinds) - {"null"}
            if shape.repeated and shape.kinds - {"null"}:
                kinds = {"mixed"}  # sometimes an array, sometimes not
            fdp.label = FDP.LABEL_REPEATED if shape.repeated else FDP.LABEL_OPTIONAL
            if kinds == {"int", "float"}:
                kinds = {"float"}
            if len(kinds) > 1 or kinds == {"mixed"}:
                uses_struct = True
                fdp.type = FDP.TYPE_MESSAGE
                fdp.type_name = ".google.protobuf.Value"
                continue
            kind = next(iter(kinds), "string")
            if kind == "array":  # arrays of arrays
                uses_struct = True
                fdp.type = FDP.TYPE_MESSAGE
                fdp.type_name = ".google.protobuf.ListValue"
            elif kind == "object" and shape.child is not None and depth >= INFERRED_MAX_DEPTH:
                uses_struct = True  # deeper than the runtime could read a message type
                fdp.type = FDP.TYPE_MESSAGE
                fdp.type_name = ".google.protobuf.Struct"
            elif kind == "object" and shape.child is not None:
                child_name = _message_name(key, number)
                fdp.type = FDP.TYPE_MESSAGE
                fdp.type_name = f".{scope}.{child_name}"
                work.append((msg.nested_type.add(), child_name, shape.child,
                             f"{scope}.{child_name}", depth + 1))
            else:
                fdp.type = {
                    "bool": FDP.TYPE_BOOL,
                    "int": FDP.TYPE_INT32 if shape.fits_int32 else FDP.TYPE_INT64,
                    "float": FDP.TYPE_DOUBLE,
                    "string": FDP.TYPE_STRING,
                }[kind]
    return uses_struct


# -- from a schemaless decode ------------------------------------------------------------


@dataclass
class _Slot:
    wire_types: set[WireType] = field(default_factory=set)
    kinds: set[Kind] = field(default_factory=set)
    packed: set[PackedType] = field(default_factory=set)
    repeated: bool = False
    ints: list[int] = field(default_factory=list)
    children: dict[int, _Slot] | None = None


def _collect(root: dict[int, _Slot], top: Iterable[Field]) -> None:
    """Gather what every field number holds, level by level (a work list, no recursion)."""
    work: list[tuple[dict[int, _Slot], Iterable[Field]]] = [(root, top)]
    while work:
        slots, fields = work.pop()
        counts: dict[int, int] = {}
        for f in fields:
            counts[f.number] = counts.get(f.number, 0) + 1
            slot = slots.setdefault(f.number, _Slot())
            # A packed field and a plain scalar share the element's wire type.
            slot.wire_types.add(_base_wire_type(f))
            if f.kind is Kind.MESSAGE and not f.expanded:
                # Not expanded (max_depth): its payload is kept whole, as bytes.
                slot.kinds.add(Kind.BYTES)
                continue
            slot.kinds.add(f.kind)
            if f.kind is Kind.PACKED:
                slot.repeated = True
                if f.packed_type is not None:
                    slot.packed.add(f.packed_type)
                slot.ints.extend(f.values)
            elif isinstance(f.value, int):
                slot.ints.append(f.value)
            if f.kind in (Kind.MESSAGE, Kind.GROUP):
                if slot.children is None:
                    slot.children = {}
                work.append((slot.children, f.fields))
        for number, count in counts.items():
            if count > 1:
                slots[number].repeated = True


def _base_wire_type(f: Field) -> WireType:
    if f.kind is Kind.PACKED:
        return {
            PackedType.VARINT: WireType.VARINT,
            PackedType.FIXED32: WireType.I32,
            PackedType.FIXED64: WireType.I64,
            None: WireType.LEN,
        }[f.packed_type]
    return f.wire_type


def schema_from_decode(fields: Iterable[Field]) -> Schema:
    """A proto2 schema ``wiretool.inferred.Root`` that reads the decoded ``fields`` as decoded.

    Decode no deeper than :data:`INFERRED_MAX_DEPTH` (a message that was not expanded
    is declared ``bytes``), or the runtime may refuse the schema as too deep.
    """
    slots: dict[int, _Slot] = {}
    _collect(slots, fields)
    file = descriptor_pb2.FileDescriptorProto(
        name="wiretool_inferred_binary.proto", package=INFERRED_PACKAGE, syntax="proto2"
    )
    _fill_binary_messages(file.message_type.add(), slots)
    return build_schema([file], [file.name])


def _fill_binary_messages(root_msg: descriptor_pb2.DescriptorProto, root: dict[int, _Slot]) -> None:
    work = [(root_msg, ROOT_NAME, root, f"{INFERRED_PACKAGE}.{ROOT_NAME}")]
    while work:
        msg, name, slots, scope = work.pop()
        msg.name = name
        for number in sorted(slots):
            slot = slots[number]
            if len(slot.wire_types) != 1:
                continue  # two wire types: no single type reads both; stays an unknown field
            wire_type = next(iter(slot.wire_types))
            fdp = FDP(name=f"f{number}", number=number, json_name=str(number))
            fdp.label = FDP.LABEL_REPEATED if slot.repeated else FDP.LABEL_OPTIONAL
            if wire_type is WireType.VARINT:
                fdp.type = _varint_type(slot.ints)
            elif wire_type is WireType.I32:
                fdp.type = FDP.TYPE_FIXED32
            elif wire_type is WireType.I64:
                fdp.type = FDP.TYPE_FIXED64
            elif wire_type is WireType.SGROUP:
                fdp.type = FDP.TYPE_GROUP
            elif slot.kinds == {Kind.MESSAGE} and slot.children is not None:
                fdp.type = FDP.TYPE_MESSAGE
            elif slot.kinds == {Kind.STRING}:
                fdp.type = FDP.TYPE_STRING
            else:
                fdp.type = FDP.TYPE_BYTES  # bytes read every payload, whatever else it might be
            if fdp.type in (FDP.TYPE_MESSAGE, FDP.TYPE_GROUP):
                # proto2 groups: the nested type is named after the field, capitalised.
                child = f"F{number}" if fdp.type == FDP.TYPE_GROUP else f"M{number}"
                if fdp.type == FDP.TYPE_GROUP:
                    fdp.name = child.lower()
                fdp.type_name = f".{scope}.{child}"
                work.append((msg.nested_type.add(), child, slot.children or {},
                             f"{scope}.{child}"))
            if slot.packed and fdp.label == FDP.LABEL_REPEATED:
                fdp.options.packed = True
            msg.field.append(fdp)


def _varint_type(values: list[int]) -> descriptor_pb2.FieldDescriptorProto.Type.ValueType:
    signed = [to_signed(v, 64) for v in values]
    if all(v in _INT32 for v in signed):
        return FDP.TYPE_INT32
    if any(v >= 2**63 for v in values):
        return FDP.TYPE_UINT64
    return FDP.TYPE_INT64


# -- names -----------------------------------------------------------------------------


class _Names:
    """Unique proto identifiers for JSON keys (the key itself stays the json_name).

    The runtime looks fields up by JSON name and by name in one table, so a name must
    not be any key of the object (``"a b"`` is named ``a_b``; a key ``"a_b"`` beside it
    would clash); protoc also refuses names that differ only in case.
    """

    def __init__(self, reserved: set[str]) -> None:
        self.used: set[str] = set()
        self.reserved = reserved

    def make(self, key: str) -> str:
        base = re.sub(r"\W", "_", key, flags=re.ASCII) or "field"
        if not re.match(r"[A-Za-z_]", base):
            base = "f_" + base
        name, n = base, 1
        while name.lower() in self.used or (name in self.reserved and name != key):
            n += 1
            name = f"{base}_{n}"
        self.used.add(name.lower())
        return name


def _message_name(key: str, number: int) -> str:
    words = re.findall(r"[A-Za-z0-9]+", key)
    name = "".join(w[:1].upper() + w[1:] for w in words) or f"M{number}"
    if not name[0].isalpha():
        name = "M" + name
    return f"{name}_{number}"  # the number keeps sibling names unique
