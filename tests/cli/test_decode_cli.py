"""``wiretool decode`` through Typer's runner, golden renderings, and the real entry point."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import SAMPLES
from wiretool.cli import app

runner = CliRunner()
WIDTH_ENV = {"COLUMNS": "120", "NO_COLOR": "1"}


def run(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
    # From the project root with relative sample paths, so that renderings do not
    # depend on where the project is checked out.
    relative = [a.replace(str(SAMPLES), "samples") for a in args]
    cwd = os.getcwd()
    os.chdir(SAMPLES.parent)
    try:
        result = runner.invoke(app, relative, input=stdin, env=WIDTH_ENV)
    finally:
        os.chdir(cwd)
    return result.exit_code, result.stdout


@pytest.mark.parametrize(
    ("sample", "fmt"),
    [("person.bin", "table"), ("person.hex", "hexdump"), ("people.grpc", "table"),
     ("people.grpc", "hexdump"), ("addressbook.b64", "table"), ("people.delimited", "table")],
)
def test_golden_renderings(sample: str, fmt: str, golden) -> None:  # type: ignore[no-untyped-def]
    code, out = run("decode", "--format", fmt, str(SAMPLES / sample))
    assert code == 0
    golden(f"decode/{sample}.{fmt}.txt", out.replace(str(SAMPLES), "samples"))


def test_json_contract_on_the_sample() -> None:
    code, out = run("decode", "--format", "json", str(SAMPLES / "person.bin"))
    assert code == 0
    doc = json.loads(out)
    assert doc["input"] == {"format": "raw", "detail": "raw binary", "size": 191, "start": 0}
    [message] = doc["messages"]
    assert (message["offset"], message["length"]) == (0, 191)
    name = message["fields"][0]
    assert {k: name[k] for k in ("offset", "number", "wire_type", "length", "kind", "value")} == {
        "offset": 0, "number": 1, "wire_type": 2, "length": 14, "kind": "string",
        "value": "Ada Lovelace"}
    # top-level fields tile the message
    assert sum(f["length"] for f in message["fields"]) == 191
    tz = next(f for f in message["fields"] if f["number"] == 13)
    # exact: beyond 2**53 - 1 a decimal string (a reader of doubles would round it)
    assert tz["value"] == "18446744073709551316" and tz["signed"] == -300
    packed = next(f for f in message["fields"] if f["number"] == 5)
    assert packed["kind"] == "packed" and packed["values"] == [1, 2, 3, 150, 300]
    assert doc["diagnostics"] == []


def test_malformed_input_exits_1_with_valid_json_and_the_valid_part() -> None:
    code, out = run("decode", "--format", "json", stdin=b"08 96 01 1a c8 01 61 62")
    assert code == 1
    doc = json.loads(out)
    assert doc["messages"][0]["fields"][0]["value"] == 150
    assert doc["messages"][0]["unparsed"] == {"offset": 3, "length": 5, "hex": "1ac8016162"}
    assert doc["diagnostics"][0]["message"] == "field 3 at offset 3 declares 200 bytes, 2 remain"


def test_malformed_input_table_names_the_offset() -> None:
    code, out = run("decode", "--format", "table", stdin=b"08 96 01 0f")
    assert code == 1
    assert "error: offset 3: invalid wire type 7 in tag at offset 3 (field 1)" in out
    assert "unparsed" in out


def test_stdin_dash_and_offset() -> None:
    code, out = run("decode", "-f", "json", "--offset", "2", "-", stdin=b"ffff0801")
    assert code == 0
    assert json.loads(out)["messages"][0]["fields"][0]["offset"] == 2


def test_usage_errors_exit_2() -> None:
    assert run("decode", "/nonexistent/file")[0] == 2
    assert run("decode", "--grpc", "--delimited", str(SAMPLES / "person.bin"))[0] == 2
    assert run("decode", "--offset", "9999", str(SAMPLES / "person.bin"))[0] == 2
    assert run("decode", "--max-depth", "0", str(SAMPLES / "person.bin"))[0] == 2
    assert run("decode", "--input-format", "hex", stdin=b"zz")[0] == 2


def test_version() -> None:
    code, out = run("--version")
    assert code == 0 and out.startswith("wiretool ")


def test_every_command_has_help_with_examples() -> None:
    for command in app.registered_commands:
        assert command.help and "Example" in command.help, command.name


@pytest.mark.parametrize("fmt", ["table", "hexdump"])
def test_terminal_safety_of_wire_strings(fmt: str) -> None:
    # field 1: "[red]evil" + a bidi override: markup must stay text, the override escaped;
    # field 2: an ANSI escape sequence, which must never reach the terminal.
    text = "[red]evil\u202e".encode()
    ansi = b"\x1b[31mred\x1b[0m"
    data = bytes([0x0A, len(text)]) + text + bytes([0x12, len(ansi)]) + ansi
    code, out = run("decode", "--format", fmt, "--input-format", "raw", stdin=data)
    assert code == 0
    assert "\x1b" not in out and "\u202e" not in out
    assert "[red]evil\\u202e" in out


def test_no_color_and_colour_on_terminals_only() -> None:
    code, out = run("decode", "-f", "table", str(SAMPLES / "person.bin"))
    assert code == 0 and "Ada Lovelace" in out
    assert "\x1b[" not in out


@pytest.mark.skipif(shutil.which("wiretool") is None, reason="wiretool entry point not installed")
def test_installed_entry_point_runs_as_a_subprocess() -> None:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    done = subprocess.run(["wiretool", "decode", "--format", "json", str(SAMPLES / "people.grpc")],
                          capture_output=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [m["compressed"] for m in doc["messages"]] == [False, True]
    bad = subprocess.run(["wiretool", "decode", "-f", "json", "-"], input=b"\x08",
                         capture_output=True, env=env, check=False)
    assert bad.returncode == 1 and b"Traceback" not in bad.stderr
    json.loads(bad.stdout)


def test_python_dash_m_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "wiretool", "--version"], capture_output=True,
                          check=False, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0 and done.stdout.startswith(b"wiretool ")


def test_schema_table_golden(golden) -> None:  # type: ignore[no-untyped-def]
    code, out = run("decode", "-f", "table", "--proto", str(SAMPLES / "person.proto"),
                    "--type", "wiretool.samples.Person", str(SAMPLES / "person.bin"))
    assert code == 0
    golden("decode/person.bin.schema.table.txt", out.replace(str(SAMPLES), "samples"))


def test_schema_json_adds_name_and_type() -> None:
    code, out = run("decode", "-f", "json", "--descriptor-set", str(SAMPLES / "person.desc"),
                    "-t", "Person", str(SAMPLES / "person.bin"))
    assert code == 0
    message = json.loads(out)["messages"][0]
    assert message["type"] == "wiretool.samples.Person"
    by_name = {f["name"]: f for f in message["fields"]}
    assert by_name["balance_cents"]["type"] == "sint64" and by_name["balance_cents"]["display"] == -1250
    assert by_name["timezone_offset_minutes"]["display"] == -300
    first_phone = next(f for f in message["fields"] if f["name"] == "phones")
    assert first_phone["fields"][1]["display"] == "HOME"
    assert by_name["labels"]["type"] == "map<string, string>"
    assert by_name["slack"]["oneof"] == "contact"
    # the contract of decode is kept: same offsets and kinds as without a schema
    assert by_name["lucky_numbers"]["kind"] == "packed"


def test_schema_contradiction_is_a_diagnostic_not_a_crash() -> None:
    # field 1 (name: string) sent as a varint; field 99 unknown to the schema
    code, out = run("decode", "-f", "json", "--proto", str(SAMPLES / "person.proto"), "-t",
                    "Person", stdin=b"08 01 98 06 07")
    assert code == 1
    doc = json.loads(out)
    name, unknown = doc["messages"][0]["fields"]
    assert "name" not in name and name["value"] == 1
    assert "name" not in unknown and unknown["number"] == 99
    assert "field 1 (name): declared string but wire type VARINT at offset 0" in (
        doc["diagnostics"][0]["message"])


def test_schema_usage_errors_exit_2() -> None:
    assert run("decode", "--type", "X", str(SAMPLES / "person.bin"))[0] == 2
    assert run("decode", "--proto", str(SAMPLES / "person.proto"), "--type", "Nope",
               str(SAMPLES / "person.bin"))[0] == 2
