"""Rich table view of ``h2-frames`` and ``hpack``: frames, header blocks, dynamic tables.

Frames are printed in batches of tables with fixed column widths, so output
starts before the input ends and memory does not grow with the input. Under a
frame that completes a header block comes a nested table with one row per HPACK
representation. Every value from the wire goes through ``wiretool.render.escape``
and into a ``rich.text.Text``: no markup is ever interpreted. This module only
reads the model.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from wiretool.errors import Diagnostic, Severity
from wiretool.http2 import constants as c
from wiretool.http2.constants import FrameType
from wiretool.http2.frames import Frame, H2Diagnostic, Preface, Record
from wiretool.http2.hpack import HeaderBlock, HeaderField, Representation
from wiretool.http2.summary import Summary, Totals
from wiretool.render.escape import escape_bytes, shorten

BATCH = 64
"""Frames per printed table: bounds memory while keeping rich's layout."""

_SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}


def _show(data: bytes | None, limit: int = 60) -> str:
    return "?" if data is None else shorten(escape_bytes(data), limit)


def frame_summary(frame: Frame) -> str:
    """A one-line description of the type-specific fields (already escaped)."""
    parts: list[str] = []
    if frame.truncated:
        parts.append(f"truncated: {len(frame.payload)} of {frame.length} payload bytes")
    if frame.pad_length is not None:
        parts.append(f"pad {frame.pad_length}")
    if frame.type == FrameType.DATA and frame.data is not None:
        parts.append(f"{frame.data_length} data bytes {_show(frame.data, 24)!s}")
    if frame.stream_dependency is not None:
        parts.append(
            f"depends on {frame.stream_dependency}{' exclusive' if frame.exclusive else ''}, "
            f"weight {frame.weight}"
        )
    if frame.promised_stream_id is not None:
        parts.append(f"promised stream {frame.promised_stream_id}")
    if frame.fragment is not None:
        parts.append(f"fragment {len(frame.fragment)} bytes")
    if frame.settings is not None:
        if frame.flags & c.ACK and frame.type == FrameType.SETTINGS:
            parts.append("ACK")
        parts += [f"{s.name}={s.value}" for s in frame.settings]
    if frame.error_code is not None:
        if frame.last_stream_id is not None:
            parts.append(f"last stream {frame.last_stream_id}")
        parts.append(c.error_name(frame.error_code))
    if frame.debug_data:
        parts.append(f"debug {_show(frame.debug_data, 40)}")
    if frame.opaque_data is not None:
        parts.append(f"opaque {frame.opaque_data.hex()}")
    if frame.window_size_increment is not None:
        parts.append(f"increment {frame.window_size_increment}")
    if frame.origin is not None:
        parts.append(f"origin {_show(frame.origin, 40)}")
    if frame.prioritized_stream_id is not None:
        parts.append(f"stream {frame.prioritized_stream_id}")
    if frame.field_value is not None:
        parts.append(_show(frame.field_value, 60))
    if frame.origins is not None:
        parts += [_show(o, 40) for o in frame.origins]
    if frame.type not in c.FrameType._value2member_map_:
        parts.append(f"payload {shorten(frame.payload.hex(), 48)}")
    block = frame.header_block
    if block is not None:
        ratio = block.ratio
        parts.append(
            f"header block: {block.wire_length} wire → {block.decoded_length} decoded bytes"
            + ("" if ratio is None else f" ({ratio:.0%})")
        )
    return ", ".join(parts)


def _frames_table(first: bool) -> Table:
    # Same fixed widths in every batch, and expand=True so the summary column takes the
    # rest of the line: the batches read as one table.
    table = Table(box=box.SIMPLE_HEAD, show_header=first, show_edge=False, pad_edge=False,
                  padding=(0, 1), expand=True)
    table.add_column("offset", justify="right", width=8, no_wrap=True)
    table.add_column("dir", width=6, no_wrap=True)
    table.add_column("stream", justify="right", width=6, no_wrap=True)
    table.add_column("type", width=15, no_wrap=True)
    table.add_column("flags", width=24)
    table.add_column("length", justify="right", width=6, no_wrap=True)
    table.add_column("summary", ratio=1, overflow="fold")
    return table


def _diagnostic_text(diag: Diagnostic, indent: int = 4) -> Text:
    text = Text(" " * indent)
    text.append(f"{diag.severity.value}: ", style=_SEVERITY_STYLE[diag.severity])
    text.append(escape_bytes(diag.message.encode()))
    return text


def _index_text(field: HeaderField) -> str:
    if field.index is None:
        return "-"
    return f"{field.table[0] if field.table else '?'}{field.index}"


def _huffman_text(field: HeaderField) -> str:
    marks = []
    if field.name_huffman:
        marks.append("n")
    if field.value_huffman:
        marks.append("v")
    if field.name_huffman is None and field.value_huffman is None:
        return "-"
    return "+".join(marks) or "no"


def _effect_text(field: HeaderField) -> str:
    parts = []
    if field.new_table_size is not None:
        parts.append(f"max {field.new_table_size}")
    if field.inserted:
        parts.append("+62")
    if field.evicted:
        parts.append(f"-{len(field.evicted)} evicted")
    return " ".join(parts)


def header_table(block: HeaderBlock) -> Table:
    """The nested table of one header block: one row per representation."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1),
                  expand=True)
    for column, kwargs in (
        ("#", {"justify": "right"}),
        ("repr", {"no_wrap": True}),
        ("index", {"justify": "right", "no_wrap": True}),
        ("huff", {"no_wrap": True}),
        ("name", {"overflow": "fold", "ratio": 2, "min_width": 16}),
        ("value", {"overflow": "fold", "ratio": 3, "min_width": 16}),
        ("size", {"justify": "right"}),
        ("wire", {"no_wrap": True}),
        ("table", {"no_wrap": True}),
    ):
        table.add_column(column, **kwargs)
    for number, field in enumerate(block.fields):
        name: Text
        value: Text
        if field.representation is Representation.SIZE_UPDATE:
            name, value = Text("(table size update)", style="dim"), Text("")
        elif field.unknown_entry and field.name is None:
            name = Text("?", style="yellow")
            if field.representation is Representation.INDEXED:
                value = Text(f"dynamic entry {field.index} unknown (capture started "
                             "mid-connection)", style="yellow")
            else:
                name = Text(f"? (name of dynamic entry {field.index} unknown)", style="yellow")
                value = Text(_show(field.value) if field.value is not None else "?")
        elif not field.expanded:
            name, value = Text("(not expanded: header list limit)", style="dim"), Text("")
        else:
            name, value = Text(_show(field.name, 40)), Text(_show(field.value))
        table.add_row(
            Text(str(number)),
            Text(field.representation.value),
            Text(_index_text(field)),
            Text(_huffman_text(field)),
            name,
            value,
            Text("" if field.size is None else str(field.size)),
            Text(shorten(field.wire.hex(" "), 18)),
            Text(_effect_text(field)),
        )
    return table


def dynamic_table_title(block: HeaderBlock) -> Text:
    return Text(
        f"dynamic table after the block: {len(block.table)} entries, {block.table_size}/"
        f"{block.table_max_size} bytes; {block.insertions} inserted, {block.evictions} evicted"
        + (" (older entries from before the capture may exist)" if block.table_incomplete else "")
    )


def dynamic_table(block: HeaderBlock) -> Table:
    """``--hpack-table``: the dynamic table after a block (print ``dynamic_table_title`` first)."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1))
    table.add_column("index", justify="right")
    table.add_column("size", justify="right")
    table.add_column("name", overflow="fold")
    table.add_column("value", overflow="fold")
    for i, entry in enumerate(block.table):
        table.add_row(Text(str(62 + i)), Text(str(entry.size)),
                      Text(_show(entry.name, 40)), Text(_show(entry.value)))
    return table


def render_block(console: Console, block: HeaderBlock, *, hpack_table: bool, indent: int) -> None:
    console.print(Padding(header_table(block), (0, 0, 0, indent)))
    for diag in block.diagnostics:
        console.print(_diagnostic_text(diag, indent))
    if hpack_table:
        console.print(Padding(dynamic_table_title(block), (0, 0, 0, indent)))
        if block.table:
            console.print(Padding(dynamic_table(block), (0, 0, 0, indent)))


def render_frames(
    console: Console, records: Iterable[Record], *, hpack_table: bool = False
) -> None:
    """Print records as they come: frame rows, nested header tables, diagnostics."""
    table = _frames_table(first=True)
    rows = 0

    def flush() -> None:
        nonlocal table, rows
        if rows:
            console.print(table)
        table = _frames_table(first=False)
        rows = 0

    for record in records:
        if isinstance(record, Preface):
            table.add_row(Text(str(record.offset)), Text(record.direction or "?"), Text(""),
                          Text("PREFACE"), Text(""), Text(str(record.length)),
                          Text("client connection preface"))
            rows += 1
        elif isinstance(record, Frame):
            table.add_row(
                Text(str(record.offset)),
                Text(record.direction or "?"),
                Text(str(record.stream_id)),
                Text(record.type_name),
                Text(" ".join(record.flag_names) or "-"),
                Text(str(record.length)),
                Text(frame_summary(record)),
            )
            rows += 1
            if record.diagnostics or record.header_block is not None or rows >= BATCH:
                flush()
            for diag in record.diagnostics:
                console.print(_diagnostic_text(diag))
            if record.header_block is not None:
                render_block(console, record.header_block, hpack_table=hpack_table, indent=4)
        else:
            flush()
            direction = record.direction if isinstance(record, H2Diagnostic) else None
            text = _diagnostic_text(record, 0)
            if direction:
                text = Text(f"[{direction}] ") + text
            console.print(text)
    flush()


def _totals_row(table: Table, label: list[str], totals: Totals) -> None:
    ratio = totals.hpack_ratio
    table.add_row(
        *[Text(x) for x in label],
        Text(", ".join(f"{name} {count}" for name, count in sorted(totals.frames.items()))),
        Text(str(totals.frame_bytes)),
        Text(str(totals.data_bytes)),
        Text(f"{totals.hpack_wire_bytes}/{totals.hpack_decoded_bytes}"
             + ("" if ratio is None else f" ({ratio:.0%})")),
    )


def render_summary(console: Console, summary: Summary) -> None:
    """``--summary``: totals per direction, then per stream."""
    for title, items, label in (
        ("per direction", [([str(d or "?")], t) for d, t in summary.directions.items()],
         ["direction"]),
        ("per stream", [([str(d or "?"), str(s)], t) for (d, s), t in sorted(
            summary.streams.items(), key=lambda i: (str(i[0][0]), i[0][1]))],
         ["direction", "stream"]),
    ):
        console.print(Text(title))
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1))
        for name in label:
            table.add_column(name)
        table.add_column("frames by type", overflow="fold")
        table.add_column("frame bytes", justify="right")
        table.add_column("data bytes", justify="right")
        table.add_column("hpack wire/decoded", justify="right")
        for row_label, totals in items:
            _totals_row(table, row_label, totals)
        console.print(table)
