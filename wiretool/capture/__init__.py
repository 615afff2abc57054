"""Captures: pcap/pcapng files -> packets -> TCP byte streams of each connection.

Layers, each usable alone and each sans-IO except :func:`follow_tcp` and
:func:`read_packets`, which only add a file object:

* ``pcap.py``    ``CaptureParser`` / ``read_packets``: file records -> ``Packet``
* ``compression.py`` ``Inflater``: gzip / xz captures, told by their magic, streamed
* ``link.py``    ``LinkDecoder`` / ``decode_segment``: ``Packet`` -> ``TcpSegment``
                 (link, VLAN, MPLS, tunnels, IP, TCP headers; a ``LayerPath`` each)
* ``tcp.py``     ``TcpReassembler``: segments -> ``ConnectionOpened``/``StreamData``/
                 ``Gap``/``ConnectionClosed`` events
* ``follow.py``  ``follow_tcp``: the three above chained, streaming
* ``model.py``   the dataclasses they exchange

Recoverable input problems are ``CaptureDiagnostic`` items in the same streams
(a :class:`wiretool.errors.Diagnostic` with packet number and connection id);
nothing here raises on bad input. This package knows no protocol above TCP: whether
a connection carries HTTP/2 (``wiretool.http2.detect``) and what it says are left to
the layers above, which import this one (never the other way round).
"""

from wiretool.capture.compression import Compression, Inflater, sniff_compression
from wiretool.capture.follow import follow_tcp, reassemble
from wiretool.capture.link import LinkDecoder, decode_segment
from wiretool.capture.model import (
    CaptureDiagnostic,
    CloseReason,
    ConnectionClosed,
    ConnectionOpened,
    Endpoint,
    Gap,
    GapReason,
    Layer,
    LayerKind,
    LayerPath,
    LinkType,
    Packet,
    RoleBasis,
    StreamData,
    TcpEvent,
    TcpSegment,
)
from wiretool.capture.pcap import (
    CaptureFormat,
    CaptureParser,
    looks_like_capture,
    read_packets,
    sniff_capture_format,
)
from wiretool.capture.tcp import TcpReassembler
from wiretool.direction import Direction

__all__ = [
    "CaptureDiagnostic",
    "CaptureFormat",
    "CaptureParser",
    "CloseReason",
    "Compression",
    "ConnectionClosed",
    "ConnectionOpened",
    "Direction",
    "Endpoint",
    "Gap",
    "GapReason",
    "Inflater",
    "Layer",
    "LayerKind",
    "LayerPath",
    "LinkDecoder",
    "LinkType",
    "Packet",
    "RoleBasis",
    "StreamData",
    "TcpEvent",
    "TcpReassembler",
    "TcpSegment",
    "decode_segment",
    "follow_tcp",
    "looks_like_capture",
    "read_packets",
    "reassemble",
    "sniff_capture_format",
    "sniff_compression",
]
