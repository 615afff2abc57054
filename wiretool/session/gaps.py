"""A capture's TCP events to its records, one event at a time, one report per gap.

:class:`CaptureRecords` feeds ``follow_tcp``'s events to a :class:`CaptureSession` and
passes its records on, with one diagnostic per TCP gap (see the class). Sans-IO, like
the session: ``feed(event)`` returns the records that the event produced, so a caller
can tell which event each record came from (``jobs.py`` keys its output by it).
Filtering is ``select.py``'s; rendering is left to ``wiretool.render``.
"""

from __future__ import annotations

from wiretool.capture.model import CaptureDiagnostic, Gap, TcpEvent
from wiretool.errors import Diagnostic
from wiretool.http2.connection import GapDiagnostic
from wiretool.session.capture import CaptureSession
from wiretool.session.records import ConnectionEnd, ConnectionStart, Located, SessionRecord
from wiretool.session.summary import CaptureSummary
from wiretool.tls.model import TlsDiagnostic, TlsProblem


class CaptureRecords:
    """The session's records, with one diagnostic per TCP gap of an HTTP/2 connection.

    The reassembler reports a lost segment (``Gap`` then a ``CaptureDiagnostic``) and
    the HTTP/2 layer reports it again (``GapDiagnostic``: same packet, plus what the
    reader dropped and where it resumes), or the TLS layer of a TLS connection (a
    ``TlsDiagnostic`` of problem ``gap``, with the record it cut). The capture's
    diagnostic is kept only when neither speaks: a connection that is not HTTP/2 (nor
    TLS read up to that point), or bytes before HTTP/2 starts. Held back while the
    connection's verdict is pending, and for a TLS connection until it ends (its TLS
    layer may report the gap after the verdict).

    Nothing here links two connections: the records of a connection depend only on
    that connection's events, which is what lets ``jobs.py`` decode
    connections in separate processes.
    """

    def __init__(self, session: CaptureSession) -> None:
        self.session = session
        self._verdicts: dict[int, bool] = {}
        self._held: dict[int, list[CaptureDiagnostic]] = {}
        self._reported: set[tuple[int, int | None]] = set()
        self._after_gap: tuple[int, int] | None = None

    def feed(self, event: TcpEvent) -> list[SessionRecord]:
        """The records that ``event`` produced, in order."""
        if (isinstance(event, CaptureDiagnostic) and event.conn_id is not None
                and self._after_gap == (event.conn_id, event.packet_number)):
            self._after_gap = None
            key = (event.conn_id, event.packet_number)
            if key in self._reported:
                return []  # the HTTP/2 layer reported this gap, with more detail
            if self._verdicts.get(event.conn_id) is None:
                self._held.setdefault(event.conn_id, []).append(event)  # verdict pending
                return []
            return [event]
        self._after_gap = ((event.conn_id, event.packet_number) if isinstance(event, Gap)
                           else None)
        return self._passed(self.session.feed(event))

    def close(self) -> list[tuple[int, list[SessionRecord]]]:
        """End of the capture: ``(connection id, its last records)`` by connection id."""
        ends: dict[int, list[SessionRecord]] = {}
        for item in self._passed(self.session.close()):
            if isinstance(item, CaptureDiagnostic):
                conn_id = item.conn_id
            elif isinstance(item, CaptureSummary):  # the pipeline's, after these
                raise TypeError("CaptureSession.close gives no CaptureSummary")
            else:
                conn_id = item.conn.conn_id
            ends.setdefault(conn_id or 0, []).append(item)
        for conn_id, waiting in self._held.items():
            ends.setdefault(conn_id, []).extend(waiting)
        self._held = {}
        return sorted(ends.items(), key=lambda end: end[0])

    def _passed(self, items: list[SessionRecord]) -> list[SessionRecord]:
        """``items``, after each the diagnostics it releases; noting what each says."""
        out: list[SessionRecord] = []
        for item in items:
            if isinstance(item, Located):  # the commonest: checked first
                record = item.record
                if isinstance(record, Diagnostic) and (
                        isinstance(record, GapDiagnostic) or (
                            isinstance(record, TlsDiagnostic)
                            and record.problem is TlsProblem.GAP)):
                    key = (item.conn.conn_id, item.packet_number)
                    self._reported.add(key)
                    waiting = self._held.get(key[0], [])
                    self._held[key[0]] = [d for d in waiting if d.packet_number != key[1]]
            elif isinstance(item, ConnectionStart):
                self._verdicts[item.conn.conn_id] = item.http2
                if not item.http2 and item.conn.tls is None:
                    out += self._held.pop(item.conn.conn_id, [])
            elif isinstance(item, ConnectionEnd):
                conn_id = item.conn.conn_id
                out += self._held.pop(conn_id, [])
                self._verdicts.pop(conn_id, None)
                self._reported.difference_update({k for k in self._reported if k[0] == conn_id})
            out.append(item)
        return out
