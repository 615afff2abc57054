"""The JSON the native core writes is the model's JSON, and the core reads a schema as
``annotate`` does.

``decode --format json`` has the core write every FIELD object itself
(``native.NativeFields.write_json``); the contract is ``json.dumps`` of
``result_to_json`` over the model, with what a terminal could act on escaped by
``escape_json`` (README, "JSON output of decode"). These tests hold
the two views of one decode to the same bytes on wire bytes that reach every value
the writer formats (special floats, 64-bit integers, escapes, UTF-8, packed, groups,
unexpanded messages, overlong tags, more paths than the core keeps text for), on the
samples, the captured gRPC messages and random bytes; and the core's annotation
(``NativeFields.annotated``) to ``annotate``'s over the model, field for field.
"""

from __future__ import annotations

import io
import json
import math
import re
import struct
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, struct_pb2
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, SAMPLES
from tests.protobuf.test_properties import encode, varint
from wiretool.errors import Diagnostic, Severity
from wiretool.inputs import decode_input
from wiretool.protobuf import native, wire
from wiretool.protobuf.annotate import AnnotatedView, DescriptorHints, annotate
from wiretool.protobuf.model import DecodeResult, Field, Message
from wiretool.protobuf.schema import load_schema
from wiretool.render.escape import escape_json
from wiretool.render.protobuf_json import document_text, render_json, result_to_json
from wiretool.render.protobuf_table import render_table

FRAMINGS = ("auto", "none", "grpc", "delimited")
PERSON_SCHEMA = load_schema([], [], [SAMPLES / "person.desc"])
PERSON = PERSON_SCHEMA.resolve_type("wiretool.samples.Person")
BOOK = PERSON_SCHEMA.resolve_type("wiretool.samples.AddressBook")
INFO = {"format": "raw", "detail": "raw binary", "size": 0, "start": 0}


def core_json(data: bytes, *, through_bytes: bool = False, descriptor: Any = None,
              **options: Any) -> str:
    """``decode --format json``'s text as the CLI renders it: the core writes the fields."""
    hints = DescriptorHints(descriptor) if descriptor is not None else None
    view: Any = wire.decode_stream(data, hints=hints, **options)
    if descriptor is not None:
        view = AnnotatedView(view, descriptor)
    if through_bytes:  # standard output: a text stream over a UTF-8 byte buffer
        raw = io.BytesIO()
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        render_json(view, text, INFO)
        text.flush()
        return raw.getvalue().decode()
    out = io.StringIO()
    render_json(view, out, INFO)
    return out.getvalue()


def model_json(data: bytes, **options: Any) -> str:
    """The contract: ``json.dumps`` of the dicts of the whole model, made terminal-safe
    by ``escape_json``."""
    result = wire.decode(data, **options)
    return escape_json(json.dumps(result_to_json(result, INFO), ensure_ascii=False,
                                  separators=(",", ":"))) + "\n"


def same_json(data: bytes, **options: Any) -> None:
    expected = model_json(data, **options)
    assert core_json(data, **options) == expected
    assert core_json(data, through_bytes=True, **options) == expected


def annotated_alike(data: bytes, descriptor: Any, **options: Any) -> None:
    """The core's annotation (model, JSON, table) is ``annotate``'s over the model."""
    hints = DescriptorHints(descriptor)
    # A DecodeResult's fields are model tuples: AnnotatedView annotates them in Python.
    python_view = AnnotatedView(wire.decode(data, hints=hints, **options), descriptor)
    core_view = AnnotatedView(wire.decode_stream(data, hints=hints, **options), descriptor)
    python_parts = [(replace(m, fields=()), tuple(f)) for m, f in python_view.parts()]
    core_parts = [(m, tuple(f)) for m, f in core_view.parts()]
    assert repr(core_parts) == repr(python_parts)  # repr: a NaN display equals itself
    assert core_view.diagnostics == python_view.diagnostics
    expected = io.StringIO()
    render_json(AnnotatedView(wire.decode(data, hints=hints, **options), descriptor), expected,
                INFO)
    assert core_json(data, descriptor=descriptor, **options) == expected.getvalue()
    assert core_json(data, descriptor=descriptor, through_bytes=True,
                     **options) == expected.getvalue()
    if len(data) < 100_000:  # a rich table of 70,000 rows takes minutes
        assert (table_text(AnnotatedView(wire.decode_stream(data, hints=hints), descriptor))
                == table_text(AnnotatedView(wire.decode(data, hints=hints), descriptor)))


def table_text(view: Any) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), width=120, color_system=None)
    render_table(view, console, header="x", named=True)
    diagnostics = [(d.offset, d.severity, d.message, d.length) for d in view.diagnostics]
    return console.file.getvalue() + repr(diagnostics)  # type: ignore[attr-defined]


def _grpc_messages() -> Iterator[tuple[str, bytes]]:
    """The gRPC messages the bundled demo client sent (``demo.sent.json``): each one
    alone and all of them as one gRPC stream."""
    sent = json.loads((SAMPLES / "grpc" / "demo.sent.json").read_text())
    stream = bytearray()
    for index, item in enumerate(_hex_items(sent)):
        yield f"demo message {index}", item
        stream += b"\x00" + len(item).to_bytes(4, "big") + item
    yield "demo messages as one gRPC stream", bytes(stream)


def _hex_items(node: Any) -> Iterator[bytes]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "hex" and isinstance(value, str):
                yield bytes.fromhex(value)
            else:
                yield from _hex_items(value)
    elif isinstance(node, list):
        for value in node:
            yield from _hex_items(value)


SPECIAL_FLOATS = [0.0, -0.0, 1.5, -2.25, 1e-45, 3.4e38, 1e300, 5e-324, 1e16, 1e-5,
                  float("inf"), float("-inf"), float("nan")]
TEXTS = ["", "plain", 'quote " backslash \\ slash /', "tab\tnew\nline\r", "\x00\x1f\x7f",
         "é ü ✓ 😀", "\u2028\u2029", "\ud7ff", "<script>&amp;</script>"]


def crafted() -> list[tuple[str, bytes]]:
    """Wire bytes reaching every value the JSON writer formats."""
    floats = b"".join(encode([(1, 1, struct.unpack("<Q", struct.pack("<d", n))[0])])
                      for n in SPECIAL_FLOATS)
    floats += b"".join(encode([(2, 5, struct.unpack("<I", struct.pack("<f", n))[0])])
                       for n in SPECIAL_FLOATS if not math.isfinite(n) or abs(n) < 3.4e38)
    floats += encode([(3, 5, 0x7FC00001)])  # a NaN with a payload
    integers = encode([(4, 0, value) for value in (0, 1, 2, 127, (1 << 63) - 1, 1 << 63,
                                                   (1 << 64) - 1)])
    strings = encode([(5, 2, text.encode("utf-8", "surrogatepass")) for text in TEXTS])
    packed = encode([(6, 2, b"\x01\x96\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),
                     (7, 2, struct.pack("<4f", 0.5, 1.25, -3.0, 1e-3)),
                     (8, 2, struct.pack("<4Q", 3, 5, 0, 12))])
    group = bytes([0x4B]) + encode([(1, 2, b"in a group"), (2, 0, 7)]) + bytes([0x4C])
    nested = encode([(10, 2, encode([(1, 2, encode([(1, 2, b"deep")]))]))])
    overlong = bytes.fromhex("8800 01 888000 02 08 03")  # field 1 with tags of 2, 3, 1 bytes
    paths = b"".join(varint(number << 3) + b"\x01" for number in range(1, 70_001))
    # Over 64 KiB: the core writes it on two threads (``pipeline``); nested, with
    # packed numbers, groups and a field cut short at the end.
    person = (SAMPLES / "person.bin").read_bytes()
    book = (b"\x0a" + varint(len(person)) + person) * 700 + packed + group + nested
    people = encode([(1, 2, encode([(2, 2, book)]))]) + b"\x0a\x10\x01"
    return [("floats", floats), ("integers", integers), ("strings", strings),
            ("700 people, nested, cut short", people),
            ("packed", packed), ("group", group), ("nested", nested),
            ("overlong tags", overlong), ("everything", floats + integers + strings + packed
                                          + group + nested + overlong),
            # Past 65,536 paths the core keeps no path text for a scalar field (a
            # hostile input can hold a new field number every few bytes).
            ("70,000 field numbers", paths + b"\x0a\x02\x08\x01")]


def inputs() -> list[tuple[str, bytes]]:
    found = crafted()
    for path in sorted(SAMPLES.glob("*")):
        if path.suffix in (".bin", ".grpc", ".delimited", ".b64", ".hex", ".desc"):
            found.append((path.name, decode_input(path.read_bytes()).data))
    for path in sorted((ROOT / "tests" / "schema" / "data").glob("*.pb")):
        found.append((path.name, path.read_bytes()))
    found.extend(_grpc_messages())
    return found


INPUTS = inputs()


@pytest.mark.parametrize(("name", "data"), INPUTS, ids=[name for name, _ in INPUTS])
def test_the_core_writes_the_models_json(name: str, data: bytes) -> None:
    for framing in FRAMINGS:
        for max_depth in (100, 2):
            same_json(data, framing=framing, max_depth=max_depth)


@pytest.mark.parametrize(("name", "data"), INPUTS, ids=[name for name, _ in INPUTS])
def test_the_core_reads_a_schema_as_annotate_does(name: str, data: bytes) -> None:
    for descriptor in (PERSON, BOOK, descriptor_pb2.FileDescriptorSet.DESCRIPTOR):
        annotated_alike(data, descriptor)
    annotated_alike(data, PERSON, max_depth=2)


def test_the_demo_schema_reads_the_captured_messages_as_annotate_does() -> None:
    schema = load_schema([SAMPLES / "grpc" / "demo.proto"])
    for _, data in _grpc_messages():
        for type_name in schema.message_names():
            annotated_alike(data, schema.resolve_type(type_name))


def test_deep_struct_values_with_their_schema() -> None:
    value = struct_pb2.Value()
    inner = value
    for depth in range(14):
        inner.struct_value.fields["k"].string_value = f"level {depth}"
        inner.struct_value.fields["n"].number_value = depth / 3
        inner = inner.struct_value.fields["next"]
    data = value.SerializeToString()
    same_json(data)
    annotated_alike(data, struct_pb2.Value.DESCRIPTOR)
    annotated_alike(data, struct_pb2.Value.DESCRIPTOR, max_depth=5)


def _wide_schema() -> Any:
    """Every 64-bit type, one field each (1-5), and a packed repeated sint64 (6)."""
    from google.protobuf import descriptor_pool

    fdp = descriptor_pb2.FileDescriptorProto(name="wide_json.proto", package="wide_json",
                                             syntax="proto3")
    message = fdp.message_type.add(name="W")
    types = descriptor_pb2.FieldDescriptorProto
    for number, (name, kind) in enumerate([("i", types.TYPE_INT64), ("u", types.TYPE_UINT64),
                                           ("s", types.TYPE_SINT64), ("f", types.TYPE_FIXED64),
                                           ("sf", types.TYPE_SFIXED64)], start=1):
        message.field.add(name=name, number=number, type=kind, label=types.LABEL_OPTIONAL)
    message.field.add(name="many", number=6, type=types.TYPE_SINT64,
                      label=types.LABEL_REPEATED)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return pool.FindMessageTypeByName("wide_json.W")


EDGES = [2**53 - 1, 2**53, 2**64 - 1, 2**63]


def test_64_bit_integers_beyond_a_doubles_are_strings_in_core_and_reference() -> None:
    """Issue 17: value, signed, zigzag, packed values and the schema's display of an
    integer beyond ±(2**53 - 1) are decimal strings, written alike by the core and
    the reference; 2**53 - 1 and its negation stay numbers."""
    packed = b"".join(varint(value) for value in EDGES)
    data = encode([*((number, 0, value) for number in (1, 2, 3) for value in EDGES),
                   *((number, 1, value) for number in (4, 5) for value in EDGES),
                   (6, 2, packed)])
    same_json(data)
    descriptor = _wide_schema()
    annotated_alike(data, descriptor)
    document = json.loads(core_json(data, descriptor=descriptor))
    fields = document["messages"][0]["fields"]
    display = {name: [f["display"] for f in fields if f["name"] == name]
               for name in ("i", "u", "s", "f", "sf", "many")}
    assert display == {
        "i": [2**53 - 1, "9007199254740992", -1, "-9223372036854775808"],
        "u": [2**53 - 1, "9007199254740992", "18446744073709551615", "9223372036854775808"],
        "s": [-(2**52), 2**52, "-9223372036854775808", "4611686018427387904"],
        "f": [2**53 - 1, "9007199254740992", "18446744073709551615", "9223372036854775808"],
        "sf": [2**53 - 1, "9007199254740992", -1, "-9223372036854775808"],
        # a packed field's display is text already: every digit is kept
        "many": ["[-4503599627370496, 4503599627370496, -9223372036854775808, "
                 "4611686018427387904]"],
    }
    assert fields[-1]["values"] == [2**53 - 1, "9007199254740992", "18446744073709551615",
                                    "9223372036854775808"]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(FRAMINGS), st.sampled_from([100, 2]))
@example(b"\x0b\x0b\x0c", "none", 100)
@example(b"\x00\x00\x00\x00\x03\x0a\x01\x00", "auto", 100)
def test_any_bytes_write_the_models_json(data: bytes, framing: str, max_depth: int) -> None:
    same_json(data, framing=framing, max_depth=max_depth)
    annotated_alike(data, PERSON, framing=framing, max_depth=max_depth)


def test_fields_interleaved_across_messages_are_those_of_the_whole_model() -> None:
    """The messages of one decode share one classification: building one field of each
    in turns gives what building them in order gives."""
    import gzip

    payloads = [encode([(1, 2, b"abcd"), (2, 2, b"\x08\x01\x10\x02")]),
                encode([(1, 2, b"abcd"), (2, 2, b"wxyz")]),
                encode([(1, 2, b"abcd"), (2, 2, b"\x01\x02\x03\x04")])]
    data = b"".join(b"\x01" + len(body).to_bytes(4, "big") + body
                    for body in map(gzip.compress, payloads))
    stream = wire.decode_stream(data)
    iterators = [iter(fields) for _, fields in stream.parts()]
    built: list[list[Field]] = [[] for _ in iterators]
    while any(iterators):
        for index, iterator in enumerate(iterators):
            if iterator is not None:
                field = next(iterator, None)
                if field is None:
                    iterators[index] = None  # type: ignore[call-overload]
                else:
                    built[index].append(field)
    whole = wire.decode(data)
    assert built == [list(m.fields) for m in whole.messages]
    assert stream.diagnostics == list(whole.diagnostics)


def test_a_result_renders_from_the_model() -> None:
    """A ``DecodeResult`` (model fields, no core) writes the contract too."""
    data = (SAMPLES / "person.bin").read_bytes()
    result = wire.decode(data)
    assert isinstance(result, DecodeResult)
    out = io.StringIO()
    render_json(result, out, INFO)
    assert out.getvalue() == model_json(data)


# -- terminal safety -----------------------------------------------------------------

HOSTILE_TEXT = "\u202eevil\u0085\u009b\x1b[31mred\x1b]0;title\x07\x00\x7f\u200b\ufeff\u2066 é"
"""A right-to-left override, C1 NEL and CSI, ANSI and OSC sequences, NUL, DEL, zero-width
and bidi marks, and an é that must stay as it is."""
HOSTILE_NAME = HOSTILE_TEXT.replace("\x00", "")
UNSAFE_IN_JSON = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
                            "\ud800-\udfff]")


def assert_terminal_safe(document: str) -> None:
    """One line of JSON: no raw character a terminal acts on (but the final newline)."""
    assert document.endswith("\n")
    found = UNSAFE_IN_JSON.search(document[:-1])
    assert found is None, f"raw {found.group(0)!r} at {found.start()}"


def _hostile_schema() -> Any:
    """A message with a string field whose JSON name (free text in a descriptor set)
    is hostile too (all but NUL, which the runtime ends a name at), and a repeated string
    field."""
    from google.protobuf import descriptor_pool

    fdp = descriptor_pb2.FileDescriptorProto(name="hostile_json.proto", package="hostile_json",
                                             syntax="proto3")
    message = fdp.message_type.add(name="M")
    string, optional, repeated = (descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                                  descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
                                  descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED)
    message.field.add(name="text", number=1, type=string, label=optional, json_name=HOSTILE_NAME)
    message.field.add(name="texts", number=2, type=string, label=repeated)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fdp)
    return pool.FindMessageTypeByName("hostile_json.M")


def test_strings_names_and_diagnostics_cannot_drive_a_terminal() -> None:
    """Wire strings, schema names and diagnostic messages in ``decode --format json``:
    what a terminal acts on is a ``\\uXXXX`` escape, in the core's text as in the
    reference renderer's, byte for byte, and the values read back unchanged."""
    descriptor = _hostile_schema()
    text = HOSTILE_TEXT.encode()
    data = encode([(1, 2, text), (2, 2, text), (2, 2, b"plain"), (2, 2, text * 40)])
    annotated_alike(data, descriptor)
    hints = DescriptorHints(descriptor)
    expected = document_text(annotate(wire.decode(data, hints=hints), descriptor), INFO)
    for through_bytes in (False, True):
        written = core_json(data, descriptor=descriptor, through_bytes=through_bytes)
        assert written == expected
        assert_terminal_safe(written)
        assert "\\u202eevil\\u0085\\u009b\\u001b[31mred" in written and " é" in written
        fields = json.loads(written)["messages"][0]["fields"]
        assert [f["value"] for f in fields] == [HOSTILE_TEXT, HOSTILE_TEXT, "plain",
                                                HOSTILE_TEXT * 40]
        assert fields[0]["json_name"] == HOSTILE_NAME
    # Diagnostics are written by the renderer around the core's fields: the same rule.
    result = wire.decode(data)
    assert isinstance(result, DecodeResult)
    hostile = replace(result, diagnostics=(
        Diagnostic(0, Severity.ERROR, f"quoting {HOSTILE_TEXT} and \udcff", 1),))
    out = io.StringIO()
    render_json(hostile, out, INFO)
    assert out.getvalue() == document_text(hostile, INFO)
    assert_terminal_safe(out.getvalue())
    assert json.loads(out.getvalue())["diagnostics"][0]["message"] == (
        f"quoting {HOSTILE_TEXT} and \udcff")
    # Model fields (a DecodeResult, no core) are escaped alike.
    model = replace(result, messages=(Message(0, len(data), result.messages[0].fields),))
    out = io.StringIO()
    render_json(model, out, INFO)
    assert out.getvalue() == document_text(model, INFO)
    assert_terminal_safe(out.getvalue())


_RISKY = st.sampled_from(["\x00", "\x1b", "\x7f", "\x80", "\x85", "\x9b", "\x9f", "\xa0",
                          "\u200a", "\u200b", "\u200f", "\u2010", "\u2029", "\u202a",
                          "\u202e", "\u202f", "\u205f", "\u2060", "\u2069", "\u206a",
                          "\ufeff", "\ufefe", "\uffff", "é", '"', "\\", "\U0001f600"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(st.one_of(_RISKY, st.characters(exclude_categories=["Cs"])),
                        max_size=40), min_size=1, max_size=4))
def test_any_text_is_escaped_as_escape_json_does(texts: list[str]) -> None:
    """Strings of any characters (the ones ``escape_json`` escapes, their neighbours,
    and any other): the core's text is the reference's, byte for byte."""
    descriptor = _hostile_schema()
    data = encode([(2, 2, text.encode()) for text in texts])
    hints = DescriptorHints(descriptor)
    expected = document_text(annotate(wire.decode(data, hints=hints), descriptor), INFO)
    written = core_json(data, descriptor=descriptor)
    assert written == expected
    assert_terminal_safe(written)
    assert [f["value"] for f in json.loads(written)["messages"][0]["fields"]] == texts


# -- the core's own pieces ------------------------------------------------------------

SPECIAL = [0.0, -0.0, 1.0, 1.5, 0.1, 1e16, 1e15, 123456789012345678.0, 1e-4, 1e-5, 5e-324,
           1.7976931348623157e308, 2.2250738585072014e-308, 9007199254740993.0, 1e22, 1e23,
           float("nan"), float("inf"), float("-inf")]


@settings(max_examples=2000)
@given(st.one_of(st.floats(), st.integers(0, 2**64 - 1).map(
    lambda bits: struct.unpack("<d", bits.to_bytes(8, "little"))[0]),
    st.integers(0, 2**32 - 1).map(
    lambda bits: struct.unpack("<f", bits.to_bytes(4, "little"))[0])))
def test_float_text_is_pythons_repr(number: float) -> None:
    core = native._core_module()
    expected = repr(number)
    assert core.float_repr(number) == expected
    for special in SPECIAL:
        assert core.float_repr(special) == repr(special)
    assert math.isnan(number) or float(expected) == number


@pytest.mark.parametrize("size", [70_000, 400_000, 1_200_000])
def test_two_threads_give_the_one_thread_references_text(size: int, monkeypatch: Any) -> None:
    """From 64 KiB the core formats the JSON on a second thread, and from 256 KiB pass 1
    scores the halves of a long message apart (``native.THREADS``): the documents are
    those of one thread, byte for byte, with and without a schema; top-level fields
    (an address book) and one long message (the book inside a field) alike."""
    person = (SAMPLES / "person.bin").read_bytes()
    one = b"\x0a" + varint(len(person)) + person
    book = one * (size // len(one))
    for data, descriptor in ((book + b"\x12\x05ab", BOOK),  # the last field cut short
                             (encode([(1, 2, book)]), None)):
        texts = []
        for threads in (True, False):
            monkeypatch.setattr(native, "THREADS", threads)
            texts.append(core_json(data, descriptor=descriptor))
        assert texts[0] == texts[1]
        assert len(texts[0]) > 2 * 256 * 1024  # several chunks


def test_json_written_through_a_closed_pipe_raises_the_writers_error() -> None:
    data = (SAMPLES / "person.bin").read_bytes()
    stream = wire.decode_stream(data)
    [(_, fields)] = list(stream.parts())

    def broken(chunk: bytes) -> None:
        raise BrokenPipeError

    with pytest.raises(BrokenPipeError):
        fields.write_json(broken)  # type: ignore[attr-defined]


def test_the_installed_command_writes_the_contract_to_a_real_stdout(tmp_path: Any) -> None:
    """A real process: for messages of 64 KiB and more the core writes its chunks to
    file descriptor 1 itself; the bytes are the model's JSON all the same."""
    import shutil
    import subprocess
    import sys

    wiretool = shutil.which("wiretool") or sys.exit("wiretool is not installed")
    person = (SAMPLES / "person.bin").read_bytes()
    book = (b"\x0a" + varint(len(person)) + person) * 500
    (tmp_path / "book.bin").write_bytes(book)
    hostile = bytes.fromhex("0a0508960112ff0b08011a05616263")
    (tmp_path / "hostile.bin").write_bytes(hostile)
    named = encode([(1, 2, HOSTILE_TEXT.encode())])
    hostile_book = (b"\x0a" + varint(len(named)) + named) * 3000
    (tmp_path / "hostile_book.bin").write_bytes(hostile_book)
    cases: list[tuple[list[str], bytes, Any]] = [
        (["samples/person.bin"], person, None),
        (["samples/people.grpc"], (SAMPLES / "people.grpc").read_bytes(), None),
        (["samples/people.delimited"], (SAMPLES / "people.delimited").read_bytes(), None),
        ([str(tmp_path / "hostile.bin")], hostile, None),
        ([str(tmp_path / "book.bin")], book, None),
        (["--proto", "samples/person.proto", "-t", "wiretool.samples.AddressBook",
          str(tmp_path / "book.bin")], book, BOOK),
        # Over 64 KiB of names that would drive a terminal: the core's own writes to
        # file descriptor 1 escape them too.
        (["--proto", "samples/person.proto", "-t", "wiretool.samples.AddressBook",
          str(tmp_path / "hostile_book.bin")], hostile_book, BOOK),
    ]
    for args, data, descriptor in cases:
        done = subprocess.run([wiretool, "decode", "--format", "json", *args], cwd=ROOT,
                              capture_output=True, check=False)
        document = json.loads(done.stdout)
        info = document["input"]
        assert info["size"] == len(data), args
        hints = DescriptorHints(descriptor) if descriptor is not None else None
        view: Any = wire.decode_stream(data, hints=hints)
        if descriptor is not None:
            view = AnnotatedView(view, descriptor)
        expected = io.StringIO()
        render_json(view, expected, info)
        assert done.stdout.decode() == expected.getvalue(), args
        assert_terminal_safe(done.stdout.decode())
        errors = [d for d in document["diagnostics"] if d["severity"] == "error"]
        assert done.returncode == (1 if errors else 0), args
