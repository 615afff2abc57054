"""``SessionOptions``: what a caller of ``decode_h2`` can choose (the CLI's options)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from wiretool.direction import Direction
from wiretool.grpc.messages import DEFAULT_MAX_MESSAGE_SIZE
from wiretool.http2.connection import DEFAULT_MAX_CONTINUATION_FRAMES
from wiretool.http2.hpack import DEFAULT_MAX_HEADER_LIST_SIZE
from wiretool.inputs.streams import StreamFormat

if TYPE_CHECKING:
    from wiretool.protobuf.schema import Schema


@dataclass(frozen=True, slots=True)
class SessionOptions:
    """How ``decode_h2`` reads its input and which records it yields."""

    input_format: StreamFormat = StreamFormat.AUTO
    """How the input is written; ``AUTO`` sniffs it (``wiretool.inputs.streams``)."""
    direction: Direction | None = None
    """The side a one-direction dump was sent by; ``None``: the client if it starts with
    the connection preface, the server if with SETTINGS."""
    ports: tuple[int, ...] = ()
    """Capture: connections with one of these TCP ports are HTTP/2, detected or not."""
    streams: frozenset[int] = frozenset()
    """Yield only the records of these streams (empty: all)."""
    frame_types: frozenset[int] = frozenset()
    """Yield only the frames of these types and the records that go with them (empty:
    all); HEADERS or PUSH_PROMISE bring CONTINUATION with them (a block is shown on
    the frame that ends it)."""
    limit: int | None = None
    """Stop after yielding this many frames (the input after them is not read)."""
    summary: bool = False
    """Keep totals for ``ConnectionEnd``; a capture then yields no ``Located`` record
    (only connections, their ends, the capture's diagnostics and, last, a
    ``CaptureSummary``)."""
    stream_rows: bool = False
    """With ``summary`` on a capture: keep every stream's ``StreamRow`` (by default only
    those of a connection with at most ``summary.ROWS_KEPT`` calls: memory is then
    bounded by the methods, not the streams)."""
    schema: Schema | None = None
    """Decode gRPC messages with the request/response types of their method."""
    keylogs: tuple[str | os.PathLike[str], ...] = ()
    """Capture: TLS key logs (NSS format, what ``SSLKEYLOGFILE`` makes), merged; the
    capture's own Decryption Secrets Blocks are used as well. A file that cannot be
    read raises ``InputError``; a malformed line is a warning (``H2Decoding.key_problems``)."""
    fallback_keylog: str | os.PathLike[str] | None = None
    """Capture: a key log read only when ``keylogs`` is empty and the capture carries no
    Decryption Secrets Block before its first TCP packet (the CLI passes
    ``SSLKEYLOGFILE``; the library never reads the environment). One that cannot be
    read is a warning, not an error."""
    max_header_list_size: int = DEFAULT_MAX_HEADER_LIST_SIZE
    max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE
    max_continuation_frames: int = DEFAULT_MAX_CONTINUATION_FRAMES
