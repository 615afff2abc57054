"""TCP reassembly: ``TcpSegment``s in, per-connection, per-direction byte streams out.

:class:`TcpReassembler` is sans-IO: ``feed(segment)`` returns the events that the
segment caused, ``close()`` flushes what is left at the end of the capture. Events
(see ``model.py``): ``ConnectionOpened``, ``StreamData`` (every stream byte is
delivered exactly once and in order), ``Gap`` (bytes that will never come;
delivery continues after them so the consumer can resynchronise),
``ConnectionClosed``, and ``CaptureDiagnostic``.

Behaviour (RFC 9293 section 3.4 for sequence numbers):

* Sequence numbers are compared modulo 2^32 relative to the next expected byte,
  so wraparound is invisible and streams may exceed 4 GiB.
* Out-of-order segments wait in a per-direction buffer bounded by
  ``max_buffer_bytes`` and ``max_buffer_segments``; overflowing it declares the
  hole a gap (``GapReason.BUFFER_LIMIT``).
* A hole is also declared as soon as the peer acknowledges bytes beyond it while
  later data is waiting: the receiver got them, so they will not be retransmitted
  and the capture simply missed them (``GapReason.NOT_CAPTURED``).
* Retransmissions and overlaps are dropped (first copy wins). Delivered bytes
  that the peer has not acknowledged yet (the last ``overlap_check_bytes`` of them
  at most) are kept to compare a retransmission with: different bytes are a
  warning. Acknowledged bytes are not kept (a sender retransmits what was not
  acknowledged; a spurious retransmission of acknowledged bytes is dropped
  unchecked), so this memory follows the bytes in flight, not the number of open
  connections.
* Connections whose SYN was not captured start at their first segment; which
  side is the client is then a guess (``RoleBasis.PORT``: lower port = server),
  flagged so the consumer can swap the labels (e.g. when ``detect.py`` finds the
  HTTP/2 client preface in the "server" direction).
* FIN from both sides, RST, or the end of the capture close a connection; data
  still missing then becomes a ``Gap`` with ``GapReason.END``. At the end of the
  capture the connections still open close in the order they started.
* Connections are numbered as Wireshark numbers ``tcp.stream`` (plus one), and
  announced in the order they start: a packet belongs to the last connection of its
  addresses and ports, open or closed, unless it is a SYN (without ACK) whose
  sequence number differs from the initial sequence number known for its sender;
  only that starts a new connection (``CloseReason.REUSED`` for an open one). The
  initial sequence number of a direction is the SYN's, or one less than the first
  sequence number seen, or one less than the first acknowledgment number the peer
  sent (Wireshark's ``base_seq``). So a SYN retransmitted or repeated with the same
  number, and packets after a RST or a FIN, stay in their connection: nothing is
  opened for them. A closed connection's later bytes that are not retransmissions
  of delivered ones are not decoded; they are counted and reported once per
  connection (a warning at the end). The last ``max_closed_connections`` closed
  connections are remembered for this; a packet of one forgotten since opens a new
  connection (and the numbers drift from Wireshark's from there).
* A lone RST (or any first packet, with or without payload) opens a connection, as
  in Wireshark; a RST closes it at once. So does a segment whose TCP header is
  broken, or a TCP header quoted in an ICMP error (``TcpSegment.header_only``),
  which are otherwise ignored.
* Memory is bounded by the open connections' buffers (``max_connections`` caps
  their number, evicting the least recently active one).

What the bytes mean (HTTP/2 or not) is left to ``detect.py`` and ``wiretool.http2``.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections import OrderedDict
from dataclasses import dataclass, field

from wiretool.capture.model import (
    CaptureDiagnostic,
    CloseReason,
    ConnectionClosed,
    ConnectionOpened,
    Endpoint,
    Gap,
    GapReason,
    RoleBasis,
    StreamData,
    TcpEvent,
    TcpFlags,
    TcpSegment,
)
from wiretool.direction import Direction
from wiretool.errors import Severity

_MOD = 1 << 32
_HALF = 1 << 31
_FIN, _SYN, _RST, _ACK = TcpFlags.FIN, TcpFlags.SYN, TcpFlags.RST, TcpFlags.ACK

DEFAULT_MAX_BUFFER_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_BUFFER_SEGMENTS = 4096
DEFAULT_MAX_CONNECTIONS = 100_000
DEFAULT_OVERLAP_CHECK_BYTES = 65_536
DEFAULT_MAX_CLOSED_CONNECTIONS = 16_384

_Key = tuple[bytes, int, bytes, int]


@dataclass(slots=True, order=True)
class _Pending:
    """An out-of-order segment waiting for the hole before it to fill."""

    offset: int
    seq_no: int  # arrival order, to keep the first copy first among equal offsets
    data: bytes = field(compare=False)
    wire_length: int = field(compare=False)
    packet_number: int = field(compare=False)
    time_ns: int | None = field(compare=False)
    file_offset: int = field(compare=False)


@dataclass(slots=True)
class _Half:
    """One direction of a connection."""

    direction: Direction
    base_seq: int | None = None
    """Sequence number of stream offset 0 (ISN + 1, or the first seen segment's)."""
    next_offset: int = 0
    pending: list[_Pending] = field(default_factory=list)
    pending_bytes: int = 0
    fin_offset: int | None = None
    acked: int | None = None
    """Highest stream offset the peer acknowledged."""
    highest: int = 0
    """End of the furthest segment seen (an ACK beyond it is bogus)."""
    tail: bytearray = field(default_factory=bytearray)
    """The last delivered bytes not yet acknowledged (at most ``overlap_check_bytes``),
    to compare retransmissions with; one contiguous window, so a comparison costs only
    the bytes compared, however small the segments were."""
    tail_start: int = 0
    """Stream offset of ``tail[0]``; ``tail`` always ends at ``next_offset``."""
    isn: int | None = None
    """Wireshark's ``base_seq`` of this direction: the SYN's sequence number, or one
    less than the first sequence number seen, or than the first acknowledgment
    number of the peer; a SYN with another number starts a new connection."""

    def offset_of(self, seq: int) -> int:
        """Stream offset of ``seq``, taken as the value nearest ``next_offset``."""
        assert self.base_seq is not None
        rel = (seq - self.base_seq) % _MOD
        return self.next_offset + ((rel - self.next_offset + _HALF) % _MOD) - _HALF

    @property
    def finished(self) -> bool:
        return self.fin_offset is not None and self.next_offset >= self.fin_offset


@dataclass(slots=True)
class _Connection:
    conn_id: int
    client_key: _Key
    client: _Half
    server: _Half

    def half(self, direction: Direction) -> _Half:
        return self.client if direction is Direction.CLIENT else self.server


@dataclass(slots=True)
class _Closed:
    """What is remembered of a closed connection: enough to number its later packets
    and to tell retransmissions from bytes that came after the close."""

    conn_id: int
    client_key: _Key
    reason: CloseReason
    isn: tuple[int | None, int | None]
    """Client's and server's ``_Half.isn``."""
    next_seq: tuple[int | None, int | None]
    """Sequence number after the last byte delivered, per direction (None: none seen)."""
    late_packets: int = 0
    """Packets with bytes after the close (not retransmissions)."""
    late_bytes: int = 0
    late_packet_number: int = 0
    late_offset: int = 0


def _next_seq(half: _Half) -> int | None:
    return None if half.base_seq is None else (half.base_seq + half.next_offset) % _MOD


def _endpoint(ip: bytes, port: int) -> Endpoint:
    return Endpoint(ipaddress.ip_address(ip), port)


class TcpReassembler:
    """Sans-IO TCP reassembler; see the module docstring for the rules."""

    def __init__(
        self,
        *,
        max_buffer_bytes: int = DEFAULT_MAX_BUFFER_BYTES,
        max_buffer_segments: int = DEFAULT_MAX_BUFFER_SEGMENTS,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        overlap_check_bytes: int = DEFAULT_OVERLAP_CHECK_BYTES,
        max_closed_connections: int = DEFAULT_MAX_CLOSED_CONNECTIONS,
    ) -> None:
        self.max_closed_connections = max_closed_connections
        self.max_buffer_bytes = max_buffer_bytes
        self.max_buffer_segments = max_buffer_segments
        self.max_connections = max_connections
        self.overlap_check_bytes = overlap_check_bytes
        self._conns: OrderedDict[_Key, _Connection] = OrderedDict()  # by client key, LRU
        self._closed: OrderedDict[_Key, _Closed] = OrderedDict()  # by client key
        self._next_id = 0
        self._arrivals = 0
        self._last_packet = 0
        self._last_offset = 0

    # -- public -------------------------------------------------------------------

    def feed(self, seg: TcpSegment) -> list[TcpEvent]:
        """Account for one segment; return the events it causes, in order."""
        out: list[TcpEvent] = []
        self._last_packet = seg.packet_number
        self._last_offset = seg.payload_offset
        key: _Key = (seg.src_ip, seg.src_port, seg.dst_ip, seg.dst_port)
        rkey: _Key = (seg.dst_ip, seg.dst_port, seg.src_ip, seg.src_port)
        conn = self._conns.get(key)
        direction = Direction.CLIENT
        if conn is None:
            conn = self._conns.get(rkey)
            direction = Direction.SERVER
        flags = seg.flags
        syn = flags & (_SYN | _ACK) == _SYN
        if conn is not None:
            self._conns.move_to_end(conn.client_key)
            isn = conn.half(direction).isn
            if syn and isn is not None and seg.seq != isn:
                # A fresh SYN with another ISN: the addresses and ports were reused.
                self._close(conn, CloseReason.REUSED, seg, out)
                conn = None
        else:
            closed = self._closed.get(key)
            sender = 0
            if closed is None:
                closed = self._closed.get(rkey)
                sender = 1
            if closed is not None:
                if closed.client_key != key:
                    sender = 1
                isn = closed.isn[sender]
                if not (syn and isn is not None and seg.seq != isn):
                    if not seg.header_only:
                        self._after_close(closed, sender, seg)  # still that connection
                    return out
        if conn is None:
            conn, direction = self._open(seg, key, rkey, out)
        if seg.header_only:
            return out  # numbered, nothing else (a broken or quoted header)
        self._segment(conn, direction, seg, out)
        if conn.client.finished and conn.server.finished:
            self._close(conn, CloseReason.FIN, seg, out)
        elif flags & _RST:
            self._close(conn, CloseReason.RST, seg, out)
        return out

    def close(self) -> list[TcpEvent]:
        """End of capture: flush every open connection (missing data becomes gaps),
        then report the bytes that came after their connection closed."""
        out: list[TcpEvent] = []
        # In the order they started (not of last activity), as they are numbered.
        for conn in sorted(self._conns.values(), key=lambda conn: conn.conn_id):
            self._close(conn, CloseReason.END_OF_CAPTURE, None, out)
        late = sorted((c for c in self._closed.values() if c.late_packets),
                      key=lambda c: c.conn_id)
        out.extend(self._late_report(closed) for closed in late)
        self._closed.clear()
        return out

    def _after_close(self, closed: _Closed, sender: int, seg: TcpSegment) -> None:
        """A packet of a connection that is closed: count bytes that are not a
        retransmission of delivered ones."""
        length = seg.payload_length
        if not length:
            return  # trailing ACKs, FINs and RSTs, repeated SYNs: nothing lost
        start = (seg.seq + 1) % _MOD if seg.flags & _SYN else seg.seq
        next_seq = closed.next_seq[sender]
        if next_seq is not None and ((start + length - next_seq + _HALF) % _MOD) - _HALF <= 0:
            return  # a late retransmission of bytes already delivered
        if not closed.late_packets:
            closed.late_packet_number = seg.packet_number
            closed.late_offset = seg.payload_offset
        closed.late_packets += 1
        closed.late_bytes += length

    @staticmethod
    def _late_report(closed: _Closed) -> CaptureDiagnostic:
        packets = f"{closed.late_packets:,} packet" + ("s" if closed.late_packets > 1 else "")
        return CaptureDiagnostic(
            closed.late_offset, Severity.WARNING,
            f"connection {closed.conn_id}: {packets} with {closed.late_bytes:,} bytes after "
            f"the connection closed ({closed.reason}), not decoded (first: packet "
            f"{closed.late_packet_number})", 0, closed.late_packet_number, closed.conn_id)

    # -- connections --------------------------------------------------------------

    def _open(self, seg: TcpSegment, key: _Key, rkey: _Key, out: list[TcpEvent]
              ) -> tuple[_Connection, Direction]:
        flags = seg.flags
        if flags & _SYN and not flags & _ACK:
            basis, sender_is_client = RoleBasis.SYN, True
        elif flags & _SYN:
            basis, sender_is_client = RoleBasis.SYN_ACK, False
        else:
            # No handshake: lower port is the server (ties: the receiver). A guess.
            basis, sender_is_client = RoleBasis.PORT, seg.src_port > seg.dst_port
            if seg.src_port == seg.dst_port:
                sender_is_client = True
        client_key = key if sender_is_client else rkey
        self._next_id += 1
        conn = _Connection(self._next_id, client_key, _Half(Direction.CLIENT),
                           _Half(Direction.SERVER))
        if len(self._conns) >= self.max_connections:
            victim = next(iter(self._conns.values()))
            out.append(self._note(seg, f"more than {self.max_connections} open connections; "
                                  f"evicting connection {victim.conn_id}", victim.conn_id,
                                  Severity.WARNING))
            self._close(victim, CloseReason.EVICTED, seg, out)
        self._conns[client_key] = conn
        for old_key in (key, rkey):  # a new SYN replaces the closed connection
            old = self._closed.pop(old_key, None)
            if old is not None and old.late_packets:
                out.append(self._late_report(old))
        client = _endpoint(client_key[0], client_key[1])
        server = _endpoint(client_key[2], client_key[3])
        out.append(ConnectionOpened(conn.conn_id, client, server, seg.time_ns,
                                    seg.packet_number, basis, seg.path))
        return conn, Direction.CLIENT if sender_is_client else Direction.SERVER

    def _close(self, conn: _Connection, reason: CloseReason, seg: TcpSegment | None,
               out: list[TcpEvent]) -> None:
        number = seg.packet_number if seg is not None else None
        for half in (conn.client, conn.server):
            self._flush(conn, half, number or self._last_packet, out)
        out.append(ConnectionClosed(conn.conn_id, reason, seg.time_ns if seg else None,
                                    number, conn.client.next_offset, conn.server.next_offset))
        self._conns.pop(conn.client_key, None)
        self._closed[conn.client_key] = _Closed(
            conn.conn_id, conn.client_key, reason, (conn.client.isn, conn.server.isn),
            (_next_seq(conn.client), _next_seq(conn.server)))
        if len(self._closed) > self.max_closed_connections:
            _key, forgotten = self._closed.popitem(last=False)
            if forgotten.late_packets:
                out.append(self._late_report(forgotten))

    # -- one direction ------------------------------------------------------------

    def _segment(self, conn: _Connection, direction: Direction, seg: TcpSegment,
                 out: list[TcpEvent]) -> None:
        half = conn.half(direction)
        flags = seg.flags
        if half.isn is None:  # Wireshark's base_seq (the peer's: in ``_ack``)
            half.isn = seg.seq if flags & _SYN else (seg.seq - 1) % _MOD
        if flags & _SYN:
            isn_next = (seg.seq + 1) % _MOD
            if half.base_seq is None:
                half.base_seq = isn_next
            seq = isn_next  # SYN occupies one sequence number; data (TFO) follows it
        else:
            seq = seg.seq
            if half.base_seq is None:
                half.base_seq = seq  # SYN not captured: this segment is offset 0
        if flags & _ACK:
            self._ack(conn, direction.peer, seg, out)
        offset = half.offset_of(seq)
        end = offset + seg.payload_length
        if end > half.highest:
            half.highest = end
        if flags & _FIN:
            fin = offset + seg.payload_length
            if half.fin_offset is None or fin < half.fin_offset:
                half.fin_offset = fin
        if seg.payload_length:
            self._data(conn, half, offset, seg, out)

    def _ack(self, conn: _Connection, direction: Direction, seg: TcpSegment,
             out: list[TcpEvent]) -> None:
        """The peer acknowledged ``seg.ack`` of ``direction``'s stream."""
        half = conn.half(direction)
        if half.isn is None:  # Wireshark: the first ACK number seen, less one
            half.isn = (seg.ack - 1) % _MOD
        if half.base_seq is None:
            return
        acked = half.offset_of(seg.ack)
        if half.fin_offset is not None and acked > half.fin_offset:
            acked = half.fin_offset  # the FIN's own sequence number
        if acked > half.highest:
            return  # acknowledges bytes never sent (RFC 9293 3.10.7.4): not evidence
        if half.acked is None or acked > half.acked:
            half.acked = acked
            drop = min(acked - half.tail_start, len(half.tail))
            if drop > 0:  # acknowledged: not compared with retransmissions any more
                del half.tail[:drop]
                half.tail_start += drop
        if half.pending and half.pending[0].offset <= half.acked:
            self._gap_to_pending(conn, half, seg.packet_number, GapReason.NOT_CAPTURED, out)
        if (not half.pending and half.fin_offset is not None
                and half.next_offset < half.fin_offset <= half.acked):
            self._gap_to_fin(conn, half, seg.packet_number, GapReason.NOT_CAPTURED, out)

    def _data(self, conn: _Connection, half: _Half, offset: int, seg: TcpSegment,
              out: list[TcpEvent]) -> None:
        self._arrivals += 1
        item = _Pending(offset, self._arrivals, seg.payload, seg.payload_length,
                        seg.packet_number, seg.time_ns, seg.payload_offset)
        if offset <= half.next_offset:
            self._deliver(conn, half, item, out)
            self._drain(conn, half, out)
            return
        ahead = offset - half.next_offset
        if ahead > self.max_buffer_bytes:
            out.append(self._note(seg, f"{half.direction} sequence number jumps {ahead} bytes "
                                  f"ahead of the next expected byte (stream offset "
                                  f"{half.next_offset})", conn.conn_id, Severity.WARNING))
        bisect.insort(half.pending, item)
        half.pending_bytes += len(item.data)
        if half.acked is not None and offset <= half.acked:
            self._gap_to_pending(conn, half, seg.packet_number, GapReason.NOT_CAPTURED, out)
        elif (half.pending_bytes > self.max_buffer_bytes
              or len(half.pending) > self.max_buffer_segments):
            out.append(self._note(seg, f"{half.direction} data waiting for a missing segment "
                                  f"exceeds the buffer limit ({half.pending_bytes} bytes in "
                                  f"{len(half.pending)} segments)", conn.conn_id,
                                  Severity.WARNING))
            self._gap_to_pending(conn, half, seg.packet_number, GapReason.BUFFER_LIMIT, out)

    def _gap_to_pending(self, conn: _Connection, half: _Half, packet_number: int,
                        reason: GapReason, out: list[TcpEvent]) -> None:
        """Declare the hole before the first waiting segment lost; deliver what follows."""
        first = half.pending[0].offset
        if first > half.next_offset:
            out.append(Gap(conn.conn_id, half.direction, half.next_offset,
                           first - half.next_offset, packet_number, reason))
            out.append(CaptureDiagnostic(
                half.pending[0].file_offset, Severity.ERROR,
                f"connection {conn.conn_id} {half.direction}: {first - half.next_offset} bytes "
                f"missing at stream offset {half.next_offset} ({reason})", 0, packet_number,
                conn.conn_id))
            half.next_offset = first
            half.tail.clear()
        self._drain(conn, half, out)

    def _drain(self, conn: _Connection, half: _Half, out: list[TcpEvent]) -> None:
        pending = half.pending
        while pending and pending[0].offset <= half.next_offset:
            item = pending.pop(0)
            half.pending_bytes -= len(item.data)
            self._deliver(conn, half, item, out)

    def _flush(self, conn: _Connection, half: _Half, packet_number: int,
               out: list[TcpEvent]) -> None:
        while half.pending:
            self._gap_to_pending(conn, half, packet_number, GapReason.END, out)
        if half.fin_offset is not None and half.fin_offset > half.next_offset:
            self._gap_to_fin(conn, half, packet_number, GapReason.END, out)

    def _gap_to_fin(self, conn: _Connection, half: _Half, packet_number: int,
                    reason: GapReason, out: list[TcpEvent]) -> None:
        assert half.fin_offset is not None
        length = half.fin_offset - half.next_offset
        out.append(Gap(conn.conn_id, half.direction, half.next_offset, length, packet_number,
                       reason))
        out.append(CaptureDiagnostic(
            self._last_offset, Severity.ERROR,
            f"connection {conn.conn_id} {half.direction}: {length} bytes "
            f"missing before the FIN at stream offset {half.next_offset} ({reason})", 0,
            packet_number, conn.conn_id))
        half.next_offset = half.fin_offset
        half.tail.clear()

    def _deliver(self, conn: _Connection, half: _Half, item: _Pending,
                 out: list[TcpEvent]) -> None:
        """Deliver the part of ``item`` beyond ``next_offset`` (item starts at or before it)."""
        skip = half.next_offset - item.offset
        end = item.offset + item.wire_length
        if skip > 0:
            self._compare(conn, half, item, min(skip, item.wire_length), out)
            if end <= half.next_offset:
                return
        else:
            skip = 0
        data = item.data[skip:]
        if data:
            out.append(StreamData(conn.conn_id, half.direction, half.next_offset, data,
                                  item.time_ns, item.packet_number, item.file_offset + skip))
            tail = half.tail
            if not tail:
                half.tail_start = half.next_offset
            tail += data
            excess = len(tail) - self.overlap_check_bytes
            if excess > 0:
                del tail[:excess]  # bytearray: deleting a prefix is amortised O(1)
                half.tail_start += excess
            half.next_offset += len(data)
        if end > half.next_offset:
            # Only the snaplen cut can make the wire length exceed the captured bytes.
            out.append(Gap(conn.conn_id, half.direction, half.next_offset,
                           end - half.next_offset, item.packet_number, GapReason.SNAPLEN))
            half.next_offset = end
            half.tail.clear()

    def _compare(self, conn: _Connection, half: _Half, item: _Pending, count: int,
                 out: list[TcpEvent]) -> None:
        """Check the first ``count`` bytes of ``item`` against bytes already delivered."""
        lo, hi = item.offset, item.offset + min(count, len(item.data))
        start = half.tail_start
        a, b = max(lo, start), min(hi, start + len(half.tail))
        if a >= b or half.tail[a - start:b - start] == item.data[a - lo:b - lo]:
            return
        out.append(CaptureDiagnostic(
            item.file_offset + (a - lo), Severity.WARNING,
            f"connection {conn.conn_id} {half.direction}: packet {item.packet_number} "
            f"retransmits stream bytes {a}..{b} with different content; the first "
            "copy was kept", b - a, item.packet_number, conn.conn_id))

    def _note(self, seg: TcpSegment, message: str, conn_id: int | None,
              severity: Severity) -> CaptureDiagnostic:
        return CaptureDiagnostic(seg.payload_offset, severity,
                                 f"packet {seg.packet_number}: {message}", 0,
                                 seg.packet_number, conn_id)
