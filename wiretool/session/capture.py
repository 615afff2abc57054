"""A capture's TCP events in, each connection's verdict and HTTP/2 + gRPC records out.

``CaptureSession`` keeps a state per TCP connection: its first bytes are buffered
until ``wiretool.http2.detect`` decides (HTTP/2, not HTTP/2, or a CONNECT tunnel);
an HTTP/2 connection gets a ``ConnectionDecoder`` (``connection.py``) fed from where
HTTP/2 starts in each direction. A tunnel's inside is a connection of its own,
detected afresh from the byte after the proxy's answer (``tunnel.py``). The gaps of
the reassembler are passed on; its close reasons say how a connection's input
ended (a frame cut off by the end of the capture is no error). Sans-IO: ``feed``
one event, get its records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING

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
from wiretool.http2.detect import Detection, Evidence, Verdict, clean_start, detect_http2
from wiretool.http2.frames import H2Diagnostic
from wiretool.http2.hpack import BlockCache
from wiretool.session.connection import ConnectionDecoder, input_end
from wiretool.session.options import SessionOptions
from wiretool.session.records import (
    ConnectionEnd,
    ConnectionInfo,
    ConnectionStart,
    Located,
    SessionRecord,
    Tunnel,
)
from wiretool.session.summary import CaptureSummary, MethodRollup

if TYPE_CHECKING:
    from wiretool.session.tls import TlsStage
    from wiretool.tls.keylog import KeyLog

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
    origin: dict[Direction, int] = field(
        default_factory=lambda: {Direction.CLIENT: 0, Direction.SERVER: 0})
    """Stream offset where the connection's bytes begin in each (reassembler-labelled)
    direction: 0, or where a tunnel starts."""
    base: dict[Direction, int] = field(
        default_factory=lambda: {Direction.CLIENT: 0, Direction.SERVER: 0})
    """Stream offset of ``heads[d][0]``: the origin, or the end of a gap before any byte."""
    start_seen: bool = True
    """The connection's first bytes are in the capture (a handshake, no gap before them)."""
    inner: _Conn | None = None
    """The connection inside this one's CONNECT tunnel: it gets every event from then on."""
    tunnel: Tunnel | None = None
    """The CONNECT tunnel this connection carries."""
    tls: TlsStage | None = None
    """A TLS connection: its stage (``session/tls.py``) takes every event."""


class CaptureSession:
    """Capture events in, connection verdicts and located HTTP/2 + gRPC records out."""

    def __init__(self, options: SessionOptions | None = None, *,
                 block_cache: BlockCache | None = None, keys: KeyLog | None = None) -> None:
        """``block_cache``: the HPACK decodings every connection shares (the session
        creates it; ``None``: each connection decodes every block). ``keys``: TLS
        connections are decrypted with them (``session/tls.py``); ``None``: TLS is not
        looked for (a TLS connection is then one that is not HTTP/2)."""
        self.options = options or SessionOptions()
        self.block_cache = block_cache
        self.keys = keys
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
        while conn.inner is not None:  # a tunnel: its bytes are the inner connection's
            conn = conn.inner
        if conn.tls is not None:
            tunnelled = self._after_origin(conn, event)
            return [] if tunnelled is None else conn.tls.feed(tunnelled)
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
                              event.time_ns, event.packet_number, event.path)
        ports = self.options.ports
        forced = bool(ports) and (event.client.port in ports or event.server.port in ports)
        conn = _Conn(info, forced, start_seen=event.roles is not RoleBasis.PORT)
        if forced and event.roles is RoleBasis.PORT and event.client.port in ports \
                and event.server.port not in ports:
            conn.swapped = True  # --port names the server's port
        self._conns[event.conn_id] = conn

    # -- detection ---------------------------------------------------------------------

    def _detect(self, conn: _Conn, event: StreamData | Gap) -> list[SessionRecord]:
        conn.pending.append(event)
        direction = event.direction
        head = conn.heads[direction]
        base = conn.base[direction]
        if isinstance(event, Gap):
            if not head and event.stream_offset <= base < event.stream_offset + event.length:
                # Nothing seen yet: look from where the bytes resume (the lost ones may
                # be an HTTP/1.1 request before the preface, or the start of a frame).
                conn.base[direction] = event.stream_offset + event.length
                conn.start_seen = False
            elif event.stream_offset + event.length > base:
                conn.head_done[direction] = True
        elif not conn.head_done[direction]:
            skip = base - event.stream_offset
            if skip < len(event.data):
                room = DETECT_LIMIT - len(head)
                head += event.data[max(skip, 0):max(skip, 0) + room]
                if len(head) >= DETECT_LIMIT:
                    conn.head_done[direction] = True
        detection = self._ask(conn, final=False)
        started = self._tls(conn, detection, final=False)
        if started is not None:
            return started
        if detection.verdict is Verdict.NEED_MORE:
            return []
        if (detection.evidence is Evidence.SERVER_SETTINGS and not detection.swapped
                and not self._real_head(conn, Direction.CLIENT)
                and not self._done(conn, Direction.CLIENT, final=False)):
            # A server may send its SETTINGS before the client says anything (grpc-core
            # does); wait for the client's first bytes, which may be HTTP/1.1 - or the
            # preface, the stronger evidence.
            return []
        return self._decide(conn, detection, event)

    @staticmethod
    def _labelled(conn: _Conn, real: Direction) -> Direction:
        """The reassembler's label of the real ``real`` side."""
        return real.peer if conn.swapped else real

    def _real_head(self, conn: _Conn, real: Direction) -> bytearray:
        return conn.heads[self._labelled(conn, real)]

    @staticmethod
    def _done(conn: _Conn, real: Direction, *, final: bool) -> bool:
        """No more bytes of the real ``real`` side will be looked at: the input ended, its
        head is full or cut by a gap, or it is empty while the other side's head is full
        (a side that says nothing while the other sends 72 KiB is not in the capture)."""
        labelled = real.peer if conn.swapped else real
        if final or conn.head_done[labelled]:
            return True
        return not conn.heads[labelled] and len(conn.heads[labelled.peer]) >= DETECT_LIMIT

    def _ask(self, conn: _Conn, *, final: bool) -> Detection:
        """``detect_http2`` on the heads, given in the real roles when they are known."""
        client, server = Direction.CLIENT, Direction.SERVER
        return detect_http2(
            bytes(self._real_head(conn, client)), bytes(self._real_head(conn, server)),
            client_done=self._done(conn, client, final=final),
            server_done=self._done(conn, server, final=final),
            roles_certain=(conn.info.roles is not RoleBasis.PORT or conn.swapped
                           or conn.info.inside is not None),
            start_seen=conn.start_seen,
        )

    def _tls(self, conn: _Conn, detection: Detection, *, final: bool
             ) -> list[SessionRecord] | None:
        """TLS first bytes (and no HTTP/2 ones): the connection goes to a ``TlsStage``
        with what it held. ``[]`` while they may still be TLS; None when not TLS."""
        if self.keys is None or detection.verdict in (Verdict.HTTP2, Verdict.TUNNEL):
            return None
        from wiretool.tls.detect import TlsVerdict, detect_tls

        client, server = Direction.CLIENT, Direction.SERVER
        found = detect_tls(bytes(self._real_head(conn, client)),
                           bytes(self._real_head(conn, server)),
                           client_done=self._done(conn, client, final=final),
                           server_done=self._done(conn, server, final=final))
        if found.verdict is TlsVerdict.NOT_TLS:
            return None
        if found.verdict is TlsVerdict.NEED_MORE:
            return []
        from wiretool.session.tls import TlsStage  # the ciphers: loaded for TLS only

        stage = conn.tls = TlsStage(
            conn.info, found, swapped=conn.swapped, forced=conn.forced, options=self.options,
            keys=self.keys, block_cache=self.block_cache,
            detect_session=self._plain_session, origin=conn.origin, rollup=self.rollup)
        pending = [e for e in map(lambda e: self._after_origin(conn, e), conn.pending)
                   if e is not None]
        conn.pending = []
        conn.heads = {Direction.CLIENT: bytearray(), Direction.SERVER: bytearray()}
        return stage.feed_all(pending)

    def _plain_session(self) -> CaptureSession:
        """A session for a TLS connection's decrypted bytes (no TLS inside), whose calls
        join this one's per-method roll-up."""
        inner = CaptureSession(self.options, block_cache=self.block_cache)
        inner.rollup = self.rollup
        return inner

    def _decide(self, conn: _Conn, detection: Detection,
                event: StreamData | Gap | None) -> list[SessionRecord]:
        time_ns = event.time_ns if isinstance(event, StreamData) else None
        packet = event.packet_number if event is not None else None
        pending, conn.pending = conn.pending, []
        heads = conn.heads
        conn.heads = {Direction.CLIENT: bytearray(), Direction.SERVER: bytearray()}
        if detection.verdict is Verdict.TUNNEL:
            return self._tunnel(conn, detection, pending, time_ns, packet)
        if detection.verdict is not Verdict.HTTP2 and not conn.forced:
            conn.state = _State.SKIPPED
            conn.reason = detection.reason or "not HTTP/2"
            if detection.could_be_http2 and conn.info.server is not None:
                conn.reason += f"; --port {conn.info.server.port} reads it as HTTP/2"
            return [ConnectionStart(conn.info, False, None, conn.reason, False, time_ns, packet)]
        conn.state = _State.HTTP2
        resync = detection.verdict is not Verdict.HTTP2
        if detection.verdict is Verdict.HTTP2:
            conn.swapped = conn.swapped != detection.swapped
            conn.evidence = detection.evidence.value if detection.evidence else None
            conn.reason = detection.reason
            found = {Direction.CLIENT: (detection.client_start, detection.client_resync),
                     Direction.SERVER: (detection.server_start, detection.server_resync)}
            starts, resyncs = {}, {}
            for real, (start, resync_at) in found.items():
                labelled = self._labelled(conn, real)
                base, head = conn.base[labelled], heads[labelled]
                if not start and base > conn.origin[labelled] and not clean_start(bytes(head)):
                    # After a leading gap the bytes may resume inside a frame: the gap
                    # is delivered, and reading resynchronises after it.
                    starts[real], resyncs[real] = conn.origin[labelled], False
                else:
                    starts[real], resyncs[real] = base + (start or 0), resync_at
        else:
            conn.evidence = "port"
            conn.reason = (f"--port {', '.join(map(str, self.options.ports))} (detection: "
                           f"{detection.reason or 'undecided'})")
            starts = {real: conn.origin[self._labelled(conn, real)] for real in Direction}
            resyncs = {Direction.CLIENT: True, Direction.SERVER: True}
        if conn.swapped and conn.info.inside is None:
            info = conn.info
            conn.info = replace(info, client=info.server, server=info.client)
        conn.starts = starts
        decoder = conn.decoder = ConnectionDecoder(conn.info, self.options,
                                                   block_cache=self.block_cache,
                                                   rollup=self.rollup)
        for direction, start in starts.items():
            decoder.begin(direction, start, resync=resyncs[direction] or resync)
        out: list[SessionRecord] = [ConnectionStart(conn.info, True, conn.evidence, conn.reason,
                                                    conn.swapped, time_ns, packet)]
        if detection.evidence is Evidence.H2C_UPGRADE and detection.upgrade_request:
            client = self._labelled(conn, Direction.CLIENT)
            out.append(self._upgrade(decoder, detection, bytes(heads[client]),
                                     conn.base[client], time_ns, packet))
        for diag in detection.diagnostics:
            out.append(Located(conn.info, H2Diagnostic(diag.offset, diag.severity, diag.message,
                                                       diag.length, None, Direction.CLIENT),
                               time_ns, packet))
        for item in pending:
            out += self._deliver(conn, item)
        return out

    def _tunnel(self, conn: _Conn, detection: Detection, pending: list[StreamData | Gap],
                time_ns: int | None, packet: int | None) -> list[SessionRecord]:
        """A CONNECT tunnel: the connection inside it is detected afresh from the byte
        after each head, as a new connection would be, and gets every event from now."""
        conn.swapped = conn.swapped != detection.swapped
        if conn.swapped:
            info = conn.info
            conn.info = replace(info, client=info.server, server=info.client)
        conn.state = _State.SKIPPED
        conn.reason = detection.reason
        client, server = (self._labelled(conn, real) for real in Direction)
        found = conn.tunnel = Tunnel(
            detection.tunnel_target or "?", conn.base[client] + (detection.client_start or 0),
            conn.base[server] + (detection.server_start or 0), detection.tunnel_status)
        inner = conn.inner = _Conn(replace(conn.info, inside=found), conn.forced,
                                   swapped=conn.swapped)
        inner.origin = {client: found.client_start, server: found.server_start}
        inner.base = dict(inner.origin)
        out: list[SessionRecord] = [ConnectionStart(conn.info, False, None, conn.reason,
                                                    conn.swapped, time_ns, packet, found)]
        for item in pending:
            if inner.tls is not None:
                tunnelled = self._after_origin(inner, item)
                if tunnelled is not None:
                    out += inner.tls.feed(tunnelled)
            elif inner.state is _State.DETECTING:
                out += self._detect(inner, item)
            elif inner.state is _State.HTTP2:
                out += self._deliver(inner, item)
        return out

    @staticmethod
    def _upgrade(decoder: ConnectionDecoder, detection: Detection, head: bytes, base: int,
                 time_ns: int | None, packet: int | None) -> Located:
        line = _REQUEST_LINE.match(head)
        method, path = ((line.group(1).decode("latin-1"), line.group(2).decode("latin-1"))
                        if line else ("?", "?"))
        found = _SETTINGS_HEADER.search(head)
        upgrade = decoder.upgrade(method, path, detection.client_start or 0,
                                  detection.server_start or 0, detection.upgrade_settings,
                                  base + found.end() if found else 0)
        return Located(decoder.info, upgrade, time_ns, packet)

    # -- HTTP/2 ------------------------------------------------------------------------

    @staticmethod
    def _after_origin(conn: _Conn, event: StreamData | Gap) -> StreamData | Gap | None:
        """``event`` without the bytes before the connection's origin (a tunnel's inside
        begins after the CONNECT request and the proxy's answer); None when nothing is
        left."""
        origin = conn.origin[event.direction]
        if event.stream_offset >= origin:
            return event
        cut = origin - event.stream_offset
        if isinstance(event, StreamData):
            if cut >= len(event.data):
                return None
            return replace(event, stream_offset=origin, data=event.data[cut:])
        if cut >= event.length:
            return None
        return replace(event, stream_offset=origin, length=event.length - cut)

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
        if conn.inner is not None:
            out += self._close(conn.inner, event)  # the connection inside ends first
        if conn.state is _State.DETECTING and conn.tls is None:
            detection = self._ask(conn, final=True)
            started = self._tls(conn, detection, final=True)
            if started is not None:
                out += started
            else:
                out += self._decide(conn, detection, None)
                if conn.inner is not None:  # a tunnel found at the very end
                    out += self._close(conn.inner, event)
        if conn.tls is not None:
            if self._conns.get(conn.info.conn_id) is conn:
                del self._conns[conn.info.conn_id]
            if event is not None:  # the bytes of the TLS stream only
                event = replace(
                    event,
                    client_bytes=max(event.client_bytes - conn.origin[Direction.CLIENT], 0),
                    server_bytes=max(event.server_bytes - conn.origin[Direction.SERVER], 0))
            return out + conn.tls.close(event)
        time_ns = event.time_ns if event is not None else None
        if self._conns.get(conn.info.conn_id) is conn:
            del self._conns[conn.info.conn_id]
        client_bytes = event.client_bytes if event is not None else 0
        server_bytes = event.server_bytes if event is not None else 0
        client_bytes = max(client_bytes - conn.origin[Direction.CLIENT], 0)
        server_bytes = max(server_bytes - conn.origin[Direction.SERVER], 0)
        if conn.swapped:
            client_bytes, server_bytes = server_bytes, client_bytes
        decoder = conn.decoder
        if conn.state is not _State.HTTP2 or decoder is None:
            out.append(ConnectionEnd(conn.info, False, conn.reason, time_ns, None, (),
                                     client_bytes, server_bytes, conn.evidence,
                                     tunnel=conn.tunnel))
            return out
        reason = event.reason if event is not None else CloseReason.END_OF_CAPTURE
        decoder.close(out, time_ns, event.packet_number if event is not None else None,
                      input_end(reason))
        out.append(decoder.end(reason.value, time_ns, client_bytes, server_bytes,
                               conn.evidence))
        return out
