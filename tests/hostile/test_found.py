"""Regressions for what fuzzing and the hostile-input probes found (issue 7).

Fixed in wiretool/capture: plain tests. Found in code other engineers own
(protobuf/, http2/, render/): ``xfail(strict=True)`` with the bug described, so the
fix turns them into passing tests (and strict mode makes the fixer remove the mark).
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.capture import writer as w
from tests.hostile.helpers import (
    PREFACE,
    ROOT,
    cli,
    frame,
    hpack_literal,
    needs_entry_point,
    subprocess_run,
)
from wiretool.capture import CaptureDiagnostic, StreamData, follow_tcp, read_packets
from wiretool.http2.frames import FrameReader
from wiretool.http2.hpack import HpackContext


def fast_pcap(frames: list[bytes]) -> bytes:
    """Like ``writer.pcap`` (Ethernet, microseconds) in linear time for many packets."""
    header = w.pcap([])
    return header + b"".join(
        struct.pack("<IIII", 0, i, len(f), len(f)) + f for i, f in enumerate(frames))


# -- fixed ---------------------------------------------------------------------------


def test_not_a_capture_diagnostic_covers_the_input_whatever_the_chunking() -> None:
    """fuzz_capture: the 'unknown magic' diagnostic covered the bytes buffered when the
    magic was read (the first chunk), so its length depended on the chunk size."""
    data = b"\xd4\xc3\xb2\x00" + bytes(200)
    for chunk in (1, 7, 64, 1 << 16):
        (d,) = list(read_packets(io.BytesIO(data), chunk_size=chunk))
        assert isinstance(d, CaptureDiagnostic)
        assert (d.offset, d.length) == (0, len(data)) and "unknown magic number" in d.message


def test_retransmissions_of_tiny_segments_cost_only_the_bytes_compared() -> None:
    """The overlap check scanned every delivered chunk kept for comparison (up to 65,536
    one-byte chunks) for each retransmission: 65,536 one-byte segments and 20,000
    retransmissions of an old byte (a 4.8 MB pcap) took minutes. Now one window."""
    f = w.Flow()
    frames = f.handshake()
    base = f.seq["client"]
    frames += [f.send("client", b"x", seq=base + i) for i in range(65_536)]
    frames += [f.send("client", b"x", seq=base + 100) for _ in range(20_000)]
    pcap = fast_pcap(frames)
    assert len(pcap) > 4_000_000
    events = list(follow_tcp(io.BytesIO(pcap)))
    delivered = b"".join(e.data for e in events if isinstance(e, StreamData))
    assert delivered == b"x" * 65_536
    assert [e for e in events if isinstance(e, CaptureDiagnostic)] == []


def test_retransmission_with_other_bytes_is_still_flagged_after_the_window_moved() -> None:
    f = w.Flow()
    frames = f.handshake()
    base = f.seq["client"]
    frames += [f.send("client", bytes([i % 251]) * 100, seq=base + 100 * i) for i in range(1000)]
    frames.append(f.send("client", b"EVIL", seq=base + 99_950))  # inside the last 64 KiB
    frames.append(f.send("client", b"OLD!", seq=base + 10))  # older than the window
    events = list(follow_tcp(io.BytesIO(fast_pcap(frames))))
    (warning,) = [e for e in events if isinstance(e, CaptureDiagnostic)]
    assert "retransmits stream bytes 99950..99954 with different content" in warning.message


def test_compressed_capture_reads_alike_in_any_chunks_at_a_fault() -> None:
    """fuzz_capture: gzip whose first member's CRC is wrong (a second member glued on).
    The decoder got each chunk read (in pieces): read a byte at a time, the packets
    came out before the CRC failed; read in 64 KiB, the failing call returned none.
    Now the decoder gets the file in pieces at fixed offsets."""
    data = bytes.fromhex(
        "1f8b0800000000000203bb7278d3422606160618f8ff9f8181910101cc"  # gzip member 1
        "a09809c46102938c1c0cae0c0c1a20650e6c0c0c5c401120669ae3c01000"
        "944d01290960029943a2294c2093180280e63030b70055a4060800000000"  # its trailer
        "000203bb7278d3422606160618f8ff9f8181910101cca09809c4610208a1"  # member 2 (cut)
        "9ae207c518a638e0")
    results = [list(read_packets(io.BytesIO(data), chunk_size=chunk))
               for chunk in (1, 7, 64, 1 << 20)]
    assert all(result == results[0] for result in results)
    assert any(isinstance(i, CaptureDiagnostic) and "incorrect data check" in i.message
               for i in results[0])


# -- open: protobuf/framing.py -------------------------------------------------------


def test_grpc_uninflatable_message_keeps_the_rest() -> None:
    """fuzz_protobuf: ``01 00000002 ffff`` (compressed, 2 bytes that are not gzip) then
    ``08 01``: the trailing Unparsed covers only offsets 5-6; offsets 7-8 are in no
    message, no trailing and no diagnostic (framing.py, ``_split_grpc``: ``return frames,
    diagnostics, Unparsed(body, data[body:stop])`` should keep ``data[body:]`` or go on
    with the next prefix)."""
    data = bytes.fromhex("01 00000002 ffff 0801")
    run = cli("decode", "-f", "json", "--grpc", "-i", "raw", "-", stdin=data)
    document: Any = run.json()
    assert run.code == 1
    trailing = document["trailing"]
    covered = {trailing["offset"] + i for i in range(trailing["length"])} if trailing else set()
    for message in document["messages"]:
        covered |= set(range(message["prefix_offset"], message["prefix_offset"] + 5))
        unparsed = message["unparsed"]  # offsets in the input: the message did not inflate
        if unparsed:
            covered |= set(range(unparsed["offset"], unparsed["offset"] + unparsed["length"]))
    assert covered == set(range(len(data)))
    # The prefix said where the next message starts, so reading went on from there.
    assert len(document["messages"]) == 1 and trailing["offset"] == 7


# -- open: http2/frames.py -----------------------------------------------------------


def test_damaged_preface_diagnostic_does_not_depend_on_chunking() -> None:
    """fuzz_h2frames: ``PRI *\\x01\\x00 HTTP/2.0...`` fed as 19 + rest bytes gives a
    diagnostic of length 19, fed whole one of length 24 (``len(head)`` in
    ``FrameReader._detect_preface``: it decides as soon as the buffer stops being a
    prefix of the preface, before 24 bytes are there)."""
    data = b"PRI *\x01\x00 HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(0x4, 0, 0)

    def read(cut: int) -> list[Any]:
        reader = FrameReader()
        return reader.feed(data[:cut]) + reader.feed(data[cut:]) + reader.close()

    assert read(19) == read(len(data))


# -- open: http2/hpack.py ------------------------------------------------------------


class CountingSegments(list[tuple[int, int]]):
    """A segments list that counts how many items the decoder looks at."""

    looked_at = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        for item in super().__iter__():
            CountingSegments.looked_at += 1
            yield item

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        CountingSegments.looked_at += 1
        return super().__getitem__(index)


def test_offsets_of_a_block_in_many_fragments_cost_linear_work() -> None:
    """200,000 CONTINUATION frames of one byte each (``82``, 2 MB) take hours in
    ``h2-frames``: ``decode_block``'s ``absolute()`` walks ``segments`` from the start for
    every representation (20,000 frames: 11 s; 10x more: 100x the time). Fix: bisect
    on the fragment starts, or walk them along with ``pos``. Counted here at 5,000."""
    fragments = 5_000
    segments = CountingSegments((i, 1000 + 10 * i) for i in range(fragments))
    block = HpackContext().decode_block(b"\x82" * fragments, stream_id=1, segments=segments)
    assert len(block.fields) == fragments
    assert [block.field_offset(f) for f in block.fields] == [
        1000 + 10 * i for i in range(fragments)]
    assert CountingSegments.looked_at < 50 * fragments


def test_200000_one_byte_continuation_frames_through_the_cli_are_counted() -> None:
    """The CLI side of the case above, at a size the quadratic walk still survives."""
    data = PREFACE + frame(0x1, 0, 1, b"\x82") + frame(0x9, 0, 1, b"\x82") * 2_000
    data += frame(0x9, 0x4, 1)
    run = cli("h2-frames", "-f", "jsonl", "-i", "raw", "--max-continuation-frames", "5000", "-",
              stdin=data)
    records = run.jsonl()
    assert run.code == 0 and len(records) == 1 + 2_002
    assert len(records[-1]["headers"]) == 2_001  # type: ignore[arg-type]


# -- open: render/ -------------------------------------------------------------------


def test_table_view_of_a_huge_unparsed_tail_escapes_only_what_it_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A gzip bomb inflated to the default 64 MiB of zeros is one unparsed tail; the
    table view runs ``escape_bytes`` over all of it (a regex callback per byte: 50 s and
    256 MB of escapes) to show 24 characters. Fix: escape ``data[:limit]`` only."""
    from wiretool.render.escape import escape_bytes as real

    seen: list[int] = []

    def spy(data: bytes) -> str:
        seen.append(len(data))
        return real(data[:4096])  # keep the failing run fast

    monkeypatch.setattr("wiretool.render.protobuf_values.escape_bytes", spy)
    run = cli("decode", "-f", "table", "-i", "raw", "-", stdin=b"\x08\x01" + bytes(1 << 20))
    assert run.code == 1 and "unparsed" in run.stdout
    assert max(seen) <= 4096, max(seen)


@needs_entry_point
def test_hpack_table_view_of_a_reference_bomb_is_bounded() -> None:
    """``hpack -f table`` (and ``h2-frames -f table``) on a 4 KB entry referenced N times:
    peak RSS grows ~13 KB per reference (N = 60,000 in a 64 KB input: 685 MB and 49 s).
    JSON stays small because unexpanded fields are null. Fix: one summary row for the
    fields past the limit, or print rows in batches as FrameView does."""
    block = hpack_literal(b"x-bomb", b"v" * 4000) + b"\xbe" * 3_000  # 7 KB; ~63 MB peak
    done = subprocess_run("hpack", "-f", "table", block.hex())
    assert done.code == 0
    assert done.peak_rss_mb < 45, done.peak_rss_mb  # 24 MB for a one-field block


# -- issue 19: schema-guided paths and JSON (fuzz_schema, fuzz_json) -------------------

HOSTILE_NODE = ("--proto", str(Path(__file__).parent / "data" / "hostile.proto"),
                "-t", "hostile.Node")


def test_json_number_beyond_a_double_in_a_value_is_an_error_at_its_path() -> None:
    """fuzz_json: ``1e999`` parses to an infinite float, which the runtime's JSON mapping
    puts in a ``google.protobuf.Value`` (a mixed array without a schema; ``struct`` and
    ``value`` of hostile.Node) and then cannot write back: SerializeToJsonError from
    MessageToDict. The reader now refuses numbers beyond a double, at their path."""
    for text, schema, path in (
        (bytes.fromhex("7b 2261 223a 20 5b 31 2c 20 227822 2c 20 3165393939 5d 7d"),  # {"a": [1, "x", 1e999]}
         (), "$.a[2] (line 1, column 16)"),
        (bytes.fromhex("7b 2273747275637422 3a 20 7b 226122 3a 20 3165393939 7d 7d"),  # {"struct": {"a": 1e999}}
         HOSTILE_NODE, "$.struct.a (line 1, column 18)"),
        (bytes.fromhex("7b 2276616c756522 3a 20 2d3165393939 7d"),  # {"value": -1e999}
         HOSTILE_NODE, "$.value (line 1, column 11)"),
    ):
        for fmt in ("json", "table"):
            run = cli("compare-json", "-f", fmt, *schema, "-", stdin=text)
            assert run.code == 1
            shown = " ".join((run.stdout + run.stderr).split())  # the table wraps lines
            assert ("is beyond the range of a double (proto3 JSON writes infinity as the "
                    f'string "Infinity") at {path}') in shown, fmt


@pytest.mark.parametrize("type_name, data", [
    ("google.protobuf.Value", "11 000000000000f07f"),  # number_value = +inf
    ("google.protobuf.Value", "11 000000000000f87f"),  # number_value = NaN
    ("google.protobuf.Timestamp", "08 80808080808080808001"),  # seconds = 2^63: out of range
    ("google.protobuf.Duration", "08 01  10 ffffffffffffffffff01"),  # 1 s and -1 ns: signs differ
    ("google.protobuf.Any", "0a 0c 747970652e6e6f2f6e6f7065 12 02 0801"),  # type.no/nope: unknown
    ("google.protobuf.FieldMask", "0a 02 6142"),  # path "aB": not snake_case
])
def test_binary_message_with_no_proto3_json_form_is_compared_without_schema(
    type_name: str, data: str
) -> None:
    """The same class through binary input with a schema: the message parses, but
    MessageToDict refuses it (ValueError, TypeError, SerializeToJsonError). Compared
    without schema, with an error that says why, exit 1."""
    run = cli("compare-json", "-f", "json", "-i", "raw", *HOSTILE_NODE[:2], "-t", type_name,
              "-", stdin=bytes.fromhex(data))
    assert run.code == 1
    document: Any = run.json()
    assert document["type"] == "wiretool.inferred.Root"
    [error] = [d for d in document["diagnostics"] if d["severity"] == "error"]
    assert error["message"].startswith(
        f"-: the input parses as {type_name}, but the message has no proto3 JSON form: ")


def test_compare_json_document_escapes_what_a_terminal_could_act_on() -> None:
    """fuzz_json: a key ``"\\u200b\\ud83d\\ude00"`` (zero-width space, emoji) became an
    inferred field's ``json_name``, written raw by ``json.dump(ensure_ascii=False)``; so
    would be DEL, C1 controls (U+009B is CSI) and bidi overrides. The document now
    writes them as ``\\uXXXX`` escapes: the same values, nothing for a terminal."""
    text = bytes.fromhex(
        "7b 22 5c7532303062 5c7564383364 5c7564653030 22 3a 20"  # {"\u200b\ud83d\ude00":
        " 7b 22 5c7530303962 22 3a 20 31 7d 7d")  # {"\u009b": 1}}
    run = cli("compare-json", "-f", "json", "-", stdin=text)
    assert run.code == 0
    assert not any(c in run.stdout for c in "\u200b\u009b")
    assert '"json_name":"\\u200b\U0001f600"' in run.stdout  # the emoji is text, kept
    document: Any = run.json()
    assert document["fields"][0]["json_name"] == "\u200b\U0001f600"


def test_inferred_field_names_never_clash_with_keys() -> None:
    """fuzz_json: keys ``"id"`` and ``"id\\u0000"`` made fields ``id`` (JSON name "id") and
    ``id_`` (JSON name "id" + U+0000, which the runtime cuts at the NUL): "duplicate
    json_name", exit 2 with a schema error. Keys ``"a b"`` and ``"a_b"`` made the name
    ``a_b`` and the JSON name ``a_b`` of another field: the same. Inferred names now
    avoid every key of their object; a key holding U+0000 is refused when read (with a
    schema, the runtime would read ``"name\\u0000"`` as ``"name"``)."""
    clash = bytes.fromhex("7b 22 61 20 62 22 3a 20 31 2c 20 22 61 5f 62 22 3a 20 32 7d")  # {"a b": 1, "a_b": 2}
    for text in (clash, b'{"a_b": 1, "a b": 2, "A_B": 3, "a-b": 4}', b'{"1": 1, "f_1": 2}'):
        run = cli("compare-json", "-f", "json", "-", stdin=text)
        document: Any = run.json()
        assert run.code == 0 and len(document["fields"]) == text.count(b":"), text
    nul = bytes.fromhex(  # {"id": 1, "id\u0000": [[false]]}
        "7b 22 69 64 22 3a 20 31 2c 20 22 69 64 5c 75 30 30 30 30 22 3a 20 5b 5b 66 61 6c 73 65"
        " 5d 5d 7d")
    run = cli("compare-json", "-f", "json", "-", stdin=nul)
    assert run.code == 1
    assert run.json()["errors"][0]["message"] == (  # type: ignore[index]
        'a key holding U+0000 (protobuf names cannot hold it; the runtime would cut the key '
        'there) at $["id\\u0000"] (line 1, column 11)')
    alias = b'{"name": "x", "name\\u0000": "y"}'
    run = cli("compare-json", "-f", "json", "--proto", str(ROOT / "samples" / "person.proto"),
              "-t", "Person", "-", stdin=alias)
    assert run.code == 1 and "a key holding U+0000" in run.stderr + run.stdout
