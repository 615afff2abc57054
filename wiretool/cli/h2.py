"""``wiretool h2-frames`` and ``wiretool hpack``: thin layers over ``wiretool.http2``.

Reading is incremental: raw binary and tshark follow output are fed to the
sans-IO ``Connection`` piece by piece and records are rendered as they come, so
memory is bounded by the largest frame and header block. Hex text and hex dumps
are read whole (they are text, made by hand or by a tool, and small).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from enum import StrEnum
from typing import IO, Annotated

import typer

from wiretool.cli import app
from wiretool.cli.common import default_format, fail, make_console
from wiretool.errors import ExitCode, InputError, Severity
from wiretool.inputs import InputFormat, decode_input

CHUNK = 64 * 1024


class H2Format(StrEnum):
    TABLE = "table"
    JSONL = "jsonl"


class H2InputFormat(StrEnum):
    AUTO = "auto"
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


H2_HELP = """Show every HTTP/2 frame of a connection, and how HPACK encoded each header.

FILE holds the bytes of one direction of a connection (the client's begins with
the connection preface; the server's does not - detected, or set --direction),
as raw binary, hex, an xxd or hexdump -C dump; or the output of
`tshark -q -z follow,tcp,raw,N` with both directions (server lines tab-indented).
Use - or leave FILE out to read standard input.

Each header block (HEADERS/PUSH_PROMISE + CONTINUATION) is decoded with the HPACK
context of its direction, kept for the whole connection, and shown under the frame
that ends it: representation, index (s = static, d = dynamic table), Huffman use
for name and value (n/v), size, wire bytes, insertions and evictions.

Examples:

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
        raw = head + stream.read()
        decoded = decode_input(raw, InputFormat.HEX if input_format is H2InputFormat.HEX
                               else InputFormat.AUTO)
        yield direction, decoded.data, False
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


@app.command("h2-frames", help=H2_HELP, no_args_is_help=False)
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
        help="How FILE is written: auto, raw, hex (also xxd/hexdump -C), follow (tshark).",),
    ] = H2InputFormat.AUTO,
    direction: Annotated[
        Direction,
        typer.Option("--direction", case_sensitive=False,
        help="Direction of a one-direction input: auto (preface = client), client, server.",),
    ] = Direction.AUTO,
    stream: Annotated[
        list[int] | None,
        typer.Option("--stream", "-s", min=0, metavar="N", help="Show only frames of this stream (repeatable)."),
    ] = None,
    frame_type: Annotated[
        list[str] | None,
        typer.Option("--type", "-t", metavar="NAME", help="Show only frames of this type, e.g. HEADERS "
                     "(repeatable)."),
    ] = None,
    summary: bool = typer.Option(
        False, "--summary", help="Also show totals per direction and per stream."
    ),
    hpack_table: bool = typer.Option(
        False, "--hpack-table", help="Show the dynamic table after each header block."
    ),
    max_header_list_size: int = typer.Option(
        256 * 1024, "--max-header-list-size", min=0,
        help="Decoded size (name+value+32 per field) of one header list beyond which "
        "fields are counted but not expanded (default 256 KiB).",
    ),
) -> None:
    from wiretool.http2.connection import Connection
    from wiretool.http2.constants import FrameType
    from wiretool.http2.frames import Frame, Preface, Record
    from wiretool.http2.summary import Summary

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
    chosen = default_format(output_format.value if output_format else None, "table", "jsonl")
    fixed_direction = None if direction is Direction.AUTO else direction.value
    totals = Summary()
    worst = {"error": False}

    def records() -> Iterator[Record]:
        handle = _open_binary(file)
        try:
            connection: Connection | None = None
            for chunk_direction, data, both in _chunks(handle, input_format, fixed_direction):
                if connection is None:
                    connection = Connection(
                        max_header_list_size=max_header_list_size, both_directions=both
                    )
                yield from connection.feed(chunk_direction, data)
            if connection is not None:
                yield from connection.close()
        finally:
            if handle is not sys.stdin.buffer:
                handle.close()

    def selected() -> Iterator[Record]:
        for record in records():
            diags = (
                list(record.diagnostics)
                + (list(record.header_block.diagnostics) if record.header_block else [])
                if isinstance(record, Frame) else [record] if hasattr(record, "severity") else []
            )
            if any(getattr(d, "severity", None) is Severity.ERROR for d in diags):
                worst["error"] = True
            totals.add(record)
            if isinstance(record, Frame) and (
                (stream and record.stream_id not in stream)
                or (wanted_types and record.type not in wanted_types)
            ):
                continue
            if (stream or wanted_types) and isinstance(record, Preface):
                continue  # the preface is not a frame of any stream or type
            yield record

    if chosen == H2Format.JSONL:
        from wiretool.render.h2_jsonl import dumps, record_objects, summary_json

        out = sys.stdout
        for record in selected():
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
    raise typer.Exit(int(ExitCode.MALFORMED if worst["error"] else ExitCode.OK))


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
