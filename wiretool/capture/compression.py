"""Compressed capture files: told apart by their magic bytes, inflated as a stream.

``gzip`` (RFC 1952; what ``tcpdump -w - | gzip``, Wireshark's "compress with gzip"
and tshark read; several members in a row are one file) and ``xz`` (the .xz format
of the xz utilities; several streams and stream padding too) are inflated with the
standard library's ``zlib`` and ``lzma``. zstd, bzip2 and lz4 are recognised and
refused with a clear diagnostic: tshark 4.0 reads none of them, and Python has no
zstd decoder before 3.14 (``compression.zstd``); docs/h2-frames.md ("Reading
the file") says why no third-party one was added.

:class:`Inflater` is sans-IO: ``feed(compressed bytes)`` yields decompressed pieces
of at most ``OUTPUT_PIECE`` bytes (memory is bounded whatever the compression
ratio: a gzip bomb streams like any other file), ``flush()`` those of the last
bytes, ``close()`` says whether the data ended early. A fault (corrupt data, a bad
checksum, a file cut short) becomes a :class:`CaptureDiagnostic` naming the
*compressed* offset; what was inflated before it is kept. Reading the packets out
of the inflated bytes is left to ``pcap.py``.
"""

from __future__ import annotations

import itertools
import lzma
import zlib
from collections.abc import Iterator
from enum import StrEnum

from wiretool.capture.model import CaptureDiagnostic
from wiretool.errors import Severity

OUTPUT_PIECE = 1 << 18
"""Most bytes handed out at once (256 KiB)."""
INPUT_PIECE = 256
"""Compressed bytes given to the decoder at once: a fault is located within them, and
what they would have inflated to is lost with them (zlib and lzma give nothing back
from a call that fails)."""


class Compression(StrEnum):
    GZIP = "gzip"
    XZ = "xz"
    ZSTD = "zstd"
    BZIP2 = "bzip2"
    LZ4 = "lz4"


READABLE = frozenset({Compression.GZIP, Compression.XZ})
"""The compressions wiretool inflates; the others are recognised and refused."""

_MAGICS = (
    (b"\x1f\x8b", Compression.GZIP),  # RFC 1952 section 2.3.1: ID1 ID2
    (b"\xfd7zXZ\x00", Compression.XZ),  # .xz file format section 2.1.1.1
    (b"\x28\xb5\x2f\xfd", Compression.ZSTD),  # RFC 8878 section 3.1.1
    (b"BZh", Compression.BZIP2),
    (b"\x04\x22\x4d\x18", Compression.LZ4),  # LZ4 frame format
)
MAGIC_BYTES = 6
"""Bytes ``sniff_compression`` needs to decide."""


def sniff_compression(head: bytes) -> Compression | None:
    """The compression whose magic number starts ``head``, if any."""
    for magic, compression in _MAGICS:
        if head.startswith(magic):
            if compression is Compression.BZIP2 and not head[3:4].isdigit():
                continue
            return compression
    return None


def inflate_head(head: bytes, size: int = 64) -> bytes:
    """The first (at most ``size``) decompressed bytes of ``head``, which starts a
    gzip or xz file; as many as can be had (none if the data is corrupt)."""
    compression = sniff_compression(head)
    if compression not in READABLE:
        return b""
    inflater = Inflater(compression)
    out = bytearray()
    for piece in itertools.chain(inflater.feed(head), inflater.flush()):
        out += piece
        if len(out) >= size:
            break
    return bytes(out[:size])


class Inflater:
    """Sans-IO decompressor of one gzip or xz file (all its members or streams)."""

    def __init__(self, compression: Compression) -> None:
        if compression not in READABLE:
            raise ValueError(f"cannot inflate {compression}")
        self.compression = compression
        self.offset = 0
        """Compressed bytes taken in so far."""
        self.problem: CaptureDiagnostic | None = None
        """Set at the first fault; nothing is inflated after it."""
        self.inflated = 0
        """Decompressed bytes handed out so far."""
        self._decoder: zlib._Decompress | lzma.LZMADecompressor | None = self._new()
        """None between two members (streams)."""
        self._held = bytearray()  # input not yet given to the decoder (< INPUT_PIECE)

    def _new(self) -> zlib._Decompress | lzma.LZMADecompressor:
        if self.compression is Compression.GZIP:
            return zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip header and trailer
        return lzma.LZMADecompressor(lzma.FORMAT_XZ)

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Take the next compressed bytes; yield what they inflate to.

        The decoder is given the file in pieces of ``INPUT_PIECE`` bytes at fixed
        offsets, whatever the chunks fed: what comes out, and where a fault is found,
        do not depend on how the file was read."""
        self._held += data
        held = self._held
        whole = len(held) - len(held) % INPUT_PIECE
        for start in range(0, whole, INPUT_PIECE):
            if self.problem is not None:
                break
            piece = bytes(held[start:start + INPUT_PIECE])
            yield from self._piece(piece)
            self.offset += len(piece)
        del held[:whole]

    def flush(self) -> Iterator[bytes]:
        """The end of the file: inflate the last, partial piece."""
        piece, self._held = bytes(self._held), bytearray()
        if piece and self.problem is None:
            yield from self._piece(piece)
            self.offset += len(piece)

    def _piece(self, piece: bytes) -> Iterator[bytes]:
        size = len(piece)
        while piece:
            decoder = self._decoder
            if decoder is None:  # between members (streams)
                stripped = piece.lstrip(b"\x00")  # xz stream padding; zeros tape drives add
                if not stripped:
                    return
                if sniff_compression(stripped) is not self.compression:
                    at = self.offset + size - len(stripped)
                    self.problem = CaptureDiagnostic(
                        at, Severity.WARNING, f"bytes after the end of the {self.compression} "
                        f"data at compressed offset {at:,} are not {self.compression} "
                        "(trailing garbage); ignored")
                    return
                decoder = self._decoder = self._new()
                piece = stripped
            try:
                if isinstance(decoder, lzma.LZMADecompressor):
                    out = decoder.decompress(piece, OUTPUT_PIECE)
                    while True:
                        if out:
                            self.inflated += len(out)
                            yield out
                        if decoder.eof or decoder.needs_input:
                            break
                        out = decoder.decompress(b"", OUTPUT_PIECE)
                else:
                    out = decoder.decompress(piece, OUTPUT_PIECE)
                    while True:
                        if out:
                            self.inflated += len(out)
                            yield out
                        if decoder.eof or not decoder.unconsumed_tail:
                            break
                        out = decoder.decompress(decoder.unconsumed_tail, OUTPUT_PIECE)
            except (zlib.error, lzma.LZMAError) as exc:
                self.problem = CaptureDiagnostic(
                    self.offset, Severity.ERROR,
                    f"{self.compression} data is corrupt in the {size:,} compressed bytes "
                    f"from offset {self.offset:,} ({exc}); the capture is read up to there "
                    f"({self.inflated:,} bytes inflated)", size)
                return
            if not decoder.eof:
                return  # all of the piece taken in
            self._decoder = None
            piece = decoder.unused_data

    def close(self) -> CaptureDiagnostic | None:
        """After ``flush``: the fault found, or one for data cut short."""
        if self.problem is None and self._decoder is not None:
            self.problem = CaptureDiagnostic(
                self.offset, Severity.ERROR,
                f"{self.compression} data ends early at compressed offset {self.offset:,}, "
                f"the end of the file (truncated?); the capture is read up to there "
                f"({self.inflated:,} bytes inflated)")
        return self.problem
