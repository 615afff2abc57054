"""The capture layer's model: packets, TCP segments, reassembly events, diagnostics.

Plain frozen dataclasses shared by ``pcap.py`` (file records -> ``Packet``),
``link.py`` (``Packet`` -> ``TcpSegment``, through any tunnels) and ``tcp.py``
(segments -> per-direction byte streams). Nothing here parses; renderers and the
HTTP/2 layer read these. The vocabulary of encapsulation paths (``LayerKind``,
``Layer``, ``LayerPath``) is defined here, once.

Times are integer nanoseconds since the Unix epoch (pcapng resolutions finer than a
nanosecond are rounded down). Offsets are absolute byte offsets in the capture file.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import NamedTuple

from wiretool.direction import Direction
from wiretool.errors import Diagnostic


class LinkType(IntEnum):
    """The link-layer header types we decode (tcpdump.org/linktypes.html)."""

    NULL = 0
    """BSD loopback: 4-byte address family in the capturing host's byte order."""
    ETHERNET = 1
    RAW_OPENBSD = 12
    """``DLT_RAW`` as numbered on most BSDs: raw IPv4 or IPv6, no link header."""
    RAW_BSD = 14
    """``DLT_RAW`` as numbered on OpenBSD."""
    RAW = 101
    """``LINKTYPE_RAW``: raw IPv4 or IPv6, told apart by the version nibble."""
    LOOP = 108
    """OpenBSD loopback: like NULL but the family is big-endian."""
    LINUX_SLL = 113
    """Linux cooked capture v1 (16-byte header)."""
    IPV4 = 228
    IPV6 = 229
    LINUX_SLL2 = 276
    """Linux cooked capture v2 (20-byte header)."""


@dataclass(frozen=True, slots=True)
class CaptureDiagnostic(Diagnostic):
    """A :class:`Diagnostic` that also names the packet and connection it belongs to.

    ``offset`` is an absolute offset in the capture *file*. File-structure problems
    (a bad record length, a truncated block) have ``packet_number`` None, because
    the broken record may not even be a packet.
    """

    packet_number: int | None = None
    """1-based number of the packet (as Wireshark numbers frames), when there is one."""
    conn_id: int | None = None
    """The TCP connection the problem belongs to, when there is one."""


@dataclass(frozen=True, slots=True)
class Packet:
    """One captured packet, as stored in a pcap record or a pcapng EPB/SPB/OPB."""

    number: int
    """1-based position among the capture's packets (Wireshark's frame number)."""
    file_offset: int
    """Offset of the record (or block) header in the file."""
    data_offset: int
    """Offset of ``data[0]`` in the file."""
    time_ns: int | None
    """Capture time, nanoseconds since the epoch; None for pcapng Simple Packet Blocks."""
    link_type: int
    """The link-layer header type of ``data`` (a :class:`LinkType` value when known)."""
    data: bytes
    """The captured bytes (possibly fewer than were on the wire)."""
    original_length: int
    """How many bytes the packet had on the wire."""
    interface_id: int = 0
    """pcapng interface the packet came from (0 for pcap)."""
    record_length: int = 0
    """Bytes of the whole record in the file: pcap record header + data, or the pcapng
    block with its options, padding and trailer (0 when unknown)."""


@dataclass(frozen=True, slots=True)
class Block:
    """A part of the file that is not a packet: the pcap file header, or a pcapng block
    (section header, interface description, statistics, name resolution, unknown).

    Reported only by ``CaptureParser(report_blocks=True)``, through ``take_blocks()``,
    so that packets, blocks and skipped ranges can be shown to tile the file.
    """

    offset: int
    """Offset of the block in the file."""
    length: int
    """Bytes of the whole block."""
    name: str
    """``pcap file header``, ``section header``, ``interface description``, ``block 0x5``."""


class LayerKind(StrEnum):
    """A header between the link layer and TCP, named as in a ``LayerPath``.

    The names follow tshark's ``frame.protocols`` (``ip`` is spelled ``ipv4``; the
    ``ethertype`` pseudo-layer is left out), so a path can be compared with it.
    """

    VLAN = "vlan"
    """An 802.1Q (0x8100), 802.1ad (0x88a8) or 0x9100/0x9200 tag; ident: the VLAN id."""
    MPLS = "mpls"
    """One MPLS label stack entry (RFC 3032); ident: the label."""
    PW = "pwethcw"
    """The control word of an Ethernet pseudowire over MPLS (RFC 4385 section 3)."""
    PPPOE = "pppoes"
    """A PPPoE session header and its PPP protocol field (RFC 2516)."""
    ETHERNET = "eth"
    """An Ethernet header inside a tunnel (the capture's own link header is not listed)."""
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    """An IPv6 header with its extension headers."""
    GRE = "gre"
    """A GRE header (RFC 2784, RFC 2890); ident: the key, when present."""
    ERSPAN_I = "erspan-i"
    """Cisco ERSPAN type I: GRE protocol 0x88be without a sequence number, no header."""
    ERSPAN_II = "erspan-ii"
    """ERSPAN type II: GRE protocol 0x88be with a sequence number, 8-byte header;
    ident: the session id."""
    ERSPAN_III = "erspan-iii"
    """ERSPAN type III: GRE protocol 0x22eb, 12-byte header (+8 with the platform
    sub-header); ident: the session id."""
    UDP = "udp"
    VXLAN = "vxlan"
    """VXLAN (RFC 7348) on UDP port 4789; ident: the VNI."""
    GENEVE = "geneve"
    """Geneve (RFC 8926) on UDP port 6081; ident: the VNI."""
    ICMP = "icmp"
    """An ICMP error message (RFC 792) quoting the start of a packet that failed."""
    ICMPV6 = "icmpv6"
    """An ICMPv6 error message (RFC 4443 section 3)."""
    GTP = "gtp"
    """GTP-U (3GPP TS 29.281) on UDP port 2152, a G-PDU; ident: the TEID."""


_IDENT_WORDS = {
    LayerKind.GRE: "key ",
    LayerKind.VXLAN: "vni ",
    LayerKind.GENEVE: "vni ",
    LayerKind.GTP: "teid ",
    LayerKind.ERSPAN_II: "session ",
    LayerKind.ERSPAN_III: "session ",
}


@dataclass(frozen=True, slots=True)
class Layer:
    """One header of a ``LayerPath``."""

    kind: LayerKind
    ident: int | None = None
    """VLAN id, MPLS label, GRE key, VXLAN/Geneve VNI or ERSPAN session id; None when
    the header has none."""

    def __str__(self) -> str:
        if self.ident is None:
            return self.kind.value
        return f"{self.kind.value} {_IDENT_WORDS.get(self.kind, '')}{self.ident}"


@dataclass(frozen=True, slots=True)
class LayerPath:
    """The headers a packet's TCP segment was found under, outermost first.

    Everything between the capture's link-layer header (Ethernet, Linux cooked,
    loopback, ...; not listed) and the TCP header (not listed): ``ipv4`` for a plain
    packet, ``vlan 100 / ipv4 / gre / erspan-i / eth / ipv4`` for a mirrored one.
    ``str()`` joins the layers with `` / ``.
    """

    layers: tuple[Layer, ...] = ()

    def __str__(self) -> str:
        return " / ".join(map(str, self.layers))

    @property
    def plain(self) -> bool:
        """Just one IP header: nothing worth showing beside the addresses."""
        return len(self.layers) == 1 and self.layers[0].kind in (LayerKind.IPV4,
                                                                  LayerKind.IPV6)


NO_PATH = LayerPath()
"""The path of a segment built by hand (not taken out of a packet)."""


@dataclass(frozen=True, slots=True)
class DecryptionSecrets:
    """A pcapng Decryption Secrets Block (pcapng draft §4.7, block type 0x0000000A): keys
    that decrypt later packets, e.g. a TLS key log (``secrets_type`` 0x544C534B, "TLSK")
    written by ``editcap --inject-secrets`` or Wireshark.

    Reported only by ``CaptureParser(report_secrets=True)``, through ``take_secrets()``;
    what the secrets mean is left to the layer that uses them (``wiretool.tls``).
    """

    offset: int
    """Offset of the block in the file."""
    secrets_type: int
    """The block's Secrets Type (0x544C534B: TLS key log; 0x57474B4C: WireGuard...)."""
    data: bytes
    """The Secrets Data, without the block's padding."""
    data_offset: int
    """Offset of ``data[0]`` in the file."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One end of a TCP connection."""

    address: ipaddress.IPv4Address | ipaddress.IPv6Address
    port: int

    def __str__(self) -> str:
        if self.address.version == 6:
            return f"[{self.address}]:{self.port}"
        return f"{self.address}:{self.port}"


class TcpFlags(IntEnum):
    """TCP header flag bits (RFC 9293 section 3.1)."""

    FIN = 0x01
    SYN = 0x02
    RST = 0x04
    PSH = 0x08
    ACK = 0x10
    URG = 0x20
    ECE = 0x40
    CWR = 0x80


class TcpSegment(NamedTuple):
    """A TCP segment taken out of a packet; addresses are raw 4- or 16-byte strings.

    A ``NamedTuple`` (immutable, and built three times faster than a frozen dataclass
    of 15 fields): a capture has one per TCP packet.
    """

    packet_number: int
    time_ns: int | None
    src_ip: bytes
    src_port: int
    dst_ip: bytes
    dst_port: int
    seq: int
    ack: int
    flags: int
    """Bitwise OR of :class:`TcpFlags`."""
    payload: bytes
    """The captured payload bytes."""
    payload_length: int
    """Payload length on the wire, from the IP header; more than ``len(payload)`` when
    the capture's snaplen cut the packet."""
    payload_offset: int
    """File offset of ``payload[0]``."""
    path: LayerPath = NO_PATH
    """The headers between the link layer and TCP (VLAN tags, tunnels, IP)."""
    header_only: bool = False
    """Only the header counts: it is broken (a diagnostic says how), or it is quoted
    in an ICMP error message. Its ports, sequence number and flags were read so that
    connections are numbered as Wireshark numbers them (it numbers both); the
    reassembler takes nothing else from it. ``payload`` is empty."""


class RoleBasis(StrEnum):
    """How the reassembler decided which side is the client."""

    SYN = "syn"
    """Saw the SYN (without ACK): its sender is the client. Certain."""
    SYN_ACK = "syn-ack"
    """Saw only the SYN+ACK: its sender is the server. Certain."""
    PORT = "port"
    """No handshake captured: the side with the lower port is called the server.
    Provisional; a consumer that knows better (e.g. it sees the HTTP/2 client
    preface coming from the "server") should swap the labels itself."""


class CloseReason(StrEnum):
    FIN = "fin"
    """Both sides sent FIN and every byte up to it was delivered."""
    RST = "rst"
    END_OF_CAPTURE = "end-of-capture"
    EVICTED = "evicted"
    """Dropped to keep the number of open connections under the limit."""
    REUSED = "reused"
    """A new SYN with another initial sequence number reused the same addresses."""


class GapReason(StrEnum):
    NOT_CAPTURED = "not-captured"
    """The peer acknowledged bytes the capture never saw."""
    BUFFER_LIMIT = "buffer-limit"
    """Too much out-of-order data was waiting for a missing segment."""
    SNAPLEN = "snaplen"
    """The capture's snapshot length cut the segment's payload."""
    END = "end"
    """The connection ended (FIN, RST, end of capture) with data missing."""


@dataclass(frozen=True, slots=True)
class ConnectionOpened:
    conn_id: int
    """1, 2, 3 ... in the order connections start; always Wireshark's ``tcp.stream``
    plus one (see :attr:`tcp_stream`)."""
    client: Endpoint
    server: Endpoint
    time_ns: int | None
    packet_number: int
    roles: RoleBasis
    """Whether ``client``/``server`` are certain (SYN, SYN_ACK) or a guess (PORT)."""
    path: LayerPath = NO_PATH
    """The encapsulation of the connection's first packet (``str()``: ``vlan 100 /
    ipv4 / gre / erspan-i / eth / ipv4``); later packets may take another path (a
    mirror port seeing both directions through different tunnels)."""

    @property
    def tcp_stream(self) -> int:
        """Wireshark's ``tcp.stream`` index of this connection (0-based)."""
        return self.conn_id - 1


@dataclass(frozen=True, slots=True)
class StreamData:
    """Contiguous bytes of one direction, in order, each byte delivered once."""

    conn_id: int
    direction: Direction
    stream_offset: int
    """Offset of ``data[0]`` in this direction's byte stream (0 = first byte after the
    SYN, or first byte seen when the SYN was not captured)."""
    data: bytes
    time_ns: int | None
    """Capture time of the packet that carried these bytes."""
    packet_number: int
    file_offset: int
    """File offset of ``data[0]`` (the bytes are a slice of one packet)."""


@dataclass(frozen=True, slots=True)
class Gap:
    """Bytes of one direction that are missing; delivery continues after them."""

    conn_id: int
    direction: Direction
    stream_offset: int
    length: int
    packet_number: int
    """The packet whose arrival (or the end) made the gap certain."""
    reason: GapReason


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    conn_id: int
    reason: CloseReason
    time_ns: int | None
    packet_number: int | None
    """The packet that closed it; None at the end of the capture."""
    client_bytes: int
    """Stream length delivered (data and gaps) in the client direction."""
    server_bytes: int


TcpEvent = ConnectionOpened | StreamData | Gap | ConnectionClosed | CaptureDiagnostic
"""What :class:`wiretool.capture.tcp.TcpReassembler` produces."""
