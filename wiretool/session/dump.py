"""The bytes of one connection (a dump) in, the same records a capture gives out.

A dump — one direction, or both from ``tshark -q -z follow,tcp,raw,N`` — is read as a
capture of one connection whose endpoints, times and packets are unknown: one
``ConnectionStart`` (evidence ``dump``), the ``Located`` records of its
``ConnectionDecoder``, and a ``ConnectionEnd`` with the totals (per direction and per
stream and direction with ``--summary``). Nothing to detect: the input is HTTP/2 by
the user's word; a one-direction dump's side is the one given, else the client if it
starts with the connection preface and the server if with SETTINGS.
"""

from __future__ import annotations

from wiretool.direction import Direction
from wiretool.http2.hpack import BlockCache
from wiretool.inputs.streams import DumpChunk
from wiretool.session.connection import ConnectionDecoder
from wiretool.session.options import SessionOptions
from wiretool.session.records import ConnectionInfo, ConnectionStart, SessionRecord

DUMP_CONNECTION = ConnectionInfo(1, None, None, None, None, None)
"""The one connection of a dump."""


class DumpSession:
    """Dump chunks in, located HTTP/2 + gRPC records out (sans-IO)."""

    def __init__(self, options: SessionOptions | None = None, *,
                 block_cache: BlockCache | None = None) -> None:
        self.options = options or SessionOptions()
        self.block_cache = block_cache
        self._decoder: ConnectionDecoder | None = None
        self._bytes = {Direction.CLIENT: 0, Direction.SERVER: 0}

    def _start(self, both_directions: bool, out: list[SessionRecord]) -> ConnectionDecoder:
        decoder = self._decoder = ConnectionDecoder(
            DUMP_CONNECTION, self.options, block_cache=self.block_cache,
            both_directions=both_directions, stream_totals=True)
        reason = ("both directions of one connection" if both_directions
                  else "one direction of one connection")
        out.append(ConnectionStart(DUMP_CONNECTION, True, "dump", reason, False, None, None))
        return decoder

    def feed(self, chunk: DumpChunk) -> list[SessionRecord]:
        out: list[SessionRecord] = []
        decoder = self._decoder or self._start(chunk.both_directions, out)
        if chunk.direction is not None:
            self._bytes[chunk.direction] += len(chunk.data)
        decoder.feed(out, chunk.direction, chunk.data, None, None)
        return out

    def close(self) -> list[SessionRecord]:
        """End of the input: what the readers held, then the ``ConnectionEnd``."""
        out: list[SessionRecord] = []
        decoder = self._decoder or self._start(False, out)
        decoder.close(out, None, None)
        out.append(decoder.end("end-of-input", None, self._bytes[Direction.CLIENT],
                               self._bytes[Direction.SERVER], "dump"))
        return out
