#!/usr/bin/env python3
"""Coverage-guided fuzzing of the HPACK walker: one ``HpackContext``, several blocks.

Input: one control byte (bit 0: history complete; bit 1: limit known; bits 2-3:
SETTINGS_HEADER_TABLE_SIZE; bits 4-5: max header list size; bit 7: also render
the table and --encode explanation views), then blocks, each a 2-byte big-endian
length and its bytes (the last one cut short by the input's end). Contract: only
diagnostics, never an exception; each block's representations tile it up to
where it became undecodable; wire bytes and offsets match the input; JSON valid;
the table view is terminal-safe.

    python fuzz/fuzz_hpack.py fuzz/work/corpus/hpack fuzz/work/seeds/hpack \
        -max_total_time=600 -rss_limit_mb=2048 -timeout=20
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contract import assert_terminal_safe, assert_tiles, fuzz_main, instrumented, plain_console

with instrumented(__name__ == "__main__"):
    from wiretool.http2.hpack import BlockCache, HeaderBlock, HpackContext
    from wiretool.render import h2_jsonl, hpack_view

TABLE_SIZES = (0, 256, 4096, 65536)
LIST_SIZES = (0, 100, 4096, 256 * 1024)


def split_blocks(data: bytes) -> list[bytes]:
    blocks = []
    at = 0
    while at < len(data):
        size = int.from_bytes(data[at:at + 2], "big")
        blocks.append(data[at + 2:at + 2 + size])
        at += 2 + size
    return blocks


def check_block(block: HeaderBlock, wire: bytes, base: int) -> None:
    assert block.offset == base and block.wire_length == len(wire)
    stop = len(wire) if block.undecodable_from is None else block.undecodable_from
    assert_tiles([(f.block_offset, len(f.wire)) for f in block.fields], 0, stop, "hpack block")
    for field in block.fields:
        assert block.field_offset(field) == base + field.block_offset
        assert wire[field.block_offset:field.block_offset + len(field.wire)] == field.wire
    for diagnostic in block.diagnostics:
        assert base <= diagnostic.offset <= base + len(wire)
        assert diagnostic.offset + diagnostic.length <= base + len(wire)
    assert block.table_size >= 0
    assert sum(e.size for e in block.table) == block.table_size


def test_one_input(data: bytes) -> None:
    if not data:
        return
    control = data[0]
    settings = dict(
        table_size_limit=TABLE_SIZES[control >> 2 & 3],
        limit_known=bool(control & 2),
        history_complete=bool(control & 1),
        max_header_list_size=LIST_SIZES[control >> 4 & 3],
    )
    context = HpackContext(**settings)  # type: ignore[arg-type]
    # The same blocks through a context that caches no decoding: the cache is exact.
    uncached = HpackContext(**settings, block_cache=BlockCache(0))  # type: ignore[arg-type]
    decoded = []
    base = 0
    blocks = split_blocks(data[1:])
    if control & 0x40:  # each block twice: the second may come from the cache
        blocks = [wire for wire in blocks for _again in range(2)]
    for wire in blocks:
        block = context.decode_block(wire, stream_id=1, segments=((0, base),))
        assert block == uncached.decode_block(wire, stream_id=1, segments=((0, base),))
        check_block(block, wire, base)
        decoded.append(block)
        base += len(wire)
    json.loads(h2_jsonl.dumps(hpack_view.hpack_json(decoded, None)))
    if control & 0x80:
        out = io.StringIO()
        hpack_view.render_hpack_blocks(plain_console(out), decoded, explain=True)
        assert_terminal_safe(out.getvalue(), "hpack table")


if __name__ == "__main__":
    fuzz_main(test_one_input)
