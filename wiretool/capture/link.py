"""Peel link, tunnel, IP and TCP headers off a captured packet: ``Packet`` -> ``TcpSegment``.

Hand-written with ``struct`` rather than dpkt: we need absolute file offsets for
every diagnostic and the payload, what cannot be followed *counted* rather than
silently dropped, and no third-party exceptions to wrap; it is also faster.

Link types: Ethernet, Linux cooked capture v1 and v2, raw IP (101, 12, 14, 228,
229), BSD loopback NULL (0) and LOOP (108). Below them, followed to any depth (a
loop over the headers, never recursion, at most ``max_headers`` of them):

* 802.1Q / 802.1ad / QinQ tags (TPID 0x8100, 0x88a8, 0x9100, 0x9200);
* MPLS (ethertypes 0x8847, 0x8848; RFC 3032): the label stack down to the entry
  with the bottom-of-stack bit, then IPv4 or IPv6 by the first nibble (RFC 4928), or
  an Ethernet pseudowire with the control word (first nibble 0, RFC 4385) or
  without; each guess is taken only when what follows it looks right (an IPv4 header
  length, an Ethernet type that is IP, a VLAN tag or MPLS), since only the label's
  configuration says which it is (tshark needs ``-d mpls.label==N,pwethcw`` for a
  control word);
* PPPoE sessions (0x8864, RFC 2516) carrying IPv4 or IPv6;
* IPv4 (RFC 791) with options, IPv6 (RFC 8200) with hop-by-hop, routing, fragment,
  destination-options and AH (RFC 4302) extension headers;
* IP in IP (protocol 4, RFC 2003) and IPv6 in IPv4/IPv6 (protocol 41, RFC 4213);
* GRE (protocol 47; RFC 2784 with the key and sequence number of RFC 2890)
  carrying IPv4, IPv6, MPLS (RFC 4023), Transparent Ethernet Bridging (0x6558) and
  Cisco ERSPAN: type I (0x88be without a sequence number: Ethernet right after
  GRE), type II (0x88be with one: an 8-byte header) and type III (0x22eb: a 12-byte
  header, plus 8 with the platform sub-header; Ethernet or IP frames);
* VXLAN (UDP port 4789, RFC 7348) and Geneve (UDP port 6081, RFC 8926, with its
  options), both carrying Ethernet (Geneve also IP); GTP-U (UDP port 2152, 3GPP TS
  29.281, with its extension headers) carrying IPv4 or IPv6 (mobile core captures);
* TCP (RFC 9293 section 3.1) including options;
* the TCP header quoted by an ICMP or ICMPv6 error message (it names a connection,
  which Wireshark numbers), as a ``header_only`` segment.

Every segment carries its ``LayerPath`` (``vlan 100 / ipv4 / gre / erspan-i / eth /
ipv4``). A broken header is an error diagnostic at its offset, for that packet.
What is not TCP, or cannot be followed further, is *counted* by a
:class:`LinkDecoder`, and reported once per kind by ``close()`` at the end: an
info diagnostic for traffic that is simply not TCP ("31 UDP packets not VXLAN
(port 4789), Geneve (port 6081) or GTP-U (port 2152)", ARP, ICMP, ...), a warning
for traffic that may carry TCP wiretool cannot see ("1,204 packets inside GRE with protocol type
0x1234, which wiretool does not follow"; IP fragments, which are not reassembled).

Reassembling the segments into byte streams is left to ``tcp.py``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from wiretool.capture.model import (
    CaptureDiagnostic,
    Layer,
    LayerKind,
    LayerPath,
    LinkType,
    Packet,
    TcpSegment,
)
from wiretool.errors import Severity

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_MPLS = 0x8847
ETHERTYPE_MPLS_MULTICAST = 0x8848
ETHERTYPE_PPPOE_SESSION = 0x8864
_VLAN_TAGS = frozenset({0x8100, 0x88A8, 0x9100, 0x9200})
_PLAUSIBLE_ETHERTYPES = frozenset({0x0800, 0x86DD, 0x8847, 0x8848, *_VLAN_TAGS})
GRE_TRANSPARENT_ETHERNET = 0x6558
GRE_ERSPAN = 0x88BE
"""ERSPAN type I (no GRE sequence number) and type II (with one)."""
GRE_ERSPAN_III = 0x22EB
VXLAN_PORT = 4789
GENEVE_PORT = 6081
GTP_U_PORT = 2152
DEFAULT_MAX_HEADERS = 32
"""Headers followed around the innermost IP header, between the link layer and TCP
(each VLAN tag and MPLS label counts as one); deeper packets are counted and
reported, not decoded."""
_MAX_EXT_HEADERS = 16
_MAX_TALLY_KINDS = 256
"""Distinct kinds of unfollowed traffic kept apart; the rest are counted together."""

# BSD address families seen in NULL/LOOP headers: AF_INET is 2 everywhere;
# AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS), 10 (Linux).
_AF_INET6 = frozenset({10, 24, 28, 30})
_IPPROTO_IPIP, _IPPROTO_TCP, _IPPROTO_UDP, _IPPROTO_IPV6, _IPPROTO_GRE = 4, 6, 17, 41, 47
_IPPROTO_ICMP, _IPPROTO_ICMPV6 = 1, 58
_ICMP_ERRORS = frozenset({3, 4, 5, 11, 12})  # RFC 792: they quote the packet that failed
_ICMPV6_ERRORS = frozenset({1, 2, 3, 4})  # RFC 4443 section 3
_TUNNEL_PROTOCOLS = frozenset({_IPPROTO_IPIP, _IPPROTO_UDP, _IPPROTO_IPV6, _IPPROTO_GRE})
# IPv6 extension headers that share the "next header, length in 8-octet units" layout.
_IPV6_EXT = frozenset({0, 43, 60, 135, 139, 140})
_IPV6_FRAGMENT = 44
_IPV6_AH = 51

# GRE flags (RFC 2784 section 2.1, RFC 2890 section 2; R from RFC 1701)
_GRE_C, _GRE_R, _GRE_K, _GRE_S = 0x8000, 0x4000, 0x2000, 0x1000

_IP_PROTOCOL_NAMES = {1: "ICMP", 2: "IGMP", 50: "ESP (encrypted)", 58: "ICMPv6",
                      59: "no next header", 89: "OSPF", 103: "PIM", 112: "VRRP",
                      132: "SCTP", 136: "UDP-Lite"}
_ETHERTYPE_NAMES = {0x0806: "ARP", 0x8035: "RARP", 0x86DD: "IPv6", 0x8808: "Ethernet flow "
                    "control", 0x8809: "LACP", 0x8863: "PPPoE discovery", 0x888E: "802.1X",
                    0x88CC: "LLDP", 0x88E5: "MACsec", 0x88F7: "PTP", 0x8902: "CFM",
                    0x22F0: "AVTP", 0x88B5: "local experimental"}

# What the walk is looking at next.
_ETHERTYPE, _ETHER, _IP, _IPV4, _IPV6, _MPLS, _GRE, _UDP, _PPPOE = range(9)
_BY_IP_PROTOCOL = {_IPPROTO_IPIP: _IPV4, _IPPROTO_IPV6: _IPV6, _IPPROTO_GRE: _GRE,
                   _IPPROTO_UDP: _UDP}

_unpack_h = struct.Struct("!H").unpack_from
_unpack_hh = struct.Struct("!HH").unpack_from
_unpack_i = struct.Struct("!I").unpack_from
_unpack_ipv4 = struct.Struct("!BBHHHBBH4s4s").unpack_from
_unpack_ipv6 = struct.Struct("!IHBB16s16s").unpack_from
_unpack_tcp = struct.Struct("!HHIIBB").unpack_from

Result = tuple[TcpSegment | None, list[CaptureDiagnostic]]
_LayerKey = tuple[LayerKind, int | None]

PATH_IPV4 = LayerPath((Layer(LayerKind.IPV4),))
PATH_IPV6 = LayerPath((Layer(LayerKind.IPV6),))


def _diag(packet: Packet, at: int, message: str, severity: Severity = Severity.ERROR,
          length: int = 0) -> CaptureDiagnostic:
    # A header length may point past the captured bytes: the problem is then at their end.
    offset = packet.data_offset + min(at, len(packet.data))
    return CaptureDiagnostic(
        offset, severity,
        f"packet {packet.number} at offset {offset}: {message}", length, packet.number,
    )


def _cut(packet: Packet, at: int, what: str, need: int) -> Result:
    """``what`` needs ``need`` bytes at ``at`` and the capture has fewer."""
    have = max(len(packet.data) - at, 0)
    return None, [_diag(packet, at, f"{what} needs {need} bytes, {have} captured",
                        length=have)]


@dataclass(slots=True)
class _Tally:
    """Packets of one kind that were not followed to TCP."""

    severity: Severity
    noun: str
    """``packet``, ``UDP packet``, ``IPv4 fragment``: pluralised with an ``s``."""
    rest: str
    count: int
    packet_number: int
    offset: int


def _ethernet_plausible(data: bytes, at: int) -> bool:
    """An Ethernet header at ``at`` whose type is IP, a VLAN tag or MPLS."""
    return at + 14 <= len(data) and _unpack_h(data, at + 12)[0] in _PLAUSIBLE_ETHERTYPES


def _ipv4_plausible(data: bytes, at: int) -> bool:
    """An IPv4 header at ``at``: a header length of 20 to 60 and room for it."""
    return at + 20 <= len(data) and data[at] & 0x0F >= 5 and (
        _unpack_h(data, at + 2)[0] >= (data[at] & 0x0F) * 4)


def _ipv6_plausible(data: bytes, at: int) -> bool:
    return at + 40 <= len(data)


class LinkDecoder:
    """Packets in, TCP segments (with their ``LayerPath``) and diagnostics out.

    ``decode(packet)`` per packet, ``close()`` at the end for the once-per-kind report
    of what was not followed. Paths are shared: every packet that took the same path
    gets the same ``LayerPath`` object.
    """

    def __init__(self, *, max_headers: int = DEFAULT_MAX_HEADERS) -> None:
        self.max_headers = max_headers
        self._tallies: dict[tuple[object, ...], _Tally] = {}
        self._paths: dict[tuple[_LayerKey, ...], LayerPath] = {}

    def close(self) -> list[CaptureDiagnostic]:
        """One diagnostic per kind of traffic not followed, most frequent first; the
        counts start again from zero."""
        out = []
        for tally in sorted(self._tallies.values(), key=lambda t: (-t.count, t.offset)):
            noun = tally.noun if tally.count == 1 else tally.noun + "s"
            out.append(CaptureDiagnostic(
                tally.offset, tally.severity,
                f"{tally.count:,} {noun} {tally.rest} (first: packet {tally.packet_number} "
                f"at offset {tally.offset})", 0, tally.packet_number))
        self._tallies.clear()
        return out

    def _count(self, key: tuple[object, ...], packet: Packet, at: int, severity: Severity,
               noun: str, rest: str) -> None:
        tally = self._tallies.get(key)
        if tally is None:
            if len(self._tallies) >= _MAX_TALLY_KINDS:
                key, noun, rest = ("other",), "packet", "of other kinds, not followed"
                tally = self._tallies.get(key)
            if tally is None:
                self._tallies[key] = _Tally(severity, noun, rest, 1, packet.number,
                                            packet.data_offset + at)
                return
        tally.count += 1

    def _path(self, layers: list[_LayerKey] | None, final: LayerKind) -> LayerPath:
        if layers is None:
            return PATH_IPV4 if final is LayerKind.IPV4 else PATH_IPV6
        key = (*layers, (final, None))
        path = self._paths.get(key)
        if path is None:
            path = LayerPath(tuple(Layer(kind, ident) for kind, ident in key))
            self._paths[key] = path
        return path

    # -- the link layer ----------------------------------------------------------

    def decode(self, packet: Packet) -> Result:
        """Return the packet's TCP segment (None when it has none) and what went wrong
        with this packet. Never raises on any packet bytes."""
        data = packet.data
        link = packet.link_type
        if link == LinkType.ETHERNET:
            if len(data) < 14:
                return _cut(packet, 0, "Ethernet header", 14)
            return self._walk(packet, _ETHERTYPE, _unpack_h(data, 12)[0], 14)
        if link == LinkType.LINUX_SLL:
            if len(data) < 16:
                return _cut(packet, 0, "Linux cooked header", 16)
            return self._walk(packet, _ETHERTYPE, _unpack_h(data, 14)[0], 16)
        if link == LinkType.LINUX_SLL2:
            if len(data) < 20:
                return _cut(packet, 0, "Linux cooked v2 header", 20)
            return self._walk(packet, _ETHERTYPE, _unpack_h(data, 0)[0], 20)
        if link in (LinkType.RAW, LinkType.RAW_OPENBSD, LinkType.RAW_BSD):
            if not data:
                return None, [_diag(packet, 0, "empty raw IP packet")]
            version = data[0] >> 4
            if version not in (4, 6):
                return None, [_diag(packet, 0, f"raw IP packet with IP version {version}",
                                    length=1)]
            return self._walk(packet, _IPV4 if version == 4 else _IPV6, 0, 0)
        if link == LinkType.IPV4:
            return self._walk(packet, _IPV4, 0, 0)
        if link == LinkType.IPV6:
            return self._walk(packet, _IPV6, 0, 0)
        if link in (LinkType.NULL, LinkType.LOOP):
            if len(data) < 4:
                return _cut(packet, 0, "loopback header", 4)
            if link == LinkType.LOOP:
                family = int.from_bytes(data[:4], "big")
            else:
                # NULL stores the family in the capturing host's byte order, which the file
                # does not record: a small number fits in one of the two orders.
                family = int.from_bytes(data[:4], "little")
                if family > 0xFFFF:
                    family = int.from_bytes(data[:4], "big")
            if family == 2:
                return self._walk(packet, _IPV4, 0, 4)
            if family in _AF_INET6:
                return self._walk(packet, _IPV6, 0, 4)
            self._count(("family", family), packet, 0, Severity.INFO, "packet",
                        f"of loopback address family {family} (not IP)")
            return None, []
        self._count(("link", link), packet, 0, Severity.WARNING, "packet",
                    f"of link type {link}, which wiretool does not decode (unsupported "
                    "link type)")
        return None, []

    # -- below it: one loop over the headers --------------------------------------

    def _walk(self, packet: Packet, kind: int, value: int, at: int) -> Result:
        """Follow the headers from ``at``, where a header of ``kind`` starts (for
        ``_ETHERTYPE``: the payload of a header whose type field was ``value``)."""
        data = packet.data
        size = len(data)
        layers: list[_LayerKey] | None = None  # the headers before the current one
        diags: list[CaptureDiagnostic] = []
        limit = self.max_headers
        # Every step either adds a header to ``layers`` or reads a type field and goes on
        # to a step that does: the loop ends after at most 2 * max_headers + 2 steps.
        while layers is None or len(layers) < limit:
            if kind == _ETHERTYPE:
                if value == ETHERTYPE_IPV4:
                    kind = _IPV4
                elif value == ETHERTYPE_IPV6:
                    kind = _IPV6
                elif value in _VLAN_TAGS:  # IEEE 802.1Q section 9.6: TCI, then the type
                    if at + 4 > size:
                        return None, [_diag(packet, at, "VLAN tag runs past the captured "
                                            "bytes", length=size - at)]
                    tci, value = _unpack_hh(data, at)
                    layers = (layers or []) + [(LayerKind.VLAN, tci & 0x0FFF)]
                    at += 4
                elif value in (ETHERTYPE_MPLS, ETHERTYPE_MPLS_MULTICAST):
                    kind = _MPLS
                elif value == ETHERTYPE_PPPOE_SESSION:
                    kind = _PPPOE
                elif value <= 1500:
                    self._count(("llc",), packet, at - 2, Severity.INFO, "packet",
                                "with an IEEE 802.3 length field (LLC: STP, CDP, ...), "
                                "not IP")
                    return None, diags
                else:
                    name = _ETHERTYPE_NAMES.get(value)
                    self._count(("ethertype", value), packet, at - 2, Severity.INFO,
                                "packet", f"of ethertype {value:#06x}"
                                + (f" ({name})" if name else "") + ", not IP")
                    return None, diags
            elif kind == _IPV4:
                return_value, proto, at, src, dst, ip_end = self._ipv4(packet, at, diags,
                                                                       layers)
                if return_value is not None:
                    return return_value
                if proto == _IPPROTO_TCP:
                    return self._tcp(packet, at, ip_end, src, dst, diags,
                                     self._path(layers, LayerKind.IPV4))
                layers = (layers or []) + [(LayerKind.IPV4, None)]
                kind = _BY_IP_PROTOCOL[proto]
            elif kind == _IPV6:
                return_value, proto, at, src, dst, ip_end = self._ipv6(packet, at, diags,
                                                                       layers)
                if return_value is not None:
                    return return_value
                if proto == _IPPROTO_TCP:
                    return self._tcp(packet, at, ip_end, src, dst, diags,
                                     self._path(layers, LayerKind.IPV6))
                layers = (layers or []) + [(LayerKind.IPV6, None)]
                kind = _BY_IP_PROTOCOL[proto]
            elif kind == _ETHER:
                if at + 14 > size:
                    return _cut(packet, at, "Ethernet header", 14)
                layers = (layers or []) + [(LayerKind.ETHERNET, None)]
                (value,) = _unpack_h(data, at + 12)
                at += 14
                kind = _ETHERTYPE
            elif kind == _IP:  # by the version nibble (ERSPAN III frame type 2)
                if at >= size:
                    return _cut(packet, at, "IP header", 20)
                version = data[at] >> 4
                if version == 4:
                    kind = _IPV4
                elif version == 6:
                    kind = _IPV6
                else:
                    return None, [_diag(packet, at, f"IP header with version {version}",
                                        length=1)]
            elif kind == _UDP:
                if at + 8 > size:
                    return _cut(packet, at, "UDP header", 8)
                sport, dport = _unpack_hh(data, at)
                if VXLAN_PORT in (dport, sport):
                    tunnel = LayerKind.VXLAN
                elif GENEVE_PORT in (dport, sport):
                    tunnel = LayerKind.GENEVE
                elif GTP_U_PORT in (dport, sport):
                    tunnel = LayerKind.GTP
                else:
                    self._count(("udp",), packet, at, Severity.INFO, "UDP packet",
                                f"not VXLAN (port {VXLAN_PORT}), Geneve (port "
                                f"{GENEVE_PORT}) or GTP-U (port {GTP_U_PORT})")
                    return None, diags
                layers = (layers or []) + [(LayerKind.UDP, None)]
                at += 8
                if at + 8 > size:
                    name = "GTP-U" if tunnel is LayerKind.GTP else tunnel.value.upper()
                    return _cut(packet, at, f"{name} header", 8)
                if tunnel is LayerKind.GTP:
                    gtp = self._gtp(packet, at)
                    if gtp is None:
                        return None, diags
                    if isinstance(gtp, tuple):
                        return gtp
                    layers.append((LayerKind.GTP, _unpack_i(data, at + 4)[0]))
                    at = gtp
                    kind = _IP
                    continue
                if tunnel is LayerKind.VXLAN:
                    # RFC 7348 section 5: flags (I = 0x08), 24 reserved bits, VNI, 8 bits.
                    vni = _unpack_i(data, at + 4)[0] >> 8
                    layers.append((LayerKind.VXLAN, vni))
                    at += 8
                    kind = _ETHER
                    continue
                # RFC 8926 section 3.4: Ver(2) Opt Len(6) O C Rsvd(6) Protocol Type(16)
                # VNI(24) Reserved(8), then Opt Len 4-byte words of options.
                first, protocol = _unpack_hh(data, at)
                version, options = first >> 14, (first >> 8 & 0x3F) * 4
                if version != 0:
                    self._count(("geneve-version", version), packet, at, Severity.WARNING,
                                "packet", f"of Geneve version {version}, not followed")
                    return None, diags
                layers.append((LayerKind.GENEVE, _unpack_i(data, at + 4)[0] >> 8))
                at += 8 + options
                if at > size:
                    return _cut(packet, at - 8 - options, "Geneve header with its options",
                                8 + options)
                if protocol == GRE_TRANSPARENT_ETHERNET:
                    kind = _ETHER
                elif protocol in (ETHERTYPE_IPV4, ETHERTYPE_IPV6):
                    kind = _IPV4 if protocol == ETHERTYPE_IPV4 else _IPV6
                else:
                    self._count(("geneve-protocol", protocol), packet, at - 6 - options,
                                Severity.WARNING, "packet", f"inside Geneve with protocol "
                                f"type {protocol:#06x}, which wiretool does not follow")
                    return None, diags
            elif kind == _GRE:
                if at + 4 > size:
                    return _cut(packet, at, "GRE header", 4)
                flags, protocol = _unpack_hh(data, at)
                version = flags & 0x7
                if version != 0:
                    self._count(("gre-version", version), packet, at, Severity.WARNING,
                                "packet", f"of GRE version {version}"
                                + (" (PPTP)" if version == 1 else "") + ", not followed")
                    return None, diags
                if flags & _GRE_R:
                    self._count(("gre-routing",), packet, at, Severity.WARNING, "packet",
                                "of GRE with source routing (RFC 1701), not followed")
                    return None, diags
                need = 4 + 4 * ((flags & _GRE_C != 0) + (flags & _GRE_K != 0)
                                + (flags & _GRE_S != 0))
                if at + need > size:
                    return _cut(packet, at, "GRE header", need)
                key = None
                if flags & _GRE_K:
                    (key,) = _unpack_i(data, at + (8 if flags & _GRE_C else 4))
                layers = (layers or []) + [(LayerKind.GRE, key)]
                gre_at = at
                at += need
                if protocol == ETHERTYPE_IPV4:
                    kind = _IPV4
                elif protocol == ETHERTYPE_IPV6:
                    kind = _IPV6
                elif protocol == GRE_TRANSPARENT_ETHERNET:
                    kind = _ETHER
                elif protocol in (ETHERTYPE_MPLS, ETHERTYPE_MPLS_MULTICAST):
                    kind = _MPLS
                elif protocol == GRE_ERSPAN and not flags & _GRE_S:
                    layers.append((LayerKind.ERSPAN_I, None))  # no header of its own
                    kind = _ETHER
                elif protocol in (GRE_ERSPAN, GRE_ERSPAN_III):
                    # Ver(4) VLAN(12) COS(3) En/BSO(2) T(1) Session ID(10) ...
                    if at + 4 > size:
                        return _cut(packet, at, "ERSPAN header", 8)
                    first, second = _unpack_hh(data, at)
                    erspan_version = first >> 12
                    session = second & 0x03FF
                    if erspan_version == 1:
                        if at + 8 > size:
                            return _cut(packet, at, "ERSPAN type II header", 8)
                        layers.append((LayerKind.ERSPAN_II, session))
                        at += 8
                        kind = _ETHER
                    elif erspan_version == 2:
                        # Type III: ... Timestamp(32) SGT(16) P(1) FT(5) Hw ID(6) D(1)
                        # Gra(2) O(1); O: an 8-byte platform-specific sub-header follows.
                        if at + 12 > size:
                            return _cut(packet, at, "ERSPAN type III header", 12)
                        (last,) = _unpack_h(data, at + 10)
                        frame_type = last >> 10 & 0x1F
                        if last & 1 and at + 20 > size:
                            return _cut(packet, at, "ERSPAN type III header with its "
                                        "platform sub-header", 20)
                        layers.append((LayerKind.ERSPAN_III, session))
                        at += 20 if last & 1 else 12
                        if frame_type == 0:
                            kind = _ETHER
                        elif frame_type == 2:
                            kind = _IP
                        else:
                            self._count(("erspan-frame", frame_type), packet, at,
                                        Severity.WARNING, "packet", f"of ERSPAN type III "
                                        f"with frame type {frame_type} (neither Ethernet "
                                        "nor IP), not followed")
                            return None, diags
                    else:
                        self._count(("erspan-version", erspan_version), packet, at,
                                    Severity.WARNING, "packet", f"of ERSPAN with version "
                                    f"field {erspan_version}, not followed")
                        return None, diags
                else:
                    self._count(("gre-protocol", protocol), packet, gre_at + 2,
                                Severity.WARNING, "packet", f"inside GRE with protocol type "
                                f"{protocol:#06x}, which wiretool does not follow")
                    return None, diags
            elif kind == _MPLS:
                # RFC 3032 section 2.1: Label(20) TC(3) S(1) TTL(8), one entry per step.
                if at + 4 > size:
                    return _cut(packet, at, "MPLS label stack entry", 4)
                (entry,) = _unpack_i(data, at)
                layers = (layers or []) + [(LayerKind.MPLS, entry >> 12)]
                at += 4
                if not entry & 0x100:
                    continue  # not the bottom of the stack
                if at >= size:
                    return _cut(packet, at, "MPLS payload", 1)
                # The label says what follows, by configuration (RFC 3032 section 2.2):
                # guess as RFC 4928 section 2 and RFC 4385 section 3 allow, from the first
                # nibble, then check the guess against what would follow it.
                nibble = data[at] >> 4
                if nibble == 4 and _ipv4_plausible(data, at):
                    kind = _IPV4
                elif nibble == 6 and _ipv6_plausible(data, at):
                    kind = _IPV6
                elif nibble == 0 and _ethernet_plausible(data, at + 4):
                    layers.append((LayerKind.PW, None))  # the control word, then Ethernet
                    at += 4
                    kind = _ETHER
                elif _ethernet_plausible(data, at):
                    kind = _ETHER  # an Ethernet pseudowire without the control word
                else:
                    self._count(("mpls",), packet, at, Severity.WARNING, "MPLS packet",
                                "whose payload is neither IPv4, IPv6 nor an Ethernet "
                                "pseudowire, not followed")
                    return None, diags
            else:  # _PPPOE. RFC 2516 section 4: Ver/Type, Code, Session ID, Length; PPP
                if at + 8 > size:
                    return _cut(packet, at, "PPPoE header", 8)
                (ppp,) = _unpack_h(data, at + 6)
                if ppp not in (0x0021, 0x0057):  # RFC 1332 IPv4, RFC 5072 IPv6
                    self._count(("ppp", ppp), packet, at + 6, Severity.INFO, "PPPoE packet",
                                f"of PPP protocol {ppp:#06x}, not IP")
                    return None, diags
                layers = (layers or []) + [(LayerKind.PPPOE, None)]
                at += 8
                kind = _IPV4 if ppp == 0x0021 else _IPV6
        self._count(("depth",), packet, at, Severity.WARNING, "packet",
                    f"nested deeper than {self.max_headers} headers, not followed")
        return None, diags

    def _gtp(self, packet: Packet, at: int) -> int | Result | None:
        """3GPP TS 29.281 section 5.1: where the G-PDU's payload starts; a result for a
        cut header; None (counted) for what is not a G-PDU of GTP version 1."""
        data = packet.data
        flags, message = data[at], data[at + 1]
        if flags >> 5 != 1 or not flags & 0x10:
            self._count(("gtp-version", flags >> 5), packet, at, Severity.WARNING, "packet",
                        f"of GTP version {flags >> 5} on the GTP-U port, not followed")
            return None
        if message != 0xFF:  # echo, error indication, end marker: no user data
            self._count(("gtp-message",), packet, at + 1, Severity.INFO, "GTP-U packet",
                        "without user data (not a G-PDU)")
            return None
        start = at
        at += 8
        if flags & 0x07:  # E, S or PN: sequence number, N-PDU number, next extension type
            if at + 4 > len(data):
                return _cut(packet, start, "GTP-U header", 12)
            following = data[at + 3] if flags & 0x04 else 0  # E: extension headers follow
            at += 4
            for _ in range(_MAX_EXT_HEADERS):  # section 5.2: length in 4-octet units
                if not following:
                    break
                if at >= len(data) or not data[at]:
                    return _cut(packet, at, "GTP-U extension header", 4)
                at += data[at] * 4
                if at > len(data):
                    return _cut(packet, start, "GTP-U extension headers",
                                at - start)
                following = data[at - 1]
            else:
                self._count(("gtp-extensions",), packet, start, Severity.WARNING, "packet",
                            f"with more than {_MAX_EXT_HEADERS} GTP-U extension headers, "
                            "not followed")
                return None
        if at >= len(data) or data[at] >> 4 not in (4, 6):
            self._count(("gtp-payload",), packet, at, Severity.WARNING, "GTP-U packet",
                        "whose payload is not IP (an Ethernet or unstructured PDU "
                        "session?), not followed")
            return None
        return at

    def _icmp_error(self, packet: Packet, at: int, end: int, version: int,
                    layers: list[_LayerKey] | None) -> Result | None:
        """An ICMP (RFC 792) or ICMPv6 (RFC 4443 section 3) error quoting a TCP packet:
        its TCP header, ``header_only``, when 16 bytes of it are there (Wireshark gives
        it a tcp.stream: a new one for a new address and port pair). None otherwise."""
        data = packet.data
        if at + 8 > end or data[at] not in (_ICMP_ERRORS if version == 4 else _ICMPV6_ERRORS):
            return None
        inner = at + 8
        if inner + 20 > end:
            return None
        if data[inner] >> 4 == 4 and version == 4:
            ihl = (data[inner] & 0x0F) * 4
            fragment_offset = _unpack_h(data, inner + 6)[0] & 0x1FFF
            if ihl < 20 or data[inner + 9] != _IPPROTO_TCP or fragment_offset:
                return None
            src, dst = data[inner + 12:inner + 16], data[inner + 16:inner + 20]
            tcp_at = inner + ihl
            kinds = (LayerKind.ICMP, LayerKind.IPV4)
        elif data[inner] >> 4 == 6 and version == 6:
            if inner + 40 > end or data[inner + 6] != _IPPROTO_TCP:
                return None
            src, dst = data[inner + 8:inner + 24], data[inner + 24:inner + 40]
            tcp_at = inner + 40
            kinds = (LayerKind.ICMPV6, LayerKind.IPV6)
        else:
            return None
        if tcp_at + 16 > end:
            return None
        sport, dport, seq, ack, _off, flags = _unpack_tcp(data, tcp_at)
        outer = LayerKind.IPV4 if version == 4 else LayerKind.IPV6
        key = (*(layers or ()), (outer, None), (kinds[0], None), (kinds[1], None))
        path = self._paths.get(key)
        if path is None:
            path = self._paths[key] = LayerPath(tuple(Layer(k, i) for k, i in key))
        return TcpSegment(packet.number, packet.time_ns, bytes(src), sport, bytes(dst), dport,
                          seq, ack, flags, b"", 0, packet.data_offset + tcp_at, path,
                          True), []

    # -- IP -------------------------------------------------------------------------

    def _ipv4(self, packet: Packet, at: int, diags: list[CaptureDiagnostic],
              layers: list[_LayerKey] | None = None
              ) -> tuple[Result | None, int, int, bytes, bytes, int]:
        """RFC 791 section 3.1. Returns (a final result, or None and: the protocol, where
        its header starts, source, destination, where the IP payload ends)."""
        data = packet.data
        if at + 20 > len(data):
            return _cut(packet, at, "IPv4 header", 20), 0, 0, b"", b"", 0
        (ver_ihl, _tos, total, _ident, frag, _ttl, proto, _csum, src, dst) = _unpack_ipv4(data, at)
        if ver_ihl >> 4 != 4:
            return (None, [_diag(packet, at, f"IPv4 header with version {ver_ihl >> 4}",
                                 length=1)]), 0, 0, b"", b"", 0
        ihl = (ver_ihl & 0x0F) * 4
        if ihl < 20:
            return (None, [_diag(packet, at, f"IPv4 header length {ihl} is less than 20",
                                 length=1)]), 0, 0, b"", b"", 0
        if at + ihl > len(data):
            return (None, [_diag(packet, at, f"IPv4 header of {ihl} bytes is cut by the "
                                 "capture", length=len(data) - at)]), 0, 0, b"", b"", 0
        if total == 0:
            # TCP segmentation offload: the kernel hands tcpdump a super-packet whose total
            # length field is still 0; the captured size is the best we know.
            total = max(packet.original_length, len(data)) - at
            diags.append(_diag(packet, at + 2, "IPv4 total length 0 (segmentation offload?); "
                               "using the captured length", Severity.INFO, 2))
        elif total < ihl:
            return (None, [_diag(packet, at + 2, f"IPv4 total length {total} is shorter "
                                 f"than its header ({ihl})", length=2)]), 0, 0, b"", b"", 0
        if proto != _IPPROTO_TCP and proto not in _TUNNEL_PROTOCOLS:
            if proto == _IPPROTO_ICMP and not frag & 0x3FFF:
                quoted = self._icmp_error(packet, at + ihl, min(at + total, len(data)), 4,
                                          layers)
                if quoted is not None:
                    return quoted, 0, 0, b"", b"", 0
            name = _IP_PROTOCOL_NAMES.get(proto)
            self._count(("ip", proto), packet, at + 9, Severity.INFO, "packet",
                        f"of IP protocol {proto}" + (f" ({name})" if name else ""))
            return (None, diags), 0, 0, b"", b"", 0
        if frag & 0x3FFF:  # MF set or a fragment offset: RFC 791 fragmentation
            self._count(("fragment", 4), packet, at + 6, Severity.WARNING, "IPv4 fragment",
                        "of TCP, UDP or a tunnel protocol, not reassembled (wiretool "
                        "does not reassemble IP fragments)")
            return (None, diags), 0, 0, b"", b"", 0
        # On-wire payload length comes from the IP header; Ethernet padding and FCS lie
        # beyond it and are ignored.
        return None, proto, at + ihl, src, dst, at + total

    def _ipv6(self, packet: Packet, at: int, diags: list[CaptureDiagnostic],
              layers: list[_LayerKey] | None = None
              ) -> tuple[Result | None, int, int, bytes, bytes, int]:
        """RFC 8200 sections 3 and 4; like ``_ipv4``."""
        data = packet.data
        if at + 40 > len(data):
            return _cut(packet, at, "IPv6 header", 40), 0, 0, b"", b"", 0
        first, payload_len, next_header, _hop, src, dst = _unpack_ipv6(data, at)
        if first >> 28 != 6:
            return (None, [_diag(packet, at, f"IPv6 header with version {first >> 28}",
                                 length=1)]), 0, 0, b"", b"", 0
        end = at + 40 + payload_len
        if payload_len == 0:
            # A jumbogram (RFC 2675) or segmentation offload: trust the capture.
            end = max(packet.original_length, len(data))
        type_at = at + 6  # where ``next_header`` was read
        at += 40
        for _ in range(_MAX_EXT_HEADERS):
            if next_header == _IPPROTO_TCP or next_header in _TUNNEL_PROTOCOLS:
                return None, next_header, at, src, dst, end
            if next_header in _IPV6_EXT or next_header in (_IPV6_FRAGMENT, _IPV6_AH):
                if at + 8 > len(data):
                    diags.append(_diag(packet, at, f"IPv6 extension header {next_header} is "
                                       "cut by the capture", length=len(data) - at))
                    return (None, diags), 0, 0, b"", b"", 0
                nh, hlen = data[at], data[at + 1]
                if next_header == _IPV6_FRAGMENT:
                    (frag,) = _unpack_h(data, at + 2)
                    if frag & 0xFFF9:  # offset or M flag: a real fragment, not an atomic one
                        if nh == _IPPROTO_TCP or nh in _TUNNEL_PROTOCOLS:
                            self._count(("fragment", 6), packet, at, Severity.WARNING,
                                        "IPv6 fragment", "of TCP, UDP or a tunnel "
                                        "protocol, not reassembled (wiretool does not "
                                        "reassemble IP fragments)")
                        else:
                            self._count(("ip", nh), packet, at, Severity.INFO, "packet",
                                        f"of IP protocol {nh}" + (
                                            f" ({_IP_PROTOCOL_NAMES[nh]})"
                                            if nh in _IP_PROTOCOL_NAMES else ""))
                        return (None, diags), 0, 0, b"", b"", 0
                    size = 8
                elif next_header == _IPV6_AH:
                    size = (hlen + 2) * 4  # RFC 4302 section 2.2: 4-octet units, minus 2
                else:
                    size = (hlen + 1) * 8
                next_header = nh
                type_at = at
                at += size
                continue
            if next_header == _IPPROTO_ICMPV6:
                quoted = self._icmp_error(packet, at, min(end, len(data)), 6, layers)
                if quoted is not None:
                    return quoted, 0, 0, b"", b"", 0
            name = _IP_PROTOCOL_NAMES.get(next_header)
            self._count(("ip", next_header), packet, type_at, Severity.INFO, "packet",
                        f"of IP protocol {next_header}" + (f" ({name})" if name else ""))
            return (None, diags), 0, 0, b"", b"", 0
        diags.append(_diag(packet, at, f"more than {_MAX_EXT_HEADERS} IPv6 extension headers"))
        return (None, diags), 0, 0, b"", b"", 0

    # -- TCP ------------------------------------------------------------------------

    @staticmethod
    def _tcp(packet: Packet, at: int, end: int, src: bytes, dst: bytes,
             diags: list[CaptureDiagnostic], path: LayerPath) -> Result:
        """RFC 9293 section 3.1. ``end`` is where the IP layer says the segment ends."""
        data = packet.data
        if at + 20 > len(data):
            diags.append(_diag(packet, at, f"TCP header needs 20 bytes, "
                               f"{max(len(data) - at, 0)} captured",
                               length=max(len(data) - at, 0)))
            return None, diags
        sport, dport, seq, ack, off_byte, flags = _unpack_tcp(data, at)
        header = (off_byte >> 4) * 4
        if header < 20:
            diags.append(_diag(packet, at + 12, f"TCP data offset {header} is less than 20",
                               length=1))
        elif end < at + header:
            diags.append(_diag(packet, at + 12, f"TCP header of {header} bytes runs past "
                               f"the IP payload ({end - at} bytes)", length=1))
        elif at + header > len(data):
            diags.append(_diag(packet, at, f"TCP header of {header} bytes is cut by the "
                               "capture", length=len(data) - at))
        else:
            header = 0
        if header:
            if min(len(data), end) - at < 16:
                return None, diags
            # Wireshark reads the ports, numbers, flags and window (16 bytes) and gives
            # the packet a tcp.stream before it looks at the header length.
            return TcpSegment(
                packet.number, packet.time_ns, src, sport, dst, dport, seq, ack, flags,
                b"", 0, packet.data_offset + at, path, True), diags
        header = (off_byte >> 4) * 4
        wire_end = max(packet.original_length, len(data))
        if end > wire_end:
            diags.append(_diag(packet, at, f"IP length claims {end - at} bytes of TCP but "
                               f"the packet had only {wire_end - at} on the wire",
                               Severity.WARNING))
            end = wire_end
        start = at + header
        payload = data[start:end]
        return TcpSegment(
            packet.number, packet.time_ns, src, sport, dst, dport, seq, ack, flags,
            payload, end - start, packet.data_offset + start, path,
        ), diags


def decode_segment(packet: Packet) -> Result:
    """One packet on its own: its TCP segment (None when it has none), what went wrong
    with it, and, when it was not followed to TCP, why (the one-packet report of
    :meth:`LinkDecoder.close`). A capture is decoded with one :class:`LinkDecoder`,
    which reports each kind of unfollowed traffic once, at the end.

    Never raises on any packet bytes.
    """
    decoder = LinkDecoder()
    segment, diags = decoder.decode(packet)
    return segment, diags + decoder.close()
