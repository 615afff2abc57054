"""``protoc --decode_raw`` as an external oracle for the wire walk.

protoc reads a message with the protobuf runtime's own parser and prints every field:
its number, a varint in decimal, fixed32/fixed64 as hex, and each length-delimited
payload either as a nested block (it parses as a message) or as a C-escaped string.
For every well-formed message here - the samples, the descriptor sets, the captured
gRPC messages, the ground truth's realistic messages of real schemas, and nested
messages made by hypothesis - wiretool's walk must agree: the same fields in the same
order, the same numbers, wire types and values; a payload protoc reads as a message
is read as one by wiretool, or lists ``message`` among its alternatives (wiretool may
decide otherwise: ``hi`` parses as a message and is a string), and a payload protoc
cannot read as a message is no message to wiretool either; strings carry the same
bytes. protoc nests at most ten blocks and prints deeper payloads as strings, so
below that a string says nothing of the payload. And protoc's reader of nested
payloads truncates a tag longer than five bytes to 32 bits where its reader of the
top level, the protobuf runtime's (upb) and wiretool's refuse it: a nested block
protoc makes of such a tag is checked against the runtime instead.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, SAMPLES
from tests.protobuf.test_properties import encode, scalar_fields, varint
from wiretool.inputs import decode_input
from wiretool.protobuf.model import Field, Kind, WireType
from wiretool.protobuf.wire import decode_message

PROTOC = shutil.which("protoc")
pytestmark = pytest.mark.skipif(PROTOC is None, reason="protoc is not installed")

PROTOC_DEPTH = 10
"""Blocks protoc nests at most (deeper payloads are printed as strings)."""

Entry = tuple[int, str, Any]
"""One field as protoc prints it: (number, "varint"|"fixed32"|"fixed64"|"string"|
"block", value: int, bytes or a list of entries)."""

_LINE = re.compile(r"(\d+)(?:: (.*)| \{)$")


def protoc_fields(data: bytes) -> list[Entry]:
    """The fields of ``data`` as ``protoc --decode_raw`` prints them."""
    assert PROTOC is not None
    done = subprocess.run([PROTOC, "--decode_raw"], input=data, capture_output=True,
                          check=True)
    root: list[Entry] = []
    stack = [root]
    for line in done.stdout.decode("ascii").splitlines():
        line = line.strip()
        if line == "}":
            stack.pop()
            continue
        match = _LINE.match(line)
        assert match, line
        number, value = int(match[1]), match[2]
        if value is None:
            children: list[Entry] = []
            stack[-1].append((number, "block", children))
            stack.append(children)
        elif value.startswith('"'):
            stack[-1].append((number, "string", _unescape(value[1:-1])))
        elif value.startswith("0x"):
            stack[-1].append((number, "fixed32" if len(value) == 10 else "fixed64",
                              int(value, 16)))
        else:
            stack[-1].append((number, "varint", int(value)))
    assert len(stack) == 1
    return root


_ESCAPES = {"n": 10, "r": 13, "t": 9, '"': 34, "'": 39, "\\": 92}


def _unescape(text: str) -> bytes:
    """protoc's C escaping (CEscape: the named escapes and three octal digits) undone."""
    out = bytearray()
    index = 0
    while index < len(text):
        char = text[index]
        if char != "\\":
            out.append(ord(char))
            index += 1
        elif text[index + 1] in _ESCAPES:
            out.append(_ESCAPES[text[index + 1]])
            index += 2
        else:
            out.append(int(text[index + 1 : index + 4], 8))
            index += 4
    return bytes(out)


_WIRES = {WireType.VARINT: "varint", WireType.I32: "fixed32", WireType.I64: "fixed64"}


def agree(data: bytes, fields: tuple[Field, ...], entries: list[Entry], depth: int = 0,
          where: str = "") -> None:
    """wiretool's ``fields`` (of one message of ``data``) are protoc's ``entries``."""
    assert [f.number for f in fields] == [e[0] for e in entries], where
    for field, (number, shown, value) in zip(fields, entries, strict=True):
        here = f"{where}.{number}" if where else str(number)
        if field.wire_type in _WIRES:
            assert (_WIRES[field.wire_type], field.value) == (shown, value), here
        elif field.wire_type is WireType.SGROUP:
            assert shown == "block" and field.kind is Kind.GROUP, here
            agree(data, field.fields, value, depth + 1, here)
        else:
            assert field.wire_type is WireType.LEN, here
            payload = data[field.value_offset : field.value_offset + field.value_length]
            if shown == "block":
                if field.kind is Kind.MESSAGE:
                    agree(data, field.fields, value, depth + 1, here)
                elif Kind.MESSAGE not in field.alternatives:
                    assert not _runtime_parses(payload), (here, field)
            else:
                assert value == payload, here
                if payload and depth < PROTOC_DEPTH:
                    # protoc's parser refused it: wiretool's must refuse it too.
                    assert field.kind is not Kind.MESSAGE, (here, field)
                    assert Kind.MESSAGE not in field.alternatives, (here, field)


def _runtime_parses(payload: bytes) -> bool:
    """Whether the protobuf runtime (upb) reads ``payload`` as a message."""
    from google.protobuf import empty_pb2
    from google.protobuf.message import DecodeError

    try:
        empty_pb2.Empty().ParseFromString(payload)
    except DecodeError:
        return False
    return True


def check(data: bytes) -> None:
    message, diagnostics = decode_message(data)
    assert message.unparsed is None and not diagnostics
    agree(data, message.fields, protoc_fields(data))


def _grpc_messages() -> Iterator[bytes]:
    sent = json.loads((SAMPLES / "grpc" / "demo.sent.json").read_text())
    stack: list[Any] = [sent]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "hex" and isinstance(value, str):
                    yield bytes.fromhex(value)
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def samples() -> list[tuple[str, bytes]]:
    found = [(name, decode_input((SAMPLES / name).read_bytes()).data)
             for name in ("person.bin", "person.hex", "addressbook.b64", "person.desc")]
    found += [(path.name, path.read_bytes())
              for path in sorted((ROOT / "tests" / "schema" / "data").glob("*.pb"))]
    found += [(f"demo message {index}", data)
              for index, data in enumerate(_grpc_messages()) if data]
    return found


SAMPLE_INPUTS = samples()


@pytest.mark.parametrize(("name", "data"), SAMPLE_INPUTS, ids=[n for n, _ in SAMPLE_INPUTS])
def test_the_samples_walk_as_protoc_reads_them(name: str, data: bytes) -> None:
    check(data)


@cache
def _realistic() -> list[bytes]:
    from tests.protobuf.groundtruth import __main__ as sets

    small = sets.small_sets()
    return [item.data for item in small["realistic"] + small["adversarial"]]


def test_the_ground_truth_walks_as_protoc_reads_it() -> None:
    """Real schemas' messages (and the adversarial set), all at once: each one is field
    1 of one outer message, which protoc reads in one run."""
    items = _realistic()
    outer = b"".join(b"\x0a" + varint(len(data)) + data for data in items)
    entries = protoc_fields(outer)
    assert len(entries) == len(items)
    for index, (data, (number, shown, value)) in enumerate(zip(items, entries, strict=True)):
        message, diagnostics = decode_message(data)
        assert message.unparsed is None and not diagnostics
        assert number == 1
        if shown == "block":
            agree(data, message.fields, value, 1, f"item {index}")
        else:
            assert value == data and (not data or not message.fields), index


def nested(depth: int) -> st.SearchStrategy[bytes]:
    """Messages of scalar fields with nested messages and groups, ``depth`` deep."""
    if depth == 0:
        return st.lists(scalar_fields, max_size=6).map(encode)
    inner = nested(depth - 1)
    part = st.one_of(
        st.lists(scalar_fields, max_size=3).map(encode),
        st.tuples(st.integers(1, 40), inner).map(lambda t: encode([(t[0], 2, t[1])])),
        st.tuples(st.integers(1, 40), inner).map(
            lambda t: varint(t[0] << 3 | 3) + t[1] + varint(t[0] << 3 | 4)),
    )
    return st.lists(part, max_size=4).map(b"".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nested(4))
def test_nested_messages_walk_as_protoc_reads_them(data: bytes) -> None:
    check(data)
