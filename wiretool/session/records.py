"""What ``decode_h2`` yields: connection verdicts, located HTTP/2 and gRPC records, ends.

A capture and a connection dump give the same kinds of records (a dump is a capture
of one connection whose endpoints, times and packets are unknown):

* ``ConnectionStart``: a connection's verdict — HTTP/2 (and the evidence) or not (why);
* ``Located``: one record of the HTTP/2 connection (``Preface``, ``Frame``, an
  ``H2Diagnostic``, a ``GrpcMessage``, a ``GrpcStatus``, the ``H2cUpgrade`` request),
  with its connection and the capture time and number of the packet that completed it;
* ``ConnectionEnd``: a connection is over, with its totals (``--summary``);
* ``CaptureDiagnostic``: a problem of the capture file or of TCP reassembly;
* ``CaptureSummary`` (``summary.py``): with ``--summary`` on a capture, last, the
  calls of every connection per method.

Frozen dataclasses and named tuples, read by the renderers; nothing here decodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from wiretool.capture.model import CaptureDiagnostic, Endpoint, RoleBasis
from wiretool.errors import Diagnostic, Severity
from wiretool.grpc.messages import GrpcMessage, GrpcRecord, GrpcStatus
from wiretool.http2.frames import Frame, Record
from wiretool.session.summary import CaptureSummary, StreamRow, Summary


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """A connection, with the roles as finally decided."""

    conn_id: int
    client: Endpoint | None
    """``None`` for a connection dump: its endpoints are not in the input."""
    server: Endpoint | None
    roles: RoleBasis | None
    """How the reassembler labelled the sides (``port`` is a guess detection may fix);
    ``None`` for a dump."""
    time_ns: int | None
    """Capture time of the connection's first packet."""
    packet_number: int | None

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
