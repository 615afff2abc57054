"""Sans-IO reader for pcap and pcapng capture files: bytes in, ``Packet`` records out.

:class:`CaptureParser` is fed the file chunk by chunk and returns, for each chunk,
the packets completed by it and any :class:`CaptureDiagnostic`. It never reads a
file, never buffers more than one record (bounded by ``max_block_bytes``), and
never raises on bad input: a broken record becomes a diagnostic naming its file
offset, after which the parser *resynchronises* by scanning forward for the next
plausible record (every skipped byte is reported with its offset and length).
:func:`read_packets` drives it from a binary file object.

Formats:

* pcap (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcap/): both byte
  orders, microsecond (``a1b2c3d4``) and nanosecond (``a1b23c4d``) timestamps, and
  the "modified" pcap of Alexey Kuznetsov (``a1b2cd34``, 24-byte record headers).
* pcapng (https://datatracker.ietf.org/doc/draft-ietf-opsawg-pcapng/): Section
  Header Blocks in either byte order (one file may hold several sections),
  Interface Description Blocks with their own link type, ``if_tsresol`` and
  ``if_tsoffset``, Enhanced, Simple and (obsolete) Packet Blocks; Decryption Secrets
  Blocks are kept for ``take_secrets()`` when asked for (``report_secrets``); other
  block types are skipped.

:func:`read_packets` also reads gzip- and xz-compressed files (``compression.py``).
What the packet bytes mean (link layer, IP, TCP) is left to ``link.py``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO

from wiretool.capture.compression import (
    MAGIC_BYTES,
    READABLE,
    Inflater,
    inflate_head,
    sniff_compression,
)
from wiretool.capture.model import Block, CaptureDiagnostic, DecryptionSecrets, Packet
from wiretool.errors import Severity

DEFAULT_MAX_PACKET_BYTES = 262_144
"""Largest pcap record accepted (libpcap's MAXIMUM_SNAPLEN); larger is corruption."""
DEFAULT_MAX_BLOCK_BYTES = 16 * 1024 * 1024
"""Largest pcapng block accepted (Wireshark uses the same bound)."""

_PCAP_MAGICS: dict[bytes, tuple[str, int, int]] = {
    # magic as stored -> (struct byte order, ns per timestamp unit, record header size)
    b"\xd4\xc3\xb2\xa1": ("<", 1000, 16),
    b"\xa1\xb2\xc3\xd4": (">", 1000, 16),
    b"\x4d\x3c\xb2\xa1": ("<", 1, 16),
    b"\xa1\xb2\x3c\x4d": (">", 1, 16),
    b"\x34\xcd\xb2\xa1": ("<", 1000, 24),
    b"\xa1\xb2\xcd\x34": (">", 1000, 24),
}
_PCAPNG_SHB = 0x0A0D0D0A
_PCAPNG_SHB_BYTES = b"\x0a\x0d\x0d\x0a"
_BOM = 0x1A2B3C4D
_IDB, _OPB, _SPB, _EPB, _DSB = 1, 2, 3, 6, 0x0A
_BLOCK_NAMES = {_PCAPNG_SHB: "section header", _IDB: "interface description",
                _EPB: "enhanced packet block", _SPB: "simple packet block",
                _OPB: "obsolete packet block",
                4: "name resolution", 5: "interface statistics",
                0x0A: "decryption secrets", 0x0BAD: "custom", 0x40000BAD: "custom"}
# Block types we recognise when resynchronising (pcapng draft section 11.1).
_KNOWN_BLOCKS = frozenset(
    {_PCAPNG_SHB, _IDB, _OPB, _SPB, 4, 5, _EPB, 7, 8, 9, 10, 0xBAD, 0x40000BAD}
)
_MAX_TS_SKEW_S = 86_400  # resync: a record more than a day from the last one is noise


class CaptureFormat(StrEnum):
    PCAP = "pcap"
    PCAPNG = "pcapng"


def sniff_capture_format(head: bytes) -> CaptureFormat | None:
    """Return the capture format whose magic number starts ``head``, if any."""
    if head[:4] in _PCAP_MAGICS:
        return CaptureFormat.PCAP
    if head[:4] == _PCAPNG_SHB_BYTES:
        return CaptureFormat.PCAPNG
    return None


def looks_like_capture(head: bytes) -> bool:
    """``head`` starts a pcap or pcapng file, or a compressed file that holds one, or
    may (too little of it to inflate four bytes, corrupt data, a compression wiretool
    refuses: reading it as a capture says what is wrong)."""
    if sniff_capture_format(head) is not None:
        return True
    compression = sniff_compression(head)
    if compression is None:
        return False
    if compression not in READABLE:
        return True
    inner = inflate_head(head)
    return len(inner) < 4 or sniff_capture_format(inner) is not None


@dataclass(slots=True)
class _Interface:
    link_type: int
    snaplen: int
    tsresol: int = 6
    """pcapng ``if_tsresol`` byte: 10^-n seconds, or 2^-n when the top bit is set."""
    tsoffset_s: int = 0

    def to_ns(self, ticks: int) -> int:
        resol = self.tsresol
        if resol & 0x80:
            ns = (ticks * 1_000_000_000) >> (resol & 0x7F)
        elif resol <= 9:
            ns = ticks * 10 ** (9 - resol)
        else:
            ns = ticks // 10 ** (resol - 9)
        return ns + self.tsoffset_s * 1_000_000_000


class CaptureParser:
    """Incremental pcap/pcapng reader. ``feed`` chunks, then ``close``.

    Both return lists of :class:`Packet` and :class:`CaptureDiagnostic` in file
    order. Memory is bounded by one record (``max_block_bytes``) plus one chunk.
    """

    def __init__(
        self,
        *,
        max_packet_bytes: int = DEFAULT_MAX_PACKET_BYTES,
        max_block_bytes: int = DEFAULT_MAX_BLOCK_BYTES,
        report_blocks: bool = False,
        report_secrets: bool = False,
    ) -> None:
        """``report_blocks``: keep a ``Block`` for every part of the file that is not a
        packet, for ``take_blocks()`` (accounting for every byte; off by default).
        ``report_secrets``: keep every pcapng Decryption Secrets Block for
        ``take_secrets()`` (off by default, so that nobody holds secrets unasked)."""
        self.max_packet_bytes = max_packet_bytes
        self._blocks: list[Block] | None = [] if report_blocks else None
        self._secrets: list[DecryptionSecrets] | None = [] if report_secrets else None
        self.max_block_bytes = max_block_bytes
        self.format: CaptureFormat | None = None
        self.packets = 0
        """Packets returned so far."""
        self._buf = bytearray()
        self._base = 0  # file offset of self._buf[0]
        self._pos = 0  # index in self._buf of the first unparsed byte
        self._closed = False
        self._dead = False  # not a capture at all: everything after the magic is unparsed
        self._bad_magic = ""
        self._endian = "<"
        # pcap
        self._ns_per_unit = 1000
        self._rec_hdr = 16
        self._snaplen = 0
        self._link_type = 0
        self._last_ts_s: int | None = None
        # pcapng
        self._interfaces: list[_Interface] = []
        # resynchronisation after a broken record
        self._skip_from: int | None = None  # absolute offset where skipping started
        self._scan: int = 0  # absolute offset of the next candidate to try

    # -- public -------------------------------------------------------------------

    def feed(self, data: bytes) -> list[Packet | CaptureDiagnostic]:
        """Add the next bytes of the file; return what they completed."""
        if self._closed:
            raise ValueError("feed() after close()")
        self._buf += data
        return self._run(final=False)

    def take_blocks(self) -> list[Block]:
        """The non-packet blocks found since the last call (``report_blocks=True`` only)."""
        if self._blocks is None:
            return []
        blocks, self._blocks = self._blocks, []
        return blocks

    def take_secrets(self) -> list[DecryptionSecrets]:
        """The Decryption Secrets Blocks found since the last call (``report_secrets=True``
        only), in file order. A block is here as soon as ``feed`` has read it, that is
        before any packet that follows it in the file is returned, which is where the
        pcapng draft puts the secrets a packet needs."""
        if not self._secrets:
            return []
        secrets, self._secrets = self._secrets, []
        return secrets

    def close(self) -> list[Packet | CaptureDiagnostic]:
        """Signal the end of the file; report a truncated last record or header."""
        if self._closed:
            return []
        out = self._run(final=True)
        self._closed = True
        left = len(self._buf) - self._pos
        if self._dead:
            size = self._base + len(self._buf)
            out.append(self._diag(0, f"not a pcap or pcapng file: unknown magic number "
                                  f"{self._bad_magic} at offset 0", size))
        elif self._skip_from is not None:
            self._end_skip(self._base + len(self._buf), out)
        elif self.format is None and not self._dead:
            out.append(
                self._diag(
                    0,
                    f"input of {left} bytes is too short for a capture file header",
                    left,
                )
            )
        elif left:
            start = self._base + self._pos
            out.append(
                self._diag(start, f"capture ends in the middle of a record at offset {start}"
                           f" ({left} bytes left over)", left)
            )
        self._buf.clear()
        return out

    # -- driver -------------------------------------------------------------------

    def _run(self, final: bool) -> list[Packet | CaptureDiagnostic]:
        out: list[Packet | CaptureDiagnostic] = []
        if self._dead:
            self._pos = len(self._buf)
        elif self.format is None:
            self._start(out)
        if self.format is CaptureFormat.PCAP:
            self._run_pcap(final, out)
        elif self.format is CaptureFormat.PCAPNG:
            self._run_pcapng(final, out)
        if self._dead:
            self._pos = len(self._buf)
        # Drop consumed bytes, keeping what a pending resync scan still needs.
        keep = self._pos
        if self._skip_from is not None:
            keep = min(keep, self._scan - self._base)
        if keep:
            del self._buf[:keep]
            self._base += keep
            self._pos -= keep
        return out

    def _start(self, out: list[Packet | CaptureDiagnostic]) -> None:
        if len(self._buf) < 4:
            return
        fmt = sniff_capture_format(bytes(self._buf[:4]))
        if fmt is None:
            # Reported by close(), when the diagnostic can cover the whole input whatever
            # the chunking (nothing in it will be read).
            self._dead = True
            self._bad_magic = self._buf[:4].hex()
            return
        if fmt is CaptureFormat.PCAP:
            if len(self._buf) < 24:
                return
            self._endian, self._ns_per_unit, self._rec_hdr = _PCAP_MAGICS[bytes(self._buf[:4])]
            major, minor, _zone, _sigfigs, snaplen, network = struct.unpack_from(
                self._endian + "HHiIII", self._buf, 4
            )
            if (major, minor) != (2, 4):
                out.append(
                    self._diag(4, f"pcap version {major}.{minor} at offset 4 (expected 2.4)",
                               4, Severity.WARNING)
                )
            if snaplen == 0:
                out.append(
                    self._diag(16, "pcap snaplen is 0 at offset 16; records are limited to "
                               f"{self.max_packet_bytes} bytes instead", 4, Severity.WARNING)
                )
            self._snaplen = snaplen
            # The low 16 bits are the link type; the high bits may carry FCS information.
            self._link_type = network & 0xFFFF
            self._pos = 24
            if self._blocks is not None:
                self._blocks.append(Block(0, 24, "pcap file header"))
        self.format = fmt

    def _diag(
        self,
        offset: int,
        message: str,
        length: int = 0,
        severity: Severity = Severity.ERROR,
        packet_number: int | None = None,
    ) -> CaptureDiagnostic:
        return CaptureDiagnostic(offset, severity, message, length, packet_number)

    def _begin_skip(self, start: int, out: list[Packet | CaptureDiagnostic], why: str) -> None:
        """A record at absolute offset ``start`` is broken: report it, scan from start+1."""
        out.append(self._diag(start, why))
        self._skip_from = start
        self._scan = start + 1

    def _end_skip(self, resume: int, out: list[Packet | CaptureDiagnostic]) -> None:
        assert self._skip_from is not None
        skipped = resume - self._skip_from
        out.append(
            self._diag(
                self._skip_from,
                f"skipped {skipped} bytes at offset {self._skip_from} that do not form a "
                f"valid record" + (f"; resynchronised at offset {resume}" if resume else ""),
                skipped,
            )
        )
        self._skip_from = None
        self._pos = resume - self._base

    # -- pcap ---------------------------------------------------------------------

    def _pcap_header_ok(self, at: int) -> int | None:
        """Return the record's total size if the header at index ``at`` looks real."""
        ts_s, ts_frac, incl, orig = struct.unpack_from(self._endian + "IIII", self._buf, at)
        if incl > self.max_packet_bytes or incl > orig or orig > 0x4000000:
            return None
        if ts_frac >= 1_000_000_000 // self._ns_per_unit:
            return None
        if self._last_ts_s is not None and abs(ts_s - self._last_ts_s) > _MAX_TS_SKEW_S:
            return None
        return self._rec_hdr + int(incl)

    def _resync_pcap(self, final: bool, out: list[Packet | CaptureDiagnostic]) -> bool:
        """Scan for a plausible record header followed by another (or the end)."""
        buf, hdr = self._buf, self._rec_hdr
        end = len(buf)
        i = self._scan - self._base
        while i + hdr <= end:
            size = self._pcap_header_ok(i)
            if size is not None:
                nxt = i + size
                if nxt + hdr <= end:
                    if nxt == end or self._pcap_header_ok(nxt) is not None:
                        self._end_skip(self._base + i, out)
                        return True
                elif not final:
                    self._scan = self._base + i
                    return False  # need more bytes to confirm this candidate
                elif nxt == end:
                    self._end_skip(self._base + i, out)
                    return True
            i += 1
        self._scan = self._base + i
        if final:
            self._end_skip(self._base + end, out)
        return False

    def _run_pcap(self, final: bool, out: list[Packet | CaptureDiagnostic]) -> None:
        buf = self._buf
        hdr_fmt = self._endian + "IIII"
        hdr = self._rec_hdr
        ns_per_unit = self._ns_per_unit
        max_frac = 1_000_000_000 // ns_per_unit
        snaplen = self._snaplen
        link = self._link_type
        while True:
            if self._skip_from is not None and not self._resync_pcap(final, out):
                return
            pos = self._pos
            if pos + hdr > len(buf):
                return
            ts_s, ts_frac, incl, orig = struct.unpack_from(hdr_fmt, buf, pos)
            start = self._base + pos
            if incl > self.max_packet_bytes:
                self._begin_skip(
                    start,
                    out,
                    f"pcap record at offset {start} declares {incl} captured bytes "
                    f"(more than the limit of {self.max_packet_bytes})",
                )
                continue
            end = pos + hdr + incl
            if end > len(buf):
                if not final:
                    return
                # Truncated last record: hand out what is there, the IP layer marks the rest.
                end = len(buf)
                out.append(
                    self._diag(start, f"pcap record at offset {start} is truncated: it declares "
                               f"{incl} bytes, the file has {end - pos - hdr}", end - pos)
                )
            self.packets += 1
            number = self.packets
            if incl > orig:
                out.append(self._diag(start, f"packet {number} at offset {start}: captured "
                                      f"length {incl} exceeds original length {orig}", hdr,
                                      Severity.WARNING, number))
            if snaplen and incl > snaplen:
                out.append(self._diag(start, f"packet {number} at offset {start}: captured "
                                      f"length {incl} exceeds the snaplen {snaplen}", hdr,
                                      Severity.WARNING, number))
            if ts_frac >= max_frac:
                out.append(self._diag(start, f"packet {number} at offset {start}: timestamp "
                                      f"fraction {ts_frac} is out of range", hdr,
                                      Severity.WARNING, number))
            self._last_ts_s = ts_s
            out.append(
                Packet(number, start, start + hdr, ts_s * 1_000_000_000 + ts_frac * ns_per_unit,
                       link, bytes(buf[pos + hdr:end]), orig, 0, end - pos)
            )
            self._pos = end

    # -- pcapng -------------------------------------------------------------------

    def _block_header(self, at: int) -> tuple[str, int, int] | None:
        """(byte order, type, total length) of the block at index ``at``; None if unsure."""
        buf = self._buf
        if at + 12 > len(buf):
            return None
        if buf[at:at + 4] == _PCAPNG_SHB_BYTES:
            bom = bytes(buf[at + 8:at + 12])
            if bom == b"\x4d\x3c\x2b\x1a":
                endian = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                endian = ">"
            else:
                return (self._endian, _PCAPNG_SHB, -1)
        else:
            endian = self._endian
        btype, total = struct.unpack_from(endian + "II", buf, at)
        return endian, btype, total

    def _block_ok(self, at: int, final: bool) -> bool | None:
        """Resync test: True/False, or None when more bytes are needed to tell."""
        head = self._block_header(at)
        if head is None:
            return None if not final else False
        endian, btype, total = head
        if btype not in _KNOWN_BLOCKS or total < 12 or total % 4 or total > self.max_block_bytes:
            return False
        if btype == _PCAPNG_SHB and total < 28:
            return False
        if at + total > len(self._buf):
            return None if not final else False
        (trailer,) = struct.unpack_from(endian + "I", self._buf, at + total - 4)
        return bool(trailer == total)

    def _resync_pcapng(self, final: bool, out: list[Packet | CaptureDiagnostic]) -> bool:
        end = len(self._buf)
        i = self._scan - self._base
        while i + 12 <= end or (final and i < end):
            ok = self._block_ok(i, final)
            if ok is None:
                self._scan = self._base + i
                return False
            if ok:
                self._end_skip(self._base + i, out)
                return True
            i += 1
        self._scan = self._base + i
        if final:
            self._end_skip(self._base + end, out)
        return False

    def _run_pcapng(self, final: bool, out: list[Packet | CaptureDiagnostic]) -> None:
        buf = self._buf
        while True:
            if self._skip_from is not None and not self._resync_pcapng(final, out):
                return
            pos = self._pos
            if pos + 12 > len(buf):
                return
            start = self._base + pos
            head = self._block_header(pos)
            assert head is not None
            endian, btype, total = head
            if total == -1:
                self._begin_skip(start, out, f"pcapng section header at offset {start} has "
                                 f"an invalid byte-order magic {buf[pos + 8:pos + 12].hex()}")
                continue
            if total < 12 or total % 4 or total > self.max_block_bytes or (
                btype == _PCAPNG_SHB and total < 28
            ):
                self._begin_skip(
                    start, out,
                    f"pcapng block of type {btype:#x} at offset {start} has an invalid total "
                    f"length {total} (must be a multiple of 4, at least 12, at most "
                    f"{self.max_block_bytes})",
                )
                continue
            if pos + total > len(buf):
                if not final:
                    return
                self._begin_skip(start, out, f"pcapng block of type {btype:#x} at offset "
                                 f"{start} is truncated: it declares {total} bytes, the file "
                                 f"has {len(buf) - pos}")
                continue
            (trailer,) = struct.unpack_from(endian + "I", buf, pos + total - 4)
            if trailer != total:
                self._begin_skip(start, out, f"pcapng block at offset {start}: total length "
                                 f"{total} at the start but {trailer} at the end")
                continue
            packets_before = self.packets
            if btype == _PCAPNG_SHB:
                self._section_header(pos, endian, total, out)
            elif btype == _IDB:
                self._interface_block(pos, total, out)
            elif btype in (_EPB, _SPB, _OPB):
                self._packet_block(pos, btype, total, out)
            elif btype == _DSB and self._secrets is not None:
                self._secrets_block(pos, total, out)
            if self._blocks is not None and self.packets == packets_before:
                # Every block that gave no packet (a rejected packet block included).
                name = _BLOCK_NAMES.get(btype, f"block {btype:#x}")
                self._blocks.append(Block(start, total, name))
            # Every other block type (name resolution, statistics, secrets, custom,
            # unknown) is skipped whole, as the pcapng draft requires.
            self._pos = pos + total

    def _section_header(self, pos: int, endian: str, total: int,
                        out: list[Packet | CaptureDiagnostic]) -> None:
        self._endian = endian
        self._interfaces = []
        major, minor = struct.unpack_from(endian + "HH", self._buf, pos + 12)
        if major != 1:
            start = self._base + pos
            out.append(self._diag(start + 12, f"pcapng section at offset {start} has version "
                                  f"{major}.{minor} (expected 1.x)", 4, Severity.WARNING))

    def _interface_block(self, pos: int, total: int,
                         out: list[Packet | CaptureDiagnostic]) -> None:
        start = self._base + pos
        if total < 20:
            out.append(self._diag(start, f"pcapng interface block at offset {start} is too "
                                  f"short ({total} bytes)", total))
            self._interfaces.append(_Interface(-1, 0))
            return
        link, _reserved, snaplen = struct.unpack_from(self._endian + "HHI", self._buf, pos + 8)
        iface = _Interface(link, snaplen)
        for code, value_at, length in self._options(pos + 16, pos + total - 4, out):
            if code == 9 and length >= 1:  # if_tsresol
                iface.tsresol = self._buf[value_at]
            elif code == 14 and length >= 8:  # if_tsoffset, seconds
                (iface.tsoffset_s,) = struct.unpack_from(self._endian + "q", self._buf, value_at)
        self._interfaces.append(iface)

    def _options(self, at: int, end: int, out: list[Packet | CaptureDiagnostic]
                 ) -> Iterator[tuple[int, int, int]]:
        """Yield (code, index of value, length) of the options between ``at`` and ``end``."""
        while at + 4 <= end:
            code, length = struct.unpack_from(self._endian + "HH", self._buf, at)
            if code == 0:  # opt_endofopt
                return
            if at + 4 + length > end:
                out.append(self._diag(self._base + at, f"pcapng option {code} at offset "
                                      f"{self._base + at} runs past its block", end - at,
                                      Severity.WARNING))
                return
            yield code, at + 4, length
            at += 4 + length + (-length % 4)

    def _secrets_block(self, pos: int, total: int,
                       out: list[Packet | CaptureDiagnostic]) -> None:
        """Decryption Secrets Block (pcapng draft §4.7): Secrets Type, Secrets Length,
        Secrets Data padded to 32 bits, options."""
        start = self._base + pos
        if total < 20:
            out.append(self._diag(start, f"decryption secrets block at offset {start} is too "
                                  f"short ({total} bytes)", total))
            return
        secrets_type, length = struct.unpack_from(self._endian + "II", self._buf, pos + 8)
        if 16 + length > total - 4:
            out.append(self._diag(start, f"decryption secrets block at offset {start} declares "
                                  f"{length} bytes of secrets but holds {total - 20}", total))
            return
        assert self._secrets is not None
        self._secrets.append(DecryptionSecrets(start, secrets_type,
                                               bytes(self._buf[pos + 16:pos + 16 + length]),
                                               start + 16))

    def _packet_block(self, pos: int, btype: int, total: int,
                      out: list[Packet | CaptureDiagnostic]) -> None:
        buf, endian = self._buf, self._endian
        start = self._base + pos
        body_end = pos + total - 4
        if btype == _EPB:
            if total < 32:
                out.append(self._diag(start, f"enhanced packet block at offset {start} is too "
                                      f"short ({total} bytes)", total))
                return
            iface_id, ts_hi, ts_lo, caplen, orig = struct.unpack_from(endian + "IIIII", buf,
                                                                      pos + 8)
            data_at = pos + 28
        elif btype == _OPB:
            if total < 32:
                out.append(self._diag(start, f"packet block at offset {start} is too short "
                                      f"({total} bytes)", total))
                return
            iface_id, _drops, ts_hi, ts_lo, caplen, orig = struct.unpack_from(
                endian + "HHIIII", buf, pos + 8)
            data_at = pos + 28
        else:  # simple packet block: interface 0, no timestamp, length from the block
            if total < 16:
                out.append(self._diag(start, f"simple packet block at offset {start} is too "
                                      f"short ({total} bytes)", total))
                return
            (orig,) = struct.unpack_from(endian + "I", buf, pos + 8)
            iface_id, ts_hi, ts_lo = 0, -1, 0
            data_at = pos + 12
            caplen = min(orig, body_end - data_at)
            if self._interfaces and self._interfaces[0].snaplen:
                caplen = min(caplen, self._interfaces[0].snaplen)
        if iface_id >= len(self._interfaces) or self._interfaces[iface_id].link_type < 0:
            out.append(self._diag(start, f"packet block at offset {start} names interface "
                                  f"{iface_id}, which no interface block described", total))
            return
        if data_at + caplen > body_end:
            out.append(self._diag(start, f"packet block at offset {start} declares {caplen} "
                                  f"captured bytes but holds {body_end - data_at}", total))
            return
        iface = self._interfaces[iface_id]
        self.packets += 1
        number = self.packets
        if caplen > orig:
            out.append(self._diag(start, f"packet {number} at offset {start}: captured length "
                                  f"{caplen} exceeds original length {orig}", total,
                                  Severity.WARNING, number))
        time_ns = None if ts_hi < 0 else iface.to_ns((ts_hi << 32) | ts_lo)
        out.append(Packet(number, start, self._base + data_at, time_ns, iface.link_type,
                          bytes(buf[data_at:data_at + caplen]), orig, iface_id, total))


def read_packets(
    stream: BinaryIO,
    *,
    chunk_size: int = 1 << 16,
    parser: CaptureParser | None = None,
) -> Iterator[Packet | CaptureDiagnostic]:
    """Read a capture from a binary file object, at most ``chunk_size`` bytes at a time
    (what it holds: never waiting for a full chunk).

    A gzip or xz file is inflated on the way (``compression.py``), told by its magic
    bytes, not its name; offsets are then offsets in the inflated capture, except in
    the diagnostic of a compression fault, which comes after the packets read before
    it and names the compressed offset."""
    parser = parser or CaptureParser()
    # read1: what the stream holds, up to chunk_size; a pipe from ``tcpdump -U -w -``
    # gives a packet at a time, and each must be decoded before the next arrives.
    read = getattr(stream, "read1", None) or stream.read
    chunk = read(chunk_size)
    while chunk and len(chunk) < MAGIC_BYTES and (more := read(chunk_size)):
        chunk += more
    compression = sniff_compression(chunk)
    if compression is None:
        while chunk:
            yield from parser.feed(chunk)
            chunk = read(chunk_size)
        yield from parser.close()
        return
    if compression not in READABLE:
        yield CaptureDiagnostic(0, Severity.ERROR, f"{compression}-compressed file: wiretool "
                                "reads pcap and pcapng files, plain or compressed with gzip "
                                f"or xz; decompress this one first", len(chunk))
        return
    inflater = Inflater(compression)
    while chunk and inflater.problem is None:
        for piece in inflater.feed(chunk):
            yield from parser.feed(piece)
        chunk = read(chunk_size)
    for piece in inflater.flush():
        yield from parser.feed(piece)
    problem = inflater.close()
    if problem is not None:
        yield problem
    yield from parser.close()
