"""Sans-IO TLS record reader: one direction's TCP byte stream in, records out.

``RecordReader.feed(data)`` takes the next bytes of the stream (any chunking) and
returns the records they complete (RFC 8446 §5.1, RFC 5246 §6.2.1: a 5-byte header,
then ``length`` bytes), and :class:`Skip` ranges for bytes that are no record. A
record may span any number of feeds, and one feed may hold many records. ``gap(n)``
says ``n`` bytes are missing from the capture; ``close()`` ends the stream.

After a gap inside a record whose header was captured, the record's length says
where the next one starts: the rest of the cut record is skipped (``RECORD_REST``) and
reading goes on there. After any other gap, or on bytes that cannot be a record
header, the reader *resynchronises*: it scans for the next plausible header (a known content type, a
TLS version, a length within RFC 5246 §6.2.3's limit) followed by another plausible
header (or by the end of the stream), the way the HTTP/2 frame reader does. Once the
connection knows the record version (``expected_version``), candidates must carry it,
which makes a false match in ciphertext all but impossible.

Memory is bounded by one record (at most 5 + 2^14 + 2048 bytes) plus, while
resynchronising, the bytes up to the header that confirms a candidate. Decryption and
the meaning of records are left to ``connection.py``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from enum import StrEnum
from typing import NamedTuple

from wiretool.tls.constants import MAX_TLS12_CIPHERTEXT_LENGTH, RECORD_HEADER_LENGTH

_MIN_TYPE, _MAX_TYPE = 20, 24  # change_cipher_spec .. heartbeat (RFC 8446 §5.1, RFC 6520)
_MIN_VERSION, _MAX_VERSION = 0x0300, 0x0304
_HEADER = struct.Struct(">BHH")


class RawRecord(NamedTuple):
    """One whole record as it is on the wire."""

    offset: int
    """Offset of the header in the direction's stream."""
    content_type: int
    version: int
    header: bytes
    """The 5 header bytes (TLS 1.3's additional data, RFC 8446 §5.2)."""
    body: bytes


class SkipReason(StrEnum):
    NOT_A_RECORD = "not-a-record"
    """No plausible record header here: bytes skipped while resynchronising."""
    GAP = "gap"
    """A capture gap: the bytes of the partial record before it plus the missing ones."""
    TRUNCATED = "truncated"
    """The stream ends inside a record (or inside a header)."""
    RECORD_REST = "record-rest"
    """After a gap inside a record whose header was captured: the record's bytes that
    came after the gap, skipped up to its end, where the next record starts."""


class Skip(NamedTuple):
    """Bytes of the stream that are not part of a record the reader returns."""

    offset: int
    length: int
    reason: SkipReason
    missing: int = 0
    """For ``GAP``: how many of ``length`` bytes were never captured (the rest are the
    captured start of the record the gap cut)."""
    record_offset: int | None = None
    """For ``GAP``, ``TRUNCATED`` and ``RECORD_REST``: where the cut record started, when
    one was open."""
    record_end: int | None = None
    """For ``GAP``: where the cut record ends, when its header was captured and the gap
    ends inside it or at its end (reading goes on there, without resynchronising)."""


ReaderItem = RawRecord | Skip


def plausible_header(data: bytes, at: int, version: int | None = None) -> bool:
    """Could a record header start at ``data[at]``? (``at + 5 <= len(data)``)."""
    content_type = data[at]
    if content_type < _MIN_TYPE or content_type > _MAX_TYPE:
        return False
    record_version = (data[at + 1] << 8) | data[at + 2]
    if version is not None:
        if record_version != version:
            return False
    elif record_version < _MIN_VERSION or record_version > _MAX_VERSION:
        return False
    length = (data[at + 3] << 8) | data[at + 4]
    return 0 < length <= MAX_TLS12_CIPHERTEXT_LENGTH


class RecordReader:
    """Records of one direction. ``feed`` / ``gap`` / ``close`` return lists of
    :class:`RawRecord` and :class:`Skip` in stream order; together they tile every
    byte fed or announced missing."""

    def __init__(self, *, base_offset: int = 0) -> None:
        self._buf = b""
        self._base = base_offset  # stream offset of self._buf[0]
        self.resyncing = False
        """Looking for the next plausible record header (after a gap or bad bytes)."""
        self._skip_from: int | None = None  # stream offset where the current skip began
        self._scan = 0  # index in _buf where the resynchronisation scan goes on
        self.expected_version: int | None = None
        """legacy_record_version every later record must carry (set once the connection
        knows it); used only to recognise headers while resynchronising."""
        self._closed = False
        self._rest = 0  # bytes of a record cut by a gap still to skip (RECORD_REST)
        self._rest_from = 0  # stream offset of the first of them
        self._rest_taken = 0
        self._rest_record = 0  # the cut record's offset

    @property
    def offset(self) -> int:
        """Stream offset of the next byte to be fed."""
        return self._base + len(self._buf)

    def feed(self, data: bytes) -> list[ReaderItem]:
        """The next bytes of the stream; the records and skips they complete."""
        return list(self.feed_iter(data))

    def gap(self, length: int) -> list[ReaderItem]:
        """``length`` bytes of the stream are missing right after what was fed."""
        return list(self.gap_iter(length))

    def close(self) -> list[ReaderItem]:
        """The end of the stream: what is left is a cut record or skipped bytes."""
        return list(self.close_iter())

    def feed_iter(self, data: bytes) -> Iterator[ReaderItem]:
        """``feed`` one item at a time: a consumer that learns something from a record
        (``expected_version``) before the next one is read gets the same items whatever
        the chunking."""
        if self._closed:
            raise ValueError("feed() after close()")
        if self._rest:
            return self._rest_then_items(data)
        self._buf = self._buf + data if self._buf else bytes(data)
        return self._items(final=False)

    def _rest_then_items(self, data: bytes) -> Iterator[ReaderItem]:
        """Skip what is left of a record a gap cut, then read on."""
        take = min(self._rest, len(data))
        self._rest -= take
        self._rest_taken += take
        self._base += take
        if not self._rest:
            yield from self._rest_skip()
        self._buf = bytes(data[take:])
        yield from self._items(final=False)

    def _rest_skip(self) -> Iterator[ReaderItem]:
        if self._rest_taken:
            yield Skip(self._rest_from, self._rest_taken, SkipReason.RECORD_REST, 0,
                       self._rest_record)
        self._rest = self._rest_taken = 0

    def gap_iter(self, length: int) -> Iterator[ReaderItem]:
        if self._rest:  # a second gap in the same cut record: resynchronise after it
            yield from self._rest_skip()
        # A record that ends where the gap starts needs no successor to be believed.
        yield from self._items(final=False, boundary=True)
        start = self._base
        held = partial = len(self._buf)
        record_end: int | None = None
        if self.resyncing and self._skip_from is not None:
            # Bytes being skipped anyway: the skip ends where the gap starts.
            yield Skip(self._skip_from, self._base + partial - self._skip_from,
                       SkipReason.NOT_A_RECORD)
            partial, start = 0, self._base + partial
        elif partial >= RECORD_HEADER_LENGTH:
            # The cut record's header was captured (it was framed, so it is plausible):
            # its length says where the next record starts, if the gap ends before.
            total = RECORD_HEADER_LENGTH + ((self._buf[3] << 8) | self._buf[4])
            if partial + length <= total:
                record_end = start + total
        yield Skip(start, partial + length, SkipReason.GAP, length, start if partial else None,
                   record_end)
        self._base += held + length
        self._buf = b""
        self._skip_from = None
        self._scan = 0
        self.resyncing = record_end is None
        if record_end is not None:
            self._rest = record_end - self._base
            self._rest_from, self._rest_record = self._base, start

    def close_iter(self) -> Iterator[ReaderItem]:
        if self._closed:
            return
        if self._rest:
            yield from self._rest_skip()
        yield from self._items(final=True)
        self._closed = True
        if self.resyncing:
            if self._skip_from is not None or self._buf:
                start = self._skip_from if self._skip_from is not None else self._base
                end = self._base + len(self._buf)
                if end > start:
                    yield Skip(start, end - start, SkipReason.NOT_A_RECORD)
        elif self._buf:
            yield Skip(self._base, len(self._buf), SkipReason.TRUNCATED, 0, self._base)
        self._base += len(self._buf)
        self._buf = b""

    def _items(self, *, final: bool, boundary: bool = False) -> Iterator[ReaderItem]:
        """Read what is buffered. ``final``: no more bytes will come; ``boundary``: the
        stream is interrupted after the buffer (a gap, or the end). The consumer must
        take every item (the buffer is updated when the last one has been taken)."""
        buf = self._buf
        pos = 0
        end = len(buf)
        base = self._base
        unpack = _HEADER.unpack_from
        while True:
            if self.resyncing:
                found = self._resynchronise(buf, pos, final, boundary or final)
                if found is None:
                    # Keep the unscanned tail (and what a candidate still needs).
                    keep = self._scan
                    self._buf = buf[keep:]
                    self._base = base + keep
                    self._scan = 0
                    return
                if self._skip_from is not None and base + found > self._skip_from:
                    yield Skip(self._skip_from, base + found - self._skip_from,
                               SkipReason.NOT_A_RECORD)
                self._skip_from = None
                self.resyncing = False
                pos = found
            if pos + RECORD_HEADER_LENGTH > end:
                break
            content_type, version, length = unpack(buf, pos)
            if not (_MIN_TYPE <= content_type <= _MAX_TYPE
                    and _MIN_VERSION <= version <= _MAX_VERSION
                    and length <= MAX_TLS12_CIPHERTEXT_LENGTH):
                self.resyncing = True
                self._skip_from = base + pos
                self._scan = pos + 1
                continue
            stop = pos + RECORD_HEADER_LENGTH + length
            if stop > end:
                break
            yield RawRecord(base + pos, content_type, version,
                            buf[pos:pos + RECORD_HEADER_LENGTH],
                            buf[pos + RECORD_HEADER_LENGTH:stop])
            pos = stop
        self._buf = buf[pos:] if pos else buf
        self._base = base + pos

    def _resynchronise(self, buf: bytes, pos: int, final: bool, boundary: bool) -> int | None:
        """Index of the next confirmed record header at or after the scan position, or
        None (more bytes are needed, or none is left; ``self._scan`` says where to go
        on). ``pos`` is where the caller stands; the scan never goes back before it."""
        if self._skip_from is None:
            self._skip_from = self._base + pos
        i = max(self._scan, pos)
        end = len(buf)
        version = self.expected_version
        while True:
            # The second header byte is the major version, 3: jump between candidates.
            j = buf.find(b"\x03", i + 1)
            if j < 0 or j - 1 + RECORD_HEADER_LENGTH > end:
                # No candidate with a whole header: keep the bytes that may start one.
                self._scan = end if final else max(i, end - RECORD_HEADER_LENGTH + 1, pos)
                return None
            i = j - 1
            if plausible_header(buf, i, version):
                following = i + RECORD_HEADER_LENGTH + ((buf[i + 3] << 8) | buf[i + 4])
                if following + RECORD_HEADER_LENGTH <= end:
                    if plausible_header(buf, following, version):
                        return i
                elif following == end and boundary:
                    return i  # the stream stops after this record: nothing to check
                elif not final:
                    self._scan = i  # wait for the bytes of the next header
                    return None
            i += 1
