"""TLS in a capture session: the stage between a connection's TCP bytes and HTTP/2.

A connection whose first bytes are TLS (``wiretool.tls.detect``) is handed by the
capture session (``capture.py``) to a :class:`TlsStage`, which feeds both directions
to a ``TlsConnection`` and turns what comes out into the session's records:

* the handshake summary decides the verdict (RFC 7301 ALPN, RFC 9113 §3.2): ``h2``
  (and the drafts ``h2-16``…``h2-14``) is HTTP/2 from the first decrypted byte, read by
  a ``ConnectionDecoder`` like any cleartext connection; ``http/1.1`` (``http/1.0``) is
  TLS HTTP/1.x and skipped; any other protocol, or none, goes through the session's own
  HTTP/2 detection on the decrypted bytes (an inner ``CaptureSession``, which also
  applies ``--port``). A connection that is not decrypted (no key, a suite wiretool does
  not decrypt, a capture that starts after the handshake, a wrong key) is shown with
  what the handshake says in clear and skipped; ``--port`` does not force encrypted
  bytes to be read as frames;
* decrypted bytes go to HTTP/2 with their offsets in the decrypted stream of their
  direction; every located record also names the TLS record its frame came from
  (``Located.tls_record_offset``, from a ``RecordLocator``);
* TLS diagnostics (authentication failures, alerts, gaps inside records, no key...)
  become located records with their offsets in the TCP stream; decrypted bytes lost
  with an unreadable record are a plaintext gap, which the HTTP/2 reader resynchronises
  after (its note says so, as a warning: the TLS diagnostic is the error).

The secrets come from ``keys.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from enum import Enum
from typing import TYPE_CHECKING, Protocol

from wiretool.capture.model import (
    CloseReason,
    ConnectionClosed,
    ConnectionOpened,
    Gap,
    GapReason,
    RoleBasis,
    StreamData,
    TcpEvent,
)
from wiretool.direction import Direction
from wiretool.errors import Severity
from wiretool.grpc.messages import GrpcMessage, GrpcStatus
from wiretool.http2.connection import GapDiagnostic
from wiretool.http2.frames import Frame, H2Diagnostic, Preface, Record
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
from wiretool.tls.connection import TlsConnection
from wiretool.tls.constants import H2_ALPN_IDS
from wiretool.tls.detect import TlsDetection, TlsVerdict
from wiretool.tls.keylog import KeyLog
from wiretool.tls.locate import RecordLocator
from wiretool.tls.model import (
    TlsDiagnostic,
    TlsEvent,
    TlsPlaintext,
    TlsPlaintextGap,
    TlsProblem,
    TlsSummary,
)

if TYPE_CHECKING:
    from wiretool.session.summary import MethodRollup

class PlaintextSession(Protocol):
    """What a decrypted connection goes through when its ALPN does not decide: a capture
    session without TLS (``session.capture.CaptureSession``, which makes these stages
    and passes its own maker in: this module does not import it)."""

    def feed(self, event: TcpEvent) -> list[SessionRecord]: ...

    def close(self) -> list[SessionRecord]: ...


HTTP1_ALPN_IDS = frozenset({"http/1.1", "http/1.0"})
"""ALPN ids of HTTP/1.x (RFC 7301 §6): TLS HTTP/1.x, skipped like cleartext HTTP/1.x."""
ALPN_EVIDENCE = "alpn"
"""``ConnectionStart.evidence`` of a TLS connection that ALPN says is HTTP/2."""


class _Mode(Enum):
    """What becomes of a TLS connection's decrypted bytes."""

    HANDSHAKE = "handshake"
    """No verdict yet: the handshake summary has not come."""
    HTTP2 = "http2"
    """ALPN says HTTP/2: read by the stage's ``ConnectionDecoder``."""
    DETECT = "detect"
    """Given to an inner capture session, which detects HTTP/2 as in cleartext."""
    SKIPPED = "skipped"
    """Not decrypted, or not HTTP/2: the decrypted bytes are dropped (the TLS layer is
    still read, for its diagnostics: alerts, faults, a renegotiation)."""


class TlsStage:
    """One TLS connection of a capture: its TCP events in, the session's records out."""

    def __init__(self, info: ConnectionInfo, detection: TlsDetection, *, swapped: bool,
                 forced: bool, options: SessionOptions, keys: KeyLog,
                 block_cache: BlockCache | None,
                 detect_session: Callable[[], PlaintextSession],
                 origin: dict[Direction, int] | None = None,
                 rollup: MethodRollup | None = None) -> None:
        """``info`` with the reassembler's labels, ``swapped`` what the session believes
        of them so far (``--port``); a ClientHello decides instead. ``forced``: ``--port``
        names the connection. ``detect_session``: a new capture session (without TLS) for
        the decrypted bytes when the ALPN does not decide. ``origin``: where the TLS bytes
        begin in each (reassembler-labelled) direction's TCP stream (a CONNECT tunnel's
        start); the events given start there. ``rollup``: the capture's calls per method
        (``--summary``), which this connection's calls join."""
        if detection.verdict is TlsVerdict.TLS:
            swapped = detection.swapped
        if swapped:
            info = replace(info, client=info.server, server=info.client)
        self.info = info
        self.swapped = swapped
        labelled = origin or {}
        self.origin = {d: labelled.get(d.peer if swapped else d, 0) for d in Direction}
        """Offset of the TLS stream's first byte in each real direction's TCP stream."""
        """The reassembler's labels are the other way round (the ClientHello says so)."""
        self.forced = forced
        self.options = options
        self.block_cache = block_cache
        self.rollup = rollup
        self.tls = TlsConnection(keys)
        self.locator = RecordLocator()
        self.mode = _Mode.HANDSHAKE
        self.decoder: ConnectionDecoder | None = None
        self.inner: PlaintextSession | None = None
        self._detect_session = detect_session
        self._started = False
        """The connection's ``ConnectionStart`` went out."""
        self._held: list[Located] = []
        """TLS diagnostics from before the ``ConnectionStart``."""
        self._problems: set[TlsProblem] = set()
        self._packet: int | None = None
        """The packet of the TCP event being read (``None``: the end of the capture)."""
        self.reason = ""

    # -- events ---------------------------------------------------------------------------

    def feed(self, event: StreamData | Gap) -> list[SessionRecord]:
        """The next TCP event of the connection (reassembler's labels)."""
        direction = event.direction.peer if self.swapped else event.direction
        if type(event) is StreamData:
            return self._events(self.tls.feed(direction, event.data), event.time_ns,
                                event.packet_number, event.file_offset)
        assert isinstance(event, Gap)
        return self._events(self.tls.gap(direction, event.length), None,
                            event.packet_number, 0)

    def feed_all(self, events: list[StreamData | Gap]) -> list[SessionRecord]:
        out: list[SessionRecord] = []
        for event in events:
            out += self.feed(event)
        return out

    def close(self, event: ConnectionClosed | None) -> list[SessionRecord]:
        """The connection closed (``None``: the capture ended): its last records and its
        ``ConnectionEnd``."""
        time_ns = event.time_ns if event is not None else None
        packet = event.packet_number if event is not None else None
        out = self._events(self.tls.close(), time_ns, packet, 0)
        client_bytes = event.client_bytes if event is not None else 0
        server_bytes = event.server_bytes if event is not None else 0
        if self.swapped:
            client_bytes, server_bytes = server_bytes, client_bytes
        if self.inner is not None:
            closed = (None if event is None else
                      replace(event, client_bytes=client_bytes, server_bytes=server_bytes))
            self._inner_records(out, self.inner.close() if closed is None
                                else self.inner.feed(closed))
            return out
        decoder = self.decoder
        if decoder is None:
            out.append(ConnectionEnd(self.info, False, self.reason, time_ns, None, (),
                                     client_bytes, server_bytes, None))
            return out
        start = len(out)
        decoder.close(out, time_ns, packet)
        self._relocate(out, start)
        reason = (event.reason if event is not None else CloseReason.END_OF_CAPTURE).value
        out.append(decoder.end(reason, time_ns, client_bytes, server_bytes, ALPN_EVIDENCE))
        return out

    def _events(self, events: list[TlsEvent], time_ns: int | None, packet: int | None,
                file_offset: int) -> list[SessionRecord]:
        """The records of what ``TlsConnection`` returned for one TCP event."""
        self._packet = packet
        out: list[SessionRecord] = []
        for event in events:
            kind = type(event)
            if kind is TlsPlaintext:
                assert isinstance(event, TlsPlaintext)
                self._plaintext(out, event, time_ns, packet, file_offset)
            elif kind is TlsDiagnostic:
                assert isinstance(event, TlsDiagnostic)
                self._diagnostic(out, event, time_ns, packet)
            elif kind is TlsPlaintextGap:
                assert isinstance(event, TlsPlaintextGap)
                self._plaintext_gap(out, event, packet)
            elif kind is TlsSummary:
                assert isinstance(event, TlsSummary)
                out += self._verdict(event, time_ns, packet)
            # TlsRecord, TlsHandshakeMessage: the TLS library's detail, not shown here
        return out

    def _diagnostic(self, out: list[SessionRecord], diag: TlsDiagnostic, time_ns: int | None,
                    packet: int | None) -> None:
        if diag.severity is not Severity.INFO:
            self._problems.add(diag.problem)
        if diag.direction is not None and self.origin[diag.direction]:
            diag = replace(diag, offset=diag.offset + self.origin[diag.direction])
        located = Located(self.info, diag, time_ns, packet)
        if self._started:
            out.append(located)
        else:
            self._held.append(located)

    def _plaintext(self, out: list[SessionRecord], piece: TlsPlaintext, time_ns: int | None,
                   packet: int | None, file_offset: int) -> None:
        mode = self.mode
        if mode is _Mode.HTTP2:
            decoder = self.decoder
            assert decoder is not None
            self.locator.add(piece)
            start = len(out)
            decoder.feed(out, piece.direction, piece.data, time_ns, packet)
            self._relocate(out, start)
        elif mode is _Mode.DETECT:
            assert self.inner is not None
            self.locator.add(piece)
            self._inner_records(out, self.inner.feed(StreamData(
                self.info.conn_id, piece.direction, piece.offset, piece.data, time_ns,
                packet or 0, file_offset)))

    def _plaintext_gap(self, out: list[SessionRecord], hole: TlsPlaintextGap,
                       packet: int | None) -> None:
        if self.mode is _Mode.HTTP2:
            assert self.decoder is not None
            start = len(out)
            self.decoder.gap(out, hole.direction, hole.length, packet)
            self._relocate(out, start)
        elif self.mode is _Mode.DETECT:
            assert self.inner is not None
            self._inner_records(out, self.inner.feed(Gap(
                self.info.conn_id, hole.direction, hole.offset, hole.length, packet or 0,
                GapReason.NOT_CAPTURED)))

    # -- the verdict ----------------------------------------------------------------------

    def _verdict(self, summary: TlsSummary, time_ns: int | None, packet: int | None
                 ) -> list[SessionRecord]:
        """The handshake summary came: HTTP/2, detection on the decrypted bytes, or not."""
        self.info = info = replace(self.info, tls=summary)
        alpn = summary.alpn
        if not summary.decrypted:
            self.mode = _Mode.SKIPPED
            self.reason = f"not decrypted: {self._why_not(summary)}"
            if self.forced:
                self.reason += (f"; --port {', '.join(map(str, self.options.ports))} does "
                                "not apply to encrypted bytes")
            return self._start(ConnectionStart(info, False, None, self.reason, self.swapped,
                                               time_ns, packet))
        if alpn in H2_ALPN_IDS:
            self.mode = _Mode.HTTP2
            decoder = self.decoder = ConnectionDecoder(info, self.options,
                                                       block_cache=self.block_cache,
                                                       rollup=self.rollup)
            for direction in (Direction.CLIENT, Direction.SERVER):
                decoder.begin(direction, 0)
            self.reason = f"ALPN {alpn}"
            return self._start(ConnectionStart(info, True, ALPN_EVIDENCE, self.reason,
                                               self.swapped, time_ns, packet))
        if alpn in HTTP1_ALPN_IDS and not self.forced:
            self.mode = _Mode.SKIPPED
            self.reason = f"HTTP/1.x over TLS, ALPN {alpn}"
            return self._start(ConnectionStart(info, False, None, self.reason, self.swapped,
                                               time_ns, packet))
        self.mode = _Mode.DETECT
        inner = self.inner = self._detect_session()
        client, server = info.client, info.server
        assert client is not None and server is not None
        out: list[SessionRecord] = []
        self._inner_records(out, inner.feed(ConnectionOpened(
            info.conn_id, client, server, info.time_ns, info.packet_number or 0,
            RoleBasis.SYN)))
        return out

    def _why_not(self, summary: TlsSummary) -> str:
        """Why a TLS connection is not decrypted, in a few words (its diagnostics say
        the rest, with offsets)."""
        problems = self._problems
        if TlsProblem.MIDSTREAM in problems:
            return "the capture starts after the handshake"
        if summary.version is None:
            return "no ServerHello (the handshake did not complete)"
        if TlsProblem.UNSUPPORTED in problems:
            if summary.version not in ("TLS 1.2", "TLS 1.3"):
                return f"{summary.version} is not decrypted by wiretool"
            return f"cipher suite {summary.cipher_suite} is not decrypted by wiretool"
        if TlsProblem.AUTHENTICATION_FAILED in problems:
            return "the key given does not decrypt it"
        if TlsProblem.NO_KEY in problems:
            return "no key"
        return "no protected record was decrypted"

    def _start(self, start: ConnectionStart) -> list[SessionRecord]:
        self._started = True
        return [start, *self._flush()]

    def _flush(self) -> list[SessionRecord]:
        held, self._held = self._held, []
        info = self.info
        return [Located(info, item.record, item.time_ns, item.packet_number) for item in held]

    # -- records --------------------------------------------------------------------------

    def _inner_records(self, out: list[SessionRecord], items: list[SessionRecord]) -> None:
        """The inner session's records, as this connection's (with the packet of the
        TCP event they came from: the inner events carry it, or 0 for none)."""
        for item in items:
            if type(item) is Located:
                out.append(self._located(item))
            elif isinstance(item, ConnectionStart):
                self.reason = item.reason
                if not item.http2:
                    self.mode = _Mode.SKIPPED
                out += self._start(ConnectionStart(self.info, item.http2, item.evidence,
                                                   item.reason, self.swapped, item.time_ns,
                                                   self._packet))
            elif isinstance(item, ConnectionEnd):
                out.append(replace(item, conn=self.info))
            else:
                out.append(item)

    def _relocate(self, out: list[SessionRecord], start: int) -> None:
        """The records ``out[start:]`` (of the decoder), with their TLS record offsets."""
        for index in range(start, len(out)):
            item = out[index]
            assert isinstance(item, Located)
            out[index] = self._located(item)

    def _located(self, item: Located) -> Located:
        record = item.record
        if type(record) is GapDiagnostic:
            assert isinstance(record, GapDiagnostic)
            record = _decrypted_gap(record)
        return Located(self.info, record, item.time_ns, self._packet,
                       self._record_offset(record))

    def _record_offset(self, record: object) -> int | None:
        """The TLS record of the first byte of the frame ``record`` belongs to."""
        kind = type(record)
        if kind is Frame:
            assert isinstance(record, Frame)
            direction, offset = record.direction, record.offset
        elif kind is GrpcMessage or kind is GrpcStatus:
            assert isinstance(record, GrpcMessage | GrpcStatus)
            direction, offset = record.direction, record.frame_offset
        elif kind is Preface:
            assert isinstance(record, Preface)
            direction, offset = Direction.CLIENT, record.offset
        elif isinstance(record, H2Diagnostic):
            direction, offset = record.direction, record.offset
        else:
            return None
        if direction is None:
            return None
        found = self.locator.record_offset(direction, offset)
        return None if found is None else found + self.origin[direction]


def _decrypted_gap(diag: GapDiagnostic) -> Record:
    """The HTTP/2 reader's report of a plaintext gap, said as what it is: decrypted bytes
    lost with TLS records that could not be read (the TLS diagnostic before it is the
    error; this says what HTTP/2 lost with them). Its length is an upper bound."""
    _missing, _sep, consequences = diag.message.partition("; ")
    message = (f"decrypted bytes from offset {diag.offset} on are missing (at most "
               f"{diag.length}: TLS records that could not be read, see the TLS diagnostic)")
    if consequences:
        message += f"; {consequences}"
    return GapDiagnostic(diag.offset, Severity.WARNING, message, diag.length, None,
                         diag.direction)
