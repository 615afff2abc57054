"""The ``h2-frames`` frame view, drawn by hand: a table on a wide terminal, stacked
lines on a narrow one, and header blocks for ``wiretool hpack`` (``header_block``).

``FrameView`` prints records as they come. At 120 columns and more each frame is one
table row — packet, time, connection, direction, offset, stream, type, flags,
length, summary (a capture has the first three; a connection dump does not) —
with the header block of a HEADERS/PUSH_PROMISE/CONTINUATION frame that ends one
as a nested table under it (representation, index, Huffman, name, value, size,
wire bytes, table effect), and each gRPC message as a tree under the DATA frame
that completed it. Below 120 columns, as ``nghttp -v`` does, each frame is one line
and what it carries follows as indented ``name: value`` lines. Nothing is cut that
should not be (``render.layout``): columns of numbers grow to their widest number
(and the column headings are printed again), words and numbers wrap whole, values
wrap at their break opportunities, long values end with an ellipsis after eight
lines; the name, value and wire columns widen with the terminal, and from 160
columns a header's wire bytes are shown whole.

The lines are built as strings (a rich ``Table`` per batch measured every cell:
35x slower than the JSON Lines writer) and the text of a header block is kept per
decoding (``DecodingMemo``: 90% of the blocks of a load test decode like an
earlier one). rich is used for the colour codes and for measuring wide characters.
Colour says what the model says (frame type, direction, header name, gRPC status,
severity), never what the wire says: every wire value goes through
``render.escape`` first. A connection's heading is written by ``render.h2_text``, the
one place for it. This module only reads the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO

from rich.console import Console

from wiretool.capture.model import CaptureDiagnostic
from wiretool.direction import Direction
from wiretool.errors import Diagnostic, Severity
from wiretool.grpc.messages import GrpcMessage, GrpcStatus
from wiretool.http2 import constants as c
from wiretool.http2.frames import (
    AltSvc,
    Continuation,
    Data,
    Frame,
    FrameBody,
    Goaway,
    H2Diagnostic,
    Headers,
    Origin,
    Ping,
    Preface,
    Priority,
    PriorityUpdate,
    PushPromise,
    RstStream,
    Settings,
    Unknown,
    WindowUpdate,
)
from wiretool.http2.hpack import HeaderBlock, HeaderField, Representation
from wiretool.protobuf.model import Field, Message
from wiretool.render.escape import escape_bytes, escape_text, shorten
from wiretool.render.h2_jsonl import DecodingMemo
from wiretool.render.h2_text import (
    STYLES,
    carrier_text,
    connection_line,
    connection_title,
    one_side,
)
from wiretool.render.layout import (
    Styles,
    cut_left,
    cut_right,
    joined,
    pad,
    width,
    words,
    wrap,
    wrap_text,
)
from wiretool.session.records import (
    ConnectionEnd,
    ConnectionStart,
    H2cUpgrade,
    Located,
    SessionRecord,
)
from wiretool.session.summary import CaptureSummary
from wiretool.tls.model import TlsDiagnostic

STACKED_BELOW = 120
"""Terminals narrower than this get stacked lines instead of the frame table."""
WIDE_FROM = 160
"""From this width the flags and type columns take their longest names and a header's
wire bytes are shown whole."""
VALUE_LINES = 8
"""Lines of a header value shown before an ellipsis."""
FLUSH_PARTS = 256
"""Pieces of text gathered before they are written (and whenever the input waits)."""
BLOCK_MEMO = 4096
"""Block decodings whose text is kept (``DecodingMemo``)."""

_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}


# -- what a frame carries, as (label, value) items -------------------------------------

Item = tuple[str, str]
"""A thing a frame carries: the table shows ``label value`` (``label=value`` for a
setting, the value alone for an empty label), stacked lines ``label: value``."""


def _show(data: bytes | None, limit: int = 60) -> str:
    return "?" if data is None else shorten(escape_bytes(data), limit)


def _pad_items(items: list[Item], pad_length: int | None) -> None:
    if pad_length is not None:
        items.append(("pad", str(pad_length)))


def _depends(items: list[Item], body: Headers | Priority) -> None:
    if body.stream_dependency is not None:
        items.append(("depends on", f"{body.stream_dependency}"
                      f"{' exclusive' if body.exclusive else ''}, weight {body.weight}"))


def _fragment(items: list[Item], fragment: bytes | None) -> None:
    if fragment is not None:
        items.append(("fragment", f"{len(fragment)} bytes"))


def _data_items(items: list[Item], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Data
    _pad_items(items, body.pad_length)
    if body.data is not None:
        preview = f" {_show(body.data, 24)}" if body.data else ""
        items.append(("data", f"{body.data_length} bytes{preview}"))


def _headers_items(items: list[Item], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Headers
    _pad_items(items, body.pad_length)
    _depends(items, body)
    _fragment(items, body.fragment)


def _priority_items(items: list[Item], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Priority
    _depends(items, body)


def _rst_stream_items(items: list[Item], frame: Frame) -> None:
    body = frame.body
    assert type(body) is RstStream
    if body.error_code is not None:
        items.append(("error", c.error_name(body.error_code)))


def _settings_items(items: list[Item], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Settings
    if body.settings is not None:
        if frame.flags & c.ACK:
            items.append(("", "ACK"))
        items += [(s.name, str(s.value)) for s in body.settings]


def _push_promise_items(items: list[Item], frame: Frame) -> None:
    body = frame.body
    assert type(body) is PushPromise
    _pad_items(items, body.pad_length)
    if body.promised_stream_id is not None:
        items.append(("promised stream", str(body.promised_stream_id)))
    _fragment(items, body.fragment)


def _ping_items(items: list[Item], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Ping
    if body.opaque_data is not None:
        items.append(("opaque", body.opaque_data.hex()))


def _goaway_items(items: list[Item], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Goaway
    if body.error_code is not None:
        items.append(("last stream", str(body.last_stream_id)))
        items.append(("error", c.error_name(body.error_code)))
    if body.debug_data:
        items.append(("debug", _show(body.debug_data, 120)))


def _window_update_items(items: list[Item], frame: Frame) -> None:
    body = frame.body
    assert type(body) is WindowUpdate
    if body.window_size_increment is not None:
        items.append(("increment", str(body.window_size_increment)))


def _continuation_items(items: list[Item], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Continuation
    _fragment(items, body.fragment)


def _altsvc_items(items: list[Item], frame: Frame) -> None:
    body = frame.body
    assert type(body) is AltSvc
    if body.origin is not None:
        items.append(("origin", _show(body.origin, 120)))
    if body.field_value is not None:
        items.append(("value", _show(body.field_value, 240)))


def _origin_items(items: list[Item], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Origin
    if body.origins is not None:
        items += [("origin", _show(o, 120)) for o in body.origins]


def _priority_update_items(items: list[Item], frame: Frame) -> None:
    body = frame.body
    assert type(body) is PriorityUpdate
    if body.prioritized_stream_id is not None:
        items.append(("stream", str(body.prioritized_stream_id)))
    if body.field_value is not None:
        items.append(("value", _show(body.field_value, 240)))


def _unknown_items(items: list[Item], frame: Frame) -> None:
    items.append(("payload", shorten(frame.payload.hex(), 96)))


_BODY_ITEMS: dict[type[FrameBody], Callable[[list[Item], Frame], None]] = {
    Data: _data_items, Headers: _headers_items, Priority: _priority_items,
    RstStream: _rst_stream_items, Settings: _settings_items,
    PushPromise: _push_promise_items, Ping: _ping_items, Goaway: _goaway_items,
    WindowUpdate: _window_update_items, Continuation: _continuation_items,
    AltSvc: _altsvc_items, Origin: _origin_items,
    PriorityUpdate: _priority_update_items, Unknown: _unknown_items,
}
"""What each body record carries, one function per record."""


def frame_items(frame: Frame) -> list[Item]:
    """What ``frame`` carries (already escaped), in the order it is shown."""
    items: list[Item] = []
    if frame.truncated:
        items.append(("truncated", f"{len(frame.payload)} of {frame.length} payload bytes"))
    _BODY_ITEMS[type(frame.body)](items, frame)
    block = frame.header_block
    if block is not None:
        ratio = block.ratio
        items.append(("header block", f"{block.wire_length} wire → {block.decoded_length} "
                      "decoded bytes" + ("" if ratio is None else f" ({ratio:.0%})")))
    return items


_COLON_LABELS = frozenset({"header block", "data", "truncated", "debug"})
"""Labels the table writes with a colon (``data: 31 bytes``, not ``data 31 bytes``)."""


def _item_text(item: Item, body: FrameBody) -> str:
    label, value = item
    if not label:
        return value
    if type(body) is Settings:
        return f"{label}={value}"
    return f"{label}: {value}" if label in _COLON_LABELS else f"{label} {value}"


# -- a header field's cells -------------------------------------------------------------

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


# -- the frame view ------------------------------------------------------------------

class _Column:
    """A column of the frame table; ``cells`` grows to its widest value."""

    __slots__ = ("cells", "heading", "right")

    def __init__(self, heading: str, cells: int, right: bool) -> None:
        self.heading = heading
        self.cells = max(cells, len(heading))
        self.right = right


class FrameView:
    """``h2-frames --format table``: records printed as they come (``feed``), as a
    table at ``STACKED_BELOW`` columns and more, else as stacked lines.

    Text is gathered and written every ``FLUSH_PARTS`` pieces; call ``flush`` when
    the input waits (``H2Decoding.on_wait``) and at the end.
    """

    def __init__(self, console: Console, *, capture: bool, hpack_table: bool = False) -> None:
        self.out: IO[str] = console.file
        self.width = max(console.width, 40)
        self.capture = capture
        self.hpack_table = hpack_table
        self.stacked = self.width < STACKED_BELOW
        self.wide = self.width >= WIDE_FROM
        self.style = Styles(console, STYLES)
        self.parts: list[str] = []
        self._blocks_shown: set[int] = set()
        """Connections whose first header block had the column headings."""
        self._memo: DecodingMemo[list[str]] = DecodingMemo(BLOCK_MEMO, BLOCK_MEMO)
        self._fields: dict[tuple[object, ...], str] = {}
        """The text of a header field's row, by what it shows."""
        self._prefixes = [f"    {number:>3}  " for number in range(64)]
        self._heading_due = True
        wide = self.wide
        columns = [("dir", 6, False), ("offset", 8, True), ("stream", 6, True),
                   ("type", 15 if wide else 13, False), ("flags", 22 if wide else 11, False),
                   ("length", 6, True)]
        if capture:
            columns = [("packet", 6, True), ("time", 9, True), ("conn", 4, True), *columns]
        self.columns = [_Column(*spec) for spec in columns]
        self._flags = next(col for col in self.columns if col.heading == "flags")
        self._layout()
        self._header_columns()

    # -- output --

    def flush(self) -> None:
        """Write what was gathered, and flush the output."""
        if self.parts:
            self.out.write("".join(self.parts))
            self.parts.clear()
        self.out.flush()

    def _emit(self, lines: list[str]) -> None:
        self.parts.append("\n".join(lines) + "\n")
        if len(self.parts) >= FLUSH_PARTS:
            self.out.write("".join(self.parts))
            self.parts.clear()

    def render(self, records: Iterable[SessionRecord]) -> None:
        for record in records:
            self.feed(record)
        self.flush()

    def _wrapped(self, text: str, indent: int, role: str = "", hanging: int = 4) -> list[str]:
        """``text`` (escaped) wrapped at spaces to the width, continuation lines
        indented ``hanging`` more."""
        lines = wrap(words(text), self.width - indent - hanging,
                     first=self.width - indent)
        out = [" " * indent + lines[0]] + [" " * (indent + hanging) + line
                                           for line in lines[1:]]
        return [self.style(role, line) for line in out] if role else out

    # -- records --

    def feed(self, item: SessionRecord) -> None:
        """Print one record of ``decode_h2``."""
        if isinstance(item, Located):
            record = item.record
            if isinstance(record, Frame):
                self._frame(item, record)
            elif isinstance(record, GrpcMessage):
                self._emit(self._grpc_message(record))
            elif isinstance(record, GrpcStatus):
                self._emit(self._grpc_status(record))
            elif isinstance(record, Preface):
                self._preface(item, record)
            elif isinstance(record, H2cUpgrade):
                self._emit(self._upgrade(record))
            else:
                self._diagnostic(item, record)
        elif isinstance(item, ConnectionStart):
            if item.conn.client is None:
                return  # a dump: one connection, nothing to say
            verdict = (f"HTTP/2 ({item.reason})" if item.http2
                       else carrier_text(item.reason) if item.tunnel
                       else f"not HTTP/2 ({item.reason}); skipped")
            self._emit(self._wrapped(connection_line(item.conn, verdict), 0, "heading"))
            self._heading_due = True
        elif isinstance(item, ConnectionEnd):
            if item.conn.client is None:
                if item.summary is not None:
                    from wiretool.render.h2_summary import dump_summary_lines

                    self._emit(dump_summary_lines(item.summary, self.width, self.style))
                return
            if item.http2:
                self._emit(self._wrapped(
                    f"{connection_title(item.conn)} ends ({item.reason}): {item.frames} "
                    f"frames, {item.messages} gRPC messages" + one_side(item), 0, "dim"))
                self._heading_due = True
        elif isinstance(item, CaptureDiagnostic):
            where = f"packet {item.packet_number}, " if item.packet_number else ""
            self._emit(self._diagnostic_lines(item, 0, f"{where}file offset {item.offset}: "))
        elif isinstance(item, CaptureSummary):
            return  # the frame view has no summary (``--summary`` shows it)

    @staticmethod
    def _time(item: Located) -> str:
        """Seconds since the connection's first packet (as ``nghttp -v`` counts from
        its connection's start; the ``conn`` column says which)."""
        if item.time_ns is None or item.conn.time_ns is None:
            return ""
        return f"{(item.time_ns - item.conn.time_ns) / 1e9:.6f}"

    def _where(self, item: Located) -> list[str]:
        """The packet, time and connection cells of a capture's record."""
        if not self.capture:
            return []
        packet = "" if item.packet_number is None else str(item.packet_number)
        return [packet, self._time(item), str(item.conn.conn_id)]

    # -- table --

    def _header_columns(self) -> None:
        """The nested header table's columns for this width."""
        fixed = 4 + 3 + 16 + 5 + 4 + 5 + (14 if self.wide else 10) + 8 * 2
        rest = self.width - fixed
        if self.wide:
            wire = min(max(rest * 45 // 100, 23), 71)
            wire -= (wire + 1) % 3  # whole bytes: "40 05 3a"
            name = min(max(rest * 20 // 100, 16), 32)
        else:
            wire = min(max(rest * 25 // 100, 11), 23)
            wire -= (wire + 1) % 3
            name = min(max(rest * 36 // 100, 20), 26)
        self.name_cells, self.wire_cells = name, wire
        self.value_cells = max(rest - name - wire, 16)
        self.table_cells = 14 if self.wide else 10

    def _heading(self) -> list[str]:
        cells = [pad(col.heading, col.cells, right=col.right) for col in self.columns]
        line = "  ".join([*cells, "summary"])
        return [self.style("columns", line), self.style("rule", "─" * self.width)]

    def _layout(self) -> None:
        """After the column widths changed: the format of a row's first line, the
        widths of its continuation lines, and the cells made so far."""
        columns = self.columns
        parts = []
        for col in columns:
            if col.heading in ("dir", "type", "flags"):
                parts.append("{}")  # padded (and styled) by ``_cell``
            else:
                parts.append("{:" + (">" if col.right else "<") + f"{col.cells}" + "}")
        self._format = "  ".join(parts) + "  "
        used = sum(col.cells for col in columns) + 2 * len(columns)
        self._summary_cells = max(self.width - used, 20)
        flag_at = columns.index(self._flags)
        self._flag_indent = " " * sum(col.cells + 2 for col in columns[:flag_at])
        self._after_flags = " " * (sum(col.cells + 2 for col in columns[flag_at + 1:]))
        self._cells: dict[tuple[str, str], str] = {}
        self._wrapped_cells: dict[tuple[str, int], list[str]] = {}

    def _cell(self, column: _Column, role: str, text: str) -> str:
        """A styled cell padded to its column (kept: a handful of directions, types)."""
        key = (column.heading, text)
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cells[key] = (self.style(role, text)
                                       + " " * (column.cells - width(text)))
        return cell

    def _lines(self, text: str, cells: int, separator: str) -> list[str]:
        """``text`` wrapped to ``cells`` at its words (items split at ``separator``),
        remembered: the same summaries and flags come again and again."""
        key = (text, cells)
        lines = self._wrapped_cells.get(key)
        if lines is None:
            if width(text) <= cells:
                lines = [text]
            else:
                tokens: list[str] = []
                parts = text.split(separator)
                for number, part in enumerate(parts):
                    part_words = words(part)
                    if number < len(parts) - 1:
                        part_words[-1] += separator
                    tokens += part_words
                lines = wrap(tokens, cells)
            if len(self._wrapped_cells) >= BLOCK_MEMO:
                self._wrapped_cells.clear()
            self._wrapped_cells[key] = lines
        return lines

    def _row(self, cells: list[str], flags: str, summary: str, type_role: str,
             direction: str) -> list[str]:
        """The lines of one frame row: ``cells`` are the columns' texts, ``flags``
        and ``summary`` the texts that wrap."""
        columns = self.columns
        out: list[str] = []
        flag_col = self._flags
        for col, cell in zip(columns, cells, strict=True):
            if len(cell) > col.cells and col is not flag_col:  # a wider number: widen
                col.cells = len(cell)
                self._layout()
                self._heading_due = True
        if self._heading_due:
            self._heading_due = False
            out += self._heading()
        flag_lines = self._lines(flags, flag_col.cells, " ")
        summary_lines = self._lines(summary, self._summary_cells, ", ")
        shown = list(cells)
        for index, col in enumerate(columns):
            heading = col.heading
            if heading == "dir":
                shown[index] = self._cell(col, direction, cells[index])
            elif heading == "type":
                shown[index] = self._cell(col, type_role, cells[index])
            elif heading == "flags":
                shown[index] = self._cell(col, "", flag_lines[0])
        out.append((self._format.format(*shown) + summary_lines[0]).rstrip())
        if len(flag_lines) > 1 or len(summary_lines) > 1:
            flag_cells = flag_col.cells
            for number in range(1, max(len(flag_lines), len(summary_lines))):
                flag = flag_lines[number] if number < len(flag_lines) else ""
                rest = summary_lines[number] if number < len(summary_lines) else ""
                out.append((self._flag_indent + pad(flag, flag_cells) + "  "
                            + self._after_flags + rest).rstrip())
        return out

    def _frame(self, item: Located, frame: Frame) -> None:
        direction = frame.direction or "?"
        type_name = frame.type_name
        role = type_name if not type_name.startswith("UNKNOWN") else "UNKNOWN"
        items = frame_items(frame)
        flags = " ".join(frame.flag_names) or "-"
        if self.stacked:
            lines = self._stacked_frame(item, frame, items, flags, role)
        else:
            body = frame.body
            summary = ", ".join([_item_text(one, body) for one in items])
            cells = [*self._where(item), direction, str(frame.offset), str(frame.stream_id),
                     type_name, flags, str(frame.length)]
            lines = self._row(cells, flags, summary, role, direction)
        if frame.diagnostics:
            for diag in frame.diagnostics:
                lines += self._diagnostic_lines(diag, 4)
        block = frame.header_block
        if block is not None:
            lines += self._block(item.conn.conn_id, block)
        self._emit(lines)

    def _preface(self, item: Located, preface: Preface) -> None:
        direction = preface.direction or "client"
        if self.stacked:
            plain = [*self._stacked_where(item), direction, f"offset {preface.offset}",
                     "PREFACE", f"length {preface.length}"]
            styled = [*plain[:-2], self.style("PREFACE", "PREFACE"), plain[-1]]
            styled[len(plain) - 4] = self.style(direction, direction)
            self._emit([*self._styled_words(plain, styled, 0), "    client connection preface"])
            return
        cells = [*self._where(item), direction, str(preface.offset), "", "PREFACE", "",
                 str(preface.length)]
        self._emit(self._row(cells, "", "client connection preface", "PREFACE", direction))

    # -- stacked --

    def _stacked_where(self, item: Located) -> list[str]:
        if not self.capture:
            return []
        where = [] if item.packet_number is None else [f"#{item.packet_number}"]
        time = self._time(item)
        return [*where, *([time] if time else []), f"conn {item.conn.conn_id}"]

    def _stacked_frame(self, item: Located, frame: Frame, items: list[Item], flags: str,
                       role: str) -> list[str]:
        style = self.style
        direction = frame.direction or "?"
        head = [*self._stacked_where(item), style(direction, direction),
                f"offset {frame.offset}", f"stream {frame.stream_id}",
                style(role, frame.type_name), *([] if flags == "-" else flags.split()),
                f"length {frame.length}"]
        plain = [*self._stacked_where(item), direction, f"offset {frame.offset}",
                 f"stream {frame.stream_id}", frame.type_name,
                 *([] if flags == "-" else flags.split()), f"length {frame.length}"]
        lines = self._styled_words(plain, head, 0)
        for label, value in items:
            lines += self._label_lines(label, value, 4)
        return lines

    def _styled_words(self, plain: list[str], styled: list[str], indent: int) -> list[str]:
        """Tokens wrapped by their plain width (continuation lines 4 further in), each
        printed as its styled twin."""
        out: list[str] = []
        line: list[str] = []
        start = used = indent
        for text, shown in zip(plain, styled, strict=True):
            size = width(text)
            if line and used + 1 + size > self.width:
                out.append(" " * start + " ".join(line))
                line, start = [], indent + 4
                used = start
            used += size + (1 if line else 0)
            line.append(shown)
        out.append(" " * start + " ".join(line))
        return out

    def _label_lines(self, label: str, value: str, indent: int, role: str = "") -> list[str]:
        """``label: value``, the value wrapped under itself (or 4 further in when the
        label is long)."""
        head = f"{label}: " if label else ""
        start = indent + width(head)
        hang = start if start <= self.width // 3 else indent + 4
        lines = wrap_text(value, self.width - hang, first=self.width - start)
        shown_label = self.style(role, head) if role and head else head
        return ([" " * indent + shown_label + lines[0]]
                + [" " * hang + line for line in lines[1:]])

    # -- header blocks --

    def header_block(self, block: HeaderBlock, title: str,
                     explained: list[str] | None = None) -> None:
        """Print one header block as the frame view draws a HEADERS frame's — ``title``,
        the column headings on a wide terminal, its fields, ``explained`` (lines that
        explain each field), its diagnostics and, with ``hpack_table``, the dynamic
        table after it: ``wiretool hpack``'s view."""
        lines = self._wrapped(title, 0, "heading")
        if not self.stacked:
            lines += self._block_heading()
        lines += self._block_text(block.fields)
        lines += explained or []
        for diag in block.diagnostics:
            lines += self._diagnostic_lines(diag, 4)
        if self.hpack_table:
            lines += self._dynamic_table(block)
        self._emit(lines)

    def wrapped(self, text: str, indent: int) -> list[str]:
        """``text`` (escaped) wrapped at spaces to the view's width."""
        return self._wrapped(text, indent)

    def _block(self, conn_id: int, block: HeaderBlock) -> list[str]:
        lines: list[str] = []
        if not self.stacked and conn_id not in self._blocks_shown:
            self._blocks_shown.add(conn_id)
            lines += self._block_heading()
        fields = block.fields
        shown = self._memo.get(fields)
        if shown is None:
            shown = self._block_text(fields)
            self._memo.seen(fields, shown)
        lines += shown
        for diag in block.diagnostics:
            lines += self._diagnostic_lines(diag, 4)
        if self.hpack_table:
            lines += self._dynamic_table(block)
        return lines

    def _block_heading(self) -> list[str]:
        cells = [pad("#", 3, right=True), pad("repr", 16), pad("index", 5, right=True),
                 pad("huff", 4), pad("name", self.name_cells), pad("value", self.value_cells),
                 pad("size", 5, right=True), pad("wire", self.wire_cells), "table"]
        line = "    " + "  ".join(cells)
        return [self.style("columns", line),
                "    " + self.style("rule", "─" * (self.width - 4))]

    def _block_text(self, fields: tuple[HeaderField, ...]) -> list[str]:
        out: list[str] = []
        memo = self._fields
        prefixes = self._prefixes
        stacked = self.stacked
        number = 0
        count = len(fields)
        while number < count:
            field = fields[number]
            if not field.expanded and field.representation is not Representation.SIZE_UPDATE:
                # Past --max-header-list-size: one line for the whole run, so a
                # reference bomb (one entry indexed 60,000 times) costs one line.
                end = number
                while end < count and not fields[end].expanded:
                    end += 1
                wire = sum(len(f.wire) for f in fields[number:end])
                numbers = f"{number}-{end - 1}" if end - number > 1 else str(number)
                out.append(self.style("dim", f"    {numbers:>3}  {end - number} field(s) past "
                                      f"the header list limit, {wire} wire bytes: counted, not "
                                      "expanded (--max-header-list-size)"))
                number = end
                continue
            # What a row shows depends on these alone (the representation, index and
            # Huffman flags are in the wire bytes), not on the field's position.
            key = (field.wire, field.name, field.value, field.inserted, len(field.evicted))
            text = memo.get(key)
            if text is None:
                if stacked:
                    text = "\n".join(self._stacked_field(field))
                else:
                    lines = self._field_row(field)
                    text = lines[0] + "".join(f"\n    {'':>3}  {line}" for line in lines[1:])
                if len(memo) >= BLOCK_MEMO * 4:
                    memo.clear()
                memo[key] = text
            out.append(text if stacked else
                       (prefixes[number] if number < len(prefixes) else f"    {number:>3}  ")
                       + text)
            number += 1
        return out

    def _field_texts(self, field: HeaderField) -> tuple[str, str, str]:
        """(name, value, role of the name) of a header field, escaped."""
        if field.representation is Representation.SIZE_UPDATE:
            return "(table size update)", "", "dim"
        if field.unknown_entry and field.name is None:
            if field.representation is Representation.INDEXED:
                return "?", f"dynamic entry {field.index} unknown (not in the capture)", "warn"
            value = escape_bytes(field.value) if field.value is not None else "?"
            return f"? (name of dynamic entry {field.index} unknown)", value, "warn"
        name = "?" if field.name is None else escape_bytes(field.name)
        value = "?" if field.value is None else escape_bytes(field.value)
        return name, value, "name"

    def _value_lines(self, name: str, value: str, cells: int, first: int | None = None
                     ) -> list[str]:
        lines = wrap_text(value, cells, first=first)
        if len(lines) > VALUE_LINES:
            lines = lines[:VALUE_LINES]
            lines[-1] = cut_right(lines[-1] + "  ", cells - 1).rstrip("…") + "…"
        return lines

    def _field_row(self, field: HeaderField) -> list[str]:
        """The lines of one header's row (without its ``#`` cell)."""
        name, value, role = self._field_texts(field)
        name_cells, value_cells, wire_cells = self.name_cells, self.value_cells, self.wire_cells
        names = [name if width(name) <= name_cells else cut_left(name, name_cells)]
        values = self._value_lines(name, value, value_cells)
        effects = wrap(words(_effect_text(field)), self.table_cells)
        rows = max(len(names), len(values), len(effects))
        per_line = (wire_cells + 1) // 3
        wire = field.wire
        if self.wide:
            rows = max(rows, -(-len(wire) // per_line))
        wires = [wire[i:i + per_line].hex(" ") for i in range(0, len(wire), per_line)][:rows]
        if len(wire) > per_line * rows and wires:
            last = wires[-1]
            wires[-1] = last[: len(last) - 3] + " …" if len(last) > 3 else "…"
        size = "" if field.size is None else str(field.size)
        style = self.style
        out = []
        for line in range(rows):
            name_text = names[line] if line < len(names) else ""
            cells = [
                pad(field.representation.value if line == 0 else "", 16),
                pad(_index_text(field) if line == 0 else "", 5, right=True),
                pad(_huffman_text(field) if line == 0 else "", 4),
                style(role, name_text) + " " * (name_cells - width(name_text)),
                pad(values[line] if line < len(values) else "", value_cells),
                pad(size if line == 0 else "", 5, right=True),
                pad(wires[line] if line < len(wires) else "", wire_cells),
                effects[line] if line < len(effects) else "",
            ]
            out.append("  ".join(cells).rstrip())
        return out

    def _stacked_field(self, field: HeaderField) -> list[str]:
        """``name: value`` and, dim, how HPACK sent it (after the value when it fits)."""
        name, value, role = self._field_texts(field)
        detail = [field.representation.value]
        index = _index_text(field)
        detail.append(f"index {index}" if index != "-" else "new name")
        huffman = _huffman_text(field)
        if huffman not in ("-",):
            detail.append("raw" if huffman == "no" else f"huffman {huffman}")
        if field.size is not None:
            detail.append(f"size {field.size}")
        effect = _effect_text(field)
        if effect:
            detail.append(effect)
        detail_text = ", ".join(detail)
        indent = 4
        head = f"{name}: " if name else ""
        styled_head = self.style(role, head.rstrip(" ")) + " " if head else ""
        if width(head) > self.width // 2:  # a long name: alone on its line, the value under it
            lines = [" " * indent + self.style(role, cut_left(name, self.width - indent))]
            values = self._value_lines(name, value, self.width - indent - 8)
            lines += [" " * (indent + 8) + v for v in values]
        else:
            start = indent + width(head)
            hang = start if start <= self.width // 3 else indent + 4
            values = self._value_lines(name, value, self.width - hang,
                                       first=self.width - start)
            lines = [" " * indent + styled_head + values[0]]
            lines += [" " * hang + v for v in values[1:]]
        wire = f"wire {field.wire.hex(' ')}"
        room = self.width - indent - 4
        end = (indent + width(head) + width(values[0])) if len(values) == 1 else None
        if end is not None and end + 2 + width(detail_text) + 2 + width(wire) <= self.width:
            lines[-1] += "  " + self.style("dim", f"{detail_text}, {wire}")
            return lines
        if end is not None and end + 2 + width(detail_text) <= self.width:
            lines[-1] += "  " + self.style("dim", detail_text)
            tail = wire
        else:
            tail = f"{detail_text}, {wire}"
        if width(tail) > room:  # whole bytes, then an ellipsis
            tail = tail[: max(room - 2, 0)].rsplit(" ", 1)[0] + " …"
        lines.append(" " * (indent + 4) + self.style("dim", tail))
        return lines

    def _dynamic_table(self, block: HeaderBlock) -> list[str]:
        lines = self._wrapped(
            f"dynamic table after the block: {len(block.table)} entries, {block.table_size}/"
            f"{block.table_max_size} bytes; {block.insertions} inserted, {block.evictions} "
            "evicted" + (" (older entries from before the capture may exist)"
                         if block.table_incomplete else ""), 4, "dim")
        for i, entry in enumerate(block.table):
            name = "?" if entry.name is None else escape_bytes(entry.name)
            value = escape_bytes(entry.value)
            lines += self._label_lines(f"{62 + i:>5} {entry.size:>5}  {name}", value, 4)
        return lines

    # -- gRPC, diagnostics, upgrade --

    def _grpc_message(self, message: GrpcMessage, indent: int = 4) -> list[str]:
        arrow = "→" if message.direction is Direction.CLIENT else "←"
        parts = [f"gRPC message {message.index + 1} {arrow} "
                 f"{escape_text(message.path or '?')}"]
        if message.compressed:
            size = "?" if message.data is None else str(len(message.data))
            parts.append(f"{message.encoding or 'compressed'} {message.length} → {size} bytes")
        else:
            parts.append(f"{message.length} bytes")
        if message.type_name:
            parts.append(message.type_name)
        parts.append(f"prefix at offset {message.offset}")
        lines = self._wrapped(", ".join(parts), indent, "grpc")
        lines += self._tree(message.message, indent + 2)
        for diag in message.diagnostics:
            lines += self._diagnostic_lines(diag, indent + 2)
        return lines

    def _grpc_status(self, status: GrpcStatus, indent: int = 4) -> list[str]:
        code = "?" if status.code is None else str(status.code)
        if status.code_unknown is not None:
            head, role = f"gRPC status unknown ({status.code_unknown})", "warn"
        else:
            head = f"gRPC status {code} {status.name or '(unknown code)'}"
            role = "ok" if status.code == 0 else "fail"
        text = head + (": " + escape_text(status.message) if status.message else "")
        lines = wrap(words(text), self.width - indent - 4, first=self.width - indent)
        first = lines[0]
        shown = self.style(role, first[: len(head)]) + first[len(head):]
        out = [" " * indent + shown] + [" " * (indent + 4) + line for line in lines[1:]]
        if status.details is not None:
            out += self._wrapped("grpc-status-details-bin: google.rpc.Status", indent + 2,
                                 "field")
            out += self._tree(status.details, indent + 2)
        for diag in status.diagnostics:
            out += self._diagnostic_lines(diag, indent + 2)
        return out

    def _tree(self, message: Message | None, indent: int) -> list[str]:
        """The fields of a decoded message as an indented tree (decode's readings)."""
        from wiretool.render.protobuf_values import describe_also, describe_value

        if message is None:
            return []
        out: list[str] = []
        style = self.style

        def walk(fields: tuple[Field, ...], depth: int) -> None:
            for field in fields:
                label = (f"{field.schema.name} = {field.number}" if field.schema is not None
                         else str(field.number))
                kind = (field.schema.type.rsplit(".", 1)[-1] if field.schema is not None
                        else field.kind.value)
                lead = f"{field.offset:>5} {'  ' * depth}"
                start = indent + width(lead)
                value = describe_value(field, max(self.width - start - 24, 24))
                also = describe_also(field)
                text = f"{label}  {kind}  {value}" + (f"   {also}" if also else "")
                room = self.width - start
                if width(text) <= room:
                    line = (" " * indent + style("dim", lead[:6]) + lead[6:]
                            + style("field", label) + f"  {kind}  {value}"
                            + (f"   {style('dim', also)}" if also else ""))
                    out.append(line)
                else:
                    tokens = words(f"{label}  {kind}  {value}   ")
                    lines = wrap(tokens + (joined(also.split(", ")) if also else []),
                                 room - 4, first=room)
                    out.append(" " * indent + style("dim", lead[:6]) + lead[6:] + lines[0])
                    out.extend(" " * (start + 4) + line for line in lines[1:])
                if field.fields:
                    walk(field.fields, depth + 1)

        walk(message.fields, 0)
        if message.unparsed is not None:
            out.append(style("fail", cut_right(
                " " * indent + f"{message.unparsed.offset:>5} unparsed "
                f"{message.unparsed.data.hex(' ')}", self.width)))
        return out

    def _diagnostic_lines(self, diag: Diagnostic, indent: int, where: str = "") -> list[str]:
        """``severity: message`` in the severity's colour, wrapped under itself."""
        role = _SEVERITY[diag.severity]
        head = f"{where}{diag.severity.value}: "
        text = head + escape_bytes(diag.message.encode())
        lines = wrap(words(text), self.width - indent - 4, first=self.width - indent)
        first = lines[0]
        out = [" " * indent + first[: len(where)]
               + self.style(role, first[len(where): len(head)]) + first[len(head):]]
        return out + [" " * (indent + 4) + line for line in lines[1:]]

    def _diagnostic(self, item: Located, record: object) -> None:
        if not isinstance(record, Diagnostic):
            return
        where = ""
        if isinstance(record, H2Diagnostic | TlsDiagnostic) and record.direction:
            where = f"[{record.direction}] "
        if self.capture and item.packet_number is not None:
            where += f"packet {item.packet_number}: "
        if isinstance(record, TlsDiagnostic):
            where += "TLS "
        self._emit(self._diagnostic_lines(record, 0, where))

    def _upgrade(self, record: H2cUpgrade) -> list[str]:
        body = record.settings.body if record.settings is not None else None
        settings = body.settings if isinstance(body, Settings) else None
        return self._wrapped(
            f"HTTP/1.1 {escape_text(record.method)} {escape_text(record.path)} with Upgrade: "
            f"h2c ({record.request_length} bytes), answered 101 ({record.response_length} "
            "bytes); HTTP2-Settings = client SETTINGS "
            + (", ".join(f"{s.name}={s.value}" for s in settings) if settings else "-"), 4)
