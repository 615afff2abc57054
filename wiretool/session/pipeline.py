"""``decode_h2``: a capture file or a connection dump in, records out — the one pipeline.

The input is sniffed once (``wiretool.inputs.streams``): a pcap/pcapng capture goes
through ``wiretool.capture`` (packets, TCP reassembly; its Decryption Secrets Blocks
into the session's TLS keys, ``keys.py``) into a ``CaptureSession`` (detection, TLS
for connections that start with it, then a ``ConnectionDecoder`` per HTTP/2
connection); a dump goes into a
``DumpSession`` (one ``ConnectionDecoder``). Both yield the records of
``records.py``, filtered by ``Selection``. The HPACK block cache every connection
shares is created here, per decoding: no state outlives it.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from wiretool.http2.hpack import BlockCache
from wiretool.inputs.streams import (
    CHUNK,
    Prefixed,
    StreamFormat,
    iter_dump_chunks,
    open_binary,
    sniff_stream,
)
from wiretool.session.options import SessionOptions
from wiretool.session.records import SessionRecord
from wiretool.session.select import Selection

if TYPE_CHECKING:
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
        self.head = stream.read(CHUNK)
        try:
            self.format = sniff_stream(self.head, self.options.input_format)
        except BaseException:
            self.close()
            raise
        self.capture = self.format is StreamFormat.CAPTURE
        """The input is a pcap/pcapng capture (else the bytes of one connection)."""
        self.selection = Selection(self.options, capture=self.capture)
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
            from wiretool.session.capture import CaptureSession
            from wiretool.session.gaps import CaptureRecords
            from wiretool.session.keys import capture_events

            records = CaptureRecords(CaptureSession(self.options, block_cache=cache,
                                                    keys=self.keys.keys))
            file = io.BufferedReader(Prefixed(self.head, self.stream))
            for event in capture_events(file, self.keys):
                yield records.feed(event)
            for _conn_id, items in records.close():
                yield items
            return
        from wiretool.session.dump import DumpSession

        dump = DumpSession(self.options, block_cache=cache)
        for chunk in iter_dump_chunks(
                self.stream, self.head, self.format,
                forced=self.options.input_format is not StreamFormat.AUTO,
                direction=self.options.direction):
            yield dump.feed(chunk)
        yield dump.close()

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
