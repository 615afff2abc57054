"""Both directions of one HTTP/2 connection: frames, header blocks, HPACK contexts.

``Connection.feed(direction, data)`` takes the bytes of one direction as they
arrive (a file chunk, a tshark follow line, a reassembled TCP segment) and
returns records in order: ``Preface``, ``Frame`` (with ``direction`` set and, on
the frame that ends a header block, ``header_block``) and stand-alone
``H2Diagnostic`` records. Each direction has its own ``FrameReader`` and its own
``HpackContext`` for the life of the connection (RFC 7541 §2.2).

What one side announces in SETTINGS governs what the *other* side may send
(RFC 9113 §6.5): SETTINGS_HEADER_TABLE_SIZE bounds the peer's HPACK size updates
and SETTINGS_MAX_FRAME_SIZE the peer's frames. A larger value applies as soon as
it is seen (the peer may act on it only later, so this never raises a false
alarm); a smaller one once the peer has acknowledged it.

Sans-IO: nothing here reads files or prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from wiretool.direction import Direction
from wiretool.errors import Diagnostic, Severity
from wiretool.http2 import constants as c
from wiretool.http2.constants import ErrorCode, FrameType
from wiretool.http2.frames import (
    BLOCK_FRAGMENTS,
    Frame,
    FrameReader,
    H2Diagnostic,
    InputEnd,
    Preface,
    Record,
    Settings,
)
from wiretool.http2.hpack import DEFAULT_MAX_HEADER_LIST_SIZE, BlockCache, HpackContext

DEFAULT_MAX_CONTINUATION_FRAMES = 1000
"""CONTINUATION frames kept for one header block. Even at the minimum frame size that
is 16 MB of header block, far beyond any real header list (servers cap at a few KB)."""



@dataclass(frozen=True, slots=True)
class GapDiagnostic(H2Diagnostic):
    """Bytes of one direction are missing (a lost capture segment): the one error a gap
    gives, with what the HTTP/2 layer lost because of it. ``length`` is the number of
    missing bytes; where reading resumed follows later as an ``INFO`` diagnostic."""


@dataclass
class _Direction:
    """Mutable state of one direction (internal)."""

    label: Direction | None
    resolved: bool
    reader: FrameReader
    hpack: HpackContext
    fragments: list[tuple[int, bytes]] = field(default_factory=list)
    """Header block being assembled: (absolute offset, fragment) pairs."""
    block_stream: int | None = None
    block_frames: int = 0
    """HEADERS/PUSH_PROMISE + CONTINUATION frames of the block being assembled."""
    block_dropped: bool = False
    """The block passed ``max_continuation_frames``: counted, no longer kept."""
    pending_table_size: int | None = None
    """SETTINGS_HEADER_TABLE_SIZE this side sent and the peer has not yet acknowledged."""
    pending_frame_size: int | None = None
    """SETTINGS_MAX_FRAME_SIZE this side sent and the peer has not yet acknowledged."""
    started: bool = False
    settings_seen: bool = False
    """This side's SETTINGS are all in the input: it started with the preface or its
    first SETTINGS, and no gap lost any since. Only then are its limits on the peer
    certain."""
    base_offset: int = 0
    """Stream offset where HTTP/2 starts in this direction (after an h2c upgrade)."""
    resync_from: int | None = None
    """Offset where bytes resume after a gap, until reading has resynchronised."""
    resync_skipped: int = 0
    """Bytes after the gap skipped so far while looking for a frame header."""


class Connection:
    """Decode the two directions of one connection, fed in any interleaving."""

    def __init__(
        self,
        *,
        max_header_list_size: int = DEFAULT_MAX_HEADER_LIST_SIZE,
        both_directions: bool = False,
        max_continuation_frames: int = DEFAULT_MAX_CONTINUATION_FRAMES,
        block_cache: BlockCache | None = None,
    ) -> None:
        """``both_directions``: the input holds both sides (tshark follow, a capture), so
        each side's SETTINGS are seen and limits are enforced as errors.
        ``max_continuation_frames``: CONTINUATION frames kept for one header block; past
        it the block is counted but not assembled (a CONTINUATION flood costs nothing).
        ``block_cache``: where both directions remember the HPACK decodings of blocks
        that changed nothing, shared with other connections (``None``: nowhere)."""
        self.max_header_list_size = max_header_list_size
        self.max_continuation_frames = max_continuation_frames
        self.both_directions = both_directions
        self.block_cache = block_cache
        self._directions: dict[Direction | None, _Direction] = {}

    def _state(self, direction: Direction | None) -> _Direction:
        state = self._directions.get(direction)
        if state is None:
            if direction is not None:
                direction = Direction(direction)  # a caller may name it as a string
            state = _Direction(
                label=direction,
                resolved=direction is not None,
                reader=FrameReader(),
                hpack=HpackContext(
                    limit_known=self.both_directions,
                    max_header_list_size=self.max_header_list_size,
                    block_cache=self.block_cache,
                ),
            )
            state.reader.direction = direction
            self._directions[direction] = state
        return state

    def _peer(self, state: _Direction) -> _Direction | None:
        if state.label is None:
            return None
        other = state.label.peer
        if self.both_directions:
            return self._state(other)
        return self._directions.get(other)

    def begin(self, direction: Direction, offset: int) -> None:
        """HTTP/2 starts at stream offset ``offset`` of ``direction`` (call before ``feed``).

        Frame offsets then stay offsets in the direction's whole byte stream, e.g. the
        TCP stream of a capture where an HTTP/1.1 upgrade came first.
        """
        state = self._state(direction)
        state.reader = FrameReader(base_offset=offset)
        state.reader.direction = state.label
        state.base_offset = offset

    def gap(self, direction: Direction, length: int) -> list[Record]:
        """``length`` bytes of ``direction`` were lost (a capture gap).

        First the complete frames read since the previous gap, which the reader held
        until a following header would confirm them (``FrameReader.salvage``): they
        ended where the capture lost bytes again. Then the reader drops its partial
        frame and resynchronises at the next plausible frame header; a header block
        being assembled is abandoned; the HPACK context forgets its dynamic table,
        since a lost block may have changed it (its later references are then shown as
        unknown). The ``GapDiagnostic`` is the last record returned.
        """
        state = self._state(direction)
        out: list[Record] = []
        salvaged = state.reader.salvage()
        if salvaged:
            out = self._resynchronised(state, self._process(state, salvaged), final=False)
        at = state.reader.offset + state.reader.buffered
        dropped = state.reader.gap(length)
        state.reader.take_skipped()
        state.started = True
        state.settings_seen = False  # the lost bytes may have held SETTINGS
        state.resync_from = at + length
        state.resync_skipped = 0
        if length == 0:
            message = (f"reading starts inside the byte stream at offset {at}: looking for "
                       "the next plausible frame header")
        else:
            message = (f"{length} byte(s) missing at offset {at} (not captured); "
                       f"resynchronising at the next plausible frame header")
        if dropped:
            message += f"; the incomplete frame before the gap ({dropped} byte(s)) is dropped"
        if state.fragments:
            message += (f"; the header block of stream {state.block_stream} is abandoned")
            state.fragments = []
            state.block_stream = None
        if length and (state.hpack.entries or state.hpack.history_complete):
            message += "; HPACK dynamic table entries from before the gap are now unknown"
        state.hpack.lose_history("lost in a capture gap")
        if length == 0:
            return [*out, H2Diagnostic(at, Severity.WARNING, message, 0, None, state.label)]
        return [*out, GapDiagnostic(at, Severity.ERROR, message, length, None, state.label)]

    def _resynchronised(self, state: _Direction, records: list[Record], *,
                        final: bool) -> list[Record]:
        """After a gap: one ``INFO`` saying where reading resumed, once it has; at the end
        of the input, an error when nothing after the gap looked like a frame header."""
        state.resync_skipped += state.reader.take_skipped()
        if state.resync_from is None or (state.reader.resyncing and not final):
            return records
        skipped, resumed = state.resync_skipped, state.resync_from + state.resync_skipped
        state.resync_from, state.resync_skipped = None, 0
        if any(isinstance(r, Frame) for r in records):
            detail = (f"{skipped} byte(s) after the gap skipped up to a plausible frame header"
                      if skipped else "the gap ended at a frame header")
            note = H2Diagnostic(resumed, Severity.INFO, f"reading resynchronised at offset "
                                f"{resumed}: {detail}", 0, None, state.label)
            return [note, *records]
        if skipped:
            return [*records, H2Diagnostic(
                resumed - skipped, Severity.ERROR, f"{skipped} byte(s) after a gap hold no "
                "plausible frame header; skipped", skipped, None, state.label)]
        return records

    def upgrade_settings(self, payload: bytes, offset: int) -> Frame:
        """h2c (RFC 7540 §3.2.1): the client's SETTINGS sent in the ``HTTP2-Settings``
        header of the upgrade request. They apply as a SETTINGS frame of the client
        would; the returned frame (``offset``: where the header value is) is not on
        the wire as such."""
        from wiretool.http2.frames import decode_frame

        header = len(payload).to_bytes(3, "big") + bytes([FrameType.SETTINGS, 0]) + bytes(4)
        frame = decode_frame(header + payload, offset - c.FRAME_HEADER_LENGTH)
        state = self._state(Direction.CLIENT)
        frame = frame._replace(direction=Direction.CLIENT)
        assert type(frame.body) is Settings
        self._settings(state, frame.flags, frame.body)
        return frame

    def feed(self, direction: Direction | None, data: bytes) -> list[Record]:
        """Bytes of ``direction`` (``client``, ``server``, or ``None`` to detect it)."""
        state = self._state(direction)
        state.reader.max_frame_size_known = self._peer_settings_known(state)
        out = self._process(state, state.reader.feed(data))
        return self._resynchronised(state, out, final=False)

    def _peer_settings_known(self, state: _Direction) -> bool:
        """Is SETTINGS_MAX_FRAME_SIZE for ``state``'s frames known (RFC 9113 §4.2)?

        Only with both directions in the input, and when the peer (the receiver) has
        not started yet (the initial value then holds) or started at its beginning.
        """
        if not self.both_directions:
            return False
        peer = self._peer(state)
        return peer is None or not peer.started or peer.settings_seen

    def close(self, direction: Direction | None = None,
              end: InputEnd = InputEnd.COMPLETE) -> list[Record]:
        """End of the input of ``direction`` (or of every direction when ``None``).

        ``end`` says how it ended: what is cut off (a frame, a header block) is an
        error only when the input is whole (``InputEnd.COMPLETE``)."""
        out: list[Record] = []
        keys = list(self._directions) if direction is None else [direction]
        for key in keys:
            state = self._directions.get(key)
            if state is None:
                continue
            state.reader.max_frame_size_known = self._peer_settings_known(state)
            out += self._resynchronised(state, self._process(state, state.reader.close(end)),
                                        final=True)
            if state.fragments:
                first = state.fragments[0][0]
                if end.malformed:
                    out.append(H2Diagnostic(
                        first, Severity.ERROR,
                        f"input ends inside the header block of stream {state.block_stream} "
                        f"started at offset {first} (no END_HEADERS); it is not decoded",
                        0, ErrorCode.PROTOCOL_ERROR, state.label))
                else:
                    out.append(H2Diagnostic(
                        first, Severity.WARNING,
                        f"{end.value} inside the header block of stream {state.block_stream} "
                        f"started at offset {first} (no END_HEADERS yet); it is not decoded",
                        0, None, state.label))
                state.fragments = []
            state.hpack.release()
        return out

    def held(self, direction: Direction) -> int:
        """Bytes of ``direction`` read but not yet part of a record (a partial frame)."""
        state = self._directions.get(direction)
        return 0 if state is None else state.reader.buffered

    def held_from(self, direction: Direction) -> int:
        """Stream offset of the first byte ``held`` counts."""
        state = self._directions.get(direction)
        return 0 if state is None else state.reader.offset

    def _process(self, state: _Direction, records: list[Record]) -> list[Record]:
        out: list[Record] = []
        for record in records:
            if not state.started:
                self._start(state, record)
            if isinstance(record, Preface):
                out.append(record if record.direction == state.label
                           else replace(record, direction=state.label))
            elif isinstance(record, Frame):
                out.append(self._frame(state, record))
            elif isinstance(record, H2Diagnostic):
                out.append(replace(record, direction=state.label))
            else:
                out.append(record)
        return out

    def _start(self, state: _Direction, first: Record) -> None:
        """Decide from the first record who is speaking and whether HPACK history is whole.

        RFC 9113 §3.4: the client starts with the preface, the server with SETTINGS.
        """
        state.started = True
        is_server_start = (
            isinstance(first, Frame) and first.offset == state.base_offset
            and first.type == FrameType.SETTINGS
            and not first.flags & c.ACK
        )
        if not state.resolved:
            if isinstance(first, Preface):
                state.label = Direction.CLIENT
            elif is_server_start:
                state.label = Direction.SERVER
            state.resolved = True
            state.reader.direction = state.label
        state.hpack.history_complete = isinstance(first, Preface) or is_server_start
        state.settings_seen = state.hpack.history_complete

    def _frame(self, state: _Direction, frame: Frame) -> Frame:
        if frame.direction != state.label:  # read before the direction was known
            frame = frame._replace(direction=state.label)
        body = frame.body
        if type(body) is Settings and not frame.truncated:
            self._settings(state, frame.flags, body)
        if not isinstance(body, BLOCK_FRAGMENTS) or body.fragment is None \
                or body.fragment_offset is None:
            return frame
        fragment = (body.fragment_offset, body.fragment)
        extra: list[Diagnostic] = []
        if frame.type in (FrameType.HEADERS, FrameType.PUSH_PROMISE):
            if state.fragments:
                extra.append(
                    H2Diagnostic(
                        frame.offset, Severity.ERROR,
                        f"header block of stream {state.block_stream} abandoned by a new "
                        f"{frame.type_name} at offset {frame.offset}; it is not decoded and "
                        "the HPACK context may now be out of step",
                        0, ErrorCode.PROTOCOL_ERROR, state.label,
                    )
                )
            state.fragments = [fragment]
            state.block_stream = frame.stream_id
            state.block_frames = 1
            state.block_dropped = False
        elif frame.type == FrameType.CONTINUATION:
            if (not state.fragments and not state.block_dropped) or (
                frame.stream_id != state.block_stream
            ):
                return frame  # the reader already reported it
            state.block_frames += 1
            if state.block_frames > self.max_continuation_frames + 1 and not state.block_dropped:
                state.block_dropped = True
                state.fragments = []
                extra.append(H2Diagnostic(
                    frame.offset, Severity.ERROR,
                    f"header block of stream {state.block_stream} has more than "
                    f"{self.max_continuation_frames} CONTINUATION frames "
                    "(--max-continuation-frames): the rest are counted, the block is not "
                    "decoded", 0, ErrorCode.ENHANCE_YOUR_CALM, state.label))
            elif not state.block_dropped:
                state.fragments.append(fragment)
        if not frame.flags & c.END_HEADERS:
            return frame._replace(diagnostics=frame.diagnostics + tuple(extra))
        if state.block_dropped:
            # The block's table updates are lost: later indexes cannot be trusted.
            state.hpack.lose_history(
                f"a header block of stream {state.block_stream} was not decoded "
                "(--max-continuation-frames)")
            extra.append(H2Diagnostic(
                frame.offset, Severity.INFO,
                f"header block of stream {state.block_stream} ended after "
                f"{state.block_frames - 1} CONTINUATION frames; not decoded", 0, None,
                state.label))
            state.block_dropped = False
            state.block_stream = None
            return frame._replace(diagnostics=frame.diagnostics + tuple(extra))
        fragments = state.fragments
        if len(fragments) == 1:  # no CONTINUATION: the block is the fragment
            absolute, data = fragments[0]
            segments: tuple[tuple[int, int], ...] = ((0, absolute),)
        else:
            starts: list[tuple[int, int]] = []
            at = 0
            for absolute, piece in fragments:
                starts.append((at, absolute))
                at += len(piece)
            segments = tuple(starts)
            data = b"".join([piece for _absolute, piece in fragments])
        block = state.hpack.decode_block(data, stream_id=state.block_stream or 0,
                                         segments=segments)
        state.fragments = []
        state.block_stream = None
        return frame.with_header_block(block, tuple(extra))

    def _settings(self, state: _Direction, flags: int, body: Settings) -> None:
        """Apply SETTINGS (RFC 9113 §6.5.3): values bound what the *peer* may send."""
        peer = self._peer(state)
        if flags & c.ACK:
            # This side acknowledges the peer's SETTINGS: they now bound *this* side.
            if peer is not None:
                if peer.pending_table_size is not None:
                    state.hpack.set_limit(peer.pending_table_size)
                    peer.pending_table_size = None
                if peer.pending_frame_size is not None:
                    state.reader.max_frame_size = peer.pending_frame_size
                    peer.pending_frame_size = None
            return
        for entry in body.settings or ():
            if entry.identifier == c.SETTINGS_HEADER_TABLE_SIZE:
                state.pending_table_size = entry.value
                if peer is not None:
                    ctx = peer.hpack
                    ctx.set_limit(max(ctx.limit, entry.value))
            elif entry.identifier == c.SETTINGS_MAX_FRAME_SIZE and (
                c.DEFAULT_MAX_FRAME_SIZE <= entry.value <= c.MAX_MAX_FRAME_SIZE
            ):
                state.pending_frame_size = entry.value
                if peer is not None:
                    peer.reader.max_frame_size = max(peer.reader.max_frame_size, entry.value)

    @property
    def directions(self) -> list[Direction | None]:
        return list(self._directions)
