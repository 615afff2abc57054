"""Sans-IO HTTP/2 frame reader: bytes of one direction in, frames and diagnostics out.

``FrameReader.feed(data)`` takes whatever bytes arrived (a file chunk, a TCP
segment) and returns the complete frames they finish; ``close()`` says what is
left at the end of the input. Nothing here reads files, prints, or knows about
HPACK: header block fragments are handed on as bytes with their offsets, and
``wiretool.http2.connection`` assembles and decodes them.

The 9-octet header is parsed here (RFC 9113 §4.1) rather than with hyperframe,
because hyperframe drops unknown flags, masks the reserved bit, collapses
duplicate settings and raises on frames a dissector must still show. Every
check of RFC 9113 §6 is a ``Diagnostic`` on the frame, with the offset of the
bytes at fault, and reading goes on with the next frame.

Memory is bounded by the largest frame: the reader buffers one frame at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

from wiretool.direction import Direction
from wiretool.errors import Diagnostic, Severity
from wiretool.http2 import constants as c
from wiretool.http2.constants import ErrorCode, FrameType

if TYPE_CHECKING:
    from wiretool.http2.hpack import HeaderBlock



@dataclass(frozen=True, slots=True)
class H2Diagnostic(Diagnostic):
    """A diagnostic that also names the RFC 9113 §7 error a receiver would raise."""

    error_code: int | None = None
    """``PROTOCOL_ERROR`` (1), ``FRAME_SIZE_ERROR`` (6)...; ``None`` for warnings and notes."""
    direction: Direction | None = None
    """The side, for a diagnostic not attached to a frame, when known."""


class InputEnd(StrEnum):
    """How the bytes of a direction ended, which decides what a frame cut off there is.

    Only an input that is all there (a dump, a connection both sides closed with FIN)
    makes a cut frame malformed; a capture that stopped, or a connection reset or
    otherwise ended without its FINs, simply holds no more of the frame.
    """

    COMPLETE = "the input ends"
    """The input is whole: a frame cut off is an error."""
    CAPTURE_STOPPED = "the capture stops"
    """The capture ended while the connection was open: a warning."""
    RESET = "the connection is reset"
    """RST: the sender aborted the connection; a warning."""
    LOST = "the connection's end is not in the capture"
    """Its addresses were reused, or it was evicted: a warning."""

    @property
    def malformed(self) -> bool:
        return self is InputEnd.COMPLETE


def _cut(offset: int, message: str, end: InputEnd, length: int = 0) -> H2Diagnostic:
    """What a frame (or header block) cut off by ``end`` is: an error, or a warning."""
    if end.malformed:
        return _error(offset, message, None, length)
    return _warning(offset, message, length)


def _error(offset: int, message: str, code: int | None, length: int = 0) -> H2Diagnostic:
    suffix = f" ({c.error_name(code)})" if code is not None else ""
    return H2Diagnostic(offset, Severity.ERROR, f"{message}{suffix}", length, code)


def _warning(offset: int, message: str, length: int = 0) -> H2Diagnostic:
    return H2Diagnostic(offset, Severity.WARNING, message, length, None)


@dataclass(frozen=True, slots=True)
class Setting:
    """One SETTINGS entry (RFC 9113 §6.5.1), kept in order, duplicates included."""

    offset: int
    """Absolute offset of the entry's 6 octets."""
    identifier: int
    """The 16-bit setting identifier."""
    value: int
    """The 32-bit value."""

    @property
    def name(self) -> str:
        return c.setting_name(self.identifier)


@dataclass(frozen=True, slots=True)
class Preface:
    """The client connection preface (RFC 9113 §3.4)."""

    offset: int
    """Offset in the direction's byte stream (0 unless the reader was resynchronised)."""
    length: int = len(c.PREFACE)
    """24 octets."""
    direction: Direction | None = None
    """``CLIENT`` once the connection layer has tagged it."""


class Data(NamedTuple):
    """DATA (RFC 9113 §6.1)."""

    pad_length: int | None = None
    """With PADDED: the Pad Length octet."""
    data: bytes | None = None
    """The data octets, padding excluded (``None``: the padding was malformed)."""
    padding: bytes | None = None
    """The padding octets (should be zero)."""

    @property
    def data_length(self) -> int | None:
        """Octets of data, padding excluded."""
        return None if self.data is None else len(self.data)


class Headers(NamedTuple):
    """HEADERS (RFC 9113 §6.2): a header block fragment, maybe padding and priority."""

    pad_length: int | None = None
    exclusive: bool | None = None
    """With PRIORITY: the E bit."""
    stream_dependency: int | None = None
    """With PRIORITY: the stream this one depends on."""
    weight: int | None = None
    """With PRIORITY: the weight, 1-256 (the octet sent + 1, RFC 7540 §5.3.2)."""
    fragment: bytes | None = None
    """The header block fragment (``None``: the frame is too short for it)."""
    fragment_offset: int | None = None
    """Absolute offset of ``fragment``."""
    padding: bytes | None = None


class Priority(NamedTuple):
    """PRIORITY (RFC 9113 §6.3, deprecated but still sent)."""

    exclusive: bool | None = None
    stream_dependency: int | None = None
    weight: int | None = None


class RstStream(NamedTuple):
    """RST_STREAM (RFC 9113 §6.4)."""

    error_code: int | None = None
    """RFC 9113 §7 error code (``ErrorCode``)."""


class Settings(NamedTuple):
    """SETTINGS (RFC 9113 §6.5)."""

    settings: tuple[Setting, ...] | None = None
    """The entries in order, duplicates included (``()`` for an ACK; ``None``: the
    payload is not a multiple of 6)."""


class PushPromise(NamedTuple):
    """PUSH_PROMISE (RFC 9113 §6.6)."""

    pad_length: int | None = None
    promised_stream_id: int | None = None
    fragment: bytes | None = None
    fragment_offset: int | None = None
    padding: bytes | None = None


class Ping(NamedTuple):
    """PING (RFC 9113 §6.7)."""

    opaque_data: bytes | None = None
    """The 8 opaque octets."""


class Goaway(NamedTuple):
    """GOAWAY (RFC 9113 §6.8)."""

    last_stream_id: int | None = None
    error_code: int | None = None
    debug_data: bytes | None = None
    """Additional debug data."""


class WindowUpdate(NamedTuple):
    """WINDOW_UPDATE (RFC 9113 §6.9)."""

    window_size_increment: int | None = None


class Continuation(NamedTuple):
    """CONTINUATION (RFC 9113 §6.10)."""

    fragment: bytes | None = None
    fragment_offset: int | None = None


class AltSvc(NamedTuple):
    """ALTSVC (RFC 7838 §4)."""

    origin: bytes | None = None
    field_value: bytes | None = None
    """The Alt-Svc field value."""


class Origin(NamedTuple):
    """ORIGIN (RFC 8336 §2)."""

    origins: tuple[bytes, ...] | None = None
    """The origin entries."""


class PriorityUpdate(NamedTuple):
    """PRIORITY_UPDATE (RFC 9218 §7.1)."""

    prioritized_stream_id: int | None = None
    field_value: bytes | None = None
    """The Priority field value."""


class Unknown(NamedTuple):
    """A frame type wiretool does not know (RFC 9113 §5.5: ignored): only its payload."""


FrameBody = (Data | Headers | Priority | RstStream | Settings | PushPromise | Ping | Goaway
             | WindowUpdate | Continuation | AltSvc | Origin | PriorityUpdate | Unknown)
"""The type-specific part of a frame: one small record per frame type. Its fields are
``None`` when the payload was too short or malformed to hold them, and all ``None``
for a truncated frame."""

BLOCK_FRAGMENTS = (Headers, PushPromise, Continuation)
"""The bodies that carry a header block fragment."""


class Frame(NamedTuple):
    """One HTTP/2 frame as it was on the wire: the 9-octet header, and a ``body`` record
    of its type (``Data``, ``Headers``, ``Settings``...) with the fields a dissector shows.

    Immutable like every model class, but a ``NamedTuple`` rather than a frozen
    dataclass, as ``protobuf.model.Field``: a frozen dataclass's ``__init__`` sets its
    attributes one ``object.__setattr__`` at a time, and a busy capture has millions of
    frames. Use ``frame._replace(...)`` to derive a changed copy.
    """

    offset: int
    """Absolute offset of the 9-octet frame header in this direction's byte stream."""
    length: int
    """The header's 24-bit length field (what the frame claims, even if truncated)."""
    type: int
    """Frame type octet."""
    flags: int
    """Flags octet, unknown bits included."""
    reserved: bool
    """The reserved bit before the stream identifier (RFC 9113 §4.1: must be 0)."""
    stream_id: int
    """31-bit stream identifier."""
    payload: bytes
    """The payload bytes present in the input (fewer than ``length`` when truncated)."""
    body: FrameBody
    """The type-specific fields (``FRAME_BODIES``)."""
    truncated: bool = False
    """True when the input ended before the payload did."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """Problems found in this frame (offsets are absolute)."""
    direction: Direction | None = None
    """The side that sent it; ``None`` when unknown (set by the connection layer)."""
    header_block: HeaderBlock | None = None
    """On the frame that ends a header block (END_HEADERS): the decoded block."""

    def with_header_block(self, block: HeaderBlock, extra: tuple[Diagnostic, ...]) -> Frame:
        """This frame with its decoded header block and ``extra`` diagnostics: what
        ``_replace`` gives, built directly (the connection calls it for every block)."""
        values = list(self)
        values[_DIAGNOSTICS] = self.diagnostics + extra if extra else self.diagnostics
        values[_HEADER_BLOCK] = block
        return Frame._make(values)

    @property
    def type_name(self) -> str:
        return c.type_name(self.type)

    @property
    def flag_names(self) -> list[str]:
        return c.flag_names(self.type, self.flags)

    @property
    def end(self) -> int:
        """Offset just after the frame."""
        return self.offset + c.FRAME_HEADER_LENGTH + len(self.payload)

    @property
    def data_length(self) -> int | None:
        """DATA: octets of data, padding excluded (else ``None``)."""
        body = self.body
        return body.data_length if type(body) is Data else None


_DIAGNOSTICS = Frame._fields.index("diagnostics")
_HEADER_BLOCK = Frame._fields.index("header_block")

Record = Frame | Preface | Diagnostic


def read_frame_header(data: bytes | bytearray, offset: int = 0) -> tuple[int, int, int, bool, int]:
    """``(length, type, flags, reserved, stream_id)`` of the 9 octets at ``offset``.

    RFC 9113 §4.1: Length (24), Type (8), Flags (8), R (1), Stream Identifier (31).
    """
    length = int.from_bytes(data[offset : offset + 3], "big")
    word = int.from_bytes(data[offset + 5 : offset + 9], "big")
    return length, data[offset + 3], data[offset + 4], bool(word >> 31), word & 0x7FFF_FFFF


class FrameReader:
    """Reads the frames of one direction of one connection, fed in arbitrary pieces."""

    def __init__(
        self,
        *,
        detect_preface: bool = True,
        max_frame_size: int = c.DEFAULT_MAX_FRAME_SIZE,
        base_offset: int = 0,
    ) -> None:
        self._buffer = bytearray()
        self._offset = base_offset
        """Absolute offset of ``_buffer[0]``."""
        self._detecting = detect_preface
        self.saw_preface = False
        """True once the client connection preface was read."""
        self.max_frame_size = max_frame_size
        """SETTINGS_MAX_FRAME_SIZE in effect for frames of this direction (set by the peer)."""
        self.max_frame_size_known = True
        """False when the receiver's SETTINGS are not in the input (one direction, or a
        capture that missed them): a larger frame is then a warning, not an error."""
        self._open_block: int | None = None
        """Stream of the header block awaiting CONTINUATION (RFC 9113 §6.10)."""
        self.resyncing = False
        """True after ``gap``: looking for the next plausible frame header."""
        self.skipped_bytes = 0
        """Bytes skipped while resynchronising since the last ``take_skipped``."""
        self.direction: Direction | None = None
        """``direction`` of the frames read (set by the connection layer once known), so
        each ``Frame`` is built once, already tagged."""

    @property
    def offset(self) -> int:
        """Absolute offset of the next byte the reader has not consumed."""
        return self._offset

    @property
    def buffered(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Record]:
        """Add bytes; return the records they complete, in order."""
        self._buffer += data
        out: list[Record] = []
        if self.resyncing:
            self.skipped_bytes += self.resynchronise(final=False)
            if self.resyncing:
                return out
        if self._detecting and not self._detect_preface(out, final=False):
            return out
        while len(self._buffer) >= c.FRAME_HEADER_LENGTH:
            length = int.from_bytes(self._buffer[:3], "big")
            if len(self._buffer) < c.FRAME_HEADER_LENGTH + length:
                break
            out.append(self._take_frame(length, truncated=False))
        return out

    def close(self, end: InputEnd = InputEnd.COMPLETE) -> list[Record]:
        """End of input: report what is left over (a partial frame, or a stray header).

        ``end`` says how the input ended: a partial frame is an error only when the
        input is whole (``InputEnd.COMPLETE``), else a warning that it was cut off.
        """
        out: list[Record] = []
        if self.resyncing:
            self.skipped_bytes += self.resynchronise(final=True)
            if len(self._buffer) < c.FRAME_HEADER_LENGTH or not self._plausible(0):
                self.skipped_bytes += len(self._buffer)
                self._offset += len(self._buffer)
                self._buffer.clear()
            while len(self._buffer) >= c.FRAME_HEADER_LENGTH:
                length = int.from_bytes(self._buffer[:3], "big")
                if len(self._buffer) < c.FRAME_HEADER_LENGTH + length:
                    break
                out.append(self._take_frame(length, truncated=False))
        if self._detecting:
            self._detect_preface(out, final=True)
        if not self._buffer:
            return out
        if len(self._buffer) < c.FRAME_HEADER_LENGTH:
            count = len(self._buffer)
            text = (f"{count} byte(s) at offset {self._offset} are too few for a 9-byte "
                    "frame header: input ends inside a frame header" if end.malformed
                    else f"{end.value} {count} byte(s) into the frame header at offset "
                    f"{self._offset}")
            out.append(_cut(self._offset, text, end, count))
            self._offset += len(self._buffer)
            self._buffer.clear()
            return out
        out.append(self._take_frame(len(self._buffer) - c.FRAME_HEADER_LENGTH, truncated=True,
                                    end=end))
        return out

    def salvage(self) -> list[Record]:
        """Before a gap, while resynchronising: the complete frames buffered since the
        last gap, which ``feed`` was holding until the next header confirmed them.

        A frame is taken when its plausible header starts the buffer (or follows skipped
        bytes) and the frame ends exactly where the capture lost bytes again, or is
        followed by another plausible header: segment boundaries are frame boundaries
        far more often than not, and a frame that ends exactly at one is no accident.
        The bytes after the last complete frame stay buffered (``gap`` drops them).
        """
        if not self.resyncing:
            return []
        buffer = self._buffer
        size = len(buffer)
        start = 0
        while start + c.FRAME_HEADER_LENGTH <= size:
            if self._plausible(start):
                following = start + c.FRAME_HEADER_LENGTH + int.from_bytes(
                    buffer[start : start + 3], "big")
                if following == size or (following + c.FRAME_HEADER_LENGTH <= size
                                         and self._plausible(following)):
                    break
            start += 1
        else:
            return []
        del buffer[:start]
        self._offset += start
        self.skipped_bytes += start
        self.resyncing = False
        out: list[Record] = []
        while len(buffer) >= c.FRAME_HEADER_LENGTH and self._plausible(0):
            length = int.from_bytes(buffer[:3], "big")
            if len(buffer) < c.FRAME_HEADER_LENGTH + length:
                break
            out.append(self._take_frame(length, truncated=False))
        return out

    def skip(self, count: int) -> None:
        """Drop ``count`` bytes of input (a capture gap); the next byte is a frame boundary
        only if the caller knows so, otherwise call ``resynchronise``."""
        dropped = min(count, len(self._buffer))
        del self._buffer[:dropped]
        self._offset += count
        self._open_block = None
        self._detecting = False

    def gap(self, length: int) -> int:
        """``length`` bytes are missing right after what was fed (a lost TCP segment).

        The partial frame in the buffer is dropped (its count is returned) and the
        reader enters resynchronisation: later ``feed`` calls skip bytes up to the next
        plausible frame header (see ``resynchronise``) before reading frames again.
        """
        dropped = len(self._buffer)
        self._buffer.clear()
        self._offset += dropped + length
        self._open_block = None
        self._detecting = False
        self.resyncing = True
        return dropped

    def resynchronise(self, *, final: bool = True) -> int:
        """Skip buffered bytes up to the next plausible frame header; return how many.

        Plausible: an RFC 9113 type, a length within SETTINGS_MAX_FRAME_SIZE, the
        reserved bit clear, no undefined flags, a stream id allowed for the type, and a
        plausible header right after the frame. With ``final`` (the default: no more
        input) a candidate whose frame ends the input is accepted too, and without any
        candidate all but the last 8 bytes are dropped. Without ``final`` (streaming
        after a gap) the reader waits for the successor's bytes and stays in
        resynchronisation until it is sure: ``resyncing`` tells.
        """
        self._open_block = None
        self._detecting = False
        limit = len(self._buffer) - c.FRAME_HEADER_LENGTH + 1
        start = 0
        found = False
        while start < limit:
            if self._plausible(start):
                following = start + c.FRAME_HEADER_LENGTH + int.from_bytes(
                    self._buffer[start : start + 3], "big")
                if following + c.FRAME_HEADER_LENGTH <= len(self._buffer):
                    if self._plausible(following):
                        found = True
                        break
                elif final:
                    if following <= len(self._buffer):
                        found = True  # the input ends with this frame: nothing to check
                        break
                else:
                    break  # wait for the bytes of the next header
            start += 1
        if start >= limit:
            start = max(limit, 0)
        del self._buffer[:start]
        self._offset += start
        self.resyncing = not found and not final
        return start

    def take_skipped(self) -> int:
        """Bytes skipped by resynchronisation since the last call (then reset to 0)."""
        skipped, self.skipped_bytes = self.skipped_bytes, 0
        return skipped

    def _plausible(self, start: int) -> bool:
        """RFC 9113 §4.1, §6: could a frame header start at ``start``?"""
        length, ftype, flags, reserved, stream_id = read_frame_header(self._buffer, start)
        # Only the RFC 9113 types (0x0-0x9), with no undefined flag bits: extension
        # frames are rare, and accepting them makes random bytes look like frames.
        if reserved or length > self.max_frame_size or ftype > FrameType.CONTINUATION:
            return False
        if c.unknown_flags(ftype, flags):
            return False
        connection_only = ftype in (FrameType.SETTINGS, FrameType.PING, FrameType.GOAWAY)
        stream_only = ftype in (
            FrameType.DATA, FrameType.HEADERS, FrameType.PRIORITY, FrameType.RST_STREAM,
            FrameType.PUSH_PROMISE, FrameType.CONTINUATION,
        )
        return not ((connection_only and stream_id) or (stream_only and not stream_id))

    def _detect_preface(self, out: list[Record], *, final: bool) -> bool:
        """Consume the preface if the stream starts with it; False while undecided."""
        head = bytes(self._buffer[: len(c.PREFACE)])
        # Undecided until all 24 bytes are there when they start like the preface
        # ("PRI "): a damaged preface is then reported over the same 24 bytes whatever
        # the chunking of the input.
        if len(head) < len(c.PREFACE) and not final and (
            c.PREFACE.startswith(head) or head[:4] == c.PREFACE[:4]
        ):
            return False
        self._detecting = False
        if head == c.PREFACE:
            out.append(Preface(self._offset, direction=self.direction))
            del self._buffer[: len(c.PREFACE)]
            self._offset += len(c.PREFACE)
            self.saw_preface = True
        elif head[:4] == c.PREFACE[:4]:
            out.append(
                _error(self._offset, f"damaged connection preface at offset {self._offset}",
                       ErrorCode.PROTOCOL_ERROR, len(head))
            )
        return True

    def _take_frame(self, payload_length: int, *, truncated: bool,
                    end: InputEnd = InputEnd.COMPLETE) -> Frame:
        raw = bytes(self._buffer[: c.FRAME_HEADER_LENGTH + payload_length])
        del self._buffer[: len(raw)]
        offset = self._offset
        self._offset += len(raw)
        frame = decode_frame(
            raw, offset, truncated=truncated, max_frame_size=self.max_frame_size,
            max_frame_size_known=self.max_frame_size_known,
            open_block=self._open_block, direction=self.direction, end=end,
        )
        if self._open_block is not None or frame.type in _BLOCK_TYPES:
            self._open_block = _next_open_block(frame, self._open_block)
        return frame


_BLOCK_TYPES = frozenset({FrameType.HEADERS, FrameType.PUSH_PROMISE, FrameType.CONTINUATION})
"""The frame types that open, continue or end a header block."""


def _next_open_block(frame: Frame, open_block: int | None) -> int | None:
    """Stream whose header block is still open after ``frame`` (RFC 9113 §4.3, §6.10)."""
    if frame.type in (FrameType.HEADERS, FrameType.PUSH_PROMISE):
        return None if frame.flags & c.END_HEADERS else frame.stream_id
    if frame.type == FrameType.CONTINUATION:
        if open_block is None or frame.stream_id != open_block:
            return open_block
        return None if frame.flags & c.END_HEADERS else open_block
    return open_block


def decode_frame(
    raw: bytes,
    offset: int = 0,
    *,
    truncated: bool = False,
    max_frame_size: int = c.DEFAULT_MAX_FRAME_SIZE,
    max_frame_size_known: bool = True,
    open_block: int | None = None,
    direction: Direction | None = None,
    end: InputEnd = InputEnd.COMPLETE,
) -> Frame:
    """Decode one frame from ``raw`` (header + payload) found at absolute ``offset``.

    A ``truncated`` frame was cut off by ``end``: an error when the input is whole,
    else a warning.

    ``open_block`` is the stream of a header block awaiting CONTINUATION, if any, so
    that interleaving can be reported (RFC 9113 §6.10). Without
    ``max_frame_size_known`` (the receiver's SETTINGS were not seen) a frame larger
    than ``max_frame_size`` is only a warning: the receiver may have raised it.
    """
    length, ftype, flags, reserved, stream_id = read_frame_header(raw)
    payload = raw[c.FRAME_HEADER_LENGTH :]
    p0 = offset + c.FRAME_HEADER_LENGTH
    excluded = _COMMON_EXCLUDED.get(ftype)
    if (excluded is not None and not flags & excluded and not truncated and not reserved
            and open_block is None and stream_id and length <= max_frame_size):
        # The commonest frames, built directly: what the checks below give them.
        if ftype == FrameType.DATA:
            return Frame(offset, length, ftype, flags, False, stream_id, payload,
                         Data(None, payload), direction=direction)
        return Frame(offset, length, ftype, flags, False, stream_id, payload,
                     Headers(fragment=payload, fragment_offset=p0), direction=direction)
    diags: list[Diagnostic] = []
    spec = FRAME_BODIES.get(ftype)
    name = c.type_name(ftype)
    where = f"{name} frame at offset {offset}"
    if truncated:
        diags.append(
            _error(p0 + len(payload), f"{where}: length {length} runs past the end of the input "
                   f"(only {len(payload)} payload byte(s))", None) if end.malformed
            else _warning(p0 + len(payload), f"{where}: {end.value} after {len(payload)} of "
                          f"its {length} payload byte(s)")
        )
    if length > max_frame_size and max_frame_size_known:
        diags.append(
            _error(offset, f"{where}: length {length} exceeds SETTINGS_MAX_FRAME_SIZE "
                   f"{max_frame_size}", ErrorCode.FRAME_SIZE_ERROR, 3)
        )
    elif length > max_frame_size:
        # RFC 9113 §4.2: the limit is what the *receiver* announced; its SETTINGS are not
        # in the input, so a larger frame may be perfectly legal.
        diags.append(
            _warning(offset, f"{where}: length {length} exceeds {max_frame_size}, the "
                     "initial SETTINGS_MAX_FRAME_SIZE; the receiver's SETTINGS are not in "
                     "the input, so its limit is unknown (it may have raised "
                     "SETTINGS_MAX_FRAME_SIZE)", 3)
        )
    if reserved:
        diags.append(_warning(offset + 5, f"{where}: reserved bit set (RFC 9113 §4.1: must be "
                                          "ignored)", 1))
    if open_block is not None and not (
        ftype == FrameType.CONTINUATION and stream_id == open_block
    ):
        diags.append(
            _error(offset, f"{where} interleaved in the header block of stream {open_block}, "
                   "which awaits CONTINUATION", ErrorCode.PROTOCOL_ERROR,
                   c.FRAME_HEADER_LENGTH)
        )
    if spec is None:
        body: FrameBody = Unknown()
    elif truncated:
        body = spec.body()
    else:
        if ftype in _ON_STREAM and stream_id == 0:
            diags.append(_error(p0 - 4, f"{where}: {name} on stream 0",
                                ErrorCode.PROTOCOL_ERROR, 4))
        if ftype in _ON_CONNECTION and stream_id != 0:
            diags.append(_error(p0 - 4, f"{where}: {name} on stream {stream_id}, must be "
                                "stream 0", ErrorCode.PROTOCOL_ERROR, 4))
        body = spec.parse(_Payload(flags, stream_id, payload, p0, where, open_block, diags))
    return Frame(offset, length, ftype, flags, reserved, stream_id, payload, body,
                 truncated, tuple(diags), direction)


_COMMON_EXCLUDED: dict[int, int] = {FrameType.DATA: c.PADDED,
                                    FrameType.HEADERS: c.PADDED | c.PRIORITY_FLAG}
"""The two frame types ``decode_frame`` builds directly when on a stream, not truncated,
within the size limit, with no reserved bit, no open header block, and none of these
flags (each of which adds fields or checks); every other frame takes the full path.
A test compares both paths on every frame of the corpora."""

_ON_STREAM = frozenset({FrameType.DATA, FrameType.HEADERS, FrameType.PRIORITY,
                        FrameType.RST_STREAM, FrameType.PUSH_PROMISE, FrameType.CONTINUATION})
"""RFC 9113 §6: the frame types that must not be on stream 0."""
_ON_CONNECTION = frozenset({FrameType.SETTINGS, FrameType.PING, FrameType.GOAWAY})
"""RFC 9113 §6: the frame types that must be on stream 0."""


class _Payload(NamedTuple):
    """What a body's parse function reads, and where it reports (``diags``)."""

    flags: int
    stream_id: int
    data: bytes
    """The payload."""
    p0: int
    """Absolute offset of the payload's first octet."""
    where: str
    """``HEADERS frame at offset N``: how the diagnostics name the frame."""
    open_block: int | None
    diags: list[Diagnostic]

    def fixed(self, size: int) -> bool:
        """The payload is exactly ``size`` octets, or a FRAME_SIZE_ERROR says it is not."""
        if len(self.data) != size:
            self.diags.append(_error(self.p0 - 9, f"{self.where}: payload is "
                                     f"{len(self.data)} byte(s), must be {size}",
                                     ErrorCode.FRAME_SIZE_ERROR, 3))
            return False
        return True

    def unpadded(self) -> tuple[int | None, bytes | None, bytes | None, int]:
        """RFC 9113 §6.1 padding: ``(pad_length, body, padding, body offset)``; ``body``
        is ``None`` when the padding is malformed (and a diagnostic says how)."""
        data, p0, where = self.data, self.p0, self.where
        if not self.flags & c.PADDED:
            return None, data, None, p0
        if not data:
            self.diags.append(_error(p0, f"{where}: PADDED but no Pad Length octet",
                                     ErrorCode.FRAME_SIZE_ERROR))
            return None, None, None, p0
        pad = data[0]
        if pad >= len(data):
            self.diags.append(_error(p0, f"{where}: padding of {pad} byte(s) is longer than "
                                     f"the {len(data) - 1} byte(s) after the Pad Length",
                                     ErrorCode.PROTOCOL_ERROR, 1))
            return pad, None, None, p0
        padding = data[len(data) - pad :]
        if any(padding):
            self.diags.append(_warning(p0 + len(data) - pad, f"{where}: padding is not all "
                                       "zero", pad))
        return pad, data[1 : len(data) - pad], padding, p0 + 1

    def priority(self, body: bytes, start: int) -> tuple[bool, int, int]:
        """RFC 9113 §6.3 (and §6.2): ``(exclusive, stream dependency, weight)``."""
        word = int.from_bytes(body[:4], "big")
        dependency = word & 0x7FFF_FFFF
        if dependency == self.stream_id and self.stream_id:
            self.diags.append(_error(start, f"{self.where}: stream {self.stream_id} depends "
                                     "on itself", ErrorCode.PROTOCOL_ERROR, 4))
        return bool(word >> 31), dependency, body[4] + 1


def _parse_data(p: _Payload) -> Data:
    pad, data, padding, _start = p.unpadded()
    return Data(pad, data, padding)


def _parse_headers(p: _Payload) -> Headers:
    pad, body, padding, start = p.unpadded()
    if body is None:
        return Headers(pad_length=pad)
    if not p.flags & c.PRIORITY_FLAG:
        return Headers(pad, fragment=body, fragment_offset=start, padding=padding)
    if len(body) < 5:
        p.diags.append(_error(start, f"{p.where}: PRIORITY flag but only {len(body)} byte(s) "
                              "for the 5-byte priority fields", ErrorCode.FRAME_SIZE_ERROR))
        return Headers(pad, padding=padding)
    exclusive, dependency, weight = p.priority(body, start)
    return Headers(pad, exclusive, dependency, weight, body[5:], start + 5, padding)


def _parse_priority(p: _Payload) -> Priority:
    if not p.fixed(5):
        return Priority()
    return Priority(*p.priority(p.data, p.p0))


def _parse_rst_stream(p: _Payload) -> RstStream:
    return RstStream(int.from_bytes(p.data, "big")) if p.fixed(4) else RstStream()


def _parse_settings(p: _Payload) -> Settings:
    n, data, p0 = len(p.data), p.data, p.p0
    if p.flags & c.ACK:
        if n:
            p.diags.append(_error(p0 - 9, f"{p.where}: SETTINGS ACK with a {n}-byte payload",
                                  ErrorCode.FRAME_SIZE_ERROR, 3))
        return Settings(())
    if n % 6:
        p.diags.append(_error(p0 - 9, f"{p.where}: payload of {n} byte(s) is not a multiple "
                              "of 6", ErrorCode.FRAME_SIZE_ERROR, 3))
        return Settings()
    entries = tuple(
        Setting(p0 + i, int.from_bytes(data[i : i + 2], "big"),
                int.from_bytes(data[i + 2 : i + 6], "big"))
        for i in range(0, n, 6)
    )
    for entry in entries:
        problem = _bad_setting(entry)
        if problem is not None:
            p.diags.append(_error(entry.offset, f"{p.where}: {problem[0]}", problem[1], 6))
    return Settings(entries)


def _parse_push_promise(p: _Payload) -> PushPromise:
    pad, body, padding, start = p.unpadded()
    if body is None:
        return PushPromise(pad)
    if len(body) < 4:
        p.diags.append(_error(start, f"{p.where}: too short for the promised stream id",
                              ErrorCode.FRAME_SIZE_ERROR))
        return PushPromise(pad, padding=padding)
    promised = int.from_bytes(body[:4], "big") & 0x7FFF_FFFF
    if promised == 0 or promised % 2:
        p.diags.append(_error(start, f"{p.where}: promised stream {promised} is not a "
                              "non-zero even stream id", ErrorCode.PROTOCOL_ERROR, 4))
    return PushPromise(pad, promised, body[4:], start + 4, padding)


def _parse_ping(p: _Payload) -> Ping:
    return Ping(p.data) if p.fixed(8) else Ping()


def _parse_goaway(p: _Payload) -> Goaway:
    data = p.data
    if len(data) < 8:
        p.diags.append(_error(p.p0 - 9, f"{p.where}: payload of {len(data)} byte(s), at "
                              "least 8 needed", ErrorCode.FRAME_SIZE_ERROR, 3))
        return Goaway()
    return Goaway(int.from_bytes(data[:4], "big") & 0x7FFF_FFFF,
                  int.from_bytes(data[4:8], "big"), data[8:])


def _parse_window_update(p: _Payload) -> WindowUpdate:
    if not p.fixed(4):
        return WindowUpdate()
    increment = int.from_bytes(p.data, "big") & 0x7FFF_FFFF
    if increment == 0:
        p.diags.append(_error(p.p0, f"{p.where}: window size increment of 0",
                              ErrorCode.PROTOCOL_ERROR, 4))
    return WindowUpdate(increment)


def _parse_continuation(p: _Payload) -> Continuation:
    if p.open_block is None and p.stream_id != 0:
        p.diags.append(_error(p.p0 - 9, f"{p.where}: CONTINUATION without an open header "
                              "block", ErrorCode.PROTOCOL_ERROR, 9))
    return Continuation(p.data, p.p0)


def _parse_altsvc(p: _Payload) -> AltSvc:
    # RFC 7838 §4: Origin-Len (16), Origin, Alt-Svc-Field-Value.
    data = p.data
    if len(data) < 2 or 2 + int.from_bytes(data[:2], "big") > len(data):
        p.diags.append(_warning(p.p0, f"{p.where}: malformed (origin length past the "
                                "payload); RFC 7838 says to ignore it"))
        return AltSvc()
    origin_length = int.from_bytes(data[:2], "big")
    return AltSvc(data[2 : 2 + origin_length], data[2 + origin_length :])


def _parse_origin(p: _Payload) -> Origin:
    # RFC 8336 §2: a sequence of Origin-Len (16) + ASCII-Origin.
    data, n = p.data, len(p.data)
    origins: list[bytes] = []
    i = 0
    while i < n:
        if i + 2 > n or i + 2 + int.from_bytes(data[i : i + 2], "big") > n:
            p.diags.append(_warning(p.p0 + i, f"{p.where}: origin entry runs past the payload"))
            break
        size = int.from_bytes(data[i : i + 2], "big")
        origins.append(data[i + 2 : i + 2 + size])
        i += 2 + size
    if p.stream_id:
        p.diags.append(_warning(p.p0 - 4, f"{p.where}: ORIGIN on stream {p.stream_id} is "
                                "ignored (RFC 8336 §2.1)", 4))
    return Origin(tuple(origins))


def _parse_priority_update(p: _Payload) -> PriorityUpdate:
    # RFC 9218 §7.1: Prioritized Stream ID (31), Priority Field Value.
    if p.stream_id:
        p.diags.append(_error(p.p0 - 4, f"{p.where}: PRIORITY_UPDATE on stream {p.stream_id}",
                              ErrorCode.PROTOCOL_ERROR, 4))
    if len(p.data) < 4:
        p.diags.append(_error(p.p0 - 9, f"{p.where}: payload of {len(p.data)} byte(s), at "
                              "least 4 needed", ErrorCode.FRAME_SIZE_ERROR, 3))
        return PriorityUpdate()
    return PriorityUpdate(int.from_bytes(p.data[:4], "big") & 0x7FFF_FFFF, p.data[4:])


class FrameSpec(NamedTuple):
    """How a frame type's payload is read: its body record, and the function that
    parses it (checks of RFC 9113 §6 go to the payload's ``diags``)."""

    body: type[FrameBody]
    parse: Callable[[_Payload], FrameBody]


FRAME_BODIES: dict[int, FrameSpec] = {
    FrameType.DATA: FrameSpec(Data, _parse_data),
    FrameType.HEADERS: FrameSpec(Headers, _parse_headers),
    FrameType.PRIORITY: FrameSpec(Priority, _parse_priority),
    FrameType.RST_STREAM: FrameSpec(RstStream, _parse_rst_stream),
    FrameType.SETTINGS: FrameSpec(Settings, _parse_settings),
    FrameType.PUSH_PROMISE: FrameSpec(PushPromise, _parse_push_promise),
    FrameType.PING: FrameSpec(Ping, _parse_ping),
    FrameType.GOAWAY: FrameSpec(Goaway, _parse_goaway),
    FrameType.WINDOW_UPDATE: FrameSpec(WindowUpdate, _parse_window_update),
    FrameType.CONTINUATION: FrameSpec(Continuation, _parse_continuation),
    FrameType.ALTSVC: FrameSpec(AltSvc, _parse_altsvc),
    FrameType.ORIGIN: FrameSpec(Origin, _parse_origin),
    FrameType.PRIORITY_UPDATE: FrameSpec(PriorityUpdate, _parse_priority_update),
}
"""The frame types wiretool reads, by type octet; any other type's body is ``Unknown``.
A new type is a body record, a parse function and an entry here."""


def _bad_setting(entry: Setting) -> tuple[str, int] | None:
    """RFC 9113 §6.5.2 (and RFC 8441, RFC 9218) value ranges."""
    ident, value = entry.identifier, entry.value
    if ident in (0x2, 0x8, 0x9) and value > 1:
        return f"SETTINGS_{entry.name} = {value}, must be 0 or 1", ErrorCode.PROTOCOL_ERROR
    if ident == 0x4 and value > 0x7FFF_FFFF:
        return (f"SETTINGS_INITIAL_WINDOW_SIZE = {value} exceeds 2^31-1",
                ErrorCode.FLOW_CONTROL_ERROR)
    if ident == 0x5 and not c.DEFAULT_MAX_FRAME_SIZE <= value <= c.MAX_MAX_FRAME_SIZE:
        return (f"SETTINGS_MAX_FRAME_SIZE = {value} outside 16384..16777215",
                ErrorCode.PROTOCOL_ERROR)
    return None
