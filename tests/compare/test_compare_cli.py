"""``wiretool compare-json`` through Typer's runner, golden renderings, the real entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from google.protobuf import json_format
from typer.testing import CliRunner

from tests.conftest import SAMPLES
from wiretool.cli import app
from wiretool.protobuf.jsonmap import json_to_message
from wiretool.protobuf.schema import load_schema

runner = CliRunner()
ENV = {"COLUMNS": "120", "NO_COLOR": "1"}
DATA = Path(__file__).parent / "data"
SCHEMA_DATA = Path(__file__).parent.parent / "schema" / "data"
SHOP = ["--proto", str(SAMPLES / "shop" / "shop.proto"), "--type", "shop.v1.Order"]


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    # Run from tests/compare with relative paths, so that the rendering (which wraps
    # long header lines) does not depend on where the project is checked out.
    relative = [a.replace(str(DATA), "data").replace(str(SCHEMA_DATA), "../schema/data")
                for a in args]
    cwd = os.getcwd()
    os.chdir(DATA.parent)
    try:
        result = runner.invoke(app, ["compare-json", *relative], input=stdin, env=ENV)
    finally:
        os.chdir(cwd)
    return result.exit_code, result.stdout, result.stderr


def _clean(text: str) -> str:
    return text.replace("../schema/data", "schema")


def test_golden_table_with_schema(golden: Callable[[str, str], None]) -> None:
    code, out, _ = run(*SHOP, "--format", "table", str(DATA / "order.json"))
    assert code == 0
    golden("compare/order.table.txt", _clean(out))


def test_golden_json_with_schema(golden: Callable[[str, str], None]) -> None:
    code, out, _ = run(*SHOP, "--format", "json", str(DATA / "order.json"))
    assert code == 0
    golden("compare/order.json", _clean(out))
    doc = json.loads(out)
    # The contract: protobuf.bytes is ByteSize(); json.bytes is the compact canonical JSON.
    schema = load_schema([SAMPLES / "shop" / "shop.proto"])
    msg = json_to_message(
        json.loads((DATA / "order.json").read_text()), schema.resolve_type("shop.v1.Order")
    )
    compact = json.dumps(json_format.MessageToDict(msg), separators=(",", ":"), ensure_ascii=False)
    assert doc["protobuf"]["bytes"] == msg.ByteSize()
    assert doc["json"]["bytes"] == len(compact.encode())
    assert doc["json"]["input_bytes"] == (DATA / "order.json").stat().st_size
    assert sum(f["protobuf_bytes"] for f in doc["fields"]) == doc["protobuf"]["bytes"]
    assert (
        sum(f["json_bytes"] for f in doc["fields"]) + doc["json_overhead_bytes"]
        == doc["json"]["bytes"]
    )
    assert {"path", "name", "protobuf_bytes", "json_bytes", "children"} <= set(doc["fields"][0])


def test_golden_batch_jsonl(
    golden: Callable[[str, str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(*SHOP, "--format", "table", str(DATA / "orders.jsonl"))
    assert code == 0
    golden("compare/orders.batch.txt", _clean(out))
    code, out, _ = run(*SHOP, "--format", "json", str(DATA / "orders.jsonl"))
    doc = json.loads(out)
    assert doc["summary"]["count"] == 3 and len(doc["inputs"]) == 3
    assert [i["input"]["name"].rsplit(":", 1)[1] for i in doc["inputs"]] == ["1", "2", "4"]
    pb = doc["summary"]["encodings"]["protobuf"]
    assert pb["total"] == sum(i["protobuf"]["bytes"] for i in doc["inputs"])


def test_json_alone_infers_a_schema_and_says_so(golden: Callable[[str, str], None]) -> None:
    code, out, _ = run("--format", "table", str(DATA / "events.json"))
    assert code == 0
    assert "estimate" in out
    golden("compare/events.inferred.txt", _clean(out))
    code, out, _ = run("--format", "json", str(DATA / "events.json"))
    doc = json.loads(out)
    assert doc["estimate"] is True and doc["schema"] == "inferred"
    assert doc["type"] == "wiretool.inferred.Root"
    assert [f["json_name"] for f in doc["fields"]][:3] == ["user", "ts", "score"]


def test_binary_without_schema_uses_field_numbers() -> None:
    schema = load_schema([SAMPLES / "shop" / "shop.proto"])
    msg = json_to_message(
        json.loads((DATA / "order.json").read_text()), schema.resolve_type("shop.v1.Order")
    )
    hexed = msg.SerializeToString().hex().encode()
    code, out, _ = run("--format", "json", "-", stdin=hexed)
    assert code == 0
    doc = json.loads(out)
    assert doc["input"]["kind"] == "binary"
    assert doc["protobuf"]["bytes"] == msg.ByteSize()
    assert "JSON keys are field numbers" in doc["json"]["mapping"]
    assert [f["json_name"] for f in doc["fields"]][:3] == ["1", "2", "3"]
    # With the schema, the same bytes give the canonical figures.
    code, out, _ = run(*SHOP, "--format", "json", "-", stdin=hexed)
    assert code == 0 and json.loads(out)["json"]["bytes"] == len(
        json.dumps(json_format.MessageToDict(msg), separators=(",", ":"), ensure_ascii=False)
    )


def test_invalid_json_has_line_and_column() -> None:
    code, out, _ = run(*SHOP, "--format", "table", str(DATA / "invalid.json"))
    assert code == 1
    assert "invalid JSON at line 4, column 1" in out


def test_json_not_fitting_the_schema_names_the_path() -> None:
    code, out, _ = run(*SHOP, "--format", "table", str(DATA / "misfit.json"))
    assert code == 1
    assert "JSON does not fit shop.v1.Order at $.lines[1].quantity" in out


def test_binary_that_does_not_parse_falls_back_to_schemaless() -> None:
    # field 2 (customer: string) holding invalid UTF-8: the proto3 parser rejects it.
    code, out, _ = run(*SHOP, "--format", "json", "-", stdin=b"12 02 ff fe 08 01")
    assert code == 1
    doc = json.loads(out)
    assert doc["type"] == "wiretool.inferred.Root"
    assert any("does not parse as shop.v1.Order" in d["message"] for d in doc["diagnostics"])


def test_unknown_type_is_a_usage_error() -> None:
    code, _, err = run(
        "--proto",
        str(SAMPLES / "shop" / "shop.proto"),
        "--type",
        "shop.v1.Ordr",
        str(DATA / "order.json"),
    )
    assert code == 2
    assert "unknown message type 'shop.v1.Ordr'; did you mean: shop.v1.Order," in err


def test_broken_proto_is_a_usage_error_with_position() -> None:
    code, _, err = run("--proto", str(SCHEMA_DATA / "broken.proto"), str(DATA / "order.json"))
    assert code == 2
    assert 'broken.proto:5:3: Expected ";"' in err
    assert "Traceback" not in err


def test_type_without_schema_is_a_usage_error() -> None:
    code, _, err = run("--type", "x.Y", str(DATA / "order.json"))
    assert code == 2 and "--type needs a schema" in err


def test_directory_batch(tmp_path: Path) -> None:
    for n in range(3):
        (tmp_path / f"{n}.json").write_text(json.dumps({"id": str(n + 1), "customer": "x" * n}))
    code, out, _ = run(*SHOP, "--format", "json", str(tmp_path))
    assert code == 0
    doc = json.loads(out)
    assert doc["summary"]["count"] == 3
    assert set(doc["summary"]["encodings"]) >= {"protobuf", "json", "json+gzip", "input_json"}


def test_real_entry_point_subprocess() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "wiretool",
            "compare-json",
            *SHOP,
            "--format",
            "json",
            str(DATA / "order.json"),
        ],
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["protobuf"]["bytes"] == 226


def test_framed_binary_inputs_are_split_into_messages() -> None:
    samples = Path(__file__).resolve().parents[2] / "samples"
    for name, count in (("people.grpc", 2), ("people.delimited", 3)):
        result = runner.invoke(app, ["compare-json", "--format", "json", "--descriptor-set",
                                     str(samples / "person.desc"), "-t", "Person",
                                     str(samples / name)], env=ENV)
        assert result.exit_code == 0, result.stdout
        doc = json.loads(result.stdout)
        names = [item["input"]["name"] for item in doc["inputs"]]
        assert names == [f"{samples / name}#{i}" for i in range(1, count + 1)]
        # the compressed gRPC message is measured decompressed, as the runtime sees it
        assert all(item["protobuf"]["bytes"] > 0 for item in doc["inputs"])
        assert doc["summary"]["count"] == count


def test_directory_mode_takes_message_files_and_says_what_it_skipped(tmp_path: Path) -> None:
    """``compare-json samples/ | jq .summary`` averages messages, not scripts, captures
    and schemas: a directory gives its .json, .jsonl, .ndjson, .bin, .binpb and .pb
    files; the rest is counted on stderr by kind."""
    (tmp_path / "a.json").write_text('{"id": 1, "name": "x"}')
    (tmp_path / "b.jsonl").write_text('{"id": 2}\n{"id": 3}\n')
    (tmp_path / "c.binpb").write_bytes(bytes.fromhex("0801120178"))  # 1: 1, 2: "x"
    (tmp_path / "d.pb").write_bytes(bytes.fromhex("0802"))
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "e.bin").write_bytes(bytes.fromhex("0803"))
    for name in ("make.py", "cap.pcap", "x.proto", "notes.md", "y.py"):
        (tmp_path / name).write_bytes(b"\xd4\xc3\xb2\xa1 not a message")
    result = runner.invoke(app, ["compare-json", "-f", "json", str(tmp_path)], env=ENV)
    assert result.exit_code == 0, result.stderr
    names = [item["input"]["name"].removeprefix(str(tmp_path) + "/")
             for item in json.loads(result.stdout)["inputs"]]
    assert names == ["a.json", "b.jsonl:1", "b.jsonl:2", "c.binpb", "d.pb", "sub/e.bin"]
    assert json.loads(result.stdout)["summary"]["count"] == 6
    assert result.stderr == (f"wiretool: {tmp_path}: skipped 5 files that are not messages: "
                             "2 .py, 1 .md, 1 .pcap, 1 .proto (name a file to compare it)\n")
    only = tmp_path / "only"
    only.mkdir()
    (only / "run.sh").write_text("echo")
    result = runner.invoke(app, ["compare-json", str(only)], env=ENV)
    assert result.exit_code == 2
    assert "no message files in this directory" in result.stderr
    assert "skipped 1 file that is not a message: 1 .sh" in result.stderr


def test_the_samples_directory_summary_counts_messages_only() -> None:
    result = runner.invoke(app, ["compare-json", "-f", "json", str(DATA.parents[1].parent
                                                                  / "samples")], env=ENV)
    document = json.loads(result.stdout)
    suffixes = {Path(item["input"]["name"].split("#")[0].split(":")[0]).suffix
                for item in document["inputs"]}
    assert suffixes <= {".json", ".jsonl", ".bin", ".binpb", ".pb"}
    assert document["summary"]["count"] == len(document["inputs"])
    assert "skipped" in result.stderr and ".pcap" in result.stderr
