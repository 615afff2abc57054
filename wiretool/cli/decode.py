"""``wiretool decode``: raw protobuf bytes, field by field."""

from __future__ import annotations

import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from wiretool.cli import schema_options
from wiretool.cli.common import (
    ColorChoice,
    color_option,
    default_format,
    exit_code_for,
    fail,
    json_for_people,
    make_console,
    print_error,
    read_stdin,
    reports_errors,
    width_option,
    write_json,
)
from wiretool.cli.helptext import HelpCommand
from wiretool.cli.root import app
from wiretool.errors import ExitCode
from wiretool.inputs import InputFormat, decode_input, read_source
from wiretool.protobuf.model import DecodeResult, DecodeView

if TYPE_CHECKING:
    from google.protobuf.descriptor import Descriptor

    from wiretool.protobuf.schema import Schema

MAX_DEPTH_LIMIT = 250
"""Highest --max-depth accepted: deeper trees would exhaust the renderers' recursion."""


class DecodeFormat(StrEnum):
    TABLE = "table"
    HEXDUMP = "hexdump"
    JSON = "json"
    JSONL = "jsonl"
    PROTO_JSON = "proto-json"
    TEXTPROTO = "textproto"


RUNTIME_FORMATS = (DecodeFormat.PROTO_JSON, DecodeFormat.TEXTPROTO)
"""Formats printed by the protobuf runtime from the schema (they need --proto/--type)."""


DECODE_HELP = """Decode protobuf bytes field by field, with or without a schema.

FILE is raw binary, hex (spaces, newlines, 0x, ':' allowed), an xxd or hexdump -C
dump, or base64/base64url - detected automatically (force it with --input-format).
Use - or leave FILE out to read standard input (on a terminal: paste, then
Ctrl-D). gRPC length-prefixed messages are detected (or forced with --grpc);
gzip-compressed ones are inflated. With a schema of several top-level messages and
no --type, the one type that reads the input completely is used.

Examples:

  wiretool decode samples/person.bin

  echo '08 96 01 12 02 68 69' | wiretool decode

  wiretool decode --format hexdump samples/person.bin

  wiretool decode --grpc --format json samples/people.grpc | jq '.messages[].fields[0]'

  wiretool decode --delimited samples/people.delimited

  wiretool decode --delimited --offset 4 stream.bin

  wiretool decode --proto samples/person.proto samples/person.bin

  wiretool decode --descriptor-set samples/person.desc -t Person samples/person.hex

  wiretool decode --proto samples/person.proto -t Person -f proto-json samples/person.bin

  wiretool decode --proto samples/person.proto -t Person -f textproto samples/people.grpc

Exit codes: 0 decoded completely; 1 malformed input (what could be decoded is
shown, diagnostics say what is wrong at which offset); 2 usage error or
unreadable file.
"""


@app.command("decode", help=DECODE_HELP, no_args_is_help=False, cls=HelpCommand)
@reports_errors
def decode_command(
    file: str = typer.Argument("-", metavar="[FILE|-]", help="Input file; - for stdin."),
    output_format: DecodeFormat | None = typer.Option(
        None, "--format", "-f",
        help="Output: table (default on a terminal), hexdump, json (one document; the "
        "default otherwise), jsonl (a line per message, then per diagnostic); with a "
        "schema also proto-json (canonical proto3 JSON) or textproto (as protoc --decode "
        "prints it).",
        case_sensitive=False,
    ),
    input_format: InputFormat = typer.Option(
        InputFormat.AUTO, "--input-format", "-i",
        help="How FILE is written: auto, raw, hex, base64.", case_sensitive=False,
    ),
    grpc: bool = typer.Option(
        False, "--grpc", help="Read gRPC length-prefixed messages (auto-detected otherwise)."
    ),
    delimited: bool = typer.Option(
        False, "--delimited", help="Read a stream of varint-length-delimited messages."
    ),
    no_framing: bool = typer.Option(
        False, "--no-grpc",
        help="Read one plain message, even if the input looks like gRPC or a delimited stream.",
    ),
    offset: int = typer.Option(
        0, "--offset", min=0, help="Start decoding at this byte offset of the decoded input."
    ),
    max_depth: int = typer.Option(
        100, "--max-depth", min=1, max=MAX_DEPTH_LIMIT,
        help=f"Expand nested messages and groups up to this depth (1-{MAX_DEPTH_LIMIT}).",
    ),
    max_message_size: int = typer.Option(
        64 * 1024 * 1024, "--max-message-size", min=0,
        help="Largest decompressed gRPC message, in bytes (guards against gzip bombs).",
    ),
    proto: list[Path] = schema_options.proto_option(),
    proto_path: list[Path] = schema_options.proto_path_option(),
    descriptor_set: list[Path] = schema_options.descriptor_set_option(),
    type_name: str | None = schema_options.type_option(),
    width: int | None = width_option(),
    color: ColorChoice = color_option(),
) -> None:
    if sum((grpc, delimited, no_framing)) > 1:
        raise fail("--grpc, --delimited and --no-grpc exclude each other")
    from wiretool.protobuf.wire import decode_stream

    schema = schema_options.load_optional(proto, proto_path, descriptor_set)
    if type_name is not None and schema is None:
        schema_options.load(proto, proto_path, descriptor_set, type_name)  # raises
    if output_format in RUNTIME_FORMATS and schema is None:
        raise fail(f"--format {output_format.value} prints the message as the protobuf runtime "
                   "does, from its schema: add --proto FILE or --descriptor-set FILE "
                   "(and --type NAME when the schema has several messages)")
    raw = read_stdin("bytes (hex, base64, an xxd or hexdump -C dump)") if file == "-" else (
        read_source(file))
    decoded = decode_input(raw, input_format)
    data = decoded.data
    if not data:
        print_error("wiretool: warning: the input is empty: no bytes to decode")
    if offset > len(data):
        raise fail(f"--offset {offset} is past the end of the input ({len(data)} bytes)")
    framing = "grpc" if grpc else "delimited" if delimited else "none" if no_framing else "auto"
    loaded = None
    if schema is not None:
        loaded = (schema, _message_type(schema, type_name, data, start=offset, framing=framing,
                                        max_depth=max_depth,
                                        max_message_size=max_message_size))
    if output_format in RUNTIME_FORMATS and loaded is not None:
        raise typer.Exit(int(_print_with_runtime(
            output_format, data, loaded[0], loaded[1], offset, framing, max_message_size)))
    chosen = default_format(output_format.value if output_format else None, "table", "json")
    view: DecodeView
    if loaded is None:
        view = decode_stream(data, start=offset, framing=framing, max_depth=max_depth,
                             max_message_size=max_message_size)
    else:
        # The protobuf runtime is imported only when a schema is given.
        from wiretool.protobuf.annotate import AnnotatedView, DescriptorHints

        descriptor = loaded[1]
        view = AnnotatedView(
            decode_stream(data, start=offset, framing=framing, max_depth=max_depth,
                          max_message_size=max_message_size, hints=DescriptorHints(descriptor)),
            descriptor,
        )
    if chosen in (DecodeFormat.JSON, DecodeFormat.JSONL):
        _write_json(view, {"format": decoded.format.value, "detail": decoded.detail,
                           "size": len(data), "start": offset},
                    lines=chosen == DecodeFormat.JSONL, color=color)
    else:
        console = make_console(width=width, color=color)
        from wiretool.render.escape import escape_message

        # The file name is the user's, but may hold anything a file name can.
        header = escape_message(
            f"{file if file != '-' else 'stdin'}: {len(data)} bytes, {decoded.detail}")
        if chosen == DecodeFormat.HEXDUMP:
            from wiretool.render.protobuf_hexdump import render_hexdump

            console.print(header, style="dim")
            render_hexdump(_materialize(view), data, console)
        else:
            from wiretool.render.protobuf_table import render_table

            render_table(view, console, header=header, named=loaded is not None)
    raise typer.Exit(int(exit_code_for(view.diagnostics)))


def _write_json(view: DecodeView, info: dict[str, object], *, lines: bool,
                color: ColorChoice) -> None:
    """The JSON document of ``view`` as its writer makes it: into a pipe as written,
    for a person indented and coloured (``write_json``); or, with ``lines``, as JSON
    Lines: the input, each message, the trailing bytes, each diagnostic, one per line
    (``json_text.json_lines``), whatever wrote the document."""
    from wiretool.render.protobuf_json import render_json

    if not lines and not json_for_people(color):
        render_json(view, sys.stdout, info)  # streamed: memory stays at one field
        return
    import io

    buffer = io.StringIO()
    render_json(view, buffer, info)
    if not lines:
        write_json(buffer.getvalue(), color)
        return
    from wiretool.render.json_text import json_lines

    out = sys.stdout
    for line in json_lines(buffer.getvalue().strip(),
                           {"messages": "message", "diagnostics": "diagnostic"}):
        out.write(line + "\n")


def _message_type(schema: Schema, type_name: str | None, data: bytes, *, start: int,
                  framing: str, max_depth: int, max_message_size: int) -> Descriptor:
    """The ``--type`` given, else the schema's only top-level message, else the one
    top-level message that reads ``data`` completely (said on stderr); else a
    SchemaError that lists the candidates (exit 2)."""
    from wiretool.protobuf.schema import SchemaError

    candidates = schema.message_names(roots_only=True, nested=False)
    if type_name is not None or len(candidates) < 2:
        return schema.resolve_type(type_name)
    from wiretool.protobuf.fit import fitting_types

    descriptors = [schema.pool.FindMessageTypeByName(name) for name in candidates]
    fitting = fitting_types(data, descriptors, start=start, framing=framing,
                            max_depth=max_depth, max_message_size=max_message_size)
    if len(fitting) == 1:
        print_error(f"wiretool: no --type given: reading the input as {fitting[0].full_name}, "
                    f"the only one of the schema's {len(candidates)} top-level messages "
                    "that reads it completely")
        return fitting[0]
    fit_names = {d.full_name for d in fitting}
    listed = "\n  ".join(name + ("   (reads the input completely)" if name in fit_names
                                  else "") for name in candidates)
    why = (f"{len(fitting)} of them read the input completely" if fitting
           else "none of them reads the input completely")
    raise SchemaError(f"the schema has several top-level messages and {why}; choose one "
                      f"with --type:\n  {listed}")


def _materialize(view: DecodeView) -> DecodeResult:
    """The whole model (the hexdump needs every span before it prints a row)."""
    messages = tuple(replace(message, fields=tuple(fields)) for message, fields in view.parts())
    return DecodeResult(messages, tuple(view.diagnostics), view.size, view.start, view.trailing)


def _print_with_runtime(
    output_format: DecodeFormat, data: bytes, schema: Schema, descriptor: Descriptor,
    offset: int, framing: str, max_message_size: int,
) -> ExitCode:
    """proto-json / textproto: the text on stdout, the diagnostics on stderr."""
    from wiretool.protobuf.runtime import decode_with_runtime
    from wiretool.render.protobuf_runtime import render_proto_json, render_textproto

    as_json = output_format == DecodeFormat.PROTO_JSON
    result = decode_with_runtime(data, descriptor, start=offset, framing=framing,
                                 max_message_size=max_message_size, find_unknown=as_json)
    if as_json:
        notes = render_proto_json(result, sys.stdout, schema.pool)
    else:
        render_textproto(result, sys.stdout, schema.pool)
        notes = []
    diagnostics = sorted([*result.diagnostics, *notes], key=lambda d: d.offset)
    if result.trailing is not None:
        print_error(f"wiretool: {result.trailing.length} bytes at offset "
                    f"{result.trailing.offset} are outside every message")
    for diagnostic in diagnostics:
        print_error(f"wiretool: {diagnostic.severity.value}: offset {diagnostic.offset}: "
                    f"{diagnostic.message}")
    return exit_code_for(diagnostics)
