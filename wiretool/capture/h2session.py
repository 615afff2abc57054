"""HTTP/2 (and the gRPC inside) of every connection in a capture: the glue layer.

``CaptureSession.feed(event)`` takes the events of ``wiretool.capture.follow_tcp``
one at a time and returns records, streaming:

1. per connection, the first bytes of each direction are buffered (at most
   ``DETECT_LIMIT`` each) and given to ``detect_http2`` until it decides; the
   reassembler's client/server labels are swapped when detection says so (no SYN
   captured), and ``--port`` forces a connection to be read as HTTP/2;
2. an HTTP/2 connection gets a ``wiretool.http2.connection.Connection`` (one frame
   reader and one HPACK context per direction) started where detection says
   HTTP/2 starts, and a ``wiretool.grpc.messages.GrpcTracker``; a TCP gap becomes
   a diagnostic and the reader resynchronises at the next plausible frame header;
3. other connections are announced once (``ConnectionStart`` with the reason) and
   their bytes dropped.

Every HTTP/2 or gRPC record comes out wrapped in ``Located``: the connection, and
the capture time and number of the packet whose bytes completed it. At the end of
each connection a ``ConnectionEnd`` carries its per-stream and per-direction
totals. Memory is bounded by the open connections' buffers: detection buffers,
one frame per direction, one gRPC message per open stream and direction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from wiretool.capture.model import (
    CaptureDiagnostic,
    CloseReason,
    ConnectionClosed,
    ConnectionOpened,
    Endpoint,
    Gap,
    RoleBasis,
    StreamData,
    TcpEvent,
)
from wiretool.direction import Direction
from wiretool.errors import Diagnostic, Severity
from wiretool.grpc.messages import (
    DEFAULT_MAX_MESSAGE_SIZE,
    GrpcMessage,
    GrpcRecord,
    GrpcStatus,
    GrpcTracker,
    StreamInfo,
)
from wiretool.http2.connection import DEFAULT_MAX_CONTINUATION_FRAMES, Connection
from wiretool.http2.detect import Detection, Evidence, Verdict, detect_http2
from wiretool.http2.frames import Frame, H2Diagnostic, Record, Setting
from wiretool.http2.hpack import DEFAULT_MAX_HEADER_LIST_SIZE, BlockCache
from wiretool.http2.streams import StreamStates
from wiretool.http2.summary import Summary

DETECT_LIMIT = 72 * 1024
"""Bytes per direction buffered for detection (more than an HTTP/1.1 head may take)."""

_SETTINGS_HEADER = re.compile(rb"\r?\nHTTP2-Settings:[ \t]*", re.IGNORECASE)
_REQUEST_LINE = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP/1\.[01]")


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """A TCP connection, with the roles as finally decided."""

    conn_id: int
    client: Endpoint
    server: Endpoint
    roles: RoleBasis
    """How the reassembler labelled the sides (``port`` is a guess detection may fix)."""
    time_ns: int | None
    """Capture time of the connection's first packet."""
    packet_number: int


@dataclass(frozen=True, slots=True)
class ConnectionStart:
    """The verdict on a connection: HTTP/2 (and why) or not (and why not)."""

    conn: ConnectionInfo
    http2: bool
    evidence: str | None
    """``preface``, ``h2c-upgrade``, ``server-settings``, ``frames`` or ``port`` (--port)."""
    reason: str
    swapped: bool
    """The reassembler's labels were swapped (the "server" sent the client preface)."""
    time_ns: int | None
    packet_number: int | None
    """The packet whose bytes decided."""


@dataclass(frozen=True, slots=True)
class H2cUpgrade:
    """The HTTP/1.1 upgrade before HTTP/2 (RFC 7540 §3.2): stream 1 is its request."""

    method: str
    path: str
    request_length: int
    """Octets of the request head (and body) before the client's HTTP/2 bytes."""
    response_length: int
    """Octets of the 101 response (and interim 1xx) before the server's HTTP/2 bytes."""
    settings: Frame | None
    """The ``HTTP2-Settings`` header as the client's SETTINGS (offset: the header value)."""


class Located(NamedTuple):
    """An HTTP/2 or gRPC record, with its connection and the packet that completed it.

    A ``NamedTuple`` (immutable, and built 4x faster than a frozen dataclass): a busy
    capture has one per frame.
    """

    conn: ConnectionInfo
    record: Record | GrpcRecord | H2cUpgrade
    time_ns: int | None
    packet_number: int | None


class StreamRow(NamedTuple):
    """One stream of a connection summary (``--summary``), kept compact once it closes.

    A plain tuple (no per-row dicts): a summary of 100k streams holds 100k of these,
    not 100k header dicts and counters. Rows of the same stream (a frame on a stream
    after it closed) are merged with ``merge``.
    """

    stream_id: int
    method: str | None
    path: str | None
    status: str | None
    grpc: bool
    grpc_status: int | None
    grpc_status_name: str | None
    client_frames: int
    client_data_bytes: int
    client_messages: int
    client_message_bytes: int
    server_frames: int
    server_data_bytes: int
    server_messages: int
    server_message_bytes: int
    first_ns: int | None
    last_ns: int | None
    headers_seen: bool
    """The stream's headers (or the h2c request line) were seen."""

    def merge(self, later: StreamRow) -> StreamRow:
        """This row and a later one of the same stream, as one (texts: the later's if
        it has them; counts: summed; times: the first first and the last last)."""
        return StreamRow(
            stream_id=self.stream_id,
            method=self.method if later.method is None else later.method,
            path=self.path if later.path is None else later.path,
            status=self.status if later.status is None else later.status,
            grpc=self.grpc or later.grpc,
            grpc_status=(self.grpc_status if later.grpc_status_name is None
                         and later.grpc_status is None else later.grpc_status),
            grpc_status_name=(self.grpc_status_name if later.grpc_status_name is None
                              else later.grpc_status_name),
            client_frames=self.client_frames + later.client_frames,
            client_data_bytes=self.client_data_bytes + later.client_data_bytes,
            client_messages=self.client_messages + later.client_messages,
            client_message_bytes=self.client_message_bytes + later.client_message_bytes,
            server_frames=self.server_frames + later.server_frames,
            server_data_bytes=self.server_data_bytes + later.server_data_bytes,
            server_messages=self.server_messages + later.server_messages,
            server_message_bytes=self.server_message_bytes + later.server_message_bytes,
            first_ns=self.first_ns if self.first_ns is not None else later.first_ns,
            last_ns=self.last_ns if later.last_ns is None else later.last_ns,
            headers_seen=self.headers_seen or later.headers_seen,
        )


@dataclass(slots=True)
class _StreamCounts:
    """What the summary counts for one open stream (both directions)."""

    frames: list[int] = field(default_factory=lambda: [0, 0])
    data_bytes: list[int] = field(default_factory=lambda: [0, 0])
    first_ns: int | None = None
    last_ns: int | None = None


@dataclass(frozen=True, slots=True)
class ConnectionEnd:
    """A connection is over: its totals (HTTP/2 connections) or just the verdict."""

    conn: ConnectionInfo
    http2: bool
    reason: str
    """Why it was not HTTP/2, or how it closed (``fin``, ``rst``, ``end-of-capture``...)."""
    time_ns: int | None
    summary: Summary | None
    """Totals per direction (``--summary`` only)."""
    rows: tuple[StreamRow, ...]
    """One row per stream, by stream id (``--summary`` only)."""
    client_bytes: int
    server_bytes: int
    evidence: str | None = None
    frames: int = 0
    """Frames of the connection, both directions."""
    messages: int = 0
    """gRPC messages of the connection, both directions."""


SessionRecord = ConnectionStart | Located | ConnectionEnd | CaptureDiagnostic


@dataclass
class _Conn:
    info: ConnectionInfo
    forced: bool
    state: str = "detect"
    """``detect``, ``http2`` or ``skip``."""
    pending: list[StreamData | Gap] = field(default_factory=list)
    heads: dict[Direction, bytearray] = field(
        default_factory=lambda: {Direction.CLIENT: bytearray(), Direction.SERVER: bytearray()})
    head_done: dict[Direction, bool] = field(
        default_factory=lambda: {Direction.CLIENT: False, Direction.SERVER: False})
    swapped: bool = False
    starts: dict[str, int] = field(default_factory=dict)
    connection: Connection | None = None
    tracker: GrpcTracker | None = None
    summary: Summary | None = None
    """Only with ``--summary``: direction totals."""
    counts: dict[int, _StreamCounts] = field(default_factory=dict)
    """Only with ``--summary``: counts of the open streams."""
    rows: list[StreamRow] = field(default_factory=list)
    """Only with ``--summary``: rows of the closed streams, in closing order."""
    strings: dict[str, str] = field(default_factory=dict)
    """Shared copies of the methods, paths and statuses of the rows (they repeat)."""
    states: StreamStates = field(default_factory=StreamStates)
    frames: int = 0
    messages: int = 0
    reason: str = ""
    evidence: str | None = None


class CaptureSession:
    """Capture events in, connection verdicts and located HTTP/2 + gRPC records out."""

    def __init__(
        self,
        *,
        ports: tuple[int, ...] = (),
        max_header_list_size: int = DEFAULT_MAX_HEADER_LIST_SIZE,
        schema: object | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_continuation_frames: int = DEFAULT_MAX_CONTINUATION_FRAMES,
        summary: bool = False,
        block_cache: BlockCache | None = None,
    ) -> None:
        """``ports``: connections with one of these ports are HTTP/2, detected or not.
        ``summary``: keep the per-direction totals and one compact row per stream for
        ``ConnectionEnd``; without it nothing is kept for a stream once it closes.
        ``block_cache``: the HPACK decodings every connection shares (default:
        ``hpack.SHARED_BLOCK_CACHE``)."""
        self.block_cache = block_cache
        self.ports = ports
        self.summary = summary
        self.max_continuation_frames = max_continuation_frames
        self.max_header_list_size = max_header_list_size
        self.schema = schema
        self.max_message_size = max_message_size
        self._conns: dict[int, _Conn] = {}

    # -- events ------------------------------------------------------------------------

    def feed(self, event: TcpEvent) -> list[SessionRecord]:
        if isinstance(event, CaptureDiagnostic):
            return [event]
        if isinstance(event, ConnectionOpened):
            self._open(event)
            return []
        conn = self._conns.get(event.conn_id)
        if conn is None:
            return []
        if isinstance(event, ConnectionClosed):
            return self._close(conn, event)
        if conn.state == "skip":
            return []
        if conn.state == "http2":
            return self._deliver(conn, event)
        return self._detect(conn, event)

    def close(self) -> list[SessionRecord]:
        """End of the capture: every connection still open ends."""
        out: list[SessionRecord] = []
        for conn in list(self._conns.values()):
            out += self._close(conn, None)
        return out

    def _open(self, event: ConnectionOpened) -> None:
        info = ConnectionInfo(event.conn_id, event.client, event.server, event.roles,
                              event.time_ns, event.packet_number)
        forced = bool(self.ports) and (event.client.port in self.ports
                                       or event.server.port in self.ports)
        conn = _Conn(info, forced)
        if self.summary:
            conn.summary = Summary(per_stream=False)
        if forced and event.roles is RoleBasis.PORT and event.client.port in self.ports \
                and event.server.port not in self.ports:
            conn.swapped = True  # --port names the server's port
        self._conns[event.conn_id] = conn

    # -- detection ---------------------------------------------------------------------

    def _detect(self, conn: _Conn, event: StreamData | Gap) -> list[SessionRecord]:
        conn.pending.append(event)
        head = conn.heads[event.direction]
        if isinstance(event, Gap):
            conn.head_done[event.direction] = True
        elif not conn.head_done[event.direction]:
            room = DETECT_LIMIT - len(head)
            head += event.data[:room]
            if len(head) >= DETECT_LIMIT:
                conn.head_done[event.direction] = True
        detection = self._ask(conn, final=False)
        if detection.verdict is Verdict.NEED_MORE:
            return []
        if (detection.evidence is Evidence.SERVER_SETTINGS and not detection.swapped
                and not conn.heads[Direction.CLIENT] and not conn.head_done[Direction.CLIENT]):
            # A server may send its SETTINGS before the client says anything (grpc-core
            # does); wait for the client's first bytes, which may be HTTP/1.1 - or the
            # preface, the stronger evidence.
            return []
        return self._decide(conn, detection, event)

    def _ask(self, conn: _Conn, *, final: bool) -> Detection:
        client, server = conn.heads[Direction.CLIENT], conn.heads[Direction.SERVER]
        return detect_http2(
            bytes(client), bytes(server),
            client_done=final or conn.head_done[Direction.CLIENT],
            server_done=final or conn.head_done[Direction.SERVER],
            roles_certain=conn.info.roles is not RoleBasis.PORT or conn.swapped,
        )

    def _decide(self, conn: _Conn, detection: Detection,
                event: StreamData | Gap | None) -> list[SessionRecord]:
        time_ns = event.time_ns if isinstance(event, StreamData) else None
        packet = event.packet_number if event is not None else None
        pending, conn.pending = conn.pending, []
        heads = conn.heads
        conn.heads = {Direction.CLIENT: bytearray(), Direction.SERVER: bytearray()}
        if detection.verdict is not Verdict.HTTP2 and not conn.forced:
            conn.state = "skip"
            conn.reason = detection.reason or "not HTTP/2"
            return [ConnectionStart(conn.info, False, None, conn.reason, False, time_ns, packet)]
        conn.state = "http2"
        resync = detection.verdict is not Verdict.HTTP2
        if detection.verdict is Verdict.HTTP2:
            conn.swapped = conn.swapped != detection.swapped
            conn.evidence = detection.evidence.value if detection.evidence else None
            conn.reason = detection.reason
            starts = {"client": detection.client_start or 0,
                      "server": detection.server_start or 0}
        else:
            conn.evidence = "port"
            conn.reason = (f"--port {', '.join(map(str, self.ports))} (detection: "
                           f"{detection.reason or 'undecided'})")
            starts = {"client": 0, "server": 0}
        if conn.swapped:
            info = conn.info
            conn.info = replace(info, client=info.server, server=info.client)
        conn.starts = starts
        conn.connection = Connection(max_header_list_size=self.max_header_list_size,
                                     both_directions=True,
                                     max_continuation_frames=self.max_continuation_frames,
                                     block_cache=self.block_cache)
        conn.tracker = GrpcTracker(schema=self.schema,  # type: ignore[arg-type]
                                   max_message_size=self.max_message_size)
        for direction, start in starts.items():
            conn.connection.begin(direction, start)
            if resync:
                conn.connection.gap(direction, 0)  # mid-stream: find a frame boundary
        out: list[SessionRecord] = [ConnectionStart(conn.info, True, conn.evidence, conn.reason,
                                                    conn.swapped, time_ns, packet)]
        if detection.evidence is not None and detection.evidence.value == "h2c-upgrade":
            client_head = heads[Direction.SERVER if conn.swapped else Direction.CLIENT]
            out.append(self._upgrade(conn, detection, bytes(client_head), time_ns, packet))
        for diag in detection.diagnostics:
            out.append(Located(conn.info, H2Diagnostic(diag.offset, diag.severity, diag.message,
                                                       diag.length, None, "client"),
                               time_ns, packet))
        for item in pending:
            out += self._deliver(conn, item)
        return out

    def _upgrade(self, conn: _Conn, detection: Detection, head: bytes, time_ns: int | None,
                 packet: int | None) -> Located:
        assert conn.connection is not None and conn.tracker is not None
        line = _REQUEST_LINE.match(head)
        method, path = ((line.group(1).decode("latin-1"), line.group(2).decode("latin-1"))
                        if line else ("?", "?"))
        conn.tracker.request_line(1, method, path)
        settings: Frame | None = None
        if detection.upgrade_settings is not None:
            found = _SETTINGS_HEADER.search(head)
            offset = found.end() if found else 0
            settings = conn.connection.upgrade_settings(detection.upgrade_settings, offset)
        upgrade = H2cUpgrade(method, path, detection.client_start or 0,
                             detection.server_start or 0, settings)
        return Located(conn.info, upgrade, time_ns, packet)

    # -- HTTP/2 ------------------------------------------------------------------------

    def _deliver(self, conn: _Conn, event: StreamData | Gap) -> list[SessionRecord]:
        assert conn.connection is not None and conn.tracker is not None
        direction = event.direction.peer if conn.swapped else event.direction
        label = direction.value
        start = conn.starts.get(label, 0)
        if isinstance(event, Gap):
            if event.stream_offset + event.length <= start:
                return []
            conn.tracker.gap(label)
            records = conn.connection.gap(label, event.length)
            return [Located(conn.info, r, None, event.packet_number) for r in records]
        data = event.data
        if event.stream_offset < start:
            data = data[start - event.stream_offset:]
            if not data:
                return []
        out: list[SessionRecord] = []
        for record in conn.connection.feed(label, data):
            self._located(out, conn, record, event.time_ns, event.packet_number)
        return out

    def _located(self, out: list[SessionRecord], conn: _Conn, record: Record,
                 time_ns: int | None, packet: int | None) -> None:
        """Append ``record`` located, and what it completes (gRPC messages, status)."""
        assert conn.tracker is not None
        out.append(Located(conn.info, record, time_ns, packet))
        if isinstance(record, Frame):
            conn.frames += 1
            if conn.summary is not None:
                conn.summary.add(record)
                if record.stream_id:
                    self._count(conn, record, time_ns)
            for grpc in conn.tracker.frame(record):
                if isinstance(grpc, GrpcMessage):
                    conn.messages += 1
                out.append(Located(conn.info, grpc, time_ns, packet))
            for stream_id in conn.states.frame(record):
                self._closed(conn, stream_id)

    @staticmethod
    def _count(conn: _Conn, frame: Frame, time_ns: int | None) -> None:
        counts = conn.counts.get(frame.stream_id)
        if counts is None:
            counts = conn.counts[frame.stream_id] = _StreamCounts()
        side = 1 if frame.direction == "server" else 0
        counts.frames[side] += 1
        counts.data_bytes[side] += frame.data_length or 0
        if counts.first_ns is None:
            counts.first_ns = time_ns
        counts.last_ns = time_ns if time_ns is not None else counts.last_ns

    def _closed(self, conn: _Conn, stream_id: int) -> None:
        """A stream closed: forget it; with ``--summary``, keep its compact row."""
        assert conn.tracker is not None
        info = conn.tracker.forget(stream_id)
        counts = conn.counts.pop(stream_id, None)
        if conn.summary is None or (info is None and counts is None):
            return
        conn.rows.append(_row(conn, stream_id, info, counts))

    def _close(self, conn: _Conn, event: ConnectionClosed | None) -> list[SessionRecord]:
        out: list[SessionRecord] = []
        if conn.state == "detect":
            detection = self._ask(conn, final=True)
            out += self._decide(conn, detection, None)
        time_ns = event.time_ns if event is not None else None
        if conn.state == "http2" and conn.connection is not None:
            for record in conn.connection.close():
                self._located(out, conn, record, time_ns,
                              event.packet_number if event is not None else None)
        del self._conns[conn.info.conn_id]
        client_bytes = event.client_bytes if event is not None else 0
        server_bytes = event.server_bytes if event is not None else 0
        if conn.swapped:
            client_bytes, server_bytes = server_bytes, client_bytes
        reason = (conn.reason if conn.state == "skip"
                  else (event.reason.value if event is not None
                        else CloseReason.END_OF_CAPTURE.value))
        http2 = conn.state == "http2"
        rows: tuple[StreamRow, ...] = ()
        if http2 and conn.summary is not None and conn.tracker is not None:
            for stream_id in sorted(set(conn.tracker.streams) | set(conn.counts)):
                self._closed(conn, stream_id)  # still open at the end
            rows = _merged(conn.rows)
            conn.rows = []
        out.append(ConnectionEnd(
            conn.info, http2, reason, time_ns, conn.summary if http2 else None, rows,
            client_bytes, server_bytes, conn.evidence, conn.frames, conn.messages))
        return out


def _row(conn: _Conn, stream_id: int, info: StreamInfo | None,
         counts: _StreamCounts | None) -> StreamRow:
    def shared(text: str | None) -> str | None:
        return None if text is None else conn.strings.setdefault(text, text)

    frames = counts.frames if counts else [0, 0]
    data = counts.data_bytes if counts else [0, 0]
    messages = info.messages if info else {}
    message_bytes = info.message_bytes if info else {}
    return StreamRow(
        stream_id, shared(info.method if info else None), shared(info.path if info else None),
        shared(info.status if info else None), bool(info and info.grpc),
        info.grpc_status if info else None, info.grpc_status_name if info else None,
        frames[0], data[0], messages.get("client", 0), message_bytes.get("client", 0),
        frames[1], data[1], messages.get("server", 0), message_bytes.get("server", 0),
        counts.first_ns if counts else None, counts.last_ns if counts else None,
        info is not None)


def _merged(rows: list[StreamRow]) -> tuple[StreamRow, ...]:
    """Rows by stream id, the rows of one stream merged (stream 0 has none)."""
    out: list[StreamRow] = []
    rows.sort(key=lambda row: row.stream_id)  # stable: a stream's rows stay in order
    for row in rows:
        if row.stream_id == 0:
            continue
        if out and out[-1].stream_id == row.stream_id:
            out[-1] = out[-1].merge(row)
        else:
            out.append(row)
    return tuple(out)


def record_diagnostics(record: Record | GrpcRecord | H2cUpgrade) -> list[Diagnostic]:
    """Every diagnostic a record carries (a frame's, its header block's, a message's)."""
    if isinstance(record, Frame):
        found = list(record.diagnostics)
        if record.header_block is not None:
            found += record.header_block.diagnostics
        return found
    if isinstance(record, GrpcMessage | GrpcStatus):
        return list(record.diagnostics)
    if isinstance(record, Diagnostic):
        return [record]
    return []


def has_error(records: Sequence[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in records)


def record_has_error(record: Record | GrpcRecord | H2cUpgrade) -> bool:
    """``has_error(record_diagnostics(record))``, without building a list per frame."""
    if isinstance(record, Frame):
        block = record.header_block
        return (bool(record.diagnostics) and has_error(record.diagnostics)) or (
            block is not None and bool(block.diagnostics) and has_error(block.diagnostics))
    return has_error(record_diagnostics(record))


__all__ = [
    "CaptureSession",
    "ConnectionEnd",
    "ConnectionInfo",
    "ConnectionStart",
    "H2cUpgrade",
    "Located",
    "SessionRecord",
    "Setting",
    "StreamRow",
]
