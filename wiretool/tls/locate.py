"""From a decrypted-stream offset back to the TLS record (and so the packet) it came from.

The HTTP/2 layer reads the decrypted stream of a direction and reports frames at
offsets in it; ``RecordLocator`` remembers, for the plaintext pieces fed to it, which
TLS record each came from, so a frame's first byte can be traced to the record's
offset in the TCP stream. Lookups are expected in increasing offset order per
direction (frames come in order): pieces that end before the last lookup are
forgotten, so memory is bounded by the plaintext between the oldest frame still open
and the newest piece — and by ``MAX_PIECES`` per direction, should nothing be looked up
(a reader that finds no frame in the bytes).
"""

from __future__ import annotations

from collections import deque

from wiretool.direction import Direction
from wiretool.tls.model import TlsPlaintext

MAX_PIECES = 4096
"""Pieces remembered per direction (more than a 16 MiB frame spans in full records); the
oldest goes first."""


class RecordLocator:
    """The TLS record of each decrypted byte, for the frames being read."""

    def __init__(self) -> None:
        self._pieces: dict[Direction, deque[tuple[int, int, int]]] = {
            Direction.CLIENT: deque(), Direction.SERVER: deque()}
        """Per direction: (start, end) in the decrypted stream and the record offset."""

    def add(self, piece: TlsPlaintext) -> None:
        """A plaintext piece, in the order the connection returned it."""
        pieces = self._pieces[piece.direction]
        pieces.append((piece.offset, piece.offset + len(piece.data), piece.record_offset))
        if len(pieces) > MAX_PIECES:
            pieces.popleft()

    def record_offset(self, direction: Direction, offset: int) -> int | None:
        """Offset in the TCP stream of the record holding decrypted byte ``offset``; None
        when no piece added holds it (it was lost in a gap, or already forgotten)."""
        pieces = self._pieces[direction]
        while pieces and pieces[0][1] <= offset:
            pieces.popleft()
        if pieces and pieces[0][0] <= offset:
            return pieces[0][2]
        return None

    def __len__(self) -> int:
        """Pieces remembered (both directions)."""
        return sum(len(pieces) for pieces in self._pieces.values())
