"""``wiretool h2-frames``: options -> ``SessionOptions`` -> ``decode_h2`` -> renderer.

The pipeline (inputs, captures, HTTP/2, gRPC, filters, ``--jobs``) is
``wiretool.session``'s; the output formats are ``wiretool.render``'s.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO, cast

import typer

from wiretool.cli import schema_options
from wiretool.cli.common import (
    ColorChoice,
    color_option,
    default_format,
    fail,
    make_console,
    reports_errors,
    width_option,
)
from wiretool.cli.helptext import HelpCommand
from wiretool.cli.root import app
from wiretool.direction import Direction
from wiretool.errors import ExitCode
from wiretool.inputs.streams import StreamFormat

if TYPE_CHECKING:
    from rich.console import Console

    from wiretool.render.progress import ProgressLine
    from wiretool.session import H2Decoding, SessionOptions, SessionRecord


class H2Format(StrEnum):
    TABLE = "table"
    JSONL = "jsonl"
    JSON = "json"
    """The same as ``jsonl``: a capture is a stream of records, so its JSON is JSON
    Lines (one record per line) whichever name is given."""


class DirectionChoice(StrEnum):
    """``--direction``: a ``Direction``, or ``auto``."""

    AUTO = "auto"
    CLIENT = "client"
    SERVER = "server"


H2_HELP = """Show every HTTP/2 frame, how HPACK encoded each header, and the gRPC messages.

FILE is a pcap or pcapng capture (tcpdump -w, Wireshark): every HTTP/2 connection
in it is found on any port (client preface, server SETTINGS, h2c upgrade), both
directions followed, and the gRPC messages decoded; other connections are listed
and skipped. FILE can also hold the bytes of one direction of a connection (the
client's begins with the connection preface; the server's does not - detected,
or set --direction), as raw binary, hex, an xxd or hexdump -C dump; or the output
of `tshark -q -z follow,tcp,raw,N` (or follow,tls, or hex mode) with both directions
(the side that sends the client preface is the client). Use - or leave FILE out to
read standard input. In a capture, proxy tunnels (HTTP CONNECT), h2c upgrades, one
side only and captures that start mid-connection are followed too.

gRPC streams (content-type application/grpc[+suffix]): DATA is joined per stream
and direction, split into length-prefixed messages, decompressed (grpc-encoding
gzip/deflate) and decoded like `wiretool decode` does - with --proto or
--descriptor-set, the method in :path picks the request and response types.
Trailers show grpc-status by name, grpc-message and grpc-status-details-bin.

TLS connections are shown with what their handshake says in clear (version, cipher
suite, SNI, ALPN); with the session keys - --keylog FILE (the NSS key log format that
SSLKEYLOGFILE makes), Decryption Secrets Blocks in a pcapng, or, when neither is
given, the file SSLKEYLOGFILE names - TLS 1.2 and 1.3 are decrypted and the HTTP/2
and gRPC inside shown as in cleartext (ALPN h2: HTTP/2; http/1.1: skipped).

Each header block (HEADERS/PUSH_PROMISE + CONTINUATION) is decoded with the HPACK
context of its direction, kept for the whole connection, and shown under the frame
that ends it: representation, index (s = static, d = dynamic table), Huffman use
for name and value (n/v), size, wire bytes, insertions and evictions.

Examples:

  wiretool h2-frames --summary samples/grpc/demo.pcap

  wiretool h2-frames --proto samples/grpc/demo.proto samples/grpc/demo.pcap

  wiretool h2-frames --keylog samples/tls/grpc-tls.keys samples/tls/grpc-tls.pcap

  wiretool h2-frames samples/h2/basic.client.bin

  tshark -r capture.pcap -q -z follow,tcp,raw,0 | wiretool h2-frames --hpack-table

  wiretool h2-frames --format jsonl --type HEADERS samples/h2/basic.follow | jq -c .headers

Exit codes: 0 fully decoded; 1 malformed input (the valid part is shown,
diagnostics say what and where); 2 usage error or unreadable file.
"""

_PROTO = schema_options.proto_option()
_PROTO_PATH = schema_options.proto_path_option()
_DESCRIPTOR_SET = schema_options.descriptor_set_option()
_WIDTH = width_option()
_COLOR = color_option()

@app.command("h2-frames", help=H2_HELP, no_args_is_help=False, cls=HelpCommand)
@reports_errors
def h2_frames_command(
    file: str = typer.Argument("-", metavar="[FILE|-]", help="Input file; - for stdin."),
    output_format: Annotated[
        H2Format | None,
        typer.Option("--format", "-f", case_sensitive=False,
        help="Output: table (default on a terminal) or jsonl (default otherwise; json "
        "is the same: one record per line).",),
    ] = None,
    input_format: Annotated[
        StreamFormat,
        typer.Option("--input-format", "-i", case_sensitive=False,
        help="How FILE is written: auto, capture (pcap/pcapng), raw, hex (also xxd/hexdump "
        "-C), follow (tshark).",),
    ] = StreamFormat.AUTO,
    direction: Annotated[
        DirectionChoice,
        typer.Option("--direction", case_sensitive=False,
        help="Direction of a one-direction input: auto (preface = client), client, server; "
        "for tshark follow output, what node 0 (the lines not indented) is.",),
    ] = DirectionChoice.AUTO,
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
        "capture, show only the summary: each connection's calls (statuses, duration "
        "quantiles, bytes, HPACK), its streams when it has at most 20, then one row per "
        "method over all connections."
    ),
    streams: bool = typer.Option(
        False, "--streams", help="With --summary on a capture: a row for every stream of "
        "every connection (memory then grows with the streams)."
    ),
    waterfall: bool = typer.Option(
        False, "--waterfall", help="With --summary: a timeline of every connection's "
        "streams (a sample of 40 for a busy one); shown anyway when a connection has at "
        "most 20 streams."
    ),
    width: int | None = _WIDTH,
    color: ColorChoice = _COLOR,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress",
                     help="Progress on standard error (bytes and packets read, rate, time "
                     "left). Default: when standard error is a terminal and the output is "
                     "not (a file, a pipe) or is a --summary, after one second."),
    ] = None,
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
    keylog: Annotated[
        list[Path] | None,
        typer.Option("--keylog", metavar="FILE",
                     help="Capture: TLS key log (NSS format, as SSLKEYLOGFILE writes it) to "
                     "decrypt TLS connections with (repeatable). Without it, and without "
                     "Decryption Secrets Blocks in the capture, SSLKEYLOGFILE is used."),
    ] = None,
    proto: list[Path] = _PROTO,
    proto_path: list[Path] = _PROTO_PATH,
    descriptor_set: list[Path] = _DESCRIPTOR_SET,
) -> None:
    from wiretool.http2.constants import frame_type_number
    from wiretool.session import SessionOptions, decode_h2
    from wiretool.session.jobs import auto_workers

    if file == "-" and sys.stdin.isatty():
        raise fail("no input: give a FILE or pipe bytes to standard input (see --help)")
    try:
        wanted_types = {frame_type_number(name) for name in frame_type or []}
    except ValueError as error:
        raise fail(str(error)) from None
    if limit is not None and summary:
        raise fail("--limit applies to the frame list, not to --summary")
    if (streams or waterfall) and not summary:
        raise fail(f"{'--streams' if streams else '--waterfall'} goes with --summary")
    chosen = default_format(output_format.value if output_format else None, "table", "jsonl")
    if chosen == H2Format.JSON:
        chosen = H2Format.JSONL
    keylogs = tuple(str(path) for path in keylog or ())
    # The library never reads the environment: SSLKEYLOGFILE is passed as the fallback.
    fallback = None if keylogs else (os.environ.get("SSLKEYLOGFILE") or None)
    options = SessionOptions(
        input_format=input_format,
        direction=None if direction is DirectionChoice.AUTO else Direction(direction.value),
        ports=tuple(port or ()), streams=frozenset(stream or ()),
        frame_types=frozenset(wanted_types), limit=limit, summary=summary,
        stream_rows=streams,
        schema=schema_options.load_optional(proto, proto_path, descriptor_set),
        max_header_list_size=max_header_list_size, max_message_size=max_message_size,
        max_continuation_frames=max_continuation_frames, keylogs=keylogs,
        fallback_keylog=fallback)
    with decode_h2(file, options) as records:
        if port and not records.capture:
            raise fail("--port applies to pcap/pcapng captures only")
        if keylogs and not records.capture:
            raise fail("--keylog applies to pcap/pcapng captures only")
        _key_notes(records, fallback)
        workers = 1 if file == "-" or not records.capture else auto_workers(
            jobs, records.stream, mergeable=chosen == H2Format.JSONL or summary, limit=limit)
        shown = _progress(progress, summary=summary and records.capture)
        out: TextIO = sys.stdout
        if shown is not None and shown.stdout_shared:
            from wiretool.render.progress import ClearingOutput

            out = cast(TextIO, ClearingOutput(sys.stdout, shown))
        console = make_console(out, width=width, color=color)
        if workers > 1:
            malformed = _run_jobs(records, workers, options, console, out,
                                  jsonl=chosen == H2Format.JSONL, hpack_table=hpack_table,
                                  waterfall=waterfall, progress=shown)
        else:
            if shown is not None:
                records.watch(shown.update)
            if chosen == H2Format.JSONL:
                from wiretool.render.h2_jsonl import write_jsonl

                records.on_wait = out.flush
                write_jsonl(out, records, hpack_table=hpack_table, summary=summary,
                            live=records.live)
            elif summary and records.capture:
                from wiretool.render.h2_summary import SummaryView

                records.on_wait = out.flush
                SummaryView(console, waterfall=waterfall).render(records)
            else:
                from wiretool.render.h2_table import FrameView

                view = FrameView(console, capture=records.capture, hpack_table=hpack_table)
                # A pipe (tcpdump -U -w - |): what was decoded is written before the
                # input makes the decoding wait.
                records.on_wait = view.flush
                view.render(records)
            malformed = records.malformed
        if shown is not None:
            shown.close()
        if records.limit_reached:
            typer.echo(f"wiretool: stopped after {records.selection.frames_shown} frame(s) "
                       "(--limit); the rest was not read", err=True)
        chosen_frames = records.selection
        if workers == 1 and not summary and chosen_frames.filtered \
                and chosen_frames.frames_matched == 0:
            what = " and ".join(filter(None, (
                "--stream " + ", ".join(map(str, sorted(stream))) if stream else "",
                "--type " + ", ".join(frame_type) if frame_type else "")))
            typer.echo(f"wiretool: no frame matched {what} "
                       f"({chosen_frames.frames_read} frame(s) read)", err=True)
    raise typer.Exit(int(ExitCode.MALFORMED if malformed else ExitCode.OK))


def _key_notes(records: H2Decoding, fallback: str | None) -> None:
    """On stderr, once: where the TLS keys come from when the user did not say, and the
    key logs' warnings (each names its file and line)."""
    if not records.capture:
        return
    if fallback is not None:
        typer.echo(f"wiretool: no --keylog given: TLS keys from SSLKEYLOGFILE ({fallback}), "
                   "unless the capture carries its own (Decryption Secrets Blocks)", err=True)
    for problem in records.key_problems:
        typer.echo(f"wiretool: {problem.severity.value}: {problem.message}", err=True)


def _run_jobs(records: H2Decoding, workers: int, options: SessionOptions, console: Console,
              out: TextIO, *, jsonl: bool, hpack_table: bool, waterfall: bool,
              progress: ProgressLine | None) -> bool:
    """The capture in ``workers`` processes, each rendering what it decoded."""
    from wiretool.session.jobs import MakeRender, run_jobs

    make_render: MakeRender
    if jsonl:
        from wiretool.render.h2_jsonl import jsonl_renderer

        def make_render(share: int) -> Callable[[list[SessionRecord]], str]:
            return jsonl_renderer(share, hpack_table=hpack_table, summary=options.summary)
    else:
        from wiretool.render.h2_summary import summary_renderer

        def make_render(share: int) -> Callable[[list[SessionRecord]], str]:
            return summary_renderer(console, waterfall=waterfall)
    return run_jobs(records.stream.fileno(), workers, options, make_render, out,
                    records.keys, progress=None if progress is None else progress.update)


def _progress(wanted: bool | None, *, summary: bool) -> ProgressLine | None:
    """The progress display on standard error, if it is wanted: by default when
    standard error is a terminal, and standard output is not one (a file, a pipe) or
    the view is a summary (printed as connections end)."""
    if wanted is False or not sys.stderr.isatty():
        return None
    if wanted is None and sys.stdout.isatty() and not summary:
        return None  # the frames themselves show the progress
    from wiretool.render.progress import ProgressLine

    return ProgressLine(sys.stderr, stdout_shared=sys.stdout.isatty())
