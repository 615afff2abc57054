"""How many bytes a message takes as protobuf and as proto3 JSON, field by field.

:func:`compare_message` takes a message of the protobuf runtime and returns a
:class:`Comparison`:

* protobuf bytes: ``SerializeToString(deterministic=True)`` (== ``ByteSize()``);
* JSON bytes: the canonical proto3 JSON of ``json_format.MessageToDict``, written
  compact (no whitespace) in UTF-8; also pretty-printed (indent 2) and, when the
  input was JSON, the input's own size;
* each compressed with gzip (level 6) and deflate (zlib, level 6), the two
  ``Content-Encoding`` values the standard library can produce;
* per field path: protobuf tag / length prefix / payload / end-group bytes, read
  from wiretool's own decode of the serialized bytes (so they add up to the
  message size exactly), and the JSON bytes of its member (key, quotes, colon,
  value, separator; the top-level object's braces are ``json_overhead``);
* advice where the encoding wastes bytes, each with the bytes it would save.

:func:`summarize` aggregates many comparisons (count, total, median, p95).
This module measures; it parses no JSON text (``jsonmap.py``), infers no schema
(``infer_json.py``) and renders nothing (``wiretool.render.compare_*``).
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import statistics
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from google.protobuf import descriptor_pool
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message as PbMessage

from wiretool.errors import Diagnostic
from wiretool.protobuf import wire
from wiretool.protobuf.annotate import (
    DescriptorHints,
    annotate_message,
    is_map,
    oneof_name,
    read_scalar,
    type_name,
)
from wiretool.protobuf.jsonmap import SPECIAL_JSON_TYPES, canonical_json, dumps_compact
from wiretool.protobuf.jsontext import MAX_DEPTH_LIMIT, JsonInputError, parse_json_text
from wiretool.protobuf.model import Field, Kind, WireType

FD = FieldDescriptor

COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    # mtime=0 keeps the output (and its size) independent of the clock.
    "gzip": lambda data: gzip.compress(data, compresslevel=6, mtime=0),
    "deflate": lambda data: zlib.compress(data, 6),
}
"""Compressors applied to every encoding: name -> function (both level 6, stdlib)."""

_INT64_TYPES = frozenset(
    {FD.TYPE_INT64, FD.TYPE_UINT64, FD.TYPE_SINT64, FD.TYPE_FIXED64, FD.TYPE_SFIXED64}
)
_PACKABLE = frozenset(
    {
        FD.TYPE_DOUBLE,
        FD.TYPE_FLOAT,
        FD.TYPE_INT64,
        FD.TYPE_UINT64,
        FD.TYPE_INT32,
        FD.TYPE_FIXED64,
        FD.TYPE_FIXED32,
        FD.TYPE_BOOL,
        FD.TYPE_UINT32,
        FD.TYPE_ENUM,
        FD.TYPE_SFIXED32,
        FD.TYPE_SFIXED64,
        FD.TYPE_SINT32,
        FD.TYPE_SINT64,
    }
)


# -- the model -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EncodedSize:
    """One encoding's size, raw and compressed."""

    bytes: int
    """Bytes of the encoding itself."""
    compressed: dict[str, int]
    """Compressor name (``gzip``, ``deflate``) -> bytes after compressing the encoding alone."""

    @property
    def gzip_bytes(self) -> int:
        return self.compressed["gzip"]


def measure(data: bytes) -> EncodedSize:
    """The size of ``data`` and of ``data`` through every compressor in COMPRESSORS."""
    return EncodedSize(len(data), {name: len(fn(data)) for name, fn in COMPRESSORS.items()})


@dataclass(frozen=True, slots=True)
class ProtobufBytes:
    """Where a field's protobuf bytes go (summed over its occurrences)."""

    tag: int = 0
    length_prefix: int = 0
    payload: int = 0
    end_group: int = 0
    """The end-group tag of a group (0 for anything else)."""

    @property
    def total(self) -> int:
        return self.tag + self.length_prefix + self.payload + self.end_group

    def __add__(self, other: ProtobufBytes) -> ProtobufBytes:
        return ProtobufBytes(
            self.tag + other.tag,
            self.length_prefix + other.length_prefix,
            self.payload + other.payload,
            self.end_group + other.end_group,
        )


@dataclass(frozen=True, slots=True)
class JsonBytes:
    """Where a field's JSON bytes go (summed over the objects it appears in)."""

    key: int = 0
    """The key's characters, without quotes."""
    quotes: int = 0
    """Quotes around the key, and around the value when it is a single string."""
    colon: int = 0
    value: int = 0
    """The value (without its quotes when it is a single string; arrays and objects whole)."""
    separator: int = 0
    """The comma after the member (none after the last member of an object)."""

    @property
    def total(self) -> int:
        return self.key + self.quotes + self.colon + self.value + self.separator

    def __add__(self, other: JsonBytes) -> JsonBytes:
        return JsonBytes(
            self.key + other.key,
            self.quotes + other.quotes,
            self.colon + other.colon,
            self.value + other.value,
            self.separator + other.separator,
        )


@dataclass(frozen=True, slots=True)
class FieldSize:
    """The bytes of one field path in both encodings (all occurrences together)."""

    path: str
    """Dotted path of names (numbers for fields the schema does not know): ``lines.price``."""
    name: str | None
    """The field's name in the .proto; None for an unknown field."""
    number: int
    type: str | None
    """Declared type (``int64``, ``.pkg.Msg``, ``map<string, int32>``), None when unknown."""
    json_name: str | None
    """The key in proto3 JSON; None when the field has no JSON member."""
    occurrences: int
    """Field occurrences on the wire (a packed field counts once)."""
    protobuf: ProtobufBytes
    json: JsonBytes
    children: tuple[FieldSize, ...] = ()
    """Fields of a message-typed field; their bytes are part of this field's payload/value."""

    @property
    def protobuf_bytes(self) -> int:
        return self.protobuf.total

    @property
    def json_bytes(self) -> int:
        return self.json.total


@dataclass(frozen=True, slots=True)
class Advice:
    """A place where an encoding wastes bytes, with what a change would save."""

    kind: str
    """``sint``, ``packed``, ``field-number``, ``json-int64``, ``json-base64``, ``default``."""
    path: str
    message: str
    protobuf_bytes_saved: int = 0
    json_bytes_saved: int = 0


@dataclass(frozen=True)
class Comparison:
    """The size of one message as protobuf and as JSON, and why."""

    type_name: str
    """Full name of the message type (``wiretool.inferred.Root`` for an inferred schema)."""
    protobuf: EncodedSize
    json: EncodedSize
    """Canonical proto3 JSON, compact, UTF-8."""
    json_pretty: EncodedSize
    """The same JSON indented by 2 spaces."""
    fields: tuple[FieldSize, ...]
    json_overhead: int
    """JSON bytes that belong to no field: the braces of the top-level object."""
    advice: tuple[Advice, ...]
    mapping: str
    """How the JSON was obtained (canonical proto3 mapping, or the stated schemaless mapping)."""
    estimate: bool = False
    """True when the protobuf side comes from an inferred schema."""
    input_json: EncodedSize | None = None
    """The input's own JSON text, when the input was JSON."""
    input_bytes: int | None = None
    """Bytes of the input after hex/base64 decoding (binary) or as text (JSON)."""
    diagnostics: tuple[Diagnostic, ...] = ()
    protobuf_data: bytes = field(default=b"", repr=False)
    json_data: bytes = field(default=b"", repr=False)

    def ratio(self, compressor: str | None = None, *, of: str = "json") -> float | None:
        """``of`` size (``json``, ``json_pretty``, ``input_json``) over the protobuf size."""
        other = {"json": self.json, "json_pretty": self.json_pretty, "input_json": self.input_json}[
            of
        ]
        if other is None:
            return None
        top = other.bytes if compressor is None else other.compressed[compressor]
        bottom = self.protobuf.bytes if compressor is None else self.protobuf.compressed[compressor]
        return top / bottom if bottom else None


# -- measuring one message -------------------------------------------------------------


def compare_message(
    msg: PbMessage,
    *,
    pool: descriptor_pool.DescriptorPool | None = None,
    mapping: str = "canonical proto3 JSON (google.protobuf.json_format), compact, UTF-8",
    estimate: bool = False,
    input_json: bytes | None = None,
    input_bytes: int | None = None,
    diagnostics: Sequence[Diagnostic] = (),
) -> Comparison:
    """Measure ``msg`` in both encodings (see the module docstring)."""
    descriptor = cast(Descriptor, msg.DESCRIPTOR)
    data = msg.SerializeToString(deterministic=True)
    # An Any stays its two fields here: sizes are counted as the wire holds them.
    decoded, found = wire.decode_message(data, hints=DescriptorHints(descriptor, None))
    tree, more = annotate_message(decoded, descriptor, None)
    value, compact, pretty = canonical_json(msg, pool)
    facts = _JsonFacts()
    if input_json is not None:
        _input_defaults(input_json, descriptor, facts)
    fields, overhead = _breakdown(tree.fields, descriptor, value, len(compact), facts)
    advice = find_advice(tree.fields, descriptor, facts.tallies, facts.types)
    return Comparison(
        type_name=descriptor.full_name,
        protobuf=measure(data),
        json=measure(compact),
        json_pretty=measure(pretty),
        fields=fields,
        json_overhead=overhead,
        advice=advice,
        mapping=mapping,
        estimate=estimate,
        input_json=measure(input_json) if input_json is not None else None,
        input_bytes=input_bytes,
        diagnostics=(*diagnostics, *found, *more),
        protobuf_data=data,
        json_data=compact,
    )


# -- per-field breakdown ---------------------------------------------------------------

_JsonMembers = dict[int, tuple[JsonBytes, list[Any]]]
"""Field number -> the JSON bytes of its members and their values, over many objects."""


@dataclass
class _Tally:
    count: int = 0
    saved: int = 0
    extra: int = 0


@dataclass
class _JsonFacts:
    """What the JSON side shows about waste, gathered while attributing bytes."""

    tallies: dict[tuple[str, str], _Tally] = field(default_factory=dict)
    types: dict[str, tuple[Descriptor, FieldDescriptor]] = field(default_factory=dict)

    def note(self, path: str, parent: Descriptor, fd: FieldDescriptor, values: list[Any]) -> None:
        strings = [v for v in _flatten(values) if isinstance(v, str)]
        if not strings:
            return
        if fd.type in _INT64_TYPES:
            t = self.tallies.setdefault(("json-int64", path), _Tally())
            t.count += len(strings)
            t.saved += 2 * len(strings)
        elif fd.type == FD.TYPE_BYTES:
            t = self.tallies.setdefault(("json-base64", path), _Tally())
            raw = sum(
                len(base64.b64decode(s + "=" * (-len(s) % 4), altchars=b"-_")) for s in strings
            )
            t.count += len(strings)
            t.saved += sum(len(s) for s in strings) - raw
            t.extra += raw
        else:
            return
        self.types[path] = (parent, fd)


def _breakdown(
    fields: Sequence[Field],
    descriptor: Descriptor,
    json_value: Any,
    json_size: int,
    facts: _JsonFacts,
) -> tuple[tuple[FieldSize, ...], int]:
    special = descriptor.full_name in SPECIAL_JSON_TYPES or not isinstance(json_value, dict)
    members = {} if special else _json_members([json_value], descriptor)
    sizes = _level([tuple(fields)], descriptor, members, "", facts)
    overhead = json_size - sum(s.json_bytes for s in sizes)
    return sizes, overhead


def _level(
    instances: list[tuple[Field, ...]],
    descriptor: Descriptor | None,
    members: _JsonMembers,
    prefix: str,
    facts: _JsonFacts,
) -> tuple[FieldSize, ...]:
    by_number: dict[int, list[Field]] = {}
    for fields in instances:
        for f in fields:
            by_number.setdefault(f.number, []).append(f)
    for number in members:
        by_number.setdefault(number, [])  # JSON members with no wire bytes (none expected)
    out: list[FieldSize] = []
    for number, occurrences in by_number.items():
        fd = descriptor.fields_by_number.get(number) if descriptor is not None else None
        # A field whose wire type contradicts the schema is left schemaless by annotate.
        known = [f for f in occurrences if f.schema is not None] if fd is not None else []
        path = f"{prefix}{fd.name if fd is not None else number}"
        proto = ProtobufBytes()
        for f in occurrences:
            proto = proto + _protobuf_bytes(f)
        json_parts, values = members.get(number, (JsonBytes(), []))
        if fd is not None and descriptor is not None and values and not is_map(fd):
            facts.note(path, descriptor, fd, values)
        children: tuple[FieldSize, ...] = ()
        nested = [f.fields for f in occurrences if f.kind in (Kind.MESSAGE, Kind.GROUP)]
        if nested:
            child_desc = fd.message_type if fd is not None and known else None
            child_members: _JsonMembers = {}
            if child_desc is not None and child_desc.full_name not in SPECIAL_JSON_TYPES:
                if is_map(fd) if fd is not None else False:
                    child_members = _map_members(values, child_desc)
                else:
                    objects = [v for v in _flatten(values) if isinstance(v, dict)]
                    child_members = _json_members(objects, child_desc)
            children = _level(nested, child_desc, child_members, path + ".", facts)
        out.append(
            FieldSize(
                path=path,
                name=fd.name if fd is not None else None,
                number=number,
                type=type_name(fd) if fd is not None else None,
                json_name=fd.json_name if fd is not None and number in members else None,
                occurrences=len(occurrences),
                protobuf=proto,
                json=json_parts,
                children=children,
            )
        )
    return tuple(out)


def _protobuf_bytes(f: Field) -> ProtobufBytes:
    prefix = f.value_offset - f.offset - f.tag_length
    end_group = f.length - f.tag_length - prefix - f.value_length
    return ProtobufBytes(f.tag_length, prefix, f.value_length, end_group)


def _flatten(values: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        out.extend(v if isinstance(v, list) else [v])
    return out


def _text_bytes(text: str) -> int:
    """Bytes of a JSON string literal's contents (escapes included, quotes excluded)."""
    return len(dumps_compact(text)) - 2


def _json_members(objects: Iterable[dict[str, Any]], descriptor: Descriptor) -> _JsonMembers:
    by_key = {f.json_name: f for f in descriptor.fields}
    members: _JsonMembers = {}
    for obj in objects:
        items = list(obj.items())
        for index, (key, value) in enumerate(items):
            fd = by_key.get(key) or descriptor.fields_by_name.get(key)
            if fd is None:
                continue
            string = isinstance(value, str)
            parts = JsonBytes(
                key=_text_bytes(key),
                quotes=4 if string else 2,
                colon=1,
                value=len(dumps_compact(value)) - (2 if string else 0),
                separator=1 if index < len(items) - 1 else 0,
            )
            old, seen = members.get(fd.number, (JsonBytes(), []))
            members[fd.number] = (old + parts, [*seen, value])
    return members


def _map_members(values: Iterable[Any], entry: Descriptor) -> _JsonMembers:
    """A JSON map ``{"k": v, ...}`` seen as entries: ``"k":`` is the key, ``v,`` the value."""
    keys, vals = JsonBytes(), JsonBytes()
    key_values: list[Any] = []
    value_values: list[Any] = []
    for obj in values:
        if not isinstance(obj, dict):
            continue
        items = list(obj.items())
        for index, (key, value) in enumerate(items):
            string = isinstance(value, str)
            keys = keys + JsonBytes(key=_text_bytes(key), quotes=2, colon=1)
            vals = vals + JsonBytes(
                quotes=2 if string else 0,
                value=len(dumps_compact(value)) - (2 if string else 0),
                separator=1 if index < len(items) - 1 else 0,
            )
            key_values.append(key)
            value_values.append(value)
    return {1: (keys, key_values), 2: (vals, value_values)}


# -- advice ----------------------------------------------------------------------------


def varint_size(value: int) -> int:
    """Bytes of ``value`` as a varint (negative values as 64-bit two's complement)."""
    value &= (1 << 64) - 1
    return max(1, math.ceil(value.bit_length() / 7))


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def find_advice(
    fields: Sequence[Field],
    descriptor: Descriptor,
    json_tallies: dict[tuple[str, str], _Tally] | None = None,
    json_types: dict[str, tuple[Descriptor, FieldDescriptor]] | None = None,
) -> tuple[Advice, ...]:
    """Every kind of waste found in ``fields`` (the annotated decode) and the JSON facts."""
    tallies: dict[tuple[str, str], _Tally] = {}
    types: dict[str, tuple[Descriptor, FieldDescriptor]] = {}
    _walk(fields, descriptor, "", tallies, types)
    for (kind, path), t in (json_tallies or {}).items():
        tallies[(kind, path)] = t
    types.update(json_types or {})
    out: list[Advice] = []
    for (kind, path), t in tallies.items():
        parent, fd = types[path]
        advice = _advise(kind, path, t, parent, fd)
        if advice is not None:
            out.append(advice)
    out.sort(key=lambda a: (-(a.protobuf_bytes_saved + a.json_bytes_saved), a.path, a.kind))
    return tuple(out)


def _walk(
    fields: Sequence[Field],
    descriptor: Descriptor,
    prefix: str,
    tallies: dict[tuple[str, str], _Tally],
    types: dict[str, tuple[Descriptor, FieldDescriptor]],
) -> None:
    by_number: dict[int, list[Field]] = {}
    for f in fields:
        if f.schema is not None:
            by_number.setdefault(f.number, []).append(f)
    for number, occurrences in by_number.items():
        fd = descriptor.fields_by_number[number]
        path = prefix + fd.name
        types[path] = (descriptor, fd)

        def tally(kind: str, saved: int, count: int = 1, extra: int = 0, _p: str = path) -> None:
            t = tallies.setdefault((kind, _p), _Tally())
            t.count += count
            t.saved += saved
            t.extra += extra

        signed = fd.type in (FD.TYPE_INT32, FD.TYPE_INT64)
        for f in occurrences:
            if signed:
                raws = f.values if f.kind is Kind.PACKED else (f.value,)
                for raw in raws:
                    if isinstance(raw, int) and raw >> 63:  # negative: sign-extended to 10 bytes
                        number_value = read_scalar(fd, raw, WireType.VARINT).value
                        if isinstance(number_value, int):
                            tally("sint", 10 - varint_size(_zigzag(number_value)))
            if fd.number >= 16:
                tally("field-number", f.tag_length - 1)
            if (
                not fd.is_repeated
                and fd.has_presence
                and oneof_name(fd) is None
                and _is_default(fd, f)
            ):
                tally("default", f.length)
        plain = [f for f in occurrences if f.kind is not Kind.PACKED]
        if fd.is_repeated and fd.type in _PACKABLE and len(plain) >= 2:
            payload = sum(f.value_length for f in plain)
            now = sum(f.length for f in plain)
            packed = plain[0].tag_length + varint_size(payload) + payload
            if now > packed:
                tally("packed", now - packed, len(plain))
        for f in occurrences:
            if f.kind in (Kind.MESSAGE, Kind.GROUP) and fd.message_type is not None:
                _walk(f.fields, fd.message_type, path + ".", tallies, types)


def _input_defaults(input_json: bytes, descriptor: Descriptor, facts: _JsonFacts) -> None:
    """Tally the members of the input JSON that hold a default value canonical JSON drops.

    proto3 fields without presence (not ``optional``, not in a oneof, not messages) are
    left out of canonical JSON when they hold their default (0, "", false, the first
    enum value, an empty list or map); a REST payload that spells them out pays for
    ``"key":0,`` every time.
    """
    try:  # the reader bounds the nesting (_defaults_in recurses once per level)
        value = parse_json_text(input_json, MAX_DEPTH_LIMIT)
    except JsonInputError:
        return
    _defaults_in(value, descriptor, "", facts)


def _defaults_in(value: Any, descriptor: Descriptor, prefix: str, facts: _JsonFacts) -> None:
    if not isinstance(value, dict) or descriptor.GetOptions().map_entry:
        return
    by_key = {**{fd.name: fd for fd in descriptor.fields},
              **{fd.json_name: fd for fd in descriptor.fields}}
    for key, member in value.items():
        fd = by_key.get(key)
        if fd is None:
            continue
        path = prefix + fd.name
        if fd.message_type is not None:
            items = member if isinstance(member, list) else [member]
            for item in items:
                _defaults_in(item, fd.message_type, path + ".", facts)
            if not (isinstance(member, (list, dict)) and not member and fd.is_repeated):
                continue
        elif fd.has_presence or not _json_is_default(fd, member):
            continue
        cost = len(json.dumps({key: member}, separators=(",", ":"), ensure_ascii=False)
                   .encode()) - 2 + 1  # "key":value plus its comma
        tally = facts.tallies.setdefault(("json-default", path), _Tally())
        tally.count += 1
        tally.saved += cost
        facts.types[path] = (descriptor, fd)


def _json_is_default(fd: FieldDescriptor, member: Any) -> bool:
    if fd.is_repeated:
        return bool(member == [] or member == {})
    if fd.type == FD.TYPE_ENUM and fd.enum_type is not None:
        first = fd.enum_type.values_by_number.get(0)
        return bool(member == 0 or (first is not None and member == first.name))
    if fd.type == FD.TYPE_BOOL:
        return member is False
    if fd.type in (FD.TYPE_STRING, FD.TYPE_BYTES):
        return bool(member == "")
    if isinstance(member, str):  # 64-bit integers and special floats arrive as strings
        try:
            return float(member) == 0
        except ValueError:
            return False
    return isinstance(member, (int, float)) and not isinstance(member, bool) and member == 0


def _is_default(fd: FieldDescriptor, f: Field) -> bool:
    if f.kind in (Kind.STRING, Kind.BYTES):
        return f.value_length == 0 and fd.default_value in ("", b"")
    if f.kind in (Kind.VARINT, Kind.FIXED32, Kind.FIXED64) and isinstance(f.value, int):
        value = read_scalar(fd, f.value, f.wire_type).value
        default = fd.default_value
        if fd.type == FD.TYPE_ENUM and fd.enum_type is not None:
            named = fd.enum_type.values_by_number.get(int(default))
            return value == (named.name if named is not None else default)
        return bool(value == default)
    return False


def _advise(
    kind: str, path: str, t: _Tally, parent: Descriptor, fd: FieldDescriptor
) -> Advice | None:
    if t.saved <= 0:
        return None
    if kind == "sint":
        target = "sint32" if fd.type == FD.TYPE_INT32 else "sint64"
        return Advice(
            kind,
            path,
            f"{path} ({type_name(fd)}): {t.count} negative value(s) take 10 bytes each; "
            f"as {target} they would take {10 * t.count - t.saved} in all",
            protobuf_bytes_saved=t.saved,
        )
    if kind == "packed":
        return Advice(
            kind,
            path,
            f"{path} (repeated {type_name(fd)}): {t.count} elements each carry their own tag; "
            "packed ([packed = true], the proto3 default) they would share one",
            protobuf_bytes_saved=t.saved,
        )
    if kind == "field-number":
        if t.count < 2:
            return None  # not hot: one 2-byte tag is not worth a renumbering
        free = [n for n in range(1, 16) if n not in parent.fields_by_number]
        where = (
            f"numbers free in 1-15 of {parent.name}: {', '.join(map(str, free[:5]))}"
            if free
            else f"no number 1-15 is free in {parent.name}"
        )
        return Advice(
            kind,
            path,
            f"{path} = {fd.number} occurs {t.count} times with a 2+ byte tag; numbers 1-15 "
            f"take 1 byte ({where})",
            protobuf_bytes_saved=t.saved,
        )
    if kind == "default":
        return Advice(
            kind,
            path,
            f"{path}: {t.count} explicitly set default value(s) are still encoded; leave them "
            "unset if presence does not matter",
            protobuf_bytes_saved=t.saved,
        )
    if kind == "json-default":
        return Advice(
            kind,
            path,
            f"{path}: {t.count} default value(s) spelled out in the input JSON; canonical "
            "proto3 JSON leaves them out",
            json_bytes_saved=t.saved,
        )
    if kind == "json-int64":
        return Advice(
            kind,
            path,
            f"{path} ({type_name(fd)}): proto3 JSON writes 64-bit integers as strings; "
            f"{t.count} value(s) carry 2 quote bytes each",
            json_bytes_saved=t.saved,
        )
    if kind == "json-base64":
        return Advice(
            kind,
            path,
            f"{path} (bytes): {t.extra} bytes become {t.extra + t.saved} characters of base64 "
            "in JSON",
            json_bytes_saved=t.saved,
        )
    return None


# -- many messages ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Stats:
    """Distribution of one size over a batch of inputs."""

    count: int
    total: int
    median: float
    p95: int
    """95th percentile, nearest-rank method (the smallest value >= 95% of the values)."""
    min: int
    max: int


def stats(values: Sequence[int]) -> Stats:
    """Count, total, median, p95 (nearest rank), min and max of ``values`` (not empty)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return Stats(
        count=len(ordered),
        total=sum(ordered),
        median=float(statistics.median(ordered)),
        p95=ordered[rank - 1],
        min=ordered[0],
        max=ordered[-1],
    )


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """Sizes of many messages, per encoding, each message compressed on its own."""

    count: int
    encodings: dict[str, Stats]
    """``protobuf``, ``protobuf+gzip``, ``json``, ``json+gzip``, ``json_pretty``, ... -> stats."""
    ratio: float | None
    """Total JSON bytes / total protobuf bytes."""
    compressed_ratio: dict[str, float | None]
    """Per compressor: total compressed JSON / total compressed protobuf."""


def summarize(comparisons: Sequence[Comparison]) -> BatchSummary:
    """Aggregate ``comparisons`` (at least one)."""
    series: dict[str, list[int]] = {}

    def add(name: str, size: EncodedSize | None) -> None:
        if size is None:
            return
        series.setdefault(name, []).append(size.bytes)
        for comp, n in size.compressed.items():
            series.setdefault(f"{name}+{comp}", []).append(n)

    for c in comparisons:
        add("protobuf", c.protobuf)
        add("json", c.json)
        add("json_pretty", c.json_pretty)
        add("input_json", c.input_json)
    encodings = {name: stats(values) for name, values in series.items()}
    pb = encodings["protobuf"].total
    ratio = encodings["json"].total / pb if pb else None
    compressed: dict[str, float | None] = {}
    for comp in COMPRESSORS:
        bottom = encodings[f"protobuf+{comp}"].total
        compressed[comp] = encodings[f"json+{comp}"].total / bottom if bottom else None
    return BatchSummary(len(comparisons), encodings, ratio, compressed)
