"""``--format jsonl`` for ``h2-frames`` and ``--format json`` for ``hpack``: the model as JSON.

One JSON object per line, one ``record`` kind per line: ``preface``, ``frame``,
``diagnostic`` (right after the frame it belongs to), ``summary``. The contract
is documented field by field in docs/h2-frames.md. Names and values that are
valid UTF-8 are JSON strings as they are; other bytes are written with visible
escapes (``\\xNN``) and the exact bytes are given in ``name_hex``/``value_hex``.
This module only reads the model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from wiretool.errors import Diagnostic
from wiretool.http2 import constants as c
from wiretool.http2.frames import Frame, H2Diagnostic, Preface, Record
from wiretool.http2.hpack import HeaderBlock, HeaderField, TableEntry
from wiretool.http2.summary import Summary, Totals
from wiretool.render.escape import escape_bytes


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return escape_bytes(data)


def _bytes_fields(out: dict[str, Any], key: str, data: bytes | None) -> None:
    """``key``: text (or null); ``key_hex`` too when the bytes are not UTF-8."""
    if data is None:
        out[key] = None
        return
    out[key] = _text(data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        out[f"{key}_hex"] = data.hex()


def entry_json(entry: TableEntry, index: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {} if index is None else {"index": index}
    _bytes_fields(out, "name", entry.name)
    _bytes_fields(out, "value", entry.value)
    out["size"] = entry.size
    return out


def header_field_json(field: HeaderField) -> dict[str, Any]:
    out: dict[str, Any] = {}
    _bytes_fields(out, "name", field.name)
    _bytes_fields(out, "value", field.value)
    out.update(
        representation=field.representation.value,
        index=field.index,
        table=field.table,
        huffman={"name": field.name_huffman, "value": field.value_huffman},
        wire_bytes=field.wire.hex(),
        size=field.size,
        offset=field.offset,
        block_offset=field.block_offset,
        inserted=field.inserted,
        evicted=[entry_json(e) for e in field.evicted],
    )
    if field.unknown_entry:
        out["unknown_entry"] = True
    if not field.expanded:
        out["expanded"] = False
    if field.new_table_size is not None:
        out["new_table_size"] = field.new_table_size
    return out


def header_block_json(block: HeaderBlock, *, table: bool) -> dict[str, Any]:
    ratio = block.ratio
    out: dict[str, Any] = {
        "stream_id": block.stream_id,
        "offset": block.offset,
        "wire_length": block.wire_length,
        "decoded_length": block.decoded_length,
        "ratio": None if ratio is None else round(ratio, 4),
        "insertions": block.insertions,
        "evictions": block.evictions,
        "table_size": block.table_size,
        "table_max_size": block.table_max_size,
        "table_incomplete": block.table_incomplete,
        "undecodable_from": block.undecodable_from,
    }
    if table:
        out["dynamic_table"] = [
            entry_json(e, 62 + i) for i, e in enumerate(block.table)
        ]
    return out


def frame_json(frame: Frame, *, hpack_table: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "record": "frame",
        "direction": frame.direction,
        "offset": frame.offset,
        "type": frame.type,
        "type_name": frame.type_name,
        "flags": frame.flags,
        "flag_names": frame.flag_names,
        "stream_id": frame.stream_id,
        "length": frame.length,
        "reserved": frame.reserved,
    }
    if frame.truncated:
        out["truncated"] = True
        out["payload_present"] = len(frame.payload)
    simple: dict[str, object] = {
        "pad_length": frame.pad_length,
        "data_length": frame.data_length,
        "exclusive": frame.exclusive,
        "stream_dependency": frame.stream_dependency,
        "weight": frame.weight,
        "error_code": frame.error_code,
        "last_stream_id": frame.last_stream_id,
        "promised_stream_id": frame.promised_stream_id,
        "window_size_increment": frame.window_size_increment,
        "prioritized_stream_id": frame.prioritized_stream_id,
    }
    out.update({k: v for k, v in simple.items() if v is not None})
    if frame.error_code is not None:
        out["error_name"] = c.error_name(frame.error_code)
    if frame.debug_data is not None:
        _bytes_fields(out, "debug_data", frame.debug_data)
    if frame.opaque_data is not None:
        out["opaque_data"] = frame.opaque_data.hex()
    if frame.settings is not None:
        out["settings"] = [
            {"offset": s.offset, "id": s.identifier, "name": s.name, "value": s.value}
            for s in frame.settings
        ]
    if frame.fragment is not None:
        out["fragment_length"] = len(frame.fragment)
    if frame.origin is not None:
        _bytes_fields(out, "origin", frame.origin)
    if frame.field_value is not None:
        _bytes_fields(out, "field_value", frame.field_value)
    if frame.origins is not None:
        out["origins"] = [_text(o) for o in frame.origins]
    if frame.type not in c.FrameType._value2member_map_:
        out["payload_hex"] = frame.payload.hex()
    block = frame.header_block
    if block is not None:
        out["headers"] = [header_field_json(f) for f in block.fields]
        out["header_block"] = header_block_json(block, table=hpack_table)
    return out


def diagnostic_json(
    diag: Diagnostic, direction: str | None = None, frame_offset: int | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "record": "diagnostic",
        "severity": diag.severity.value,
        "offset": diag.offset,
        "message": diag.message,
        "length": diag.length,
        "direction": direction,
    }
    if isinstance(diag, H2Diagnostic):
        if diag.direction is not None:
            out["direction"] = diag.direction
        if diag.error_code is not None:
            out["error_code"] = diag.error_code
            out["error_name"] = c.error_name(diag.error_code)
    if frame_offset is not None:
        out["frame_offset"] = frame_offset
    return out


def record_objects(record: Record, *, hpack_table: bool = False) -> Iterator[dict[str, Any]]:
    """The JSON objects of one record: a frame is followed by its diagnostics."""
    if isinstance(record, Preface):
        yield {"record": "preface", "direction": record.direction, "offset": record.offset,
               "length": record.length}
    elif isinstance(record, Frame):
        yield frame_json(record, hpack_table=hpack_table)
        diags = list(record.diagnostics)
        if record.header_block is not None:
            diags += record.header_block.diagnostics
        for diag in diags:
            yield diagnostic_json(diag, record.direction, record.offset)
    else:
        yield diagnostic_json(record)


def _totals_json(totals: Totals) -> dict[str, Any]:
    ratio = totals.hpack_ratio
    return {
        "frames": dict(sorted(totals.frames.items())),
        "frame_bytes": totals.frame_bytes,
        "data_bytes": totals.data_bytes,
        "header_blocks": totals.header_blocks,
        "hpack_wire_bytes": totals.hpack_wire_bytes,
        "hpack_decoded_bytes": totals.hpack_decoded_bytes,
        "hpack_ratio": None if ratio is None else round(ratio, 4),
    }


def summary_json(summary: Summary) -> dict[str, Any]:
    return {
        "record": "summary",
        "directions": [
            {"direction": d, **_totals_json(t)} for d, t in summary.directions.items()
        ],
        "streams": [
            {"direction": d, "stream_id": s, **_totals_json(t)}
            for (d, s), t in sorted(summary.streams.items(), key=lambda i: (str(i[0][0]), i[0][1]))
        ],
    }


def dumps(obj: dict[str, Any]) -> str:
    """One JSONL line (no trailing newline); non-ASCII as \\u escapes."""
    return json.dumps(obj, ensure_ascii=True, separators=(", ", ": "))
