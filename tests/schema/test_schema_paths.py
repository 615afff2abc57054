"""Where ``--proto`` finds its file, and what it says when it is given something else:
a directory, a compiled descriptor set, a path protoc would find under ``-I``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from wiretool.protobuf.schema import (
    ProtoCompileError,
    SchemaError,
    load_schema,
    parse_compiler_output,
)


def test_a_proto_path_relative_to_an_include_directory_is_found_as_protoc_finds_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "api" / "v1").mkdir(parents=True)
    shutil.copy(SAMPLES / "person.proto", tmp_path / "api" / "v1" / "person.proto")
    monkeypatch.chdir(SAMPLES)  # api/v1/person.proto does not exist from here
    schema = load_schema(protos=["api/v1/person.proto"], proto_paths=[tmp_path])
    assert schema.resolve_type("wiretool.samples.Person").name == "Person"
    with pytest.raises(SchemaError, match=r"cannot read api/v1/nope.proto: no such file "
                                          r"\(nor under -I "):
        load_schema(protos=["api/v1/nope.proto"], proto_paths=[tmp_path])


def test_a_directory_given_as_proto_says_what_to_give() -> None:
    with pytest.raises(SchemaError, match=r"is a directory: give its \.proto files"):
        load_schema(protos=[SAMPLES])


def test_a_descriptor_set_given_as_proto_points_at_descriptor_set() -> None:
    with pytest.raises(SchemaError) as raised:
        load_schema(protos=[SAMPLES / "person.desc"])
    assert "is a compiled descriptor set, not a .proto file: pass it with --descriptor-set" in (
        str(raised.value))


def test_other_binary_data_given_as_proto_is_refused(tmp_path: Path) -> None:
    blob = tmp_path / "x.proto"
    blob.write_bytes(b"\x00\xff\x10garbage")
    with pytest.raises(SchemaError, match=r"is not a \.proto file"):
        load_schema(protos=[blob])


def test_protoc_log_lines_keep_their_message_only(tmp_path: Path) -> None:
    stderr = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to "
        "STDERR\n"
        "protoc: W0000 00:00:1796509535.943989   19656 parser.cc:659] No edition or syntax "
        "specified for the proto file: a.proto.\n"
        "a.proto:1:13: Expected \";\".\n")
    problems = parse_compiler_output(stderr)
    assert [(p.file, p.line, p.message) for p in problems] == [
        ("protoc", None, "No edition or syntax specified for the proto file: a.proto."),
        ("a.proto", 1, 'Expected ";".')]
    broken = tmp_path / "a.proto"
    broken.write_text("message A { int32 x = 1 }")
    with pytest.raises(ProtoCompileError) as raised:
        load_schema(protos=[broken])
    assert not any("absl" in p.message or "parser.cc" in p.message
                   for p in raised.value.problems)
