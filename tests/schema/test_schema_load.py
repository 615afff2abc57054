"""Loading schemas: .proto compilation, descriptor sets, type and method lookup."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from wiretool.protobuf.schema import (
    ProtoCompileError,
    SchemaError,
    build_schema,
    load_schema,
    parse_compiler_output,
    read_descriptor_set,
)

DATA = Path(__file__).parent / "data"
SHOP = SAMPLES / "shop"
"""Where ``shop.proto`` is: the bundled sample, which ``data/service.proto`` imports."""


def test_proto_with_well_known_import_compiles_without_a_path() -> None:
    schema = load_schema([SHOP / "shop.proto"])
    assert schema.roots == ("shop.proto",)
    assert "google/protobuf/timestamp.proto" in schema.files
    order = schema.resolve_type("shop.v1.Order")
    assert order.fields_by_name["created"].message_type.full_name == "google.protobuf.Timestamp"
    assert [n for n in schema.message_names(roots_only=True)] == [
        "shop.v1.Money",
        "shop.v1.Order",
        "shop.v1.Order.Line",
    ]


def test_imports_resolved_through_proto_path() -> None:
    schema = load_schema([DATA / "service.proto"], proto_paths=[DATA, SHOP])
    assert schema.roots == ("service.proto",)
    method = schema.method("/shop.v1.Orders/GetOrder")
    assert method.input.full_name == "shop.v1.GetOrderRequest"
    assert method.output.full_name == "shop.v1.Order"
    assert not method.server_streaming
    assert schema.method("shop.v1.Orders/WatchOrders").server_streaming


def test_unknown_method_lists_close_matches() -> None:
    schema = load_schema([DATA / "service.proto"], proto_paths=[DATA, SHOP])
    with pytest.raises(SchemaError, match=r"did you mean: /shop.v1.Orders/GetOrder"):
        schema.method("/shop.v1.Orders/GetOrdr")
    with pytest.raises(SchemaError, match="not a gRPC method path"):
        schema.method("no slash here")


def test_type_omitted_uses_the_single_top_level_message() -> None:
    schema = load_schema([DATA / "legacy.proto"])
    assert schema.resolve_type(None).full_name == "legacy.Record"


def test_type_omitted_with_several_candidates_lists_them() -> None:
    schema = load_schema([SHOP / "shop.proto"])
    with pytest.raises(SchemaError) as info:
        schema.resolve_type(None)
    assert "choose one with --type" in info.value.message
    assert "shop.v1.Money" in info.value.message and "shop.v1.Order" in info.value.message


def test_unknown_type_lists_close_matches() -> None:
    schema = load_schema([SHOP / "shop.proto"])
    with pytest.raises(SchemaError, match=r"unknown message type 'shop.v1.Ordr'; did you mean"):
        schema.resolve_type("shop.v1.Ordr")
    # A unique short name and a leading dot are accepted.
    assert schema.resolve_type("Line").full_name == "shop.v1.Order.Line"
    assert schema.resolve_type(".shop.v1.Money").full_name == "shop.v1.Money"


def test_compile_error_has_file_line_and_column() -> None:
    with pytest.raises(ProtoCompileError) as info:
        load_schema([DATA / "broken.proto"])
    problem = info.value.problems[0]
    assert problem.file.endswith("broken.proto")
    assert (problem.line, problem.column) == (5, 3)
    assert 'Expected ";"' in problem.message
    assert f"{DATA / 'broken.proto'}:5:3: Expected" in info.value.message


def test_compile_error_for_missing_import() -> None:
    with pytest.raises(ProtoCompileError) as info:
        load_schema([DATA / "imports_missing.proto"])
    text = info.value.message
    assert "does/not/exist.proto" in text


def test_missing_proto_file_and_bad_proto_path() -> None:
    with pytest.raises(SchemaError, match="no such file"):
        load_schema([DATA / "nope.proto"])
    with pytest.raises(SchemaError, match="not a directory"):
        load_schema([SHOP / "shop.proto"], proto_paths=[DATA / "nope"])


def test_proto_outside_proto_path_gets_its_own_directory(tmp_path: Path) -> None:
    shutil.copy(DATA / "legacy.proto", tmp_path / "legacy.proto")
    schema = load_schema([tmp_path / "legacy.proto"], proto_paths=[DATA, SHOP])
    assert schema.roots == ("legacy.proto",)


def test_descriptor_set_from_system_protoc_loads() -> None:
    # service.pb was written by Debian's protoc 3.21 (see data/make_data.sh).
    schema = load_schema(descriptor_sets=[DATA / "service.pb"])
    assert "google/protobuf/timestamp.proto" in schema.files
    assert schema.method("/shop.v1.Orders/GetOrder").output.full_name == "shop.v1.Order"
    compiled = load_schema([DATA / "service.proto"], proto_paths=[DATA, SHOP])
    # Both compilers agree on every field of every message.
    for name in ("shop.v1.Order", "shop.v1.Money", "shop.v1.Order.Line"):
        a, b = schema.resolve_type(name), compiled.resolve_type(name)
        assert [(f.name, f.number, f.type, f.json_name) for f in a.fields] == [
            (f.name, f.number, f.type, f.json_name) for f in b.fields
        ]


def test_descriptor_set_without_imports_gets_well_known_types_from_runtime() -> None:
    schema = load_schema(descriptor_sets=[DATA / "shop_no_imports.pb"])
    order = schema.resolve_type("shop.v1.Order")
    assert order.fields_by_name["created"].message_type.full_name == "google.protobuf.Timestamp"


def test_descriptor_set_missing_a_user_import_is_an_error() -> None:
    fds = read_descriptor_set(DATA / "service.pb")
    only_service = [f for f in fds.file if f.name == "service.proto"]
    with pytest.raises(SchemaError, match=r"shop.proto \(imported by service.proto\) is missing"):
        build_schema(only_service, ["service.proto"])


def test_not_a_descriptor_set(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pb"
    bad.write_bytes(b"\xff\xff\xff")
    with pytest.raises(SchemaError, match="is not a FileDescriptorSet"):
        load_schema(descriptor_sets=[bad])
    empty = tmp_path / "empty.pb"
    empty.write_bytes(b"")
    with pytest.raises(SchemaError, match="holds no file descriptors"):
        load_schema(descriptor_sets=[empty])
    with pytest.raises(SchemaError, match="cannot read descriptor set"):
        load_schema(descriptor_sets=[tmp_path / "absent.pb"])


def test_no_schema_at_all() -> None:
    with pytest.raises(SchemaError, match="no schema given"):
        load_schema()


def test_parse_compiler_output_forms() -> None:
    problems = parse_compiler_output(
        'a.proto:3:7: Expected "}".\n'
        'b.proto: Import "x.proto" was not found or had errors.\n'
        "some unplaceable line of text\n"
    )
    assert [(p.file, p.line, p.column) for p in problems] == [
        ("a.proto", 3, 7),
        ("b.proto", None, None),
        ("protoc", None, None),
    ]
    assert str(problems[0]) == 'a.proto:3:7: Expected "}".'
