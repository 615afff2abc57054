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
