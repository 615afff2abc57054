"""What ``decode_h2`` yields: connection verdicts, located HTTP/2 and gRPC records, ends.

A capture and a connection dump give the same kinds of records (a dump is a capture
of one connection whose endpoints, times and packets are unknown):

* ``ConnectionStart``: a connection's verdict — HTTP/2 (and the evidence) or not (why);
  a TLS connection's ``ConnectionInfo`` carries what its handshake says (``tls``);
* ``Located``: one record of the HTTP/2 connection (``Preface``, ``Frame``, an
  ``H2Diagnostic``, a ``GrpcMessage``, a ``GrpcStatus``, the ``H2cUpgrade`` request,
  or a ``TlsDiagnostic`` of its TLS layer), with its connection, the capture time and
  number of the packet that completed it, and in a TLS connection the TLS record it
  came from;
* ``ConnectionEnd``: a connection is over, with its totals (``--summary``);
* ``CaptureDiagnostic``: a problem of the capture file or of TCP reassembly;
* ``CaptureSummary`` (``summary.py``): with ``--summary`` on a capture, last, the
  calls of every connection per method.

Frozen dataclasses and named tuples, read by the renderers; nothing here decodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from wiretool.capture.model import CaptureDiagnostic, Endpoint, LayerPath, RoleBasis
from wiretool.errors import Diagnostic, Severity
from wiretool.grpc.messages import GrpcMessage, GrpcRecord, GrpcStatus
from wiretool.http2.frames import Frame, Record
from wiretool.session.summary import CaptureSummary, StreamRow, Summary
from wiretool.tls.model import TlsSummary


@dataclass(frozen=True, slots=True)
class Tunnel:
    """An HTTP/1.1 CONNECT tunnel (RFC 9110 §9.3.6): once the proxy answered 2xx, the
    bytes of the TCP connection are another connection's, between the client and the
    ``target`` — HTTP/2 in clear, TLS, anything."""

    target: str
    """The request target, ``host:port`` (RFC 9110 §7.1, authority-form)."""
    client_start: int
    """Offset in the client's TCP stream where the tunnelled bytes begin (after the
    CONNECT request)."""
    server_start: int
    """Offset in the server's TCP stream where they begin (after the proxy's answer;
    0 when the answer is not in the capture)."""
    status: int | None
    """The proxy's answer (200...); ``None`` when it is not in the capture."""
    method: str = "CONNECT"

    def __str__(self) -> str:
        """``CONNECT host:port``."""
        return f"{self.method} {self.target}"


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """A connection, with the roles as finally decided."""

    conn_id: int
    """1, 2, 3 ... in the order the TCP connections start: Wireshark's ``tcp.stream``
    plus one. The connection inside a tunnel has the number of the one that carries
    it (the same TCP connection)."""
    client: Endpoint | None
    """``None`` for a connection dump: its endpoints are not in the input."""
    server: Endpoint | None
    roles: RoleBasis | None
    """How the reassembler labelled the sides (``port`` is a guess detection may fix);
    ``None`` for a dump."""
    time_ns: int | None
    """Capture time of the connection's first packet."""
    packet_number: int | None
    path: LayerPath | None = None
    """The headers its first packet's TCP segment was found under (VLAN tags, tunnels,
    IP: ``vlan 100 / ipv4 / gre / erspan-ii / eth / ipv4``); ``None`` for a dump."""
    inside: Tunnel | None = None
    """The CONNECT tunnel this connection runs in (the connection ``conn_id`` carries it);
    ``None`` for a connection of its own."""
    tls: TlsSummary | None = None
    """A TLS connection: what its handshake says and whether it is decrypted (known when
    its ``ConnectionStart`` is); ``None`` for a cleartext one."""

    def __str__(self) -> str:
        """``connection N: client → server`` (a dump: ``connection N``)."""
        if self.client is None or self.server is None:
            return f"connection {self.conn_id}"
        return f"connection {self.conn_id}: {self.client} → {self.server}"


@dataclass(frozen=True, slots=True)
class ConnectionStart:
    """The verdict on a connection: HTTP/2 (and why) or not (and why not)."""

    conn: ConnectionInfo
    http2: bool
    evidence: str | None
    """``preface``, ``h2c-upgrade``, ``server-settings``, ``frames``, ``port`` (--port) or
    ``dump`` (the input is the bytes of one connection)."""
    reason: str
    swapped: bool
    """The reassembler's labels were swapped (the "server" sent the client preface)."""
    time_ns: int | None
    packet_number: int | None
    """The packet whose bytes decided."""
    tunnel: Tunnel | None = None
    """The connection carries an HTTP/1.1 CONNECT tunnel (``http2`` is false): the
    connection inside it is announced next, with this ``Tunnel`` as its ``inside``."""


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
    tls_record_offset: int | None = None
    """A decrypted TLS connection: offset, in the TCP stream of the record's direction,
    of the TLS record holding the first byte of the frame the record belongs to (the
    frame itself; for a gRPC message or status, the frame that completed it; for a
    diagnostic outside frames, the byte at its offset). ``None`` otherwise, or when
    that byte was not decrypted (lost in a gap)."""


@dataclass(frozen=True, slots=True)
class ConnectionEnd:
    """A connection is over: its totals (HTTP/2 connections) or just the verdict."""

    conn: ConnectionInfo
    http2: bool
    reason: str
    """Why it was not HTTP/2, or how it closed (``fin``, ``rst``, ``end-of-capture``,
    ``end-of-input`` for a dump...)."""
    time_ns: int | None
    summary: Summary | None
    """Totals per direction (``--summary`` only); per stream and direction too for a dump."""
    rows: tuple[StreamRow, ...]
    """One row per stream, by stream id (``--summary`` on a capture only)."""
    client_bytes: int
    server_bytes: int
    evidence: str | None = None
    frames: int = 0
    """Frames of the connection, both directions."""
    messages: int = 0
    """gRPC messages of the connection, both directions."""
    tunnel: Tunnel | None = None
    """As ``ConnectionStart.tunnel``: the connection carried a CONNECT tunnel (whose
    inside ended just before)."""


SessionRecord = (ConnectionStart | Located | ConnectionEnd | CaptureDiagnostic
                 | CaptureSummary)
"""Everything ``decode_h2`` yields."""


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


def has_error(records: tuple[Diagnostic, ...] | list[Diagnostic]) -> bool:
    return any(d.severity is Severity.ERROR for d in records)


def record_has_error(record: Record | GrpcRecord | H2cUpgrade) -> bool:
    """``has_error(record_diagnostics(record))``, without building a list per frame."""
    if isinstance(record, Frame):
        block = record.header_block
        return (bool(record.diagnostics) and has_error(record.diagnostics)) or (
            block is not None and bool(block.diagnostics) and has_error(block.diagnostics))
    return has_error(record_diagnostics(record))
