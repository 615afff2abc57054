"""The whole capture pipeline in one call: file -> packets -> TCP segments -> events.

Glue only: ``pcap.py`` reads records, ``link.py`` finds TCP segments, ``tcp.py``
reassembles them. Everything streams: one packet at a time, nothing kept beyond the
reassembler's bounded buffers. Deciding which connections carry HTTP/2 is left to
``detect.py`` and the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from wiretool.capture.link import decode_segment
from wiretool.capture.model import CaptureDiagnostic, Packet, TcpEvent
from wiretool.capture.pcap import CaptureParser, read_packets
from wiretool.capture.tcp import TcpReassembler


def reassemble(
    packets: Iterable[Packet | CaptureDiagnostic],
    reassembler: TcpReassembler | None = None,
) -> Iterator[TcpEvent]:
    """Turn packets (and pass through diagnostics) into TCP events, flushing at the end."""
    tcp = reassembler or TcpReassembler()
    for item in packets:
        if isinstance(item, CaptureDiagnostic):
            yield item
            continue
        segment, diagnostics = decode_segment(item)
        yield from diagnostics
        if segment is not None:
            yield from tcp.feed(segment)
    yield from tcp.close()


def follow_tcp(
    stream: BinaryIO,
    *,
    chunk_size: int = 1 << 16,
    parser: CaptureParser | None = None,
    reassembler: TcpReassembler | None = None,
) -> Iterator[TcpEvent]:
    """Read a pcap/pcapng file object and yield every TCP event and diagnostic in order."""
    return reassemble(read_packets(stream, chunk_size=chunk_size, parser=parser), reassembler)
