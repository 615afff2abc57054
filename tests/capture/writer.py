"""A small pcap/pcapng *writer* and packet builder, for synthesizing test captures.

Independent of wiretool.capture on purpose: it follows the format drafts and RFCs
directly, so the reader is checked against a second implementation.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable, Sequence

# TCP flags (RFC 9293 3.1)
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def ip(text: str) -> bytes:
    return ipaddress.ip_address(text).packed


def tcp(sport: int, dport: int, seq: int, ack: int = 0, flags: int = ACK,
        payload: bytes = b"", options: bytes = b"") -> bytes:
    assert len(options) % 4 == 0
    offset = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq % 2**32, ack % 2**32, offset << 4,
                       flags, 65535, 0, 0) + options + payload


def ipv4(src: str, dst: str, payload: bytes, *, proto: int = 6, options: bytes = b"",
         frag: int = 0, total_length: int | None = None) -> bytes:
    assert len(options) % 4 == 0
    ihl = 5 + len(options) // 4
    total = ihl * 4 + len(payload) if total_length is None else total_length
    return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 1, frag, 64, proto, 0,
                       ip(src), ip(dst)) + options + payload


def ipv6(src: str, dst: str, payload: bytes, *, ext: Sequence[tuple[int, bytes]] = (),
         final: int = 6) -> bytes:
    """``ext``: (header type, body after the next-header byte) pairs, outermost first."""
    chain = b""
    types = [t for t, _ in ext] + [final]
    for (_, body), nxt in zip(ext, types[1:], strict=True):
        chain += bytes([nxt]) + body
    return struct.pack("!IHBB16s16s", 6 << 28, len(chain) + len(payload), types[0], 64,
                       ip(src), ip(dst)) + chain + payload


def ext_options(nbytes8: int = 1) -> bytes:
    """Body of a hop-by-hop / destination-options header of ``nbytes8`` 8-octet units:
    the length byte, then PadN filling the rest."""
    pad = nbytes8 * 8 - 2
    return bytes([nbytes8 - 1]) + bytes([1, pad - 2]) + bytes(pad - 2)


def ext_routing() -> bytes:
    """A type-0-like routing header with one address (3 units of 8 octets)."""
    return bytes([2, 0, 0]) + bytes(4) + ip("2001:db8::99")


def ext_fragment(offset: int = 0, more: bool = False) -> bytes:
    return bytes([0]) + struct.pack("!HI", offset | int(more), 0x1234)


def ethernet(payload: bytes, ethertype: int = 0x0800, vlans: Iterable[tuple[int, int]] = ()
             ) -> bytes:
    """``vlans``: (TPID, VLAN id) pairs, outermost first (0x88A8 then 0x8100 for QinQ)."""
    head = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"
    for tpid, vid in vlans:
        head += struct.pack("!HH", tpid, vid)
    return head + struct.pack("!H", ethertype) + payload


def sll(payload: bytes, protocol: int = 0x0800) -> bytes:
    return struct.pack("!HHH8sH", 0, 772, 6, bytes(8), protocol) + payload


def sll2(payload: bytes, protocol: int = 0x0800) -> bytes:
    return struct.pack("!HHIHBB8s", protocol, 0, 1, 772, 0, 6, bytes(8)) + payload


def null_loopback(payload: bytes, family: int = 2, byteorder: str = "little") -> bytes:
    return family.to_bytes(4, byteorder) + payload  # type: ignore[arg-type]


# -- tunnels (each returns the header, then the payload) ---------------------------


def udp(sport: int, dport: int, payload: bytes) -> bytes:
    """RFC 768; checksum 0 (none, allowed over IPv4; tshark does not check it)."""
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def mpls(labels: Sequence[int], payload: bytes) -> bytes:
    """RFC 3032 label stack entries, the last with the bottom-of-stack bit; TTL 64."""
    out = b""
    for i, label in enumerate(labels):
        out += struct.pack("!I", label << 12 | (0x100 if i == len(labels) - 1 else 0) | 64)
    return out + payload


def pw_control_word(payload: bytes, sequence: int = 0) -> bytes:
    """RFC 4385 section 3: first nibble 0, flags, length 0, sequence number."""
    return struct.pack("!HH", 0, sequence) + payload


def gre(protocol: int, payload: bytes, *, key: int | None = None, seq: int | None = None,
        checksum: bool = False) -> bytes:
    """RFC 2784 with RFC 2890's key and sequence number (checksum field left 0)."""
    flags = (0x8000 if checksum else 0) | (0x2000 if key is not None else 0) | (
        0x1000 if seq is not None else 0)
    out = struct.pack("!HH", flags, protocol)
    if checksum:
        out += bytes(4)
    if key is not None:
        out += struct.pack("!I", key)
    if seq is not None:
        out += struct.pack("!I", seq)
    return out + payload


def erspan2(frame: bytes, *, session: int, vlan: int = 0, index: int = 0) -> bytes:
    """ERSPAN type II header (version 1): Ver VLAN | COS En T Session | Reserved Index."""
    return struct.pack("!HHI", 1 << 12 | vlan, session & 0x3FF, index & 0xFFFFF) + frame


def erspan3(frame: bytes, *, session: int, timestamp: int = 0, frame_type: int = 0,
            platform: bytes | None = None) -> bytes:
    """ERSPAN type III header (version 2): Ver VLAN | COS BSO T Session | Timestamp |
    SGT P FT HwID D Gra O, then the 8-byte platform sub-header when ``platform``."""
    last = frame_type << 10 | (1 if platform is not None else 0)
    out = struct.pack("!HHIHH", 2 << 12, session & 0x3FF, timestamp, 0, last)
    if platform is not None:
        assert len(platform) == 8
        out += platform
    return out + frame


def vxlan(frame: bytes, vni: int) -> bytes:
    """RFC 7348 section 5: flags with I set, reserved, VNI, reserved."""
    return struct.pack("!II", 0x08000000, vni << 8) + frame


def geneve(payload: bytes, vni: int, *, protocol: int = 0x6558, options: bytes = b"") -> bytes:
    """RFC 8926 section 3.4: Ver 0, option length in 4-byte words, protocol, VNI."""
    assert len(options) % 4 == 0
    return struct.pack("!BBHI", len(options) // 4, 0, protocol, vni << 8) + options + payload


def geneve_option(option_class: int, option_type: int, data: bytes) -> bytes:
    """RFC 8926 section 3.5: class, type, reserved and length in 4-byte words."""
    assert len(data) % 4 == 0
    return struct.pack("!HBB", option_class, option_type, len(data) // 4) + data


def gtp_u(payload: bytes, teid: int, *, sequence: int | None = None,
          pdu_session: int | None = None) -> bytes:
    """3GPP TS 29.281 section 5.1: a G-PDU (version 1, PT 1, message type 255); with
    ``sequence`` the S flag and the optional fields; with ``pdu_session`` (a QFI) an
    extension header of type 0x85, the PDU Session Container (TS 38.415)."""
    flags = 0x30 | (0x02 if sequence is not None else 0) | (0x04 if pdu_session is not None else 0)
    optional = b""
    if sequence is not None or pdu_session is not None:
        optional = struct.pack("!HBB", sequence or 0, 0, 0x85 if pdu_session is not None else 0)
        if pdu_session is not None:
            optional += bytes([1, 0x10, pdu_session & 0x3F, 0])  # 4 octets, next type 0
    body = optional + payload
    return struct.pack("!BBHI", flags, 0xFF, len(body), teid) + body


def pppoe_session(payload: bytes, *, session: int = 1, ppp: int = 0x0021) -> bytes:
    """RFC 2516 section 4: Ver/Type 0x11, code 0, session, length; then PPP protocol."""
    return struct.pack("!BBHHH", 0x11, 0, session, len(payload) + 2, ppp) + payload


def ipv4_to_ipv6(packet: bytes, prefix: str = "2001:db8::") -> bytes:
    """The same TCP segment in an IPv6 header: 10.0.0.1 becomes 2001:db8::a00:1."""
    ihl = (packet[0] & 0x0F) * 4
    total = struct.unpack_from("!H", packet, 2)[0]
    src, dst = packet[12:16], packet[16:20]
    base = ipaddress.IPv6Address(prefix)
    return ipv6(str(base + int.from_bytes(src, "big")), str(base + int.from_bytes(dst, "big")),
                packet[ihl:total], final=packet[9])


# -- files --------------------------------------------------------------------------


def pcap(packets: Iterable[tuple[int, bytes]], *, linktype: int = 1, big_endian: bool = False,
         nanoseconds: bool = False, snaplen: int = 65535,
         orig_lengths: dict[int, int] | None = None) -> bytes:
    """A pcap file: ``packets`` are (time in ns, bytes)."""
    e = ">" if big_endian else "<"
    magic = 0xA1B23C4D if nanoseconds else 0xA1B2C3D4
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for i, (t_ns, data) in enumerate(packets):
        frac = t_ns % 10**9 if nanoseconds else (t_ns % 10**9) // 1000
        orig = (orig_lengths or {}).get(i, len(data))
        out += struct.pack(e + "IIII", t_ns // 10**9, frac, len(data), orig) + data
    return out


def _pad4(data: bytes) -> bytes:
    return data + bytes(-len(data) % 4)


def pcapng_block(btype: int, body: bytes, e: str = "<") -> bytes:
    body = _pad4(body)
    total = len(body) + 12
    return struct.pack(e + "II", btype, total) + body + struct.pack(e + "I", total)


def pcapng_shb(e: str = "<") -> bytes:
    return pcapng_block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1), e)


def pcapng_idb(linktype: int, *, tsresol: int | None = None, snaplen: int = 0,
               e: str = "<") -> bytes:
    body = struct.pack(e + "HHI", linktype, 0, snaplen)
    if tsresol is not None:
        body += struct.pack(e + "HH", 9, 1) + bytes([tsresol]) + bytes(3)
        body += struct.pack(e + "HH", 0, 0)
    return pcapng_block(1, body, e)


def pcapng_epb(iface: int, ticks: int, data: bytes, *, orig: int | None = None,
               e: str = "<") -> bytes:
    body = struct.pack(e + "IIIII", iface, ticks >> 32, ticks & 0xFFFFFFFF, len(data),
                       len(data) if orig is None else orig) + _pad4(data)
    return pcapng_block(6, body, e)


def pcapng_spb(data: bytes, e: str = "<") -> bytes:
    return pcapng_block(3, struct.pack(e + "I", len(data)) + _pad4(data), e)


class Flow:
    """A TCP connection's packets, built with running sequence numbers (IPv4/Ethernet
    by default). ``send`` returns the frame and advances the sender's sequence."""

    def __init__(self, client: tuple[str, int] = ("10.0.0.1", 40000),
                 server: tuple[str, int] = ("10.0.0.2", 8443), *, client_isn: int = 1000,
                 server_isn: int = 5000, wrap: str = "ether") -> None:
        self.client, self.server = client, server
        self.seq = {"client": client_isn, "server": server_isn}
        self.isn = dict(self.seq)
        self.wrap = wrap

    def frame(self, segment: bytes, sender: str) -> bytes:
        src, dst = (self.client, self.server) if sender == "client" else (
            self.server, self.client)
        if ":" in src[0]:
            packet = ipv6(src[0], dst[0], segment)
            return ethernet(packet, 0x86DD) if self.wrap == "ether" else packet
        packet = ipv4(src[0], dst[0], segment)
        return ethernet(packet) if self.wrap == "ether" else packet

    def segment(self, sender: str, payload: bytes = b"", flags: int = ACK | PSH,
                seq: int | None = None) -> bytes:
        src, dst = (self.client, self.server) if sender == "client" else (
            self.server, self.client)
        peer = "server" if sender == "client" else "client"
        s = self.seq[sender] if seq is None else seq
        return tcp(src[1], dst[1], s, self.seq[peer], flags, payload)

    def send(self, sender: str, payload: bytes = b"", flags: int = ACK | PSH,
             seq: int | None = None, advance: bool = True) -> bytes:
        out = self.frame(self.segment(sender, payload, flags, seq), sender)
        if advance and seq is None:
            self.seq[sender] += len(payload) + (1 if flags & (SYN | FIN) else 0)
        return out

    def handshake(self) -> list[bytes]:
        out = [self.send("client", flags=SYN)]
        out.append(self.send("server", flags=SYN | ACK))
        out.append(self.send("client", flags=ACK))
        return out
