"""Messages read by the protobuf runtime itself, for the views that print them as it would.

``decode --format proto-json`` and ``--format textproto`` show a message the way the
protobuf runtime (and ``buf convert``, ``protoc --decode``) prints it. This module
splits the input into messages exactly as every other ``decode`` view does
(``framing.split``: one message, gRPC length-prefixed messages, a varint-delimited
stream), parses each one with the runtime (a class from ``message_factory`` for the
schema's descriptor), and returns the parsed messages in a :class:`RuntimeDecode`
with diagnostics that carry byte offsets. Printing the text is left to
``wiretool.render.protobuf_runtime``.

The runtime says only *whether* a message parses; it says neither where it failed nor
where the fields it does not know (kept as unknown fields) are. Both are found by a
schema-directed walk of the bytes (:func:`_walk`), run only when they are needed (a
message that fails, unknown fields somewhere, an ``Any`` in the type): it mirrors the
runtime's rules (protobuf encoding spec, "Message Structure"; upb's decoder) only so far
as to name the offset, and never decides what is printed.

With ``framing="auto"`` an input that is not one valid message but is a varint-delimited
stream of valid ones is read as that stream, with an ``info`` diagnostic — the same rule
the schemaless walk applies, judged here by the runtime and the schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from google.protobuf import message_factory
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import DecodeError

from wiretool.errors import Diagnostic, Severity
from wiretool.protobuf import framing as framing_module
from wiretool.protobuf.model import Unparsed, WireType
from wiretool.protobuf.wire import read_varint

if TYPE_CHECKING:
    from google.protobuf.descriptor import Descriptor
    from google.protobuf.descriptor_pool import DescriptorPool
    from google.protobuf.message import Message as ProtoMessage

RECURSION_LIMIT = 100
"""Nesting the protobuf runtimes read (upb's and C++'s default recursion limit):
a message nested deeper does not parse."""

ANY = "google.protobuf.Any"


@dataclass(frozen=True, slots=True)
class UnknownField:
    """A field the schema does not know (or knows with another wire type): the runtime
    keeps it among the message's unknown fields, which proto3 JSON leaves out."""

    offset: int
    """Offset of its tag in the message's buffer (the input, or the decompressed payload)."""
    number: int
    wire_type: WireType
    path: str
    """Where it is: ``phones[1].7``; ``details[0].(pkg.Type).7`` inside an ``Any``."""
    reason: str = ""
    """Why the schema's field did not take it, when the number is declared."""


@dataclass(frozen=True, slots=True)
class RuntimeMessage:
    """One message of the input as the runtime read it."""

    index: int
    """Position in the input, from 0."""
    offset: int
    """Offset of its first byte in ``buffer``."""
    length: int
    framing: str | None
    """``grpc`` or ``delimited`` in a stream, else None."""
    prefix_offset: int | None
    """Offset of the framing prefix in the input."""
    compressed: bool
    """A compressed gRPC message: ``offset`` and the unknown fields' offsets then point
    into the decompressed payload, not into the input."""
    message: ProtoMessage | None
    """The parsed message; None when the bytes are not a valid message of the type."""
    unknown: tuple[UnknownField, ...] = ()
    """Fields kept as unknown, in wire order (found only when asked for)."""


@dataclass(frozen=True, slots=True)
class RuntimeDecode:
    """Every message of one input, parsed by the protobuf runtime."""

    type_name: str
    messages: tuple[RuntimeMessage, ...]
    diagnostics: tuple[Diagnostic, ...]
    size: int
    """Bytes of the decoded input."""
    stream: bool
    """True when the input was read as gRPC messages or a delimited stream."""
    trailing: Unparsed | None = None
    """Bytes outside every message (after a broken framing prefix)."""


def decode_with_runtime(
    data: bytes,
    descriptor: Descriptor,
    *,
    start: int = 0,
    framing: str = "auto",
    max_message_size: int | None = None,
    find_unknown: bool = True,
) -> RuntimeDecode:
    """Parse every message of ``data[start:]`` as ``descriptor`` with the protobuf runtime.

    ``framing`` is ``auto``, ``none``, ``grpc`` or ``delimited`` (as for ``wire.decode``).
    A message that does not parse is kept with ``message=None`` and an error diagnostic
    naming the offset of the first fault; the others are still parsed. With
    ``find_unknown``, each message lists where its unknown fields are.
    """
    message_class = message_factory.GetMessageClass(descriptor)
    frames, diagnostics, trailing = framing_module.split(
        data, start=start, framing=framing, max_message_size=max_message_size)
    parsed = [_parse(message_class, frame) for frame in frames]
    if framing == "auto" and frames[0].framing is None and parsed[0] is None:
        delimited, problems, rest = framing_module.split(data, start=start, framing="delimited")
        if not problems and rest is None and len(delimited) > 1:
            tried = [_parse(message_class, frame) for frame in delimited]
            if all(message is not None for message in tried):
                frames, parsed, trailing = delimited, tried, None
                diagnostics = [Diagnostic(
                    start, Severity.INFO,
                    f"the input is not one {descriptor.full_name} but a varint-delimited "
                    f"stream of {len(frames)}; read that way (--no-grpc to force one message)")]
    found = list(diagnostics)
    messages = []
    for index, (frame, message) in enumerate(zip(frames, parsed, strict=True)):
        unknown: tuple[UnknownField, ...] = ()
        if frame.skipped is not None:
            pass  # a compressed payload that does not inflate: framing reported it
        elif message is None:
            found.append(_failure(index, frame, descriptor))
        elif find_unknown and (_has_unknown(message) or _reaches_any(descriptor)):
            walker = _Walker(frame.buffer, descriptor.file.pool)
            walker.walk(frame.start, frame.end, descriptor, "", 0, None)
            unknown = tuple(walker.unknown)
        messages.append(RuntimeMessage(
            index, frame.start, frame.end - frame.start, frame.framing, frame.prefix_offset,
            frame.compressed, message if frame.skipped is None else None, unknown))
    stream = bool(frames) and frames[0].framing is not None
    found.sort(key=lambda d: d.offset)
    return RuntimeDecode(descriptor.full_name, tuple(messages), tuple(found), len(data),
                         stream, trailing)


def _parse(message_class: type[ProtoMessage], frame: framing_module.MessageBytes
           ) -> ProtoMessage | None:
    if frame.skipped is not None:
        return None
    message = message_class()
    try:
        message.ParseFromString(frame.buffer[frame.start : frame.end])
    except DecodeError:
        return None
    return message


def _has_unknown(message: ProtoMessage) -> bool:
    """Whether the runtime kept unknown fields anywhere in ``message`` (outside ``Any``
    values): discarding them changes its serialized size exactly when there are some."""
    stripped = type(message)()
    stripped.CopyFrom(message)
    stripped.DiscardUnknownFields()
    return stripped.ByteSize() != message.ByteSize()


def _reaches_any(descriptor: Descriptor) -> bool:
    """Whether a message of this type can hold a ``google.protobuf.Any`` (whose value the
    runtime parses only when it prints it, so ``_has_unknown`` cannot see inside)."""
    seen: set[str] = set()
    pending = [descriptor]
    while pending:
        current = pending.pop()
        if current.full_name == ANY:
            return True
        if current.full_name in seen:
            continue
        seen.add(current.full_name)
        pending.extend(f.message_type for f in current.fields if f.message_type is not None)
    return False


def _failure(index: int, frame: framing_module.MessageBytes, descriptor: Descriptor) -> Diagnostic:
    """The error for a message the runtime rejected, at the first fault the walk finds."""
    walker = _Walker(frame.buffer, descriptor.file.pool)
    walked = walker.walk(frame.start, frame.end, descriptor, "", 0, None)
    fault = walked if isinstance(walked, tuple) else None
    where = _where(index, frame)
    name = descriptor.full_name
    size = frame.end - frame.start
    if fault is None:
        offset, cause = frame.start, "the protobuf runtime rejects it"
    else:
        offset, cause = fault
    inner = f" (offset {offset} of the decompressed payload)" if frame.compressed else ""
    absolute = (frame.prefix_offset or 0) + 5 if frame.compressed else offset
    return Diagnostic(
        absolute, Severity.ERROR,
        f"{where} ({size} bytes) is not a valid {name}: {cause}{inner}; not shown",
        frame.end - offset if not frame.compressed else size)


def _where(index: int, frame: framing_module.MessageBytes) -> str:
    if frame.framing is None:
        return f"the message at offset {frame.start}"
    prefix = frame.prefix_offset if frame.prefix_offset is not None else frame.start
    kind = "gRPC message" if frame.framing == "grpc" else "delimited message"
    return f"{kind} {index + 1} (prefix at offset {prefix})"


# -- the schema-directed walk: where unknown fields and faults are ----------------------

_FD = FieldDescriptor
_DECLARED_WIRE_TYPE: dict[int, WireType] = {
    **dict.fromkeys((_FD.TYPE_INT32, _FD.TYPE_INT64, _FD.TYPE_UINT32, _FD.TYPE_UINT64,
                     _FD.TYPE_SINT32, _FD.TYPE_SINT64, _FD.TYPE_BOOL, _FD.TYPE_ENUM),
                    WireType.VARINT),
    **dict.fromkeys((_FD.TYPE_FIXED64, _FD.TYPE_SFIXED64, _FD.TYPE_DOUBLE), WireType.I64),
    **dict.fromkeys((_FD.TYPE_FIXED32, _FD.TYPE_SFIXED32, _FD.TYPE_FLOAT), WireType.I32),
    **dict.fromkeys((_FD.TYPE_STRING, _FD.TYPE_BYTES, _FD.TYPE_MESSAGE), WireType.LEN),
    _FD.TYPE_GROUP: WireType.SGROUP,
}
"""The wire type each field type is encoded with (protobuf encoding spec, "Message
Structure"); a repeated scalar of the first three may also come packed (LEN)."""


def _checks_utf8(field: FieldDescriptor) -> bool:
    if field.type != _FD.TYPE_STRING:
        return False
    features = field._GetFeatures()  # type: ignore[attr-defined]  # utf8_validation lives there
    return bool(features.utf8_validation == features.VERIFY)


class _Walker:
    """Walks one message's bytes with its descriptor: records unknown fields, returns the
    first fault as ``(offset, cause)``. Recursion is bounded by ``RECURSION_LIMIT``."""

    def __init__(self, buffer: bytes, pool: DescriptorPool) -> None:
        self.buffer = buffer
        self.pool = pool
        self.unknown: list[UnknownField] = []

    def walk(self, pos: int, end: int, descriptor: Descriptor, path: str, depth: int,
             group: int | None) -> int | tuple[int, str]:
        """Walk ``buffer[pos:end]``; ``group`` is the number of the open group, whose
        end-group tag must close it. Returns the first fault, else the offset after the
        message (after the end-group tag for a group)."""
        buf = self.buffer
        counts: dict[int, int] = {}
        any_url: str | None = None
        any_value: tuple[int, int] | None = None
        while pos < end:
            tag_at = pos
            try:
                tag, pos = read_varint(buf, pos, end)
            except ValueError as exc:
                return tag_at, f"tag: {exc}"
            number, wire_type = tag >> 3, tag & 7
            if wire_type == WireType.EGROUP:
                if group is None or number != group:
                    return tag_at, (f"end-group tag for field {number} at offset {tag_at} "
                                    "closes no open group")
                if any_url is not None and any_value is not None:
                    self._walk_any(any_url, any_value, path, depth)
                return pos
            if number == 0 or wire_type > WireType.I32:
                return tag_at, (f"tag at offset {tag_at} has "
                                + ("field number 0" if number == 0 else
                                   f"wire type {wire_type}, which does not exist"))
            wt = WireType(wire_type)
            field = descriptor.fields_by_number.get(number) or self._extension(descriptor,
                                                                               number)
            label = field.name if field is not None else str(number)
            index = counts.get(number, 0)
            counts[number] = index + 1
            here = f"{path}.{label}" if path else label
            if field is not None and field.is_repeated:
                here += f"[{index}]"
            value_at = pos
            try:
                if wt == WireType.VARINT:
                    value, pos = read_varint(buf, pos, end)
                elif wt == WireType.I64 or wt == WireType.I32:
                    size = 8 if wt == WireType.I64 else 4
                    if pos + size > end:
                        return tag_at, (f"field {number} at offset {tag_at}: {size}-byte value "
                                        f"runs past the end ({end - pos} bytes remain)")
                    pos += size
                elif wt == WireType.LEN:
                    size, pos = read_varint(buf, pos, end)
                    if pos + size > end:
                        return tag_at, (f"field {number} at offset {tag_at} declares {size} "
                                        f"bytes, {end - pos} remain")
                    value_at, pos = pos, pos + size
            except ValueError as exc:
                return value_at, f"field {number}: {exc}"
            declared = None if field is None else _DECLARED_WIRE_TYPE[field.type]
            packable = (field is not None and field.is_repeated
                        and declared in (WireType.VARINT, WireType.I32, WireType.I64))
            if field is None or not (wt == declared or (packable and wt == WireType.LEN)):
                reason = "" if field is None else (
                    f"declared {field.name} with wire type {declared.name if declared else '?'}")
                self.unknown.append(UnknownField(tag_at, number, wt, here, reason))
                if wt == WireType.SGROUP:
                    fault = self._skip_group(pos, end, number, depth + 1)
                    if isinstance(fault, tuple):
                        return fault
                    pos = fault
                continue
            child = field.message_type
            if child is not None:
                if depth + 1 > RECURSION_LIMIT:
                    return tag_at, (f"nesting deeper than {RECURSION_LIMIT} levels (the "
                                    f"runtime's limit) at offset {tag_at}")
                if wt == WireType.SGROUP:
                    after = self.walk(pos, end, child, here, depth + 1, number)
                else:
                    after = self.walk(value_at, pos, child, here, depth + 1, None)
                if isinstance(after, tuple):
                    return after
                if wt == WireType.SGROUP:
                    pos = after
            elif wt == WireType.VARINT and field.enum_type is not None:
                if (field.enum_type.is_closed
                        and field.enum_type.values_by_number.get(_as_int32(value)) is None):
                    self.unknown.append(UnknownField(
                        tag_at, number, wt, here, f"{_as_int32(value)} is not a value of the "
                        f"closed enum {field.enum_type.full_name}"))
            elif wt == WireType.LEN and _checks_utf8(field):
                try:
                    buf[value_at:pos].decode("utf-8")
                except UnicodeDecodeError as exc:
                    return value_at + exc.start, (f"field {number} ({field.name}) is a string "
                                                  f"but not UTF-8 at offset {value_at + exc.start}")
            if descriptor.full_name == ANY and wt == WireType.LEN:
                if number == 1:
                    any_url = buf[value_at:pos].decode("utf-8", errors="replace")
                elif number == 2:
                    any_value = (value_at, pos)
        if group is not None:
            return end, f"group {group} is not closed before offset {end}"
        if any_url is not None and any_value is not None:
            self._walk_any(any_url, any_value, path, depth)
        return pos

    def _walk_any(self, url: str, value: tuple[int, int], path: str, depth: int) -> None:
        """Unknown fields inside an ``Any`` whose type the schema has (a fault in there is
        not the message's: the runtime parses the value only when it prints it)."""
        try:
            inner = self.pool.FindMessageTypeByName(url.rsplit("/", 1)[-1])
        except KeyError:
            return
        here = f"{path}.({inner.full_name})" if path else f"({inner.full_name})"
        if depth + 1 <= RECURSION_LIMIT:
            self.walk(value[0], value[1], inner, here, depth + 1, None)

    def _skip_group(self, pos: int, end: int, number: int, depth: int) -> int | tuple[int, str]:
        """Skip the fields of an unknown group up to its end-group tag (no schema inside)."""
        buf = self.buffer
        open_groups = [number]
        while pos < end:
            tag_at = pos
            try:
                tag, pos = read_varint(buf, pos, end)
                inner, wire_type = tag >> 3, tag & 7
                if inner == 0 or wire_type > WireType.I32:
                    return tag_at, f"tag at offset {tag_at} is not valid inside group {number}"
                if wire_type == WireType.EGROUP:
                    if inner != open_groups[-1]:
                        return tag_at, (f"end-group tag for field {inner} at offset {tag_at} "
                                        f"does not close group {open_groups[-1]}")
                    open_groups.pop()
                    if not open_groups:
                        return pos
                elif wire_type == WireType.SGROUP:
                    open_groups.append(inner)
                    if depth + len(open_groups) > RECURSION_LIMIT:
                        return tag_at, (f"nesting deeper than {RECURSION_LIMIT} levels at "
                                        f"offset {tag_at}")
                elif wire_type == WireType.VARINT:
                    _, pos = read_varint(buf, pos, end)
                elif wire_type == WireType.LEN:
                    size, pos = read_varint(buf, pos, end)
                    pos += size
                else:
                    pos += 8 if wire_type == WireType.I64 else 4
            except ValueError as exc:
                return tag_at, f"inside group {number}: {exc}"
            if pos > end:
                return tag_at, f"field {inner} at offset {tag_at} runs past the end"
        return end, f"group {number} is not closed before offset {end}"

    def _extension(self, descriptor: Descriptor, number: int) -> FieldDescriptor | None:
        if not descriptor.extension_ranges:
            return None
        try:
            return self.pool.FindExtensionByNumber(descriptor, number)
        except KeyError:
            return None


def _as_int32(value: int) -> int:
    """An enum varint as the runtimes read it: the low 32 bits, signed."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >> 31 else value


def iter_parsed(result: RuntimeDecode) -> Iterator[tuple[RuntimeMessage, ProtoMessage]]:
    """The messages that parsed, with their runtime objects."""
    for item in result.messages:
        if item.message is not None:
            yield item, item.message
