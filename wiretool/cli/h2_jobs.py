"""``h2-frames --jobs N`` on a capture file: N processes decode its connections.

Each worker is a fork of this process. It reads the whole file and reassembles every
TCP connection (about 5% of the work on a busy capture), so every worker numbers the
events alike and agrees, without asking anyone, on whose each connection is
(``wiretool.capture.shard.Owners``). A worker decodes only its own connections' events
and sends through a pipe what each of them showed, keyed by the event's number; this
process puts the pieces back in capture order (``shard.Merge``) and writes them. The
output is byte for byte that of one process (tests compare the two).

Messages on a pipe: a header ``<key: int64><length: uint32>`` and ``length`` bytes.
``key >= 0``: a piece of output (``length > 0``), or progress (``length == 0``:
nothing more will come at or below ``key``). ``key == -1``: the worker is done, the
byte says whether anything was malformed. ``key == -2``: the worker failed; the
bytes say why.

Memory stays bounded: a worker flushes every 256 KiB or 256 events, and this process
stops reading a worker that is more than ``QUEUE_LIMIT`` ahead of the others.
"""

from __future__ import annotations

import contextlib
import io
import os
import selectors
import signal
import struct
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from wiretool.capture.shard import END_KEY, Merge, Owners
from wiretool.cli.common import console_like, make_console
from wiretool.errors import WiretoolError

if TYPE_CHECKING:
    from rich.console import Console

    from wiretool.capture.h2session import SessionRecord
    from wiretool.cli.h2 import _CaptureView

_HEADER = struct.Struct("<qI")
_DONE = -1
_FAILED = -2
FLUSH_BYTES = 256 * 1024
FLUSH_EVENTS = 256
READ_BYTES = 1 << 20
QUEUE_LIMIT = 8 * 1024 * 1024
"""Bytes of one worker's output held here while waiting for the others."""

Render = Callable[[list["SessionRecord"]], bytes]
"""A worker's output for the records of one event, as this process writes it."""


def run_jobs(path: str, workers: int, make_view: Callable[[], _CaptureView], *, jsonl: bool,
             summary: bool, hpack_table: bool) -> bool:
    """``h2-frames`` on the capture at ``path`` in ``workers`` processes; True when
    anything was malformed. jsonl, or the ``--summary`` table."""
    out = sys.stdout
    encoding, errors = out.encoding or "utf-8", out.errors or "strict"
    console = None if jsonl else make_console()
    out.flush()  # a child must not inherit (and later write) buffered output
    sys.stderr.flush()
    children: list[tuple[int, int]] = []
    try:
        for index in range(workers):
            read_fd, write_fd = os.pipe()
            _widen(write_fd)
            pid = os.fork()
            if pid == 0:  # the worker: never returns
                os.close(read_fd)
                for _pid, fd in children:
                    os.close(fd)
                render = (_jsonl_render(hpack_table, summary) if console is None
                          else _summary_render(console))
                _worker(path, index, workers, make_view, write_fd,
                        _encoded(render, encoding, errors))
            os.close(write_fd)
            children.append((pid, read_fd))
        output = out.buffer
        failed = _merge([fd for _pid, fd in children], output.write)
        output.flush()
        return failed
    finally:
        for pid, fd in children:
            os.close(fd)
            with contextlib.suppress(ProcessLookupError):  # a zombie is not affected
                os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)


# -- the workers ----------------------------------------------------------------------

def _worker(path: str, index: int, workers: int, make_view: Callable[[], _CaptureView],
            fd: int, render: Render) -> None:
    """Decode the connections of worker ``index``, send their output, exit."""
    sender = _Sender(fd)
    code = 0
    try:
        from wiretool.capture import follow_tcp

        view = make_view()
        owners = Owners(workers)
        with open(path, "rb") as stream:
            for number, event in enumerate(follow_tcp(stream)):
                if owners.owner(event) == index:
                    items = view.feed(event)
                    if items:
                        sender.piece(number, render(items))
                sender.passed(number)
        for conn_id, items in view.close():
            if items:
                sender.piece(END_KEY + conn_id, render(items))
        sender.end(view.failed)
    except BrokenPipeError:
        code = 1  # the parent is gone (its output was closed): nothing to tell it
    except BaseException as exc:  # told to the parent, which reports it
        code = 1
        with contextlib.suppress(OSError):
            sender.fail(f"{type(exc).__name__}: {exc}")
    finally:
        os._exit(code)  # no cleanup of the parent's state (atexit, buffered output)


class _Sender:
    """A worker's end of its pipe: pieces and progress, written in batches."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._parts: list[bytes] = []
        self._size = 0
        self._events = 0
        self._last = -1  # the last key written (piece or progress)

    def piece(self, key: int, data: bytes) -> None:
        if data:
            self._parts += (_HEADER.pack(key, len(data)), data)
            self._size += len(data)
            self._last = key
            if self._size >= FLUSH_BYTES:
                self._flush()

    def passed(self, number: int) -> None:
        """Event ``number`` is done; now and then, say so."""
        self._events += 1
        if self._events >= FLUSH_EVENTS:
            if self._last < number:
                self._parts.append(_HEADER.pack(number, 0))
                self._last = number
            self._flush()

    def end(self, failed: bool) -> None:
        self._parts += (_HEADER.pack(_DONE, 1), b"1" if failed else b"0")
        self._flush()

    def fail(self, message: str) -> None:
        self._parts = []
        data = message.encode("utf-8", "replace")
        self._parts += (_HEADER.pack(_FAILED, len(data)), data)
        self._flush()

    def _flush(self) -> None:
        data = memoryview(b"".join(self._parts))
        while data:
            data = data[os.write(self.fd, data):]
        self._parts = []
        self._size = 0
        self._events = 0


def _jsonl_render(hpack_table: bool, summary: bool) -> Callable[[list[SessionRecord]], str]:
    from wiretool.render.h2_jsonl import CaptureLines

    lines = CaptureLines(hpack_table=hpack_table, summary=summary)

    def render(items: list[SessionRecord]) -> str:
        parts: list[str] = []
        for item in items:
            lines.extend(parts, item)
        return "".join(parts)

    return render


def _encoded(render: Callable[[list[SessionRecord]], str], encoding: str, errors: str
             ) -> Render:
    return lambda items: render(items).encode(encoding, errors)


def _summary_render(parent: Console) -> Callable[[list[SessionRecord]], str]:
    """The --summary table of ``items``, as ``parent`` would print it."""
    from wiretool.capture.h2session import ConnectionEnd
    from wiretool.capture.model import CaptureDiagnostic
    from wiretool.render.h2_table import render_connection_summary, render_frames

    text = io.StringIO()
    console = console_like(parent, text)

    def render(items: list[SessionRecord]) -> str:
        for item in items:
            if isinstance(item, ConnectionEnd):
                render_connection_summary(console, item)
            elif isinstance(item, CaptureDiagnostic):
                render_frames(console, [item], capture=True)
        shown = text.getvalue()
        text.seek(0)
        text.truncate()
        return shown

    return render


# -- this process ---------------------------------------------------------------------

def _merge(fds: list[int], emit: Callable[[bytes], object]) -> bool:
    """Read every worker's messages, emit the pieces in key order; True when a worker
    found something malformed."""
    merge = Merge(len(fds))
    selector = selectors.DefaultSelector()
    for index, fd in enumerate(fds):
        selector.register(fd, selectors.EVENT_READ, index)
    reading = set(range(len(fds)))
    buffers = [bytearray() for _ in fds]
    ended = [False] * len(fds)
    failed = False
    while not merge.finished:
        for key, _events in selector.select():
            index = key.data
            data = os.read(key.fd, READ_BYTES)
            if not data:
                selector.unregister(key.fd)
                reading.discard(index)
                if not ended[index]:
                    raise WiretoolError(f"--jobs: worker {index + 1} stopped before the end "
                                        "of the capture (--jobs 1 decodes in one process)")
                continue
            buffer = buffers[index]
            buffer += data
            for message_key, body in _messages(buffer):
                if message_key >= 0:
                    if body:
                        merge.add(index, message_key, body)
                    else:
                        merge.progress(index, message_key)
                elif message_key == _DONE:
                    ended[index] = True
                    failed = failed or body == b"1"
                    merge.finish(index)
                else:
                    raise WiretoolError(f"--jobs: worker {index + 1} failed: "
                                        f"{body.decode('utf-8', 'replace')} (--jobs 1 "
                                        "decodes in one process)")
        for piece in merge.ready():
            emit(piece)
        for index, fd in enumerate(fds):  # hold back a worker far ahead of the others
            ahead = merge.queued_bytes(index) > QUEUE_LIMIT
            if ahead and index in reading:
                selector.unregister(fd)
                reading.discard(index)
            elif not ahead and index not in reading and not ended[index]:
                selector.register(fd, selectors.EVENT_READ, index)
                reading.add(index)
    selector.close()
    return failed


def _messages(buffer: bytearray) -> list[tuple[int, bytes]]:
    """The complete messages at the start of ``buffer``, removed from it."""
    out: list[tuple[int, bytes]] = []
    position = 0
    size = _HEADER.size
    with memoryview(buffer) as view:
        while len(buffer) - position >= size:
            key, length = _HEADER.unpack_from(buffer, position)
            if len(buffer) - position - size < length:
                break
            start = position + size
            out.append((key, bytes(view[start:start + length])))
            position = start + length
    del buffer[:position]
    return out


def _widen(fd: int) -> None:
    """Give the pipe 1 MiB (Linux; 64 KiB otherwise): fewer switches between processes."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), READ_BYTES)
    except (ImportError, OSError):
        pass
