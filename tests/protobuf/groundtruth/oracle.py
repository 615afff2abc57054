"""What each length-delimited field is, by the schema; and how a reading is scored.

``expected(data, descriptor)`` walks the bytes with a minimal walker of its own (it
shares no code with wiretool's decoder) and labels every length-delimited field
with the kind its schema declares, as a tree of ``Node``s in wire order:

- a message field (map entries included): ``message``, with its children;
- a string field: ``string``;
- a packed repeated scalar: ``packed``;
- a bytes field: ``bytes``; except where it holds a serialized message - ``Any.value``
  (resolved by its ``type_url``) and the ``file_descriptor_proto`` of gRPC reflection
  - which is labelled ``message`` with the children of that message (no decoder can
  tell such bytes from a message field, and reading them as one is what a user
  wants); and except a bytes value that is clean text (UTF-8 without control
  characters other than tab, newline and carriage return): ``string``, for the same
  reason. The generators write binary into bytes fields, so this second exception
  only catches the odd random id that happens to be text.

Groups (wire types 3 and 4, proto2's ``OptionalGroup`` of protobuf's golden messages)
are skipped: no decoder can take a group for anything else, and the groups of the
corpora hold no length-delimited field.

Extensions (``google.api.http`` on ``MethodOptions``, field 72295728, and the like)
are resolved in the descriptor pool. A field the schema does not know is not
counted (there is none in the corpora; ``unknown`` counts them).

``score(expected, got, tally)`` compares a tool's reading (the same tree shape) with
the expected one, the way issue 18's table counts: per expected kind, 4-way, and
message vs not; a field under a parent that was not read as a message counts as
wrong in every column.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor, FieldDescriptor

KINDS = ("message", "string", "bytes", "packed")

Node = tuple[int, str, tuple["Node", ...]]
"""(field number, kind, children) of one length-delimited field; children only for
``message``."""

BYTES_HOLDING_MESSAGE = {
    "grpc.reflection.v1alpha.FileDescriptorResponse.file_descriptor_proto":
        "google.protobuf.FileDescriptorProto",
    "grpc.reflection.v1.FileDescriptorResponse.file_descriptor_proto":
        "google.protobuf.FileDescriptorProto",
}
"""Bytes fields that always hold a serialized message of a known type."""

TYPE_URL_PREFIX = "type.googleapis.com/"


def is_clean_text(payload: bytes) -> bool:
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return bool(payload) and all((c >= " " and c != "\x7f") or c in "\t\n\r" for c in text)


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """(value, position after it) of the varint at ``pos``; IndexError past the end or
    past 64 bits."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos
        if shift > 63:
            raise IndexError


class Oracle:
    """Labels the bytes of messages of a descriptor pool (see the module docstring)."""

    def __init__(self, pool: descriptor_pool.DescriptorPool) -> None:
        self.pool = pool
        self.unknown = 0
        """Length-delimited fields the schema does not know (not counted)."""

    def expected(self, data: bytes, desc: Descriptor) -> tuple[Node, ...]:
        nodes: list[Node] = []
        pos = 0
        type_url = ""

        def varint() -> int:
            nonlocal pos
            value, pos = read_varint(data, pos)
            return value

        while pos < len(data):
            tag = varint()
            number, wire = tag >> 3, tag & 7
            if wire == 0:
                varint()
            elif wire == 1:
                pos += 8
            elif wire == 5:
                pos += 4
            elif wire == 2:
                size = varint()
                payload = data[pos : pos + size]
                pos += size
                fd = self._field(desc, number)
                if fd is None:
                    self.unknown += 1
                    continue
                if fd.full_name == "google.protobuf.Any.type_url":
                    type_url = payload.decode()
                nodes.append(self._label(fd, payload, type_url))
            elif wire == 3:
                pos = self._skip_group(data, pos, number)
            else:
                raise AssertionError(f"wire type {wire} at the top of a ground-truth message")
        return tuple(nodes)

    def _skip_group(self, data: bytes, pos: int, number: int) -> int:
        """The position after the end of the group ``number`` whose fields start at
        ``pos`` (groups, nested or not, are not counted: ``score`` reads LEN fields)."""
        while True:
            tag, pos = read_varint(data, pos)
            wire = tag & 7
            if wire == 4:
                assert tag >> 3 == number, (tag >> 3, number)
                return pos
            if wire == 0:
                _, pos = read_varint(data, pos)
            elif wire in (1, 5):
                pos += 8 if wire == 1 else 4
            elif wire == 2:
                size, pos = read_varint(data, pos)
                pos += size
            elif wire == 3:
                pos = self._skip_group(data, pos, tag >> 3)
            else:
                raise AssertionError(f"wire type {wire} in a group")

    def _field(self, desc: Descriptor, number: int) -> FieldDescriptor | None:
        fd = desc.fields_by_number.get(number)
        if fd is None and desc.extension_ranges:
            try:
                fd = self.pool.FindExtensionByNumber(desc, number)
            except KeyError:
                return None
        return fd

    def _label(self, fd: FieldDescriptor, payload: bytes, type_url: str) -> Node:
        number = fd.number
        if fd.type in (fd.TYPE_MESSAGE, fd.TYPE_GROUP):
            return number, "message", self.expected(payload, fd.message_type)
        if fd.type == fd.TYPE_STRING:
            return number, "string", ()
        if fd.type == fd.TYPE_BYTES:
            held = BYTES_HOLDING_MESSAGE.get(fd.full_name)
            if fd.full_name == "google.protobuf.Any.value":
                held = type_url.removeprefix(TYPE_URL_PREFIX)
            if held:
                return number, "message", self.expected(
                    payload, self.pool.FindMessageTypeByName(held))
            return number, "string" if is_clean_text(payload) else "bytes", ()
        return number, "packed", ()


# -- scoring -------------------------------------------------------------------------


@dataclass
class Tally:
    """Counts per column of issue 18's table."""

    right: Counter[str] = field(default_factory=Counter)
    """Per expected kind: fields read as that kind."""
    total: Counter[str] = field(default_factory=Counter)
    """Per expected kind: fields."""
    binary_right: int = 0
    """Fields whose message-vs-not reading is right."""
    wrong: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(field path, expected, got) of the 4-way misses."""

    @property
    def fields(self) -> int:
        return sum(self.total.values())

    def four_way(self) -> float:
        return sum(self.right.values()) / self.fields if self.fields else 1.0

    def message_vs_not(self) -> float:
        return self.binary_right / self.fields if self.fields else 1.0

    def recall(self, kind: str) -> float | None:
        return self.right[kind] / self.total[kind] if self.total[kind] else None

    def add(self, other: Tally) -> None:
        self.right.update(other.right)
        self.total.update(other.total)
        self.binary_right += other.binary_right
        self.wrong.update(other.wrong)


def score(expected: tuple[Node, ...], got: tuple[Node, ...] | None, tally: Tally,
          path: str = "") -> None:
    """Add the fields of ``expected`` to ``tally``, compared with ``got`` (None: the
    parent was not read as a message, so none of them was read)."""
    aligned = got is not None and [n[0] for n in got] == [n[0] for n in expected]
    for index, (number, kind, children) in enumerate(expected):
        tally.total[kind] += 1
        here = f"{path}.{number}" if path else str(number)
        if not aligned:
            tally.wrong[(here, kind, "(parent not a message)")] += 1
            score(children, None, tally, here)
            continue
        assert got is not None
        _, got_kind, got_children = got[index]
        if got_kind == kind:
            tally.right[kind] += 1
        else:
            tally.wrong[(here, kind, got_kind)] += 1
        if (got_kind == "message") == (kind == "message"):
            tally.binary_right += 1
        if children:
            score(children, got_children if got_kind == "message" else None, tally, here)


def count(nodes: tuple[Node, ...]) -> int:
    return sum(1 + count(children) for _, _, children in nodes)
