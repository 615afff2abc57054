"""Which streams of one connection are still open (RFC 9113 §5.1), so that per-stream
state can be dropped when a stream closes.

``StreamStates.frame(frame)`` takes every ``Frame`` of a connection (with
``direction`` set) in order and returns the ids of the streams that frame closes:

* END_STREAM has been sent both ways (§5.1 "closed"); a pushed (even) stream only
  carries the server's half, and with one direction in the input its END_STREAM
  is all there is;
* RST_STREAM (§6.4);
* GOAWAY (§6.8): streams initiated by the receiver of the GOAWAY above its last
  stream id were never processed.

A frame on a stream that is already closed (its id is not open and not above the
highest id of its initiator, §5.1.1: ids are never reused) closes it again at once,
so whoever keeps per-stream state sees that stream as closed after every frame.
The state is one small int per open stream; nothing is kept for closed streams.
"""

from __future__ import annotations

from wiretool.direction import Direction
from wiretool.http2 import constants as c
from wiretool.http2.constants import FrameType
from wiretool.http2.frames import Frame, Goaway

_CLIENT_ENDED = 1
_SERVER_ENDED = 2
_PENDING_SHIFT = 2
"""END_STREAM on a HEADERS frame whose block continues: bits 4 (client) and 8 (server)."""


class StreamStates:
    """The open streams of one connection and which sides have ended them."""

    def __init__(self, *, both_directions: bool = True) -> None:
        """``both_directions``: the input holds both sides; otherwise one END_STREAM closes."""
        self.both_directions = both_directions
        self._open: dict[int, int] = {}
        """Open stream id -> END_STREAM bits seen (``_CLIENT_ENDED | _SERVER_ENDED``)."""
        self._highest = [0, 0]
        """Highest stream id seen, even (server-initiated) and odd (client-initiated)."""

    def frame(self, frame: Frame) -> list[int]:
        """The stream ids ``frame`` closes (usually none, or its own stream)."""
        stream_id = frame.stream_id
        if stream_id == 0:
            body = frame.body
            if type(body) is Goaway and body.last_stream_id is not None:
                # The receiver of the GOAWAY initiated these: odd when the server sent it.
                parity = 1 if frame.direction is Direction.SERVER else 0
                if frame.direction is None:
                    return []
                gone = [s for s in self._open
                        if s > body.last_stream_id and s & 1 == parity]
                for gone_id in gone:
                    del self._open[gone_id]
                return gone
            return []
        ended = self._open.get(stream_id)
        if ended is None:
            parity = stream_id & 1
            if stream_id <= self._highest[parity]:
                return [stream_id]  # closed before (or idle and skipped): nothing to keep
            self._highest[parity] = stream_id
            ended = 0
        if frame.type == FrameType.RST_STREAM:
            self._open.pop(stream_id, None)
            return [stream_id]
        side = _SERVER_ENDED if frame.direction is Direction.SERVER else _CLIENT_ENDED
        if frame.flags & c.END_STREAM and frame.type in (FrameType.DATA, FrameType.HEADERS):
            if frame.type == FrameType.HEADERS and not frame.flags & c.END_HEADERS:
                # §8.1: the stream ends after the block's last CONTINUATION frame.
                ended |= side << _PENDING_SHIFT
            elif not self.both_directions:
                self._open.pop(stream_id, None)
                return [stream_id]
            else:
                ended |= side
        elif frame.type == FrameType.CONTINUATION and frame.flags & c.END_HEADERS \
                and ended & (side << _PENDING_SHIFT):
            if not self.both_directions:
                self._open.pop(stream_id, None)
                return [stream_id]
            ended = (ended & ~(side << _PENDING_SHIFT)) | side
        if ended & 3 == _CLIENT_ENDED | _SERVER_ENDED or (
                ended & _SERVER_ENDED and not stream_id & 1):
            self._open.pop(stream_id, None)
            return [stream_id]
        self._open[stream_id] = ended
        return []
