"""``decode --format hexdump``: an annotated hex dump of the input.

Each byte is coloured by the field it belongs to (tags and length prefixes of
messages dimmed, each leaf field in its own colour); the margin names the fields
that start on that row (``@offset path kind value``), so the picture still reads
with colour off. Compressed gRPC messages get a second dump of their decompressed
bytes, since their field offsets point there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from rich.console import Console
from rich.text import Text

from wiretool.protobuf.model import DecodeResult, Field, Kind, Message
from wiretool.render.layout import joined, width, words, wrap
from wiretool.render.protobuf_table import message_heading, render_diagnostics
from wiretool.render.protobuf_values import describe_value

_PALETTE = ("cyan", "green", "magenta", "yellow", "blue", "bright_red", "bright_cyan",
            "bright_green", "bright_magenta", "bright_yellow")
ROW = 16
MARGIN_WIDTH = 24
"""The least room for the labels beside the bytes; with less they go under their row."""
_LEAF = "leaf"
"""Placeholder style of leaf fields; ``_dump`` gives consecutive leaves different colours."""


@dataclass(frozen=True, slots=True)
class Span:
    """A run of bytes with one meaning, for colouring and the margin."""

    start: int
    end: int
    label: str
    style: str


def field_spans(fields: tuple[Field, ...], parent: str = "") -> Iterator[Span]:
    """Spans of every field, in offset order: container headers, then their children."""
    for field in fields:
        path = f"{parent}.{field.number}" if parent else str(field.number)
        name = f" {field.schema.name}" if field.schema is not None else ""
        if (field.kind is Kind.MESSAGE or field.kind is Kind.GROUP) and field.expanded:
            yield Span(field.offset, field.value_offset, f"{path}{name} {field.kind.value}",
                       "dim")
            yield from field_spans(field.fields, path)
            tail = field.value_offset + field.value_length
            if tail < field.end:  # the end-group tag
                yield Span(tail, field.end, f"{path} end-group", "dim")
        else:
            label = f"{path}{name} {field.kind.value} {describe_value(field, 40)}"
            yield Span(field.offset, field.end, label, _LEAF)


def _message_spans(message: Message, in_input: bool) -> Iterator[Span]:
    if message.prefix_offset is not None and in_input:
        yield Span(message.prefix_offset, message.prefix_offset + message.prefix_length,
                   f"{message.framing} prefix", "bold")
    if message.compressed and in_input:
        start = (message.prefix_offset or 0) + message.prefix_length
        yield Span(start, start + (message.wire_length or 0), "compressed message", "bold")
        return
    yield from field_spans(message.fields)
    if message.unparsed is not None:
        yield Span(message.unparsed.offset, message.unparsed.offset + message.unparsed.length,
                   "unparsed", "bold red")


def render_hexdump(result: DecodeResult, data: bytes, console: Console) -> None:
    """Dump ``data`` (the decoded input) annotated with ``result``."""
    spans: list[Span] = []
    if result.start:
        spans.append(Span(0, result.start, "skipped (--offset)", "dim"))
    for message in result.messages:
        spans.extend(_message_spans(message, True))
    if result.trailing is not None:
        spans.append(Span(result.trailing.offset,
                          result.trailing.offset + result.trailing.length, "unparsed", "bold red"))
    _dump(data, spans, console)
    count = len(result.messages)
    for index, message in enumerate(result.messages):
        if message.compressed and message.data is not None:
            console.print()
            console.print(Text(message_heading(index, message, count), style="bold cyan"))
            _dump(message.data, list(_message_spans(message, False)), console)
    render_diagnostics(result.diagnostics, console)


def _label_lines(labels: list[str], cells: int) -> list[str]:
    """The labels of a row in lines of ``cells``: whole labels side by side (``; ``
    between), a label that does not fit on a line of its own, wrapped at its spaces."""
    lines: list[str] = []
    for label in joined(labels, "; "):
        if lines and width(lines[-1]) + 1 + width(label.rstrip()) <= cells:
            lines[-1] += " " + label.rstrip()
        elif width(label.rstrip()) <= cells:
            lines.append(label.rstrip())
        else:
            lines += wrap(words(label), cells)
    return lines


def _dump(data: bytes, spans: list[Span], console: Console) -> None:
    """Rows of 16 bytes; offsets are decimal, like every offset wiretool prints."""
    spans.sort(key=lambda s: (s.start, s.end))
    leaves = 0
    for index, span in enumerate(spans):
        if span.style == _LEAF:
            spans[index] = Span(span.start, span.end, span.label, _PALETTE[leaves % len(_PALETTE)])
            leaves += 1
    style_of: list[str] = [""] * len(data)
    for span in spans:  # spans never overlap: containers contribute only their headers
        style_of[span.start : span.end] = [span.style] * (min(span.end, len(data)) - span.start)
    offset_width = max(6, len(str(len(data))))
    margin_column = offset_width + 2 + ROW * 3 + 1 + ROW + 2
    margin_width = console.width - margin_column
    if margin_width < MARGIN_WIDTH:  # the labels go under their row, across the width
        margin_column, margin_width = offset_width + 2, max(console.width - offset_width - 2, 20)
        beside = False
    else:
        beside = True
    next_span = 0
    for row_start in range(0, len(data), ROW):
        row_end = min(row_start + ROW, len(data))
        hex_text = Text()
        ascii_text = Text()
        for position in range(row_start, row_end):
            byte = data[position]
            style = style_of[position]
            hex_text.append(f"{byte:02x}", style=style)
            hex_text.append(" ")
            ascii_text.append(chr(byte) if 0x20 <= byte < 0x7F else ".", style=style)
        labels: list[str] = []
        while next_span < len(spans) and spans[next_span].start < row_end:
            labels.append(f"@{spans[next_span].start} {spans[next_span].label}")
            next_span += 1
        padding = ROW - (row_end - row_start)
        notes = _label_lines(labels, margin_width)
        row = Text.assemble(
            (str(row_start).rjust(offset_width), "dim"), "  ", hex_text, "   " * padding, " ",
            ascii_text)
        if beside and notes:
            row.append(" " * padding + "  ")
            row.append(notes.pop(0), "dim")
        console.print(row, no_wrap=True, overflow="ellipsis")
        for note in notes:  # what the margin could not hold: never cut, never lost
            console.print(Text(" " * margin_column + note, style="dim"), no_wrap=True,
                          overflow="ellipsis")
