"""Read what ``tshark -q -z follow,PROTO,MODE,N`` writes: both directions of one stream.

The format (tshark's ``follow`` tap; ``PROTO`` is ``tcp`` or ``tls`` — decrypted TLS
payload, given the keys — and ``MODE`` is ``raw`` or ``hex``)::

    ===================================================================
    Follow: tcp,raw
    Filter: tcp.stream eq 0
    Node 0: 127.0.0.1:40000
    Node 1: 127.0.0.1:8080
    505249202a20485454502f322e300d0a...      <- bytes sent by node 0
    \t000012040000000000000100001000...      <- bytes sent by node 1 (tab-indented)
    ===================================================================

In ``hex`` mode each line is ``OFFSET  HH HH ...  ascii`` (node 1's tab-indented).
``iter_follow_chunks`` yields ``(node, bytes, line number)`` in the order tshark
printed them, one line at a time, so memory stays bounded by the longest line.

Which node is the client is *not* decided here: for ``tcp`` node 0 is the side that
sent the first segment tshark saw, for ``tls`` the side whose decrypted data came
first (often the server). The session tells from the bytes (the side that sends the
HTTP/2 client preface is the client), unless ``--direction`` says what node 0 is.

``follow,http2`` (one HTTP/2 stream: header lists tshark decompressed, then the other
frames) and the lossy ``ascii``/``ebcdic``/``utf-8`` modes are recognised and refused
with a message saying what to run instead: they do not hold the bytes of the
connection.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from wiretool.errors import InputError

_BANNER = re.compile(rb"\s*={10,}\r?\nFollow: ([A-Za-z0-9_.-]+),([A-Za-z0-9_-]+)\r?\n")
_HEX_LINE = re.compile(r"^[0-9a-fA-F]+$")
_BYTES = r"(?:[0-9a-fA-F]{2} ?){1,8}"
_HEX_DUMP_LINE = re.compile(rf"^([0-9a-fA-F]{{8}})  ({_BYTES}(?: {_BYTES})?)")
"""``00000010  0d 0a 53 4d 0d 0a 0d 0a  00 00 0c 04 00 00 00 00  ..SM....``: offset, two
groups of up to eight bytes, the text column."""
_HEADER = re.compile(r"^(Follow|Filter|Node \d):")

READABLE = {"tcp", "tls", "ssl"}
"""Follow protocols whose output is the bytes of a connection."""
MODES = {"raw", "hex"}
"""Follow modes that keep every byte."""


def looks_like_follow(head: bytes) -> bool:
    """True when ``head`` (the first bytes of the input) is tshark follow output."""
    return _BANNER.match(head[:400]) is not None


def follow_kind(head: bytes) -> tuple[str, str]:
    """``(protocol, mode)`` from the banner (``("tcp", "raw")``), or InputError when this
    follow output cannot be decoded as the bytes of a connection."""
    found = _BANNER.match(head[:400])
    if found is None:
        raise InputError("not tshark follow output: no 'Follow: PROTO,MODE' banner", 0)
    protocol, mode = found.group(1).decode().lower(), found.group(2).decode().lower()
    if protocol == "http2":
        raise InputError(
            "tshark follow,http2 output holds one HTTP/2 stream with the headers tshark "
            "decompressed, not the connection's bytes (no HPACK, no other streams): run "
            "`tshark -q -z follow,tcp,raw,N` (or follow,tls,raw,N with the TLS keys) instead")
    if protocol not in READABLE:
        raise InputError(f"tshark follow,{protocol} output is not a TCP or TLS byte stream: "
                         "run `tshark -q -z follow,tcp,raw,N` instead")
    if mode not in MODES:
        raise InputError(f"tshark follow,{protocol},{mode} output does not keep every byte "
                         f"(non-printable bytes become dots): run `tshark -q -z "
                         f"follow,{protocol},raw,N` instead")
    return protocol, mode


def iter_follow_chunks(lines: Iterable[str], mode: str = "raw"
                       ) -> Iterator[tuple[int, bytes, int]]:
    """``(node, data, line_number)`` for each data line (``node`` 0 or 1: tab-indented
    lines are node 1's); header lines are skipped.

    Raises ValueError (with the line number) for a line that is neither a header nor
    data of the ``mode`` (``raw``: hex digits; ``hex``: a hex dump line).
    """
    for number, line in enumerate(lines, start=1):
        text = line.rstrip("\r\n")
        if not text.strip() or text.startswith("=") or _HEADER.match(text):
            continue
        node = 1 if text.startswith("\t") else 0
        body = text.strip()
        if mode == "hex":
            found = _HEX_DUMP_LINE.match(body)
            if found is None:
                raise ValueError(f"line {number} of the tshark follow output is not a hex "
                                 f"dump line: {text[:40]!r}")
            yield node, bytes.fromhex(found.group(2).replace(" ", "")), number
            continue
        if not _HEX_LINE.match(body) or len(body) % 2:
            raise ValueError(f"line {number} of the tshark follow output is not hex: "
                             f"{text[:40]!r}")
        yield node, bytes.fromhex(body), number
