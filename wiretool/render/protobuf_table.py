"""``decode --format table``: one line per field, nested fields indented.

Rows are printed as they are produced (no table is built in memory), in columns
fitted to the terminal: offset, length of the whole field, field number (indented by
depth, with the name when a schema is known), wire type, kind (or declared type),
value, and the other readings. A word or a number is never cut (the fitting rules of
``render.layout``). Wire values are escaped and printed as ``Text``, never markup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice

from rich.console import Console
from rich.text import Text

from wiretool.errors import Diagnostic, Severity
from wiretool.protobuf.model import DecodeView, Field, Kind, Message, WireType
from wiretool.render.escape import escape_message, escape_text
from wiretool.render.layout import cut_left, cut_right, pad, width, words, wrap
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
"""The least room the field column gets (a name is cut to it, never its number)."""
KIND_WIDTH = 9
"""The least room the kind/type column gets."""
TYPE_WIDTH = 24
"""The most room the kind/type column takes (a declared type is cut from the left)."""
VALUE_WIDTH = 24
"""The room a value wants beside the columns; with less, values go on lines of their own."""
SAMPLE_ROWS = 4096
"""Rows of a message measured for its column widths (the rows are printed as they are
read: a later, longer name is cut to the columns, its number never)."""


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


def _fit_label(field: Field, depth: int, cells: int) -> str:
    """The field column in ``cells``: a name is cut at its end, the number never
    (``timezone_offs… = 13``)."""
    label = _field_label(field, depth)
    if len(label) <= cells or field.schema is None:
        return label
    suffix = f" = {field.number}"
    room = cells - len(suffix) - 2 * depth
    if room < 2:
        return label  # the number wins: the row is wider than its column
    return "  " * depth + cut_right(escape_text(field.schema.name), room) + suffix


def _kind_label(field: Field) -> str:
    """The declared type, shortened to its last name (``.pkg.Person.PhoneNumber`` ->
    ``PhoneNumber``), or the inferred kind."""
    if field.schema is not None:
        declared = field.schema.type
        if declared.startswith("."):
            return declared.rsplit(".", 1)[-1]
        return declared.replace(", ", ",")
    return field.kind.value


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


class _Columns:
    """The columns of one message's rows, fitted to the width: the field and type
    columns as wide as their widest label (up to what leaves a value ``VALUE_WIDTH``),
    values beside them, or on lines of their own when even the least columns leave
    too little room."""

    def __init__(self, sample: list[tuple[int, Field]], width: int, offset_width: int,
                 named: bool) -> None:
        labels = kinds = 0
        for depth, field in sample:
            labels = max(labels, len(_field_label(field, depth)))
            kinds = max(kinds, len(_kind_label(field)))
        self.offset_width = offset_width
        self.kind_width = max(4, min(kinds, TYPE_WIDTH))
        fixed = offset_width + 2 + 6 + 1 + 1 + 6 + 1 + 1  # offset, length, wire, gaps
        self.field_width = max(8, labels)
        if fixed + self.field_width + self.kind_width + VALUE_WIDTH > width:
            self.field_width = max(5, min(labels, width - fixed - self.kind_width
                                          - VALUE_WIDTH, 2 * FIELD_WIDTH), FIELD_WIDTH)
        if fixed + self.field_width + self.kind_width + VALUE_WIDTH > width:
            self.kind_width = max(KIND_WIDTH, width - fixed - self.field_width - VALUE_WIDTH)
        self.value_column = fixed + self.field_width + self.kind_width
        self.stacked = width - self.value_column < VALUE_WIDTH // 2
        if self.stacked:  # values under the field column
            self.value_column = offset_width + 2 + 6 + 1
        self.value_width = width - self.value_column
        self.named = named

    def heading(self) -> Text:
        return Text.assemble(
            ("offset".rjust(self.offset_width), "bold"), "  ", ("length", "bold"), " ",
            ("field".ljust(self.field_width), "bold"), " ", ("wire".ljust(6), "bold"), " ",
            (("type" if self.named else "kind").ljust(self.kind_width), "bold"),
            *((" ", ("value", "bold")) if not self.stacked else ()),
        )

    def rows(self, depth: int, field: Field) -> list[Text]:
        """The lines of one field: its columns and value, then what did not fit."""
        kind_label = _kind_label(field)
        if len(kind_label) > self.kind_width:
            kind_label = (cut_left(kind_label, self.kind_width) if field.schema is not None
                          else cut_right(kind_label, self.kind_width))
        style = _KIND_STYLE.get(field.kind, "")
        head = Text.assemble(
            (str(field.offset).rjust(self.offset_width), "dim"), "  ",
            (str(field.length).rjust(6), "dim"), " ",
            (pad(_fit_label(field, depth, self.field_width), self.field_width), "cyan"), " ",
            _WIRE_NAMES.get(field.wire_type, "?").ljust(6), " ",
            (kind_label.ljust(self.kind_width), style),
        )
        value = describe_value(field, self.value_width)
        also = describe_also(field)
        value_style = style if field.kind is Kind.STRING else ""
        indent = " " * self.value_column
        lines: list[Text] = []
        if self.stacked:
            lines.append(head)
            lines.append(Text.assemble(indent, (value, value_style)))
        else:
            lines.append(Text.assemble(head, " ", (value, value_style)))
        if also:
            last = lines[-1]
            if last.cell_len + 3 + width(also) <= self.value_column + self.value_width:
                last.append("   " + also, "dim")
            else:
                for line in wrap(words(also), self.value_width - 2):
                    lines.append(Text.assemble(indent + "  ", (line, "dim")))
        return lines


def render_table(
    view: DecodeView, console: Console, *, header: str | None = None, named: bool = False
) -> None:
    """Print ``view`` as aligned rows, one per field, as the fields are decoded.

    ``named``: a schema is in use (the column says "type", not "kind"). Each message's
    columns are as wide as its widest field name and type allow (``_Columns``): names
    are cut at their end and types from the left only when the terminal is narrow;
    numbers are never cut, and other readings that do not fit go on the next line.
    The widths come from a message's first ``SAMPLE_ROWS`` rows: rows are printed as
    they are read.
    """
    width = max(console.width, 40)
    offset_width = max(6, len(str(view.size)))
    if header:
        console.print(Text(header, style="dim"))
    emit = line_writer(console)
    count = view.message_count
    field_width = FIELD_WIDTH
    for index, (message, fields) in enumerate(view.parts()):
        rows = _walk(fields)
        sample = list(islice(rows, SAMPLE_ROWS))
        columns = _Columns(sample, width, offset_width, named)
        field_width = columns.field_width
        console.print(Text(message_heading(index, message, count), style="bold cyan"))
        console.print(columns.heading())
        for depth, field in chain(sample, rows):
            for line in columns.rows(depth, field):
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
