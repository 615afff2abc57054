"""Rich table view of ``h2-frames`` and ``hpack``: frames, header blocks, dynamic tables.

Frames are printed in batches of tables with fixed column widths, so output
starts before the input ends and memory does not grow with the input. Under a
frame that completes a header block comes a nested table with one row per HPACK
representation. Every value from the wire goes through ``wiretool.render.escape``
and into a ``rich.text.Text``: no markup is ever interpreted. This module only
reads the model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import IO

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from wiretool.capture.model import CaptureDiagnostic
from wiretool.direction import Direction
from wiretool.errors import Diagnostic, Severity
from wiretool.grpc.messages import GrpcMessage, GrpcRecord, GrpcStatus
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
    Record,
    RstStream,
    Settings,
    Unknown,
    WindowUpdate,
)
from wiretool.http2.hpack import HeaderBlock, HeaderField, Representation
from wiretool.protobuf.model import Field, Message
from wiretool.render.escape import escape_bytes, shorten
from wiretool.session.records import (
    ConnectionEnd,
    ConnectionInfo,
    ConnectionStart,
    H2cUpgrade,
    Located,
    SessionRecord,
)
from wiretool.session.summary import StreamRow, Summary, Totals
from wiretool.tls.keylog import KeySource
from wiretool.tls.model import TlsDiagnostic, TlsSummary

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
    _BODY_SUMMARY[type(frame.body)](parts, frame)
    block = frame.header_block
    if block is not None:
        ratio = block.ratio
        parts.append(
            f"header block: {block.wire_length} wire → {block.decoded_length} decoded bytes"
            + ("" if ratio is None else f" ({ratio:.0%})")
        )
    return ", ".join(parts)


def _pad(parts: list[str], pad_length: int | None) -> None:
    if pad_length is not None:
        parts.append(f"pad {pad_length}")


def _depends(parts: list[str], body: Headers | Priority) -> None:
    if body.stream_dependency is not None:
        parts.append(f"depends on {body.stream_dependency}"
                     f"{' exclusive' if body.exclusive else ''}, weight {body.weight}")


def _fragment(parts: list[str], fragment: bytes | None) -> None:
    if fragment is not None:
        parts.append(f"fragment {len(fragment)} bytes")


def _data_summary(parts: list[str], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Data
    _pad(parts, body.pad_length)
    if body.data is not None:
        parts.append(f"{body.data_length} data bytes {_show(body.data, 24)!s}")


def _headers_summary(parts: list[str], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Headers
    _pad(parts, body.pad_length)
    _depends(parts, body)
    _fragment(parts, body.fragment)


def _priority_summary(parts: list[str], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Priority
    _depends(parts, body)


def _rst_stream_summary(parts: list[str], frame: Frame) -> None:
    body = frame.body
    assert type(body) is RstStream
    if body.error_code is not None:
        parts.append(c.error_name(body.error_code))


def _settings_summary(parts: list[str], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Settings
    if body.settings is not None:
        if frame.flags & c.ACK:
            parts.append("ACK")
        parts += [f"{s.name}={s.value}" for s in body.settings]


def _push_promise_summary(parts: list[str], frame: Frame) -> None:
    body = frame.body
    assert type(body) is PushPromise
    _pad(parts, body.pad_length)
    if body.promised_stream_id is not None:
        parts.append(f"promised stream {body.promised_stream_id}")
    _fragment(parts, body.fragment)


def _ping_summary(parts: list[str], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Ping
    if body.opaque_data is not None:
        parts.append(f"opaque {body.opaque_data.hex()}")


def _goaway_summary(parts: list[str], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Goaway
    if body.error_code is not None:
        parts.append(f"last stream {body.last_stream_id}")
        parts.append(c.error_name(body.error_code))
    if body.debug_data:
        parts.append(f"debug {_show(body.debug_data, 40)}")


def _window_update_summary(parts: list[str], frame: Frame) -> None:
    body = frame.body
    assert type(body) is WindowUpdate
    if body.window_size_increment is not None:
        parts.append(f"increment {body.window_size_increment}")


def _continuation_summary(parts: list[str], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Continuation
    _fragment(parts, body.fragment)


def _altsvc_summary(parts: list[str], frame: Frame) -> None:
    body = frame.body
    assert type(body) is AltSvc
    if body.origin is not None:
        parts.append(f"origin {_show(body.origin, 40)}")
    if body.field_value is not None:
        parts.append(_show(body.field_value, 60))


def _origin_summary(parts: list[str], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Origin
    if body.origins is not None:
        parts += [_show(o, 40) for o in body.origins]


def _priority_update_summary(parts: list[str], frame: Frame) -> None:
    body = frame.body
    assert type(body) is PriorityUpdate
    if body.prioritized_stream_id is not None:
        parts.append(f"stream {body.prioritized_stream_id}")
    if body.field_value is not None:
        parts.append(_show(body.field_value, 60))


def _unknown_summary(parts: list[str], frame: Frame) -> None:
    parts.append(f"payload {shorten(frame.payload.hex(), 48)}")


_BODY_SUMMARY: dict[type[FrameBody], Callable[[list[str], Frame], None]] = {
    Data: _data_summary, Headers: _headers_summary, Priority: _priority_summary,
    RstStream: _rst_stream_summary, Settings: _settings_summary,
    PushPromise: _push_promise_summary, Ping: _ping_summary, Goaway: _goaway_summary,
    WindowUpdate: _window_update_summary, Continuation: _continuation_summary,
    AltSvc: _altsvc_summary, Origin: _origin_summary,
    PriorityUpdate: _priority_update_summary, Unknown: _unknown_summary,
}
"""The summary column of a frame's row, one function per body record."""


def _frames_table(first: bool, capture: bool = False) -> Table:
    # Same fixed widths in every batch, and expand=True so the summary column takes the
    # rest of the line: the batches read as one table.
    table = Table(box=box.SIMPLE_HEAD, show_header=first, show_edge=False, pad_edge=False,
                  padding=(0, 1), expand=True)
    if capture:
        table.add_column("packet", justify="right", width=6, no_wrap=True)
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
    fields = block.fields
    number = 0
    while number < len(fields):
        field = fields[number]
        if not field.expanded and field.representation is not Representation.SIZE_UPDATE:
            # Past --max-header-list-size: one row for the whole run, so a reference
            # bomb (one entry indexed 60,000 times) costs one row, not 60,000.
            end = number
            while end < len(fields) and not fields[end].expanded:
                end += 1
            wire = sum(len(f.wire) for f in fields[number:end])
            table.add_row(
                Text(f"{number}-{end - 1}" if end - number > 1 else str(number)),
                Text("…"), Text(""), Text(""),
                Text(f"{end - number} field(s) past the header list limit", style="dim"),
                Text("counted, not expanded (--max-header-list-size)", style="dim"),
                Text(""), Text(f"{wire} bytes"), Text(""),
            )
            number = end
            continue
        name: Text
        value: Text
        if field.representation is Representation.SIZE_UPDATE:
            name, value = Text("(table size update)", style="dim"), Text("")
        elif field.unknown_entry and field.name is None:
            name = Text("?", style="yellow")
            if field.representation is Representation.INDEXED:
                value = Text(f"dynamic entry {field.index} unknown (not in the capture)",
                             style="yellow")
            else:
                name = Text(f"? (name of dynamic entry {field.index} unknown)", style="yellow")
                value = Text(_show(field.value) if field.value is not None else "?")
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
        number += 1
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


def _grpc_tree(console: Console, message: Message | None, indent: int) -> None:
    """The fields of a decoded message as an indented tree (decode's readings)."""
    from wiretool.render.protobuf_values import describe_also, describe_value

    if message is None:
        return
    width = max(console.width - indent, 40)

    def walk(fields: tuple[Field, ...], depth: int) -> None:
        for field in fields:
            label = (f"{field.schema.name} = {field.number}" if field.schema is not None
                     else str(field.number))
            kind = (field.schema.type.rsplit(".", 1)[-1] if field.schema is not None
                    else field.kind.value)
            also = describe_also(field)
            line = Text(" " * indent)
            line.append(f"{field.offset:>5} ", style="dim")
            line.append(f"{'  ' * depth}{label}", style="cyan")
            line.append(f"  {kind}  ")
            line.append(describe_value(field, max(width - 40, 24)))
            if also:
                line.append(f"   {also}", style="dim")
            line.truncate(console.width, overflow="ellipsis")
            console.print(line, no_wrap=True, overflow="ellipsis")
            if field.fields:
                walk(field.fields, depth + 1)

    walk(message.fields, 0)
    if message.unparsed is not None:
        console.print(Text(" " * indent + f"{message.unparsed.offset:>5} unparsed "
                           f"{shorten(message.unparsed.data.hex(' '), 48)}", style="red"))


def render_grpc_message(console: Console, message: GrpcMessage, indent: int = 4) -> None:
    """A gRPC message under the DATA frame that completed it: heading, then the tree."""
    arrow = "→" if message.direction is Direction.CLIENT else "←"
    parts = [f"gRPC message {message.index + 1} {arrow} {_show((message.path or '?').encode())}"]
    if message.compressed:
        size = "?" if message.data is None else str(len(message.data))
        parts.append(f"{message.encoding or 'compressed'} {message.length} → {size} bytes")
    else:
        parts.append(f"{message.length} bytes")
    if message.type_name:
        parts.append(message.type_name)
    parts.append(f"prefix at offset {message.offset}")
    console.print(Text(" " * indent + ", ".join(parts), style="bold cyan"))
    _grpc_tree(console, message.message, indent + 2)
    for diag in message.diagnostics:
        console.print(_diagnostic_text(diag, indent + 2))


def render_grpc_status(console: Console, status: GrpcStatus, indent: int = 4) -> None:
    code = "?" if status.code is None else str(status.code)
    text = Text(" " * indent)
    if status.code_unknown is not None:
        text.append(f"gRPC status unknown ({status.code_unknown})", style="bold yellow")
    else:
        text.append(f"gRPC status {code} {status.name or '(unknown code)'}",
                    style="bold green" if status.code == 0 else "bold red")
    if status.message:
        text.append(": " + escape_bytes(status.message.encode()))
    console.print(text)
    if status.details is not None:
        console.print(Text(" " * (indent + 2) + "grpc-status-details-bin: google.rpc.Status",
                           style="cyan"))
        _grpc_tree(console, status.details, indent + 2)
    for diag in status.diagnostics:
        console.print(_diagnostic_text(diag, indent + 2))


def connection_title(conn: ConnectionInfo) -> str:
    """How a connection is named in every heading: ``connection N: client → server``
    (N is Wireshark's ``tcp.stream`` + 1), then the tunnels its packets came through when
    there are any (``over vlan 100 / ipv4 / gre / erspan-ii / eth / ipv4``), and the
    CONNECT tunnel it runs in (``inside CONNECT host:443``)."""
    title = str(conn)
    if conn.path is not None and not conn.path.plain:
        title += f" over {conn.path}"
    if conn.inside is not None:
        title += f", inside {conn.inside}"
    return title


def _one_side(end: ConnectionEnd) -> str:
    """``; no bytes from the server in the capture`` when an HTTP/2 connection's capture
    holds one side only (else nothing)."""
    from wiretool.http2.detect import one_side_text

    if end.client_bytes and not end.server_bytes:
        return "; " + one_side_text("server")
    if end.server_bytes and not end.client_bytes:
        return "; " + one_side_text("client")
    return ""


def _carrier_text(reason: str) -> str:
    """The verdict of a connection that carries a CONNECT tunnel."""
    return f"{reason}: a tunnel, read as the connection inside it"


def tls_text(tls: TlsSummary) -> str:
    """What a TLS connection's handshake says, for its connection line (frame list and
    ``--summary``): ``TLS 1.3 TLS_AES_128_GCM_SHA256, SNI api.example, ALPN h2,
    decrypted (key log)``."""
    parts = [f"{tls.version} {tls.cipher_suite}" if tls.version is not None
             else "TLS (no ServerHello)"]
    if tls.sni is not None:
        parts.append(f"SNI {escape_bytes(tls.sni.encode())}")
    offered = escape_bytes(", ".join(tls.offered_alpn).encode())
    if tls.alpn is not None:
        parts.append(f"ALPN {escape_bytes(tls.alpn.encode())}")
    elif tls.decrypted or tls.version is None or tls.version != "TLS 1.3":
        parts.append(f"no ALPN (offered: {offered})" if offered else "no ALPN")
    else:  # TLS 1.3 says it in EncryptedExtensions
        parts.append(f"ALPN encrypted (offered: {offered})" if offered else "no ALPN offered")
    if tls.decrypted:
        parts.append("decrypted (" + ("Decryption Secrets Block" if tls.key_source is
                                      KeySource.DSB else "key log") + ")")
    else:
        parts.append("not decrypted")
    return ", ".join(parts)


def connection_line(conn: ConnectionInfo, verdict: str) -> str:
    """``connection N: client → server  [TLS ...; ]verdict``."""
    if conn.tls is None:
        return f"{connection_title(conn)}  {verdict}"
    return f"{connection_title(conn)}  {tls_text(conn.tls)}; {verdict}"


def render_frames(
    console: Console, records: Iterable[Record | SessionRecord | GrpcRecord], *,
    hpack_table: bool = False, capture: bool = False,
) -> None:
    """Print records as they come: frame rows, nested header tables, gRPC messages as
    trees, diagnostics. With ``capture``, records are a capture session's: connection
    headings, and a packet column; else those of a connection dump, whose totals
    (``--summary``) come last."""
    table = _frames_table(first=True, capture=capture)
    rows = 0
    current: int | None = None

    def flush(first: bool = False) -> None:
        nonlocal table, rows
        if rows:
            console.print(table)
        table = _frames_table(first=first, capture=capture)
        rows = 0

    for item in records:
        packet: list[Text] = []
        record: object = item
        if not capture:  # a connection dump: its records, then its totals
            if isinstance(item, Located):
                record = item.record
            elif isinstance(item, ConnectionEnd):
                if item.summary is not None:
                    flush()
                    render_summary(console, item.summary)
                continue
            else:
                continue
        elif isinstance(item, ConnectionStart):
            flush(first=True)
            current = item.conn.conn_id
            verdict = (f"HTTP/2 ({item.reason})" if item.http2
                       else _carrier_text(item.reason) if item.tunnel
                       else f"not HTTP/2 ({item.reason}); skipped")
            console.print(Text(connection_line(item.conn, verdict), style="bold"))
            continue
        if isinstance(item, ConnectionEnd):
            if item.http2:
                flush(first=True)
                console.print(Text(f"{connection_title(item.conn)} ends ({item.reason}): "
                                   f"{item.frames} frames, {item.messages} gRPC messages"
                                   + _one_side(item), style="dim"))
                current = None
            continue
        if isinstance(item, CaptureDiagnostic):
            flush()
            where = (f"packet {item.packet_number}, " if item.packet_number else "")
            console.print(Text(f"{where}file offset {item.offset}: ")
                          + _diagnostic_text(item, 0))
            continue
        if capture and isinstance(item, Located):
            if item.conn.conn_id != current:
                flush(first=True)
                current = item.conn.conn_id
                console.print(Text(f"{connection_title(item.conn)} (continued)", style="bold"))
            packet = [Text("" if item.packet_number is None else str(item.packet_number))]
            record = item.record
        if isinstance(record, Preface):
            table.add_row(*packet, Text(str(record.offset)), Text(record.direction or "?"),
                          Text(""), Text("PREFACE"), Text(""), Text(str(record.length)),
                          Text("client connection preface"))
            rows += 1
        elif isinstance(record, Frame):
            table.add_row(
                *packet,
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
        elif isinstance(record, GrpcMessage):
            flush()
            render_grpc_message(console, record)
        elif isinstance(record, GrpcStatus):
            flush()
            render_grpc_status(console, record)
        elif isinstance(record, H2cUpgrade):
            flush()
            body = record.settings.body if record.settings is not None else None
            settings = body.settings if isinstance(body, Settings) else None
            console.print(Text(
                f"    HTTP/1.1 {record.method} {record.path} with Upgrade: h2c "
                f"({record.request_length} bytes), answered 101 ({record.response_length} "
                "bytes); HTTP2-Settings = client SETTINGS "
                + (", ".join(f"{s.name}={s.value}" for s in settings) if settings else "-")))
        elif isinstance(record, Diagnostic):
            flush()
            direction = (record.direction if isinstance(record, H2Diagnostic | TlsDiagnostic)
                         else None)
            text = _diagnostic_text(record, 0)
            if isinstance(record, TlsDiagnostic):
                text = Text("TLS ") + text
            if packet and packet[0].plain:
                text = Text(f"packet {packet[0].plain}: ") + text
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


def _duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


_SUMMARY_COLUMNS = (("id", True), ("method", False), (":path", False), ("status", False),
                    ("msg→", True), ("bytes→", True), ("msg←", True), ("bytes←", True),
                    ("frames", True), ("time", True))
"""The stream table of ``--summary``: (heading, right-aligned)."""
_PATH = 2
_SUMMARY_CHUNK = 2000
"""Rows printed per ``console.print``."""


def _stream_cells(compact: StreamRow) -> list[str]:
    """The cells of one stream's row (the path unshortened, already escaped)."""
    from wiretool.render.h2_jsonl import stream_row

    row = stream_row(compact)
    grpc = row["grpc"]
    if grpc and row["grpc_status"] is not None:
        status = f"{row['grpc_status_name'] or row['grpc_status']}"
    else:
        status = row["status"] or "-"
    path = row["path"]
    return [
        str(compact.stream_id), row["method"] or "-",
        "-" if path is None else escape_bytes(path.encode()), status,
        str(row["client_messages"]) if grpc else "-",
        str(row["client_message_bytes"] if grpc else row["client_data_bytes"]),
        str(row["server_messages"]) if grpc else "-",
        str(row["server_message_bytes"] if grpc else row["server_data_bytes"]),
        str(row["client_frames"] + row["server_frames"]),
        _duration_text(row["duration"]),
    ]


def render_summary_records(console: Console, records: Iterable[object]) -> None:
    """``--summary`` on a capture: of a capture's records, each connection's summary
    (``render_connection_summary``) and the capture's diagnostics; nothing else."""
    for record in records:
        if isinstance(record, ConnectionEnd):
            render_connection_summary(console, record)
        elif isinstance(record, CaptureDiagnostic):
            render_frames(console, [record], capture=True)


def render_connection_summary(console: Console, end: ConnectionEnd) -> None:
    """``--summary`` on a capture: one block per connection, one row per stream.

    The stream table is laid out here as fixed-width lines, printed a few thousand
    at a time: a load test has a hundred thousand streams, and a rich ``Table``
    measures every cell of every row (60x slower). The path column is narrowed to
    fit the console (paths are then shortened with an ellipsis).
    """
    if end.tunnel is not None:
        console.print(Text(connection_line(end.conn, f"{_carrier_text(end.reason)} "
                                           f"({end.client_bytes} + {end.server_bytes} bytes)"),
                           style="dim"))
        return
    if not end.http2:
        console.print(Text(connection_line(end.conn, f"not HTTP/2: {end.reason}; skipped "
                                           f"({end.client_bytes} + {end.server_bytes} bytes)"),
                           style="dim"))
        return
    console.print(Text(connection_line(end.conn, f"HTTP/2 ({end.evidence}); {end.reason}; "
                                       f"{end.client_bytes} bytes →, {end.server_bytes} "
                                       "bytes ←" + _one_side(end)), style="bold"))
    summary = end.summary
    rows = [_stream_cells(compact) for compact in end.rows]
    widths = [max([len(name)] + [cell_len(row[i]) for row in rows])
              for i, (name, _right) in enumerate(_SUMMARY_COLUMNS)]
    others = sum(widths) - widths[_PATH] + 3 * (len(widths) - 1)
    widths[_PATH] = max(min(widths[_PATH], 60, console.width - others), len(":path"))

    def line(cells: list[str]) -> str:
        out = []
        for cell, width, (_name, right) in zip(cells, widths, _SUMMARY_COLUMNS, strict=True):
            pad = " " * (width - cell_len(cell))
            out.append(pad + cell if right else cell + pad)
        return "   ".join(out).rstrip()

    console.print(Text(line([name for name, _right in _SUMMARY_COLUMNS]), style="bold"),
                  soft_wrap=True)
    console.print(Text("─" * sum(widths) + "─" * 3 * (len(widths) - 1), style="dim"),
                  soft_wrap=True)
    for start in range(0, len(rows), _SUMMARY_CHUNK):
        chunk = rows[start : start + _SUMMARY_CHUNK]
        for row in chunk:
            row[_PATH] = shorten(row[_PATH], widths[_PATH])
        console.print(Text("\n".join(line(row) for row in chunk)), soft_wrap=True)
    if summary is None:
        return
    for direction in (Direction.CLIENT, Direction.SERVER):
        totals = summary.directions.get(direction)
        if totals is None:
            continue
        ratio = totals.hpack_ratio
        frames = ", ".join(f"{name} {count}" for name, count in sorted(totals.frames.items()))
        console.print(Text(
            f"  {direction} HPACK: {totals.hpack_wire_bytes} bytes on the wire for "
            f"{totals.hpack_decoded_bytes} decoded" + ("" if ratio is None else f" ({ratio:.0%})")
            + f", {totals.header_blocks} header block"
            + ("" if totals.header_blocks == 1 else "s")))
        console.print(Text(f"  {direction} frames: {frames}"))
    console.print()


def render_h2(console: Console, records: Iterable[SessionRecord], *, capture: bool,
              summary: bool = False, hpack_table: bool = False) -> None:
    """``h2-frames --format table``: the frame list, or a capture's ``--summary``."""
    if capture and summary:
        render_summary_records(console, records)
    else:
        render_frames(console, records, hpack_table=hpack_table, capture=capture)


def summary_renderer(parent: Console) -> Callable[[list[SessionRecord]], str]:
    """The ``--summary`` table of a few records of a capture, as ``parent`` would print
    it (a ``--jobs`` worker renders with it)."""
    import io

    text = io.StringIO()
    console = console_like(parent, text)

    def render(items: list[SessionRecord]) -> str:
        render_summary_records(console, items)
        shown = text.getvalue()
        text.seek(0)
        text.truncate()
        return shown

    return render


def console_like(console: Console, file: IO[str]) -> Console:
    """A console that prints to ``file`` exactly what ``console`` would print (same
    width, colours, terminal or not)."""
    return Console(
        file=file,
        width=console.width,
        color_system=console.color_system,  # type: ignore[arg-type]
        force_terminal=console.is_terminal,
        no_color=console.no_color,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )
