"""``decode --format table``: one line per field, nested fields indented.

Rows are printed as they are produced (no table is built in memory), in fixed
columns: offset, length of the whole field, field number (indented by depth, with
the name when a schema is known), wire type, kind (or declared type), value,
and the other readings. Wire values are escaped and printed as ``Text``, never
markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from rich.console import Console
from rich.text import Text

from wiretool.errors import Diagnostic, Severity
from wiretool.protobuf.model import DecodeView, Field, Kind, Message, WireType
from wiretool.render.escape import escape_message
from wiretool.render.protobuf_values import describe_also, describe_bytes_text, describe_value

_WIRE_NAMES = {
    WireType.VARINT: "VARINT",
    WireType.I64: "I64",
    WireType.LEN: "LEN",
    WireType.SGROUP: "GROUP",
    WireType.EGROUP: "EGROUP",
    WireType.I32: "I32",
}
_KIND_STYLE = {
    Kind.STRING: "green",
    Kind.BYTES: "yellow",
    Kind.MESSAGE: "bold",
    Kind.GROUP: "bold",
    Kind.PACKED: "magenta",
}
_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}

FIELD_WIDTH = 18
KIND_WIDTH = 9


def _walk(fields: Iterable[Field], depth: int = 0) -> Iterator[tuple[int, Field]]:
    for field in fields:
        yield depth, field
        if field.fields:
            yield from _walk(field.fields, depth + 1)


def _field_label(field: Field, depth: int) -> str:
    indent = "  " * depth
    if field.schema is not None:
        return f"{indent}{field.schema.name} = {field.number}"
    return f"{indent}{field.number}"


def _kind_label(field: Field) -> str:
    """The declared type, shortened to its last name (``.pkg.Person.PhoneNumber`` ->
    ``PhoneNumber``), or the inferred kind."""
    if field.schema is not None:
        declared = field.schema.type
        if declared.startswith("."):
            return declared.rsplit(".", 1)[-1]
        return declared.replace(", ", ",")
    return field.kind.value


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def message_heading(index: int, message: Message, count: int) -> str:
    """``message 2 of 3 at offset 17, 42 bytes (gRPC, gzip 30 bytes on the wire)``."""
    label = f"message {index + 1} of {count}" if count > 1 else "message"
    parts = [f"{label} at offset {message.offset}, {message.length} bytes"]
    if message.type_name:
        parts.append(f"type {message.type_name}")
    if message.framing == "grpc":
        prefix = f"gRPC prefix at {message.prefix_offset}"
        if message.compressed and message.data is None:
            prefix += f", compressed {message.wire_length} bytes that do not inflate"
        elif message.compressed:
            prefix += (f", compressed {message.wire_length} bytes on the wire;"
                       " offsets are in the decompressed payload")
        parts.append(prefix)
    elif message.framing == "delimited":
        parts.append(f"length prefix at {message.prefix_offset} ({message.prefix_length} bytes)")
    return ", ".join(parts)


def render_table(
    view: DecodeView, console: Console, *, header: str | None = None, named: bool = False
) -> None:
    """Print ``view`` as aligned rows, one per field, as the fields are decoded.

    ``named``: a schema is in use (wider columns for names and declared types).
    """
    width = console.width
    field_width = FIELD_WIDTH + 8 if named else FIELD_WIDTH
    kind_width = KIND_WIDTH + 9 if named else KIND_WIDTH
    offset_width = max(6, len(str(view.size)))
    value_width = max(24, width - (offset_width + 7 + field_width + 8 + kind_width + 6) - 24)
    if header:
        console.print(Text(header, style="dim"))
    heading = Text.assemble(
        ("offset".rjust(offset_width), "bold"), "  ", ("length", "bold"), " ",
        ("field".ljust(field_width), "bold"), " ", ("wire".ljust(6), "bold"), " ",
        (("type" if named else "kind").ljust(kind_width), "bold"), " ", ("value", "bold"),
    )
    emit = line_writer(console)
    count = view.message_count
    for index, (message, fields) in enumerate(view.parts()):
        console.print(Text(message_heading(index, message, count), style="bold cyan"))
        console.print(heading)
        for depth, field in _walk(fields):
            value = describe_value(field, value_width)
            also = describe_also(field)
            line = Text.assemble(
                (str(field.offset).rjust(offset_width), "dim"), "  ",
                (str(field.length).rjust(6), "dim"), " ",
                (_cell(_field_label(field, depth), field_width).ljust(field_width), "cyan"), " ",
                _WIRE_NAMES.get(field.wire_type, "?").ljust(6), " ",
                (_cell(_kind_label(field), kind_width).ljust(kind_width),
                 _KIND_STYLE.get(field.kind, "")), " ",
                (value, _KIND_STYLE.get(field.kind, "") if field.kind is Kind.STRING else ""),
                ("   " + also if also else "", "dim"),
            )
            line.truncate(width, overflow="ellipsis")
            emit(line)
        if message.unparsed is not None:
            _print_unparsed(console, message.unparsed.offset, message.unparsed.data, offset_width,
                            field_width)
    if view.trailing is not None:
        _print_unparsed(console, view.trailing.offset, view.trailing.data, offset_width,
                        field_width)
    render_diagnostics(view.diagnostics, console)


def line_writer(console: Console) -> Callable[[Text], None]:
    """A function that prints one already-truncated line.

    Without colour (a pipe, a file, NO_COLOR), the plain text goes straight to the
    file: rich's full render per line costs 75% of a big table's time, for the same
    bytes.
    """
    if console.no_color and not console.is_terminal:
        write = console.file.write

        def write_plain(line: Text) -> None:
            write(line.plain + "\n")

        return write_plain

    def print_line(line: Text) -> None:
        console.print(line, no_wrap=True, overflow="ellipsis")

    return print_line


def _print_unparsed(console: Console, offset: int, data: bytes, offset_width: int,
                    field_width: int) -> None:
    preview = data[:16].hex(" ") + (" …" if len(data) > 16 else "")
    console.print(Text.assemble(
        (str(offset).rjust(offset_width), "dim"), "  ", (str(len(data)).rjust(6), "dim"), " ",
        ("unparsed".ljust(field_width), "bold red"), " ", preview, "   ",
        (describe_bytes_text(data, 24), "dim"),
    ), no_wrap=True, overflow="ellipsis")


def render_diagnostics(diagnostics: Iterable[Diagnostic], console: Console) -> None:
    """One line per diagnostic: severity, offset, message."""
    for diagnostic in diagnostics:
        console.print(Text.assemble(
            (f"{diagnostic.severity.value}: ", _SEVERITY_STYLE[diagnostic.severity]),
            (f"offset {diagnostic.offset}: ", "bold"),
            escape_message(diagnostic.message),
        ))
