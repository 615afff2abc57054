"""Test helper: a capture through the TCP layer, ``TlsConnection``, and the HTTP/2
``Connection`` + ``GrpcTracker``, glued here independently of the session (which owns
the real glue, ``wiretool.session.tls``): the library-level tests compare the TLS
events of decrypted captures with tshark's view, and the CLI tests
(``test_h2frames_*.py``) use it to know where each record is.

``decode_capture(path, keylogs)`` returns one :class:`Decoded` per TCP connection: the
TLS events, the plaintext of each direction, and, when the ALPN says HTTP/2, the
frames and gRPC messages of the decrypted streams.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

from wiretool.capture.follow import reassemble
from wiretool.capture.model import ConnectionClosed, ConnectionOpened, Gap, StreamData
from wiretool.capture.pcap import CaptureParser, read_packets
from wiretool.direction import Direction
from wiretool.grpc.messages import GrpcMessage, GrpcRecord, GrpcStatus, GrpcTracker
from wiretool.http2.connection import Connection
from wiretool.http2.frames import Frame, Record
from wiretool.tls import (
    KeyLog,
    KeyLogDiagnostic,
    TlsConnection,
    TlsDiagnostic,
    TlsEvent,
    TlsPlaintext,
    TlsPlaintextGap,
    TlsProblem,
    TlsRecord,
    TlsSummary,
)
from wiretool.tls.constants import H2_ALPN_IDS

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "tls"


@dataclass
class Decoded:
    """One TCP connection of a capture, decoded."""

    opened: ConnectionOpened
    tls: TlsConnection
    events: list[TlsEvent] = field(default_factory=list)
    h2: Connection | None = None
    grpc: GrpcTracker | None = None
    records: list[Record] = field(default_factory=list)
    grpc_records: list[GrpcRecord] = field(default_factory=list)

    @property
    def summary(self) -> TlsSummary:
        found = [e for e in self.events if isinstance(e, TlsSummary)]
        assert len(found) == 1, found
        return found[0]

    def plaintext(self, direction: Direction) -> bytes:
        return b"".join(e.data for e in self.events
                        if isinstance(e, TlsPlaintext) and e.direction is direction)

    def diagnostics(self, problem: TlsProblem | None = None) -> list[TlsDiagnostic]:
        return [e for e in self.events if isinstance(e, TlsDiagnostic)
                and (problem is None or e.problem is problem)]

    def tls_records(self) -> list[TlsRecord]:
        return [e for e in self.events if isinstance(e, TlsRecord)]

    def frames(self) -> list[Frame]:
        return [r for r in self.records if isinstance(r, Frame)]

    def grpc_messages(self) -> list[GrpcMessage]:
        return [r for r in self.grpc_records if isinstance(r, GrpcMessage)]

    def grpc_statuses(self) -> list[GrpcStatus]:
        return [r for r in self.grpc_records if isinstance(r, GrpcStatus)]

    def _plaintext_events(self, events: list[TlsEvent]) -> None:
        """Feed what TLS returned to HTTP/2 once the ALPN says h2."""
        for event in events:
            if isinstance(event, TlsSummary) and event.alpn in H2_ALPN_IDS:
                self.h2 = Connection(both_directions=True)
                self.grpc = GrpcTracker()
            if self.h2 is None or self.grpc is None:
                continue
            if isinstance(event, TlsPlaintext):
                records = self.h2.feed(event.direction.value, event.data)
            elif isinstance(event, TlsPlaintextGap):
                records = self.h2.gap(event.direction.value, event.length)
                self.grpc.gap(event.direction.value)
            else:
                continue
            self._h2_records(records)

    def _h2_records(self, records: list[Record]) -> None:
        assert self.grpc is not None
        self.records += records
        for record in records:
            if isinstance(record, Frame):
                self.grpc_records += self.grpc.frame(record)

    def add(self, events: list[TlsEvent]) -> None:
        self.events += events
        self._plaintext_events(events)

    def finish(self) -> None:
        if self.h2 is not None:
            self._h2_records(self.h2.close())


def keys_from(keylogs: list[Path]) -> tuple[KeyLog, list[KeyLogDiagnostic]]:
    keys = KeyLog()
    problems: list[KeyLogDiagnostic] = []
    for path in keylogs:
        problems += keys.add_file(path)
    return keys, problems


def decode_bytes(data: bytes, keylogs: list[Path], *, chunk_size: int = 1 << 16,
                 keys: KeyLog | None = None) -> list[Decoded]:
    if keys is None:
        keys, _problems = keys_from(keylogs)
    parser = CaptureParser(report_secrets=True)
    conns: dict[int, Decoded] = {}
    for event in reassemble(read_packets(io.BytesIO(data), chunk_size=chunk_size,
                                         parser=parser)):
        for block in parser.take_secrets():
            keys.add_secrets_block(block)
        if isinstance(event, ConnectionOpened):
            conns[event.conn_id] = Decoded(event, TlsConnection(keys))
        elif isinstance(event, StreamData):
            conn = conns[event.conn_id]
            conn.add(conn.tls.feed(event.direction, event.data))
        elif isinstance(event, Gap):
            conn = conns[event.conn_id]
            conn.add(conn.tls.gap(event.direction, event.length))
        elif isinstance(event, ConnectionClosed):
            conn = conns[event.conn_id]
            conn.add(conn.tls.close())
            conn.finish()
    return [conns[key] for key in sorted(conns)]


def decode_capture(path: Path, keylogs: list[Path] | None = None, **kwargs: int
                   ) -> list[Decoded]:
    return decode_bytes(path.read_bytes(), keylogs or [], **kwargs)


def steps_of(path: Path) -> list[list[tuple[Direction, bytes]]]:
    """Each TCP connection of a capture as the (direction, bytes) it delivered, in order."""
    from wiretool.capture import follow_tcp

    conns: dict[int, list[tuple[Direction, bytes]]] = {}
    with path.open("rb") as handle:
        for event in follow_tcp(handle):
            if isinstance(event, ConnectionOpened):
                conns[event.conn_id] = []
            elif isinstance(event, StreamData):
                conns[event.conn_id].append((event.direction, event.data))
    return [conns[key] for key in sorted(conns)]


GRPC_TLS_CALLS = {1: "Unary", 3: "ServerStream", 5: "ClientStream", 7: "Bidi", 9: "Fail"}
"""The gRPC methods of samples/tls/grpc-tls.pcap by stream (grpc_tls.py calls them so)."""


def assert_what_was_sent(got: dict[tuple[str, str], list[bytes]]) -> None:
    """The gRPC messages decoded from grpc-tls.pcap, by (method, direction), are what
    each side recorded sending (``grpc-tls.sent.json``: the bytes, or their length and
    SHA-256 for big ones)."""
    import hashlib
    import json

    sent = json.loads((SAMPLES / "grpc-tls.sent.json").read_text())
    wanted: dict[tuple[str, str], list[dict[str, object]]] = {}
    for message in sent["messages"]:
        wanted.setdefault((message["call"], message["direction"]), []).append(message)
    assert set(got) == set(wanted)
    for key, messages in wanted.items():
        assert len(got[key]) == len(messages), key
        for data, message in zip(got[key], messages, strict=True):
            if "hex" in message:
                assert data.hex() == message["hex"], key
            else:
                assert (len(data), hashlib.sha256(data).hexdigest()) == (
                    message["length"], message["sha256"]), key
