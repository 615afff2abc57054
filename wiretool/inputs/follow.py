"""Read the output of ``tshark -q -z follow,tcp,raw,N``: both directions of one stream.

The format (tshark's ``follow`` tap, raw mode)::

    ===================================================================
    Follow: tcp,raw
    Filter: tcp.stream eq 0
    Node 0: 127.0.0.1:40000
    Node 1: 127.0.0.1:8080
    505249202a20485454502f322e300d0a...      <- bytes sent by node 0
    \t000012040000000000000100001000...      <- bytes sent by node 1 (tab-indented)
    ===================================================================

Node 0 is the side that opened the TCP connection, so its lines are the client
direction. ``iter_follow_chunks`` yields ``(direction, bytes)`` in the order tshark
printed them, one line at a time, so memory stays bounded by the longest line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from wiretool.direction import Direction

_HEX_LINE = re.compile(r"^[0-9a-fA-F]+$")


def looks_like_follow(head: bytes) -> bool:
    """True when ``head`` (the first bytes of the input) is tshark follow output."""
    return head.lstrip().startswith(b"=" * 10) and b"Follow: tcp,raw" in head[:400]


def iter_follow_chunks(lines: Iterable[str]) -> Iterator[tuple[Direction, bytes, int]]:
    """``(direction, data, line_number)`` for each data line; header lines are skipped.

    Raises ValueError (with the line number) for a line that is neither a header nor hex.
    """
    for number, line in enumerate(lines, start=1):
        text = line.rstrip("\r\n")
        if not text.strip() or text.startswith("=") or re.match(r"^(Follow|Filter|Node \d):", text):
            continue
        direction = Direction.SERVER if text.startswith("\t") else Direction.CLIENT
        digits = text.strip()
        if not _HEX_LINE.match(digits) or len(digits) % 2:
            raise ValueError(f"line {number} of the tshark follow output is not hex: {text[:40]!r}")
        yield direction, bytes.fromhex(digits), number
