#!/usr/bin/env python3
"""Coverage-guided fuzzing of the HTTP/2 frame reader and the connection layer.

Input: one control byte (bit 0: detect the preface; bits 1-2: direction; bit 7:
also run the table renderer), one chunk-size seed byte, then the bytes of one
direction. The bytes are fed to ``FrameReader`` in pseudo-random chunks and
whole; the results must be equal. Contract: only frames, prefaces and
diagnostics; their spans tile the input; the connection layer and the JSONL
renderer never raise and write valid JSON; the table view is terminal-safe.

    python fuzz/fuzz_h2frames.py fuzz/work/corpus/h2frames fuzz/work/seeds/h2frames \
        -max_total_time=600 -rss_limit_mb=2048 -timeout=20
"""

from __future__ import annotations

import io
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contract import assert_terminal_safe, assert_tiles, fuzz_main, instrumented, plain_console

with instrumented(__name__ == "__main__"):
    from wiretool.direction import Direction
    from wiretool.errors import Diagnostic
    from wiretool.http2.frames import Frame, FrameReader, Preface, Record
    from wiretool.inputs.streams import DumpChunk
    from wiretool.render import h2_jsonl, h2_table
    from wiretool.session import SessionOptions, SessionRecord
    from wiretool.session.dump import DumpSession

DIRECTIONS = (None, Direction.CLIENT, Direction.SERVER, None)


def read_all(data: bytes, cuts: list[int], detect: bool) -> list[Record]:
    reader = FrameReader(detect_preface=detect)
    records: list[Record] = []
    at = 0
    for cut in cuts:
        records += reader.feed(data[at:cut])
        at = cut
    records += reader.feed(data[at:])
    records += reader.close()
    return records




def spans(records: list[Record], size: int) -> None:
    """Preface, frames and the diagnostics that stand for unread bytes tile the input."""
    covered: list[tuple[int, int]] = []
    for record in records:
        if isinstance(record, Preface):
            covered.append((record.offset, record.length))
        elif isinstance(record, Frame):
            covered.append((record.offset, record.end - record.offset))
            for diagnostic in record.diagnostics:
                assert record.offset <= diagnostic.offset <= record.end
                assert diagnostic.offset + diagnostic.length <= record.end
        else:
            assert isinstance(record, Diagnostic)
            assert 0 <= diagnostic_end(record) <= size
            if "too few for a 9-byte frame header" in record.message:
                covered.append((record.offset, record.length))
    assert_tiles(covered, 0, size, "h2 records")


def diagnostic_end(diagnostic: Diagnostic) -> int:
    return diagnostic.offset + diagnostic.length


def test_one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    control, seed, body = data[0], data[1], data[2:]
    rng = random.Random(seed)
    cuts = sorted(rng.randrange(len(body) + 1) for _ in range(rng.randrange(6)))
    detect = bool(control & 1)
    whole = read_all(body, [], detect)
    assert read_all(body, cuts, detect) == whole
    spans(whole, len(body))

    # The dump pipeline a user's input takes (``DumpSession``: HTTP/2, HPACK, gRPC,
    # totals), and both renderers of its records.
    options = SessionOptions(summary=True, max_header_list_size=(control >> 4 & 7) * 64)
    session = DumpSession(options)
    direction = DIRECTIONS[control >> 1 & 3]
    both = bool(control & 8)
    records: list[SessionRecord] = []
    at = 0
    for cut in [*cuts, len(body)]:
        records += session.feed(DumpChunk(direction, body[at:cut], both))
        at = cut
    records += session.close()
    parts: list[str] = []
    lines = h2_jsonl.H2Lines(hpack_table=True, summary=True)
    for record in records:
        lines.extend(parts, record)
    for line in "".join(parts).splitlines():
        json.loads(line)
    if control & 0x80:
        out = io.StringIO()
        console = plain_console(out)
        h2_table.render_frames(console, records, hpack_table=True)
        assert_terminal_safe(out.getvalue(), "h2-frames table")


if __name__ == "__main__":
    fuzz_main(test_one_input)
