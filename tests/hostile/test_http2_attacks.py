"""Hostile HTTP/2 and HPACK input through the real ``wiretool h2-frames`` and ``wiretool
hpack``: exit codes, diagnostics with offsets, valid JSON, bounded work. Library-level
tests of the same checks: tests/http2/test_frames.py (padding, truncation, CONTINUATION),
tests/http2/test_hpack.py (bad indexes, Huffman, size updates, header list limit)."""

from __future__ import annotations

import json
from typing import Any

from tests.hostile.helpers import (
    PREFACE,
    Run,
    cli,
    frame,
    hpack_int,
    hpack_literal,
    needs_entry_point,
    subprocess_run,
)

DATA, HEADERS, SETTINGS, GOAWAY, CONTINUATION = 0x0, 0x1, 0x4, 0x7, 0x9
END_STREAM, END_HEADERS, PADDED = 0x1, 0x4, 0x8


def h2(data: bytes, *options: str) -> tuple[Run, list[dict[str, object]]]:
    """``h2-frames -f jsonl`` of one direction's bytes; the records."""
    run = cli("h2-frames", "-f", "jsonl", "-i", "raw", *options, "-", stdin=data)
    return run, run.jsonl()


def errors(records: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in records if r["record"] == "diagnostic" and r["severity"] == "error"]


def frames_of(records: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in records if r["record"] == "frame"]


def accounted(records: list[dict[str, object]]) -> int:
    """Bytes covered by the preface and the frames (header + payload present)."""
    total = 0
    for r in records:
        if r["record"] == "preface":
            total += int(r["length"])  # type: ignore[call-overload]
        elif r["record"] == "frame":
            present = r.get("payload_present", r["length"])
            total += 9 + int(present)  # type: ignore[call-overload]
    return total


# -- frame lengths that lie ----------------------------------------------------------


def test_length_larger_than_the_input_is_a_truncated_frame() -> None:
    data = PREFACE + frame(DATA, 0, 1, b"abc", length=0xFFFFFF)
    run, records = h2(data)
    assert run.code == 1
    (last,) = frames_of(records)
    assert last["truncated"] is True and last["length"] == 0xFFFFFF
    assert last["payload_present"] == 3
    assert any("runs past the end of the input" in str(e["message"]) for e in errors(records))
    assert accounted(records) == len(data)


def test_length_smaller_than_the_payload_reads_on_and_accounts_every_byte() -> None:
    # SETTINGS claims 3 bytes of a 6-byte entry: the rest is read as the next header.
    data = PREFACE + frame(SETTINGS, 0, 0, bytes.fromhex("000100001000"), length=3)
    data += frame(SETTINGS, 1, 0)
    run, records = h2(data)
    assert run.code == 1
    assert any("not a multiple of 6" in str(e["message"]) for e in errors(records))
    ends_inside = [r for r in records if r["record"] == "diagnostic"
                   and "too few for a 9-byte frame header" in str(r["message"])]
    tail = sum(int(r["length"]) for r in ends_inside)  # type: ignore[call-overload]
    assert accounted(records) + tail == len(data)


def test_200000_empty_continuation_frames() -> None:
    """One header block spread over 200,000 empty CONTINUATION frames (1.8 MB)."""
    data = PREFACE + frame(HEADERS, END_STREAM, 1, b"\x82")
    data += frame(CONTINUATION, 0, 1) * 200_000 + frame(CONTINUATION, END_HEADERS, 1)
    # Past --max-continuation-frames (default 1000) the block is counted, not assembled.
    run, records = h2(data)
    assert run.code == 1
    assert len(frames_of(records)) == 200_002
    flood = [r for r in records if r["record"] == "diagnostic" and r["severity"] == "error"]
    assert [r["message"] for r in flood] == [
        "header block of stream 1 has more than 1000 CONTINUATION frames "
        "(--max-continuation-frames): the rest are counted, the block is not decoded"]
    assert "headers" not in frames_of(records)[-1]
    # Raised past the flood, the same block is assembled and decoded (linear work).
    run, records = h2(data, "--max-continuation-frames", "300000")
    assert run.code == 0
    last = frames_of(records)[-1]
    assert last["type_name"] == "CONTINUATION" and last["headers"] == [
        {**last["headers"][0], "name": ":method", "value": "GET"}]  # type: ignore[index]


def test_settings_flood_is_one_record_per_frame_and_bounded() -> None:
    entry = bytes.fromhex("0001 00001000")  # HEADER_TABLE_SIZE 4096
    data = PREFACE + frame(SETTINGS, 0, 0, entry * 10) * 20_000 + frame(SETTINGS, 0, 0, b"\0" * 6)
    run, records = h2(data, "--summary")
    assert run.code == 0
    assert len(frames_of(records)) == 20_001
    (summary,) = [r for r in records if r["record"] == "summary"]
    directions: Any = summary["directions"]
    assert directions[0]["frames"] == {"SETTINGS": 20_001}


@needs_entry_point
def test_settings_flood_in_a_real_process_is_bounded() -> None:
    entry = bytes.fromhex("0004 0000ffff")  # INITIAL_WINDOW_SIZE
    data = PREFACE + frame(SETTINGS, 0, 0, entry) * 100_000  # 1.5 MB
    done = subprocess_run("h2-frames", "-f", "jsonl", "-", stdin=data)
    assert done.code == 0
    assert done.stdout.count(b"\n") == 100_001
    assert done.peak_rss_mb < 500, done.peak_rss_mb


def test_padding_larger_than_the_payload() -> None:
    data = PREFACE + frame(DATA, PADDED, 1, b"\xff" + b"x" * 10)
    data += frame(HEADERS, PADDED | END_HEADERS, 3, b"\x05\x82")
    data += frame(HEADERS, END_HEADERS, 5, b"\x82")  # decoding goes on after both
    run, records = h2(data)
    assert run.code == 1
    messages = [str(e["message"]) for e in errors(records)]
    assert sum("padding of 255 byte(s) is longer than the 10 byte(s)" in m for m in messages) == 1
    assert sum("padding of 5 byte(s) is longer than the 1 byte(s)" in m for m in messages) == 1
    assert all(e["error_name"] == "PROTOCOL_ERROR" for e in errors(records))
    assert frames_of(records)[-1]["headers"]
    assert accounted(records) == len(data)


# -- HPACK ---------------------------------------------------------------------------

ENTRY_4K = hpack_literal(b"x-bomb", b"v" * 4000)  # inserted as dynamic index 62


def split_block(block: bytes, size: int = 16_000) -> bytes:
    pieces = [block[i:i + size] for i in range(0, len(block), size)]
    out = frame(HEADERS, END_HEADERS if len(pieces) == 1 else 0, 1, pieces[0])
    for i, piece in enumerate(pieces[1:], 2):
        out += frame(CONTINUATION, END_HEADERS if i == len(pieces) else 0, 1, piece)
    return out


def test_4kb_dynamic_entry_referenced_60000_times_is_counted_not_expanded() -> None:
    block = ENTRY_4K + b"\xbe" * 60_000  # 64 KB that would decode to 240 MB
    run, records = h2(PREFACE + split_block(block))
    assert run.code == 0
    headers = records[-2 if records[-1]["record"] == "diagnostic" else -1]["headers"]
    assert isinstance(headers, list) and len(headers) == 60_001
    expanded = [h for h in headers if h.get("expanded", True)]
    assert 50 < len(expanded) < 70  # 256 KiB / (4 KB + 32)
    assert all(h["value"] is None for h in headers if h.get("expanded") is False)
    assert any("header list exceeds 262144 bytes" in line for line in run.stdout.splitlines())
    assert len(run.stdout) < 20_000_000  # not 60,000 copies of 4 KB


def test_hpack_command_bomb_json_is_bounded() -> None:
    run = cli("hpack", "-f", "json", "--max-header-list-size", "8192",
              (ENTRY_4K + b"\xbe" * 20_000).hex())
    assert run.code == 0
    (block,) = run.json()["blocks"]  # type: ignore[index]
    assert len(block["headers"]) == 20_001
    assert sum(h["value"] is not None for h in block["headers"]) == 2  # 8192 / 4038
    assert len(run.stdout) < 10_000_000


def test_index_past_the_table_stops_the_block_and_the_next_block_decodes() -> None:
    run = cli("hpack", "-f", "json", "82" + "ff" + "80808080" + "08", "be", "82")
    assert run.code == 1
    first, second, third = run.json()["blocks"]  # type: ignore[index]
    assert "past the end of the dynamic table" in first["diagnostics"][0]["message"]
    assert first["undecodable_from"] == 1 and len(first["headers"]) == 1
    assert "past the end" in second["diagnostics"][0]["message"]
    assert third["diagnostics"] == [] and third["headers"][0]["value"] == "GET"


def test_table_size_update_to_2_32() -> None:
    update = hpack_int(1 << 32, 5, 0x20)
    run = cli("hpack", "-f", "json", (update + b"\x82").hex())
    assert run.code == 1
    (block,) = run.json()["blocks"]  # type: ignore[index]
    assert "update to 4294967296 exceeds the limit 4096" in block["diagnostics"][0]["message"]
    # One direction without its peer's SETTINGS: accepted with a warning, then used.
    data = PREFACE + frame(HEADERS, END_HEADERS, 1, update + ENTRY_4K + b"\xbe")
    run2, records = h2(data)
    assert run2.code == 0
    assert any("4294967296" in str(r.get("message")) for r in records)


def test_many_table_size_updates_in_one_block() -> None:
    run = cli("hpack", "-f", "json", ("3fe11f" * 50_000 + "82").hex() if False else
              "3fe11f" * 50_000 + "82")
    assert run.code == 0
    (block,) = run.json()["blocks"]  # type: ignore[index]
    assert len(block["headers"]) == 50_001


def test_integer_that_never_ends() -> None:
    block = b"\x82" + b"\xff" * 100_000
    run = cli("hpack", "-f", "json", block.hex())
    assert run.code == 1
    (b,) = run.json()["blocks"]  # type: ignore[index]
    assert b["undecodable_from"] == 1
    assert "integer" in b["diagnostics"][0]["message"]
    # Inside a frame, with a well-formed block after it on the same connection.
    data = PREFACE + frame(HEADERS, END_HEADERS, 1, b"\xff" * 16_000)
    data += frame(HEADERS, END_HEADERS, 3, b"\x82")
    run2, records = h2(data)
    assert run2.code == 1
    assert frames_of(records)[-1]["headers"]


def test_invalid_huffman() -> None:
    bad = {
        "EOS symbol": b"\xff\xff\xff\xff",
        "padding longer than 7 bits": b"\x1f\xff",  # 'a' (00011) then 11 bits of ones
        "padding not all ones": b"\x1c",  # 'a' then 000 padding
    }
    for why, payload in bad.items():
        block = b"\x40\x81a" + hpack_int(len(payload), 7, 0x80) + payload
        run = cli("hpack", "-f", "json", block.hex(), "82")
        assert run.code == 1, why
        first, second = run.json()["blocks"]  # type: ignore[index]
        assert "invalid Huffman" in first["diagnostics"][0]["message"], why
        assert second["headers"][0]["value"] == "GET", why


@needs_entry_point
def test_hostile_http2_in_a_real_process() -> None:
    data = PREFACE + frame(DATA, PADDED, 1, b"\xff") + split_block(ENTRY_4K + b"\xbe" * 30_000)
    done = subprocess_run("h2-frames", "-f", "jsonl", "-", stdin=data)
    assert done.code == 1
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert records[0]["record"] == "preface"
    assert done.peak_rss_mb < 300, done.peak_rss_mb
