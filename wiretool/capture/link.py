"""Peel link, IP and TCP headers off a captured packet: ``Packet`` -> ``TcpSegment``.

Hand-written with ``struct`` rather than dpkt: we need absolute file offsets for
every diagnostic and the payload, IP fragments *flagged* rather than silently
dropped, and no third-party exceptions to wrap; it is also faster (see
docs/captures.md for the measurement).

Link types: Ethernet with any number of 802.1Q / 802.1ad / QinQ tags, Linux
cooked capture v1 and v2, raw IP (101, 12, 14, 228, 229), BSD loopback NULL (0)
and LOOP (108). Network: IPv4 with options (RFC 791; fragments are reported, not
reassembled) and IPv6 with hop-by-hop, routing, fragment, destination-options and
AH extension headers (RFC 8200 section 4, RFC 4302). Transport: TCP (RFC 9293
section 3.1) including options. Anything else (ARP, UDP, ICMP, ...) yields
neither a segment nor a diagnostic: it is simply not our business.

Reassembling the segments into byte streams is left to ``tcp.py``.
"""

from __future__ import annotations

import struct

from wiretool.capture.model import CaptureDiagnostic, LinkType, Packet, TcpSegment
from wiretool.errors import Severity

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
_VLAN_TAGS = frozenset({0x8100, 0x88A8, 0x9100, 0x9200})
_MAX_VLAN_TAGS = 8
# BSD address families seen in NULL/LOOP headers: AF_INET is 2 everywhere;
# AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux).
_AF_INET6 = frozenset({10, 24, 28, 30})
_IPPROTO_TCP = 6
# IPv6 extension headers that share the "next header, length in 8-octet units" layout.
_IPV6_EXT = frozenset({0, 43, 60, 135, 139, 140})
_IPV6_FRAGMENT = 44
_IPV6_AH = 51
_IPV6_NO_NEXT = 59
_MAX_EXT_HEADERS = 16

_unpack_eth = struct.Struct("!H").unpack_from
_unpack_ipv4 = struct.Struct("!BBHHHBBH4s4s").unpack_from
_unpack_ipv6 = struct.Struct("!IHBB16s16s").unpack_from
_unpack_tcp = struct.Struct("!HHIIBB").unpack_from

Result = tuple[TcpSegment | None, list[CaptureDiagnostic]]


def _diag(packet: Packet, at: int, message: str, severity: Severity = Severity.ERROR,
          length: int = 0) -> CaptureDiagnostic:
    offset = packet.data_offset + at
    return CaptureDiagnostic(
        offset, severity,
        f"packet {packet.number} at offset {offset}: {message}", length, packet.number,
    )


def decode_segment(packet: Packet) -> Result:
    """Return the packet's TCP segment (None when it has none) and what went wrong.

    Never raises on any packet bytes.
    """
    data = packet.data
    link = packet.link_type
    if link == LinkType.ETHERNET:
        at = 12
        if len(data) < 14:
            return None, [_diag(packet, 0, f"Ethernet header needs 14 bytes, {len(data)} "
                                "captured", length=len(data))]
        (ethertype,) = _unpack_eth(data, 12)
        tags = 0
        while ethertype in _VLAN_TAGS:
            tags += 1
            at += 4
            if tags > _MAX_VLAN_TAGS or at + 2 > len(data):
                return None, [_diag(packet, at - 4, "VLAN tags run past the captured bytes"
                                    if tags <= _MAX_VLAN_TAGS else "too many VLAN tags",
                                    length=len(data) - at + 4)]
            (ethertype,) = _unpack_eth(data, at)
        return _by_ethertype(packet, ethertype, at + 2)
    if link == LinkType.LINUX_SLL:
        if len(data) < 16:
            return None, [_diag(packet, 0, f"Linux cooked header needs 16 bytes, {len(data)} "
                                "captured", length=len(data))]
        return _by_ethertype(packet, _unpack_eth(data, 14)[0], 16)
    if link == LinkType.LINUX_SLL2:
        if len(data) < 20:
            return None, [_diag(packet, 0, f"Linux cooked v2 header needs 20 bytes, "
                                f"{len(data)} captured", length=len(data))]
        return _by_ethertype(packet, _unpack_eth(data, 0)[0], 20)
    if link in (LinkType.RAW, LinkType.RAW_OPENBSD, LinkType.RAW_BSD):
        if not data:
            return None, [_diag(packet, 0, "empty raw IP packet")]
        version = data[0] >> 4
        if version == 4:
            return _ipv4(packet, 0)
        if version == 6:
            return _ipv6(packet, 0)
        return None, [_diag(packet, 0, f"raw IP packet with IP version {version}", length=1)]
    if link == LinkType.IPV4:
        return _ipv4(packet, 0)
    if link == LinkType.IPV6:
        return _ipv6(packet, 0)
    if link in (LinkType.NULL, LinkType.LOOP):
        if len(data) < 4:
            return None, [_diag(packet, 0, f"loopback header needs 4 bytes, {len(data)} "
                                "captured", length=len(data))]
        if link == LinkType.LOOP:
            family = int.from_bytes(data[:4], "big")
        else:
            # NULL stores the family in the capturing host's byte order, which the file
            # does not record: a small number fits in one of the two orders.
            family = int.from_bytes(data[:4], "little")
            if family > 0xFFFF:
                family = int.from_bytes(data[:4], "big")
        if family == 2:
            return _ipv4(packet, 4)
        if family in _AF_INET6:
            return _ipv6(packet, 4)
        return None, []
    return None, [_diag(packet, 0, f"unsupported link type {link}", Severity.WARNING)]


def _by_ethertype(packet: Packet, ethertype: int, at: int) -> Result:
    if ethertype == ETHERTYPE_IPV4:
        return _ipv4(packet, at)
    if ethertype == ETHERTYPE_IPV6:
        return _ipv6(packet, at)
    return None, []


def _ipv4(packet: Packet, at: int) -> Result:
    """RFC 791 section 3.1."""
    data = packet.data
    if at + 20 > len(data):
        return None, [_diag(packet, at, f"IPv4 header needs 20 bytes, {len(data) - at} "
                            "captured", length=len(data) - at)]
    (ver_ihl, _tos, total, _ident, frag, _ttl, proto, _csum, src, dst) = _unpack_ipv4(data, at)
    if ver_ihl >> 4 != 4:
        return None, [_diag(packet, at, f"IPv4 header with version {ver_ihl >> 4}", length=1)]
    ihl = (ver_ihl & 0x0F) * 4
    if ihl < 20:
        return None, [_diag(packet, at, f"IPv4 header length {ihl} is less than 20", length=1)]
    if at + ihl > len(data):
        return None, [_diag(packet, at, f"IPv4 header of {ihl} bytes is cut by the capture",
                            length=len(data) - at)]
    diags: list[CaptureDiagnostic] = []
    if total == 0:
        # TCP segmentation offload: the kernel hands tcpdump a super-packet whose total
        # length field is still 0; the captured size is the best we know.
        total = max(packet.original_length, len(data)) - at
        diags.append(_diag(packet, at + 2, "IPv4 total length 0 (segmentation offload?); "
                           "using the captured length", Severity.INFO, 2))
    elif total < ihl:
        return None, [_diag(packet, at + 2, f"IPv4 total length {total} is shorter than its "
                            f"header ({ihl})", length=2)]
    if proto != _IPPROTO_TCP:
        return None, diags
    if frag & 0x3FFF:  # MF set or a fragment offset: RFC 791 fragmentation
        offset8 = frag & 0x1FFF
        diags.append(_diag(packet, at + 6, f"IPv4 fragment (offset {offset8 * 8}, more "
                           f"fragments {bool(frag & 0x2000)}) of a TCP segment; fragments "
                           "are not reassembled", Severity.WARNING, 2))
        return None, diags
    # On-wire payload length comes from the IP header; Ethernet padding and FCS lie
    # beyond it and are ignored.
    return _tcp(packet, at + ihl, at + total, src, dst, diags)


def _ipv6(packet: Packet, at: int) -> Result:
    """RFC 8200 sections 3 and 4."""
    data = packet.data
    if at + 40 > len(data):
        return None, [_diag(packet, at, f"IPv6 header needs 40 bytes, {len(data) - at} "
                            "captured", length=len(data) - at)]
    first, payload_len, next_header, _hop, src, dst = _unpack_ipv6(data, at)
    if first >> 28 != 6:
        return None, [_diag(packet, at, f"IPv6 header with version {first >> 28}", length=1)]
    diags: list[CaptureDiagnostic] = []
    end = at + 40 + payload_len
    if payload_len == 0:
        # A jumbogram (RFC 2675) or segmentation offload: trust the capture.
        end = max(packet.original_length, len(data))
    at += 40
    for _ in range(_MAX_EXT_HEADERS):
        if next_header == _IPPROTO_TCP:
            return _tcp(packet, at, end, src, dst, diags)
        if next_header == _IPV6_NO_NEXT:
            return None, diags
        if next_header in _IPV6_EXT or next_header in (_IPV6_FRAGMENT, _IPV6_AH):
            if at + 8 > len(data):
                diags.append(_diag(packet, at, f"IPv6 extension header {next_header} is cut "
                                   "by the capture", length=len(data) - at))
                return None, diags
            nh, hlen = data[at], data[at + 1]
            if next_header == _IPV6_FRAGMENT:
                (frag,) = struct.unpack_from("!H", data, at + 2)
                if frag & 0xFFF9:  # offset or M flag: a real fragment, not an atomic one
                    if nh == _IPPROTO_TCP:
                        diags.append(_diag(packet, at, f"IPv6 fragment (offset {frag & 0xFFF8},"
                                           f" more fragments {bool(frag & 1)}) of a TCP "
                                           "segment; fragments are not reassembled",
                                           Severity.WARNING, 8))
                    return None, diags
                size = 8
            elif next_header == _IPV6_AH:
                size = (hlen + 2) * 4  # RFC 4302 section 2.2: 4-octet units, minus 2
            else:
                size = (hlen + 1) * 8
            next_header = nh
            at += size
            continue
        return None, diags  # UDP, ICMPv6, ESP, ...: not TCP
    diags.append(_diag(packet, at, "more than 16 IPv6 extension headers"))
    return None, diags


def _tcp(packet: Packet, at: int, end: int, src: bytes, dst: bytes,
         diags: list[CaptureDiagnostic]) -> Result:
    """RFC 9293 section 3.1. ``end`` is where the IP layer says the segment ends."""
    data = packet.data
    if at + 20 > len(data):
        diags.append(_diag(packet, at, f"TCP header needs 20 bytes, {max(len(data) - at, 0)} "
                           "captured", length=max(len(data) - at, 0)))
        return None, diags
    sport, dport, seq, ack, off_byte, flags = _unpack_tcp(data, at)
    header = (off_byte >> 4) * 4
    if header < 20:
        diags.append(_diag(packet, at + 12, f"TCP data offset {header} is less than 20",
                           length=1))
        return None, diags
    if end < at + header:
        diags.append(_diag(packet, at + 12, f"TCP header of {header} bytes runs past the IP "
                           f"payload ({end - at} bytes)", length=1))
        return None, diags
    if at + header > len(data):
        diags.append(_diag(packet, at, f"TCP header of {header} bytes is cut by the capture",
                           length=len(data) - at))
        return None, diags
    wire_end = max(packet.original_length, len(data))
    if end > wire_end:
        diags.append(_diag(packet, at, f"IP length claims {end - at} bytes of TCP but the "
                           f"packet had only {wire_end - at} on the wire", Severity.WARNING))
        end = wire_end
    start = at + header
    payload = data[start:end]
    return TcpSegment(
        packet.number, packet.time_ns, src, sport, dst, dport, seq, ack, flags,
        payload, end - start, packet.data_offset + start,
    ), diags
