"""The protobuf model: what the decoder builds and every renderer reads.

Frozen dataclasses with absolute byte offsets into the decoded buffer. The
decoder (``wire.py``) builds them; renderers (``wiretool.render``) only read
them. Alternative readings of a value (signed, zigzag, float) are derived here
so that every view shows the same numbers.

Encoding reference: https://protobuf.dev/programming-guides/encoding/
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import NamedTuple, Protocol

from wiretool.errors import Diagnostic, Severity


class WireType(IntEnum):
    """The 3-bit wire type in a tag (protobuf encoding spec, "Message Structure")."""

    VARINT = 0
    I64 = 1
    LEN = 2
    SGROUP = 3
    EGROUP = 4
    I32 = 5


class Kind(StrEnum):
    """What a field's payload was read as."""

    VARINT = "varint"
    FIXED32 = "fixed32"
    FIXED64 = "fixed64"
    STRING = "string"
    BYTES = "bytes"
    MESSAGE = "message"
    PACKED = "packed"
    GROUP = "group"


class PackedType(StrEnum):
    """The element encoding of a packed repeated field."""

    VARINT = "varint"
    FIXED32 = "fixed32"
    FIXED64 = "fixed64"


@dataclass(frozen=True, slots=True)
class SchemaInfo:
    """What a schema says about a field (absent in schemaless decodes)."""

    name: str
    """The field's name in the .proto."""
    type: str
    """Declared type: ``int32``, ``sint64``, ``string``, ``.pkg.Msg``, ``map<string, int32>`` ..."""
    json_name: str
    """The field's name in the proto3 JSON mapping."""
    display: str | int | float | bool | None = None
    """The value as the schema reads it (enum name, zigzag-decoded int, float), when scalar."""
    oneof: str | None = None
    """Name of the oneof this field belongs to, if any."""


class Field(NamedTuple):
    """One field occurrence on the wire: a tag and its payload.

    Immutable like every model class, but a ``NamedTuple`` rather than a frozen
    dataclass: a big message has millions of fields, and a frozen dataclass's
    ``__init__`` (one ``object.__setattr__`` per attribute) cost 1.6 µs per field
    against 0.14 µs here - a second per 4 MB of input. Use ``field._replace(...)``
    to derive a changed copy.
    """

    offset: int
    """Absolute offset of the first byte of the tag."""
    number: int
    """Field number from the tag."""
    wire_type: WireType
    """Wire type from the tag."""
    length: int
    """Bytes of the whole field: tag + length prefix + payload (+ end-group tag for groups)."""
    tag_length: int
    """Bytes of the tag alone (the length prefix is ``value_offset - offset - tag_length``)."""
    kind: Kind
    """The reading chosen for the payload."""
    value_offset: int
    """Absolute offset of the payload (after the tag and any length prefix)."""
    value_length: int
    """Bytes of the payload alone (for groups: the fields between the group tags)."""
    value: int | str | bytes | None = None
    """varint/fixed: the unsigned integer; string: the text; bytes: the bytes;
    message/group/packed: None (see ``fields``/``values``)."""
    fields: tuple[Field, ...] = ()
    """Sub-fields of a message or group."""
    values: tuple[int, ...] = ()
    """Elements of a packed field, as unsigned integers of ``packed_type``."""
    packed_type: PackedType | None = None
    """Element encoding when ``kind`` is packed."""
    alternatives: tuple[Kind, ...] = ()
    """Other readings of a length-delimited payload that also parse, best first."""
    overlong: bool = False
    """A varint (tag, length or value) used more bytes than its value needs."""
    expanded: bool = True
    """False when a message/group was not expanded because ``max_depth`` was reached."""
    schema: SchemaInfo | None = None
    """Schema information, when a schema was given and knows this field."""
    any_value: bool = False
    """The value (field 2) of a ``google.protobuf.Any`` (a message of exactly a type URL
    and a field 2, or one the schema declares): a bytes field holding a serialized
    message, whatever ``kind`` it is read as."""

    @property
    def end(self) -> int:
        """Absolute offset just past the field."""
        return self.offset + self.length

    @property
    def header_length(self) -> int:
        """Bytes of the tag and the length prefix."""
        return self.value_offset - self.offset

    @property
    def prefix_length(self) -> int:
        """Bytes of the length prefix (0 unless the wire type is LEN)."""
        return self.value_offset - self.offset - self.tag_length

    # -- alternative readings of scalars ---------------------------------------------

    @property
    def signed(self) -> int | None:
        """varint/fixed: two's-complement reading (64-bit for varint/fixed64)."""
        if not isinstance(self.value, int):
            return None
        bits = 32 if self.kind is Kind.FIXED32 else 64
        return to_signed(self.value, bits)

    @property
    def zigzag(self) -> int | None:
        """varint: the sint32/sint64 (zigzag) reading."""
        if self.kind is not Kind.VARINT or not isinstance(self.value, int):
            return None
        return zigzag_decode(self.value)

    @property
    def boolean(self) -> bool | None:
        """varint: the bool reading, when the value is 0 or 1."""
        if self.kind is Kind.VARINT and self.value in (0, 1):
            return bool(self.value)
        return None

    @property
    def floating(self) -> float | None:
        """fixed32: float; fixed64: double."""
        if not isinstance(self.value, int):
            return None
        if self.kind is Kind.FIXED32:
            return fixed_to_float(self.value, 32)
        if self.kind is Kind.FIXED64:
            return fixed_to_float(self.value, 64)
        return None


@dataclass(frozen=True, slots=True)
class Unparsed:
    """Bytes the decoder could not read, kept so that nothing is silently dropped."""

    offset: int
    """Absolute offset of the first unread byte."""
    data: bytes
    """The bytes themselves."""

    @property
    def length(self) -> int:
        return len(self.data)


@dataclass(frozen=True, slots=True)
class Message:
    """One top-level protobuf message (one per frame in gRPC or delimited streams)."""

    offset: int
    """Absolute offset of the first byte of the message (after any framing prefix)."""
    length: int
    """Bytes of the message payload as decoded (after decompression, if any)."""
    fields: tuple[Field, ...]
    """Top-level fields in wire order."""
    unparsed: Unparsed | None = None
    """The tail after a fatal error, shown raw."""
    framing: str | None = None
    """``grpc`` or ``delimited`` when the message came from a stream, else None."""
    prefix_offset: int | None = None
    """Offset of the framing prefix (gRPC 5-byte header or varint length)."""
    prefix_length: int = 0
    """Bytes of the framing prefix."""
    compressed: bool = False
    """gRPC compressed flag was set; ``offset``/field offsets then refer to ``data``."""
    wire_length: int | None = None
    """Bytes on the wire when compressed (the declared gRPC length)."""
    data: bytes | None = None
    """The decompressed payload, kept only when offsets cannot point into the input."""
    type_name: str | None = None
    """Full name of the message type, when decoded with a schema."""


@dataclass(frozen=True, slots=True)
class DecodeResult:
    """Everything ``decode`` found in one input."""

    messages: tuple[Message, ...]
    diagnostics: tuple[Diagnostic, ...]
    size: int
    """Bytes of the decoded input (after hex/base64 decoding)."""
    start: int = 0
    """Offset where decoding started (``--offset``)."""
    trailing: Unparsed | None = None
    """Bytes outside every message (after a broken gRPC or delimited prefix)."""

    @property
    def ok(self) -> bool:
        """True when no diagnostic is an error."""
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def message_count(self) -> int:
        return len(self.messages)

    def parts(self) -> Iterator[tuple[Message, Iterable[Field]]]:
        """``(message, its top-level fields)`` - the interface renderers read (``DecodeView``)."""
        for message in self.messages:
            yield message, message.fields


class DecodeView(Protocol):
    """What renderers read: a ``DecodeResult``, or a ``wire.DecodeStream`` whose fields
    are built while they are rendered. ``diagnostics`` is complete once ``parts()`` has
    been consumed."""

    @property
    def size(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def trailing(self) -> Unparsed | None: ...
    @property
    def diagnostics(self) -> Sequence[Diagnostic]: ...
    @property
    def message_count(self) -> int: ...
    def parts(self) -> Iterator[tuple[Message, Iterable[Field]]]: ...


# -- number readings shared by the model and the schema layer ------------------------


def to_signed(value: int, bits: int) -> int:
    """Two's-complement reading of an unsigned ``bits``-wide integer."""
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def zigzag_decode(value: int) -> int:
    """sint32/sint64 reading (protobuf encoding spec, "Signed Integers")."""
    return (value >> 1) ^ -(value & 1)


def fixed_to_float(value: int, bits: int) -> float:
    """IEEE-754 reading of a little-endian fixed32/fixed64 value."""
    if bits == 32:
        return float(struct.unpack("<f", struct.pack("<I", value))[0])
    return float(struct.unpack("<d", struct.pack("<Q", value))[0])


@dataclass(frozen=True, slots=True)
class Region:
    """A byte range of a buffer to decode as one top-level message (set by framing)."""

    buffer: bytes
    start: int
    end: int
