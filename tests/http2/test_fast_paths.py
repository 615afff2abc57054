"""Each fast path of the HTTP/2 side gives exactly what the plain path gives.

* ``H2Lines`` (frame lines written directly, the connection's JSON encoded once per
  connection) against ``dumps`` of the plain objects of ``jsonl_oracle``, on every
  bundled capture and dump;
* the HPACK context's cached block decodings against a context that caches nothing,
  on every hpack-test-case story, each block sent twice;
* the memoised Huffman decoder against the ``hpack`` library's;
* the one-octet HPACK integer shortcut against ``hpack.hpack.decode_integer``;
* frames built with their direction by the reader against frames tagged afterwards;
* the common DATA and HEADERS frames built directly against the full decoding, on
  every frame of the corpora and dumps and on generated frames.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hpack import HPACKDecodingError
from hpack.hpack import decode_integer
from hpack.huffman_table import decode_huffman as library_decode_huffman
from hypothesis import given
from hypothesis import strategies as st

from wiretool.capture import follow_tcp
from wiretool.http2.constants import PREFACE
from wiretool.http2.hpack import BlockCache, HpackContext, _read_integer, decode_huffman
from wiretool.render.h2_jsonl import H2Lines, dumps
from wiretool.session import SessionOptions, SessionRecord, decode_h2
from wiretool.session.capture import CaptureSession

from .jsonl_oracle import frame_json, plain_objects

ROOT = Path(__file__).resolve().parents[2]
STORIES = sorted((ROOT / "tests" / "corpora" / "hpack-test-case").glob("*/story_*.json"))
# samples/tls: h2-frames shows them as encrypted until the session decrypts TLS (issue 15
# phase 2); tests/tls reads them.
CAPTURES = [path for path in sorted((ROOT / "samples").rglob("*.pcap")) + sorted(
    (ROOT / "samples").rglob("*.pcapng")) if "tls" not in path.parent.name]
ALL_DUMPS = sorted((ROOT / "samples" / "h2").glob("*.follow")) + sorted(
    (ROOT / "samples" / "h2").glob("*.client.bin"))


def _session_records(path: Path, *, summary: bool) -> list[SessionRecord]:
    session = CaptureSession(SessionOptions(summary=summary))
    out: list[SessionRecord] = []
    for event in follow_tcp(io.BytesIO(path.read_bytes())):
        out += session.feed(event)
    return out + session.close()


@pytest.mark.parametrize("path", CAPTURES + ALL_DUMPS, ids=lambda p: p.name)
@pytest.mark.parametrize(("hpack_table", "summary"), [(False, False), (True, False),
                                                       (False, True)])
def test_capture_lines_match_the_plain_objects(path: Path, hpack_table: bool,
                                              summary: bool) -> None:
    """Record by record, each twice so that the header text memos are used."""
    if path in CAPTURES:  # every record, the frames too with --summary
        records = _session_records(path, summary=summary)
    else:
        with decode_h2(path, SessionOptions(summary=summary)) as decoding:
            records = list(decoding)
    lines = H2Lines(hpack_table=hpack_table, summary=summary)
    count = 0
    for record in records + records:
        plain = [dumps(obj) + "\n" for obj in plain_objects(record, hpack_table=hpack_table,
                                                            summary=summary)]
        parts: list[str] = []
        lines.extend(parts, record)
        assert "".join(parts) == "".join(plain)
        count += len(plain)
    assert count > (20 if path in CAPTURES else 8)


def test_cached_block_decodings_match_a_context_without_cache() -> None:
    hits = 0
    for path in STORIES:
        cases = json.loads(path.read_text())["cases"]
        size = cases[0].get("header_table_size") or 4096
        cached = HpackContext(table_size_limit=size, block_cache=BlockCache())
        plain = HpackContext(table_size_limit=size, block_cache=BlockCache(0))
        for number, case in enumerate(cases):
            wire = bytes.fromhex(case["wire"])
            first = None
            for again in range(2):  # the second time may come from the cache
                offset = 1000 * number + 500 * again
                got = cached.decode_block(wire, stream_id=number, segments=((0, offset),))
                want = plain.decode_block(wire, stream_id=number, segments=((0, offset),))
                assert got == want
                assert [got.field_offset(f) for f in got.fields] == [
                    offset + f.block_offset for f in want.fields]
                if first is not None and got.fields is first.fields:
                    hits += 1
                first = got
    assert len(STORIES) > 10 and hits > 20  # 26: most blocks of the stories insert


@given(st.binary(max_size=40))
def test_memoised_huffman_matches_the_library(raw: bytes) -> None:
    for _ in range(2):  # a miss, then a hit
        try:
            expected: bytes | None = library_decode_huffman(raw)
        except HPACKDecodingError:
            expected = None
        try:
            got: bytes | None = decode_huffman(raw)
        except HPACKDecodingError:
            got = None
        assert got == expected


@pytest.mark.parametrize("prefix", [4, 5, 6, 7])
def test_one_octet_integers_match_the_library(prefix: int) -> None:
    for first in range(256):
        for tail in (b"", b"\x05", b"\x80\x01"):
            block = bytes([0xAA, first]) + tail
            try:
                value, consumed = decode_integer(memoryview(block)[1:], prefix)
            except HPACKDecodingError:
                continue
            assert _read_integer(block, 1, prefix) == (value, 1 + consumed)


def test_frames_are_built_with_their_direction() -> None:
    """A connection fed with a known direction tags every frame as it is built, the same
    as the frames a direction-less reader gives once tagged."""
    from wiretool.http2.connection import Connection
    from wiretool.http2.frames import Frame, FrameReader

    data = (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes.fromhex("000000040000000000")
            + bytes.fromhex("00000401050000000182868487"))  # SETTINGS; HEADERS (4 indexed)
    tagged = [r for r in Connection().feed("client", data) if isinstance(r, Frame)]
    plain = [r._replace(direction="client") for r in FrameReader().feed(data)
             if isinstance(r, Frame)]
    assert [f.direction for f in tagged] == ["client", "client"]
    assert [f._replace(header_block=None) for f in tagged] == plain


def test_with_header_block_is_replace() -> None:
    from wiretool.errors import Diagnostic, Severity
    from wiretool.http2.frames import FrameReader
    from wiretool.http2.hpack import HpackContext

    (frame,) = FrameReader(detect_preface=False).feed(
        bytes.fromhex("00000401050000000182868487"))  # HEADERS, 4 indexed fields
    block = HpackContext().decode_block(frame.body.fragment, stream_id=1)
    extra = (Diagnostic(0, Severity.INFO, "note"),)
    for more in ((), extra):
        assert frame.with_header_block(block, more) == frame._replace(
            header_block=block, diagnostics=frame.diagnostics + more)


DUMPS = sorted((ROOT / "samples" / "h2").glob("*.follow"))


@pytest.mark.parametrize("path", DUMPS, ids=lambda p: p.name)
@pytest.mark.parametrize("hpack_table", [False, True])
def test_frame_lines_match_frame_json(path: Path, hpack_table: bool) -> None:
    """``FrameLines`` (the line of a frame of a dump) against ``dumps(frame_json(...))``,
    each frame twice so that the header text memos are used."""
    from wiretool.http2.connection import Connection
    from wiretool.http2.frames import Frame
    from wiretool.inputs.streams import StreamFormat, iter_dump_chunks
    from wiretool.render.h2_jsonl import FrameLines

    connection = Connection(both_directions=True)
    frames: list[Frame] = []
    with path.open("rb") as handle:
        for chunk in iter_dump_chunks(handle, b"", StreamFormat.FOLLOW):
            frames += [r for r in connection.feed(chunk.direction, chunk.data)
                       if isinstance(r, Frame)]
    assert any(f.header_block is not None for f in frames)
    lines = FrameLines(hpack_table=hpack_table)
    for frame in frames + frames:
        assert lines.line(frame) == dumps(frame_json(frame, hpack_table=hpack_table))


FRAME_CASES = sorted((ROOT / "tests" / "corpora" / "http2-frame-test-case").rglob("*.json"))


def _general_decode_frame(raw: bytes, offset: int, **options: object) -> object:
    """``decode_frame`` with its direct construction of common frames switched off."""
    from wiretool.http2 import frames

    saved = frames._COMMON_EXCLUDED
    frames._COMMON_EXCLUDED = {}
    try:
        return frames.decode_frame(raw, offset, **options)  # type: ignore[arg-type]
    finally:
        frames._COMMON_EXCLUDED = saved


def test_common_frames_match_the_full_path_on_the_corpus() -> None:
    """Every frame of http2-frame-test-case and of the bundled dumps, both ways."""
    from wiretool.http2.frames import Frame, FrameReader, decode_frame
    from wiretool.render.h2_jsonl import FrameLines

    raws: list[bytes] = []
    for case in FRAME_CASES:
        wire = json.loads(case.read_text()).get("wire")
        if wire:
            raws.append(bytes.fromhex(wire))
    for path in sorted((ROOT / "samples").rglob("*.bin")):
        if path.parent.name in ("h2", "grpc"):  # one direction of a connection each
            for frame in FrameReader().feed(path.read_bytes()):
                if isinstance(frame, Frame):
                    raws.append(frame.length.to_bytes(3, "big")
                                + bytes([frame.type, frame.flags])
                                + (frame.stream_id | frame.reserved << 31).to_bytes(4, "big")
                                + frame.payload)
    common = 0
    lines = FrameLines()
    for raw in raws:
        truncated = len(raw) - 9 < int.from_bytes(raw[:3], "big")
        fast = decode_frame(raw, 7, truncated=truncated, direction="client")
        assert fast == _general_decode_frame(raw, 7, truncated=truncated, direction="client")
        assert lines.line(fast) == dumps(frame_json(fast))  # its members written directly
        common += fast.type in (0, 1) and not fast.diagnostics
    assert common > 50  # the direct construction was exercised


@given(ftype=st.sampled_from([0, 1, 1, 4, 9]), flags=st.integers(0, 255),
       reserved=st.booleans(), stream_id=st.sampled_from([0, 1, 3, 0x7FFF_FFFF]),
       payload=st.binary(max_size=40), truncated=st.booleans(),
       open_block=st.sampled_from([None, 1, 3]), max_frame_size=st.sampled_from([16, 16384]),
       known=st.booleans())
def test_common_frames_match_the_full_path(ftype: int, flags: int, reserved: bool,
                                           stream_id: int, payload: bytes, truncated: bool,
                                           open_block: int | None, max_frame_size: int,
                                           known: bool) -> None:
    from wiretool.http2.frames import decode_frame

    length = len(payload) + (7 if truncated else 0)
    raw = (length.to_bytes(3, "big") + bytes([ftype, flags])
           + (stream_id | (reserved << 31)).to_bytes(4, "big") + payload)
    options = {"truncated": truncated, "open_block": open_block,
               "max_frame_size": max_frame_size, "max_frame_size_known": known,
               "direction": "server"}
    assert decode_frame(raw, 100, **options) == _general_decode_frame(raw, 100, **options)


def test_one_block_cache_serves_many_contexts_apart() -> None:
    """Contexts sharing a cache never see each other's decodings, nor their own from
    before a table change; the cache holds at most its number of entries."""
    from hpack import Encoder

    shared = BlockCache(entries=4)
    contexts = []
    for name in (b"x-a", b"x-b"):
        context = HpackContext(block_cache=shared)
        context.decode_block(Encoder().encode([(name, b"1")]))  # inserts at index 62
        contexts.append(context)
    indexed = bytes([0x80 | 62])
    for _ in range(2):
        assert [f.name for f in contexts[0].decode_block(indexed).fields] == [b"x-a"]
        assert [f.name for f in contexts[1].decode_block(indexed).fields] == [b"x-b"]
    first = contexts[0].decode_block(indexed)
    assert contexts[0].decode_block(indexed).fields is first.fields  # from the cache
    contexts[0].decode_block(Encoder().encode([(b"x-c", b"2")]))  # a new index 62
    assert [f.name for f in contexts[0].decode_block(indexed).fields] == [b"x-c"]
    for number in range(10):
        contexts[1].decode_block(bytes([0x80 | 2]) * (number + 1))
        assert len(shared) <= 4


def test_a_block_cache_drops_a_context_s_decodings_when_its_table_changes() -> None:
    """State numbers are never reused, so the decodings of a changed table can never be
    found again: the cache holds those of current tables only."""
    from hpack import Encoder

    shared = BlockCache()
    changing, steady = HpackContext(block_cache=shared), HpackContext(block_cache=shared)
    for block in (bytes([0x82]), bytes([0x84]), bytes([0x82, 0x84])):
        changing.decode_block(block)
        steady.decode_block(block)
    assert len(shared) == 6
    changing.decode_block(Encoder().encode([(b"x-new", b"1")]))  # inserts: a new state
    assert len(shared) == 3  # the steady context's only
    assert steady.decode_block(bytes([0x82])).fields is steady.decode_block(
        bytes([0x82])).fields  # still served
    steady.release()  # its input ended
    assert len(shared) == 0
    changing.decode_block(bytes([0x82]))
    assert len(shared) == 1
    changing.history_complete = False  # any change of state
    assert len(shared) == 0


def test_a_connection_that_ends_releases_its_decodings() -> None:
    from wiretool.http2.connection import Connection

    shared = BlockCache()
    connection = Connection(block_cache=shared)
    headers = bytes([0, 0, 2, 1, 0x05, 0, 0, 0, 1, 0x82, 0x84])  # HEADERS, stream 1
    connection.feed("client", PREFACE + headers + headers[:8] + bytes([3, 0x82, 0x84]))
    assert len(shared) == 1
    connection.close()
    assert len(shared) == 0


def test_a_block_cache_that_serves_nothing_rests_then_tries_again() -> None:
    """Filled with blocks never asked for again (many connections, each block once), the
    cache empties and remembers nothing for CACHE_REST times its size; one that serves
    its lookups keeps remembering."""
    from wiretool.memo import CACHE_REST

    context = HpackContext()
    decoded = context.decode_block(bytes([0x82]))
    cache = BlockCache(entries=16)
    for number in range(16):
        cache.put(number, b"x", decoded.fields, 1)
    assert len(cache) == 16 and cache.usefulness.resting == 0
    cache.put(99, b"x", decoded.fields, 1)  # full, and no lookup was served: rest
    assert len(cache) == 0 and cache.usefulness.resting == CACHE_REST * 16
    for number in range(CACHE_REST * 16):
        cache.put(number, b"y", decoded.fields, 1)
        assert len(cache) == 0
    cache.put(0, b"z", decoded.fields, 1)  # rested: remembers again
    assert cache.get(0, b"z") is not None
    for number in range(1, 17):  # this time every entry is asked for twice
        cache.put(number, b"z", decoded.fields, 1)
        assert cache.get(number, b"z") is not None
        assert cache.get(number, b"z") is not None
    assert cache.usefulness.resting == 0 and len(cache) == 1  # full: emptied, not resting


def test_a_decoding_memo_that_serves_nothing_rests() -> None:
    from wiretool.memo import CACHE_REST
    from wiretool.render.h2_jsonl import DecodingMemo

    context = HpackContext()
    decodings = [context.decode_block(bytes([0x80 | index])).fields for index in range(2, 62)]
    memo: DecodingMemo[str] = DecodingMemo(kept=8, watched=8)
    for fields in decodings[:9]:  # nine first sightings, none asked for: rest
        memo.seen(fields, "x")
    assert memo.usefulness.resting == CACHE_REST * 8
    memo.seen(decodings[0], "x")
    memo.seen(decodings[0], "x")
    assert memo.get(decodings[0]) is None  # resting: not even a second sighting counts


def test_decoding_memo_keeps_from_the_second_sighting_and_stays_bounded() -> None:
    from wiretool.render.h2_jsonl import DecodingMemo

    context = HpackContext()
    decodings = [context.decode_block(bytes([0x80 | index])).fields for index in range(2, 8)]
    memo: DecodingMemo[str] = DecodingMemo(kept=2, watched=3)
    first = decodings[0]
    assert memo.get(first) is None
    memo.seen(first, "first")
    assert memo.get(first) is None  # seen once: only watched
    memo.seen(first, "first")
    assert memo.get(first) == "first"
    assert memo.get(tuple(list(first))) is None  # an equal tuple is another decoding
    for fields in decodings[1:]:
        memo.seen(fields, "x")
        memo.seen(fields, "x")
        assert len(memo._kept) <= 2 and len(memo._once) <= 3
    assert memo.get(decodings[-1]) == "x"


def test_decoding_memo_does_not_keep_the_decoding_s_fields_alive() -> None:
    """An entry holds the decoding's last field, not the tuple: the other fields of a
    decoding the block cache dropped are freed."""
    import sys

    from wiretool.render.h2_jsonl import DecodingMemo

    fields = HpackContext().decode_block(bytes([0x82, 0x84, 0x86])).fields
    first = fields[0]
    alone = sys.getrefcount(first)
    memo: DecodingMemo[str] = DecodingMemo(kept=4, watched=4)
    memo.seen(fields, "text")
    memo.seen(fields, "text")
    assert memo.get(fields) == "text"
    assert sys.getrefcount(first) == alone
    other = tuple(list(fields))  # another tuple, equal: another decoding
    assert other is not fields and memo.get(other) is None


@pytest.mark.parametrize("batch", [1, 5, 32])
def test_jsonl_batches_write_every_line_in_order(batch: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``h2-frames --format jsonl`` on a capture writes the lines of several records at a
    time: whatever the batch, exactly the lines of the plain objects, in order."""
    from typer.testing import CliRunner

    from wiretool.cli import app
    from wiretool.render import h2_jsonl

    monkeypatch.setattr(h2_jsonl, "JSONL_BATCH", batch)
    path = ROOT / "samples" / "grpc" / "demo.pcap"
    records = _session_records(path, summary=False)
    plain = "".join(dumps(obj) + "\n" for record in records for obj in plain_objects(record))
    result = CliRunner().invoke(app, ["h2-frames", "--format", "jsonl", str(path)])
    assert result.exit_code == 0
    assert len(records) > 3 * 32
    assert result.stdout == plain


def test_header_text_of_blocks_without_fields_follows_each_block() -> None:
    """Every block that decodes to no field shares the empty tuple (an empty block, one
    undecodable from its first byte): each one's text is still its own."""
    from wiretool.render.h2_jsonl import HeaderText, header_block_json, header_field_json

    context = HpackContext()
    text = HeaderText()
    for wire in (b"", b"\x7f\xff\xff\xff\xff\xff\xff", b"", b"\x7f\xff\xff\xff\xff\xff\xff",
                 b"\x7f\xff\xff\xff\xff\xff\xff\xff", b""):
        block = context.decode_block(wire, segments=((0, 100),))
        assert block.fields == ()
        plain = {"headers": [header_field_json(f, block.field_offset(f)) for f in block.fields],
                 "header_block": header_block_json(block, table=False)}
        parts: list[str] = []
        text.extend(parts, block)
        assert "{" + "".join(parts) + "}" == dumps(plain)
