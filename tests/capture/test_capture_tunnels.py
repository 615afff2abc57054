"""Tunnels and tcp.stream numbering, against tshark 4.0.

The captures are those of ``tests/capture/cases.py`` (the demo h2c capture wrapped in
every tunnel, built with our own writer; the numbering cases) and real captures copied
into ``tests/capture/data/``: deepflow's tunnel captures (deepflowio/deepflow @
2026e9de, ``agent/resources/test/common/``, Apache-2.0: ``data/tunnels/LICENSE``) and
two suricata-verify inputs (OISF/suricata-verify @ 10a45e4b, ``tests/<test>/input.pcap``,
MIT: ``data/suricata-verify/LICENSE``). ``data/tshark_streams.json`` holds what tshark
saw in each (``data/make_tshark_expectations.py`` wrote it).
"""

from __future__ import annotations

import io
import json
import struct
import subprocess
import sys
from collections import Counter, defaultdict

import pytest

from tests.capture import cases
from tests.capture import writer as w
from wiretool.capture import (
    CaptureDiagnostic,
    ConnectionClosed,
    ConnectionOpened,
    Gap,
    LayerKind,
    LayerPath,
    LinkDecoder,
    LinkType,
    Packet,
    StreamData,
    TcpEvent,
    follow_tcp,
)
from wiretool.errors import Severity

EXPECTED = json.loads((cases.DATA / "tshark_streams.json").read_text())["captures"]
CAPTURES = cases.all_captures()

_OURS = {"ipv4": "ip", "erspan-i": "erspan", "erspan-ii": "erspan", "erspan-iii": "erspan"}
_TSHARK = {"ieee8021ad": "vlan"}
_TSHARK_SKIPS = {"ethertype", "ppp", "pwethheuristic", "pwethnocw"}


def path_names(path: LayerPath) -> list[str]:
    """Our path in tshark's words (tshark shows one ``mpls`` for the whole label stack,
    no layer for a control word it was told of with ``-d``, and names a PPPoE session
    ``pppoes:ppp``)."""
    names: list[str] = []
    for layer in path.layers:
        name = _OURS.get(layer.kind.value, layer.kind.value)
        if layer.kind is not LayerKind.PW and not (name == "mpls" and names[-1:] == [name]):
            names.append(name)
    return names


def tshark_names(protocols: str) -> list[str]:
    """tshark's ``frame.protocols`` below TCP, without the capture's link layer."""
    names = protocols.split(":")[1:-1]
    return [_TSHARK.get(n, n) for n in names if n not in _TSHARK_SKIPS]


def events_of(data: bytes) -> list[TcpEvent]:
    return list(follow_tcp(io.BytesIO(data)))


def streams_of(events: list[TcpEvent]) -> dict[tuple[int, str], bytes]:
    out: dict[tuple[int, str], bytearray] = defaultdict(bytearray)
    for e in events:
        if isinstance(e, StreamData):
            out[e.conn_id, e.direction.value] += e.data
    return {k: bytes(v) for k, v in out.items()}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_connections_paths_and_numbers_match_tshark(name: str) -> None:
    """Every tcp.stream of tshark is a connection, with conn_id = tcp.stream + 1, the same
    first packet, the same addresses, and a path naming tshark's layers."""
    events = events_of(CAPTURES[name])
    opened = [e for e in events if isinstance(e, ConnectionOpened)]
    want = EXPECTED[name]
    assert len(opened) == len(want)
    sent = Counter[tuple[int, str]]()
    for e in events:
        if isinstance(e, StreamData):
            sent[e.conn_id, e.direction.value] += len(e.data)
    for conn, stream in zip(opened, want, strict=True):
        assert (conn.tcp_stream, conn.packet_number) == (stream["stream"], stream["frame"])
        assert {str(conn.client), str(conn.server)} == {stream["a"], stream["b"]}
        assert path_names(conn.path) == tshark_names(stream["protocols"]), str(conn.path)
        if name.startswith(("tunnel/", "samples/")):  # no retransmissions: same byte counts
            a_is_client = str(conn.client) == stream["a"]
            assert sent[conn.conn_id, "client"] == stream["bytes_ab" if a_is_client
                                                         else "bytes_ba"]
            assert sent[conn.conn_id, "server"] == stream["bytes_ba" if a_is_client
                                                         else "bytes_ab"]


@pytest.mark.parametrize("name", sorted(cases.TUNNELS))
def test_unwrapped_byte_streams_are_the_original_ones(name: str) -> None:
    plain = events_of(cases.DEMO.read_bytes())
    wrapped = events_of(CAPTURES[f"tunnel/{name}"])
    assert not [e for e in wrapped if isinstance(e, CaptureDiagnostic | Gap)]
    assert streams_of(wrapped) == streams_of(plain)
    closes = [(e.conn_id, e.reason, e.packet_number, e.client_bytes, e.server_bytes)
              for e in wrapped if isinstance(e, ConnectionClosed)]
    assert closes == [(e.conn_id, e.reason, e.packet_number, e.client_bytes, e.server_bytes)
                      for e in plain if isinstance(e, ConnectionClosed)]
    opened = [e for e in wrapped if isinstance(e, ConnectionOpened)]
    assert all(not conn.path.plain for conn in opened)
    assert len({id(conn.path) for conn in opened}) == 1  # one shared LayerPath


@pytest.mark.parametrize(("name", "path"), [
    ("vlan", "vlan 100 / ipv4"),
    ("qinq", "vlan 200 / vlan 100 / ipv4"),
    ("mpls", "mpls 16 / mpls 17 / ipv4"),
    ("mpls-pw", "mpls 100 / pwethcw / eth / ipv4"),
    ("mpls-pw-no-cw", "mpls 200 / mpls 201 / eth / ipv4"),
    ("gre", "ipv4 / gre key 7 / ipv4"),
    ("gre-teb", "ipv4 / gre key 9 / eth / vlan 30 / ipv4"),
    ("erspan-ii", "ipv4 / gre / erspan-ii session 5 / eth / ipv4"),
    ("erspan-iii", "ipv4 / gre / erspan-iii session 6 / eth / ipv4"),
    ("vxlan", "ipv4 / udp / vxlan vni 42 / eth / ipv4"),
    ("geneve", "ipv6 / udp / geneve vni 77 / eth / ipv4"),
    ("gtp", "ipv4 / udp / gtp teid 4660 / ipv4"),
    ("6in4", "ipv4 / ipv6"),
    ("pppoe", "pppoes / ipv4"),
    ("deep", "vlan 10 / ipv4 / gre key 3 / erspan-ii session 9 / eth / vlan 20 / ipv6 / udp"
             " / vxlan vni 5 / eth / mpls 33 / ipv4 / ipv4"),
])
def test_path_text(name: str, path: str) -> None:
    (first, *_) = [e for e in events_of(CAPTURES[f"tunnel/{name}"])
                   if isinstance(e, ConnectionOpened)]
    assert str(first.path) == path


def test_the_erspan_capture_lists_all_its_connections() -> None:
    """deepflow's mirror-port capture: 1,029 packets of TCP inside VLAN 100 / GRE /
    ERSPAN I (one connection through ERSPAN II), some with a second VLAN inside, some
    IPv6; before tunnels were followed it gave no output at all and exit 0."""
    events = events_of(CAPTURES["data/tunnels/common__decapsulate_erspan1.pcap"])
    opened = [e for e in events if isinstance(e, ConnectionOpened)]
    assert len(opened) == 473
    paths = Counter(str(e.path) for e in opened)
    assert paths.most_common(2) == [
        ("vlan 100 / ipv4 / gre / erspan-i / eth / ipv4", 286),
        ("vlan 100 / ipv4 / gre / erspan-i / eth / vlan 11 / ipv4", 80)]
    assert paths["vlan 100 / ipv4 / gre / erspan-ii session 1 / eth / ipv4"] == 1
    run = subprocess.run([sys.executable, "-m", "wiretool", "h2-frames", "--format", "jsonl",
                          str(cases.DATA / "tunnels/common__decapsulate_erspan1.pcap")],
                         capture_output=True, text=True, check=False)
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert sum(r["record"] == "connection" for r in records) == 473
    assert run.returncode == 1  # lost segments in the mirror capture are errors


def test_the_ipip_capture_reports_its_icmp_packet_once() -> None:
    events = events_of(CAPTURES["data/tunnels/common__ipip.pcap"])
    diags = [e for e in events if isinstance(e, CaptureDiagnostic)]
    assert [(d.severity, d.message) for d in diags] == [
        (Severity.INFO, "1 packet of IP protocol 1 (ICMP) (first: packet 3 at offset 311)")]
    assert diags[0] is events[-1]  # at the end


def test_data_after_a_reset_is_reported_once_not_a_new_connection() -> None:
    events = events_of(CAPTURES["numbering/rst-then-data"])
    assert sum(isinstance(e, ConnectionOpened) for e in events) == 1
    late = [e for e in events if isinstance(e, CaptureDiagnostic)]
    assert [(d.severity, d.conn_id, d.packet_number, d.message) for d in late] == [
        (Severity.WARNING, 1, 6, "connection 1: 2 packets with 10 bytes after the connection "
         "closed (rst), not decoded (first: packet 6)")]


def test_a_new_isn_after_a_reset_is_a_new_connection_that_gets_its_data() -> None:
    events = events_of(CAPTURES["numbering/rst-then-new-isn"])
    assert [e.roles.value for e in events if isinstance(e, ConnectionOpened)] == ["syn", "syn"]
    assert streams_of(events) == {(1, "client"): b"GET", (2, "client"): b"GET again"}
    assert not [e for e in events if isinstance(e, CaptureDiagnostic)]


def test_interleaved_reuse_closes_the_first_as_reused_after_its_reset() -> None:
    events = events_of(CAPTURES["numbering/interleaved-reuse"])
    # 2 and 3 are still open at the end of the capture: they close in the order they
    # started, not of their last packet (3's)
    assert [(type(e).__name__, e.conn_id) for e in events
            if isinstance(e, ConnectionOpened | ConnectionClosed)] == [
        ("ConnectionOpened", 1), ("ConnectionOpened", 2), ("ConnectionClosed", 1),
        ("ConnectionOpened", 3), ("ConnectionClosed", 2), ("ConnectionClosed", 3)]
    assert streams_of(events) == {(1, "client"): b"one", (2, "client"): b"two",
                                  (2, "server"): b"four", (3, "client"): b"three"}


# -- what is not followed: counted, reported once per kind ----------------------------

SEG = w.tcp(40000, 443, 1, 1, w.ACK, b"x")
INNER = w.ipv4("10.1.0.1", "10.1.0.2", SEG)


def _packet(frame: bytes, number: int = 1, link: int = LinkType.ETHERNET) -> Packet:
    return Packet(number, 100 * number, 100 * number + 16, 0, link, frame, len(frame))


def _outer(payload: bytes, proto: int) -> bytes:
    return w.ethernet(w.ipv4("192.0.2.1", "192.0.2.2", payload, proto=proto))


def test_unfollowed_traffic_is_counted_once_per_kind_with_its_first_packet() -> None:
    frames = (
        [_outer(w.gre(0x1234, INNER), 47)] * 3            # unknown GRE protocol
        + [_outer(b"\x20\x01\x88\x0b" + bytes(4) + INNER, 47)]  # GRE version 1 (PPTP)
        + [_outer(w.udp(53, 5353, b"dns"), 17)] * 2       # UDP, not a tunnel
        + [_outer(w.udp(1, 6081, w.geneve(INNER, 1, protocol=0x9999)), 17)]
        + [_outer(w.ipv4("10.1.0.1", "10.1.0.2", SEG, frag=0x2000), 4)]  # inner fragment
        + [w.ethernet(w.mpls([5], b"\x99" * 40), 0x8847)]  # MPLS, unknown payload
        + [w.ethernet(w.mpls([5], INNER), 0x8847)]        # followed
    )
    decoder = LinkDecoder()
    results = [decoder.decode(_packet(f, n)) for n, f in enumerate(frames, 1)]
    assert [seg is not None for seg, _ in results] == [False] * 9 + [True]
    assert all(diags == [] for _, diags in results)
    report = decoder.close()
    assert [(d.severity, d.packet_number, d.message) for d in report] == [
        (Severity.WARNING, 1, "3 packets inside GRE with protocol type 0x1234, which wiretool "
         "does not follow (first: packet 1 at offset 152)"),
        (Severity.INFO, 5, "2 UDP packets not VXLAN (port 4789), Geneve (port 6081) or "
         "GTP-U (port 2152) "
         "(first: packet 5 at offset 550)"),
        (Severity.WARNING, 4, "1 packet of GRE version 1 (PPTP), not followed (first: packet "
         "4 at offset 450)"),
        (Severity.WARNING, 7, "1 packet inside Geneve with protocol type 0x9999, which "
         "wiretool does not follow (first: packet 7 at offset 760)"),
        (Severity.WARNING, 8, "1 IPv4 fragment of TCP, UDP or a tunnel protocol, not "
         "reassembled (wiretool does not reassemble IP fragments) (first: packet 8 at "
         "offset 856)"),
        (Severity.WARNING, 9, "1 MPLS packet whose payload is neither IPv4, IPv6 nor an "
         "Ethernet pseudowire, not followed (first: packet 9 at offset 934)"),
    ]


def test_gtp_without_user_data_or_ip_is_counted() -> None:
    echo = bytes([0x32, 1]) + struct.pack("!HI", 4, 0) + bytes(4)  # Echo Request, S flag
    ethernet_pdu = w.gtp_u(w.ethernet(INNER), 7)  # a 5G Ethernet PDU session
    frames = [_outer(w.udp(2152, 2152, echo), 17), _outer(w.udp(2152, 2152, ethernet_pdu), 17),
              _outer(w.udp(2152, 2152, w.gtp_u(INNER, 7)), 17)]
    decoder = LinkDecoder()
    segments = [decoder.decode(_packet(f, n))[0] for n, f in enumerate(frames, 1)]
    assert [s is not None for s in segments] == [False, False, True]
    assert str(segments[2].path) == "ipv4 / udp / gtp teid 7 / ipv4"  # type: ignore[union-attr]
    assert [(d.severity, d.message.split(" (first")[0]) for d in decoder.close()] == [
        (Severity.INFO, "1 GTP-U packet without user data (not a G-PDU)"),
        (Severity.WARNING, "1 GTP-U packet whose payload is not IP (an Ethernet or "
         "unstructured PDU session?), not followed")]


def test_nesting_is_bounded_without_recursion() -> None:
    """IP in IP 1,000 deep: followed to ``max_headers`` (32), then counted, never a
    RecursionError (the walk is a loop)."""
    packet = SEG
    for _ in range(1000):
        packet = w.ipv4("10.0.0.1", "10.0.0.2", packet, proto=4, total_length=0)
    decoder = LinkDecoder()
    segment, _diags = decoder.decode(_packet(packet, 1, LinkType.RAW))
    assert segment is None
    (report,) = decoder.close()
    assert report.severity is Severity.WARNING
    assert report.message.startswith("1 packet nested deeper than 32 headers, not followed")
    shallow = w.ipv4("10.0.0.1", "10.0.0.2", w.ipv4("10.0.0.1", "10.0.0.2", SEG), proto=4)
    assert LinkDecoder(max_headers=1).decode(_packet(shallow, 1, LinkType.RAW))[0] is None
    assert LinkDecoder(max_headers=2).decode(_packet(shallow, 1, LinkType.RAW))[0] is not None


@pytest.mark.parametrize(("frame", "words", "at"), [
    (_outer(b"\x30\x00\x08\x00", 47), "GRE header needs 12 bytes, 4 captured", 34),
    (_outer(w.gre(0x88BE, b"\x10\x00", seq=1), 47), "ERSPAN header needs 8 bytes", 42),
    (_outer(w.udp(1, 4789, b"\x08\x00"), 17), "VXLAN header needs 8 bytes", 42),
    (_outer(w.udp(1, 6081, w.geneve(b"", 1, options=bytes(8))[:10]), 17),
     "Geneve header with its options needs 16 bytes", 42),
    (w.ethernet(w.mpls([1, 2], b"")[:6], 0x8847), "MPLS label stack entry needs 4 bytes", 18),
    (w.ethernet(b"\x11\x00\x00\x01", 0x8864), "PPPoE header needs 8 bytes", 14),
])
def test_cut_tunnel_headers_are_errors_at_their_offset(frame: bytes, words: str,
                                                       at: int) -> None:
    decoder = LinkDecoder()
    segment, diags = decoder.decode(_packet(frame, 3))
    assert segment is None
    (d,) = diags
    assert d.severity is Severity.ERROR and words in d.message
    assert (d.offset, d.packet_number) == (316 + at, 3)
    assert decoder.close() == []
