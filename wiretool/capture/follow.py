"""The whole capture pipeline in one call: file -> packets -> TCP segments -> events.

Glue only: ``pcap.py`` reads records (from a compressed file too), ``link.py`` finds
TCP segments under any tunnels, ``tcp.py`` reassembles them. Everything streams: one
packet at a time, nothing kept beyond the reassembler's bounded buffers. At the end
come the reassembler's last events, then ``LinkDecoder``'s report of what was not
followed (once per kind). Deciding which connections carry HTTP/2 is left to the
caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from wiretool.capture.link import LinkDecoder
from wiretool.capture.model import CaptureDiagnostic, Packet, TcpEvent
from wiretool.capture.pcap import CaptureParser, read_packets
from wiretool.capture.tcp import TcpReassembler


def reassemble(
    packets: Iterable[Packet | CaptureDiagnostic],
    reassembler: TcpReassembler | None = None,
    link: LinkDecoder | None = None,
) -> Iterator[TcpEvent]:
    """Turn packets (and pass through diagnostics) into TCP events, flushing at the end."""
    tcp = reassembler or TcpReassembler()
    decoder = link or LinkDecoder()
    decode = decoder.decode
    for item in packets:
        if isinstance(item, CaptureDiagnostic):
            yield item
            continue
        segment, diagnostics = decode(item)
        if diagnostics:
            yield from diagnostics
        if segment is not None:
            yield from tcp.feed(segment)
    yield from tcp.close()
    yield from decoder.close()


def follow_tcp(
    stream: BinaryIO,
    *,
    chunk_size: int = 1 << 16,
    parser: CaptureParser | None = None,
    reassembler: TcpReassembler | None = None,
    link: LinkDecoder | None = None,
) -> Iterator[TcpEvent]:
    """Read a pcap/pcapng file object (gzip- or xz-compressed too) and yield every TCP
    event and diagnostic in order."""
    return reassemble(read_packets(stream, chunk_size=chunk_size, parser=parser),
                      reassembler, link)
