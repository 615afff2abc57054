"""What every command shares (issue 17, "Pipes and conventions"): ``--color`` with
``NO_COLOR``/``FORCE_COLOR``, JSON for a person on a terminal and compact in a pipe,
64-bit integers that survive a double-based reader, ``json``/``jsonl`` everywhere, a
closed pipe that ends quietly, ``decode -`` on a terminal. Real processes where the
terminal or the pipe is the point (a pseudo-terminal from ``pty``, a pipe closed
early), Typer's runner elsewhere."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT
from wiretool.cli import app
from wiretool.cli.common import ColorChoice, color_wanted, json_for_people, make_console
from wiretool.render.json_text import (
    MAX_SAFE_INTEGER,
    elements,
    exact_integers,
    indent,
    json_lines,
    members,
)

DEMO = "samples/grpc/demo.pcap"
DEMO_PROTO = "samples/grpc/demo.proto"
ESC = "\x1b["


def wiretool(*args: str, env: dict[str, str] | None = None, stdin: bytes | None = None,
             ) -> subprocess.CompletedProcess[bytes]:
    """The installed entry point, as a shell runs it (stdout a pipe)."""
    base = {k: v for k, v in os.environ.items()
            if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "SSLKEYLOGFILE")}
    return subprocess.run([sys.executable, "-m", "wiretool", *args], cwd=ROOT,
                          env={**base, **(env or {})}, input=stdin, capture_output=True,
                          check=False, timeout=120)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


# -- colour: one rule -------------------------------------------------------------------

@pytest.mark.parametrize(("choice", "env", "tty", "wanted"), [
    ("auto", {}, True, True),
    ("auto", {}, False, False),
    ("auto", {"NO_COLOR": "1"}, True, False),
    ("auto", {"NO_COLOR": ""}, True, True),  # set but empty: as if unset (no-color.org)
    ("auto", {"FORCE_COLOR": "1"}, False, True),
    ("auto", {"FORCE_COLOR": ""}, False, False),
    ("auto", {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
    ("always", {"NO_COLOR": "1"}, False, True),  # the flag wins over the variables
    ("never", {"FORCE_COLOR": "1"}, True, False),
])
def test_color_wanted(choice: str, env: dict[str, str], tty: bool, wanted: bool,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = _Tty() if tty else io.StringIO()
    assert color_wanted(ColorChoice(choice), out) is wanted
    console = make_console(out, width=80, color=choice)
    console.print("x", style="red")
    assert (ESC in out.getvalue()) is wanted


@pytest.mark.parametrize("args", [
    ("h2-frames", "-f", "table", DEMO),
    ("h2-frames", "-f", "table", "--summary", DEMO),
    ("decode", "-f", "table", "samples/person.bin"),
    ("compare-json", "-f", "table", "tests/compare/data/order.json"),
    ("hpack", "-f", "table", "828684410f7777772e6578616d706c652e636f6d"),
])
def test_force_color_reaches_a_pager_and_no_color_wins(args: tuple[str, ...]) -> None:
    assert ESC.encode() in wiretool(*args, env={"FORCE_COLOR": "1"}).stdout
    assert ESC.encode() in wiretool(*args, "--color", "always").stdout
    plain = wiretool(*args)
    assert ESC.encode() not in plain.stdout and plain.stdout
    assert ESC.encode() not in wiretool(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout
    assert ESC.encode() not in wiretool(*args, "--color", "never",
                                        env={"FORCE_COLOR": "1"}).stdout


# -- JSON for a person, JSON for a program ----------------------------------------------

JSON_COMMANDS = [
    ("decode", "-f", "json", "samples/person.bin"),
    ("compare-json", "-f", "json", "tests/compare/data/order.json"),
    ("hpack", "-f", "json", "828684410f7777772e6578616d706c652e636f6d"),
]


@pytest.mark.parametrize("args", JSON_COMMANDS, ids=lambda a: a[0])
def test_one_json_document_is_compact_in_a_pipe_and_indented_when_forced(
        args: tuple[str, ...]) -> None:
    compact = wiretool(*args).stdout.decode()
    assert compact.count("\n") == 1 and ESC not in compact
    document = json.loads(compact)
    coloured = wiretool(*args, "--color", "always").stdout.decode()
    assert ESC in coloured and coloured.count("\n") > 20
    assert "\n  " in coloured  # indented by two
    plain_pretty = wiretool(*args, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}).stdout.decode()
    assert json.loads(plain_pretty) == document or plain_pretty == compact


def _on_a_terminal(args: list[str], stdin: bytes | None = None, columns: int = 100,
                   ) -> tuple[str, str, int]:
    """Run wiretool with stdout (and stdin, when ``stdin`` is given) a pseudo-terminal:
    (what the terminal showed, stderr, exit code)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update({"COLUMNS": str(columns), "TERM": "xterm-256color"})
    in_master = in_slave = None
    if stdin is not None:
        in_master, in_slave = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "wiretool", *args], cwd=ROOT,
                               stdin=in_slave if in_slave is not None else subprocess.DEVNULL,
                               stdout=slave, stderr=subprocess.PIPE, env=env)
    os.close(slave)
    if in_slave is not None and in_master is not None:
        os.close(in_slave)
        assert stdin is not None
        os.write(in_master, stdin)
    shown = bytearray()
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            process.kill()
            raise TimeoutError(args)
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal (Linux: EIO)
            break
        if not chunk:
            break
        shown += chunk
    code = process.wait(timeout=60)
    stderr = process.stderr.read().decode() if process.stderr else ""
    os.close(master)
    if in_master is not None:
        os.close(in_master)
    return shown.decode().replace("\r\n", "\n"), stderr, code


@pytest.mark.parametrize("args", JSON_COMMANDS, ids=lambda a: a[0])
def test_one_json_document_on_a_terminal_is_indented_and_coloured(
        args: tuple[str, ...]) -> None:
    shown, _, code = _on_a_terminal(list(args))
    assert code == 0
    assert ESC in shown and shown.count("\n") > 20
    import re

    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown)
    assert json.loads(plain) == json.loads(wiretool(*args).stdout)


def test_decode_json_keeps_every_number_and_string_as_written() -> None:
    compact = wiretool("decode", "-f", "json", "samples/person.bin").stdout.decode()
    import re

    coloured = wiretool("decode", "-f", "json", "--color", "always",
                        "samples/person.bin").stdout.decode()
    plain = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert "18446744073709551316" in plain  # decode --format json: its writer's numbers
    assert "".join(plain.split()) == "".join(compact.split())


def test_indent_copies_every_token() -> None:
    text = ('{"a":[],"b":{},"c":[1,-2.5e-7,"x, y: {z}",true,null],'
            '"d":{"e":18446744073709551316,"f":"\\u00e9\\"]"}}')
    pretty = indent(text)
    assert json.loads(pretty) == json.loads(text)
    assert '"a": [],\n  "b": {},' in pretty
    assert "-2.5e-7" in pretty and '"\\u00e9\\"]"' in pretty and '"x, y: {z}"' in pretty
    assert members(text)[3] == ('"d"', '{"e":18446744073709551316,"f":"\\u00e9\\"]"}')
    assert elements('[1,{"a":[2,3]},"s,"]') == ["1", '{"a":[2,3]}', '"s,"']
    assert elements("[]") == []


# -- integers beyond 2**53 - 1 ------------------------------------------------------------

def test_exact_integers() -> None:
    tree = {"a": [1, 2**64 - 300, -(2**53)], "b": MAX_SAFE_INTEGER, "c": -MAX_SAFE_INTEGER,
            "d": True, "e": 1.5}
    assert exact_integers(tree) == {"a": [1, "18446744073709551316", "-9007199254740992"],
                                    "b": MAX_SAFE_INTEGER, "c": -MAX_SAFE_INTEGER,
                                    "d": True, "e": 1.5}
    same = {"a": [1, 2], "b": {"c": 3}}
    assert exact_integers(same) is same


def _integers(value: Any) -> list[int]:
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        return [value]
    if isinstance(value, dict):
        return [n for item in value.values() for n in _integers(item)]
    if isinstance(value, list):
        return [n for item in value for n in _integers(item)]
    return []


def test_h2_frames_json_lines_survive_a_double_based_reader() -> None:
    """The demo capture's Point.y is -4 as an int32: a 10-byte varint, 18446744073709551612
    unsigned; time_ns is about 1.8e18. Both are strings; every number a reader of
    doubles (jq) sees is exact."""
    out = wiretool("h2-frames", "-f", "jsonl", "--proto", DEMO_PROTO, DEMO).stdout.decode()
    records = [json.loads(line) for line in out.splitlines()]
    assert all(abs(n) <= MAX_SAFE_INTEGER for r in records for n in _integers(r))
    point = next(r for r in records if r["record"] == "grpc-message"
                 and r["path"].endswith("/Unary") and r["direction"] == "client")
    y = point["fields"][1]["fields"][1]
    assert (y["value"], y["signed"], y["zigzag"]) == ("18446744073709551612", -4,
                                                      "9223372036854775806")
    timed = [r for r in records if "time_ns" in r]
    assert timed and all(isinstance(r["time_ns"], str) and int(r["time_ns"]) > 2**53
                         for r in timed)
    assert all(abs(int(r["time_ns"]) / 1e9 - r["time"]) < 1e-6 for r in timed)
    # one spelling for both names of the format
    assert wiretool("h2-frames", "-f", "json", "--proto", DEMO_PROTO, DEMO).stdout.decode() == out


BIG = [MAX_SAFE_INTEGER, MAX_SAFE_INTEGER + 1, 2**64 - 1, 2**63]
"""Varints at the edge of what a double holds exactly, the largest unsigned, and the
one whose two's complement is -2**63 (and whose zigzag of 2**64 - 1 is too)."""


def _big_integers_message() -> bytes:
    from tests.protobuf.test_properties import encode

    packed = b"".join(_varint(value) for value in BIG)
    return encode([*((1, 0, value) for value in BIG), (2, 1, 2**64 - 1), (3, 2, packed)])


def _varint(value: int) -> bytes:
    from tests.protobuf.test_properties import varint

    return varint(value)


@pytest.mark.parametrize("form", ["json", "jsonl"])
def test_decode_json_integers_survive_a_double_based_reader(form: str) -> None:
    """Issue 17: ``decode | jq`` printed 18446744073709551316 as 18446744073709552000.
    Every integer beyond ±(2**53 - 1) is a decimal string, in the document and in its
    JSON Lines; 2**53 - 1 itself stays a number."""
    out = wiretool("decode", "-f", form, "-i", "raw", "-", stdin=_big_integers_message())
    assert out.returncode == 0, out.stderr
    lines = out.stdout.decode().splitlines()
    records = [json.loads(line) for line in lines]
    message = records[0]["messages"][0] if form == "json" else \
        next(r for r in records if r["record"] == "message")
    varints = [(f["value"], f["signed"], f["zigzag"]) for f in message["fields"][:4]]
    assert varints == [
        (MAX_SAFE_INTEGER, MAX_SAFE_INTEGER, -4503599627370496),
        ("9007199254740992", "9007199254740992", 4503599627370496),
        ("18446744073709551615", -1, "-9223372036854775808"),
        ("9223372036854775808", "-9223372036854775808", "4611686018427387904"),
    ]
    fixed = message["fields"][4]
    assert (fixed["value"], fixed["signed"]) == ("18446744073709551615", -1)
    assert message["fields"][5]["values"] == [MAX_SAFE_INTEGER, "9007199254740992",
                                              "18446744073709551615", "9223372036854775808"]
    assert all(abs(n) <= MAX_SAFE_INTEGER for r in records for n in _integers(r))


def test_jq_reads_decodes_64_bit_integers_back_exactly() -> None:
    """The issue's own pipe, through the real jq: the exact decimal text comes back."""
    import shutil

    jq = shutil.which("jq")
    assert jq is not None, "jq is installed where the tests run (brief: real peers)"
    document = wiretool("decode", "samples/person.bin").stdout
    assert b"18446744073709551316" in document
    picked = subprocess.run(
        [jq, "-r", "[.messages[0].fields[] | select(.kind == \"varint\") | .value, .signed,"
                   " .zigzag] | map(tostring) | join(\" \")"],
        input=document, capture_output=True, check=True, timeout=60).stdout.decode().split()
    assert "18446744073709551316" in picked and "9223372036854775658" in picked
    assert "18446744073709552000" not in picked
    big = wiretool("decode", "-f", "jsonl", "-i", "raw", "-", stdin=_big_integers_message())
    values = subprocess.run(
        [jq, "-r", "select(.record == \"message\") | .fields[] | .value // .values[]"],
        input=big.stdout, capture_output=True, check=True, timeout=60).stdout.decode().split()
    assert values == [str(MAX_SAFE_INTEGER), "9007199254740992", "18446744073709551615",
                      "9223372036854775808", "18446744073709551615",
                      str(MAX_SAFE_INTEGER), "9007199254740992", "18446744073709551615",
                      "9223372036854775808"]


def test_compare_json_documents_carry_exact_integers() -> None:
    from wiretool.render.compare_json import render_json_lines

    out = io.StringIO()
    render_json_lines([], [("x", "bad")], out)
    assert json.loads(out.getvalue()) == {"version": 1, "input": {"name": "x"}, "error": "bad"}
    for line in wiretool("compare-json", "-f", "jsonl",
                         "tests/compare/data/orders.jsonl").stdout.splitlines():
        assert all(abs(n) <= MAX_SAFE_INTEGER for n in _integers(json.loads(line)))


# -- json and jsonl on every command -------------------------------------------------------

def test_decode_jsonl_is_the_document_one_record_per_line() -> None:
    document = json.loads(wiretool("decode", "-f", "json", "samples/people.grpc").stdout)
    lines = wiretool("decode", "-f", "jsonl", "samples/people.grpc").stdout.decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert records[0] == {"record": "input", **document["input"]}
    messages = [r for r in records if r["record"] == "message"]
    assert [m.pop("index") for m in messages] == list(range(len(document["messages"])))
    assert [{k: v for k, v in m.items() if k != "record"} for m in messages] == \
        document["messages"]
    assert len(messages) == 2


def test_decode_jsonl_keeps_trailing_bytes_and_diagnostics() -> None:
    # a gRPC message, then a prefix announcing 16 bytes of which 2 arrive
    blob = bytes.fromhex("00 00000002 0801" "00 00000010 0801")
    lines = wiretool("decode", "-f", "jsonl", "-i", "raw", "-", stdin=blob).stdout.decode()
    records = [json.loads(line) for line in lines.splitlines()]
    kinds = [r["record"] for r in records]
    assert kinds[:2] == ["input", "message"]
    assert "diagnostic" in kinds
    document = json.loads(wiretool("decode", "-f", "json", "-i", "raw", "-", stdin=blob).stdout)
    assert [r for r in records if r["record"] == "diagnostic"] == [
        {"record": "diagnostic", "index": i, **d} for i, d in enumerate(document["diagnostics"])]
    if document["trailing"] is not None:
        assert {"record": "trailing", **document["trailing"]} in records


def test_compare_json_and_hpack_jsonl() -> None:
    lines = wiretool("compare-json", "-f", "jsonl",
                     "tests/compare/data/orders.jsonl").stdout.decode().splitlines()
    document = json.loads(wiretool("compare-json", "-f", "json",
                                   "tests/compare/data/orders.jsonl").stdout)
    assert [json.loads(line) for line in lines] == [
        {"version": 1, **item} for item in document["inputs"]]
    blocks = ["828684410f7777772e6578616d706c652e636f6d", "828684be58086e6f2d6361636865"]
    lines = wiretool("hpack", "-f", "jsonl", *blocks).stdout.decode().splitlines()
    whole = json.loads(wiretool("hpack", "-f", "json", *blocks).stdout)
    assert [json.loads(line) for line in lines] == [
        {"record": "block", "index": i, **b} for i, b in enumerate(whole["blocks"])]


def test_json_lines_of_a_document_text() -> None:
    text = '{"input":{"a":1},"messages":[{"b":2},{"c":[3]}],"trailing":null,"n":5}'
    assert json_lines(text, {"messages": "message"}) == [
        '{"record":"input","a":1}', '{"record":"message","index":0,"b":2}',
        '{"record":"message","index":1,"c":[3]}', '{"record":"n","value":5}']


# -- a closed pipe -------------------------------------------------------------------------

def _big_inputs(tmp: Path) -> dict[str, list[str]]:
    delimited = tmp / "many.delimited"
    one = bytes.fromhex("0a0c477261636520486f70706572")  # field 1: "Grace Hopper"
    delimited.write_bytes((bytes([len(one)]) + one) * 20_000)
    orders = tmp / "many.jsonl"
    orders.write_text('{"id": "a", "quantity": 3, "tags": ["x", "y"]}\n' * 3_000)
    return {
        "h2-frames": ["h2-frames", "-f", "jsonl", "samples/grpc/load.pcap"],
        "h2-frames table": ["h2-frames", "-f", "table", "samples/grpc/load.pcap"],
        "decode": ["decode", "-f", "jsonl", "--delimited", str(delimited)],
        "decode table": ["decode", "-f", "table", "--delimited", str(delimited)],
        "compare-json": ["compare-json", "-f", "jsonl", str(orders)],
        "hpack": ["hpack", "-f", "jsonl", *(["828684410f7777772e6578616d706c652e636f6d"] * 2000)],
    }


@pytest.mark.parametrize("name", ["h2-frames", "h2-frames table", "decode", "decode table",
                                  "compare-json", "hpack"])
def test_a_closed_pipe_ends_quietly_with_status_0(name: str, tmp_path: Path) -> None:
    """``wiretool ... | head -1``: the reader takes a line and goes; wiretool (which has
    far more than a pipe's 64 KiB to write) stops with 0, no traceback, no noise."""
    args = _big_inputs(tmp_path)[name]
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    process = subprocess.Popen([sys.executable, "-m", "wiretool", *args], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline()
    process.stdout.close()
    code = process.wait(timeout=120)
    stderr = process.stderr.read().decode()
    assert code == 0, stderr
    assert "Traceback" not in stderr and "Broken pipe" not in stderr
    assert "BrokenPipeError" not in stderr and "Exception ignored" not in stderr


def test_head_in_a_shell_pipeline(tmp_path: Path) -> None:
    """The same through a real shell with pipefail: the pipeline's status is head's."""
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c",
         f"{sys.executable} -m wiretool h2-frames -f jsonl samples/grpc/load.pcap | head -1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["record"] == "connection"
    assert result.stderr == ""


# -- decode - on a terminal ----------------------------------------------------------------

def test_decode_reads_a_pasted_blob_until_ctrl_d() -> None:
    """A person runs ``wiretool decode`` and pastes: the hint on stderr, then the table
    once Ctrl-D (EOF at the start of a line) ends the input."""
    shown, stderr, code = _on_a_terminal(["decode"], stdin=b"08 96 01 12 02 68 69\n\x04")
    assert code == 0, stderr
    assert "paste, then press Ctrl-D" in stderr
    assert stderr.count("\n") == 1  # one line
    assert "150" in shown and '"hi"' in shown


def test_decode_dash_on_a_terminal_with_a_hint_for_almost_hex() -> None:
    _, stderr, code = _on_a_terminal(["decode", "-"], stdin=b"08 96 01 12 02 68 6\n\x04")
    assert code == 2
    assert "group '6' at offset 18 has an odd number of digits" in stderr


def test_json_on_a_pipe_from_a_piped_stdin_needs_no_hint() -> None:
    result = wiretool("decode", "-f", "json", "-", stdin=b"08 96 01")
    assert result.returncode == 0 and result.stderr == b""
    assert json.loads(result.stdout)["messages"][0]["fields"][0]["value"] == 150


def test_json_for_people_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert json_for_people(ColorChoice.NEVER, _Tty())  # indented, not coloured
    assert not json_for_people(ColorChoice.AUTO, io.StringIO())
    assert json_for_people(ColorChoice.ALWAYS, io.StringIO())
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert json_for_people(ColorChoice.AUTO, io.StringIO())


def test_help_runner_json_alias_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["h2-frames", "-f", "json", "samples/h2/basic.client.bin"],
                                env={"COLUMNS": "120"})
    assert result.exit_code in (0, 1)
    assert json.loads(result.stdout.splitlines()[0])["record"] in ("preface", "frame")
