"""JSON text <-> protobuf messages through the runtime's canonical proto3 JSON mapping.

* :func:`parse_json_text` reads a JSON document (UTF-8, BOM tolerated) and
  reports syntax errors with line and column;
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
from typing import Any, cast

from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message as PbMessage

from wiretool.errors import WiretoolError

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


class JsonInputError(WiretoolError):
    """The input is not JSON, or not JSON of the requested type (exit code 1)."""

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        path: str | None = None,
        offset: int | None = None,
    ) -> None:
        super().__init__(message, offset)
        self.line = line
        """1-based line of a syntax error."""
        self.column = column
        """1-based column of a syntax error."""
        self.path = path
        """JSON path (``$.a.b[0]``) of a value that does not fit the schema."""


def looks_like_json(data: bytes) -> bool:
    """True when ``data`` is UTF-8 text starting (after whitespace/BOM) with ``{`` or ``[``."""
    text = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text[:1] not in (b"{", b"["):
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def parse_json_text(data: bytes) -> Any:
    """The JSON value in ``data``; JsonInputError with line and column when it is not JSON."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise JsonInputError(
            f"input is not UTF-8 (invalid byte at offset {exc.start})", offset=exc.start
        ) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise JsonInputError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            line=exc.lineno,
            column=exc.colno,
            offset=exc.pos,
        ) from None
    except ValueError as exc:  # NaN/Infinity literals, which JSON does not have
        raise JsonInputError(f"invalid JSON: {exc}") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def message_class(descriptor: Descriptor) -> type[PbMessage]:
    """The runtime's message class for ``descriptor``."""
    return message_factory.GetMessageClass(descriptor)


def json_to_message(
    value: Any, descriptor: Descriptor, pool: descriptor_pool.DescriptorPool | None = None
) -> PbMessage:
    """``value`` (parsed JSON) as a message of ``descriptor``, via the runtime's JSON mapping.

    JsonInputError names the JSON path and the field the runtime rejected.
    """
    msg = message_class(descriptor)()
    try:
        json_format.ParseDict(value, msg, descriptor_pool=pool)
    except (json_format.ParseError, ValueError, TypeError) as exc:
        path, reason = locate_json_error(value, descriptor, pool, "$")
        raise JsonInputError(
            f"JSON does not fit {descriptor.full_name} at {path}: {reason or _short(exc)}",
            path=path,
        ) from None
    return msg


def locate_json_error(
    value: Any, descriptor: Descriptor, pool: descriptor_pool.DescriptorPool | None, path: str
) -> tuple[str, str | None]:
    """The deepest JSON path at which ``value`` stops fitting ``descriptor``, and why."""
    if descriptor.full_name in SPECIAL_JSON_TYPES:
        return path, _try(value, descriptor, pool)
    if not isinstance(value, dict):
        return path, f"expected an object for {descriptor.full_name}, got {_json_kind(value)}"
    by_json = {f.json_name: f for f in descriptor.fields}
    for key, member in value.items():
        here = f"{path}.{key}" if _plain_key(key) else f"{path}[{json.dumps(key)}]"
        fd = by_json.get(key) or descriptor.fields_by_name.get(key)
        if fd is None:
            return here, f"{descriptor.full_name} has no field named {key!r}"
        problem = _try({key: member}, descriptor, pool)
        if problem is None:
            continue
        mt = fd.message_type
        is_map = mt is not None and bool(mt.GetOptions().map_entry)
        if mt is not None and not is_map and member is not None:
            if fd.is_repeated and isinstance(member, list):
                for index, element in enumerate(member):
                    if _try(element, mt, pool) is not None:
                        return locate_json_error(element, mt, pool, f"{here}[{index}]")
            elif not fd.is_repeated:
                return locate_json_error(member, mt, pool, here)
        if is_map and isinstance(member, dict) and mt is not None:
            value_fd = mt.fields_by_number[2]
            for map_key, map_value in member.items():
                if value_fd.message_type is not None:
                    if _try(map_value, value_fd.message_type, pool) is not None:
                        return locate_json_error(
                            map_value, value_fd.message_type, pool, f"{here}[{json.dumps(map_key)}]"
                        )
                elif _try({key: {map_key: map_value}}, descriptor, pool) is not None:
                    return f"{here}[{json.dumps(map_key)}]", problem
        if fd.is_repeated and isinstance(member, list) and not is_map:
            for index, element in enumerate(member):
                if _try({key: [element]}, descriptor, pool) is not None:
                    return f"{here}[{index}]", problem
        return here, problem
    return path, None


def _try(
    value: Any, descriptor: Descriptor, pool: descriptor_pool.DescriptorPool | None
) -> str | None:
    try:
        json_format.ParseDict(value, message_class(descriptor)(), descriptor_pool=pool)
    except (json_format.ParseError, ValueError, TypeError) as exc:
        return _short(exc)
    return None


def _short(exc: BaseException) -> str:
    # The runtime appends the list of available fields on a new line; keep the first.
    return str(exc).splitlines()[0].rstrip(".") if str(exc) else type(exc).__name__


def _plain_key(key: str) -> bool:
    return key.isidentifier()


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


def canonical_json(
    msg: PbMessage, pool: descriptor_pool.DescriptorPool | None = None
) -> tuple[Any, bytes, bytes]:
    """``msg`` as canonical proto3 JSON: the value, its compact bytes and its pretty bytes."""
    value = message_to_value(msg, pool)
    return value, dumps_compact(value), dumps_pretty(value)
