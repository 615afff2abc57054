"""Schema options shared by every command that can read a schema (decode, compare-json).

Each ``*_option()`` returns a fresh Typer option, so commands declare them as::

    def cmd(
        proto: list[Path] = schema_options.proto_option(),
        proto_path: list[Path] = schema_options.proto_path_option(),
        descriptor_set: list[Path] = schema_options.descriptor_set_option(),
        type_name: str | None = schema_options.type_option(),
    ) -> None:
        loaded = schema_options.load(proto, proto_path, descriptor_set, type_name)
        # None without a schema; else (Schema, Descriptor)

``load`` raises ``SchemaError`` (compile errors with file:line:column, unknown
``--type``); ``common.run`` prints it and exits 2. Loading itself lives in
``wiretool.protobuf.schema``; this module only declares options.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from wiretool.errors import UsageError

if TYPE_CHECKING:
    from google.protobuf.descriptor import Descriptor

    from wiretool.protobuf.schema import Schema


def proto_option() -> Any:
    return typer.Option(
        None,
        "--proto",
        help="A .proto file to compile (repeatable); google/protobuf/*.proto need no path.",
        show_default=False,
    )


def proto_path_option() -> Any:
    return typer.Option(
        None,
        "-I",
        "--proto-path",
        help="A directory to resolve .proto imports from (repeatable).",
        show_default=False,
    )


def descriptor_set_option() -> Any:
    return typer.Option(
        None,
        "--descriptor-set",
        help="A FileDescriptorSet (protoc -o FILE --include_imports, or buf build -o FILE).",
        show_default=False,
    )


def type_option() -> Any:
    return typer.Option(
        None,
        "--type",
        "-t",
        help="Full name of the message type (default: the schema's only top-level message).",
        show_default=False,
    )


def load(
    protos: list[Path] | None,
    proto_paths: list[Path] | None,
    descriptor_sets: list[Path] | None,
    type_name: str | None,
) -> tuple[Schema, Descriptor] | None:
    """The schema and message type the options select; None when no schema was given."""
    if not protos and not descriptor_sets:
        if type_name or proto_paths:
            given = "--type" if type_name else "-I/--proto-path"
            raise UsageError(f"{given} needs a schema: add --proto FILE or --descriptor-set FILE")
        return None
    from wiretool.protobuf.schema import load_schema

    schema = load_schema(protos or (), proto_paths or (), descriptor_sets or ())
    return schema, schema.resolve_type(type_name)


def load_optional(
    protos: list[Path] | None,
    proto_paths: list[Path] | None,
    descriptor_sets: list[Path] | None,
) -> Schema | None:
    """The schema the options give, with no message type chosen (each gRPC method
    names its own); None when no schema was given."""
    if not protos and not descriptor_sets:
        if proto_paths:
            load(protos, proto_paths, descriptor_sets, None)  # raises: -I needs a schema
        return None
    from wiretool.protobuf.schema import load_schema

    return load_schema(protos or (), proto_paths or (), descriptor_sets or ())
