"""How far the reading of an input is: ``ReadProgress``, and a clock that reports it.

The session reports, the caller shows: ``H2Decoding.watch`` and ``run_jobs`` call a
callback with a ``ReadProgress`` at most a few times a second (``ProgressClock``),
which costs the decoding one clock read per read of the input. What the progress
looks like on a terminal is ``wiretool.render.progress``'s business.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

PROGRESS_EVERY_S = 0.25
"""Least time between two calls of a ``watch`` callback."""


@dataclass(frozen=True, slots=True)
class ReadProgress:
    """How far the reading of an input is (for a progress display)."""

    bytes_read: int
    """Bytes of the input read so far (of the file as stored: compressed, if it is)."""
    total_bytes: int | None
    """The input's size (``None``: a pipe or a terminal, whose end is not known)."""
    packets: int | None
    """Packets read so far (``None``: the input is not a capture)."""
    elapsed_s: float
    """Seconds since the decoding started."""


class ProgressClock:
    """Calls ``callback`` with a ``ReadProgress`` when asked, at most every ``every_s``
    seconds (``tick`` is cheap enough to call after every read)."""

    def __init__(self, callback: Callable[[ReadProgress], None], total_bytes: int | None,
                 packets: Callable[[], int | None], every_s: float = PROGRESS_EVERY_S) -> None:
        self.callback = callback
        self.total_bytes = total_bytes
        self.packets = packets
        self.every_s = every_s
        self.started = time.monotonic()
        self._next = self.started + every_s

    def tick(self, position: int) -> None:
        now = time.monotonic()
        if now >= self._next:
            self._next = now + self.every_s
            self.report(position, now)

    def report(self, position: int, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self.callback(ReadProgress(position, self.total_bytes, self.packets(),
                                   now - self.started))
