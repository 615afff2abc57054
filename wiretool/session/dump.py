"""The bytes of one connection (a dump) in, the same records a capture gives out.

A dump — one direction, or both from ``tshark -q -z follow,tcp|tls,raw|hex,N`` — is
read as a capture of one connection whose endpoints, times and packets are unknown:
one ``ConnectionStart`` (evidence ``dump``), the ``Located`` records of its
``ConnectionDecoder``, and a ``ConnectionEnd`` with the totals (per direction and per
stream and direction with ``--summary``). Nothing to detect: the input is HTTP/2 by
the user's word; a one-direction dump's side is the one given, else the client if it
starts with the connection preface and the server if with SETTINGS.

In tshark follow output the sides are tshark's nodes, and node 0 is not always the
client (for ``follow,tls`` it is the side whose decrypted data came first). The roles
are set from the bytes, as a capture's are: the first bytes of each node go through
``wiretool.http2.detect`` (the side that sends the client preface is the client), and
the chunks wait meanwhile (at most ``ROLE_BYTES`` per node); ``--direction`` says
what node 0 is instead.
"""

from __future__ import annotations

from wiretool.direction import Direction
from wiretool.errors import Severity
from wiretool.http2.constants import FRAME_HEADER_LENGTH
from wiretool.http2.detect import Verdict, detect_http2, starts_like_http2
from wiretool.http2.frames import H2Diagnostic
from wiretool.http2.hpack import BlockCache
from wiretool.inputs.streams import DumpChunk
from wiretool.session.connection import ConnectionDecoder
from wiretool.session.options import SessionOptions
from wiretool.session.records import ConnectionInfo, ConnectionStart, Located, SessionRecord

DUMP_CONNECTION = ConnectionInfo(1, None, None, None, None, None)
"""The one connection of a dump."""
ROLE_BYTES = 64 * 1024
"""Bytes of each tshark follow node looked at to tell the client from the server."""


class DumpSession:
    """Dump chunks in, located HTTP/2 + gRPC records out (sans-IO)."""

    def __init__(self, options: SessionOptions | None = None, *,
                 block_cache: BlockCache | None = None) -> None:
        self.options = options or SessionOptions()
        self.block_cache = block_cache
        self._decoder: ConnectionDecoder | None = None
        self._bytes = {Direction.CLIENT: 0, Direction.SERVER: 0}
        self._swapped: bool | None = None
        """Both directions: tshark's node 1 is the client (None: not decided yet)."""
        self._waiting: list[DumpChunk] = []
        self._heads = {Direction.CLIENT: bytearray(), Direction.SERVER: bytearray()}
        """The first bytes of each node (labelled as ``DumpChunk`` labels them)."""
        self._first = bytearray()
        """A one-direction dump's first bytes, until they are judged (``_judge``)."""
        self._judged = False

    def _start(self, both_directions: bool, out: list[SessionRecord]) -> ConnectionDecoder:
        decoder = self._decoder = ConnectionDecoder(
            DUMP_CONNECTION, self.options, block_cache=self.block_cache,
            both_directions=both_directions, stream_totals=True)
        reason = ("both directions of one connection" if both_directions
                  else "one direction of one connection")
        if self._swapped:
            reason += ("; tshark's node 1 (the indented lines) sent the client preface: it "
                       "is the client" if self.options.direction is None
                       else "; --direction: node 0 (the lines not indented) is the server")
        out.append(ConnectionStart(DUMP_CONNECTION, True, "dump", reason, False, None, None))
        return decoder

    def feed(self, chunk: DumpChunk) -> list[SessionRecord]:
        out: list[SessionRecord] = []
        if chunk.both_directions and self._swapped is None:
            self._roles(chunk, final=False)
            if self._swapped is None:
                return out
            for waiting in self._waiting:
                self._feed(waiting, out)
            self._waiting = []
            return out
        self._feed(chunk, out)
        return out

    def _feed(self, chunk: DumpChunk, out: list[SessionRecord]) -> None:
        decoder = self._decoder or self._start(chunk.both_directions, out)
        direction = chunk.direction
        if self._swapped and direction is not None:
            direction = direction.peer
        if direction is not None:
            self._bytes[direction] += len(chunk.data)
        if not self._judged and not chunk.both_directions:
            self._first += chunk.data[:FRAME_HEADER_LENGTH - len(self._first)]
            if len(self._first) >= FRAME_HEADER_LENGTH:
                self._judge(out)
        decoder.feed(out, direction, chunk.data, None, None)

    def _judge(self, out: list[SessionRecord]) -> None:
        """A one-direction dump that starts with neither the client preface nor a
        plausible frame header is probably no HTTP/2 (a capture given as raw bytes, TLS,
        another protocol): say so at offset 0, before its bytes are read as frames."""
        self._judged = True
        if starts_like_http2(bytes(self._first)):
            return
        diag = H2Diagnostic(
            0, Severity.ERROR,
            "the input starts with neither the HTTP/2 connection preface nor a plausible "
            f"frame header ({bytes(self._first).hex(' ')}): it does not look like HTTP/2 "
            "(a capture file? TLS? another protocol?); read as frames all the same",
            len(self._first), None, None)
        out.append(Located(DUMP_CONNECTION, diag, None, None))

    def _roles(self, chunk: DumpChunk | None, *, final: bool) -> None:
        """Decide which tshark node is the client, holding ``chunk`` until then."""
        if self.options.direction is not None:  # --direction: what node 0 is
            self._swapped = self.options.direction is Direction.SERVER
        if chunk is not None:
            self._waiting.append(chunk)
            if chunk.direction is not None:
                head = self._heads[chunk.direction]
                head += chunk.data[:ROLE_BYTES - len(head)]
        if self._swapped is not None:
            return
        node0, node1 = self._heads[Direction.CLIENT], self._heads[Direction.SERVER]
        full = len(node0) >= ROLE_BYTES or len(node1) >= ROLE_BYTES
        found = detect_http2(bytes(node0), bytes(node1), client_done=final or full,
                             server_done=final or full)
        if found.verdict is Verdict.NEED_MORE and not (final or full):
            return
        # Decided by HTTP/2 evidence; else tshark's order stands (for follow,tcp node 0
        # is the side whose segment came first, usually the client).
        self._swapped = found.verdict is Verdict.HTTP2 and found.swapped

    def close(self) -> list[SessionRecord]:
        """End of the input: what the readers held, then the ``ConnectionEnd``."""
        out: list[SessionRecord] = []
        if self._swapped is None and self._waiting:
            self._roles(None, final=True)
            for waiting in self._waiting:
                self._feed(waiting, out)
            self._waiting = []
        decoder = self._decoder or self._start(False, out)
        if not any(self._bytes.values()) and not self._first and not self._heads[
                Direction.CLIENT] and not self._heads[Direction.SERVER]:
            out.append(Located(DUMP_CONNECTION, H2Diagnostic(
                0, Severity.WARNING, "the input is empty: no bytes to decode", 0, None, None),
                None, None))
        elif self._first and not self._judged:
            self._judge(out)  # shorter than a frame header
        decoder.close(out, None, None)
        out.append(decoder.end("end-of-input", None, self._bytes[Direction.CLIENT],
                               self._bytes[Direction.SERVER], "dump"))
        return out
