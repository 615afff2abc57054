"""``wiretool compare-json``: how much smaller is protobuf than JSON for these payloads.

Thin layer: reads the inputs (files, directories, JSON Lines, stdin), loads the
schema through ``schema_options``, calls ``wiretool.protobuf.comparejson`` and
hands the results to ``wiretool.render.compare_table`` / ``compare_json``.
"""

# Typer declares options as argument defaults; that is its idiom, not a shared mutable.

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path

import typer

from wiretool.cli import schema_options
from wiretool.cli.common import (
    ColorChoice,
    color_option,
    default_format,
    fail,
    make_console,
    print_error,
    reports_errors,
    width_option,
    write_json,
)
from wiretool.cli.helptext import HelpCommand
from wiretool.cli.root import app
from wiretool.errors import ExitCode, Severity, WiretoolError
from wiretool.inputs import read_source
from wiretool.protobuf.jsontext import DEFAULT_MAX_DEPTH, MAX_DEPTH_LIMIT


class CompareFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"


class CompareInput(StrEnum):
    AUTO = "auto"
    JSON = "json"
    JSONL = "jsonl"
    RAW = "raw"
    HEX = "hex"
    BASE64 = "base64"


COMPARE_HELP = """Compare the size of messages as protobuf and as proto3 JSON, field by field.

INPUT is a JSON document, a JSON Lines file (.jsonl/.ndjson, one message per
line), protobuf bytes in any form decode reads (raw, hex, base64, dumps), a
directory (its .json, .jsonl, .ndjson, .bin, .binpb and .pb files, recursively;
what else it holds is skipped and counted on stderr), or - for stdin. Several
inputs give a batch summary (count, total, median, p95 per encoding).

With a schema (--proto/--descriptor-set, --type) JSON goes through the protobuf
runtime's JSON mapping and binary through its parser. Without one, binary is
decoded schemalessly and written as JSON keyed by field numbers, and JSON alone
gets an inferred schema (the protobuf figure is then an estimate).

Figures: protobuf = serialized size (ByteSize); JSON = canonical proto3 JSON,
compact, UTF-8; pretty = the same indented by 2; each also gzip -6 and deflate -6.

Examples:

  wiretool compare-json --proto samples/shop/shop.proto -t shop.v1.Order samples/shop/order.json

  wiretool compare-json --descriptor-set samples/person.desc -t Person samples/person.hex

  wiretool compare-json samples/person.bin

  wiretool compare-json --format json samples/shop/orders.jsonl | jq .summary

Exit codes: 0 compared; 1 an input is invalid JSON (line/column), nests deeper
than --max-depth, repeats a key, holds a lone surrogate or a number beyond a double
(JSON path, line/column), does not fit the schema (JSON path), or did not parse as
the type (compared without schema); 2 usage error, unreadable file, broken .proto,
unknown --type.
"""

_JSONL_SUFFIXES = (".jsonl", ".ndjson")
DIRECTORY_SUFFIXES = (".json", *_JSONL_SUFFIXES, ".bin", ".binpb", ".pb")
"""The files a directory INPUT contributes: messages as JSON, JSON Lines or binary
protobuf (what else a directory holds, .proto files, captures, scripts, is skipped)."""


@app.command("compare-json", help=COMPARE_HELP, no_args_is_help=False, cls=HelpCommand)
@reports_errors
def compare_json_command(
    inputs: list[str] = typer.Argument(None, metavar="INPUT...", help="Files, directories, or -."),
    proto: list[Path] = schema_options.proto_option(),
    proto_path: list[Path] = schema_options.proto_path_option(),
    descriptor_set: list[Path] = schema_options.descriptor_set_option(),
    type_name: str | None = schema_options.type_option(),
    output_format: CompareFormat | None = typer.Option(
        None,
        "--format",
        "-f",
        case_sensitive=False,
        help="Output: table (default on a terminal), json (one document; the default "
        "otherwise) or jsonl (a line per input).",
    ),
    input_format: CompareInput = typer.Option(
        CompareInput.AUTO,
        "--input-format",
        "-i",
        case_sensitive=False,
        help="How inputs are written: auto, json, jsonl, raw, hex, base64.",
    ),
    depth: int = typer.Option(
        2, "--depth", min=1, help="Levels of nested fields shown in the table."
    ),
    max_depth: int = typer.Option(
        DEFAULT_MAX_DEPTH, "--max-depth", min=1, max=MAX_DEPTH_LIMIT,
        help=f"Deepest nesting read (1-{MAX_DEPTH_LIMIT}): JSON objects and arrays (deeper "
        "is an error at its JSON path); messages expanded in schemaless binary input.",
    ),
    width: int | None = width_option(),
    color: ColorChoice = color_option(),
) -> None:
    from wiretool.protobuf.comparejson import (
        compare_document,
        infer_schema_for,
        read_document,
    )
    from wiretool.protobuf.jsonmap import JsonInputError
    from wiretool.protobuf.sizes import Comparison, summarize

    sources = inputs or ["-"]
    if sources == ["-"] and sys.stdin.isatty():
        raise fail("no input: give INPUT files or pipe data to standard input (see --help)")
    try:
        loaded = schema_options.load(proto, proto_path, descriptor_set, type_name)
    except WiretoolError as exc:
        raise fail(exc.message) from None
    schema, descriptor = loaded if loaded is not None else (None, None)

    errors: list[tuple[str, str]] = []
    documents = []
    for name, raw, doc_format in _expand(sources, input_format):
        try:
            documents.append(read_document(name, raw, doc_format, max_depth))
        except JsonInputError as exc:
            errors.append((name, exc.message))
    inferred = infer_schema_for(documents) if schema is None else None

    results: list[tuple[str, str, Comparison]] = []
    for doc in documents:
        try:
            c = compare_document(
                doc,
                schema=schema,
                descriptor=descriptor,
                input_format=_doc_format(input_format),
                inferred=inferred,
                max_depth=max_depth,
            )
        except WiretoolError as exc:
            errors.append((doc.name, exc.message))
            continue
        results.append((doc.name, "json" if doc.is_json else "binary", c))

    batch = len(results) + len(errors) > 1
    summary = summarize([c for _, _, c in results]) if results and batch else None
    chosen = default_format(output_format.value if output_format else None, "table", "json")
    if chosen == CompareFormat.JSON:
        import io

        from wiretool.render.compare_json import render_json

        document = io.StringIO()
        render_json(results, errors, summary, document)
        write_json(document.getvalue(), color)
    elif chosen == CompareFormat.JSONL:
        from wiretool.render.compare_json import render_json_lines

        render_json_lines(results, errors, sys.stdout)
    else:
        from wiretool.render.compare_table import render_batch, render_comparison

        console = make_console(width=width, color=color)
        if batch or not results:
            render_batch(results, errors, summary, console)
        else:
            name, kind, c = results[0]
            render_comparison(c, console, name=name, kind=kind, depth=depth)
    bad = errors or any(d.severity is Severity.ERROR for _, _, c in results for d in c.diagnostics)
    if bad and chosen != CompareFormat.TABLE:
        for name, message in errors:
            print_error(f"wiretool: {name}: {message}")
    raise typer.Exit(int(ExitCode.MALFORMED if bad else ExitCode.OK))


def _framed_messages(
    name: str, raw: bytes, fmt: CompareInput
) -> list[tuple[str, bytes, str]] | None:
    """The messages of a gRPC or varint-delimited binary input, as ``NAME#N`` documents.

    Framing is found the way ``decode`` finds it: a gRPC prefix, or an input that is
    not one message but parses cleanly as a delimited stream. None for anything else.
    """
    from wiretool.errors import InputError
    from wiretool.inputs import InputFormat, decode_input
    from wiretool.protobuf import framing
    from wiretool.protobuf.jsonmap import looks_like_json
    from wiretool.protobuf.wire import decode_stream

    if fmt in (CompareInput.JSON, CompareInput.JSONL) or (
        fmt is CompareInput.AUTO and looks_like_json(raw)
    ):
        return None

    forced = {CompareInput.RAW: InputFormat.RAW, CompareInput.HEX: InputFormat.HEX,
              CompareInput.BASE64: InputFormat.BASE64}.get(fmt, InputFormat.AUTO)
    try:
        data = decode_input(raw, forced).data
    except InputError:
        return None  # said when the document is compared (an error of this input only)
    if framing.looks_like_grpc(data):
        kind = "grpc"
    elif any(m.framing == "delimited" for m, _ in decode_stream(data).parts()):
        kind = "delimited"
    else:
        return None
    frames, _, _ = framing.split(data, framing=kind)
    return [(f"{name}#{index}", frame.buffer[frame.start : frame.end], "raw")
            for index, frame in enumerate(frames, start=1)]


def _doc_format(fmt: CompareInput) -> str:
    return "auto" if fmt is CompareInput.JSONL else fmt.value


def _expand(sources: list[str], fmt: CompareInput) -> list[tuple[str, bytes, str]]:
    """(name, bytes, format) of every document: directories walked, JSON Lines split."""
    out: list[tuple[str, bytes, str]] = []
    for source in sources:
        path = Path(source)
        if source != "-" and path.is_dir():
            every = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.parts)
            )
            files = [p for p in every if p.suffix.lower() in DIRECTORY_SUFFIXES]
            skipped = _skipped(every, files)
            if not files:
                raise fail(f"{source}: no message files in this directory "
                           f"({', '.join(DIRECTORY_SUFFIXES)}){skipped and '; ' + skipped}")
            if skipped:
                print_error(f"wiretool: {source}: {skipped} (name a file to compare it)")
            for file in files:
                out.extend(_split(str(file), read_source(str(file)), fmt))
        else:
            out.extend(_split(source, read_source(source), fmt))
    return out


def _skipped(every: list[Path], taken: list[Path]) -> str:
    """``skipped 12 files: 5 .pcap, 4 .py, ...`` (most common suffix first), or ""."""
    from collections import Counter

    kept = set(taken)
    counts = Counter(p.suffix.lower() or "(no suffix)" for p in every if p not in kept)
    if not counts:
        return ""
    total = sum(counts.values())
    kinds = ", ".join(f"{n} {suffix}" for suffix, n in
                      sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    what = "files that are not messages" if total != 1 else "file that is not a message"
    return f"skipped {total} {what}: {kinds}"


def _split(name: str, raw: bytes, fmt: CompareInput) -> list[tuple[str, bytes, str]]:
    jsonl = fmt is CompareInput.JSONL or (
        fmt is CompareInput.AUTO and name.lower().endswith(_JSONL_SUFFIXES)
    )
    if not jsonl:
        framed = _framed_messages(name, raw, fmt)
        return framed if framed is not None else [(name, raw, _doc_format(fmt))]
    return [
        (f"{name}:{number}", line, "json")
        for number, line in enumerate(raw.splitlines(), start=1)
        if line.strip()
    ]
