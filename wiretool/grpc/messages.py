"""gRPC messages and trailers of one HTTP/2 connection, from its frames (sans-IO).

``GrpcTracker.frame(frame)`` takes every ``Frame`` of a connection, both
directions, in order (with ``direction`` and ``header_block`` set by
``wiretool.http2.connection``) and returns what it completes:

* ``GrpcMessage``: one Length-Prefixed-Message (PROTOCOL-HTTP2.md: a compressed
  flag octet, a 4-octet big-endian length, the message). The DATA payloads of
  each stream and direction are joined, so a message may span DATA frames and a
  frame may hold several messages. Compressed messages are inflated according
  to the stream's ``grpc-encoding`` (gzip, deflate; identity with the flag set
  and unknown encodings are diagnostics), never beyond ``max_message_size``.
  The message is decoded with ``decode``'s engine: schemaless, or with the
  request (client) / response (server) type of the method named by ``:path``.
* ``GrpcStatus``: the trailers of a stream (or a Trailers-Only response):
  ``grpc-status`` with its name, ``grpc-message`` percent-decoded,
  ``grpc-status-details-bin`` decoded as ``google.rpc.Status``.

A stream is gRPC when its request or response ``content-type`` is
``application/grpc`` or ``application/grpc+<suffix>``. Memory is bounded by one
message per open stream and direction: a message longer than the limit is
skipped, not buffered. After a capture gap (``gap(direction)``) every open
stream of that direction has lost its place; it picks up again at the next DATA
frame whose payload starts with a plausible prefix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wiretool.direction import Direction
from wiretool.errors import Diagnostic, Severity
from wiretool.grpc import status as grpc_status
from wiretool.http2 import constants as c
from wiretool.http2.constants import FrameType
from wiretool.http2.frames import Data, Frame
from wiretool.protobuf.framing import GRPC_PREFIX_LENGTH, read_grpc_prefix

if TYPE_CHECKING:
    from google.protobuf.descriptor import Descriptor

    from wiretool.protobuf.model import Message
    from wiretool.protobuf.schema import Schema

DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class GrpcMessage:
    """One gRPC Length-Prefixed-Message of one stream and direction."""

    direction: Direction | None
    stream_id: int
    path: str | None
    """The stream's ``:path`` (``/package.Service/Method``), when its request was seen."""
    index: int
    """0-based position among the messages of this stream and direction."""
    offset: int
    """Offset of the 5-octet prefix in the direction's byte stream."""
    frame_offset: int
    """Offset of the DATA frame that completed the message (it is shown under it)."""
    compressed: bool
    """The Compressed-Flag."""
    length: int
    """Message-Length as sent (compressed size when compressed)."""
    encoding: str | None
    """``grpc-encoding`` of the stream and direction (``None``: identity)."""
    data: bytes | None
    """The message bytes after decompression; ``None`` when they could not be had."""
    message: Message | None
    """The decoded protobuf message (field offsets are offsets inside ``data``)."""
    type_name: str | None
    """Full name of the schema type used, when there was one."""
    diagnostics: tuple[Diagnostic, ...] = ()


@dataclass(frozen=True, slots=True)
class GrpcStatus:
    """The gRPC status of a stream, from its trailers."""

    direction: Direction | None
    stream_id: int
    path: str | None
    offset: int
    """Offset of the HEADERS frame's header block."""
    frame_offset: int
    code: int | None
    """``grpc-status``; ``None`` when missing or not a number."""
    name: str | None
    """``OK``, ``INVALID_ARGUMENT``...; ``None`` for a code gRPC does not define."""
    message: str | None
    """``grpc-message``, percent-decoded."""
    details: Message | None
    """``grpc-status-details-bin`` decoded as ``google.rpc.Status``."""
    details_data: bytes | None
    diagnostics: tuple[Diagnostic, ...] = ()
    code_unknown: str | None = None
    """Why ``code`` is ``None`` although the trailers may well hold ``grpc-status``: they
    reference HPACK entries the capture does not hold (``HPACK entry from before the
    capture``, or ``lost in a capture gap``). ``None`` otherwise."""


GrpcRecord = GrpcMessage | GrpcStatus

_WANTED_NAMES = frozenset({
    ":path", ":method", ":status", "content-type", "grpc-encoding",
    "grpc-status", "grpc-message", "grpc-status-details-bin"})
"""The headers the tracker reads; other names are skipped without decoding them."""
_WANTED = {name.encode(): name for name in _WANTED_NAMES}
"""Lower-case wire names of ``_WANTED_NAMES`` (the common case needs no ``lower()``)."""


_KEYS: dict[bytes, str | None] = {}
"""Memo of ``_wanted_key``: a connection sends the same few dozen names again and again."""
_KEYS_LIMIT = 4096
_UNSEEN = ""


def _wanted_key(name: bytes) -> str | None:
    """The ``_WANTED_NAMES`` entry a header name stands for, in any case; else ``None``."""
    key = _WANTED.get(name)
    if key is None:
        key = name.decode("latin-1").lower()
    return key if key in _WANTED_NAMES else None


@dataclass(slots=True)
class StreamInfo:
    """What the tracker knows about one HTTP/2 stream (also read by the summary)."""

    stream_id: int
    method: str | None = None
    path: str | None = None
    status: str | None = None
    """``:status`` of the response."""
    content_type: str | None = None
    grpc: bool = False
    encoding: dict[Direction | None, str] = field(default_factory=dict)
    """``grpc-encoding`` per direction."""
    headers_seen: dict[Direction | None, int] = field(default_factory=dict)
    """Header blocks seen per direction."""
    grpc_status: int | None = None
    grpc_status_name: str | None = None
    messages: dict[Direction | None, int] = field(default_factory=dict)
    message_bytes: dict[Direction | None, int] = field(default_factory=dict)


@dataclass
class _Pending:
    """Reassembly state of one stream and direction."""

    buffer: bytearray = field(default_factory=bytearray)
    start: int | None = None
    """Stream offset of ``buffer[0]``."""
    skip: int = 0
    """Octets of an oversized message still to be skipped."""
    lost: bool = False
    """A gap broke the message boundaries; waiting for a DATA frame starting a message."""
    count: int = 0


class GrpcTracker:
    """Turns the frames of one connection into gRPC messages and statuses."""

    def __init__(
        self,
        *,
        schema: Schema | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
    ) -> None:
        self.schema = schema
        self.max_message_size = max_message_size
        self.streams: dict[int, StreamInfo] = {}
        self._pending: dict[tuple[Direction | None, int], _Pending] = {}
        self._types: dict[tuple[Direction | None, str | None], Descriptor | None] = {}
        self._gaps: set[Direction | None] = set()
        """Directions that lost bytes (their HPACK tables were forgotten)."""
        self._type_problem: dict[str, str] = {}

    def stream(self, stream_id: int) -> StreamInfo:
        info = self.streams.get(stream_id)
        if info is None:
            info = self.streams[stream_id] = StreamInfo(stream_id)
        return info

    def forget(self, stream_id: int) -> StreamInfo | None:
        """The stream is closed: drop what is kept for it and return its ``StreamInfo``."""
        for key in [k for k in self._pending if k[1] == stream_id]:
            del self._pending[key]
        return self.streams.pop(stream_id, None)

    def request_line(self, stream_id: int, method: str, path: str) -> None:
        """h2c: the HTTP/1.1 upgrade request is stream 1 (RFC 7540 §3.2)."""
        info = self.stream(stream_id)
        info.method, info.path = method, path

    def gap(self, direction: Direction | None) -> None:
        """Bytes of ``direction`` were lost: open messages in it lose their boundaries."""
        self._gaps.add(direction)
        for (pending_direction, _stream), pending in self._pending.items():
            if pending_direction == direction:
                pending.buffer.clear()
                pending.start = None
                pending.skip = 0
                pending.lost = True

    def frame(self, frame: Frame) -> list[GrpcRecord]:
        if frame.header_block is not None and frame.stream_id:
            return self._headers(frame)
        body = frame.body
        if type(body) is Data and frame.stream_id and body.data is not None:
            info = self.streams.get(frame.stream_id)
            if info is None or not info.grpc:
                return []
            out = self._data(frame, body, info)
            if frame.flags & c.END_STREAM:
                out += self._end(frame)
            return out
        if frame.type == FrameType.RST_STREAM:
            for key in [k for k in self._pending if k[1] == frame.stream_id]:
                del self._pending[key]
        return []

    # -- headers -----------------------------------------------------------------------

    def _headers(self, frame: Frame) -> list[GrpcRecord]:
        assert frame.header_block is not None
        if frame.type == FrameType.PUSH_PROMISE:
            return []
        info = self.stream(frame.stream_id)
        direction = frame.direction
        seen = info.headers_seen.get(direction, 0)
        info.headers_seen[direction] = seen + 1
        headers: dict[str, bytes] = {}
        keys = _KEYS
        for header in frame.header_block.fields:
            name = header.name
            if name is None:
                continue
            # Only the headers read below are kept (the first of each name).
            key = keys.get(name, _UNSEEN)
            if key is _UNSEEN:
                if len(keys) >= _KEYS_LIMIT:
                    keys.clear()
                key = keys[name] = _wanted_key(name)
            if key is None or header.value is None:
                continue
            if key not in headers:
                headers[key] = header.value
        text = {k: v.decode("utf-8", "replace") for k, v in headers.items()
                if not k.endswith("-bin")}
        if ":path" in text:
            info.path = text[":path"]
        if ":method" in text:
            info.method = text[":method"]
        if ":status" in text:
            info.status = text[":status"]
        content_type = text.get("content-type")
        if content_type is not None and seen == 0:
            info.content_type = info.content_type or content_type
            media = content_type.split(";", 1)[0].strip().lower()
            if media == "application/grpc" or media.startswith("application/grpc+"):
                info.grpc = True
        if "grpc-encoding" in text:
            info.encoding[direction] = text["grpc-encoding"].strip().lower()
        out: list[GrpcRecord] = []
        is_trailers = direction is Direction.SERVER and (
            seen > 0 or "grpc-status" in headers or frame.flags & c.END_STREAM)
        if is_trailers and (info.grpc or "grpc-status" in headers):
            out.append(self._status(frame, info, headers))
        if frame.flags & c.END_STREAM:
            out += self._end(frame)
        return out

    def _status(self, frame: Frame, info: StreamInfo, headers: dict[str, bytes]) -> GrpcStatus:
        assert frame.header_block is not None
        diags: list[Diagnostic] = []
        at = frame.header_block.offset
        raw = headers.get("grpc-status")
        code = None if raw is None else grpc_status.parse_status(raw)
        unknown: str | None = None
        if raw is None and any(f.unknown_entry and f.name is None
                               for f in frame.header_block.fields):
            # RFC 7541 §2.3.2: an entry inserted before the capture (or in lost bytes)
            # may be grpc-status: unknown, not missing.
            unknown = ("HPACK entry lost in a capture gap" if frame.direction in self._gaps
                       else "HPACK entry from before the capture")
        elif raw is None:
            diags.append(Diagnostic(at, Severity.ERROR, f"stream {frame.stream_id}: trailers "
                                    "without grpc-status (PROTOCOL-HTTP2.md, Trailers)"))
        elif code is None:
            diags.append(Diagnostic(at, Severity.ERROR, f"stream {frame.stream_id}: "
                                    f"grpc-status {raw!r} is not a number"))
        info.grpc_status = code
        info.grpc_status_name = grpc_status.status_name(code)
        message = headers.get("grpc-message")
        details: Message | None = None
        details_data: bytes | None = None
        encoded = headers.get("grpc-status-details-bin")
        if encoded is not None:
            details_data = grpc_status.decode_binary_header(encoded)
            if details_data is None:
                diags.append(Diagnostic(at, Severity.ERROR, f"stream {frame.stream_id}: "
                                        "grpc-status-details-bin is not base64"))
            else:
                # An Any in the details is read as the type its URL names in the
                # schema given (none: as bytes, no warning).
                details, found = _decode(details_data, grpc_status.rpc_status_descriptor(),
                                         None if self.schema is None else self.schema.pool)
                diags += found
        return GrpcStatus(
            frame.direction, frame.stream_id, info.path, at, frame.offset, code,
            grpc_status.status_name(code),
            None if message is None else grpc_status.percent_decode(message),
            details, details_data, tuple(diags), unknown,
        )

    # -- data --------------------------------------------------------------------------

    def _data(self, frame: Frame, body: Data, info: StreamInfo) -> list[GrpcRecord]:
        assert body.data is not None
        key = (frame.direction, frame.stream_id)
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = _Pending()
        data = body.data
        data_offset = frame.offset + c.FRAME_HEADER_LENGTH + (
            1 if body.pad_length is not None else 0)
        out: list[GrpcRecord] = []
        if pending.lost:
            if len(data) >= GRPC_PREFIX_LENGTH and data[0] in (0, 1):
                pending.lost = False
            else:
                return out
        if pending.skip:
            used = min(pending.skip, len(data))
            pending.skip -= used
            data = data[used:]
            data_offset += used
        if not data:
            return out
        if pending.start is None or not pending.buffer:
            pending.start = data_offset
        pending.buffer += data
        while len(pending.buffer) >= GRPC_PREFIX_LENGTH:
            flag, length = read_grpc_prefix(pending.buffer)
            start = pending.start if pending.start is not None else data_offset
            if flag not in (0, 1):
                out.append(self._broken(frame, info, pending, start, flag))
                return out
            if length > self.max_message_size:
                available = len(pending.buffer) - GRPC_PREFIX_LENGTH
                pending.skip = max(length - available, 0)
                used = min(available, length)
                del pending.buffer[: GRPC_PREFIX_LENGTH + used]
                out.append(self._message(
                    frame, info, pending, start, bool(flag), length, None, (Diagnostic(
                        start, Severity.ERROR,
                        f"gRPC message at offset {start} declares {length} bytes, more than "
                        f"--max-message-size {self.max_message_size}; skipped", length),)))
                pending.start = data_offset + len(data) - len(pending.buffer)
                continue
            if len(pending.buffer) < GRPC_PREFIX_LENGTH + length:
                break
            message = bytes(pending.buffer[GRPC_PREFIX_LENGTH : GRPC_PREFIX_LENGTH + length])
            del pending.buffer[: GRPC_PREFIX_LENGTH + length]
            out.append(self._message(frame, info, pending, start, bool(flag), length, message,
                                     ()))
            # Where the next message starts: inside this frame, at its end minus what is left.
            pending.start = data_offset + len(data) - len(pending.buffer)
        return out

    def _broken(self, frame: Frame, info: StreamInfo, pending: _Pending, start: int,
                flag: int) -> GrpcMessage:
        pending.buffer.clear()
        pending.start = None
        pending.lost = True
        return GrpcMessage(
            frame.direction, frame.stream_id, info.path, pending.count, start, frame.offset,
            False, 0, None, None, None, None,
            (Diagnostic(start, Severity.ERROR, f"stream {frame.stream_id}: gRPC prefix at "
                        f"offset {start} has compressed flag {flag} (0 or 1 expected); the "
                        "rest of this stream's data is skipped up to a DATA frame that starts "
                        "a message", 1),),
        )

    def _end(self, frame: Frame) -> list[GrpcRecord]:
        pending = self._pending.pop((frame.direction, frame.stream_id), None)
        if pending is None or not (pending.buffer or pending.skip) or pending.lost:
            return []
        start = pending.start if pending.start is not None else frame.offset
        info = self.stream(frame.stream_id)
        held = len(pending.buffer)
        text = (f"stream {frame.stream_id} ends inside a gRPC message at offset {start}: "
                f"{held} byte(s) of an incomplete message")
        if held >= GRPC_PREFIX_LENGTH:
            text += f" (declared {read_grpc_prefix(pending.buffer)[1]} bytes)"
        return [GrpcMessage(frame.direction, frame.stream_id, info.path, pending.count, start,
                            frame.offset, bool(pending.buffer[:1] == b"\x01"), 0, None, None,
                            None, None, (Diagnostic(start, Severity.ERROR, text, held),))]

    def _message(self, frame: Frame, info: StreamInfo, pending: _Pending, start: int,
                 compressed: bool, length: int, body: bytes | None,
                 diags: tuple[Diagnostic, ...]) -> GrpcMessage:
        direction = frame.direction
        encoding = info.encoding.get(direction)
        found = list(diags)
        data = body
        if body is not None and compressed:
            data = self._inflate(body, encoding, start, found)
        message: Message | None = None
        type_name: str | None = None
        if data is not None:
            descriptor = self._type(info.path, direction, start, found)
            message, decoded = _decode(data, descriptor)
            found += decoded
            type_name = descriptor.full_name if descriptor is not None else None
        index = pending.count
        pending.count += 1
        info.messages[direction] = info.messages.get(direction, 0) + 1
        info.message_bytes[direction] = info.message_bytes.get(direction, 0) + length
        return GrpcMessage(frame.direction, frame.stream_id, info.path, index, start,
                           frame.offset, compressed, length, encoding, data, message,
                           type_name, tuple(found))

    def _inflate(self, body: bytes, encoding: str | None, start: int,
                 found: list[Diagnostic]) -> bytes | None:
        from wiretool.protobuf.framing import decompress

        if encoding in (None, "identity"):
            found.append(Diagnostic(start, Severity.ERROR, f"gRPC message at offset {start} "
                                    "has the compressed flag set but the stream's "
                                    "grpc-encoding is identity (PROTOCOL-HTTP2.md)", 1))
            return None
        if encoding not in ("gzip", "deflate"):
            found.append(Diagnostic(start, Severity.ERROR, f"gRPC message at offset {start}: "
                                    f"grpc-encoding {encoding!r} is not supported (gzip, "
                                    "deflate, identity); shown compressed", len(body)))
            return None
        data, problem = decompress(body, self.max_message_size, encoding)
        if problem:
            found.append(Diagnostic(start, Severity.ERROR,
                                    f"gRPC message at offset {start} ({encoding}): {problem}",
                                    len(body)))
        return data

    def _type(self, path: str | None, direction: Direction | None, at: int,
              found: list[Diagnostic]) -> Descriptor | None:
        """The request (client) or response (server) type of the method in ``path``."""
        if self.schema is None:
            return None
        key = (direction, path)
        if key not in self._types:
            from wiretool.protobuf.schema import SchemaError

            descriptor: Descriptor | None = None
            if path is None:
                self._type_problem[str(key)] = ("the stream's :path was not seen; decoded "
                                                "without a schema")
            else:
                try:
                    method = self.schema.method(path)
                    descriptor = method.input if direction is Direction.CLIENT else method.output
                except SchemaError as exc:
                    self._type_problem[str(key)] = (f"{exc.message.splitlines()[0]}; decoded "
                                                    "without a schema")
            self._types[key] = descriptor
            problem = self._type_problem.get(str(key))
            if problem:
                found.append(Diagnostic(at, Severity.WARNING, problem))
        return self._types[key]


def _decode(data: bytes, descriptor: Descriptor | None,
            any_pool: Any = "own") -> tuple[Message, list[Diagnostic]]:
    """``data`` as one protobuf message, with ``decode``'s engine (and the schema type;
    ``any_pool``: where an Any's type URL is looked up, ``annotate.AnyPool``)."""
    from wiretool.protobuf.wire import decode_message

    if descriptor is None:
        return decode_message(data)
    from wiretool.protobuf.annotate import DescriptorHints, annotate_message

    message, diags = decode_message(data, hints=DescriptorHints(descriptor, any_pool))
    annotated, found = annotate_message(message, descriptor, any_pool)
    return annotated, [*diags, *found]
