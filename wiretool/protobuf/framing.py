"""Split an input into protobuf messages: one plain message, gRPC frames, or a
varint-delimited stream.

gRPC (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md,
"Length-Prefixed-Message"): a 1-byte compressed flag, a 4-byte big-endian length,
then the message; compressed messages are gzip (``grpc-encoding`` is not known
from a bare blob, so deflate is tried when gzip fails). Varint-delimited streams
(``writeDelimitedTo``): a varint length before each message.

Decompression is bounded by ``max_message_size`` so a gzip bomb costs nothing.
This module finds message boundaries; ``wire.py`` decodes what is inside.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from wiretool.errors import Diagnostic, Severity
from wiretool.protobuf.model import Unparsed

DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024
"""Largest decompressed gRPC message expanded (64 MiB, like gRPC's own default limits)."""

FRAMINGS = ("auto", "none", "grpc", "delimited")


@dataclass(frozen=True, slots=True)
class MessageBytes:
    """Where one message's bytes are."""

    buffer: bytes
    """The input, or the decompressed payload of a compressed gRPC message."""
    start: int
    end: int
    framing: str | None
    prefix_offset: int | None = None
    prefix_length: int = 0
    compressed: bool = False
    wire_length: int | None = None
    skipped: Unparsed | None = None
    """The payload (offsets in the input) when it cannot be decoded at all, e.g. a
    compressed message that does not inflate: ``start..end`` then spans it in the input
    and the frame holds no fields."""


GRPC_PREFIX_LENGTH = 5
"""A gRPC Length-Prefixed-Message's prefix: a 1-byte compressed flag and a 4-byte
big-endian length (gRPC's PROTOCOL-HTTP2.md, "Length-Prefixed-Message")."""


def read_grpc_prefix(data: bytes | bytearray, pos: int = 0) -> tuple[int, int]:
    """``(compressed flag, declared length)`` of the gRPC prefix at ``pos`` (its
    ``GRPC_PREFIX_LENGTH`` bytes must be there): the one place it is read."""
    return data[pos], int.from_bytes(data[pos + 1 : pos + GRPC_PREFIX_LENGTH], "big")


def looks_like_grpc(data: bytes, start: int = 0) -> bool:
    """A plausible gRPC prefix at ``start``: flag 0/1 and a length that fits.

    A protobuf message never starts with 0x00 or 0x01 (that tag is field number 0),
    so this cannot mistake a message for a gRPC frame.
    """
    if len(data) - start < GRPC_PREFIX_LENGTH:
        return False
    flag, length = read_grpc_prefix(data, start)
    return flag in (0, 1) and length <= len(data) - start - GRPC_PREFIX_LENGTH


def split(
    data: bytes,
    *,
    start: int = 0,
    framing: str = "auto",
    max_message_size: int | None = None,
) -> tuple[list[MessageBytes], list[Diagnostic], Unparsed | None]:
    """The messages of ``data[start:]``, the diagnostics, and bytes no frame covers."""
    if framing not in FRAMINGS:
        raise ValueError(f"unknown framing {framing!r}")
    limit = DEFAULT_MAX_MESSAGE_SIZE if max_message_size is None else max_message_size
    if framing == "auto":
        framing = "grpc" if looks_like_grpc(data, start) else "none"
    if framing == "grpc":
        return _split_grpc(data, start, limit)
    if framing == "delimited":
        return _split_delimited(data, start)
    return [MessageBytes(data, start, len(data), None)], [], None


def _split_grpc(
    data: bytes, pos: int, limit: int
) -> tuple[list[MessageBytes], list[Diagnostic], Unparsed | None]:
    frames: list[MessageBytes] = []
    diagnostics: list[Diagnostic] = []
    end = len(data)
    while pos < end:
        if end - pos < GRPC_PREFIX_LENGTH:
            diagnostics.append(_error(pos, end - pos,
                f"gRPC prefix at offset {pos} is truncated: {GRPC_PREFIX_LENGTH} bytes "
                f"needed, {end - pos} remain"))
            return frames, diagnostics, Unparsed(pos, data[pos:])
        flag, size = read_grpc_prefix(data, pos)
        if flag not in (0, 1):
            diagnostics.append(_error(pos, 1,
                f"gRPC prefix at offset {pos} has compressed flag {flag} (0 or 1 expected)"))
            return frames, diagnostics, Unparsed(pos, data[pos:])
        body = pos + GRPC_PREFIX_LENGTH
        stop = body + size
        if stop > end:
            diagnostics.append(_error(pos, end - pos,
                f"gRPC message at offset {pos} declares {size} bytes, {end - body} remain"))
            stop = end
        if flag == 0:
            frames.append(MessageBytes(data, body, stop, "grpc", pos, 5, False, size))
        else:
            payload, problem = decompress(data[body:stop], limit)
            if payload is None:
                # The prefix still says where the next message starts: keep going.
                diagnostics.append(_error(body, stop - body,
                    f"gRPC message at offset {pos}: {problem}; shown compressed"))
                frames.append(MessageBytes(data, body, stop, "grpc", pos, 5, True, size,
                                    Unparsed(body, data[body:stop]) if stop > body else None))
                pos = stop
                continue
            if problem:
                diagnostics.append(
                    _error(body, stop - body, f"gRPC message at offset {pos}: {problem}"))
            frames.append(MessageBytes(payload, 0, len(payload), "grpc", pos, 5, True, size))
        pos = stop
    return frames, diagnostics, None


def decompress(payload: bytes, limit: int, encoding: str = "gzip") -> tuple[bytes | None, str]:
    """Inflate ``payload`` (gzip, falling back to zlib/raw deflate) up to ``limit`` bytes.

    Returns ``(data, problem)``: data is None when nothing could be inflated; problem
    is "" when all went well, else why the result is partial.
    """
    attempts = {"gzip": (31, 15, -15), "deflate": (15, -15, 31)}.get(encoding, (31, 15, -15))
    last_error = ""
    for wbits in attempts:
        inflater = zlib.decompressobj(wbits)
        try:
            out = inflater.decompress(payload, limit)
        except zlib.error as exc:
            last_error = str(exc)
            continue
        if inflater.unconsumed_tail:
            return out, f"decompressed size exceeds the limit of {limit} bytes; cut there"
        if not inflater.eof:
            return out, "compressed data is truncated"
        return out, ""
    return None, f"cannot decompress ({last_error})"


def _split_delimited(
    data: bytes, pos: int
) -> tuple[list[MessageBytes], list[Diagnostic], Unparsed | None]:
    from wiretool.protobuf.native import read_varint

    frames: list[MessageBytes] = []
    diagnostics: list[Diagnostic] = []
    end = len(data)
    while pos < end:
        try:
            size, body = read_varint(data, pos, end)
        except ValueError as exc:
            diagnostics.append(_error(pos, end - pos, f"length prefix: {exc}"))
            return frames, diagnostics, Unparsed(pos, data[pos:])
        stop = body + size
        if stop > end:
            diagnostics.append(_error(pos, end - pos,
                f"delimited message at offset {pos} declares {size} bytes, {end - body} remain"))
            stop = end
        frames.append(MessageBytes(data, body, stop, "delimited", pos, body - pos))
        pos = stop
    return frames, diagnostics, None


def _error(offset: int, length: int, message: str) -> Diagnostic:
    return Diagnostic(offset, Severity.ERROR, message, length)
