"""``decode_h2``: a capture file or a connection dump in, records out — the one pipeline.

The input is sniffed once (``wiretool.inputs.streams``): a pcap/pcapng capture goes
through ``wiretool.capture`` (packets, TCP reassembly; its Decryption Secrets Blocks
into the session's TLS keys, ``keys.py``) into a ``CaptureSession`` (detection, TLS
for connections that start with it, then a ``ConnectionDecoder`` per HTTP/2
connection); a dump goes into a
``DumpSession`` (one ``ConnectionDecoder``). Both yield the records of
``records.py``, filtered by ``Selection``. The HPACK block cache every connection
shares is created here, per decoding: no state outlives it.

The input is read as it arrives (``inputs.streams.LiveInput``): a pipe from
``tcpdump -U -w -`` gives each packet's records as soon as the packet is written.
Two hooks let a caller follow the reading without the session knowing what it shows:
``on_wait`` (called before the input makes the decoding wait: write what is
buffered) and ``watch`` (a ``ReadProgress`` a few times a second: bytes and packets
read, of how many).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, BinaryIO, cast

from wiretool.http2.hpack import BlockCache
from wiretool.inputs.streams import (
    LiveInput,
    Prefixed,
    StreamFormat,
    iter_dump_chunks,
    open_binary,
    read_head,
    sniff_stream,
)
from wiretool.session.options import SessionOptions
from wiretool.session.progress import PROGRESS_EVERY_S, ProgressClock, ReadProgress
from wiretool.session.records import SessionRecord
from wiretool.session.select import Selection

if TYPE_CHECKING:
    from wiretool.capture.pcap import CaptureParser
    from wiretool.session.keys import SessionKeys
    from wiretool.tls.keylog import KeyLogDiagnostic

Source = str | os.PathLike[str] | bytes | bytearray | IO[bytes]
"""A file name (``-``: standard input), the bytes themselves, or a binary stream."""

class H2Decoding:
    """The records of one input, read as they are iterated (once).

    ``capture`` is known as soon as the decoding exists (the input's first bytes were
    read to sniff it), and so are ``key_problems``; ``malformed`` and ``limit_reached``
    once the records were read. Close it (or use it as a context manager) to close a
    file it opened.
    """

    def __init__(self, source: Source, options: SessionOptions | None = None) -> None:
        self.options = options or SessionOptions()
        self._owned = False
        if isinstance(source, bytes | bytearray):
            stream: IO[bytes] = io.BytesIO(bytes(source))
        elif isinstance(source, str | os.PathLike):
            stream = open_binary(os.fspath(source))
            self._owned = stream is not _stdin()
        else:
            stream = source
        self.stream = stream
        self.input = LiveInput(stream)
        # A raw stream: read(n) returns what is there, at most n bytes (typeshed types
        # RawIOBase.read as possibly None, for non-blocking streams, which this is not).
        self._reader = cast(IO[bytes], self.input)
        try:
            self.head = read_head(self._reader, self.options.input_format)
            self.format = sniff_stream(self.head, self.options.input_format)
        except BaseException:
            self.close()
            raise
        self.capture = self.format is StreamFormat.CAPTURE
        """The input is a pcap/pcapng capture (else the bytes of one connection)."""
        self.selection = Selection(self.options, capture=self.capture)
        self._parser: CaptureParser | None = None
        self._clock: ProgressClock | None = None
        self.keys: SessionKeys | None = None
        """A capture's TLS keys (the key logs were read when the decoding was made)."""
        if self.capture:
            from wiretool.errors import InputError
            from wiretool.session.keys import SessionKeys

            try:
                self.keys = SessionKeys(self.options.keylogs, self.options.fallback_keylog)
            except InputError:
                self.close()  # a key log cannot be read: the decoding is not made
                raise

    @property
    def key_problems(self) -> list[KeyLogDiagnostic]:
        """Warnings about the key logs (malformed lines, an unreadable fallback), each
        naming its file and line: to be shown once."""
        return self.keys.problems if self.keys is not None else []

    @property
    def fallback_keylog_used(self) -> bool:
        """``options.fallback_keylog``'s secrets were used (known once reading began)."""
        return self.keys is not None and self.keys.fallback_used

    @property
    def live(self) -> bool:
        """The input is a pipe, a terminal or a socket (its bytes come as written)."""
        return self.input.live

    @property
    def on_wait(self) -> Callable[[], None] | None:
        """Called before the decoding waits for a live input to say more (a pipe
        between two packets): the moment to write what is buffered."""
        return self.input.on_wait

    @on_wait.setter
    def on_wait(self, hook: Callable[[], None] | None) -> None:
        self.input.on_wait = hook

    def watch(self, callback: Callable[[ReadProgress], None],
              every_s: float = PROGRESS_EVERY_S) -> None:
        """Call ``callback`` with the reading's progress as records are read: at most
        every ``every_s`` seconds, and once more at the end of the input."""
        self._clock = ProgressClock(callback, self.input.total_bytes, self._packets,
                                    every_s)
        self.input.on_read = self._clock.tick

    def _packets(self) -> int | None:
        return None if self._parser is None else self._parser.packets

    @property
    def malformed(self) -> bool:
        """A record read so far says the input is malformed (its diagnostics)."""
        return self.selection.malformed

    @property
    def limit_reached(self) -> bool:
        """``limit`` stopped the records before the end of the input."""
        return self.selection.limit_reached

    def __iter__(self) -> Iterator[SessionRecord]:
        selection = self.selection
        for items in self._produced():
            for item in selection.kept(items):
                if selection.stop_before(item):
                    return
                yield item

    def _produced(self) -> Iterator[list[SessionRecord]]:
        """The records each input event produced, before selection."""
        cache = BlockCache()
        if self.keys is not None:
            from wiretool.capture.pcap import CaptureParser
            from wiretool.session.capture import CaptureSession
            from wiretool.session.gaps import CaptureRecords
            from wiretool.session.keys import capture_events

            session = CaptureSession(self.options, block_cache=cache, keys=self.keys.keys)
            records = CaptureRecords(session)
            self._parser = CaptureParser(report_secrets=True)
            # No buffering layer: each read returns what the input holds (live input).
            file = cast(BinaryIO, Prefixed(self.head, self._reader))
            for event in capture_events(file, self.keys, parser=self._parser):
                yield records.feed(event)
            self._reported()
            for _conn_id, items in records.close():
                yield items
            if self.options.summary:
                yield [session.capture_summary()]
            return
        from wiretool.session.dump import DumpSession

        dump = DumpSession(self.options, block_cache=cache)
        for chunk in iter_dump_chunks(
                self._reader, self.head, self.format,
                forced=self.options.input_format is not StreamFormat.AUTO,
                direction=self.options.direction):
            yield dump.feed(chunk)
        self._reported()
        yield dump.close()

    def _reported(self) -> None:
        """The input ended: the last progress (all of it read)."""
        if self._clock is not None:
            self._clock.report(self.input.position)

    def close(self) -> None:
        if self._owned:
            self.stream.close()

    def __enter__(self) -> H2Decoding:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def decode_h2(source: Source, options: SessionOptions | None = None) -> H2Decoding:
    """Every HTTP/2 frame, header block, gRPC message and connection of ``source``.

    ``source`` is a pcap/pcapng capture, or the bytes of one connection — one
    direction, or both as ``tshark -q -z follow,tcp,raw,N`` writes them — as raw
    binary, hex, an ``xxd`` or a ``hexdump -C`` dump (see ``SessionOptions``). The
    records (``wiretool.session.records``) stream: memory is bounded by the open
    connections, not by the input.
    """
    return H2Decoding(source, options)


def _stdin() -> IO[bytes]:
    import sys

    return sys.stdin.buffer
