from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import Enum

from wiretool.capture.model import (
    CaptureDiagnostic,
    CloseReason,
    ConnectionClosed,
    ConnectionOpened,
    Gap,
    RoleBasis,
    StreamData,
    TcpEvent,
)
from wiretool.direction import Direction
from wiretool.http2.detect import Detection, Evidence, Verdict, detect_http2
from wiretool.http2.frames import H2Diagnostic
from wiretool.http2.hpack import BlockCache
from wiretool.session.connection import ConnectionDecoder
from wiretool.session.options import SessionOptions
from wiretool.session.records import (
    ConnectionEnd,
    ConnectionInfo,
    ConnectionStart,
    Located,
    SessionRecord,
)
from wiretool.session.summary import CaptureSummary, MethodRollup

DETECT_LIMIT = 72 * 1024
"""Bytes per direction buffered for detection (more than an HTTP/1.1 head may take)."""

_SETTINGS_HEADER = re.compile(rb"\r?\nHTTP2-Settings:[ \t]*", re.IGNORECASE)
_REQUEST_LINE = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP/1\.[01]")


class _State(Enum):
    """Where a capture connection stands."""

    DETECTING = "detecting"
    """Its first bytes are buffered until ``detect_http2`` decides."""
    HTTP2 = "http2"
    """Decoded by its ``ConnectionDecoder``."""
    SKIPPED = "skipped"
    """Not HTTP/2: its bytes are dropped."""


@dataclass
class _Conn:
    info: ConnectionInfo
    forced: bool
    """``--port`` names one of its ports."""
    state: _State = _State.DETECTING
    pending: list[StreamData | Gap] = field(default_factory=list)
    """Events held while detecting."""
    heads: dict[Direction, bytearray] = field(
        default_factory=lambda: {Direction.CLIENT: bytearray(), Direction.SERVER: bytearray()})
    head_done: dict[Direction, bool] = field(
        default_factory=lambda: {Direction.CLIENT: False, Direction.SERVER: False})
    swapped: bool = False
    starts: dict[Direction, int] = field(default_factory=dict)
    """Stream offset where HTTP/2 starts in each direction."""
    decoder: ConnectionDecoder | None = None
    reason: str = ""
    evidence: str | None = None


class CaptureSession:
    """Capture events in, connection verdicts and located HTTP/2 + gRPC records out."""

    def __init__(self, options: SessionOptions | None = None, *,
                 block_cache: BlockCache | None = None) -> None:
        """``block_cache``: the HPACK decodings every connection shares (the session
        creates it; ``None``: each connection decodes every block)."""
        self.options = options or SessionOptions()
        self.block_cache = block_cache
        self._conns: dict[int, _Conn] = {}
        self.rollup = MethodRollup() if self.options.summary else None
        """``--summary``: the calls of every connection, per method."""

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
        if conn.state is _State.HTTP2:
            return self._deliver(conn, event)
        if conn.state is _State.SKIPPED:
            return []
        return self._detect(conn, event)

    def close(self) -> list[SessionRecord]:
        """End of the capture: every connection still open ends."""
        out: list[SessionRecord] = []
        for conn in list(self._conns.values()):
            out += self._close(conn, None)
        return out

    def capture_summary(self) -> CaptureSummary:
        """``--summary``: the calls of every connection so far, per method (call after
        ``close``)."""
        return (self.rollup or MethodRollup()).record()

    def _open(self, event: ConnectionOpened) -> None:
        info = ConnectionInfo(event.conn_id, event.client, event.server, event.roles,
                              event.time_ns, event.packet_number)
        ports = self.options.ports
        forced = bool(ports) and (event.client.port in ports or event.server.port in ports)
        conn = _Conn(info, forced)
        if forced and event.roles is RoleBasis.PORT and event.client.port in ports \
                and event.server.port not in ports:
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
            conn.state = _State.SKIPPED
            conn.reason = detection.reason or "not HTTP/2"
            return [ConnectionStart(conn.info, False, None, conn.reason, False, time_ns, packet)]
        conn.state = _State.HTTP2
        resync = detection.verdict is not Verdict.HTTP2
        if detection.verdict is Verdict.HTTP2:
            conn.swapped = conn.swapped != detection.swapped
            conn.evidence = detection.evidence.value if detection.evidence else None
            conn.reason = detection.reason
            starts = {Direction.CLIENT: detection.client_start or 0,
                      Direction.SERVER: detection.server_start or 0}
        else:
            conn.evidence = "port"
            conn.reason = (f"--port {', '.join(map(str, self.options.ports))} (detection: "
                           f"{detection.reason or 'undecided'})")
            starts = {Direction.CLIENT: 0, Direction.SERVER: 0}
        if conn.swapped:
            info = conn.info
            conn.info = replace(info, client=info.server, server=info.client)
        conn.starts = starts
        decoder = conn.decoder = ConnectionDecoder(conn.info, self.options,
                                                   block_cache=self.block_cache,
                                                   rollup=self.rollup)
        for direction, start in starts.items():
            decoder.begin(direction, start, resync=resync)
        out: list[SessionRecord] = [ConnectionStart(conn.info, True, conn.evidence, conn.reason,
                                                    conn.swapped, time_ns, packet)]
        if detection.evidence is Evidence.H2C_UPGRADE:
            client_head = heads[Direction.SERVER if conn.swapped else Direction.CLIENT]
            out.append(self._upgrade(decoder, detection, bytes(client_head), time_ns, packet))
        for diag in detection.diagnostics:
            out.append(Located(conn.info, H2Diagnostic(diag.offset, diag.severity, diag.message,
                                                       diag.length, None, Direction.CLIENT),
                               time_ns, packet))
        for item in pending:
            out += self._deliver(conn, item)
        return out

    @staticmethod
    def _upgrade(decoder: ConnectionDecoder, detection: Detection, head: bytes,
                 time_ns: int | None, packet: int | None) -> Located:
        line = _REQUEST_LINE.match(head)
        method, path = ((line.group(1).decode("latin-1"), line.group(2).decode("latin-1"))
                        if line else ("?", "?"))
        found = _SETTINGS_HEADER.search(head)
        upgrade = decoder.upgrade(method, path, detection.client_start or 0,
                                  detection.server_start or 0, detection.upgrade_settings,
                                  found.end() if found else 0)
        return Located(decoder.info, upgrade, time_ns, packet)

    # -- HTTP/2 ------------------------------------------------------------------------

    def _deliver(self, conn: _Conn, event: StreamData | Gap) -> list[SessionRecord]:
        decoder = conn.decoder
        assert decoder is not None
        direction = event.direction.peer if conn.swapped else event.direction
        start = conn.starts.get(direction, 0)
        out: list[SessionRecord] = []
        if isinstance(event, Gap):
            if event.stream_offset + event.length > start:
                decoder.gap(out, direction, event.length, event.packet_number)
            return out
        data = event.data
        if event.stream_offset < start:
            data = data[start - event.stream_offset:]
            if not data:
                return out
        decoder.feed(out, direction, data, event.time_ns, event.packet_number)
        return out

    def _close(self, conn: _Conn, event: ConnectionClosed | None) -> list[SessionRecord]:
        out: list[SessionRecord] = []
        if conn.state is _State.DETECTING:
            detection = self._ask(conn, final=True)
            out += self._decide(conn, detection, None)
        time_ns = event.time_ns if event is not None else None
        del self._conns[conn.info.conn_id]
        client_bytes = event.client_bytes if event is not None else 0
        server_bytes = event.server_bytes if event is not None else 0
        if conn.swapped:
            client_bytes, server_bytes = server_bytes, client_bytes
        decoder = conn.decoder
        if conn.state is not _State.HTTP2 or decoder is None:
            out.append(ConnectionEnd(conn.info, False, conn.reason, time_ns, None, (),
                                     client_bytes, server_bytes, conn.evidence))
            return out
        decoder.close(out, time_ns, event.packet_number if event is not None else None)
        reason = (event.reason if event is not None else CloseReason.END_OF_CAPTURE).value
        out.append(decoder.end(reason, time_ns, client_bytes, server_bytes, conn.evidence))
        return out
