"""Sharing a capture's connections among workers, and merging their output back in order.

Pure logic for ``cli/h2_jobs.py``, which runs the processes: every worker reads the
whole capture and numbers its TCP events the same way, so each can tell, without
asking anyone, which connection is its own (:class:`Owners`); each sends the output
of its own events keyed by event number, and the parent puts the pieces back in
capture order (:class:`Merge`). No I/O here.
"""

from __future__ import annotations

from collections import deque

from wiretool.capture.model import ConnectionClosed, ConnectionOpened, StreamData, TcpEvent

Piece = bytes | memoryview
"""A piece of output (the merge only looks at its length)."""

END_KEY = 1 << 62
"""Keys of the records the end of the capture produces: ``END_KEY + connection id``
(above every event number, in connection order, as ``CaptureRecords.close`` gives them)."""


class Owners:
    """Which of ``workers`` decodes each TCP connection, decided from the events alone.

    A connection goes, when it opens, to the worker with the fewest stream bytes so
    far, then the fewest open connections, then the lowest number: the same answer in
    every worker, since all see the same events. Events of no connection (a damaged
    file record) and of a connection that was never opened belong to worker 0.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._owner: dict[int, int] = {}
        self._bytes = [0] * workers
        self._open = [0] * workers

    def owner(self, event: TcpEvent) -> int:
        conn_id = event.conn_id
        if conn_id is None:
            return 0
        owner = self._owner.get(conn_id)
        if owner is None:
            if not isinstance(event, ConnectionOpened):
                return 0
            owner = min(range(self.workers),
                        key=lambda w: (self._bytes[w], self._open[w], w))
            self._owner[conn_id] = owner
            self._open[owner] += 1
        elif type(event) is StreamData:
            self._bytes[owner] += len(event.data)
        elif isinstance(event, ConnectionClosed):
            del self._owner[conn_id]
            self._open[owner] -= 1
        return owner


class Merge:
    """Keyed pieces from several workers, given back in key order.

    Each worker sends its pieces in increasing key order, and no two workers send the
    same key. ``progress(worker, key)`` says a worker will send nothing more at or
    below ``key``. A piece is ready once every other worker is known to be past its
    key (or finished): then nothing smaller can come.
    """

    def __init__(self, workers: int) -> None:
        self._queues: list[deque[tuple[int, Piece]]] = [deque() for _ in range(workers)]
        self._queued = [0] * workers
        self._frontier = [-1] * workers
        self._done = [False] * workers

    def add(self, worker: int, key: int, piece: Piece) -> None:
        if key <= self._frontier[worker] or self._done[worker]:
            raise ValueError(f"worker {worker}: key {key} out of order")
        self._queues[worker].append((key, piece))
        self._queued[worker] += len(piece)
        self._frontier[worker] = key

    def progress(self, worker: int, key: int) -> None:
        self._frontier[worker] = max(self._frontier[worker], key)

    def finish(self, worker: int) -> None:
        self._done[worker] = True

    def queued_bytes(self, worker: int) -> int:
        """Bytes of ``worker``'s pieces not given back yet."""
        return self._queued[worker]

    @property
    def finished(self) -> bool:
        """Every worker has finished and every piece was given back."""
        return all(self._done) and not any(self._queues)

    def ready(self) -> list[Piece]:
        """The pieces that can be given back now, in key order."""
        out: list[Piece] = []
        queues, frontier, done = self._queues, self._frontier, self._done
        while True:
            best = -1
            for worker, queue in enumerate(queues):
                if queue and (best < 0 or queue[0][0] < queues[best][0][0]):
                    best = worker
            if best < 0:
                return out
            key = queues[best][0][0]
            for worker in range(len(queues)):
                if worker != best and not done[worker] and frontier[worker] < key:
                    return out  # that worker may still send something smaller
            piece = queues[best].popleft()[1]
            self._queued[best] -= len(piece)
            out.append(piece)
