"""``decode_h2`` of a capture file in N processes (``h2-frames --jobs N``).

This process starts N - 1 workers (forks of itself) and is the first worker as well.
Every worker reads the whole file and reassembles every TCP connection (about 5% of
the work on a busy capture), so all of them number the events alike and agree,
without asking anyone, on whose each connection is (``shard.Owners``).
A worker decodes only its own connections' events and sends through a pipe what each
of them showed, keyed by the event's number; this process adds its own pieces, puts
them all back in capture order (``shard.Merge``) and writes them. What a worker sends
is its records rendered by the caller's function (``make_render``), so the output is
byte for byte that of one process (tests compare the two); the session knows no
output format.

Messages on a pipe: a header ``<key: int64><length: uint32>`` and ``length`` bytes.
``key >= 0``: a piece of output (``length > 0``), or progress (``length == 0``:
nothing more will come at or below ``key``). ``key == -1``: the worker is done, the
byte says whether anything was malformed. ``key == -2``: the worker failed; the
bytes say why. ``key == -3`` (``--summary``, just before ``-1``): the worker's
per-method roll-up of its connections (``summary.MethodRollup``, pickled: the
processes are forks of one program); this process merges them all with its own
(the merge is exact and independent of order) and writes the ``CaptureSummary``
last, as one process does.

Memory stays bounded: a worker flushes every 256 KiB or 256 events; this process
reads the pipes whenever it has written 256 KiB or gone through 256 events, stops
reading a worker more than ``QUEUE_LIMIT`` ahead of the others, and waits for the
others when it is that far ahead itself. Each process's caches (HPACK decodings,
header text) get 1/N of the usual entries: it sees about 1/N of the connections.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import selectors
import signal
import struct
import sys
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, TextIO

from wiretool.errors import WiretoolError
from wiretool.session.shard import END_KEY, Merge, Owners, Piece

if TYPE_CHECKING:
    from wiretool.capture.model import TcpEvent
    from wiretool.capture.pcap import CaptureParser
    from wiretool.session.keys import SessionKeys
    from wiretool.session.options import SessionOptions
    from wiretool.session.progress import ReadProgress
    from wiretool.session.records import SessionRecord
    from wiretool.session.summary import MethodRollup

_HEADER = struct.Struct("<qI")
_DONE = -1
_FAILED = -2
_ROLLUP = -3
_MAX_PARTS = 512
"""Parts given to one writev (POSIX guarantees at least 16; Linux takes 1024)."""
FLUSH_BYTES = 256 * 1024
FLUSH_EVENTS = 256
READ_BYTES = 256 * 1024
"""Bytes read from a pipe at once (1 MiB reads cost more page faults than they save)."""
PIPE_BYTES = 1 << 20
QUEUE_LIMIT = 8 * 1024 * 1024
"""Bytes of one worker's output held here while waiting for the others."""

Render = Callable[[list["SessionRecord"]], bytes]
"""A worker's output for the records of one event, as this process writes it."""
MakeRender = Callable[[int], Callable[[list["SessionRecord"]], str]]
"""Called in each process with the number of processes (its memos get that share):
the function that renders the records of one event as text."""


AUTO_JOBS_MAX = 4
"""``--jobs 0`` uses at most this many processes (each reads the whole file)."""
AUTO_JOBS_MIN_BYTES = 16 * 1024 * 1024
"""``--jobs 0`` uses one process on smaller captures (a second one would not pay)."""


def auto_workers(jobs: int, capture: IO[bytes], *, mergeable: bool,
                 limit: int | None) -> int:
    """How many processes decode the capture file open as ``capture``: ``jobs`` (0: one
    per CPU, up to ``AUTO_JOBS_MAX``, for files over ``AUTO_JOBS_MIN_BYTES``), but 1
    unless the output can be merged from several (``mergeable``: JSON Lines or the
    summary; no ``limit``) and each process can read the file (a regular file, fork)."""
    import stat

    if jobs == 1 or limit is not None or not hasattr(os, "fork") or not mergeable:
        return 1
    try:
        info = os.fstat(capture.fileno())
    except (OSError, ValueError):
        return 1
    if not stat.S_ISREG(info.st_mode):
        return 1
    if jobs:
        return jobs
    if info.st_size < AUTO_JOBS_MIN_BYTES:
        return 1
    return max(1, min(AUTO_JOBS_MAX, len(os.sched_getaffinity(0))
                      if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def run_jobs(capture_fd: int, workers: int, options: SessionOptions, make_render: MakeRender,
             out: TextIO, keys: SessionKeys | None = None,
             progress: Callable[[ReadProgress], None] | None = None) -> bool:
    """``decode_h2`` of the capture file open as ``capture_fd``, in ``workers`` processes,
    each event's records rendered with ``make_render`` and written to ``out`` in capture
    order; True when anything was malformed. ``options.limit`` must be None. ``keys``:
    the TLS keys as read before any packet (``H2Decoding.keys``; None: read from
    ``options``); each process takes the capture's Decryption Secrets Blocks into its own
    copy and decrypts its own connections. ``progress``: called a few times a second with
    how far this process (which writes the output, and waits for the others when it is
    far ahead) has read the file.

    Every process reads the file's first ``size`` bytes, its size now, with its own
    position (``_Snapshot``): all see the same capture, even one tcpdump is still
    writing."""
    size = os.fstat(capture_fd).st_size
    encoding, errors = out.encoding or "utf-8", out.errors or "strict"
    if keys is None:
        from wiretool.session.keys import SessionKeys

        keys = SessionKeys(options.keylogs, options.fallback_keylog)
    start_keys = keys

    def setup() -> tuple[_View, Render]:
        """What each process decodes and renders with, its caches cut to its share (run
        after the fork: each process has its own copy of the keys)."""
        render = make_render(workers)
        return (_View(options, workers, start_keys),
                lambda items: render(items).encode(encoding, errors))

    out.flush()  # a child must not inherit (and later write) buffered output
    sys.stderr.flush()
    children: list[tuple[int, int]] = []
    try:
        for index in range(1, workers):
            read_fd, write_fd = os.pipe()
            _widen(write_fd)
            pid = os.fork()
            if pid == 0:  # the worker: never returns
                os.close(read_fd)
                for _pid, sibling in children:
                    os.close(sibling)
                _worker(_Snapshot(capture_fd, size), index, workers, setup, write_fd)
            os.close(write_fd)
            children.append((pid, read_fd))
        output = out.buffer
        view, render = setup()
        inbox = _Inbox([read_fd for _pid, read_fd in children])
        _lead(_Snapshot(capture_fd, size), workers, view, render, inbox, output.write,
              progress)
        output.flush()
        return view.failed or inbox.failed
    finally:
        for pid, read_fd in children:
            os.close(read_fd)
            with contextlib.suppress(ProcessLookupError):  # a zombie is not affected
                os.kill(pid, signal.SIGTERM)
            os.waitpid(pid, 0)


class _View:
    """One process's decoding: every event through its own ``CaptureRecords``, the
    records of its own connections selected."""

    def __init__(self, options: SessionOptions, workers: int, keys: SessionKeys) -> None:
        from wiretool.http2.hpack import BLOCK_CACHE_ENTRIES, BlockCache
        from wiretool.session.capture import CaptureSession
        from wiretool.session.gaps import CaptureRecords
        from wiretool.session.select import Selection

        cache = BlockCache(BLOCK_CACHE_ENTRIES // workers)
        self.keys = keys
        self.session = CaptureSession(options, block_cache=cache, keys=keys.keys)
        self.records = CaptureRecords(self.session)
        self.selection = Selection(options, capture=True)

    @property
    def failed(self) -> bool:
        return self.selection.malformed

    def feed(self, event: TcpEvent) -> list[SessionRecord]:
        return self.selection.kept(self.records.feed(event))

    def close(self) -> list[tuple[int, list[SessionRecord]]]:
        return [(conn_id, self.selection.kept(items))
                for conn_id, items in self.records.close()]


def _pieces(capture: _Snapshot, index: int, workers: int, view: _View, render: Render,
            parser: CaptureParser | None = None) -> Iterator[tuple[int, bytes]]:
    """``(key, output)`` for every event of the capture, then for each of this worker's
    connections still open at its end: ``b""`` for the events of other workers and
    those that showed nothing."""
    from wiretool.session.keys import capture_events

    owners = Owners(workers)
    stream = io.BufferedReader(capture, 1 << 16)
    for number, event in enumerate(capture_events(stream, view.keys, parser=parser)):
        items = view.feed(event) if owners.owner(event) == index else None
        yield number, render(items) if items else b""
    for conn_id, items in view.close():
        if items:
            yield END_KEY + conn_id, render(items)


class _Snapshot(io.RawIOBase):
    """The first ``size`` bytes of the open file ``fd``, read with ``pread``: each
    process has its own position in the file it shares with the others."""

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = os.pread(self.fd, min(len(buffer), self.size - self.position), self.position)
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


# -- the other workers ----------------------------------------------------------------

def _worker(capture: _Snapshot, index: int, workers: int,
            setup: Callable[[], tuple[_View, Render]], fd: int) -> None:
    """Decode the connections of worker ``index``, send their output, exit."""
    sender = _Sender(fd)
    code = 0
    try:
        view, render = setup()
        for key, data in _pieces(capture, index, workers, view, render):
            if data:
                sender.piece(key, data)
            sender.passed(key)
        if view.session.rollup is not None:
            sender.rollup(pickle.dumps(view.session.rollup, pickle.HIGHEST_PROTOCOL))
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
        self._parts += (_HEADER.pack(key, len(data)), data)
        self._size += len(data)
        self._last = key
        if self._size >= FLUSH_BYTES:
            self._flush()

    def passed(self, key: int) -> None:
        """Everything up to ``key`` is done; now and then, say so."""
        self._events += 1
        if self._events >= FLUSH_EVENTS:
            if self._last < key:
                self._parts.append(_HEADER.pack(key, 0))
                self._last = key
            self._flush()

    def rollup(self, data: bytes) -> None:
        self._parts += (_HEADER.pack(_ROLLUP, len(data)), data)

    def end(self, failed: bool) -> None:
        self._parts += (_HEADER.pack(_DONE, 1), b"1" if failed else b"0")
        self._flush()

    def fail(self, message: str) -> None:
        data = message.encode("utf-8", "replace")
        self._parts = [_HEADER.pack(_FAILED, len(data)), data]
        self._flush()

    def _flush(self) -> None:
        parts = self._parts
        written = os.writev(self.fd, parts) if len(parts) <= _MAX_PARTS else 0
        if written < sum(map(len, parts)):  # too many parts, or a signal cut writev short
            data = memoryview(b"".join(parts))[written:]
            while data:
                data = data[os.write(self.fd, data):]
        self._parts = []
        self._size = 0
        self._events = 0


# -- this process: the first worker, and the merge ------------------------------------

def _lead(capture: _Snapshot, workers: int, view: _View, render: Render, inbox: _Inbox,
          emit: Callable[[Piece], object],
          progress: Callable[[ReadProgress], None] | None = None) -> None:
    """Decode worker 0's connections and write everything in capture order."""
    from wiretool.capture import CaptureParser
    from wiretool.session.progress import ProgressClock

    merge = inbox.merge
    parser = CaptureParser(report_secrets=True)  # as capture_events reads
    clock = (None if progress is None
             else ProgressClock(progress, capture.size, lambda: parser.packets))
    since = 0  # bytes and events since the pipes were last read
    for key, data in _pieces(capture, 0, workers, view, render, parser):
        if data:
            merge.add(0, key, data)
            since += len(data)
        else:
            merge.progress(0, key)
        since += FLUSH_BYTES // FLUSH_EVENTS
        if since >= FLUSH_BYTES:
            since = 0
            if clock is not None:
                clock.tick(capture.position)
            _write(merge, emit)
            # Read what the pipes hold; when far ahead of the others, wait for them.
            while inbox.read(wait=merge.queued_bytes(0) > QUEUE_LIMIT):
                _write(merge, emit)
    merge.finish(0)
    _write(merge, emit)
    while not merge.finished:
        inbox.read(wait=True)
        _write(merge, emit)
    rollup = view.session.rollup
    if rollup is not None:  # --summary: the calls of every process's connections
        for other in inbox.rollups:
            rollup.merge(other)
        emit(render([rollup.record()]))
    if clock is not None:
        clock.report(capture.position)


def _write(merge: Merge, emit: Callable[[Piece], object]) -> None:
    for piece in merge.ready():
        emit(piece)


class _Inbox:
    """The read ends of the other workers' pipes, feeding one ``Merge`` (this process
    is worker 0 in it)."""

    def __init__(self, fds: list[int]) -> None:
        self.merge = Merge(len(fds) + 1)
        self.failed = False
        """A worker found something malformed."""
        self.rollups: list[MethodRollup] = []
        """The other workers' per-method roll-ups (``--summary``)."""
        self._fds = fds
        self._selector = selectors.DefaultSelector()
        self._reading: set[int] = set()
        self._buffers = [b""] * len(fds)  # the start of a message not read whole
        self._ended = [False] * len(fds)
        for worker in range(1, len(fds) + 1):
            self._resume(worker)

    def read(self, *, wait: bool) -> bool:
        """Read what the pipes hold (up to ``READ_BYTES`` each); with ``wait``, wait until
        one holds something. False when none held anything."""
        for worker in range(1, len(self._fds) + 1):  # hold back a worker far ahead
            ahead = self.merge.queued_bytes(worker) > QUEUE_LIMIT
            if ahead and worker in self._reading:
                self._pause(worker)
            elif not ahead and worker not in self._reading and not self._ended[worker - 1]:
                self._resume(worker)
        if wait and not self._reading:  # cannot happen: see ``Merge`` (a stuck merge
            # waits for a worker with nothing queued)
            raise RuntimeError("--jobs: waiting for workers that cannot send anything")
        ready = self._selector.select(None if wait else 0)
        for key, _events in ready:
            worker = key.data
            data = os.read(key.fd, READ_BYTES)
            if not data:
                self._pause(worker)
                if not self._ended[worker - 1]:
                    raise WiretoolError(f"--jobs: worker {worker + 1} stopped before the end "
                                        "of the capture (--jobs 1 decodes in one process)")
                continue
            held = self._buffers[worker - 1]
            messages, self._buffers[worker - 1] = _messages(held + data if held else data)
            for message_key, body in messages:
                self._message(worker, message_key, body)
        return bool(ready)

    def _message(self, worker: int, key: int, body: memoryview) -> None:
        if key >= 0:
            if body:
                self.merge.add(worker, key, body)
            else:
                self.merge.progress(worker, key)
        elif key == _ROLLUP:
            self.rollups.append(pickle.loads(body))
        elif key == _DONE:
            self._ended[worker - 1] = True
            self.failed = self.failed or bytes(body) == b"1"
            self.merge.finish(worker)
        else:
            raise WiretoolError(f"--jobs: worker {worker + 1} failed: "
                                f"{bytes(body).decode('utf-8', 'replace')} (--jobs 1 "
                                "decodes in one process)")

    def _pause(self, worker: int) -> None:
        self._selector.unregister(self._fds[worker - 1])
        self._reading.discard(worker)

    def _resume(self, worker: int) -> None:
        self._selector.register(self._fds[worker - 1], selectors.EVENT_READ, worker)
        self._reading.add(worker)


def _messages(data: bytes) -> tuple[list[tuple[int, memoryview]], bytes]:
    """The complete messages at the start of ``data`` (views into it, not copies), and
    the bytes of the incomplete one that follows."""
    out: list[tuple[int, memoryview]] = []
    position = 0
    size = _HEADER.size
    view = memoryview(data)
    while len(data) - position >= size:
        key, length = _HEADER.unpack_from(data, position)
        start = position + size
        if len(data) - start < length:
            break
        out.append((key, view[start:start + length]))
        position = start + length
    return out, data[position:]


def _widen(fd: int) -> None:
    """Give the pipe 1 MiB (Linux; 64 KiB otherwise): fewer switches between processes."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except (ImportError, OSError):
        pass
