"""Link, IP and TCP header decoding: every link type, VLANs, IPv4 options, IPv6 extensions."""

from __future__ import annotations

import pytest

from tests.capture import writer as w
from wiretool.capture import LinkType, Packet, TcpSegment, decode_segment
from wiretool.capture.link import LinkDecoder
from wiretool.errors import Severity

SEG = w.tcp(40000, 443, 1234, 99, w.ACK | w.PSH, b"payload")
V4 = w.ipv4("192.0.2.1", "192.0.2.2", SEG)
V6 = w.ipv6("2001:db8::1", "2001:db8::2", SEG)


def packet(data: bytes, link: int, orig: int | None = None) -> Packet:
    return Packet(7, 1000, 1016, 0, link, data, len(data) if orig is None else orig)


def segment_of(data: bytes, link: int) -> TcpSegment:
    seg, diags = decode_segment(packet(data, link))
    assert diags == []
    assert seg is not None
    return seg


@pytest.mark.parametrize(
    ("frame", "link", "payload_at"),
    [
        (w.ethernet(V4), LinkType.ETHERNET, 14 + 20 + 20),
        (w.ethernet(V4, vlans=[(0x8100, 5)]), LinkType.ETHERNET, 18 + 40),
        (w.ethernet(V6, 0x86DD, vlans=[(0x88A8, 1), (0x8100, 2)]), LinkType.ETHERNET,
         22 + 40 + 20),
        (w.sll(V4), LinkType.LINUX_SLL, 16 + 40),
        (w.sll2(V6, 0x86DD), LinkType.LINUX_SLL2, 20 + 60),
        (V4, LinkType.RAW, 40),
        (V6, LinkType.RAW, 60),
        (V4, LinkType.RAW_OPENBSD, 40),
        (V6, LinkType.RAW_BSD, 60),
        (V4, LinkType.IPV4, 40),
        (V6, LinkType.IPV6, 60),
        (w.null_loopback(V4), LinkType.NULL, 44),
        (w.null_loopback(V4, 2, "big"), LinkType.NULL, 44),
        (w.null_loopback(V6, 24), LinkType.NULL, 64),
        (w.null_loopback(V6, 28), LinkType.NULL, 64),
        (w.null_loopback(V6, 30, "big"), LinkType.NULL, 64),
        (w.null_loopback(V4, 2, "big"), LinkType.LOOP, 44),
    ],
)
def test_link_types(frame: bytes, link: int, payload_at: int) -> None:
    seg = segment_of(frame, link)
    assert (seg.src_port, seg.dst_port, seg.seq, seg.ack) == (40000, 443, 1234, 99)
    assert seg.payload == b"payload" and seg.payload_length == 7
    assert seg.payload_offset == 1016 + payload_at
    assert seg.packet_number == 7


def test_addresses() -> None:
    seg = segment_of(V6, LinkType.RAW)
    assert seg.src_ip == w.ip("2001:db8::1") and seg.dst_ip == w.ip("2001:db8::2")
    seg = segment_of(V4, LinkType.RAW)
    assert seg.src_ip == w.ip("192.0.2.1")


def test_ipv4_options_are_skipped() -> None:
    frame = w.ipv4("10.0.0.1", "10.0.0.2", SEG, options=b"\x94\x04\x00\x00" + b"\x01" * 4)
    seg = segment_of(frame, LinkType.RAW)
    assert seg.payload == b"payload" and seg.payload_offset == 1016 + 28 + 20


def test_ipv6_extension_headers_are_walked() -> None:
    frame = w.ipv6("2001:db8::1", "2001:db8::2", SEG, ext=[
        (0, w.ext_options(1)),   # hop-by-hop
        (43, w.ext_routing()),   # routing, 24 bytes
        (44, w.ext_fragment()),  # atomic fragment: offset 0, M=0
        (60, w.ext_options(2)),  # destination options, 16 bytes
    ])
    seg = segment_of(frame, LinkType.RAW)
    assert seg.payload == b"payload"
    assert seg.payload_offset == 1016 + 40 + 8 + 24 + 8 + 16 + 20


def test_ethernet_padding_and_fcs_are_not_payload() -> None:
    short = w.ipv4("10.0.0.1", "10.0.0.2", w.tcp(1, 2, 0, 0, w.ACK, b"hi"))
    frame = w.ethernet(short) + bytes(60 - 14 - len(short)) + b"FCS!"
    seg = segment_of(frame, LinkType.ETHERNET)
    assert seg.payload == b"hi" and seg.payload_length == 2


def test_snaplen_cut_keeps_the_wire_length() -> None:
    frame = w.ethernet(V4)[:-3]
    seg, diags = decode_segment(packet(frame, LinkType.ETHERNET, orig=len(frame) + 3))
    assert diags == [] and seg is not None
    assert (seg.payload, seg.payload_length) == (b"payl", 7)


@pytest.mark.parametrize("frag", [0x2000, 0x0010])  # MF set; offset 128
def test_ipv4_fragments_are_counted_not_reassembled(frag: int) -> None:
    frame = w.ipv4("10.0.0.1", "10.0.0.2", SEG, frag=frag)
    seg, diags = decode_segment(packet(frame, LinkType.RAW))
    assert seg is None
    (d,) = diags
    assert d.severity is Severity.WARNING
    assert d.message.startswith("1 IPv4 fragment of TCP, UDP or a tunnel protocol, not "
                                "reassembled")
    assert (d.offset, d.packet_number) == (1016 + 6, 7)


def test_ipv4_dont_fragment_is_not_a_fragment() -> None:
    frame = w.ipv4("10.0.0.1", "10.0.0.2", SEG, frag=0x4000)
    assert segment_of(frame, LinkType.RAW).payload == b"payload"


def test_ipv6_fragment_is_counted() -> None:
    frame = w.ipv6("2001:db8::1", "2001:db8::2", SEG, ext=[(44, w.ext_fragment(0, True))])
    seg, diags = decode_segment(packet(frame, LinkType.RAW))
    assert seg is None and "IPv6 fragment" in diags[0].message and diags[0].offset == 1016 + 40


def test_not_tcp_is_counted_once_per_kind() -> None:
    udp = w.ipv4("10.0.0.1", "10.0.0.2", b"\x00" * 16, proto=17)
    icmp = w.ipv4("10.0.0.1", "10.0.0.2", b"\x08" * 16, proto=1)
    arp = w.ethernet(bytes(28), 0x0806)
    decoder = LinkDecoder()
    frames = [w.ethernet(udp)] * 3 + [arp, w.ethernet(icmp)] * 2 + [w.ethernet(V4)]
    segments = [decoder.decode(packet(f, LinkType.ETHERNET)) for f in frames]
    assert [s is None and d == [] for s, d in segments] == [True] * 7 + [False]
    report = decoder.close()
    assert [(d.severity, d.message) for d in report] == [
        (Severity.INFO, "3 UDP packets not VXLAN (port 4789), Geneve (port 6081) or "
         "GTP-U (port 2152) "
         "(first: packet 7 at offset 1050)"),
        (Severity.INFO, "2 packets of ethertype 0x0806 (ARP), not IP (first: packet 7 at "
         "offset 1028)"),
        (Severity.INFO, "2 packets of IP protocol 1 (ICMP) (first: packet 7 at offset 1039)"),
    ]
    assert decoder.close() == []  # the counts start again


def test_ipv4_total_length_zero_uses_captured_length() -> None:
    frame = w.ipv4("10.0.0.1", "10.0.0.2", SEG, total_length=0)
    seg, diags = decode_segment(packet(frame, LinkType.RAW))
    assert seg is not None and seg.payload == b"payload"
    assert diags[0].severity is Severity.INFO


@pytest.mark.parametrize(
    ("frame", "link", "words"),
    [
        (b"\x00" * 10, LinkType.ETHERNET, "14 bytes"),
        (w.ethernet(b"", 0x8100), LinkType.ETHERNET, "VLAN"),
        (w.ethernet(b"\x00\x01\x81\x00" * 40 + b"\x00\x01\x08\x00", 0x8100),
         LinkType.ETHERNET, "nested deeper than 32 headers"),
        (b"\x00" * 5, LinkType.LINUX_SLL, "16 bytes"),
        (b"\x00" * 5, LinkType.LINUX_SLL2, "20 bytes"),
        (b"", LinkType.RAW, "empty"),
        (b"\x70" + bytes(30), LinkType.RAW, "version 7"),
        (b"\x45" + bytes(5), LinkType.IPV4, "20 bytes"),
        (b"\x44" + bytes(25), LinkType.IPV4, "less than 20"),
        (b"\x4f" + bytes(25), LinkType.IPV4, "cut by the capture"),
        (b"\x60" + bytes(10), LinkType.IPV6, "40 bytes"),
        (V4[:30], LinkType.RAW, "TCP header needs 20"),
        (b"\x01\x00", LinkType.NULL, "4 bytes"),
        (b"abc", 9999, "unsupported link type"),
    ],
)
def test_broken_headers_give_diagnostics_with_offsets(frame: bytes, link: int,
                                                      words: str) -> None:
    seg, diags = decode_segment(packet(frame, link))
    assert seg is None
    assert diags and words in diags[0].message, diags
    assert all(1016 <= d.offset <= 1016 + len(frame) for d in diags)
    assert all(d.packet_number == 7 for d in diags)


@pytest.mark.parametrize(
    ("segment", "words"),
    [
        (SEG[:12] + b"\x10" + SEG[13:], "less than 20"),
        (SEG[:12] + b"\xf0" + SEG[13:], "runs past"),
    ],
)
def test_broken_tcp_header_still_numbers_its_connection(segment: bytes, words: str) -> None:
    """Wireshark gives a tcp.stream to a segment whose header length is bogus (it reads
    ports, numbers and flags first): such a segment is returned marked ``header_only``,
    without payload, beside the error (suricata-verify's drop-protocol-change capture
    has one, a SYN, that starts a new tcp.stream)."""
    seg, diags = decode_segment(packet(w.ipv4("1.1.1.1", "2.2.2.2", segment), LinkType.RAW))
    assert seg is not None and seg.header_only
    assert (seg.src_port, seg.dst_port, seg.seq, seg.payload, seg.payload_length) == (
        40000, 443, 1234, b"", 0)
    assert [d.severity for d in diags] == [Severity.ERROR] and words in diags[0].message


def test_a_header_length_past_the_packet_is_reported_at_its_end() -> None:
    """hypothesis (test_damaged_tunnel_headers...): an ERSPAN III header announcing its
    platform sub-header in a cut packet put the Ethernet header's error past the packet;
    an IPv6 extension header longer than the packet did the same for TCP's."""
    frame = w.ipv6("2001:db8::1", "2001:db8::2", b"", ext=[(0, bytes([200]) + bytes(6))])
    segment, diags = decode_segment(packet(frame, LinkType.RAW))
    assert segment is None
    (d,) = diags
    assert "TCP header needs 20 bytes, 0 captured" in d.message
    assert (d.offset, d.length) == (1016 + len(frame), 0)


def test_report_offset_is_the_next_header_byte_even_past_a_long_extension() -> None:
    """fuzz_capture: a hop-by-hop header claiming 1,608 bytes (length 200) in a short
    packet, then a protocol that is not TCP: the end report named an offset past the
    packet (where the walk had got to), not the byte that gave the protocol."""
    frame = w.ipv6("2001:db8::1", "2001:db8::2", b"", ext=[(0, bytes([200]) + bytes(6))],
                   final=255)
    decoder = LinkDecoder()
    assert decoder.decode(packet(frame, LinkType.RAW)) == (None, [])
    (report,) = decoder.close()
    assert report.message.startswith("1 packet of IP protocol 255 (first: packet 7 at offset "
                                     f"{1016 + 40}")
    assert report.offset == 1016 + 40  # the hop-by-hop header's next-header byte
