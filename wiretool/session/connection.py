"""HTTP/2 and gRPC of one connection: the one place where the decoders are put together.

A ``ConnectionDecoder`` holds, for one connection, the HTTP/2 ``Connection`` (a frame
reader and an HPACK context per direction), the ``GrpcTracker`` (gRPC messages and
statuses), the ``StreamStates`` (which streams are open, so per-stream state is
dropped when a stream closes) and, with ``--summary``, the totals and the calls
(``summary.StreamRows``, which also feed the capture's per-method roll-up).
``feed`` takes the bytes of one direction and appends ``Located`` records: each
record as it is completed, followed by what it completes (gRPC messages, status).
The capture session and the connection-dump session both use it, so a dump and a
capture connection are decoded by the same code.
"""

from __future__ import annotations

from wiretool.capture.model import CloseReason
from wiretool.direction import Direction
from wiretool.grpc.messages import GrpcMessage, GrpcTracker
from wiretool.http2.connection import Connection, GapDiagnostic
from wiretool.http2.frames import Frame, H2Diagnostic, InputEnd, Record
from wiretool.http2.hpack import BlockCache
from wiretool.http2.streams import StreamStates
from wiretool.session.options import SessionOptions
from wiretool.session.records import (
    ConnectionEnd,
    ConnectionInfo,
    H2cUpgrade,
    Located,
    SessionRecord,
)
from wiretool.session.summary import MethodRollup, StreamRow, StreamRows, Summary

_INPUT_ENDS = {CloseReason.FIN: InputEnd.COMPLETE, CloseReason.RST: InputEnd.RESET,
               CloseReason.END_OF_CAPTURE: InputEnd.CAPTURE_STOPPED}


def input_end(reason: CloseReason) -> InputEnd:
    """How a capture connection that closed for ``reason`` ended, for what is cut off:
    only both FINs make the input whole; the end of the capture, a RST, a reused or
    evicted connection leave a frame cut off without fault."""
    return _INPUT_ENDS.get(reason, InputEnd.LOST)


class ConnectionDecoder:
    """Bytes of both directions of one HTTP/2 connection in, located records out."""

    def __init__(self, info: ConnectionInfo, options: SessionOptions, *,
                 block_cache: BlockCache | None, both_directions: bool = True,
                 stream_totals: bool = False, rollup: MethodRollup | None = None) -> None:
        """``both_directions``: the input holds both sides (a capture, tshark follow
        output), so each side's SETTINGS bound the other and a stream closes when
        both sides ended it. ``stream_totals`` (a dump with ``--summary``): totals per
        stream and direction rather than the calls. ``rollup``: the capture's
        per-method roll-up, which this connection's calls are added to."""
        self.info = info
        self.connection = Connection(
            max_header_list_size=options.max_header_list_size,
            both_directions=both_directions,
            max_continuation_frames=options.max_continuation_frames,
            block_cache=block_cache)
        self.tracker = GrpcTracker(schema=options.schema,
                                   max_message_size=options.max_message_size)
        self.states = StreamStates(both_directions=both_directions)
        self.summary = Summary(per_stream=stream_totals) if options.summary else None
        self.rollup = rollup
        self.rows = (StreamRows(rollup, keep_all=options.stream_rows)
                     if options.summary and not stream_totals else None)
        self.frames = 0
        self.messages = 0
        self._first_byte: dict[Direction | None, tuple[int, int | None, int | None]] = {}
        """Per direction, the offset, capture time and packet of the first byte the frame
        reader holds (a partial frame): where a frame cut off by a gap or the end began."""

    def begin(self, direction: Direction, offset: int, *, resync: bool = False) -> None:
        """HTTP/2 starts at ``offset`` of ``direction``'s stream; with ``resync``, in the
        middle of the connection (reading looks for a frame boundary)."""
        self.connection.begin(direction, offset)
        if resync:
            self.connection.gap(direction, 0)

    def upgrade(self, method: str, path: str, request_length: int, response_length: int,
                settings_payload: bytes | None, settings_offset: int) -> H2cUpgrade:
        """h2c: the HTTP/1.1 upgrade request is stream 1 (RFC 7540 §3.2), and its
        ``HTTP2-Settings`` header the client's first SETTINGS."""
        self.tracker.request_line(1, method, path)
        settings = (None if settings_payload is None
                    else self.connection.upgrade_settings(settings_payload, settings_offset))
        return H2cUpgrade(method, path, request_length, response_length, settings)

    def feed(self, out: list[SessionRecord], direction: Direction | None, data: bytes,
             time_ns: int | None, packet: int | None) -> None:
        """Bytes of ``direction`` (``None``: a one-direction dump, detected)."""
        for record in self.connection.feed(direction, data):
            self._located(out, record, time_ns, packet)
        if packet is not None and direction is not None:
            held = self.connection.held(direction)
            if held and held <= len(data):  # the partial frame starts in this packet
                self._first_byte[direction] = (self.connection.held_from(direction), time_ns,
                                               packet)

    def gap(self, out: list[SessionRecord], direction: Direction, length: int,
            packet: int | None) -> None:
        """``length`` bytes of ``direction`` were lost (not captured)."""
        _at, time_ns, first = self._first_byte.pop(direction, (0, None, packet))
        for record in self.connection.gap(direction, length):
            if isinstance(record, GapDiagnostic):
                self.tracker.gap(direction)  # after the frames read before the gap
                out.append(Located(self.info, record, None, packet))
            else:  # complete frames the gap confirmed, and where reading resumed
                self._located(out, record, time_ns, first)

    def close(self, out: list[SessionRecord], time_ns: int | None, packet: int | None,
              end: InputEnd = InputEnd.COMPLETE) -> None:
        """The input of the connection ended (``end`` says how): what the readers still
        held. A frame cut off keeps the time and packet of its first byte."""
        first_byte = self._first_byte
        for record in self.connection.close(end=end):
            held = (first_byte.get(record.direction)
                    if isinstance(record, Frame | H2Diagnostic) else None)
            if held is not None and record.offset == held[0]:
                self._located(out, record, held[1], held[2])
            else:
                self._located(out, record, time_ns, packet)
        first_byte.clear()

    def end(self, reason: str, time_ns: int | None, client_bytes: int, server_bytes: int,
            evidence: str | None) -> ConnectionEnd:
        """The ``ConnectionEnd`` record (call after ``close``)."""
        rows: tuple[StreamRow, ...] = ()
        if self.rows is not None:
            for stream_id in sorted(set(self.tracker.streams) | self.rows.open_streams):
                self._closed(stream_id)  # still open at the end
            rows = self.rows.take()
            if self.summary is not None:
                self.summary.calls = self.rows.calls
            if self.rollup is not None:
                self.rollup.connections += 1
        return ConnectionEnd(self.info, True, reason, time_ns, self.summary, rows,
                             client_bytes, server_bytes, evidence, self.frames, self.messages)

    def _located(self, out: list[SessionRecord], record: Record, time_ns: int | None,
                 packet: int | None) -> None:
        """Append ``record`` located, and what it completes (gRPC messages, status)."""
        info = self.info
        out.append(Located(info, record, time_ns, packet))
        if isinstance(record, Frame):
            self.frames += 1
            if self.summary is not None:
                self.summary.add(record)
                if self.rows is not None and record.stream_id:
                    self.rows.count(record, time_ns)
            for grpc in self.tracker.frame(record):
                if isinstance(grpc, GrpcMessage):
                    self.messages += 1
                elif self.rows is not None:
                    self.rows.grpc_message(grpc.stream_id, grpc.message)
                out.append(Located(info, grpc, time_ns, packet))
            for stream_id in self.states.frame(record):
                self._closed(stream_id)

    def _closed(self, stream_id: int) -> None:
        """A stream closed: forget it; with ``--summary``, keep its compact row."""
        info = self.tracker.forget(stream_id)
        if self.rows is not None:
            self.rows.closed(stream_id, info)
