"""``wiretool h2-frames`` and ``wiretool hpack``: thin layers over ``wiretool.http2``.

Reading is incremental: raw binary, tshark follow output, hex text and xxd /
hexdump -C dumps (``wiretool.inputs.iter_text_dump``, layout detected from the
first lines) are fed to the sans-IO ``Connection`` piece by piece and records are
rendered as they come, so memory is bounded by the largest frame and header block
(and, for text, a line).
"""

from __future__ import annotations

import functools
import io
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated

import typer

from wiretool.cli import app, schema_options
from wiretool.cli.common import default_format, fail, make_console, reports_errors
from wiretool.errors import ExitCode, InputError, Severity
from wiretool.inputs import InputFormat, decode_input, detect_text_dump, iter_text_dump

if TYPE_CHECKING:
    from wiretool.capture.h2session import CaptureSession, SessionRecord
    from wiretool.capture.model import TcpEvent
    from wiretool.http2.hpack import BlockCache
    from wiretool.protobuf.schema import Schema

CHUNK = 64 * 1024
JSONL_BATCH = 32
"""Records whose JSON lines are joined into one write when stdout is not a terminal
(about 80 KB on a header-heavy capture: one copy of the text instead of several)."""


class H2Format(StrEnum):
    TABLE = "table"
    JSONL = "jsonl"


class H2InputFormat(StrEnum):
    AUTO = "auto"
    CAPTURE = "capture"
    RAW = "raw"
    HEX = "hex"
    FOLLOW = "follow"


class Direction(StrEnum):
    AUTO = "auto"
    CLIENT = "client"
    SERVER = "server"


class HpackFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


H2_HELP = """Show every HTTP/2 frame, how HPACK encoded each header, and the gRPC messages.

FILE is a pcap or pcapng capture (tcpdump -w, Wireshark): every HTTP/2 connection
in it is found on any port (client preface, server SETTINGS, h2c upgrade), both
directions followed, and the gRPC messages decoded; other connections are listed
and skipped. FILE can also hold the bytes of one direction of a connection (the
client's begins with the connection preface; the server's does not - detected,
or set --direction), as raw binary, hex, an xxd or hexdump -C dump; or the output
of `tshark -q -z follow,tcp,raw,N` with both directions (server lines
tab-indented). Use - or leave FILE out to read standard input.

gRPC streams (content-type application/grpc[+suffix]): DATA is joined per stream
and direction, split into length-prefixed messages, decompressed (grpc-encoding
gzip/deflate) and decoded like `wiretool decode` does - with --proto or
--descriptor-set, the method in :path picks the request and response types.
Trailers show grpc-status by name, grpc-message and grpc-status-details-bin.

Each header block (HEADERS/PUSH_PROMISE + CONTINUATION) is decoded with the HPACK
context of its direction, kept for the whole connection, and shown under the frame
that ends it: representation, index (s = static, d = dynamic table), Huffman use
for name and value (n/v), size, wire bytes, insertions and evictions.

Examples:

  wiretool h2-frames --summary samples/grpc/demo.pcap

  wiretool h2-frames --proto samples/grpc/demo.proto samples/grpc/demo.pcap

  wiretool h2-frames samples/h2/basic.client.bin

  tshark -r cap.pcapng -q -z follow,tcp,raw,0 | wiretool h2-frames --hpack-table

  wiretool h2-frames --format jsonl --type HEADERS conn.follow | jq .headers

Exit codes: 0 fully decoded; 1 malformed input (the valid part is shown,
diagnostics say what and where); 2 usage error or unreadable file.
"""

HPACK_HELP = """Decode HPACK header blocks given as hex, field by field.

Blocks are decoded in order with one shared context (dynamic table), as the
blocks of one direction of a connection would be. With --encode, show how a
standard encoder (python-hyper hpack) encodes the given headers, byte by byte.

Examples:

  wiretool hpack 828684410f7777772e6578616d706c652e636f6d 828684be58086e6f2d6361636865

  wiretool hpack --encode ':method: GET' --encode 'user-agent: curl/8.5'

Exit codes: 0 fully decoded; 1 malformed block (diagnostics say where);
2 usage error.
"""


def _open_binary(path: str) -> IO[bytes]:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def _looks_textual(head: bytes) -> bool:
    return bool(head.strip()) and head.isascii() and not any(
        b < 0x20 and b not in b"\t\r\n\x0b\x0c" for b in head
    )


def _chunks(
    stream: IO[bytes], input_format: H2InputFormat, direction: str | None
) -> Iterator[tuple[str | None, bytes, bool]]:
    """``(direction, bytes, both_directions)`` pieces of the input, read incrementally."""
    from wiretool.http2.follow import iter_follow_chunks, looks_like_follow

    head = stream.read(CHUNK)
    fmt = input_format
    if fmt is H2InputFormat.AUTO:
        if looks_like_follow(head):
            fmt = H2InputFormat.FOLLOW
        elif _looks_textual(head):
            fmt = H2InputFormat.HEX
        else:
            fmt = H2InputFormat.RAW
    if fmt is H2InputFormat.FOLLOW:
        text = io.TextIOWrapper(
            io.BufferedReader(_Prefixed(head, stream)), encoding="ascii", errors="replace"
        )
        try:
            for chunk_direction, data, _line in iter_follow_chunks(text):
                yield chunk_direction, data, True
        except ValueError as exc:
            raise InputError(str(exc)) from None
        return
    if fmt is H2InputFormat.HEX:
        layout = detect_text_dump(head)
        if input_format is H2InputFormat.AUTO and (layout is None or len(head) < CHUNK):
            # Text that is all in ``head``, or whose first lines are not hex (base64?):
            # read it whole, as decode does (hex, else base64, else raw bytes).
            yield direction, decode_input(head + stream.read(), InputFormat.AUTO).data, False
            return
        for data in iter_text_dump(io.BufferedReader(_Prefixed(head, stream)), layout or "hex"):
            yield direction, data, False
        return
    data = head
    while data:
        yield direction, data, False
        data = stream.read(CHUNK)


class _Prefixed(io.RawIOBase):
    """A binary stream that first returns ``head`` then the rest of ``stream``."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head = head
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._head[: len(buffer)] if self._head else self._stream.read(len(buffer))
        if self._head:
            self._head = self._head[len(data) :]
        buffer[: len(data)] = data
        return len(data)


_PROTO = schema_options.proto_option()
_PROTO_PATH = schema_options.proto_path_option()
_DESCRIPTOR_SET = schema_options.descriptor_set_option()


@app.command("h2-frames", help=H2_HELP, no_args_is_help=False)
@reports_errors
def h2_frames_command(
    file: str = typer.Argument("-", metavar="[FILE|-]", help="Input file; - for stdin."),
    output_format: Annotated[
        H2Format | None,
        typer.Option("--format", "-f", case_sensitive=False,
        help="Output: table (default on a terminal) or jsonl (default otherwise).",),
    ] = None,
    input_format: Annotated[
        H2InputFormat,
        typer.Option("--input-format", "-i", case_sensitive=False,
        help="How FILE is written: auto, capture (pcap/pcapng), raw, hex (also xxd/hexdump "
        "-C), follow (tshark).",),
    ] = H2InputFormat.AUTO,
    direction: Annotated[
        Direction,
        typer.Option("--direction", case_sensitive=False,
        help="Direction of a one-direction input: auto (preface = client), client, server.",),
    ] = Direction.AUTO,
    stream: Annotated[
        list[int] | None,
        typer.Option("--stream", "-s", min=0, metavar="N",
                     help="Show only frames of this stream (repeatable)."),
    ] = None,
    frame_type: Annotated[
        list[str] | None,
        typer.Option("--type", "-t", metavar="NAME",
                     help="Show only frames of this type, e.g. HEADERS (repeatable)."),
    ] = None,
    summary: bool = typer.Option(
        False, "--summary", help="Also show totals per direction and per stream; on a "
        "capture, show only the summary: one row per stream of each connection."
    ),
    hpack_table: bool = typer.Option(
        False, "--hpack-table", help="Show the dynamic table after each header block."
    ),
    max_header_list_size: int = typer.Option(
        256 * 1024, "--max-header-list-size", min=0,
        help="Decoded size (name+value+32 per field) of one header list beyond which "
        "fields are counted but not expanded (default 256 KiB).",
    ),
    port: Annotated[
        list[int] | None,
        typer.Option("--port", "-p", min=0, max=65535, metavar="N",
                     help="Capture: read connections on this TCP port as HTTP/2 even when "
                     "detection says otherwise (repeatable)."),
    ] = None,
    max_message_size: int = typer.Option(
        64 * 1024 * 1024, "--max-message-size", min=0,
        help="Largest gRPC message, in bytes, buffered or decompressed (guards against "
        "gzip bombs; default 64 MiB).",
    ),
    max_continuation_frames: int = typer.Option(
        1000, "--max-continuation-frames", min=0,
        help="CONTINUATION frames assembled for one header block; past it the block is "
        "counted, not decoded (guards against CONTINUATION floods; default 1000).",
    ),
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", min=0, metavar="N",
                     help="Stop after showing N frames (after --stream/--type); the rest "
                     "of the input is not read."),
    ] = None,
    jobs: int = typer.Option(
        0, "--jobs", "-j", min=0, metavar="N",
        help="Processes that decode a capture file's connections side by side (jsonl, or "
        "--summary); 0 (default): one per CPU, up to 4, for files over 16 MiB; 1: one "
        "process. The output is the same either way.",
    ),
    proto: list[Path] = _PROTO,
    proto_path: list[Path] = _PROTO_PATH,
    descriptor_set: list[Path] = _DESCRIPTOR_SET,
) -> None:
    from wiretool.http2.constants import FrameType

    stream = stream or []
    frame_type = frame_type or []
    if file == "-" and sys.stdin.isatty():
        raise fail("no input: give a FILE or pipe bytes to standard input (see --help)")
    wanted_types: set[int] = set()
    for name in frame_type:
        try:
            wanted_types.add(int(name, 0) if name[:1].isdigit() else FrameType[name.upper()])
        except (KeyError, ValueError):
            known = ", ".join(t.name for t in FrameType)
            raise fail(f"unknown frame type {name!r} (known: {known}, or a number)") from None
    if wanted_types & {FrameType.HEADERS, FrameType.PUSH_PROMISE}:
        # The block is shown on the frame with END_HEADERS, often a CONTINUATION.
        wanted_types.add(FrameType.CONTINUATION)
    if limit is not None and summary:
        raise fail("--limit applies to the frame list, not to --summary")
    stop = _Limit(limit)
    chosen = default_format(output_format.value if output_format else None, "table", "jsonl")
    fixed_direction = None if direction is Direction.AUTO else direction.value
    schema = _load_schema(proto, proto_path, descriptor_set)
    handle = _open_binary(file)
    try:
        head = handle.read(CHUNK)
        from wiretool.capture import looks_like_capture

        is_capture = input_format is H2InputFormat.CAPTURE or (
            input_format is H2InputFormat.AUTO and looks_like_capture(head))
        if is_capture:
            make_view = functools.partial(
                _capture_view, ports=tuple(port or ()),
                max_header_list_size=max_header_list_size, schema=schema,
                max_message_size=max_message_size,
                max_continuation_frames=max_continuation_frames, summary=summary,
                streams=stream, wanted_types=wanted_types)
            workers = _workers(jobs, file, handle, chosen=chosen, summary=summary,
                               limit=limit)
            if workers > 1:
                from wiretool.cli.h2_jobs import run_jobs

                failed = run_jobs(handle.fileno(), workers, make_view,
                                  jsonl=chosen == H2Format.JSONL, summary=summary,
                                  hpack_table=hpack_table)
            else:
                failed = _run_capture(
                    io.BufferedReader(_Prefixed(head, handle)),
                    make_view(), chosen=chosen, summary=summary,
                    hpack_table=hpack_table, stop=stop)
        else:
            if port:
                raise fail("--port applies to pcap/pcapng captures only")
            failed = _run_bytes(
                _Prefixed(head, handle), input_format, fixed_direction, chosen=chosen,
                summary=summary, hpack_table=hpack_table, streams=stream,
                wanted_types=wanted_types, max_header_list_size=max_header_list_size,
                schema=schema, max_message_size=max_message_size,
                max_continuation_frames=max_continuation_frames, stop=stop,
            )
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()
    raise typer.Exit(int(ExitCode.MALFORMED if failed else ExitCode.OK))


def _load_schema(protos: list[Path] | None, proto_paths: list[Path] | None,
                 descriptor_sets: list[Path] | None) -> Schema | None:
    if not protos and not descriptor_sets:
        if proto_paths:
            schema_options.load(protos, proto_paths, descriptor_sets, None)  # raises
        return None
    from wiretool.protobuf.schema import load_schema

    return load_schema(protos or (), proto_paths or (), descriptor_sets or ())


AUTO_JOBS_MAX = 4
"""``--jobs 0`` uses at most this many processes (each reads the whole file)."""
AUTO_JOBS_MIN_BYTES = 16 * 1024 * 1024
"""``--jobs 0`` uses one process on smaller captures (a second one would not pay)."""


def _workers(jobs: int, file: str, handle: IO[bytes], *, chosen: str, summary: bool,
             limit: int | None) -> int:
    """How many processes decode the capture: 1 unless its output can be merged from
    several (a file each can open, jsonl or --summary, no --limit) and it pays."""
    import os
    import stat

    if (jobs == 1 or file == "-" or limit is not None or not hasattr(os, "fork")
            or not (chosen == H2Format.JSONL or summary)):
        return 1
    try:
        info = os.fstat(handle.fileno())
    except (OSError, ValueError):
        return 1
    if not stat.S_ISREG(info.st_mode):
        return 1
    if jobs:
        return jobs
    if info.st_size < AUTO_JOBS_MIN_BYTES:
        return 1
    return max(1, min(AUTO_JOBS_MAX, len(os.sched_getaffinity(0))
                      if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


class _Limit:
    """``--limit N``: the frame list stops before the frame after the N-th shown (so
    the gRPC messages and diagnostics that the N-th frame completed are shown too)."""

    def __init__(self, frames: int | None) -> None:
        from wiretool.http2.frames import Frame

        self.frames = frames
        self.shown = 0
        self.reached = False
        self._frame = Frame

    def reached_before(self, record: object) -> bool:
        """Count ``record`` if it is a frame about to be shown; True once past the limit."""
        if self.frames is None or not isinstance(record, self._frame):
            return False
        if self.shown >= self.frames:
            self.reached = True
            return True
        self.shown += 1
        return False

    def report(self) -> None:
        if self.reached:
            typer.echo(f"wiretool: stopped after {self.shown} frame(s) (--limit); the rest "
                       "of the input was not read", err=True)


def _shown(record: object, streams: list[int], wanted_types: set[int]) -> bool:
    """The --stream/--type filters (gRPC records go with their DATA/HEADERS frames)."""
    if not streams and not wanted_types:
        return True
    from wiretool.grpc.messages import GrpcMessage, GrpcStatus
    from wiretool.http2.constants import FrameType
    from wiretool.http2.frames import Frame, Preface

    if isinstance(record, Frame):
        return not ((streams and record.stream_id not in streams)
                    or (wanted_types and record.type not in wanted_types))
    if isinstance(record, GrpcMessage | GrpcStatus):
        kind = FrameType.DATA if isinstance(record, GrpcMessage) else FrameType.HEADERS
        return not ((streams and record.stream_id not in streams)
                    or (wanted_types and kind not in wanted_types))
    if isinstance(record, Preface):
        return not (streams or wanted_types)  # the preface is not a frame of any stream
    return True


class CaptureView:
    """A capture's events to the records shown: ``CaptureRecords``, then --summary,
    --stream and --type; notes whether anything was malformed. Used as is by each
    worker of ``--jobs`` (``cli/h2_jobs.py``)."""

    def __init__(self, session: CaptureSession, *, summary: bool, streams: list[int],
                 wanted_types: set[int]) -> None:
        from wiretool.capture.records import CaptureRecords

        self.records = CaptureRecords(session)
        self.summary = summary
        self.streams = streams
        self.wanted_types = wanted_types
        self.failed = False

    def feed(self, event: TcpEvent) -> list[SessionRecord]:
        return self._kept(self.records.feed(event))

    def close(self) -> list[tuple[int, list[SessionRecord]]]:
        """The records of the end of the capture, per connection (``CaptureRecords``)."""
        return [(conn_id, self._kept(items)) for conn_id, items in self.records.close()]

    def _kept(self, items: list[SessionRecord]) -> list[SessionRecord]:
        from wiretool.capture.h2session import Located, record_has_error
        from wiretool.capture.model import CaptureDiagnostic

        kept = []
        for item in items:
            if isinstance(item, Located):
                if record_has_error(item.record):
                    self.failed = True
                if self.summary or not _shown(item.record, self.streams, self.wanted_types):
                    continue
            elif isinstance(item, CaptureDiagnostic) and item.severity is Severity.ERROR:
                self.failed = True
            kept.append(item)
        return kept


def _capture_view(*, ports: tuple[int, ...], max_header_list_size: int, schema: Schema | None,
                  max_message_size: int, max_continuation_frames: int, summary: bool,
                  streams: list[int], wanted_types: set[int],
                  block_cache: BlockCache | None = None) -> CaptureView:
    from wiretool.capture.h2session import CaptureSession

    session = CaptureSession(ports=ports, max_header_list_size=max_header_list_size,
                             schema=schema, max_message_size=max_message_size,
                             max_continuation_frames=max_continuation_frames,
                             summary=summary, block_cache=block_cache)
    return CaptureView(session, summary=summary, streams=streams, wanted_types=wanted_types)


def _run_capture(stream: IO[bytes], view: CaptureView, *, chosen: str, summary: bool,
                 hpack_table: bool, stop: _Limit) -> bool:
    """h2-frames on a pcap/pcapng capture, in this process; True when anything was
    malformed."""
    from wiretool.capture import follow_tcp
    from wiretool.capture.h2session import Located

    def shown() -> Iterator[SessionRecord]:
        for event in follow_tcp(stream):  # type: ignore[arg-type]
            yield from view.feed(event)
        for _conn_id, items in view.close():
            yield from items

    def selected() -> Iterator[SessionRecord]:
        for item in shown():
            if isinstance(item, Located) and stop.reached_before(item.record):
                return
            yield item

    if chosen == H2Format.JSONL:
        from wiretool.render.h2_jsonl import CaptureLines

        out = sys.stdout
        lines = CaptureLines(hpack_table=hpack_table, summary=summary)
        # The pieces of a few records are joined and written at once (the lines of a
        # busy capture are 2-3 KB, mostly header text); on a terminal, each record.
        batch = 1 if out.isatty() else JSONL_BATCH
        parts: list[str] = []
        pending = 0
        for item in selected():
            lines.extend(parts, item)
            pending += 1
            if pending >= batch:
                out.write("".join(parts))
                parts.clear()
                pending = 0
        out.write("".join(parts))
        out.flush()
    else:
        from wiretool.render.h2_table import render_frames, render_summary_records

        console = make_console()
        if summary:
            render_summary_records(console, selected())
        else:
            render_frames(console, selected(), hpack_table=hpack_table, capture=True)
    stop.report()
    return view.failed


def _run_bytes(
    raw: io.RawIOBase, input_format: H2InputFormat, fixed_direction: str | None, *,
    chosen: str, summary: bool, hpack_table: bool, streams: list[int],
    wanted_types: set[int], max_header_list_size: int, schema: Schema | None,
    max_message_size: int, max_continuation_frames: int, stop: _Limit,
) -> bool:
    """h2-frames on a one-direction dump or tshark follow output."""
    from wiretool.capture.h2session import record_diagnostics, record_has_error
    from wiretool.grpc.messages import GrpcRecord, GrpcTracker
    from wiretool.http2.connection import Connection
    from wiretool.http2.frames import Frame, Record
    from wiretool.http2.streams import StreamStates
    from wiretool.http2.summary import Summary

    totals = Summary()
    tracker = GrpcTracker(schema=schema, max_message_size=max_message_size)
    worst = {"error": False}

    def records() -> Iterator[Record | GrpcRecord]:
        connection: Connection | None = None
        states = StreamStates()
        for chunk_direction, data, both in _chunks(
            io.BufferedReader(raw), input_format, fixed_direction
        ):
            if connection is None:
                connection = Connection(
                    max_header_list_size=max_header_list_size, both_directions=both,
                    max_continuation_frames=max_continuation_frames,
                )
                states = StreamStates(both_directions=both)
            for record in connection.feed(chunk_direction, data):
                yield record
                if isinstance(record, Frame):
                    yield from tracker.frame(record)
                    for stream_id in states.frame(record):
                        tracker.forget(stream_id)  # nothing is kept for a closed stream
        if connection is not None:
            yield from connection.close()

    def selected() -> Iterator[Record | GrpcRecord]:
        for record in records():
            if record_has_error(record):
                worst["error"] = True
            if summary and isinstance(record, Frame):
                totals.add(record)
            if _shown(record, streams, wanted_types):
                if stop.reached_before(record):
                    return
                yield record

    if chosen == H2Format.JSONL:
        from wiretool.grpc.messages import GrpcMessage, GrpcStatus
        from wiretool.render.h2_jsonl import (
            FrameLines,
            diagnostic_json,
            dumps,
            grpc_message_json,
            grpc_status_json,
            record_objects,
            summary_json,
        )

        out = sys.stdout
        frame_lines = FrameLines(hpack_table=hpack_table)
        for record in selected():
            if isinstance(record, GrpcMessage | GrpcStatus):
                obj = (grpc_message_json(record) if isinstance(record, GrpcMessage)
                       else grpc_status_json(record))
                out.write(dumps(obj) + "\n")
                for diag in record.diagnostics:
                    out.write(dumps(diagnostic_json(diag, record.direction,
                                                    record.frame_offset)) + "\n")
                continue
            if isinstance(record, Frame):  # record_objects, the frame's line made directly
                out.write(frame_lines.line(record) + "\n")
                for diag in record_diagnostics(record):
                    out.write(dumps(diagnostic_json(diag, record.direction,
                                                    record.offset)) + "\n")
                continue
            for obj in record_objects(record, hpack_table=hpack_table):
                out.write(dumps(obj) + "\n")
        if summary:
            out.write(dumps(summary_json(totals)) + "\n")
        out.flush()
    else:
        from wiretool.render.h2_table import render_frames, render_summary

        console = make_console()
        render_frames(console, selected(), hpack_table=hpack_table)
        if summary:
            render_summary(console, totals)
    stop.report()
    return worst["error"]


@app.command("hpack", help=HPACK_HELP, no_args_is_help=False)
def hpack_command(
    blocks: Annotated[
        list[str] | None,
        typer.Argument(metavar="[HEX]...",
                       help="Header blocks as hex, decoded in order, one context."),
    ] = None,
    encode: Annotated[
        list[str] | None,
        typer.Option("--encode", "-e", metavar="'NAME: VALUE'",
        help="Encode these headers with hpack.Encoder (one block) and explain the bytes.",),
    ] = None,
    table_size: int = typer.Option(
        4096, "--table-size", min=0,
        help="SETTINGS_HEADER_TABLE_SIZE: the dynamic table's initial and maximum size.",
    ),
    output_format: Annotated[
        HpackFormat | None,
        typer.Option("--format", "-f", case_sensitive=False,
        help="Output: table (default on a terminal) or json (default otherwise).",),
    ] = None,
    max_header_list_size: int = typer.Option(
        256 * 1024, "--max-header-list-size", min=0,
        help="Decoded size of one header list beyond which fields are not expanded.",
    ),
) -> None:
    from wiretool.http2.hpack import HpackContext

    blocks = blocks or []
    encode = encode or []
    if not blocks and not encode:
        raise fail("give header blocks as hex, or --encode 'name: value' (see --help)")
    if blocks and encode:
        raise fail("give either hex blocks to decode or --encode headers, not both")
    wires: list[bytes] = []
    encoded: bytes | None = None
    if encode:
        import hpack

        headers: list[tuple[str, str]] = []
        for item in encode:
            name, sep, value = item.partition(":") if not item.startswith(":") else (
                ":" + item[1:].partition(":")[0], ":", item[1:].partition(":")[2])
            if not sep or not name.strip():
                raise fail(f"--encode {item!r}: expected 'name: value'")
            headers.append((name.strip().lower(), value.strip()))
        encoder = hpack.Encoder()
        encoder.header_table_size = table_size
        encoded = encoder.encode(headers)
        wires.append(encoded)
    for number, text in enumerate(blocks):
        try:
            wires.append(decode_input(text.encode(), InputFormat.HEX).data)
        except InputError as exc:
            raise fail(f"block {number}: {exc.message}") from None
    context = HpackContext(table_size_limit=table_size,
                           max_header_list_size=max_header_list_size)
    decoded = []
    offset = 0
    for wire in wires:
        decoded.append(context.decode_block(wire, segments=((0, offset),)))
        offset += len(wire)
    chosen = default_format(output_format.value if output_format else None, "table", "json")
    if chosen == HpackFormat.JSON:
        from wiretool.render.h2_jsonl import dumps
        from wiretool.render.hpack_view import hpack_json

        sys.stdout.write(dumps(hpack_json(decoded, encoded)) + "\n")
    else:
        from wiretool.render.hpack_view import render_hpack_blocks

        console = make_console()
        if encoded is not None:
            console.print(f"hpack.Encoder output: {encoded.hex(' ')}")
        render_hpack_blocks(console, decoded, explain=encoded is not None)
    failed = any(d.severity is Severity.ERROR for b in decoded for d in b.diagnostics)
    raise typer.Exit(int(ExitCode.MALFORMED if failed else ExitCode.OK))
