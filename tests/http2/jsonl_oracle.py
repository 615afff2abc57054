"""The documented reference of the JSON Lines writer: plain objects, for ``json.dumps``.

``render.h2_jsonl.H2Lines`` writes a frame's line directly (``FrameLines``, with the
header text memos of ``HeaderText``) and every other line with ``dumps`` of its
object. This module builds the same records' objects the plain way — every frame
member spelled here again, independently of the writer — and the fast-path tests
compare the two, line by line, on every bundled capture and dump. It is the oracle
only: nothing in ``wiretool`` imports it. The JSON Lines contract in docs/json.md
is what both implement.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from wiretool.http2 import constants as c
from wiretool.http2.frames import Frame
from wiretool.render import h2_jsonl as w
from wiretool.session import ConnectionEnd, ConnectionStart, Located, SessionRecord


def frame_json(frame: Frame, *, hpack_table: bool = False) -> dict[str, Any]:
    """A frame's object, the plain way."""
    out: dict[str, Any] = {
        "record": "frame",
        "direction": frame.direction,
        "offset": frame.offset,
        "type": frame.type,
        "type_name": c.type_name(frame.type),
        "flags": frame.flags,
        "flag_names": c.flag_names(frame.type, frame.flags),
        "stream_id": frame.stream_id,
        "length": frame.length,
        "reserved": frame.reserved,
    }
    out.update(w._frame_rest(frame))
    block = frame.header_block
    if block is not None:
        out["headers"] = [w.header_field_json(f, block.field_offset(f)) for f in block.fields]
        out["header_block"] = w.header_block_json(block, table=hpack_table)
    return out


def plain_objects(record: SessionRecord, *, hpack_table: bool = False,
                  summary: bool = False) -> Iterator[dict[str, Any]]:
    """The objects of one record of ``decode_h2``, in the order of their lines, with the
    contract's integers (beyond 2**53 - 1: strings)."""
    from wiretool.render.json_text import exact_integers

    for obj in _objects(record, hpack_table=hpack_table, summary=summary):
        yield exact_integers(obj)


def _objects(record: SessionRecord, *, hpack_table: bool,
             summary: bool) -> Iterator[dict[str, Any]]:
    if isinstance(record, Located):
        inner = record.record
        if isinstance(inner, Frame):
            objects = [frame_json(inner, hpack_table=hpack_table),
                       *w.frame_diagnostics_json(inner)]
        else:
            objects = w.record_objects(inner)
        if record.conn.client is None:  # a connection dump
            yield from objects
            return
        connection = {"number": record.conn.conn_id, "client": str(record.conn.client),
                      "server": str(record.conn.server)}
        if record.conn.inside is not None:
            connection["inside"] = str(record.conn.inside)
        where = {"connection": connection,
                 **w.time_fields(record.time_ns), "packet": record.packet_number}
        for obj in objects:
            kind = obj.pop("record")
            yield {"record": kind, **where, **obj}
    elif isinstance(record, ConnectionStart):
        if record.conn.client is not None:
            yield w.connection_json(record)
    elif isinstance(record, ConnectionEnd):
        if summary and record.conn.client is None and record.summary is not None:
            yield w.summary_json(record.summary)
        elif summary and record.conn.client is not None:
            yield w.connection_summary_json(record)
    else:
        yield w.capture_diagnostic_json(record)
