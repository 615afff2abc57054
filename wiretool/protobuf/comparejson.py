"""``compare-json`` as a library: one input's bytes -> a :class:`~.sizes.Comparison`.

Chooses the path the issue describes, from the input and whether a schema is given:

=============  ===============  ==============================================
input          schema           path
=============  ===============  ==============================================
JSON           given            JSON -> message (runtime JSON mapping) -> sizes
binary         given            bytes -> message (runtime parser) -> sizes;
                                if it does not parse: schemaless + diagnostic
binary         none             schemaless decode -> inferred schema -> sizes
JSON           none             inferred schema from the JSON -> sizes (estimate)
=============  ===============  ==============================================

Several JSON documents given together without a schema share one inferred
schema (:func:`infer_schema_for`), so their estimates are comparable. Reading
files, directories and JSON Lines is the CLI's job; this module takes bytes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf.descriptor import Descriptor
from google.protobuf.message import DecodeError

from wiretool.errors import Diagnostic, Severity
from wiretool.inputs import InputFormat, decode_input
from wiretool.protobuf import wire
from wiretool.protobuf.infer_json import (
    BINARY_MAPPING,
    INFERRED_MAX_DEPTH,
    JSON_MAPPING,
    schema_from_decode,
)
from wiretool.protobuf.infer_json import schema_from_json as _schema_from_json
from wiretool.protobuf.jsonmap import (
    DEFAULT_MAX_DEPTH,
    JsonInputError,
    NoJsonForm,
    json_to_message,
    looks_like_json,
    message_class,
    parse_json_text,
)
from wiretool.protobuf.model import Field
from wiretool.protobuf.schema import Schema
from wiretool.protobuf.sizes import Comparison, compare_message

CANONICAL_MAPPING = (
    "canonical proto3 JSON as google.protobuf.json_format writes it (lowerCamelCase keys, "
    "64-bit integers as strings, bytes as base64, enums by name, default values omitted), "
    "compact, UTF-8"
)


@dataclass(frozen=True, slots=True)
class Document:
    """One input to compare: its name, and either parsed JSON or binary payload."""

    name: str
    """Where it came from: a path, ``path:LINE`` for JSON Lines, or ``-``."""
    raw: bytes
    """The input as read (JSON text, or hex/base64/binary before decoding)."""
    json: Any = None
    """The parsed JSON value when the input is JSON."""
    is_json: bool = False


def read_document(
    name: str, raw: bytes, input_format: str = "auto", max_depth: int = DEFAULT_MAX_DEPTH
) -> Document:
    """Classify ``raw`` as JSON or binary (``input_format``: auto, json, raw, hex, base64).

    JSON that does not parse, nests deeper than ``max_depth`` or repeats a key raises
    JsonInputError with line and column (and the JSON path for the last two).
    """
    if input_format == "json" or (input_format == "auto" and looks_like_json(raw)):
        return Document(name, raw, parse_json_text(raw, max_depth), True)
    return Document(name, raw)


def infer_schema_for(documents: Sequence[Document]) -> Schema | None:
    """One schema inferred from every JSON object among ``documents`` (None if none)."""
    objects = [d.json for d in documents if d.is_json and isinstance(d.json, dict)]
    return _schema_from_json(objects) if objects else None


def compare_document(
    doc: Document,
    *,
    schema: Schema | None = None,
    descriptor: Descriptor | None = None,
    input_format: str = "auto",
    inferred: Schema | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Comparison:
    """Measure one document (see the module docstring for the paths).

    ``schema``/``descriptor``: the user's schema and type. ``inferred``: a schema
    inferred from all JSON documents of the batch (made here when not given).
    ``max_depth``: how deep a schemaless decode of binary input expands messages
    (at most :data:`~wiretool.protobuf.infer_json.INFERRED_MAX_DEPTH`; deeper ones
    are measured as bytes, with a warning). JSON nesting is bounded when it is read
    (:func:`read_document`).
    """
    if doc.is_json:
        return _compare_json(doc, schema, descriptor, inferred)
    return _compare_binary(doc, schema, descriptor, input_format, max_depth)


def _compare_json(
    doc: Document, schema: Schema | None, descriptor: Descriptor | None, inferred: Schema | None
) -> Comparison:
    if not isinstance(doc.json, dict):
        raise JsonInputError(
            f"{doc.name}: the top-level JSON value is {type(doc.json).__name__}, not an object; "
            "a protobuf message maps to a JSON object (use JSON Lines for many messages)"
        )
    if schema is not None and descriptor is not None:
        msg = json_to_message(doc.json, descriptor, schema.pool)
        return compare_message(
            msg,
            pool=schema.pool,
            mapping=CANONICAL_MAPPING,
            input_json=doc.raw,
            input_bytes=len(doc.raw),
        )
    found = inferred or _schema_from_json([doc.json])
    root = found.resolve_type(None)
    msg = json_to_message(doc.json, root, found.pool)
    return compare_message(
        msg,
        pool=found.pool,
        mapping=JSON_MAPPING + " JSON: " + CANONICAL_MAPPING + ".",
        estimate=True,
        input_json=doc.raw,
        input_bytes=len(doc.raw),
    )


def _compare_binary(
    doc: Document,
    schema: Schema | None,
    descriptor: Descriptor | None,
    input_format: str,
    max_depth: int,
) -> Comparison:
    fmt = InputFormat(input_format) if input_format in ("raw", "hex", "base64") else None
    data = decode_input(doc.raw, fmt or InputFormat.AUTO).data
    notes: list[Diagnostic] = []
    if schema is not None and descriptor is not None:
        msg = message_class(descriptor)()
        try:
            msg.ParseFromString(data)
        except DecodeError as exc:
            notes.append(
                Diagnostic(
                    0,
                    Severity.ERROR,
                    f"{doc.name}: the input does not parse as {descriptor.full_name} ({exc}); "
                    "compared without schema",
                    len(data),
                )
            )
        else:
            try:
                return compare_message(
                    msg, pool=schema.pool, mapping=CANONICAL_MAPPING, input_bytes=len(data)
                )
            except NoJsonForm as exc:
                notes.append(
                    Diagnostic(
                        0,
                        Severity.ERROR,
                        f"{doc.name}: the input parses as {descriptor.full_name}, but "
                        f"{exc.message}; compared without schema",
                        len(data),
                    )
                )
    # The runtime refuses schemas and messages nested past 100 levels: the inferred
    # schema stops at INFERRED_MAX_DEPTH, and what is deeper is measured as bytes.
    depth = min(max_depth, INFERRED_MAX_DEPTH)
    message, found = wire.decode_message(data, max_depth=depth)
    notes.extend(found)
    if depth < max_depth and not _all_expanded(message.fields):
        notes.append(Diagnostic(
            0, Severity.INFO,
            f"{doc.name}: without a schema, messages are expanded {INFERRED_MAX_DEPTH} levels "
            "deep at most (the protobuf runtime reads 100); deeper ones are measured as bytes",
        ))
    if message.unparsed is not None:
        notes.append(
            Diagnostic(
                message.unparsed.offset,
                Severity.ERROR,
                f"{doc.name}: {message.unparsed.length} bytes from offset "
                f"{message.unparsed.offset} are not protobuf and are left out of the comparison",
                message.unparsed.length,
            )
        )
    inferred = schema_from_decode(message.fields)
    msg = message_class(inferred.resolve_type(None))()
    end = message.unparsed.offset if message.unparsed is not None else len(data)
    try:
        msg.ParseFromString(data[:end])
    except DecodeError as exc:  # the inferred schema should always fit; say so if not
        raise JsonInputError(f"{doc.name}: cannot re-read the schemaless decode: {exc}") from None
    result = compare_message(
        msg, pool=inferred.pool, mapping=BINARY_MAPPING, estimate=False, input_bytes=len(data)
    )
    return dataclasses.replace(result, diagnostics=(*notes, *result.diagnostics))


def _all_expanded(fields: Sequence[Field]) -> bool:
    """False when a message or group anywhere in ``fields`` was left unexpanded."""
    work = list(fields)
    while work:
        f = work.pop()
        if not f.expanded:
            return False
        work.extend(f.fields)
    return True
