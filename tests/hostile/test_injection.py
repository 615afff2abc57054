"""Nothing injected: wire values never reach the terminal unescaped, in every command and
view. Each hostile value carries an ANSI colour sequence, an OSC window-title sequence,
C0 and C1 controls, a bidi override and rich markup; the output must hold none of the
raw characters, show the escapes, and print the markup as text.
(tests/cli/test_decode_cli.py::test_terminal_safety_of_wire_strings covers decode strings.)
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.hostile.helpers import (
    PREFACE,
    SAMPLES,
    cli,
    frame,
    hpack_literal,
    needs_entry_point,
    subprocess_run,
    varint,
)

HOSTILE = "\x1b[31mred\x1b]0;title\x07\x01\x7f\u009b2J\u202eevil[red]x[/red][link=http://e.vil]y"
HOSTILE_BYTES = HOSTILE.encode()
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
SHOWN = ("\\x1b[31mred", "\\x07", "\\x01", "\\x7f", "\\x9b", "\\u202e", "[red]x[/red]",
         "[link=http://e.vil]y")


def assert_safe(text: str, *, shown: tuple[str, ...] = SHOWN) -> None:
    found = UNSAFE.search(text)
    assert found is None, f"raw {found.group(0)!r} in the output"
    for escape in shown:
        assert escape in text, f"{escape!r} is not shown"


def assert_json_safe(text: str) -> None:
    """JSON output escapes every control character; the value round-trips."""
    assert "\x1b" not in text and "\x07" not in text
    try:
        json.loads(text)
    except json.JSONDecodeError:
        for line in text.splitlines():
            json.loads(line)


def message_with_hostile_string() -> bytes:
    return b"\x0a" + varint(len(HOSTILE_BYTES)) + HOSTILE_BYTES + b"\x10\x01"


@pytest.mark.parametrize("fmt", ["table", "hexdump"])
def test_decode_plain_and_grpc_messages(fmt: str) -> None:
    """Without a schema the controls make the payload ``bytes`` (hex); with the schema's
    ``string`` it is text, escaped."""
    message = message_with_hostile_string()
    grpc = b"\x00" + len(message).to_bytes(4, "big") + message
    schema = ("--descriptor-set", str(SAMPLES / "person.desc"), "-t", "wiretool.samples.Person")
    for data in (message, grpc + grpc):
        run = cli("decode", "-f", fmt, "-i", "raw", "-", stdin=data)
        assert run.code == 0
        assert_safe(run.stdout, shown=())
        typed = cli("decode", "-f", fmt, "-i", "raw", *schema, "-", stdin=data)
        assert typed.code == 0
        assert_safe(typed.stdout, shown=() if fmt == "hexdump" else SHOWN[:1])  # shortened
    as_json = cli("decode", "-f", "json", "-i", "raw", "-", stdin=grpc)
    # Schemaless, the payload is bytes (hex in JSON): never raw text.
    assert json.loads(as_json.stdout)["messages"][0]["fields"][0]["value"] == HOSTILE_BYTES.hex()
    assert_json_safe(as_json.stdout)


def test_decode_unparsed_tail_and_diagnostics() -> None:
    # A fault, then the hostile bytes as the unparsed tail (shown raw as text).
    data = b"\x08\x01\x0f" + HOSTILE_BYTES
    run = cli("decode", "-f", "table", "-i", "raw", "-", stdin=data)
    assert run.code == 1
    assert_safe(run.stdout, shown=("\\x1b[31mred",))


def test_compare_json_field_names_and_values(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    doc = tmp_path / "hostile.json"
    doc.write_text(json.dumps({HOSTILE: 1, "ok": HOSTILE, "n": {HOSTILE: [1, 2]}}))
    run = cli("compare-json", "-f", "table", str(doc))
    assert run.code in (0, 1)
    assert_safe(run.stdout, shown=())
    as_json = cli("compare-json", "-f", "json", str(doc))
    assert_json_safe(as_json.stdout)


def h2_connection() -> bytes:
    block = hpack_literal(b"x-evil", HOSTILE_BYTES) + hpack_literal(HOSTILE_BYTES.lower(), b"v")
    goaway = (0).to_bytes(4, "big") + (2).to_bytes(4, "big") + HOSTILE_BYTES
    return (PREFACE + frame(0x4, 0, 0, bytes.fromhex("0001 00001000"))
            + frame(0x1, 0x5, 1, block) + frame(0x7, 0, 0, goaway))


@pytest.mark.parametrize("options", [(), ("--hpack-table",), ("--summary",)])
def test_h2_frames_header_values_names_and_goaway_debug_data(options: tuple[str, ...]) -> None:
    run = cli("h2-frames", "-f", "table", "-i", "raw", *options, "-", stdin=h2_connection())
    assert run.code == 0
    assert_safe(run.stdout, shown=("\\x1b[31mred", "\\u202e"))
    as_jsonl = cli("h2-frames", "-f", "jsonl", "-i", "raw", *options, "-", stdin=h2_connection())
    assert_json_safe(as_jsonl.stdout)
    goaway = [r for r in as_jsonl.jsonl() if r.get("type_name") == "GOAWAY"]
    assert goaway[0]["debug_data"] == HOSTILE


def test_h2_frames_hex_input_and_diagnostics_quote_nothing_raw() -> None:
    # A hostile string where a frame header should be: diagnostics must not echo it raw.
    data = PREFACE + HOSTILE_BYTES + b"\x1b" * 20
    run = cli("h2-frames", "-f", "table", "-i", "raw", "-", stdin=data)
    assert run.code == 1
    assert UNSAFE.search(run.stdout) is None


def test_hpack_decode_and_encode_views() -> None:
    block = hpack_literal(b"x-evil", HOSTILE_BYTES)
    run = cli("hpack", "-f", "table", block.hex())
    assert run.code == 0
    assert_safe(run.stdout, shown=("\\x1b[31mred", "\\u202e"))
    encode = cli("hpack", "-f", "table", "--encode", f"x-evil: {HOSTILE}")
    assert encode.code == 0
    assert_safe(encode.stdout, shown=("\\x1b[31mred", "\\u202e"))
    assert_json_safe(cli("hpack", "-f", "json", block.hex()).stdout)


# -- messages that quote the input (issue 19) ------------------------------------------


def test_escape_message_is_the_one_rule_for_messages() -> None:
    from wiretool.render.escape import escape_bytes, escape_message, escape_text

    message = "line one\nkey '\x1b[31m' \u202e \ud800 \udcff tab\t back\\slash"
    safe = escape_message(message)
    assert safe == ("line one\nkey '\\x1b[31m' \\u202e \\ud800 \\xff tab\\t back\\slash")
    assert escape_message(safe) == safe  # idempotent: a message may already quote escapes
    safe.encode("utf-8")  # strict: no surrogate is left
    # Values: the same characters, with backslashes doubled and newlines escaped.
    assert escape_text("a\\b\n\ud800\udcff") == "a\\\\b\\n\\ud800\\xff"
    assert escape_bytes(b"ok\xff\x1b") == "ok\\xff\\x1b"


@needs_entry_point
def test_file_names_are_escaped_in_every_header_and_message(tmp_path: Path) -> None:
    raw_name = b"p\x1b[31m\xff.bin"
    path = tmp_path / os.fsdecode(raw_name)
    path.write_bytes((SAMPLES / "person.bin").read_bytes())
    for args in (("decode", "-f", "table"), ("decode", "-f", "hexdump"),
                 ("compare-json", "-f", "table")):
        done = subprocess_run(*args, str(path))
        assert done.code == 0, args
        out = done.stdout.decode("utf-8") + done.stderr.decode("utf-8")  # strict UTF-8
        assert "\x1b" not in out and "p\\x1b[31m\\xff.bin" in out, args
    done = subprocess_run("compare-json", "-f", "json", str(path))
    assert json.loads(done.stdout.decode("utf-8"))["input"]["name"].endswith(
        "p\\x1b[31m\\xff.bin")
