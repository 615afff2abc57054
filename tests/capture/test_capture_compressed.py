"""Compressed captures: gzip and xz inflated as a stream, told by magic, for files, standard
input and ``--jobs``; faults reported with the compressed offset after the packets before them.

The compressed files are made here from the project's samples (``gzip``/``lzma`` of the
standard library, as ``gzip -c`` and ``xz -c`` would), so nothing binary is committed for
these tests; tshark 4.0 reads the gzip ones (``tshark -r demo.pcap.gz``) and lists the
same packets.
"""

from __future__ import annotations

import gzip
import io
import itertools
import lzma
import subprocess
import sys
from pathlib import Path

import pytest

from wiretool.capture import (
    CaptureDiagnostic,
    Compression,
    Inflater,
    Packet,
    follow_tcp,
    looks_like_capture,
    read_packets,
    sniff_compression,
)
from wiretool.capture.compression import INPUT_PIECE, OUTPUT_PIECE
from wiretool.errors import Severity

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = [ROOT / "samples/grpc/demo.pcap", ROOT / "samples/capture/nghttp2-h2c.pcapng"]


def gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def xz(data: bytes) -> bytes:
    return lzma.compress(data, lzma.FORMAT_XZ)


COMPRESSORS = {"gzip": gz, "xz": xz}


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("kind", list(COMPRESSORS))
@pytest.mark.parametrize("chunk_size", [1, 1000, 1 << 16])
def test_compressed_capture_gives_the_same_events(sample: Path, kind: str,
                                                  chunk_size: int) -> None:
    plain = sample.read_bytes()
    packed = COMPRESSORS[kind](plain)
    assert sniff_compression(packed) == kind and looks_like_capture(packed[:100])
    expected = list(follow_tcp(io.BytesIO(plain)))
    assert list(follow_tcp(io.BytesIO(packed), chunk_size=chunk_size)) == expected


@pytest.mark.parametrize("kind", list(COMPRESSORS))
def test_several_members_or_streams_are_one_file(kind: str) -> None:
    """``cat a.gz b.gz`` is a valid gzip file (RFC 1952 section 2.2), and xz allows
    streams one after the other with stream padding between them."""
    plain = SAMPLES[0].read_bytes()
    cut = 1234
    packed = COMPRESSORS[kind](plain[:cut]) + bytes(8) + COMPRESSORS[kind](plain[cut:])
    assert list(follow_tcp(io.BytesIO(packed))) == list(follow_tcp(io.BytesIO(plain)))


@pytest.mark.parametrize("kind", list(COMPRESSORS))
@pytest.mark.parametrize("keep", [0.3, 0.7])
def test_truncated_file_keeps_the_packets_before_the_fault(kind: str, keep: float) -> None:
    plain = SAMPLES[0].read_bytes()
    packed = COMPRESSORS[kind](plain)
    cut = int(len(packed) * keep)
    items = list(read_packets(io.BytesIO(packed[:cut])))
    packets = [i for i in items if isinstance(i, Packet)]
    everything = [i for i in read_packets(io.BytesIO(plain)) if isinstance(i, Packet)]
    diags = [i for i in items if isinstance(i, CaptureDiagnostic)]
    assert diags[0].severity is Severity.ERROR and diags[0].offset == cut
    assert diags[0].message.startswith(f"{kind} data ends early at compressed offset {cut:,}")
    # The complete packets come first, then the fault; then the parser's report of the
    # record it cut, and what of that record was there.
    whole = items[:items.index(diags[0])]
    assert whole and whole == everything[:len(whole)]
    assert "is truncated" in diags[1].message
    last = packets[-1]
    assert everything[last.number - 1].data.startswith(last.data)


def test_corrupt_data_is_located_in_the_compressed_file() -> None:
    """gzip without compression (stored blocks, RFC 1951 section 3.2.4) has a block
    header every 16 KiB or so: a broken one (LEN and NLEN disagree) stops the decoder
    right there, after the packets of the blocks before it."""
    sample = SAMPLES[0].read_bytes()
    plain = sample + sample[24:] * 3  # the records four times, after one file header
    packed = bytearray(gzip.compress(plain, compresslevel=0, mtime=0))
    # find the second stored block: the first one's header is at 10 (after the gzip header)
    first_len = int.from_bytes(packed[11:13], "little")
    second = 10 + 5 + first_len
    packed[second + 3] ^= 0xFF  # NLEN is no longer LEN's complement
    items = list(read_packets(io.BytesIO(bytes(packed))))
    fault = next(i for i in items if isinstance(i, CaptureDiagnostic))
    assert fault.severity is Severity.ERROR
    assert fault.message.startswith("gzip data is corrupt in the 256 compressed bytes from "
                                    f"offset {fault.offset:,} (Error -3 while decompressing "
                                    "data: invalid stored block lengths)")
    assert second - INPUT_PIECE < fault.offset <= second
    whole = items[:items.index(fault)]
    everything = [i for i in read_packets(io.BytesIO(plain)) if isinstance(i, Packet)]
    assert len(whole) > 10 and whole == everything[:len(whole)]
    assert whole[-1].data_offset + len(whole[-1].data) <= first_len


@pytest.mark.parametrize("kind", list(COMPRESSORS))
def test_damage_is_never_reported_before_it(kind: str) -> None:
    """Deflate may inflate damaged bytes to garbage before it notices (or only notice
    at the CRC at the end); xz checks each block. Either way the fault is reported at
    or after the damage, with whatever came before it."""
    plain = SAMPLES[0].read_bytes()
    packed = bytearray(COMPRESSORS[kind](plain))
    at = len(packed) // 2
    packed[at:at + 16] = bytes(16) if packed[at] else b"\xff" * 16
    items = list(read_packets(io.BytesIO(bytes(packed))))
    faults = [i for i in items if isinstance(i, CaptureDiagnostic)
              and i.message.startswith(f"{kind} data is corrupt")]
    assert len(faults) == 1 and at - INPUT_PIECE < faults[0].offset < len(packed)


def test_trailing_garbage_is_a_warning_and_nothing_is_lost() -> None:
    plain = SAMPLES[0].read_bytes()
    packed = gz(plain) + b"\x00\x00not gzip"
    items = list(read_packets(io.BytesIO(packed)))
    assert [i for i in items if isinstance(i, Packet)] == [
        i for i in read_packets(io.BytesIO(plain)) if isinstance(i, Packet)]
    (d,) = [i for i in items if isinstance(i, CaptureDiagnostic)]
    assert d.severity is Severity.WARNING and d.offset == len(packed) - 8
    assert "trailing garbage" in d.message


@pytest.mark.parametrize(("head", "kind"), [
    (b"\x28\xb5\x2f\xfd\x24\x00", Compression.ZSTD),
    (b"BZh91AY&SY", Compression.BZIP2),
    (b"\x04\x22\x4d\x18\x64\x40", Compression.LZ4),
])
def test_unreadable_compressions_are_refused_clearly(head: bytes, kind: Compression) -> None:
    assert sniff_compression(head) is kind and looks_like_capture(head)
    (d,) = list(read_packets(io.BytesIO(head + bytes(100))))
    assert isinstance(d, CaptureDiagnostic) and d.severity is Severity.ERROR
    assert d.message.startswith(f"{kind}-compressed file: wiretool reads pcap and pcapng")


def test_a_compressed_file_that_is_not_a_capture_is_not_taken_for_one() -> None:
    assert not looks_like_capture(gz(b"00000000: 0000 0000 0000 0000  ................\n"))
    assert not looks_like_capture(b"BZhello")  # "BZh" and no block size digit


def test_a_compression_bomb_streams_in_bounded_pieces() -> None:
    """64 MiB of zeros is 64 KiB of gzip: it is handed out in pieces of at most
    ``OUTPUT_PIECE`` bytes, never at once."""
    packed = gzip.compress(bytes(64 << 20), compresslevel=9)
    inflater = Inflater(Compression.GZIP)
    largest = total = 0
    for piece in itertools.chain(inflater.feed(packed), inflater.flush()):
        largest = max(largest, len(piece))
        total += len(piece)
    assert inflater.close() is None
    assert total == 64 << 20 and largest <= OUTPUT_PIECE


@pytest.mark.parametrize("chunk_size", [1, 3, 100, 257, 1 << 20])
def test_chunking_changes_nothing_even_at_a_fault(chunk_size: int) -> None:
    """The decoder gets the file in pieces at fixed offsets: a gzip file whose CRC is
    wrong gives the same packets and diagnostics however it is read (the capture fuzz
    harness found the output depending on the chunks)."""
    packed = bytearray(gz(SAMPLES[0].read_bytes()[:2000]))
    packed[-8] ^= 0xFF  # the CRC32 of the trailer
    data = bytes(packed)
    items = list(read_packets(io.BytesIO(data), chunk_size=chunk_size))
    assert items == list(read_packets(io.BytesIO(data), chunk_size=7))
    assert any("incorrect data check" in i.message for i in items
               if isinstance(i, CaptureDiagnostic))


def _wiretool(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "wiretool", "h2-frames", *args],
                          input=stdin, capture_output=True, check=False)


@pytest.mark.parametrize("kind", list(COMPRESSORS))
def test_cli_reads_compressed_files_standard_input_and_jobs_alike(kind: str,
                                                                  tmp_path: Path) -> None:
    """A file, the same bytes on standard input, and ``--jobs 2`` (every process
    inflates the file from its own read position) give the plain capture's output."""
    plain = SAMPLES[0]
    packed = tmp_path / f"demo.pcap.{kind}"
    packed.write_bytes(COMPRESSORS[kind](plain.read_bytes()))
    expected = _wiretool("--format", "jsonl", str(plain))
    assert expected.returncode == 0 and expected.stdout
    for run in (_wiretool("--format", "jsonl", str(packed)),
                _wiretool("--format", "jsonl", "-", stdin=packed.read_bytes()),
                _wiretool("--format", "jsonl", "--jobs", "2", str(packed))):
        assert (run.returncode, run.stdout) == (0, expected.stdout), run.stderr


def test_cli_truncated_compressed_file_exits_1_with_jobs_too(tmp_path: Path) -> None:
    packed = gz(SAMPLES[0].read_bytes())
    path = tmp_path / "cut.pcap.gz"
    path.write_bytes(packed[:len(packed) // 2])
    one = _wiretool("--format", "jsonl", str(path))
    two = _wiretool("--format", "jsonl", "--jobs", "2", str(path))
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout
    assert b"gzip data ends early at compressed offset" in one.stdout
