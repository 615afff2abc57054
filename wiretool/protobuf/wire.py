"""The protobuf wire decoder: bytes in, a tree of ``Field`` out. Sans-IO, no schema needed.

The walk, the inference and the decisions are the native core's (``core/``, Rust,
reached through ``native.py``), in two passes over the messages of an input
(protobuf encoding spec, https://protobuf.dev/programming-guides/encoding/):

1. *gather*: walk every message depth first; at the top level a fault (truncated
   field, invalid wire type, field number 0, a length past the end, a stray
   end-group) stops the message with a ``Diagnostic`` and the rest is kept as
   ``Unparsed``; inside a length-delimited payload a fault just means "this
   payload is not a message". Every length-delimited payload is scored as
   message, string, packed and bytes, bottom up (a message's score includes its
   children's), and the occurrences of each field path are tallied and decided
   together. The rules are ``core/src/rules.rs``'s (its module documentation
   states them; the README's "How the kind of a length-delimited field is chosen"
   summarises them).
2. *build*: walk each message again, one top-level field at a time, giving each
   field the reading its path decided (a ``DescriptorHints`` from a schema
   overrides the guess where the payload fits), as frozen ``Field`` tuples - or, for
   ``decode --format json``, as JSON text written by the core itself
   (``native.NativeFields``). Expansion stops at ``max_depth``; the field is then
   marked ``expanded=False`` and a diagnostic says where.

Nesting never costs recursion, in Rust or Python. Framing (gRPC length prefixes,
varint-delimited streams) is ``framing.py``'s job; rendering is ``wiretool.render``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from wiretool.collector import collector_paused
from wiretool.errors import Diagnostic, Severity
from wiretool.protobuf import native
from wiretool.protobuf.model import DecodeResult, Field, Message, Region, Unparsed
from wiretool.protobuf.native import NativeFault, NativeReader

if TYPE_CHECKING:
    from wiretool.protobuf.annotate import DescriptorHints

DEFAULT_MAX_DEPTH = 100
"""Default nesting depth expanded (the protobuf runtimes' default recursion limit)."""
MAX_FIELD_NUMBER = (1 << 29) - 1


def read_varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """Read a varint at ``pos``; return ``(value, next_offset)``.

    Values wider than 64 bits are truncated to 64 bits as the protobuf runtimes do.
    Raises ``ValueError`` when the varint is truncated or longer than 10 bytes.
    """
    return native.read_varint(buf, pos, end)


# -- public API ----------------------------------------------------------------------


@dataclass
class DecodeStream:
    """A decode whose fields are built as they are read (see ``decode_stream``).

    Iterate ``parts()`` once: each message comes with an iterable of its
    top-level fields (``native.NativeFields``, which can also write their JSON).
    ``diagnostics`` is complete when the iteration is over.
    """

    size: int
    start: int
    trailing: Unparsed | None
    diagnostics: list[Diagnostic]
    _reader: NativeReader
    _headers: list[Message]

    @property
    def message_count(self) -> int:
        return len(self._headers)

    def parts(self) -> Iterator[tuple[Message, Iterable[Field]]]:
        """``(message without fields, its top-level fields)`` for each message; once."""
        for index, header in enumerate(self._headers):
            yield header, self._reader.region(index, self._collect)

    def _collect(self) -> None:
        """Move the diagnostics found while building fields into ``diagnostics``."""
        self.diagnostics.extend(self._reader.diagnostics)
        self._reader.diagnostics.clear()
        self.diagnostics.sort(key=lambda d: d.offset)

    def result(self) -> DecodeResult:
        """Build every field and return the whole model."""
        with collector_paused():
            messages = [replace(header, fields=tuple(fields)) for header, fields in self.parts()]
        self._collect()
        return DecodeResult(tuple(messages), tuple(self.diagnostics), self.size, self.start,
                            self.trailing)


def decode_stream(
    data: bytes,
    *,
    start: int = 0,
    framing: str = "auto",
    max_depth: int = DEFAULT_MAX_DEPTH,
    hints: DescriptorHints | None = None,
    max_message_size: int | None = None,
) -> DecodeStream:
    """Like ``decode``, but the fields are built while they are consumed (bounded memory)."""
    from wiretool.protobuf import framing as framing_module

    frames, diagnostics, trailing = framing_module.split(
        data, start=start, framing=framing, max_message_size=max_message_size
    )
    reader = _gathered(frames, hints, max_depth)
    if framing == "auto" and frames[0].framing is None and reader.faults[0] is not None:
        # Not one message. A varint-delimited stream that parses cleanly is the
        # likelier reading (writeDelimitedTo output); use it and say so.
        delimited, found, rest = framing_module.split(data, start=start, framing="delimited")
        if not found and rest is None and delimited:
            alternative = _gathered(delimited, hints, max_depth)
            if not any(alternative.faults) and not any(
                d.severity is Severity.ERROR for d in alternative.diagnostics
            ):
                frames, reader, trailing = delimited, alternative, None
                diagnostics = [Diagnostic(
                    start, Severity.INFO,
                    f"the input is not one message but parses as a varint-delimited stream "
                    f"of {len(frames)}; read that way (--no-grpc to force one message)")]
    headers = []
    for frame, fault in zip(frames, reader.faults, strict=True):
        unparsed = frame.skipped or _tail(frame.buffer, frame.end, fault)
        headers.append(Message(
            frame.start, frame.end - frame.start, (), unparsed,
            framing=frame.framing, prefix_offset=frame.prefix_offset,
            prefix_length=frame.prefix_length, compressed=frame.compressed,
            wire_length=frame.wire_length,
            data=frame.buffer if frame.buffer is not data else None,
        ))
    found = [*diagnostics, *reader.diagnostics]
    reader.diagnostics.clear()
    stream = DecodeStream(len(data), start, trailing, found, reader, headers)
    stream.diagnostics.sort(key=lambda d: d.offset)
    return stream


def _tail(buffer: bytes, end: int, fault: NativeFault | None) -> Unparsed | None:
    """The bytes a fault left unread, from the tag of the field it hit to ``end``."""
    if fault is None or fault.resume >= end:
        return None
    return Unparsed(fault.resume, buffer[fault.resume : end])


def _gathered(frames: list[Any], hints: DescriptorHints | None, max_depth: int) -> NativeReader:
    # A frame whose payload cannot be read (``skipped``) is an empty region: no fields.
    reader = NativeReader(
        [Region(f.buffer, f.end if f.skipped else f.start, f.end) for f in frames],
        hints, max_depth)
    reader.gather()
    return reader


def decode(
    data: bytes,
    *,
    start: int = 0,
    framing: str = "auto",
    max_depth: int = DEFAULT_MAX_DEPTH,
    hints: DescriptorHints | None = None,
    max_message_size: int | None = None,
) -> DecodeResult:
    """Decode a protobuf message, or a gRPC / varint-delimited stream of them.

    ``framing`` is ``none`` (one message), ``grpc``, ``delimited``, or ``auto``
    (gRPC when the input starts with a plausible gRPC prefix - a message can never
    start with 0x00 or 0x01, which would be field number 0 - else one message, or a
    delimited stream when the input is not one message but parses cleanly as that).
    ``hints``: what a schema says of the root message type and the types below it.
    """
    return decode_stream(data, start=start, framing=framing, max_depth=max_depth,
                         hints=hints, max_message_size=max_message_size).result()


def decode_regions(
    regions: list[Region],
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    hints: DescriptorHints | None = None,
) -> tuple[list[tuple[tuple[Field, ...], Unparsed | None]], list[Diagnostic]]:
    """Decode each region as one top-level message, classifying all of them together."""
    reader = NativeReader(regions, hints, max_depth)
    reader.gather()
    results: list[tuple[tuple[Field, ...], Unparsed | None]] = []
    with collector_paused():
        for index, (region, fault) in enumerate(zip(regions, reader.faults, strict=True)):
            unparsed = _tail(region.buffer, region.end, fault)
            results.append((tuple(reader.fields(index)), unparsed))
    return results, sorted(reader.diagnostics, key=lambda d: d.offset)


def decode_message(
    data: bytes,
    start: int = 0,
    end: int | None = None,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    hints: DescriptorHints | None = None,
) -> tuple[Message, list[Diagnostic]]:
    """Decode ``data[start:end]`` as one message (no framing)."""
    stop = len(data) if end is None else end
    [(fields, unparsed)], diagnostics = decode_regions(
        [Region(data, start, stop)], max_depth=max_depth, hints=hints
    )
    return Message(start, stop - start, fields, unparsed), diagnostics
