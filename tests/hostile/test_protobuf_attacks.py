"""Hostile protobuf and gRPC input through the real ``wiretool decode``: the attacks of
issue 7, each with its exit code, its diagnostic (what and at which offset), valid JSON,
and no traceback. Library-level tests of the same faults: tests/protobuf/test_wire.py
(faults, deep nesting), tests/protobuf/test_framing.py (gzip bomb, 4 GB prefix)."""

from __future__ import annotations

import zlib
from typing import Any

import pytest

from tests.hostile.helpers import (
    Run,
    cli,
    needs_entry_point,
    nested_messages,
    subprocess_run,
    varint,
)


def decode(data: bytes, *options: str) -> tuple[Run, dict[str, Any]]:
    """``decode -f json`` and ``-f table`` of ``data``: same exit code; the JSON document."""
    as_json = cli("decode", "-f", "json", "-i", "raw", *options, "-", stdin=data)
    document = as_json.json()
    assert isinstance(document, dict)
    as_table = cli("decode", "-f", "table", "-i", "raw", *options, "-", stdin=data)
    assert as_table.code == as_json.code
    return as_json, document


def wire_span(message: dict[str, Any], size: int) -> int:
    """Bytes of the input a message occupies: prefix and body as on the wire."""
    if not message.get("compressed"):
        return int(message["length"]) + int(message.get("prefix_length") or 0)
    after = int(message["prefix_offset"]) + int(message["prefix_length"])
    return int(message["prefix_length"]) + min(int(message["wire_length"]), size - after)


def errors(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in document["diagnostics"] if d["severity"] == "error"]


def gzip_bomb(inflated_mib: int) -> bytes:
    """A gzip stream of ``inflated_mib`` MiB of zeros (about 1 KB per MiB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    return b"".join(packer.compress(zeros) for _ in range(inflated_mib)) + packer.flush()


def grpc(message: bytes, compressed: bool = False, declared: int | None = None) -> bytes:
    size = len(message) if declared is None else declared
    return bytes([int(compressed)]) + size.to_bytes(4, "big") + message


# -- one fault each: (input, exit code, words of the diagnostic, its offset) -----------

FAULTS = {
    "length 2^62": (b"\x08\x96\x01" + b"\x1a" + varint(1 << 62) + b"ab",
                    "field 3 at offset 3 declares 4611686018427387904 bytes", 3),
    "varint of 11 bytes": (b"\x08" + b"\xff" * 10 + b"\x01", "longer than 10 bytes", 1),
    "tag varint of 11 bytes": (b"\x80" * 11 + b"\x01", "longer than 10 bytes", 0),
    "wire type 6": (b"\x08\x01\x0e\x01", "invalid wire type 6", 2),
    "wire type 7": (b"\x08\x01\x0f\x01", "invalid wire type 7", 2),
    "field number 0": (b"\x08\x01\x02\x01a", "field number 0", 2),
    "unclosed group": (b"\x0b\x08\x01", "group 1 started at offset 0 is not closed", 3),
    "stray end-group": (b"\x08\x01\x0c", "no matching start-group", 2),
    "mismatched end-group": (b"\x0b\x08\x01\x14", "does not match the start-group of field 1", 3),
    # Auto-detection declines a prefix longer than the input (then the 00 is field 0) ...
    "gRPC prefix declaring 4 GB": (grpc(b"\x08\x01", declared=0xFFFF_FFFF),
                                   "field number 0", 0),
}
FORCED_GRPC = {
    # ... and --grpc reads what is there.
    "gRPC prefix declaring 4 GB, --grpc": (grpc(b"\x08\x01", declared=0xFFFF_FFFF),
                                           "declares 4294967295 bytes, 2 remain", 0),
    "compressed gRPC prefix declaring 4 GB, --grpc": (
        grpc(gzip_bomb(1), compressed=True, declared=0xFFFF_FFFF), "declares 4294967295", 0),
}


@pytest.mark.parametrize("name", [*FAULTS, *FORCED_GRPC])
def test_fault_exits_1_names_the_offset_and_keeps_every_byte(name: str) -> None:
    data, words, offset = FAULTS.get(name) or FORCED_GRPC[name]
    run, document = decode(data, *(("--grpc",) if name in FORCED_GRPC else ()))
    assert run.code == 1
    matching = [d for d in errors(document) if words in d["message"]]
    assert matching and matching[0]["offset"] == offset, document["diagnostics"]
    # Nothing lost: messages (with their prefixes) and ``trailing`` cover the input, and
    # in each message the top-level fields and ``unparsed`` cover the message.
    trailing = document["trailing"]
    covered = sum(wire_span(m, len(data)) for m in document["messages"])
    assert covered + (trailing["length"] if trailing else 0) == len(data)
    for message in document["messages"]:
        tail = message["unparsed"]
        fields = sum(f["length"] for f in message["fields"])
        assert fields + (tail["length"] if tail else 0) == message["length"]


def test_100000_levels_of_nested_messages_stop_at_max_depth() -> None:
    data = nested_messages(100_000)  # about 400 KB
    run, document = decode(data)
    assert run.code == 0  # legal input: depth is a warning, not an error
    warnings = [d for d in document["diagnostics"] if "--max-depth 100 reached" in d["message"]]
    assert len(warnings) == 1
    depth, fields = 0, document["messages"][0]["fields"]
    while fields and fields[0]["kind"] == "message" and fields[0]["expanded"]:
        depth, fields = depth + 1, fields[0]["fields"]
    assert depth == 99  # levels 1..99 expanded, the 100th not


def test_100000_levels_of_nested_groups_stop_at_max_depth() -> None:
    data = b"\x0b" * 100_000 + b"\x0c" * 100_000
    run, document = decode(data, "--max-depth", "5")
    assert run.code == 0
    assert any("--max-depth 5 reached" in d["message"] for d in document["diagnostics"])
    (top,) = document["messages"][0]["fields"]
    assert top["kind"] == "group" and top["length"] == len(data)


def test_gzip_bomb_in_a_compressed_grpc_message_is_cut_at_max_message_size() -> None:
    bomb = gzip_bomb(80)  # 80 MiB of zeros in about 80 KB
    run, document = decode(grpc(bomb, compressed=True), "--max-message-size", "1048576")
    assert run.code == 1
    assert any("exceeds the limit of 1048576 bytes" in d["message"] for d in errors(document))
    (message,) = document["messages"]
    assert message["compressed"] and message["length"] == 1 << 20


@needs_entry_point
def test_gzip_bomb_with_the_default_limit_in_a_real_process() -> None:
    """The default --max-message-size (64 MiB) is what bounds memory. Measured: about
    480 MB peak for --format json, because the 64 MiB of zeros are one unparsed tail
    written as 128 MB of hex; the bound below is the issue's 'few hundred MB'."""
    done = subprocess_run("decode", "-f", "json", "-", stdin=grpc(gzip_bomb(80), True))
    assert done.code == 1
    assert b"exceeds the limit of 67108864 bytes" in done.stdout
    assert done.peak_rss_mb < 700, done.peak_rss_mb


@needs_entry_point
def test_deep_nesting_in_a_real_process_is_bounded() -> None:
    data = nested_messages(100_000) + b"\x0b" * 300_000 + b"\x0c" * 300_000  # ~1 MB
    done = subprocess_run("decode", "-f", "json", "-", stdin=data)
    assert done.code == 0
    assert done.peak_rss_mb < 500, done.peak_rss_mb
    import json

    assert json.loads(done.stdout)["messages"][0]["length"] == len(data)


@needs_entry_point
def test_hostile_protobuf_in_a_real_process_exits_1_with_json() -> None:
    for name in ("length 2^62", "wire type 7", "varint of 11 bytes"):
        done = subprocess_run("decode", "-f", "json", "-", stdin=FAULTS[name][0])
        assert done.code == 1, name
        import json

        assert json.loads(done.stdout)["diagnostics"], name
