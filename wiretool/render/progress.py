"""Progress of a long decoding on standard error: bytes and packets read, rate, time left.

The session reports (``session.progress.ReadProgress``, a few times a second); this
module shows it with rich's ``Progress`` (a bar, ``12.3/46.4 MB``, packets, the rate
and the time left; a pulsing bar for a pipe, whose size is unknown), drawn only when
asked, never by a thread of its own, from the first report after ``DELAY_S``: short
work shows nothing. When standard output is the same terminal (``--summary``), the
line is cleared before anything is written there (``ClearingOutput``) and drawn
again at the next report. Nothing here decides whether to show it: the CLI does.
"""

from __future__ import annotations

from typing import IO, Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from wiretool.session.progress import ReadProgress

DELAY_S = 1.0
"""Work shorter than this shows no progress."""


class ProgressLine:
    """A progress line on ``stream`` (a terminal), updated with ``update``."""

    def __init__(self, stream: IO[str], *, stdout_shared: bool = False) -> None:
        self.stdout_shared = stdout_shared
        console = Console(file=stream, highlight=False, markup=False, emoji=False)
        self.progress = Progress(
            TextColumn("reading"), BarColumn(), DownloadColumn(),
            TextColumn("{task.fields[packets]}"), TransferSpeedColumn(),
            TimeRemainingColumn(), console=console, transient=True, auto_refresh=False)
        self._task: TaskID | None = None
        self._shown = False

    def update(self, progress: ReadProgress) -> None:
        """Show ``progress`` (from ``DELAY_S`` on)."""
        if progress.elapsed_s < DELAY_S and not self._shown:
            return
        packets = "" if progress.packets is None else f"{progress.packets:,} packets"
        if self._task is None:
            self._task = self.progress.add_task("reading", total=progress.total_bytes,
                                                packets=packets)
        if not self._shown:
            self.progress.start()
            self._shown = True
        self.progress.update(self._task, completed=progress.bytes_read, packets=packets)
        self.progress.refresh()

    def clear(self) -> None:
        """Take the line off the terminal (it comes back at the next ``update``)."""
        if self._shown:
            self.progress.stop()
            self._shown = False

    def close(self) -> None:
        self.clear()


class ClearingOutput:
    """Standard output when it is the terminal the progress line is on: the line is
    cleared before each write (text, or bytes through ``buffer``)."""

    def __init__(self, stream: IO[str], progress: ProgressLine) -> None:
        self._stream = stream
        self._progress = progress
        self.buffer = _ClearingBinary(stream.buffer, progress)  # type: ignore[attr-defined]

    def write(self, text: str) -> int:
        self._progress.clear()
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding...
        return getattr(self._stream, name)


class _ClearingBinary:
    def __init__(self, stream: IO[bytes], progress: ProgressLine) -> None:
        self._stream = stream
        self._progress = progress

    def write(self, data: bytes | memoryview) -> int:
        self._progress.clear()
        return self._stream.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
