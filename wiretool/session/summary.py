"""The summary model (``--summary``): totals, calls per connection and per method.

``Summary.add(frame)`` accumulates frame totals per direction (and, for a connection
dump, per stream and direction) as records stream past. On a capture, ``StreamRows``
counts each open stream and, when it closes, turns it into a ``StreamRow`` (method,
path, status, gRPC status and message, frames, bytes and messages each way, times)
that is added to the connection's ``CallStats`` and to the capture's
``MethodRollup`` (one ``CallStats`` per method, over all connections), then dropped:
rows are kept only for a connection with at most ``ROWS_KEPT`` calls, or when asked
(``SessionOptions.stream_rows``). Streams that carried only PRIORITY frames are
counted, not rows; a systematic sample of at most ``WATERFALL_ROWS`` streams per
connection keeps the times of a waterfall. Durations go into a ``DurationSketch``
(a log-bucketed histogram: quantiles within ``DURATION_ERROR``).

So memory is bounded by the number of methods and open streams, not by the number
of streams a capture carried. Every aggregate merges exactly and in any order
(``CallStats.merge``, ``MethodRollup.merge``): ``--jobs`` workers send their
roll-ups and the merge gives what one process gives, byte for byte. Renderers only
read these objects.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from wiretool.direction import Direction
from wiretool.grpc.messages import StreamInfo
from wiretool.http2.constants import END_STREAM, FRAME_HEADER_LENGTH, FrameType, error_name
from wiretool.http2.frames import Frame, RstStream

_ENDS_STREAM = frozenset({FrameType.DATA, FrameType.HEADERS})
"""The frame types whose END_STREAM flag ends a side of a stream (RFC 9113 §6.1, §6.2)."""


def hpack_ratio(wire_bytes: int, decoded_bytes: int) -> float | None:
    """HPACK's wire bytes per decoded byte (``None`` when nothing was decoded)."""
    return wire_bytes / decoded_bytes if decoded_bytes else None


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
        return hpack_ratio(self.hpack_wire_bytes, self.hpack_decoded_bytes)

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
    """Totals per direction (``None`` when unknown) and per (direction, stream); on a
    capture, the connection's calls."""

    directions: dict[Direction | None, Totals] = field(default_factory=dict)
    streams: dict[tuple[Direction | None, int], Totals] = field(default_factory=dict)
    per_stream: bool = True
    """Keep ``streams``; a capture keeps compact ``StreamRows`` instead."""
    calls: ConnectionCalls | None = None
    """A capture connection's calls (``None`` for a dump)."""

    def add(self, frame: Frame) -> None:
        self.directions.setdefault(frame.direction, Totals()).add(frame)
        if self.per_stream:
            self.streams.setdefault((frame.direction, frame.stream_id), Totals()).add(frame)


DURATION_ERROR = 0.01
"""Largest relative error of a duration quantile (``DurationSketch``)."""
_GAMMA = (1 + DURATION_ERROR) / (1 - DURATION_ERROR)
_LOG_GAMMA = math.log(_GAMMA)
EXACT_DURATIONS = 64
"""Durations a ``DurationSketch`` keeps as they are before it buckets them."""
ROWS_KEPT = 20
"""A connection with at most this many calls keeps (and shows) a row per stream."""
WATERFALL_ROWS = 40
"""Streams of a connection whose times are kept for its waterfall (a sample)."""
FAILURES_KEPT = 8
"""Distinct (status, message) pairs of failed calls kept per aggregate."""
METHODS_KEPT = 2000
"""Methods a roll-up keeps apart; the calls of the others are summed in one line."""
PRIORITY_IDS_KEPT = 8
"""Ids of PRIORITY-only streams named per connection."""


class DurationSketch:
    """Durations (integer nanoseconds) in logarithmic buckets: quantiles within
    ``DURATION_ERROR`` relative error in memory bounded by the spread of the values
    (about 115 buckets per factor of 10), however many there are.

    Up to ``EXACT_DURATIONS`` durations are kept as they are (exact quantiles for a
    method called a few times). Then bucket ``i`` holds the durations in
    (g^(i-1), g^i], g = (1+a)/(1-a), and stands for 2g^i/(g+1), within a of every
    value in it (the DDSketch construction, Masson et al., VLDB 2019; a =
    ``DURATION_ERROR``). Zero durations (a stream whose frames came in one packet)
    have their own count; minimum and maximum are exact. Merging
    adds the buckets: the same result in any order.
    """

    __slots__ = ("buckets", "count", "exact", "max_ns", "min_ns", "zeros")

    def __init__(self) -> None:
        self.exact: list[int] | None = []
        """The durations themselves while there are at most ``EXACT_DURATIONS`` (then
        quantiles are exact); ``None`` once they went into the buckets."""
        self.buckets: dict[int, int] = {}
        self.count = 0
        self.zeros = 0
        self.min_ns: int | None = None
        self.max_ns: int | None = None

    def add(self, ns: int) -> None:
        self.count += 1
        if self.min_ns is None or ns < self.min_ns:
            self.min_ns = ns
        if self.max_ns is None or ns > self.max_ns:
            self.max_ns = ns
        exact = self.exact
        if exact is not None:
            exact.append(ns)
            if len(exact) > EXACT_DURATIONS:
                self._bucket_all()
            return
        self._bucket(ns)

    def _bucket(self, ns: int) -> None:
        if ns <= 0:
            self.zeros += 1
            return
        index = math.ceil(math.log(ns) / _LOG_GAMMA)
        buckets = self.buckets
        buckets[index] = buckets.get(index, 0) + 1

    def _bucket_all(self) -> None:
        exact, self.exact = self.exact, None
        for ns in exact or ():
            self._bucket(ns)

    def merge(self, other: DurationSketch) -> None:
        self.count += other.count
        if self.exact is not None and other.exact is not None \
                and len(self.exact) + len(other.exact) <= EXACT_DURATIONS:
            self.exact += other.exact
        else:
            self._bucket_all()
            for ns in other.exact or ():
                self._bucket(ns)
            self.zeros += other.zeros
            for index, count in other.buckets.items():
                self.buckets[index] = self.buckets.get(index, 0) + count
        for value in (other.min_ns, other.max_ns):
            if value is not None:
                self.min_ns = value if self.min_ns is None else min(self.min_ns, value)
                self.max_ns = value if self.max_ns is None else max(self.max_ns, value)

    def quantile(self, q: float) -> float | None:
        """The ``q``-quantile in nanoseconds, nearest rank: the smallest duration with
        at least ``q`` of all at or below it, exact up to ``EXACT_DURATIONS`` durations
        and within ``DURATION_ERROR`` beyond (``None``: no duration)."""
        if not self.count or self.min_ns is None or self.max_ns is None:
            return None
        rank = max(1, math.ceil(q * self.count - 1e-9))
        if self.exact is not None:
            return float(sorted(self.exact)[rank - 1])
        if rank >= self.count:
            return float(self.max_ns)
        if rank <= self.zeros:
            return float(max(self.min_ns, 0))
        seen = self.zeros
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                estimate = 2 * _GAMMA ** index / (_GAMMA + 1)
                return min(max(estimate, float(self.min_ns)), float(self.max_ns))
        return float(self.max_ns)


def status_label(row: StreamRow) -> str:
    """How a call ended, in words: the gRPC status by name (``OK``, ``NOT_FOUND``), an
    HTTP ``:status`` (``200``), ``RST_STREAM CANCEL``, or ``no response``."""
    if row.grpc:
        if row.grpc_status_name is not None:
            return row.grpc_status_name
        if row.grpc_status is not None:
            return f"grpc-status {row.grpc_status}"
        if row.status is not None and row.status != "200":
            return row.status
    elif row.status is not None:
        return row.status
    if row.reset is not None:
        return f"RST_STREAM {error_name(row.reset)}"
    return "no grpc-status" if row.grpc and row.status is not None else "no response"


def call_failed(row: StreamRow) -> bool:
    """A gRPC status other than OK, an HTTP status of 400 or more, or a reset stream."""
    if row.grpc and row.grpc_status is not None:
        return row.grpc_status != 0
    if row.status is not None:
        return not row.status.isdigit() or int(row.status) >= 400
    return row.reset is not None


def method_key(row: StreamRow) -> tuple[str, str]:
    """What calls are rolled up by: the method and the ``:path`` without its query
    (``/static/app.js?v=3`` is ``/static/app.js``); empty when not seen."""
    path = row.path or ""
    query = path.find("?")
    return (row.method or "", path if query < 0 else path[:query])


@dataclass(slots=True)
class CallStats:
    """Calls (streams) summed: how many, how they ended, how long they took, what
    they carried. Bounded (statuses by name, a few failure messages, a sketch) and
    mergeable in any order with the same result."""

    calls: int = 0
    grpc_calls: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    """Calls by ``status_label``."""
    failed: int = 0
    failures: dict[tuple[str, str], int] = field(default_factory=dict)
    """Failed calls by (status label, ``grpc-message``): the ``FAILURES_KEPT``
    smallest pairs (so any order of merging keeps the same ones)."""
    other_failures: int = 0
    """Failed calls whose pair is not in ``failures``."""
    durations: DurationSketch = field(default_factory=DurationSketch)
    client_messages: int = 0
    client_message_bytes: int = 0
    server_messages: int = 0
    server_message_bytes: int = 0
    client_data_bytes: int = 0
    server_data_bytes: int = 0
    frames: int = 0
    hpack_wire_bytes: int = 0
    hpack_decoded_bytes: int = 0

    @property
    def hpack_ratio(self) -> float | None:
        return hpack_ratio(self.hpack_wire_bytes, self.hpack_decoded_bytes)

    def add(self, row: StreamRow) -> None:
        """One call."""
        self.calls += 1
        if row.grpc:
            self.grpc_calls += 1
        label = status_label(row)
        self.statuses[label] = self.statuses.get(label, 0) + 1
        if call_failed(row):
            self.failed += 1
            self._failure((label, row.grpc_message or ""), 1)
        if row.first_ns is not None and row.last_ns is not None:
            self.durations.add(row.last_ns - row.first_ns)
        self.client_messages += row.client_messages
        self.client_message_bytes += row.client_message_bytes
        self.server_messages += row.server_messages
        self.server_message_bytes += row.server_message_bytes
        self.client_data_bytes += row.client_data_bytes
        self.server_data_bytes += row.server_data_bytes
        self.frames += row.client_frames + row.server_frames
        self.hpack_wire_bytes += row.hpack_wire_bytes
        self.hpack_decoded_bytes += row.hpack_decoded_bytes

    def merge(self, other: CallStats) -> None:
        self.calls += other.calls
        self.grpc_calls += other.grpc_calls
        for label, count in other.statuses.items():
            self.statuses[label] = self.statuses.get(label, 0) + count
        self.failed += other.failed
        self.other_failures += other.other_failures
        for pair, count in other.failures.items():
            self._failure(pair, count)
        self.durations.merge(other.durations)
        self.client_messages += other.client_messages
        self.client_message_bytes += other.client_message_bytes
        self.server_messages += other.server_messages
        self.server_message_bytes += other.server_message_bytes
        self.client_data_bytes += other.client_data_bytes
        self.server_data_bytes += other.server_data_bytes
        self.frames += other.frames
        self.hpack_wire_bytes += other.hpack_wire_bytes
        self.hpack_decoded_bytes += other.hpack_decoded_bytes

    def _failure(self, pair: tuple[str, str], count: int) -> None:
        failures = self.failures
        if pair in failures:
            failures[pair] += count
            return
        failures[pair] = count
        if len(failures) > FAILURES_KEPT:
            largest = max(failures)
            self.other_failures += failures.pop(largest)


class MethodRollup:
    """The calls of every connection of a capture, one ``CallStats`` per method
    (``method_key``): the ``METHODS_KEPT`` smallest keys apart, the others summed in
    ``other`` (a rule that gives the same result in any order of adding and
    merging), and the HTTP/2 connections counted."""

    def __init__(self) -> None:
        self.methods: dict[tuple[str, str], CallStats] = {}
        self._keys: list[tuple[str, str]] = []
        """``methods``' keys, sorted."""
        self.other = CallStats()
        self.connections = 0

    def add(self, row: StreamRow) -> None:
        self._stats(method_key(row)).add(row)

    def merge(self, other: MethodRollup) -> None:
        self.connections += other.connections
        self.other.merge(other.other)
        for key, stats in other.methods.items():
            self._stats(key).merge(stats)

    def _stats(self, key: tuple[str, str]) -> CallStats:
        stats = self.methods.get(key)
        if stats is not None:
            return stats
        keys = self._keys
        if len(keys) >= METHODS_KEPT and key > keys[-1]:
            return self.other
        stats = self.methods[key] = CallStats()
        bisect.insort(keys, key)
        if len(keys) > METHODS_KEPT:
            self.other.merge(self.methods.pop(keys.pop()))
        return stats

    def record(self) -> CaptureSummary:
        """The ``CaptureSummary`` of what was added and merged."""
        total = CallStats()
        for key in self._keys:
            total.merge(self.methods[key])
        total.merge(self.other)
        return CaptureSummary(tuple((key, self.methods[key]) for key in self._keys),
                              self.other if self.other.calls else None, total,
                              self.connections)


@dataclass(frozen=True, slots=True)
class CaptureSummary:
    """``--summary`` on a capture, after its last connection: the calls of all of
    them, per method."""

    methods: tuple[tuple[tuple[str, str], CallStats], ...]
    """((method, path without query), calls), by key."""
    other: CallStats | None
    """The calls of the methods past ``METHODS_KEPT`` (``None``: there were none)."""
    total: CallStats
    connections: int
    """HTTP/2 connections."""


class WaterfallRow(NamedTuple):
    """When one stream opened, its request ended, its response began, and it ended."""

    stream_id: int
    method: str | None
    path: str | None
    status: str
    """``status_label``."""
    failed: bool
    opened_ns: int
    request_end_ns: int | None
    """The client's END_STREAM."""
    response_ns: int | None
    """The server's first HEADERS."""
    end_ns: int


@dataclass(slots=True)
class ConnectionCalls:
    """The calls of one capture connection (``Summary.calls``)."""

    stats: CallStats = field(default_factory=CallStats)
    priority_only: int = 0
    """Streams that carried only PRIORITY frames (RFC 9113 §5.3: a client may build
    its priority tree with idle streams): counted, not calls."""
    priority_only_ids: list[int] = field(default_factory=list)
    """The first ``PRIORITY_IDS_KEPT`` of them."""
    waterfall: list[tuple[int, WaterfallRow]] = field(default_factory=list)
    """(ordinal, row) of every ``waterfall_step``-th call (a systematic sample: at
    most ``WATERFALL_ROWS``, spread over the whole connection)."""
    waterfall_step: int = 1

    def sample(self, ordinal: int, row: WaterfallRow) -> None:
        if ordinal % self.waterfall_step:
            return
        self.waterfall.append((ordinal, row))
        if len(self.waterfall) > WATERFALL_ROWS:
            self.waterfall_step *= 2
            step = self.waterfall_step
            self.waterfall = [kept for kept in self.waterfall if kept[0] % step == 0]


class StreamRow(NamedTuple):
    """One stream of a connection summary (``--summary``), kept compact once it closes.

    A plain tuple (no per-row dicts). Rows of the same stream (a frame on a stream
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
    grpc_message: str | None = None
    """``grpc-message`` of the trailers, percent-decoded."""
    reset: int | None = None
    """Error code of a RST_STREAM (RFC 9113 §6.4) that ended the stream."""
    hpack_wire_bytes: int = 0
    """Octets of the stream's header blocks on the wire, both directions."""
    hpack_decoded_bytes: int = 0

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
            grpc_message=self.grpc_message if later.grpc_message is None
            else later.grpc_message,
            reset=self.reset if later.reset is None else later.reset,
            hpack_wire_bytes=self.hpack_wire_bytes + later.hpack_wire_bytes,
            hpack_decoded_bytes=self.hpack_decoded_bytes + later.hpack_decoded_bytes,
        )


@dataclass(slots=True)
class _StreamCounts:
    """What the summary counts for one open stream (both directions)."""

    frames: list[int] = field(default_factory=lambda: [0, 0])
    data_bytes: list[int] = field(default_factory=lambda: [0, 0])
    priority_frames: int = 0
    hpack_wire_bytes: int = 0
    hpack_decoded_bytes: int = 0
    first_ns: int | None = None
    last_ns: int | None = None
    request_end_ns: int | None = None
    response_ns: int | None = None
    reset: int | None = None
    grpc_message: str | None = None


class StreamRows:
    """The calls of one capture connection: counts while a stream is open; when it
    closes, its ``StreamRow`` is added to ``calls`` (and to the capture's
    ``rollup``), sampled for the waterfall, and kept only while the connection has
    at most ``ROWS_KEPT`` calls (every row with ``keep_all``)."""

    def __init__(self, rollup: MethodRollup | None = None, *, keep_all: bool = False) -> None:
        self.rollup = rollup
        self.keep_all = keep_all
        self.calls = ConnectionCalls()
        self._counts: dict[int, _StreamCounts] = {}
        """Counts of the open streams."""
        self._rows: dict[int, StreamRow] | None = {}
        """Rows of the closed streams by id (``None`` once past ``ROWS_KEPT``)."""
        self._highest_closed = [0, 0]
        """The highest id of a closed stream with headers, by parity (even: pushed)."""
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
        server = frame.direction is Direction.SERVER
        side = 1 if server else 0
        counts.frames[side] += 1
        counts.data_bytes[side] += frame.data_length or 0
        if counts.first_ns is None:
            counts.first_ns = time_ns
        if time_ns is not None:
            counts.last_ns = time_ns
        frame_type = frame.type
        if frame_type == FrameType.PRIORITY:
            counts.priority_frames += 1
        elif frame_type == FrameType.RST_STREAM:
            body = frame.body
            if isinstance(body, RstStream) and body.error_code is not None:
                counts.reset = body.error_code
        block = frame.header_block
        if block is not None:
            counts.hpack_wire_bytes += block.wire_length
            counts.hpack_decoded_bytes += block.decoded_length
            if server and counts.response_ns is None:
                counts.response_ns = time_ns
        if not server and frame.flags & END_STREAM and frame_type in _ENDS_STREAM:
            counts.request_end_ns = time_ns

    def grpc_message(self, stream_id: int, message: str | None) -> None:
        """The stream's trailers carried ``grpc-message``."""
        counts = self._counts.get(stream_id)
        if counts is not None and message:
            counts.grpc_message = message

    def closed(self, stream_id: int, info: StreamInfo | None) -> None:
        """The stream closed (``info``: what the gRPC tracker knew of it)."""
        counts = self._counts.pop(stream_id, None)
        if (info is None and counts is None) or stream_id == 0:
            return
        calls = self.calls
        if info is None and counts is not None and counts.priority_frames == sum(counts.frames):
            calls.priority_only += 1
            if len(calls.priority_only_ids) < PRIORITY_IDS_KEPT:
                calls.priority_only_ids.append(stream_id)
            return
        row = self._row(stream_id, info, counts)
        rows = self._rows
        parity = stream_id & 1
        if info is None and stream_id <= self._highest_closed[parity]:
            # A frame after the stream closed (WINDOW_UPDATE, RST_STREAM): the same
            # call, already counted; its row takes it if it is kept.
            if rows is not None and stream_id in rows:
                rows[stream_id] = rows[stream_id].merge(row)
            return
        if info is not None:
            self._highest_closed[parity] = max(self._highest_closed[parity], stream_id)
        ordinal = calls.stats.calls
        calls.stats.add(row)
        if self.rollup is not None:
            self.rollup.add(row)
        if row.first_ns is not None and row.last_ns is not None:
            calls.sample(ordinal, WaterfallRow(
                stream_id, row.method, row.path, status_label(row), call_failed(row),
                row.first_ns, counts.request_end_ns if counts else None,
                counts.response_ns if counts else None, row.last_ns))
        if rows is not None:
            if stream_id in rows:
                rows[stream_id] = rows[stream_id].merge(row)
            elif self.keep_all or len(rows) < ROWS_KEPT:
                rows[stream_id] = row
            else:
                self._rows = None  # too many to list: the aggregates say it

    def take(self) -> tuple[StreamRow, ...]:
        """The rows kept, by stream id (none past ``ROWS_KEPT`` calls)."""
        rows, self._rows = self._rows, {}
        return tuple(rows[key] for key in sorted(rows)) if rows else ()

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
            info is not None, shared(counts.grpc_message if counts else None),
            counts.reset if counts else None,
            counts.hpack_wire_bytes if counts else 0,
            counts.hpack_decoded_bytes if counts else 0)
