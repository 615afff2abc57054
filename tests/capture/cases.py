"""Captures built for the tests: a real h2c capture wrapped in every tunnel wiretool
follows, and small TCP sequences that pin down how Wireshark numbers ``tcp.stream``.

Each tunnel case takes ``samples/grpc/demo.pcap`` (a grpcio client and server on
loopback, 78 packets, 3 connections; ``samples/grpc/make_capture.py`` made it) and
rebuilds every packet with ``tests/capture/writer.py``: the original Ethernet frame,
or its IPv4 packet, goes inside the headers the case's docstring lists; times and
packet order are kept. Nothing else changes, so the TCP byte streams after unwrapping
must be those of the original. ``tests/capture/data/make_tshark_expectations.py``
wrote what tshark 4.0 sees in each (``tests/capture/data/tshark_streams.json``).

The numbering cases are the situations where tools disagree on "the same
connection": a SYN after FIN or RST with the same or another initial sequence number,
data after a RST, a capture that starts mid-connection, a lone RST, TCP headers
quoted in ICMP errors.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

from tests.capture import writer as w

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "samples" / "grpc" / "demo.pcap"
DATA = Path(__file__).resolve().parent / "data"

A4, B4 = "192.0.2.1", "192.0.2.2"
A6, B6 = "2001:db8:ffff::1", "2001:db8:ffff::2"


def read_pcap(path: Path) -> list[tuple[int, bytes]]:
    """(time in ns, frame) of every record of a little-endian microsecond pcap file."""
    data = path.read_bytes()
    assert data[:4] == b"\xd4\xc3\xb2\xa1"
    out, at = [], 24
    while at < len(data):
        sec, usec, incl, _orig = struct.unpack_from("<IIII", data, at)
        out.append((sec * 10**9 + usec * 1000, data[at + 16:at + 16 + incl]))
        at += 16 + incl
    return out


def _ip(frame: bytes) -> bytes:
    assert frame[12:14] == b"\x08\x00"  # the demo capture: Ethernet, IPv4
    return frame[14:]


def vlan(frame: bytes, n: int) -> bytes:
    """Ethernet / 802.1Q VLAN 100 / IPv4 / TCP."""
    return w.ethernet(_ip(frame), vlans=[(0x8100, 100)])


def qinq(frame: bytes, n: int) -> bytes:
    """Ethernet / 802.1ad S-tag 200 / 802.1Q C-tag 100 / IPv4 / TCP (QinQ)."""
    return w.ethernet(_ip(frame), vlans=[(0x88A8, 200), (0x8100, 100)])


def qinq_9100(frame: bytes, n: int) -> bytes:
    """Ethernet / tag with the pre-standard TPID 0x9100, VLAN 300 / 802.1Q 100 / IPv4."""
    return w.ethernet(_ip(frame), vlans=[(0x9100, 300), (0x8100, 100)])


def mpls(frame: bytes, n: int) -> bytes:
    """Ethernet / MPLS labels 16, 17 (bottom of stack) / IPv4 / TCP."""
    return w.ethernet(w.mpls([16, 17], _ip(frame)), 0x8847)


def mpls_pw(frame: bytes, n: int) -> bytes:
    """Ethernet / MPLS label 100 / pseudowire control word / the original Ethernet frame."""
    return w.ethernet(w.mpls([100], w.pw_control_word(frame, n)), 0x8847)


def mpls_pw_no_cw(frame: bytes, n: int) -> bytes:
    """Ethernet / MPLS labels 200, 201 / the original Ethernet frame (no control word)."""
    return w.ethernet(w.mpls([200, 201], frame), 0x8847)


def gre(frame: bytes, n: int) -> bytes:
    """Ethernet / IPv4 / GRE with checksum, key 7 and sequence number / IPv4 / TCP."""
    return w.ethernet(w.ipv4(A4, B4, w.gre(0x0800, _ip(frame), key=7, seq=n, checksum=True),
                             proto=47))


def gre_teb(frame: bytes, n: int) -> bytes:
    """Ethernet / IPv4 / GRE key 9, Transparent Ethernet Bridging / Ethernet / VLAN 30 /
    IPv4 / TCP."""
    inner = w.ethernet(_ip(frame), vlans=[(0x8100, 30)])
    return w.ethernet(w.ipv4(A4, B4, w.gre(0x6558, inner, key=9), proto=47))


def erspan_ii(frame: bytes, n: int) -> bytes:
    """Ethernet / IPv4 / GRE with sequence number, 0x88be / ERSPAN type II session 5 /
    the original Ethernet frame."""
    return w.ethernet(w.ipv4(A4, B4, w.gre(0x88BE, w.erspan2(frame, session=5, index=n),
                                           seq=n), proto=47))


def erspan_iii(frame: bytes, n: int) -> bytes:
    """Ethernet / IPv4 / GRE with sequence number, 0x22eb / ERSPAN type III session 6 with
    the 8-byte platform sub-header / the original Ethernet frame."""
    inner = w.erspan3(frame, session=6, timestamp=n, platform=bytes(8))
    return w.ethernet(w.ipv4(A4, B4, w.gre(0x22EB, inner, seq=n), proto=47))


def vxlan(frame: bytes, n: int) -> bytes:
    """Ethernet / IPv4 / UDP to port 4789 / VXLAN VNI 42 / the original Ethernet frame."""
    return w.ethernet(w.ipv4(A4, B4, w.udp(54321, 4789, w.vxlan(frame, 42)), proto=17))


def geneve(frame: bytes, n: int) -> bytes:
    """Ethernet / IPv6 / UDP to port 6081 / Geneve VNI 77 with one 8-byte option /
    the original Ethernet frame."""
    body = w.geneve(frame, 77, options=w.geneve_option(0x0101, 1, bytes(4)))
    return w.ethernet(w.ipv6(A6, B6, w.udp(54322, 6081, body), final=17), 0x86DD)


def gtp(frame: bytes, n: int) -> bytes:
    """Ethernet / IPv4 / UDP to port 2152 / GTP-U G-PDU TEID 0x1234 with a sequence
    number and a PDU Session Container extension header / IPv4 / TCP (a 5G user plane)."""
    return w.ethernet(w.ipv4(A4, B4, w.udp(2152, 2152, w.gtp_u(_ip(frame), 0x1234, sequence=n,
                                                               pdu_session=9)), proto=17))


def ipip(frame: bytes, n: int) -> bytes:
    """Ethernet / IPv4 / IPv4 (protocol 4) / TCP."""
    return w.ethernet(w.ipv4(A4, B4, _ip(frame), proto=4))


def six_in_four(frame: bytes, n: int) -> bytes:
    """Ethernet / IPv4 / IPv6 (protocol 41) / TCP: the inner packet is the original TCP
    segment under an IPv6 header (127.0.0.1 becomes 2001:db8::7f00:1)."""
    return w.ethernet(w.ipv4(A4, B4, w.ipv4_to_ipv6(_ip(frame)), proto=41))


def six_in_six(frame: bytes, n: int) -> bytes:
    """Ethernet / IPv6 / IPv6 (next header 41) / TCP, the inner one as for 6in4."""
    return w.ethernet(w.ipv6(A6, B6, w.ipv4_to_ipv6(_ip(frame)), final=41), 0x86DD)


def four_in_six(frame: bytes, n: int) -> bytes:
    """Ethernet / IPv6 / IPv4 (next header 4) / TCP."""
    return w.ethernet(w.ipv6(A6, B6, _ip(frame), final=4), 0x86DD)


def pppoe(frame: bytes, n: int) -> bytes:
    """Ethernet / PPPoE session 1 / PPP IPv4 / TCP."""
    return w.ethernet(w.pppoe_session(_ip(frame)), 0x8864)


def deep(frame: bytes, n: int) -> bytes:
    """Eleven headers deep: Ethernet / VLAN 10 / IPv4 / GRE key 3, sequence / ERSPAN II
    session 9 / Ethernet / VLAN 20 / IPv6 / UDP 4789 / VXLAN 5 / Ethernet / MPLS 33 /
    IPv4 / IPv4 / TCP."""
    inner = w.ethernet(w.mpls([33], w.ipv4(A4, B4, _ip(frame), proto=4)), 0x8847)
    middle = w.ethernet(w.ipv6(A6, B6, w.udp(1000, 4789, w.vxlan(inner, 5)), final=17),
                        0x86DD, vlans=[(0x8100, 20)])
    return w.ethernet(w.ipv4(A4, B4, w.gre(0x88BE, w.erspan2(middle, session=9), key=3,
                                           seq=n), proto=47), vlans=[(0x8100, 10)])


TUNNELS: dict[str, Callable[[bytes, int], bytes]] = {
    "vlan": vlan, "qinq": qinq, "qinq-9100": qinq_9100, "mpls": mpls, "mpls-pw": mpls_pw,
    "mpls-pw-no-cw": mpls_pw_no_cw,
    "gre": gre, "gre-teb": gre_teb, "erspan-ii": erspan_ii, "erspan-iii": erspan_iii,
    "vxlan": vxlan, "geneve": geneve, "gtp": gtp, "ipip": ipip, "6in4": six_in_four,
    "6in6": six_in_six, "4in6": four_in_six, "pppoe": pppoe, "deep": deep,
}


TSHARK_OPTIONS = {"tunnel/mpls-pw": ["-d", "mpls.label==100,pwethcw"]}
"""What tshark must be told: a pseudowire's control word is known by configuration."""


def tunnel_capture(name: str) -> bytes:
    """The demo capture with every packet wrapped by ``TUNNELS[name]``."""
    wrap = TUNNELS[name]
    return w.pcap([(t, wrap(frame, n)) for n, (t, frame) in enumerate(read_pcap(DEMO))])


# -- tcp.stream numbering ---------------------------------------------------------


def _closed_by_fin() -> tuple[w.Flow, list[bytes]]:
    f = w.Flow(client_isn=100)
    return f, [*f.handshake(), f.send("client", b"GET"), f.send("client", flags=w.FIN | w.ACK), f.send("server", flags=w.FIN | w.ACK), f.send("client", flags=w.ACK)]


def _reset() -> tuple[w.Flow, list[bytes]]:
    f = w.Flow(client_isn=100)
    return f, [*f.handshake(), f.send("client", b"GET"), f.send("server", flags=w.RST | w.ACK)]


def fin_then_same_isn() -> list[bytes]:
    """A connection closed by FINs, then a handshake on the same ports with the same ISN:
    the same connection (Wireshark: one tcp.stream)."""
    return _closed_by_fin()[1] + w.Flow(client_isn=100).handshake()


def fin_then_new_isn() -> list[bytes]:
    """Closed by FINs, then a SYN with another ISN: a new connection."""
    return _closed_by_fin()[1] + w.Flow(client_isn=200, server_isn=7000).handshake()


def rst_then_data() -> list[bytes]:
    """A RST, then more data from both sides: still the same connection."""
    f, frames = _reset()
    return [*frames, f.send("client", b"more"), f.send("server", b"answer")]


def rst_then_same_isn() -> list[bytes]:
    """A RST, then a handshake with the same ISN (a retried connect that reused it)."""
    return _reset()[1] + w.Flow(client_isn=100).handshake()


def rst_then_new_isn() -> list[bytes]:
    """A RST, then a handshake with another ISN, and data: a new connection."""
    f = w.Flow(client_isn=900, server_isn=9000)
    return _reset()[1] + f.handshake() + [f.send("client", b"GET again")]


def mid_then_syn_same() -> list[bytes]:
    """The capture starts mid-connection (data at 1000), then a SYN with 999: Wireshark
    takes 999 as the ISN it inferred, so the same connection."""
    f = w.Flow(client_isn=1000)
    return [f.send("client", b"abc", seq=1000), f.send("client", flags=w.SYN, seq=999)]


def mid_then_syn_other() -> list[bytes]:
    """Mid-connection, then a SYN with an unrelated ISN: a new connection."""
    f = w.Flow(client_isn=1000)
    return [f.send("client", b"abc", seq=1000), f.send("client", flags=w.SYN, seq=5)]


def ack_infers_peer_isn() -> list[bytes]:
    """Only the server is seen; its ACK number (100) makes 99 the client's ISN: a client
    SYN with 99 is the same connection, one with 42 a new one."""
    f = w.Flow(client_isn=100)
    return [f.send("server", b"zz"), f.send("client", flags=w.SYN, seq=99),
            f.send("client", flags=w.SYN, seq=42)]


def synack_other_seq() -> list[bytes]:
    """A SYN+ACK repeated with another sequence number: not a new connection."""
    f = w.Flow(client_isn=100, server_isn=5000)
    return [f.send("client", flags=w.SYN), f.send("server", flags=w.SYN | w.ACK),
            f.send("server", flags=w.SYN | w.ACK, seq=9999)]


def lone_rst() -> list[bytes]:
    """Two RSTs of a connection whose other packets were not captured: one connection."""
    f = w.Flow()
    return [f.send("client", flags=w.RST | w.ACK), f.send("client", flags=w.RST)]


def syn_retransmitted() -> list[bytes]:
    """A SYN sent twice with the same ISN, then the handshake and data."""
    f = w.Flow(client_isn=100)
    return [f.send("client", flags=w.SYN, advance=False), *f.handshake(),
            f.send("client", b"hi")]


def reverse_syn_after_rst() -> list[bytes]:
    """After a RST, the former server sends a SYN to the former client's port."""
    f, frames = _reset()
    return [*frames, f.send("server", flags=w.SYN, seq=123456)]


def interleaved_reuse() -> list[bytes]:
    """Two connections interleaved, the first reusing its ports with a new ISN while the
    second is open: numbers follow the order connections start."""
    a = w.Flow(("10.0.0.1", 40000), client_isn=10)
    b = w.Flow(("10.0.0.3", 40001), client_isn=20)
    a2 = w.Flow(("10.0.0.1", 40000), client_isn=30000)
    return [*a.handshake(), *b.handshake(), a.send("client", b"one"),
            a.send("server", flags=w.RST | w.ACK), b.send("client", b"two"), *a2.handshake(),
            a2.send("client", b"three"), b.send("server", b"four")]


def _icmp_error(quoted: bytes, *, v6: bool = False) -> bytes:
    """A destination-unreachable error from a router quoting ``quoted``."""
    if v6:  # RFC 4443 section 3.1: type 1, code 3 (address unreachable)
        body = struct.pack("!BBHI", 1, 3, 0, 0) + quoted
        return w.ethernet(w.ipv6("2001:db8::99", "2001:db8::1", body, final=58), 0x86DD)
    body = struct.pack("!BBHI", 3, 1, 0, 0) + quoted  # RFC 792: host unreachable
    return w.ethernet(w.ipv4("10.9.9.9", "10.0.0.1", body, proto=1))


def icmp_quotes_a_new_pair() -> list[bytes]:
    """An ICMP error quoting a whole TCP header of ports never seen: Wireshark numbers
    it as a connection of its own; one quoting only 8 bytes of TCP (what RFC 792
    requires) is not numbered."""
    f = w.Flow(client_isn=100)
    quoted = w.ipv4("10.0.0.1", "10.0.0.7", w.tcp(5555, 80, 1, 0, w.SYN))
    return [f.send("client", flags=w.SYN), _icmp_error(quoted), _icmp_error(quoted[:28]),
            f.send("server", flags=w.SYN | w.ACK)]


def icmp_quotes_a_known_connection() -> list[bytes]:
    """ICMP and ICMPv6 errors quoting a packet of an open connection: no new number."""
    f = w.Flow(client_isn=100)
    g = w.Flow(("2001:db8::1", 40000), ("2001:db8::2", 443), client_isn=300)
    data = f.send("client", b"hello")
    data6 = g.send("client", b"hello")
    return [*f.handshake(), data, *g.handshake(), data6, _icmp_error(data[14:]),
            _icmp_error(data6[14:], v6=True), f.send("server", b"x"), g.send("server", b"y")]


def icmp_quotes_a_syn_with_another_isn() -> list[bytes]:
    """An ICMP error quoting a SYN of the same ports with another ISN: Wireshark takes
    it for a new connection, and the packets after it belong to that one."""
    f = w.Flow(client_isn=100)
    quoted = w.ipv4("10.0.0.1", "10.0.0.2", w.tcp(40000, 8443, 7777, 0, w.SYN))
    return [*f.handshake(), _icmp_error(quoted), f.send("server", b"x")]


NUMBERING: dict[str, Callable[[], list[bytes]]] = {
    f.__name__.replace("_", "-"): f for f in (
        fin_then_same_isn, fin_then_new_isn, rst_then_data, rst_then_same_isn,
        rst_then_new_isn, mid_then_syn_same, mid_then_syn_other, ack_infers_peer_isn,
        synack_other_seq, lone_rst, syn_retransmitted, reverse_syn_after_rst,
        interleaved_reuse, icmp_quotes_a_new_pair, icmp_quotes_a_known_connection,
        icmp_quotes_a_syn_with_another_isn)
}


def numbering_capture(name: str) -> bytes:
    return w.pcap([(i * 1_000_000, frame) for i, frame in enumerate(NUMBERING[name]())])


REAL = {
    "tunnels/common__decapsulate_erspan1.pcap": "deepflow: VLAN / GRE / ERSPAN I, 473 connections",
    "tunnels/common__ipip.pcap": "deepflow: VLAN / IPv4 / IPv4",
    "tunnels/common__ip6-vxlan.pcap": "deepflow: IPv6 / UDP / VXLAN",
    "suricata-verify/drop-protocol-change__input.pcap": "a SYN with a bogus header length",
    "suricata-verify/transform-base64-7296__input.pcap": "broken TCP headers, a lone RST",
}
"""Real captures copied into ``data/`` (their folders hold the source's LICENSE and
README) whose connection lists the tests compare with tshark's."""


def all_captures() -> dict[str, bytes]:
    """Every capture of ``tshark_streams.json``, by its name there."""
    out = {f"tunnel/{name}": tunnel_capture(name) for name in TUNNELS}
    out.update({f"numbering/{name}": numbering_capture(name) for name in NUMBERING})
    out.update({f"data/{name}": (DATA / name).read_bytes() for name in REAL})
    out["samples/grpc/demo.pcap"] = DEMO.read_bytes()
    return out
