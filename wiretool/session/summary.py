"""The summary model of a connection (``--summary``): totals and one row per stream.

``Summary.add(frame)`` accumulates frame totals per direction (and, for a connection
dump, per stream and direction) as records stream past; ``StreamRows`` keeps, for a
capture, one compact ``StreamRow`` per stream (method, path, status, gRPC status,
frames, bytes and messages each way, first and last time). Memory is per stream,
not per frame. Renderers read the result.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from wiretool.direction import Direction
from wiretool.grpc.messages import StreamInfo
from wiretool.http2.constants import FRAME_HEADER_LENGTH
from wiretool.http2.frames import Frame


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

    directions: dict[Direction | None, Totals] = field(default_factory=dict)
    streams: dict[tuple[Direction | None, int], Totals] = field(default_factory=dict)
    per_stream: bool = True
    """Keep ``streams``; a capture keeps compact ``StreamRows`` instead."""

    def add(self, frame: Frame) -> None:
        self.directions.setdefault(frame.direction, Totals()).add(frame)
        if self.per_stream:
            self.streams.setdefault((frame.direction, frame.stream_id), Totals()).add(frame)



class StreamRow(NamedTuple):
    """One stream of a connection summary (``--summary``), kept compact once it closes.

    A plain tuple (no per-row dicts): a summary of 100k streams holds 100k of these,
    not 100k header dicts and counters. Rows of the same stream (a frame on a stream
    after it closed) are merged with ``merge``.
    """

    stream_id: int
    method: str | None
    path: str | None
    status: str | None
    grpc: bool
    grpc_status: int | None
    grpc_status_name: str | None
    client_frames: int
    client_data_bytes: int
    client_messages: int
    client_message_bytes: int
    server_frames: int
    server_data_bytes: int
    server_messages: int
    server_message_bytes: int
    first_ns: int | None
    last_ns: int | None
    headers_seen: bool
    """The stream's headers (or the h2c request line) were seen."""

    def merge(self, later: StreamRow) -> StreamRow:
        """This row and a later one of the same stream, as one (texts: the later's if
        it has them; counts: summed; times: the first first and the last last)."""
        return StreamRow(
            stream_id=self.stream_id,
            method=self.method if later.method is None else later.method,
            path=self.path if later.path is None else later.path,
            status=self.status if later.status is None else later.status,
            grpc=self.grpc or later.grpc,
            grpc_status=(self.grpc_status if later.grpc_status_name is None
                         and later.grpc_status is None else later.grpc_status),
            grpc_status_name=(self.grpc_status_name if later.grpc_status_name is None
                              else later.grpc_status_name),
            client_frames=self.client_frames + later.client_frames,
            client_data_bytes=self.client_data_bytes + later.client_data_bytes,
            client_messages=self.client_messages + later.client_messages,
            client_message_bytes=self.client_message_bytes + later.client_message_bytes,
            server_frames=self.server_frames + later.server_frames,
            server_data_bytes=self.server_data_bytes + later.server_data_bytes,
            server_messages=self.server_messages + later.server_messages,
            server_message_bytes=self.server_message_bytes + later.server_message_bytes,
            first_ns=self.first_ns if self.first_ns is not None else later.first_ns,
            last_ns=self.last_ns if later.last_ns is None else later.last_ns,
            headers_seen=self.headers_seen or later.headers_seen,
        )


@dataclass(slots=True)
class _StreamCounts:
    """What the summary counts for one open stream (both directions)."""

    frames: list[int] = field(default_factory=lambda: [0, 0])
    data_bytes: list[int] = field(default_factory=lambda: [0, 0])
    first_ns: int | None = None
    last_ns: int | None = None


class StreamRows:
    """The ``StreamRow`` of every stream of one connection: counts while a stream is
    open, one compact row once it closes."""

    def __init__(self) -> None:
        self._counts: dict[int, _StreamCounts] = {}
        """Counts of the open streams."""
        self._rows: list[StreamRow] = []
        """Rows of the closed streams, in closing order."""
        self._strings: dict[str, str] = {}
        """Shared copies of the methods, paths and statuses of the rows (they repeat)."""

    @property
    def open_streams(self) -> set[int]:
        return set(self._counts)

    def count(self, frame: Frame, time_ns: int | None) -> None:
        """A frame of a stream (not stream 0)."""
        counts = self._counts.get(frame.stream_id)
        if counts is None:
            counts = self._counts[frame.stream_id] = _StreamCounts()
        side = 1 if frame.direction is Direction.SERVER else 0
        counts.frames[side] += 1
        counts.data_bytes[side] += frame.data_length or 0
        if counts.first_ns is None:
            counts.first_ns = time_ns
        counts.last_ns = time_ns if time_ns is not None else counts.last_ns

    def closed(self, stream_id: int, info: StreamInfo | None) -> None:
        """The stream closed (``info``: what the gRPC tracker knew of it): keep its row."""
        counts = self._counts.pop(stream_id, None)
        if info is None and counts is None:
            return
        self._rows.append(self._row(stream_id, info, counts))

    def take(self) -> tuple[StreamRow, ...]:
        """The rows by stream id, the rows of one stream merged (stream 0 has none)."""
        rows, self._rows = self._rows, []
        out: list[StreamRow] = []
        rows.sort(key=lambda row: row.stream_id)  # stable: a stream's rows stay in order
        for row in rows:
            if row.stream_id == 0:
                continue
            if out and out[-1].stream_id == row.stream_id:
                out[-1] = out[-1].merge(row)
            else:
                out.append(row)
        return tuple(out)

    def _row(self, stream_id: int, info: StreamInfo | None,
             counts: _StreamCounts | None) -> StreamRow:
        def shared(text: str | None) -> str | None:
            return None if text is None else self._strings.setdefault(text, text)

        frames = counts.frames if counts else [0, 0]
        data = counts.data_bytes if counts else [0, 0]
        messages = info.messages if info else {}
        message_bytes = info.message_bytes if info else {}
        client, server = Direction.CLIENT, Direction.SERVER
        return StreamRow(
            stream_id, shared(info.method if info else None),
            shared(info.path if info else None), shared(info.status if info else None),
            bool(info and info.grpc), info.grpc_status if info else None,
            info.grpc_status_name if info else None,
            frames[0], data[0], messages.get(client, 0), message_bytes.get(client, 0),
            frames[1], data[1], messages.get(server, 0), message_bytes.get(server, 0),
            counts.first_ns if counts else None, counts.last_ns if counts else None,
            info is not None)
