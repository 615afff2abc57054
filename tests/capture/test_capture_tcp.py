"""TCP reassembly through the whole pipeline (pcap bytes -> events)."""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any

from tests.capture import writer as w
from wiretool.capture import (
    CaptureDiagnostic,
    CloseReason,
    ConnectionClosed,
    ConnectionOpened,
    Gap,
    GapReason,
    RoleBasis,
    StreamData,
    TcpEvent,
    TcpReassembler,
    follow_tcp,
)
from wiretool.capture.link import decode_segment
from wiretool.capture.pcap import read_packets
from wiretool.errors import Severity

T0 = 1_700_000_000_000_000_000


def run(frames: list[bytes], reassembler: TcpReassembler | None = None,
        linktype: int = 1, orig_lengths: dict[int, int] | None = None) -> list[TcpEvent]:
    data = w.pcap([(T0 + i * 1000, f) for i, f in enumerate(frames)], linktype=linktype,
                  orig_lengths=orig_lengths)
    return list(follow_tcp(io.BytesIO(data), reassembler=reassembler))


def streams(events: list[TcpEvent]) -> dict[tuple[int, str], bytes]:
    """Concatenate each direction, with '?' for every gap byte; checks offsets line up."""
    out: dict[tuple[int, str], bytearray] = defaultdict(bytearray)
    for e in events:
        if isinstance(e, StreamData):
            assert len(out[e.conn_id, e.direction]) == e.stream_offset
            out[e.conn_id, e.direction] += e.data
        elif isinstance(e, Gap):
            assert len(out[e.conn_id, e.direction]) == e.stream_offset
            out[e.conn_id, e.direction] += b"?" * e.length
    return {k: bytes(v) for k, v in out.items()}


def of(events: list[TcpEvent], kind: type) -> list:  # type: ignore[type-arg]
    return [e for e in events if isinstance(e, kind)]


def test_in_order_exchange_with_handshake_and_fin() -> None:
    f = w.Flow()
    frames = [
        *f.handshake(),
        f.send("client", b"hello "),
        f.send("client", b"world"),
        f.send("server", b"HI"),
        f.send("client", flags=w.FIN | w.ACK),
        f.send("server", flags=w.FIN | w.ACK),
        f.send("client", flags=w.ACK),
    ]
    events = run(frames)
    (opened,) = of(events, ConnectionOpened)
    assert opened.roles is RoleBasis.SYN and opened.packet_number == 1
    assert (str(opened.client), str(opened.server)) == ("10.0.0.1:40000", "10.0.0.2:8443")
    assert streams(events) == {(1, "client"): b"hello world", (1, "server"): b"HI"}
    (closed,) = of(events, ConnectionClosed)
    assert (closed.reason, closed.packet_number) == (CloseReason.FIN, 8)  # the second FIN
    assert (closed.client_bytes, closed.server_bytes) == (11, 2)
    assert of(events, CaptureDiagnostic) == []
    first = of(events, StreamData)[0]
    assert (first.packet_number, first.time_ns, first.stream_offset) == (4, T0 + 3000, 0)


def test_file_offset_points_at_the_payload() -> None:
    f = w.Flow()
    frames = [*f.handshake(), f.send("client", b"find me")]
    data = w.pcap([(T0, fr) for fr in frames])
    events = list(follow_tcp(io.BytesIO(data)))
    (d,) = of(events, StreamData)
    assert data[d.file_offset:d.file_offset + 7] == b"find me"


def test_out_of_order_retransmitted_and_overlapping_segments() -> None:
    f = w.Flow()
    frames = f.handshake()
    base = f.seq["client"]
    a = f.send("client", b"AAAA", seq=base)
    b = f.send("client", b"BBBB", seq=base + 4)
    c = f.send("client", b"CCCC", seq=base + 8)
    overlap = f.send("client", b"BBCCCCDD", seq=base + 6)  # half old, half new
    frames += [c, a, a, b, overlap, b]
    events = run(frames)
    assert streams(events)[1, "client"] == b"AAAABBBBCCCCDD"
    assert of(events, Gap) == [] and of(events, CaptureDiagnostic) == []


def test_conflicting_overlap_is_a_warning_and_first_copy_wins() -> None:
    f = w.Flow()
    frames = f.handshake()
    base = f.seq["client"]
    frames += [f.send("client", b"GOOD", seq=base), f.send("client", b"EVIL!", seq=base)]
    events = run(frames)
    assert streams(events)[1, "client"] == b"GOOD!"
    (d,) = of(events, CaptureDiagnostic)
    assert d.severity is Severity.WARNING and d.packet_number == 5 and d.conn_id == 1
    assert "different content" in d.message and d.length == 4


def open_reassembler(frames: list[bytes]) -> Any:
    """The one connection of ``frames``, fed to a reassembler that is not closed."""
    data = w.pcap([(T0 + i * 1000, f) for i, f in enumerate(frames)])
    reassembler = TcpReassembler()
    for packet in read_packets(io.BytesIO(data)):
        assert not isinstance(packet, CaptureDiagnostic)
        segment, _ = decode_segment(packet)
        assert segment is not None
        reassembler.feed(segment)
    (conn,) = reassembler._conns.values()
    return conn


def test_only_unacknowledged_bytes_are_kept_to_compare_retransmissions() -> None:
    """A sender retransmits what the peer did not acknowledge: acknowledged bytes are
    released (memory follows the bytes in flight, not the open connections), and a
    retransmission of them is dropped unchecked; unacknowledged ones are still compared."""
    f = w.Flow()
    frames = f.handshake()
    base = f.seq["client"]
    frames += [f.send("client", b"GOOD"), f.send("client", b"MORE")]
    assert bytes(open_reassembler(frames).client.tail) == b"GOODMORE"
    frames.append(f.send("server", flags=w.ACK))  # acknowledges the 8 bytes
    conn = open_reassembler(frames)
    assert conn.client.tail == bytearray() and conn.client.acked == 8
    frames += [f.send("client", b"EVIL", seq=base),  # acknowledged: not compared
               f.send("client", b"TAIL"),
               f.send("client", b"BAD!", seq=base + 8)]  # in flight: compared
    events = run(frames)
    assert streams(events)[1, "client"] == b"GOODMORETAIL"
    (warning,) = of(events, CaptureDiagnostic)
    assert "retransmits stream bytes 8..12 with different content" in warning.message


def test_lost_segment_acknowledged_by_the_peer_is_a_gap_and_delivery_goes_on() -> None:
    f = w.Flow()
    frames = f.handshake()
    base = f.seq["client"]
    frames.append(f.send("client", b"one-"))
    f.send("client", b"LOST")  # advances seq; never captured
    frames.append(f.send("client", b"three"))
    frames.append(f.send("server", b"ok"))  # acks everything, including LOST
    events = run(frames)
    (gap,) = of(events, Gap)
    assert (gap.stream_offset, gap.length, gap.reason) == (4, 4, GapReason.NOT_CAPTURED)
    assert gap.packet_number == 6  # made certain by the server's ACK
    assert streams(events)[1, "client"] == b"one-????three"
    err = [d for d in of(events, CaptureDiagnostic) if d.severity is Severity.ERROR]
    assert err and "4 bytes missing at stream offset 4" in err[0].message
    assert base  # the ISN was used


def test_lost_segment_without_ack_becomes_a_gap_at_the_end() -> None:
    f = w.Flow()
    frames = [*f.handshake(), f.send("client", b"one-")]
    f.send("client", b"LOST")
    frames.append(f.send("client", b"three"))
    events = run(frames)
    (gap,) = of(events, Gap)
    assert gap.reason is GapReason.END and streams(events)[1, "client"] == b"one-????three"
    assert of(events, ConnectionClosed)[0].reason is CloseReason.END_OF_CAPTURE


def test_sequence_numbers_wrap_around() -> None:
    f = w.Flow(client_isn=2**32 - 3, server_isn=2**32 - 1)
    frames = [
        *f.handshake(),
        f.send("client", b"abcdef"),
        f.send("client", b"ghij"),
        f.send("server", b"XYZ"),
    ]
    later = f.send("client", b"late")
    frames += [f.send("client", b"!!"), later]  # out of order across nothing special
    frames[-2:] = frames[-2:][::-1]
    events = run(frames)
    assert streams(events) == {(1, "client"): b"abcdefghijlate!!", (1, "server"): b"XYZ"}
    assert of(events, Gap) == []


def test_capture_starting_mid_connection_guesses_roles_by_port() -> None:
    f = w.Flow(client=("10.0.0.1", 51000), server=("10.0.0.2", 50051))
    frames = [f.send("server", b"response bytes"), f.send("client", b"more request")]
    events = run(frames)
    (opened,) = of(events, ConnectionOpened)
    assert opened.roles is RoleBasis.PORT
    assert opened.server.port == 50051  # lower port
    assert streams(events) == {(1, "server"): b"response bytes", (1, "client"): b"more request"}


def test_syn_ack_alone_decides_the_roles() -> None:
    f = w.Flow(client=("10.0.0.1", 80), server=("10.0.0.2", 9000))
    f.send("client", flags=w.SYN)  # not captured
    events = run([f.send("server", flags=w.SYN | w.ACK), f.send("client", b"GET")])
    (opened,) = of(events, ConnectionOpened)
    assert opened.roles is RoleBasis.SYN_ACK and opened.server.port == 9000
    assert streams(events) == {(1, "client"): b"GET"}


def test_rst_closes_and_flushes() -> None:
    f = w.Flow()
    frames = [*f.handshake(), f.send("client", b"a")]
    f.send("client", b"b")
    frames += [f.send("client", b"c"), f.send("server", flags=w.RST)]
    events = run(frames)
    (closed,) = of(events, ConnectionClosed)
    assert closed.reason is CloseReason.RST and closed.packet_number == 6
    assert streams(events)[1, "client"] == b"a?c"


def test_port_reuse_with_a_new_syn_opens_a_new_connection() -> None:
    first, second = w.Flow(client_isn=10), w.Flow(client_isn=999_999)
    frames = [*first.handshake(), first.send("client", b"one")]
    frames += [*second.handshake(), second.send("client", b"two")]
    events = run(frames)
    assert [c.reason for c in of(events, ConnectionClosed)] == [
        CloseReason.REUSED, CloseReason.END_OF_CAPTURE]
    assert streams(events) == {(1, "client"): b"one", (2, "client"): b"two"}


def test_trailing_ack_after_close_opens_nothing() -> None:
    f = w.Flow()
    frames = [
        *f.handshake(),
        f.send("client", flags=w.FIN | w.ACK),
        f.send("server", flags=w.FIN | w.ACK),
        f.send("client", flags=w.ACK),
        f.send("client", flags=w.ACK),
    ]
    events = run(frames)
    assert len(of(events, ConnectionOpened)) == 1
    assert of(events, ConnectionClosed)[0].reason is CloseReason.FIN


def test_buffer_limit_declares_a_gap() -> None:
    f = w.Flow()
    frames = f.handshake()
    f.send("client", b"X" * 10)  # lost
    frames += [f.send("client", bytes([65 + i]) * 10) for i in range(5)]
    events = run(frames, TcpReassembler(max_buffer_bytes=25))
    gaps = of(events, Gap)
    assert gaps[0].reason is GapReason.BUFFER_LIMIT and gaps[0].length == 10
    assert streams(events)[1, "client"] == b"?" * 10 + b"".join(
        bytes([65 + i]) * 10 for i in range(5))
    assert any("buffer limit" in d.message for d in of(events, CaptureDiagnostic))


def test_sequence_number_jump_is_diagnosed_and_never_raises() -> None:
    f = w.Flow()
    frames = [*f.handshake(), f.send("client", b"before")]
    frames.append(f.send("client", b"JUMP", seq=f.seq["client"] + 2**30))
    frames += [f.send("client", b" after")]
    events = run(frames, TcpReassembler(max_buffer_bytes=1000))
    jump = [d for d in of(events, CaptureDiagnostic) if "jumps" in d.message]
    assert jump and jump[0].packet_number == 5 and jump[0].conn_id == 1
    data = streams(events)[1, "client"]
    assert data.startswith(b"before after")


def test_bogus_ack_is_not_evidence_of_a_gap() -> None:
    f = w.Flow()
    frames = [*f.handshake(), f.send("client", b"a")]
    f.send("client", b"b")  # lost
    frames.append(f.send("client", b"c"))
    frames.append(w.ethernet(w.ipv4("10.0.0.2", "10.0.0.1", w.tcp(
        8443, 40000, f.seq["server"], f.seq["client"] + 10**6, w.ACK))))
    frames.append(f.send("client", b"b", seq=1002))  # the lost byte, retransmitted
    events = run(frames)
    assert of(events, Gap) == [] and streams(events)[1, "client"] == b"abc"


def test_snaplen_cut_becomes_a_gap() -> None:
    f = w.Flow()
    frames = [*f.handshake(), f.send("client", b"0123456789")]
    frames[-1] = frames[-1][:-4]
    frames.append(f.send("client", b"next"))
    events = run(frames, orig_lengths={3: len(frames[3]) + 4})
    (gap,) = of(events, Gap)
    assert (gap.stream_offset, gap.length, gap.reason) == (6, 4, GapReason.SNAPLEN)
    assert streams(events)[1, "client"] == b"012345????next"


def test_connection_limit_evicts_the_oldest() -> None:
    frames = []
    for i in range(3):
        f = w.Flow(client=("10.0.0.1", 40000 + i))
        frames += [*f.handshake(), f.send("client", b"x")]
    events = run(frames, TcpReassembler(max_connections=2))
    assert next(c.reason for c in of(events, ConnectionClosed)) is CloseReason.EVICTED
    assert len(of(events, ConnectionOpened)) == 3


def test_ipv6_vlan_and_sll_flows() -> None:
    f = w.Flow(client=("2001:db8::1", 40000), server=("2001:db8::2", 443))
    frames = [*f.handshake(), f.send("client", b"v6 data")]
    assert streams(run(frames))[1, "client"] == b"v6 data"
    g = w.Flow(wrap="raw")
    raw = [*g.handshake(), g.send("client", b"sll data")]
    assert streams(run([w.sll(x) for x in raw], linktype=113))[1, "client"] == b"sll data"


def test_pcapng_with_two_interfaces_feeds_one_reassembler() -> None:
    f = w.Flow(wrap="raw")
    frames = [*f.handshake(), f.send("client", b"over eth+vlan"), f.send("server", b"over sll2")]
    # client packets on interface 0 (Ethernet with a VLAN tag, microseconds),
    # server packets on interface 1 (Linux cooked v2, nanoseconds)
    blocks = w.pcapng_shb() + w.pcapng_idb(1) + w.pcapng_idb(276, tsresol=9)
    for i, (frame, sender) in enumerate(zip(frames, ["client", "server", "client", "client",
                                                     "server"], strict=True)):
        if sender == "client":
            blocks += w.pcapng_epb(0, 1_000_000 + i, w.ethernet(frame, vlans=[(0x8100, 7)]))
        else:
            blocks += w.pcapng_epb(1, (1_000_000 + i) * 1000, w.sll2(frame))
    events = list(follow_tcp(io.BytesIO(blocks)))
    assert of(events, CaptureDiagnostic) == []
    assert streams(events) == {(1, "client"): b"over eth+vlan", (1, "server"): b"over sll2"}
    server_data = [e for e in events if isinstance(e, StreamData) and e.direction == "server"]
    assert server_data[0].time_ns == (1_000_000 + 4) * 1000
