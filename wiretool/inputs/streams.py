"""Byte-stream inputs (``h2-frames``): a capture file, or the bytes of a connection.

``sniff_stream`` tells from the first bytes what an input is — a pcap/pcapng capture
(also gzip- or xz-compressed), the output of ``tshark -q -z follow,tcp,raw,N`` (both
directions), hex text (plain hex, ``xxd``, ``hexdump -C``) or raw binary — and
``iter_dump_chunks`` reads the bytes of a connection dump incrementally, so memory is
bounded by a read (and, for text, a line), whatever the input's size. Reading
captures is ``wiretool.capture``'s job; what the bytes mean, the protocol layers'.

``LiveInput`` reads an input as it arrives: each read returns what is there (never
waits for a full buffer: ``tcpdump -U -w - |`` writes one packet at a time), counts
the bytes read (the position a progress display shows) and, on an input that can
block (a pipe, a terminal, a socket), tells its caller before a read that will wait,
so output held in buffers can be written first. ``read_head`` reads just enough of
the input to sniff it.
"""

from __future__ import annotations

import io
import os
import select
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import IO

from wiretool.direction import Direction
from wiretool.errors import InputError
from wiretool.inputs.text import InputFormat, decode_input, detect_text_dump, iter_text_dump

CHUNK = 64 * 1024
"""Bytes read at a time."""


class StreamFormat(StrEnum):
    """How a byte-stream input is written (``h2-frames --input-format``)."""

    AUTO = "auto"
    CAPTURE = "capture"
    """pcap or pcapng."""
    RAW = "raw"
    HEX = "hex"
    """Plain hex, an ``xxd`` or a ``hexdump -C`` dump."""
    FOLLOW = "follow"
    """``tshark -q -z follow,tcp|tls,raw|hex,N``: both directions, node 1's lines indented."""


@dataclass(frozen=True, slots=True)
class DumpChunk:
    """A piece of a connection dump, in the order it was written."""

    direction: Direction | None
    """The side that sent ``data``; ``None``: not known (one direction, detected later).
    In tshark follow output, node 0 is labelled ``CLIENT`` and node 1 ``SERVER``: a
    label the session may swap (the side that sends the client preface is the client)."""
    data: bytes
    both_directions: bool
    """The input holds both directions (tshark follow output)."""


def open_binary(path: str) -> IO[bytes]:
    """The file at ``path`` opened for reading, or standard input for ``-``."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


class LiveInput(io.RawIOBase):
    """A binary input read as it arrives (see the module's docstring).

    ``position``: bytes read so far; ``total_bytes``: the size of a regular file
    (``None`` for a pipe or a terminal); ``on_wait``: called before a read that will
    wait for the writer (``live`` inputs only; a call may be spurious, never missing);
    ``on_read``: called after each read with the new position.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.position = 0
        self.total_bytes: int | None = None
        self.on_wait: Callable[[], None] | None = None
        self.on_read: Callable[[int], None] | None = None
        self._fd: int | None = None
        try:
            fd = stream.fileno()
            mode = os.fstat(fd).st_mode
        except (AttributeError, OSError, ValueError):  # BytesIO, a closed or odd stream
            if isinstance(stream, io.BytesIO):
                self.total_bytes = len(stream.getbuffer())
        else:
            if stat.S_ISREG(mode):
                self.total_bytes = os.fstat(fd).st_size
            else:
                self._fd = fd
        read1 = getattr(stream, "read1", None)
        self._read: Callable[[int], bytes] = read1 if read1 is not None else stream.read

    @property
    def live(self) -> bool:
        """The input is a pipe, a terminal or a socket: its bytes come as they are
        written, and a read may wait for them."""
        return self._fd is not None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._fd is not None and self.on_wait is not None and not _ready(self._fd):
            self.on_wait()
        data = self._read(len(buffer))
        size = len(data)
        buffer[:size] = data
        self.position += size
        if self.on_read is not None:
            self.on_read(self.position)
        return size


def _ready(fd: int) -> bool:
    """Bytes (or the end) can be read from ``fd`` without waiting."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def read_head(stream: IO[bytes], forced: StreamFormat = StreamFormat.AUTO) -> bytes:
    """The first bytes of ``stream``, enough for ``sniff_stream``: up to ``CHUNK``, but
    no more once they are certainly a capture (a pipe from ``tcpdump -U -w -`` may hold
    a 24-byte header and then nothing for a while); one read when ``forced`` to a
    binary format."""
    from wiretool.capture.compression import MAGIC_BYTES, inflate_head, sniff_compression
    from wiretool.capture.pcap import sniff_capture_format

    read = getattr(stream, "read1", None) or stream.read
    head = b""
    while len(head) < CHUNK:
        data = read(CHUNK - len(head))
        if not data:
            break
        head += data
        if forced in (StreamFormat.CAPTURE, StreamFormat.RAW):
            break  # nothing to sniff: their readers take bytes as they come
        if forced is not StreamFormat.AUTO:
            continue  # text: its layout is told from the first lines
        if sniff_capture_format(head) is not None:
            break
        if len(head) >= MAGIC_BYTES and sniff_compression(head) is not None \
                and sniff_capture_format(inflate_head(head)) is not None:
            break
    return head


def looks_textual(head: bytes) -> bool:
    """ASCII text without control characters other than whitespace."""
    return bool(head.strip()) and head.isascii() and not any(
        b < 0x20 and b not in b"\t\r\n\x0b\x0c" for b in head
    )


def sniff_stream(head: bytes, forced: StreamFormat = StreamFormat.AUTO) -> StreamFormat:
    """What the input whose first bytes are ``head`` is (``forced`` unless ``AUTO``)."""
    from wiretool.capture import looks_like_capture  # the capture layer only when needed
    from wiretool.inputs.follow import looks_like_follow

    if forced is StreamFormat.CAPTURE and not looks_like_capture(head):
        raise InputError(f"-i capture: the input is not a pcap or pcapng capture (it starts "
                         f"with {head[:4].hex() or 'nothing'}, no capture's magic number)", 0)
    if forced is not StreamFormat.AUTO:
        return forced

    if looks_like_capture(head):
        return StreamFormat.CAPTURE
    if looks_like_follow(head):
        return StreamFormat.FOLLOW
    return StreamFormat.HEX if looks_textual(head) else StreamFormat.RAW


def iter_dump_chunks(stream: IO[bytes], head: bytes, fmt: StreamFormat, *,
                     forced: bool = False, direction: Direction | None = None,
                     ) -> Iterator[DumpChunk]:
    """The pieces of a connection dump whose first ``head`` bytes were already read.

    ``fmt`` is what ``sniff_stream`` said (``FOLLOW``, ``HEX`` or ``RAW``); ``forced``:
    the user chose it. ``direction`` labels a one-direction dump (``None``: detect).
    Auto-detected text whose first lines are not hex, or that is all in ``head``, is
    read whole, as ``decode`` reads its input (hex, else base64, else raw bytes).
    """
    from wiretool.inputs.follow import follow_kind, iter_follow_chunks, looks_like_follow

    rest = io.BufferedReader(Prefixed(head, stream))
    if fmt is StreamFormat.FOLLOW:
        _protocol, mode = follow_kind(head) if looks_like_follow(head) else ("tcp", "raw")
        text = io.TextIOWrapper(rest, encoding="ascii", errors="replace")
        try:
            for node, data, _line in iter_follow_chunks(text, mode):
                yield DumpChunk(Direction.SERVER if node else Direction.CLIENT, data, True)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        return
    if fmt is StreamFormat.HEX:
        layout = detect_text_dump(head)
        if not forced and (layout is None or len(head) < CHUNK):
            # text that is almost hex is read as the raw bytes of a connection, as any
            # other that is not a dump (its frames then say what is wrong)
            yield DumpChunk(direction, decode_input(head + stream.read(), InputFormat.AUTO,
                                                    hints=False).data, False)
            return
        for data in iter_text_dump(rest, layout or "hex"):
            yield DumpChunk(direction, data, False)
        return
    data = head
    while data:
        yield DumpChunk(direction, data, False)
        data = stream.read(CHUNK)


class Prefixed(io.RawIOBase):
    """A binary stream that first returns ``head`` then the rest of ``stream``."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._head[: len(buffer)] if self._head else self._stream.read(len(buffer))
        if self._head:
            self._head = self._head[len(data) :]
        buffer[: len(data)] = data
        return len(data)
