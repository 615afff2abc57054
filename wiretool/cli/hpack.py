"""``wiretool hpack``: decode header blocks given as hex, or explain an encoder's bytes."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from wiretool.cli.common import (
    ColorChoice,
    color_option,
    default_format,
    fail,
    make_console,
    reports_errors,
    width_option,
    write_json,
)
from wiretool.cli.helptext import HelpCommand
from wiretool.cli.root import app
from wiretool.errors import ExitCode, InputError, Severity
from wiretool.inputs import InputFormat, decode_input


class HpackFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"


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


@app.command("hpack", help=HPACK_HELP, no_args_is_help=False, cls=HelpCommand)
@reports_errors
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
        help="Output: table (default on a terminal), json (one document; the default "
        "otherwise) or jsonl (a line per block).",),
    ] = None,
    max_header_list_size: int = typer.Option(
        256 * 1024, "--max-header-list-size", min=0,
        help="Decoded size of one header list beyond which fields are not expanded.",
    ),
    width: int | None = width_option(),
    color: ColorChoice = color_option(),
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
    if chosen in (HpackFormat.JSON, HpackFormat.JSONL):
        from wiretool.render.h2_jsonl import dumps
        from wiretool.render.hpack_view import hpack_json
        from wiretool.render.json_text import exact_integers

        document = exact_integers(hpack_json(decoded, encoded))
        if chosen == HpackFormat.JSON:
            write_json(dumps(document), color)
        else:  # a line per block, the encoder's bytes on the (one) block they make
            for index, block in enumerate(document["blocks"]):
                extra = {"encoded": document["encoded"]} if "encoded" in document else {}
                sys.stdout.write(dumps({"record": "block", "index": index, **block, **extra})
                                 + "\n")
    else:
        from wiretool.render.hpack_view import render_hpack_blocks

        console = make_console(width=width, color=color)
        if encoded is not None:
            console.print(f"hpack.Encoder output: {encoded.hex(' ')}")
        render_hpack_blocks(console, decoded, explain=encoded is not None)
    failed = any(d.severity is Severity.ERROR for b in decoded for d in b.diagnostics)
    raise typer.Exit(int(ExitCode.MALFORMED if failed else ExitCode.OK))
