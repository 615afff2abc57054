"""``--format jsonl`` for ``h2-frames`` and ``--format json`` for ``hpack``: the model as JSON.

One JSON object per line, one ``record`` kind per line: ``preface``, ``frame``,
``diagnostic`` (right after the frame it belongs to), ``grpc-message`` and
``grpc-status`` (right after the DATA/HEADERS frame that completed them),
``summary``; from a capture also ``connection`` and ``h2c-upgrade``, and every
record names its ``connection``, ``time`` and ``packet``. The contract is
documented field by field in docs/json.md ("h2-frames"). An integer beyond ±(2**53 - 1) (a
``time_ns``, a 64-bit field of a gRPC message) is written as a decimal string
(``json_text.exact_integers``): a reader of doubles (``jq``) would round it.
Names and values that are valid UTF-8 are JSON strings as they are; other bytes
are written with visible escapes (``\\xNN``) and the exact bytes are given in
``name_hex``/``value_hex``. This module only reads the model.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any, Generic, TextIO, TypeVar

from wiretool.capture.model import CaptureDiagnostic
from wiretool.direction import Direction
from wiretool.errors import Diagnostic
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
    Setting,
    Settings,
    Unknown,
    WindowUpdate,
)
from wiretool.http2.hpack import HeaderBlock, HeaderField, TableEntry
from wiretool.memo import Usefulness
from wiretool.render.escape import escape_bytes
from wiretool.render.json_text import exact_integers
from wiretool.session.records import (
    ConnectionEnd,
    ConnectionInfo,
    ConnectionStart,
    H2cUpgrade,
    Located,
    SessionRecord,
    Tunnel,
    record_diagnostics,
)
from wiretool.session.summary import (
    CallStats,
    CaptureSummary,
    DurationSketch,
    StreamRow,
    Summary,
    Totals,
)
from wiretool.tls.model import TlsDiagnostic, TlsSummary


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


OFFSET = "offset"
"""The member of a header's (and of a header block's) absolute offset."""
BLOCK_OFFSET = "block_offset"
"""The member of a header's offset inside its block."""


def header_field_json(field: HeaderField, offset: int) -> dict[str, Any]:
    """One header's object; ``offset`` is its absolute offset (``HeaderBlock.field_offset``)."""
    before, after = _header_field_members(field)
    return {**before, OFFSET: offset, BLOCK_OFFSET: field.block_offset, **after}


def _header_field_members(field: HeaderField) -> tuple[dict[str, Any], dict[str, Any]]:
    """The members of a header's object before its ``OFFSET`` and after its
    ``BLOCK_OFFSET``: all that the field alone decides, so ``HeaderText`` can format them
    once per decoding."""
    before: dict[str, Any] = {}
    _bytes_fields(before, "name", field.name)
    _bytes_fields(before, "value", field.value)
    before.update(
        representation=field.representation.value,
        index=field.index,
        table=field.table,
        huffman={"name": field.name_huffman, "value": field.value_huffman},
        wire_bytes=field.wire.hex(),
        size=field.size,
    )
    after: dict[str, Any] = {
        "inserted": field.inserted,
        "evicted": [entry_json(e) for e in field.evicted],
    }
    if field.unknown_entry:
        after["unknown_entry"] = True
    if not field.expanded:
        after["expanded"] = False
    if field.new_table_size is not None:
        after["new_table_size"] = field.new_table_size
    return before, after


_BLOCK_POSITION = ("stream_id", OFFSET)
"""The members of a header block's object that differ between blocks of one decoding."""


def header_block_json(block: HeaderBlock, *, table: bool) -> dict[str, Any]:
    return {**dict(zip(_BLOCK_POSITION, (block.stream_id, block.offset), strict=True)),
            **_header_block_state(block, table=table)}


def _header_block_state(block: HeaderBlock, *, table: bool) -> dict[str, Any]:
    """The members of a header block's object after ``_BLOCK_POSITION``."""
    decoded = block.decoded_length
    ratio = block.wire_length / decoded if decoded else None  # HeaderBlock.ratio
    out: dict[str, Any] = {
        "wire_length": block.wire_length,
        "decoded_length": decoded,
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


HEADER_TEXT_DECODINGS = 16384
"""Repeated block decodings whose pieces ``HeaderText`` keeps (then it starts afresh),
and decodings seen once that it watches for a second sighting: as many as the HPACK
block cache holds. An entry holds references to shared strings, about 1.5 KiB."""
HEADER_TEXT_FIELDS = 8192
"""Distinct header fields whose text ``HeaderText`` keeps (then it starts afresh)."""

_T = TypeVar("_T")


class DecodingMemo(Generic[_T]):
    """Something derived from a block decoding (here: its text), kept for the next block
    that decodes the same way.

    Every block that ``BlockCache`` serves shares its decoding's ``fields`` tuple, so
    the tuple's identity is the key. An entry holds the decoding's last field, not the
    tuple (which would keep every field of decodings the block cache has dropped
    alive): every decoding is made of new fields, and that one cannot be freed while
    it is held, so a tuple with this id ending in it is the same decoding. A value is
    kept from the decoding's second sighting on, so a connection that sends a new path
    in every request does not fill the memo. Both dictionaries empty when full and
    start afresh; a memo whose watched decodings filled up while it served few lookups
    rests for a while (``CACHE_REST``).
    """

    def __init__(self, kept: int, watched: int) -> None:
        self.kept = kept
        self.watched = watched
        self._kept: dict[int, tuple[HeaderField | None, _T]] = {}
        """id(fields) -> (its last field, value)."""
        self._once: dict[int, HeaderField | None] = {}
        """id(fields) -> its last field, for decodings seen once."""
        self.usefulness = Usefulness(watched)

    def get(self, fields: tuple[HeaderField, ...]) -> _T | None:
        known = self._kept.get(id(fields))
        if known is not None and known[0] is (fields[-1] if fields else None):
            self.usefulness.hits += 1
            return known[1]
        return None

    def seen(self, fields: tuple[HeaderField, ...], value: _T) -> None:
        """``get`` found nothing and ``value`` was derived: keep it if this decoding was
        seen before."""
        key = id(fields)
        last = fields[-1] if fields else None
        if key in self._once and self._once[key] is last:
            del self._once[key]
            if len(self._kept) >= self.kept:
                self._kept.clear()
            self._kept[key] = (last, value)
            return
        admitted = self.usefulness.admit()
        if admitted is None:  # full
            self._once.clear()
            if self.usefulness.resting:
                self._kept.clear()
        if admitted is False or self.usefulness.resting:
            return
        self._once[key] = last


class _BlockText:
    """The text of one decoding's ``headers`` and ``header_block`` members, with holes.

    ``texts`` holds fixed text and, at every fifth place from the third, a hole
    (``None``) for the absolute offset of a field, whose block offsets are ``ats``: a
    frame line fills the holes with the offsets of its block. ``tail`` is
    ``header_block`` after its ``offset``, for the values ``tail_key`` it is made of:
    a decoding is cached only while the table is unchanged, but blocks that decode to
    no field at all share the empty tuple whatever their length.
    """

    __slots__ = ("ats", "tail", "tail_key", "texts")

    def __init__(self, texts: list[str | None], ats: list[int]) -> None:
        self.texts = texts
        self.ats = ats
        self.tail_key: tuple[int, int, int, int, int | None, int, int, bool] | None = None
        self.tail = ""


class HeaderText:
    """The ``headers`` and ``header_block`` members of frame lines, as JSON text.

    Two memos, both exact, so a busy connection's blocks cost about one integer per
    header instead of one JSON encoding per header:

    * the HPACK context hands out the same ``fields`` tuple for every block that decodes
      the same way (``BlockCache``): the text of such a block (``_BlockText``) is kept
      by the tuple's identity, from its second sighting on (``DecodingMemo``);
    * a field that neither inserted nor evicted is formatted from its wire bytes, name,
      value and flags alone (the wire bytes decide its representation, index, table and
      Huffman flags): its text is kept by those, for blocks that differ in another field.

    The text is exactly ``dumps`` of ``frame_json``'s members (a test compares them).
    """

    def __init__(self, *, hpack_table: bool = False,
                 memo_entries: int = HEADER_TEXT_DECODINGS) -> None:
        """``memo_entries``: repeated decodings kept, and first sightings watched."""
        self.hpack_table = hpack_table
        self._blocks: DecodingMemo[_BlockText] = DecodingMemo(memo_entries, memo_entries)
        self._fields: dict[tuple[bytes, bytes | None, bytes | None, bool, bool],
                           tuple[str, str]] = {}
        """(wire, name, value, unknown_entry, expanded) -> text before the offset, text
        after the block offset, for fields that neither inserted nor evicted."""

    def extend(self, parts: list[str], block: HeaderBlock) -> None:
        """Append ``"headers": [...], "header_block": {...}`` for the frame that ends
        ``block`` to ``parts``, in pieces (the caller joins them once, with the rest of
        its output: the headers are most of a frame line)."""
        fields = block.fields
        known = self._blocks.get(fields)
        if known is None:
            known = self._block_text(fields)
            self._blocks.seen(fields, known)
        texts = known.texts.copy()
        if len(block.segments) == 1:
            base = block.offset
            texts[2::5] = [str(base + at) for at in known.ats]
        else:
            absolute = block.absolute
            texts[2::5] = [str(absolute(at)) for at in known.ats]
        parts += texts  # type: ignore[arg-type]  # the holes are filled
        if self.hpack_table:
            parts.append('], "header_block": ' + dumps(header_block_json(block, table=True)))
            return
        tail_key = (block.wire_length, block.decoded_length, block.insertions,
                    block.evictions, block.undecodable_from, block.table_size,
                    block.table_max_size, block.table_incomplete)
        if known.tail_key != tail_key:
            known.tail_key, known.tail = tail_key, self._tail(block)
        parts.append(_BLOCK_POSITION_TEXT.format(block.stream_id, block.offset) + known.tail)

    def _block_text(self, fields: tuple[HeaderField, ...]) -> _BlockText:
        # Five pieces a field, all shared strings but the hole: its text before the
        # absolute offset, the offset, its block offset, its text after that, and the
        # separator (a kept decoding costs pointers, not a copy of its text).
        texts: list[str | None] = ['"headers": [']
        last = len(fields) - 1
        for number, field in enumerate(fields):
            head, tail = self._field_text(field)
            texts += (head, None, _block_offset_text(field.block_offset), tail,
                      ", " if number < last else "")
        return _BlockText(texts, [field.block_offset for field in fields])

    @staticmethod
    def _tail(block: HeaderBlock) -> str:
        """``header_block_json`` (without the table) after its position: what a decoding
        and the table state decide."""
        return ", " + dumps(_header_block_state(block, table=False))[1:]

    def _field_text(self, field: HeaderField) -> tuple[str, str]:
        """The field's text before its absolute offset and after its block offset."""
        if field.inserted or field.evicted or field.new_table_size is not None:
            return self._text(field)  # seen once: not remembered
        key = (field.wire, field.name, field.value, field.unknown_entry, field.expanded)
        known = self._fields.get(key)
        if known is None:
            if len(self._fields) >= HEADER_TEXT_FIELDS:
                self._fields.clear()
            known = self._fields[key] = self._text(field)
        return known

    @staticmethod
    def _text(field: HeaderField) -> tuple[str, str]:
        """The text before the absolute offset, and after the block offset."""
        before, after = _header_field_members(field)
        return dumps(before)[:-1] + _OFFSET_TEXT, ", " + dumps(after)[1:]


def _frame_rest(frame: Frame) -> dict[str, Any]:
    """The members of a frame's object after ``reserved`` and before ``headers``: those
    of its type (``_BODY_MEMBERS``), after ``truncated`` for a truncated frame."""
    out: dict[str, Any] = {}
    if frame.truncated:
        out["truncated"] = True
        out["payload_present"] = len(frame.payload)
    _BODY_MEMBERS[type(frame.body)](out, frame)
    return out


def _put(out: dict[str, Any], **members: object) -> None:
    """Add the members that are not ``None``, in order."""
    for key, value in members.items():
        if value is not None:
            out[key] = value


def _settings_json(settings: tuple[Setting, ...]) -> list[dict[str, Any]]:
    return [{"offset": s.offset, "id": s.identifier, "name": s.name, "value": s.value}
            for s in settings]


def _data_members(out: dict[str, Any], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Data
    _put(out, pad_length=body.pad_length, data_length=body.data_length)


def _headers_members(out: dict[str, Any], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Headers
    _put(out, pad_length=body.pad_length, exclusive=body.exclusive,
         stream_dependency=body.stream_dependency, weight=body.weight,
         fragment_length=None if body.fragment is None else len(body.fragment))


def _priority_members(out: dict[str, Any], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Priority
    _put(out, exclusive=body.exclusive, stream_dependency=body.stream_dependency,
         weight=body.weight)


def _rst_stream_members(out: dict[str, Any], frame: Frame) -> None:
    body = frame.body
    assert type(body) is RstStream
    if body.error_code is not None:
        out["error_code"] = body.error_code
        out["error_name"] = c.error_name(body.error_code)


def _settings_members(out: dict[str, Any], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Settings
    if body.settings is not None:
        out["settings"] = _settings_json(body.settings)


def _push_promise_members(out: dict[str, Any], frame: Frame) -> None:
    body = frame.body
    assert type(body) is PushPromise
    _put(out, pad_length=body.pad_length, promised_stream_id=body.promised_stream_id,
         fragment_length=None if body.fragment is None else len(body.fragment))


def _ping_members(out: dict[str, Any], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Ping
    if body.opaque_data is not None:
        out["opaque_data"] = body.opaque_data.hex()


def _goaway_members(out: dict[str, Any], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Goaway
    _put(out, error_code=body.error_code, last_stream_id=body.last_stream_id)
    if body.error_code is not None:
        out["error_name"] = c.error_name(body.error_code)
    if body.debug_data is not None:
        _bytes_fields(out, "debug_data", body.debug_data)


def _window_update_members(out: dict[str, Any], frame: Frame) -> None:
    body = frame.body
    assert type(body) is WindowUpdate
    _put(out, window_size_increment=body.window_size_increment)


def _continuation_members(out: dict[str, Any], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Continuation
    if body.fragment is not None:
        out["fragment_length"] = len(body.fragment)


def _altsvc_members(out: dict[str, Any], frame: Frame) -> None:
    body = frame.body
    assert type(body) is AltSvc
    if body.origin is not None:
        _bytes_fields(out, "origin", body.origin)
    if body.field_value is not None:
        _bytes_fields(out, "field_value", body.field_value)


def _origin_members(out: dict[str, Any], frame: Frame) -> None:
    body = frame.body
    assert type(body) is Origin
    if body.origins is not None:
        out["origins"] = [_text(o) for o in body.origins]


def _priority_update_members(out: dict[str, Any], frame: Frame) -> None:
    body = frame.body
    assert type(body) is PriorityUpdate
    _put(out, prioritized_stream_id=body.prioritized_stream_id)
    if body.field_value is not None:
        _bytes_fields(out, "field_value", body.field_value)


def _unknown_members(out: dict[str, Any], frame: Frame) -> None:
    out["payload_hex"] = frame.payload.hex()


_BODY_MEMBERS: dict[type[FrameBody], Callable[[dict[str, Any], Frame], None]] = {
    Data: _data_members, Headers: _headers_members, Priority: _priority_members,
    RstStream: _rst_stream_members, Settings: _settings_members,
    PushPromise: _push_promise_members, Ping: _ping_members, Goaway: _goaway_members,
    WindowUpdate: _window_update_members, Continuation: _continuation_members,
    AltSvc: _altsvc_members, Origin: _origin_members,
    PriorityUpdate: _priority_update_members, Unknown: _unknown_members,
}
"""A frame's type-specific members, one writer per body record (documented in the
JSON Lines contract)."""


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
    elif isinstance(diag, TlsDiagnostic):
        out["direction"] = diag.direction
        out["tls_problem"] = diag.problem.value
    if frame_offset is not None:
        out["frame_offset"] = frame_offset
    return out


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


def dumps(obj: object) -> str:
    """One JSONL line (no trailing newline); non-ASCII as \\u escapes."""
    return _encode(obj)


_encode = json.JSONEncoder(ensure_ascii=True, separators=(", ", ": ")).encode
"""``json.dumps`` with these options builds an encoder per call; one is enough."""




def grpc_message_json(message: GrpcMessage) -> dict[str, Any]:
    """``"record": "grpc-message"``: one gRPC Length-Prefixed-Message, decoded."""
    from wiretool.render.protobuf_json import field_to_json, unparsed_to_json

    out: dict[str, Any] = {
        "record": "grpc-message",
        "direction": message.direction,
        "stream_id": message.stream_id,
        "path": message.path,
        "index": message.index,
        "offset": message.offset,
        "frame_offset": message.frame_offset,
        "compressed": message.compressed,
        "encoding": message.encoding,
        "length": message.length,
        "data": None if message.data is None else message.data.hex(),
        "type": message.type_name,
        "fields": None,
    }
    if message.message is not None:
        out["fields"] = [field_to_json(f) for f in message.message.fields]
        out["unparsed"] = unparsed_to_json(message.message.unparsed)
    return out


def grpc_status_json(status: GrpcStatus) -> dict[str, Any]:
    """``"record": "grpc-status"``: the trailers of a gRPC stream."""
    from wiretool.render.protobuf_json import field_to_json

    out: dict[str, Any] = {
        "record": "grpc-status",
        "direction": status.direction,
        "stream_id": status.stream_id,
        "path": status.path,
        "offset": status.offset,
        "frame_offset": status.frame_offset,
        "code": status.code,
        "name": status.name,
        "message": status.message,
        "details": None,
    }
    if status.code_unknown is not None:
        out["code_unknown"] = status.code_unknown
    if status.details_data is not None:
        out["details"] = {
            "type": "google.rpc.Status",
            "data": status.details_data.hex(),
            "fields": None if status.details is None
            else [field_to_json(f) for f in status.details.fields],
        }
    return out


def endpoint_json(conn: ConnectionInfo) -> dict[str, Any]:
    """The ``connection`` member of a capture's records: its number (Wireshark's
    ``tcp.stream`` + 1), endpoints and, inside a CONNECT tunnel, the tunnel."""
    out: dict[str, Any] = {"number": conn.conn_id,
                           "client": None if conn.client is None else str(conn.client),
                           "server": None if conn.server is None else str(conn.server)}
    if conn.inside is not None:
        out["inside"] = str(conn.inside)
    return out


def tunnel_json(tunnel: Tunnel) -> dict[str, Any]:
    """The ``tunnel`` member of a connection that carries a CONNECT tunnel."""
    return {"method": tunnel.method, "target": tunnel.target, "status": tunnel.status,
            "client_offset": tunnel.client_start, "server_offset": tunnel.server_start}


def _connection_members(out: dict[str, Any], conn: ConnectionInfo,
                        tunnel: Tunnel | None) -> None:
    """``path`` and, for a tunnel's carrier, ``tunnel``: after ``connection``."""
    out["path"] = None if conn.path is None else str(conn.path)
    if tunnel is not None:
        out["tunnel"] = tunnel_json(tunnel)


def time_fields(time_ns: int | None) -> dict[str, Any]:
    """``time`` (seconds since the epoch, a number) and ``time_ns`` (exact: a string
    beyond 2**53 - 1, as every integer of the contract, ``json_text.exact_integers``)."""
    if time_ns is None:
        return {"time": None}
    return {"time": round(time_ns / 1e9, 9), "time_ns": exact_integers(time_ns)}


def preface_json(preface: Preface) -> dict[str, Any]:
    return {"record": "preface", "direction": preface.direction, "offset": preface.offset,
            "length": preface.length}


def h2c_upgrade_json(upgrade: H2cUpgrade) -> dict[str, Any]:
    settings = upgrade.settings.body if upgrade.settings is not None else None
    return {
        "record": "h2c-upgrade", "direction": Direction.CLIENT, "method": upgrade.method,
        "path": upgrade.path, "request_length": upgrade.request_length,
        "response_length": upgrade.response_length,
        "settings": None if not isinstance(settings, Settings) or settings.settings is None
        else _settings_json(settings.settings),
    }


def connection_json(start: ConnectionStart) -> dict[str, Any]:
    """``"record": "connection"``: a capture connection's verdict."""
    out: dict[str, Any] = {"record": "connection", "connection": endpoint_json(start.conn)}
    _connection_members(out, start.conn, start.tunnel)
    out.update({"http2": start.http2, "evidence": start.evidence, "reason": start.reason,
                "swapped": start.swapped, "packet": start.packet_number,
                **time_fields(start.time_ns), "tls": tls_json(start.conn.tls)})
    return out


def tls_json(tls: TlsSummary | None) -> dict[str, Any] | None:
    """The ``tls`` member of a connection record: what the handshake says (``None`` for a
    cleartext connection)."""
    if tls is None:
        return None
    return {"version": tls.version, "cipher_suite": tls.cipher_suite, "sni": tls.sni,
            "alpn": tls.alpn, "decrypted": tls.decrypted,
            "key_source": None if tls.key_source is None else tls.key_source.value,
            "offered_alpn": list(tls.offered_alpn),
            "client_random": None if tls.client_random is None else tls.client_random.hex()}


def capture_diagnostic_json(diag: CaptureDiagnostic) -> dict[str, Any]:
    """A problem of the capture file or of TCP reassembly (offsets in the file)."""
    obj = diagnostic_json(diag)
    obj["packet"] = diag.packet_number
    obj["file_offset"] = obj.pop("offset")
    return obj


def record_objects(record: Record | GrpcRecord | H2cUpgrade) -> list[dict[str, Any]]:
    """The objects of a connection's record other than a frame (whose line
    ``FrameLines`` writes): the record's, then its diagnostics'."""
    if isinstance(record, GrpcMessage | GrpcStatus):
        head = (grpc_message_json(record) if isinstance(record, GrpcMessage)
                else grpc_status_json(record))
        return [head] + [diagnostic_json(d, record.direction, record.frame_offset)
                         for d in record.diagnostics]
    if isinstance(record, H2cUpgrade):
        return [h2c_upgrade_json(record)]
    if isinstance(record, Preface):
        return [preface_json(record)]
    assert not isinstance(record, Frame)
    return [diagnostic_json(record)]


def frame_diagnostics_json(frame: Frame) -> list[dict[str, Any]]:
    """The objects of the diagnostics a frame carries (written after its line)."""
    return [diagnostic_json(diag, frame.direction, frame.offset)
            for diag in record_diagnostics(frame)]


class H2Lines:
    """The JSON lines of the records of ``decode_h2`` (the JSON Lines contract).

    A record of a capture connection has, after ``record``, its ``connection``, ``time``
    and ``packet`` members, encoded once per connection and once per packet rather
    than once per record; one of a connection dump has none (and its ``summary`` comes
    once, at the end). A frame's line is written by ``FrameLines``; every other line
    is ``dumps`` of its object, the where-members after ``record``.
    """

    def __init__(self, *, hpack_table: bool = False, summary: bool = False,
                 memo_entries: int = HEADER_TEXT_DECODINGS) -> None:
        self.hpack_table = hpack_table
        self.summary = summary
        self._connections: dict[int, tuple[ConnectionInfo, str]] = {}
        self._frames = FrameLines(hpack_table=hpack_table, memo_entries=memo_entries)
        self._where: tuple[tuple[str, int | None, int | None, int | None] | None, str] = (
            None, "")
        """(connection text, time, packet, TLS record) of the last located record, and the
        text of those members."""

    def extend(self, parts: list[str], record: SessionRecord) -> None:
        """Append the JSON lines of ``record`` to ``parts``, each line ending with a
        newline, in pieces: join them to write them."""
        if isinstance(record, Located):
            # a dump's records have no connection, time or packet
            where = "" if record.conn.client is None else self._where_text(record)
            inner = record.record
            if isinstance(inner, Frame):
                self._frames.extend(parts, inner, where)
                parts.append("\n")
                block = inner.header_block
                if not inner.diagnostics and (block is None or not block.diagnostics):
                    return
                objects = frame_diagnostics_json(inner)
            else:
                objects = record_objects(inner)
            for obj in objects:
                kind = obj.pop("record")
                # 64-bit values are strings already: the fields' JSON (field_to_json) and
                # time_fields write them so; other members are offsets and 32-bit values.
                parts.append(f'{{"record": {_json_text(kind)}, {where}{dumps(obj)[1:]}\n')
        elif isinstance(record, ConnectionStart):
            if record.conn.client is not None:
                parts.append(dumps(connection_json(record)) + "\n")
        elif isinstance(record, ConnectionEnd):
            self._connections.pop(record.conn.conn_id, None)
            if not self.summary:
                return
            if record.conn.client is None:
                if record.summary is not None:
                    parts.append(dumps(exact_integers(summary_json(record.summary))) + "\n")
            else:
                parts.append(dumps(exact_integers(connection_summary_json(record))) + "\n")
        elif isinstance(record, CaptureSummary):
            parts += [dumps(exact_integers(obj)) + "\n" for obj in capture_summary_json(record)]
        else:
            parts.append(dumps(capture_diagnostic_json(record)) + "\n")

    def _where_text(self, record: Located) -> str:
        """``"connection": ..., "time": ..., "packet": ..., `` of a located record, and
        ``"tls_record_offset": ...`` in a TLS connection (a packet carries many records:
        made once per packet and TLS record)."""
        conn = record.conn
        known = self._connections.get(conn.conn_id)
        if known is None or known[0] is not conn:
            known = (conn, '"connection": ' + dumps(endpoint_json(conn)))
            self._connections[conn.conn_id] = known
        key = (known[1], record.time_ns, record.packet_number, record.tls_record_offset)
        if key != self._where[0]:
            members = {**time_fields(record.time_ns), "packet": record.packet_number}
            if conn.tls is not None:
                members["tls_record_offset"] = record.tls_record_offset
            self._where = (key, f"{known[1]}, {dumps(members)[1:-1]}, ")
        return self._where[1]


class FrameLines:
    """Frame lines formatted directly: the members every frame has by f-string (JSON's
    own spelling of each value), those of its type by ``_BODY_MEMBERS``, the headers by
    ``HeaderText``. A test compares every line with ``json.dumps`` of the plain objects
    of the same frames (``tests/http2/jsonl_oracle.py``, the documented reference)."""

    def __init__(self, *, hpack_table: bool = False,
                 memo_entries: int = HEADER_TEXT_DECODINGS) -> None:
        """``memo_entries``: see ``HeaderText``."""
        self._headers = HeaderText(hpack_table=hpack_table, memo_entries=memo_entries)

    def line(self, frame: Frame, where: str = "") -> str:
        """The frame's line; ``where`` is the text of the members between ``record`` and
        ``direction`` (connection, time, packet in a capture), ending with ``", "``."""
        parts: list[str] = []
        self.extend(parts, frame, where)
        return "".join(parts)

    def extend(self, parts: list[str], frame: Frame, where: str = "") -> None:
        """Append the text of ``line(frame, where)`` to ``parts``, in pieces."""
        text = (f'{{"record": "frame", {where}"direction": '
                f'{_json_text(frame.direction)}, "offset": {frame.offset}, '
                f'{_type_members(frame.type, frame.flags)}, '
                f'"stream_id": {frame.stream_id}, "length": {frame.length}, '
                f'"reserved": {"true" if frame.reserved else "false"}')
        text += _rest_text(frame)
        block = frame.header_block
        if block is None:
            parts.append(text + "}")
            return
        parts.append(text + ", ")
        self._headers.extend(parts, block)
        parts.append("}")


def _rest_text(frame: Frame) -> str:
    """The members of ``_frame_rest(frame)``, each after ``", "``: directly for the
    commonest frames (DATA, and HEADERS without padding or priority), else encoded."""
    body = frame.body
    if not frame.truncated:
        if type(body) is Data:
            if body.pad_length is None and body.data is not None:
                return f', "data_length": {len(body.data)}'
        elif (type(body) is Headers and body.pad_length is None and body.exclusive is None
              and body.fragment is not None):
            return f', "fragment_length": {len(body.fragment)}'
    rest = _frame_rest(frame)
    if not rest:
        return ""
    if all(type(value) is int for value in rest.values()):
        return "".join([f', "{key}": {value}' for key, value in rest.items()])
    return ", " + dumps(rest)[1:-1]


@lru_cache(maxsize=1024)
def _json_text(text: str | None) -> str:
    """A direction or a type name as JSON (a handful of distinct values)."""
    return dumps(text)


_OFFSET_TEXT = f", {dumps(OFFSET)}: "
_BLOCK_POSITION_TEXT = '], "header_block": {{' + ", ".join(
    f"{dumps(key)}: {{}}" for key in _BLOCK_POSITION)
"""``headers`` ends and ``header_block`` starts, to its position (``str.format``)."""


@lru_cache(maxsize=4096)
def _block_offset_text(at: int) -> str:
    return f", {dumps(BLOCK_OFFSET)}: {at}"


@lru_cache(maxsize=4096)
def _type_members(frame_type: int, flags: int) -> str:
    """``"type": ..., "type_name": ..., "flags": ..., "flag_names": [...]`` of a frame:
    a pure function of two octets."""
    return (f'"type": {frame_type}, "type_name": {dumps(c.type_name(frame_type))}, '
            f'"flags": {flags}, "flag_names": {dumps(c.flag_names(frame_type, flags))}')


def connection_summary_json(end: ConnectionEnd) -> dict[str, Any]:
    """``"record": "summary"`` of one connection of a capture (``--summary``)."""
    out: dict[str, Any] = {"record": "summary", "connection": endpoint_json(end.conn)}
    _connection_members(out, end.conn, end.tunnel)
    out.update({"http2": end.http2, "evidence": end.evidence, "reason": end.reason,
                "client_bytes": end.client_bytes, "server_bytes": end.server_bytes})
    if end.summary is None:
        return out
    totals = summary_json(end.summary)
    out["directions"] = totals["directions"]
    calls = end.summary.calls
    if calls is not None:
        out["calls"] = calls_json(calls.stats)
        out["priority_only_streams"] = calls.priority_only
    out["streams"] = [stream_row(row) for row in end.rows]
    return out


QUANTILES = (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))
"""The duration quantiles of a summary (``DurationSketch.quantile``)."""


def _seconds(ns: float | None) -> float | None:
    return None if ns is None else round(ns / 1e9, 9)


def duration_json(sketch: DurationSketch) -> dict[str, float | None]:
    """``{"min", "p50", "p90", "p99", "max"}`` in seconds (quantiles within
    ``DURATION_ERROR``; min and max exact); all null without a duration."""
    return {"min": _seconds(sketch.min_ns),
            **{name: _seconds(sketch.quantile(q)) for name, q in QUANTILES},
            "max": _seconds(sketch.max_ns)}


def calls_json(stats: CallStats) -> dict[str, Any]:
    """The members of summed calls (a connection's, a method's, all of them)."""
    ratio = stats.hpack_ratio
    return {
        "calls": stats.calls, "grpc_calls": stats.grpc_calls,
        "statuses": dict(sorted(stats.statuses.items())), "failed": stats.failed,
        "failures": [{"status": label, "message": message or None, "calls": count}
                     for (label, message), count in sorted(stats.failures.items())],
        "other_failures": stats.other_failures,
        "duration": duration_json(stats.durations),
        "client_messages": stats.client_messages,
        "client_message_bytes": stats.client_message_bytes,
        "server_messages": stats.server_messages,
        "server_message_bytes": stats.server_message_bytes,
        "client_data_bytes": stats.client_data_bytes,
        "server_data_bytes": stats.server_data_bytes,
        "frames": stats.frames,
        "hpack_wire_bytes": stats.hpack_wire_bytes,
        "hpack_decoded_bytes": stats.hpack_decoded_bytes,
        "hpack_ratio": None if ratio is None else round(ratio, 4),
    }


def capture_summary_json(summary: CaptureSummary) -> list[dict[str, Any]]:
    """The ``method`` records (one per method, then the methods past the limit summed)
    and the ``capture-summary`` record of ``--summary`` on a capture."""
    out: list[dict[str, Any]] = [
        {"record": "method", "method": method or None, "path": path or None,
         **calls_json(stats)} for (method, path), stats in summary.methods]
    if summary.other is not None:
        out.append({"record": "method", "method": None, "path": None, "other_methods": True,
                    **calls_json(summary.other)})
    out.append({"record": "capture-summary", "connections": summary.connections,
                "methods": len(summary.methods), **calls_json(summary.total)})
    return out


def stream_row(row: StreamRow) -> dict[str, Any]:
    """One stream of a connection summary (shared by the table view)."""
    duration = None
    if row.first_ns is not None and row.last_ns is not None:
        duration = round((row.last_ns - row.first_ns) / 1e9, 9)
    return {"stream_id": row.stream_id, "method": row.method, "path": row.path,
            "status": row.status, "grpc": row.grpc, "grpc_status": row.grpc_status,
            "grpc_status_name": row.grpc_status_name,
            "client_frames": row.client_frames, "client_data_bytes": row.client_data_bytes,
            "client_messages": row.client_messages,
            "client_message_bytes": row.client_message_bytes,
            "server_frames": row.server_frames, "server_data_bytes": row.server_data_bytes,
            "server_messages": row.server_messages,
            "server_message_bytes": row.server_message_bytes,
            "duration": duration, "grpc_message": row.grpc_message,
            "reset": None if row.reset is None else c.error_name(row.reset)}


JSONL_BATCH = 32
"""Records whose JSON lines are joined into one write when the output is not a terminal
(about 80 KB on a header-heavy capture: one copy of the text instead of several)."""


def write_jsonl(out: TextIO, records: Iterable[SessionRecord], *, hpack_table: bool = False,
                summary: bool = False, live: bool = False) -> None:
    """``--format jsonl``: the lines of ``records`` written to ``out`` as they come
    (``live``: the input comes as it is written, a pipe from ``tcpdump -U``: each
    record's lines are handed to ``out`` at once, for its caller to flush when the
    input waits)."""
    lines = H2Lines(hpack_table=hpack_table, summary=summary)
    # The pieces of a few records are joined and written at once (the lines of a
    # busy capture are 2-3 KB, mostly header text); on a terminal, each record.
    batch = 1 if live or out.isatty() else JSONL_BATCH
    parts: list[str] = []
    pending = 0
    for item in records:
        lines.extend(parts, item)
        pending += 1
        if pending >= batch:
            out.write("".join(parts))
            parts.clear()
            pending = 0
    out.write("".join(parts))
    out.flush()


def jsonl_renderer(workers: int, *, hpack_table: bool = False, summary: bool = False
                   ) -> Callable[[list[SessionRecord]], str]:
    """The text of the lines of a few records, for one of ``workers`` processes (its
    header-text memo gets that share)."""
    lines = H2Lines(hpack_table=hpack_table, summary=summary,
                    memo_entries=HEADER_TEXT_DECODINGS // workers)

    def render(items: list[SessionRecord]) -> str:
        parts: list[str] = []
        for item in items:
            lines.extend(parts, item)
        return "".join(parts)

    return render
