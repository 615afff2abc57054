"""Per-direction and per-stream totals of a decoded connection (``--summary``).

``Summary.add(record)`` accumulates as records stream past, so a summary of a
huge input costs memory per stream, not per frame. Renderers read the result.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from wiretool.http2.constants import FRAME_HEADER_LENGTH
from wiretool.http2.frames import Frame, Record


@dataclass
class Totals:
    """Counts for one direction or one stream."""

    frames: Counter[str] = field(default_factory=Counter)
    """Frames by type name."""
    frame_bytes: int = 0
    """Octets of frames (headers included)."""
    data_bytes: int = 0
    """Octets of DATA payload, padding excluded."""
    header_blocks: int = 0
    hpack_wire_bytes: int = 0
    """Octets of HPACK header blocks on the wire."""
    hpack_decoded_bytes: int = 0
    """Octets of names and values those blocks decoded to."""

    @property
    def hpack_ratio(self) -> float | None:
        if not self.hpack_decoded_bytes:
            return None
        return self.hpack_wire_bytes / self.hpack_decoded_bytes

    def add(self, frame: Frame) -> None:
        self.frames[frame.type_name] += 1
        self.frame_bytes += FRAME_HEADER_LENGTH + len(frame.payload)
        self.data_bytes += frame.data_length or 0
        block = frame.header_block
        if block is not None:
            self.header_blocks += 1
            self.hpack_wire_bytes += block.wire_length
            self.hpack_decoded_bytes += block.decoded_length


@dataclass
class Summary:
    """Totals per direction (``None`` when unknown) and per (direction, stream)."""

    directions: dict[str | None, Totals] = field(default_factory=dict)
    streams: dict[tuple[str | None, int], Totals] = field(default_factory=dict)
    errors: int = 0
    warnings: int = 0
    per_stream: bool = True
    """Keep ``streams``; a capture session keeps its own compact per-stream rows instead."""

    def add(self, record: Record) -> None:
        if not isinstance(record, Frame):
            return
        self.directions.setdefault(record.direction, Totals()).add(record)
        if self.per_stream:
            self.streams.setdefault((record.direction, record.stream_id), Totals()).add(record)
