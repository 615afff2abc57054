"""JSON text <-> protobuf messages through the runtime's canonical proto3 JSON mapping.

* JSON text is read by ``jsontext.py`` (re-exported here: :func:`parse_json_text`,
  :func:`looks_like_json`, :class:`JsonInputError`);
* :func:`json_to_message` fills a message of a given type through
  ``google.protobuf.json_format`` and, when the runtime rejects the value, finds
  the exact JSON path (``$.lines[2].price.units``) and the field it stopped at;
* :func:`canonical_json` writes a message back as canonical proto3 JSON, compact
  (the figure ``compare-json`` reports) and pretty-printed.

The protobuf runtime does the mapping; this module only locates errors and fixes
the byte layout (separators, indentation, UTF-8). It prints nothing; the CLI
turns :class:`JsonInputError` into a message and exit code 1.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Error as PbError
from google.protobuf.message import Message as PbMessage

from wiretool.protobuf.jsontext import (
    DEFAULT_MAX_DEPTH,
    MAX_DEPTH_LIMIT,
    JsonInputError,
    json_member,
    looks_like_json,
    parse_json_text,
)

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "MAX_DEPTH_LIMIT",
    "SPECIAL_JSON_TYPES",
    "JsonInputError",
    "NoJsonForm",
    "canonical_json",
    "json_to_message",
    "looks_like_json",
    "message_class",
    "parse_json_text",
]

# Types whose proto3 JSON is not an object of their fields (proto3 JSON mapping,
# "JSON Mapping" table): their members cannot be attributed field by field.
SPECIAL_JSON_TYPES = frozenset(
    {
        *(
            f"google.protobuf.{t}"
            for t in ("Any", "Duration", "FieldMask", "ListValue", "Struct", "Timestamp", "Value")
        ),
        *(
            f"google.protobuf.{w}Value"
            for w in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String")
        ),
        "google.protobuf.BytesValue",
    }
)


def message_class(descriptor: Descriptor) -> type[PbMessage]:
    """The runtime's message class for ``descriptor``."""
    return message_factory.GetMessageClass(descriptor)


RUNTIME_JSON_DEPTH = 100
"""Message levels ``json_format.ParseDict`` reads (its ``max_recursion_depth`` default;
``google.protobuf.Value`` and ``ListValue`` count one level each)."""


def json_to_message(
    value: Any, descriptor: Descriptor, pool: descriptor_pool.DescriptorPool | None = None
) -> PbMessage:
    """``value`` (parsed JSON) as a message of ``descriptor``, via the runtime's JSON mapping.

    JsonInputError names the JSON path and the field the runtime rejected.
    """
    msg = message_class(descriptor)()
    try:
        json_format.ParseDict(value, msg, descriptor_pool=pool,
                              max_recursion_depth=RUNTIME_JSON_DEPTH)
    except _RUNTIME_REJECTS as exc:
        path, reason = locate_json_error(value, descriptor, pool, "$")
        raise JsonInputError(
            f"JSON does not fit {descriptor.full_name} at {path}: {reason or _short(exc)}",
            path=path,
        ) from None
    return msg


def locate_json_error(
    value: Any,
    descriptor: Descriptor,
    pool: descriptor_pool.DescriptorPool | None,
    path: str,
    budget: int = RUNTIME_JSON_DEPTH,
) -> tuple[str, str | None]:
    """The deepest JSON path at which ``value`` stops fitting ``descriptor``, and why.

    ``budget`` is how many message levels the runtime still reads at ``path`` (each
    level down spends one), so a document nested too deep is placed where it passes
    the limit, not where a fresh parse of the rest would fit again.
    """
    if descriptor.full_name in SPECIAL_JSON_TYPES:
        return path, _try(value, descriptor, pool, budget)
    if not isinstance(value, dict):
        return path, f"expected an object for {descriptor.full_name}, got {_json_kind(value)}"
    if budget < 1:
        return path, _too_deep()
    by_json = {f.json_name: f for f in descriptor.fields}
    for key, member in value.items():
        here = path + json_member(key)
        fd = by_json.get(key) or descriptor.fields_by_name.get(key)
        if fd is None:
            return here, f"{descriptor.full_name} has no field named {key!r}"
        problem = _try({key: member}, descriptor, pool, budget)
        if problem is None:
            continue
        mt = fd.message_type
        is_map = mt is not None and bool(mt.GetOptions().map_entry)
        down = budget - 1
        if mt is not None and not is_map and member is not None:
            if fd.is_repeated and isinstance(member, list):
                for index, element in enumerate(member):
                    if _try(element, mt, pool, down) is not None:
                        return locate_json_error(element, mt, pool, f"{here}[{index}]", down)
            elif not fd.is_repeated:
                return locate_json_error(member, mt, pool, here, down)
        if is_map and isinstance(member, dict) and mt is not None:
            value_fd = mt.fields_by_number[2]
            for map_key, map_value in member.items():
                if value_fd.message_type is not None:
                    if _try(map_value, value_fd.message_type, pool, down) is not None:
                        return locate_json_error(map_value, value_fd.message_type, pool,
                                                 f"{here}[{json.dumps(map_key)}]", down)
                elif _try({key: {map_key: map_value}}, descriptor, pool, budget) is not None:
                    return f"{here}[{json.dumps(map_key)}]", problem
        if fd.is_repeated and isinstance(member, list) and not is_map:
            for index, element in enumerate(member):
                if _try({key: [element]}, descriptor, pool, budget) is not None:
                    return f"{here}[{index}]", problem
        return here, problem
    return path, None


# What json_format raises on a value it cannot map: ParseError mostly; ValueError and
# TypeError from conversions it does not wrap; OverflowError from float() of an integer
# beyond the double range.
_RUNTIME_REJECTS = (json_format.ParseError, ValueError, TypeError, OverflowError)


def _try(
    value: Any, descriptor: Descriptor, pool: descriptor_pool.DescriptorPool | None, budget: int
) -> str | None:
    if budget < 1:
        return _too_deep()
    try:
        json_format.ParseDict(value, message_class(descriptor)(), descriptor_pool=pool,
                              max_recursion_depth=budget)
    except _RUNTIME_REJECTS as exc:
        reason = _short(exc)
        return _too_deep() if reason.startswith("Message too deep") else reason
    return None


def _too_deep() -> str:
    return (f"messages nested deeper than the {RUNTIME_JSON_DEPTH} levels the protobuf "
            "runtime reads")


_NESTED_FAILURE = re.compile(
    r"^(?:Failed to (?:parse|serialize) \S+ field: )+(?=Fail(?:ed to (?:parse|serialize) )?)")


def _short(exc: BaseException) -> str:
    # The runtime appends the list of available fields on a new line; keep the first.
    # It also prefixes one "Failed to parse X field: " per message level it went through;
    # the JSON path already says where, so only the innermost is kept.
    text = str(exc).splitlines()[0].rstrip(".") if str(exc) else type(exc).__name__
    return _NESTED_FAILURE.sub("", text)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def message_to_value(msg: PbMessage, pool: descriptor_pool.DescriptorPool | None = None) -> Any:
    """The canonical proto3 JSON value of ``msg`` (field names in lowerCamelCase).

    Map entries are sorted by key, as deterministic binary serialization sorts
    them: the runtime's map iteration order varies between runs, and while that
    never changes the JSON size it would change the compressed sizes.
    """
    value = json_format.MessageToDict(msg, descriptor_pool=pool)
    return _sort_maps(value, cast(Descriptor, msg.DESCRIPTOR))


def _sort_maps(value: Any, descriptor: Descriptor) -> Any:
    if not isinstance(value, dict) or descriptor.full_name in SPECIAL_JSON_TYPES:
        return value
    by_json = {f.json_name: f for f in descriptor.fields}
    out: dict[str, Any] = {}
    for key, member in value.items():
        fd = by_json.get(key)
        mt = fd.message_type if fd is not None else None
        if mt is None:
            out[key] = member
        elif mt.GetOptions().map_entry and isinstance(member, dict):
            key_fd, value_fd = mt.fields_by_number[1], mt.fields_by_number[2]
            numeric = key_fd.type not in (key_fd.TYPE_STRING, key_fd.TYPE_BOOL)
            ordered = sorted(member, key=lambda k: (int(k), "") if numeric else (0, k))
            vt = value_fd.message_type
            out[key] = {
                k: _sort_maps(member[k], vt) if vt is not None else member[k] for k in ordered
            }
        elif isinstance(member, list):
            out[key] = [_sort_maps(v, mt) for v in member]
        else:
            out[key] = _sort_maps(member, mt)
    return out


def dumps_compact(value: Any) -> bytes:
    """JSON with no whitespace at all, UTF-8 (non-ASCII characters are not escaped)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def dumps_pretty(value: Any) -> bytes:
    """JSON indented by 2 spaces, ``": "`` after keys, UTF-8 (as ``MessageToJson`` lays it out)."""
    return json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False).encode()


class NoJsonForm(JsonInputError):
    """The message holds what proto3 JSON cannot write: a NaN or infinite
    ``google.protobuf.Value``, an ``Any`` of an unknown type, a ``Timestamp`` or
    ``Duration`` out of range, a ``FieldMask`` path that is not snake_case."""


# What json_format.MessageToDict raises on such a message (an Any it cannot unpack
# raises the runtime's DecodeError).
_RUNTIME_CANNOT_WRITE = (json_format.Error, ValueError, TypeError, PbError)


def canonical_json(
    msg: PbMessage, pool: descriptor_pool.DescriptorPool | None = None
) -> tuple[Any, bytes, bytes]:
    """``msg`` as canonical proto3 JSON: the value, its compact bytes and its pretty bytes.

    NoJsonForm when the runtime cannot write it (see there).
    """
    try:
        value = message_to_value(msg, pool)
    except _RUNTIME_CANNOT_WRITE as exc:
        raise NoJsonForm(f"the message has no proto3 JSON form: {_short(exc)}") from None
    return value, dumps_compact(value), dumps_pretty(value)
