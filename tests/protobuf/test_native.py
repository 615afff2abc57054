"""The native core gives exactly what the Python reference gives.

``wire.py``'s ``_Reader`` and ``infer.py`` are the reference (the documented rules);
the core (``core/``, through ``native.py``) must produce the same ``Field`` model,
the same diagnostics, and byte for byte the same ``decode --format json`` text, with
and without a schema, on every input the tests have: the samples, the gRPC messages
of the bundled captures, the schema test data, hostile inputs, messages serialized
by the protobuf runtime, random bytes and their truncations.
"""

from __future__ import annotations

import io
import math
import random
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf import descriptor_pb2, struct_pb2
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, SAMPLES
from tests.protobuf.test_properties import encode, scalar_fields
from wiretool.inputs import decode_input
from wiretool.protobuf import native, wire
from wiretool.protobuf.annotate import AnnotatedView, DescriptorHints
from wiretool.protobuf.schema import load_schema
from wiretool.render.protobuf_json import render_json
from wiretool.render.protobuf_table import render_table

FRAMINGS = ("auto", "none", "grpc", "delimited")
PERSON_SCHEMA = load_schema([], [], [SAMPLES / "person.desc"])
PERSON = PERSON_SCHEMA.resolve_type("wiretool.samples.Person")
BOOK = PERSON_SCHEMA.resolve_type("wiretool.samples.AddressBook")


def _grpc_messages() -> Iterator[tuple[str, bytes]]:
    """The gRPC messages the bundled demo client sent (``demo.sent.json``) as their
    serialized bytes: each one alone and all of them as one gRPC stream."""
    import json

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


def inputs() -> list[tuple[str, bytes]]:
    found: list[tuple[str, bytes]] = []
    for path in sorted(SAMPLES.glob("*")):
        if path.suffix in (".bin", ".grpc", ".delimited", ".b64", ".hex", ".desc"):
            found.append((path.name, decode_input(path.read_bytes()).data))
    for path in sorted((ROOT / "tests" / "schema" / "data").glob("*.pb")):
        found.append((path.name, path.read_bytes()))
    found.extend(_grpc_messages())
    found.extend(_hostile())
    return found


def _hostile() -> list[tuple[str, bytes]]:
    """Faults of every kind, deep nesting, groups, and odd payloads."""
    deep = b"\x08\x01"
    for _ in range(300):
        deep = b"\x0a" + _varint(len(deep)) + deep
    groups = b"\x0b" * 300 + b"\x08\x01" + b"\x0c" * 300
    return [
        ("truncated length", bytes.fromhex("08960 11ac8016162".replace(" ", ""))),
        ("wire type 6", bytes.fromhex("0896010e")),
        ("field number 0", bytes.fromhex("0896010001")),
        ("varint too long", bytes.fromhex("08" + "ff" * 11)),
        ("stray end group", bytes.fromhex("08010c")),
        ("mismatched end group", bytes.fromhex("0b08011401")),
        ("unclosed groups", bytes.fromhex("0b1308011b")),
        ("unclosed group at the end", bytes.fromhex("0b080113")),
        ("truncated fixed64", bytes.fromhex("0901020304")),
        ("huge field number", bytes.fromhex("f8ffffff7f01")),
        ("300 nested messages", deep),
        ("300 nested groups", groups),
        ("empty", b""),
        ("overlong varints", bytes.fromhex("88000180001200")),
        ("floats", bytes.fromhex("0d0000c07f" "11000000000000f07f" "1d01000000" "7208000000" "3f0000a03f")),
        ("negative packed", bytes.fromhex("0a14" + "ffffffffffffffffff01" * 2)),
        ("text that parses", b"\x0a\x0aJ\tabcdefghi"),
        ("corrupt gzip gRPC", b"\x01\x00\x00\x00\x04abcd\x00\x00\x00\x00\x02\x08\x01"),
    ]


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def json_text(data: bytes, engine: str, *, through_bytes: bool = False,
              descriptor: Any = None, **options: Any) -> str:
    """``decode --format json``'s text (as the CLI renders it) by one engine."""
    hints = DescriptorHints(descriptor) if descriptor is not None else None
    view: Any = wire.decode_stream(data, hints=hints, engine=engine, **options)
    if descriptor is not None:
        view = AnnotatedView(view, descriptor)
    info = {"format": "raw", "detail": "raw binary", "size": len(data), "start": 0}
    if through_bytes:  # standard output: a text stream over a UTF-8 byte buffer
        raw = io.BytesIO()
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        render_json(view, text, info)
        text.flush()
        return raw.getvalue().decode()
    out = io.StringIO()
    render_json(view, out, info)
    return out.getvalue()


def same_everywhere(data: bytes, **options: Any) -> None:
    """Model, diagnostics and JSON text agree between the engines."""
    python = wire.decode(data, engine="python", **options)
    assert wire.decode(data, engine="native", **options) == python
    expected = json_text(data, "python", **options)
    assert json_text(data, "native", **options) == expected
    assert json_text(data, "native", through_bytes=True, **options) == expected


def same_with_schema(data: bytes, descriptor: Any, **options: Any) -> None:
    """With a schema: the hinted model, and the annotated JSON and table views."""
    hints = DescriptorHints(descriptor)
    python = wire.decode(data, hints=hints, engine="python", **options)
    assert wire.decode(data, hints=DescriptorHints(descriptor), engine="native",
                       **options) == python
    expected = json_text(data, "python", descriptor=descriptor, **options)
    assert json_text(data, "native", descriptor=descriptor, **options) == expected
    assert json_text(data, "native", descriptor=descriptor, through_bytes=True,
                     **options) == expected
    assert table_text(data, "native", descriptor) == table_text(data, "python", descriptor)


def table_text(data: bytes, engine: str, descriptor: Any = None) -> str:
    from rich.console import Console

    hints = DescriptorHints(descriptor) if descriptor is not None else None
    view: Any = wire.decode_stream(data, hints=hints, engine=engine)
    if descriptor is not None:
        view = AnnotatedView(view, descriptor)
    console = Console(file=io.StringIO(), width=120, color_system=None)
    render_table(view, console, header="x", named=descriptor is not None)
    diagnostics = [(d.offset, d.severity, d.message, d.length) for d in view.diagnostics]
    return console.file.getvalue() + repr(diagnostics)  # type: ignore[attr-defined]


INPUTS = inputs()


@pytest.mark.parametrize(("name", "data"), INPUTS, ids=[name for name, _ in INPUTS])
def test_every_input_decodes_alike(name: str, data: bytes) -> None:
    for framing in FRAMINGS:
        for max_depth in (100, 3, 1):
            same_everywhere(data, framing=framing, max_depth=max_depth)


@pytest.mark.parametrize(("name", "data"), INPUTS, ids=[name for name, _ in INPUTS])
def test_every_input_decodes_alike_with_a_schema(name: str, data: bytes) -> None:
    for descriptor in (PERSON, BOOK, descriptor_pb2.FileDescriptorSet.DESCRIPTOR):
        same_with_schema(data, descriptor)
    same_with_schema(data, PERSON, max_depth=2)


def test_the_demo_schema_reads_the_captured_messages_alike() -> None:
    schema = load_schema([SAMPLES / "grpc" / "demo.proto"])
    for name, data in _grpc_messages():
        for type_name in schema.message_names():
            same_with_schema(data, schema.resolve_type(type_name))
        assert name


def test_tables_agree_without_a_schema() -> None:
    for _, data in INPUTS:
        assert table_text(data, "native") == table_text(data, "python")


def test_decode_regions_and_interleaved_streams_agree() -> None:
    import gzip

    payloads = [encode([(1, 2, b"abcd"), (2, 2, b"\x08\x01\x10\x02")]),
                encode([(1, 2, b"abcd"), (2, 2, b"wxyz")]),
                encode([(1, 2, b"abcd"), (2, 2, b"\x01\x02\x03\x04")])]
    data = b"".join(b"\x01" + len(body).to_bytes(4, "big") + body
                    for body in map(gzip.compress, payloads))
    results = {}
    for engine in ("python", "native"):
        stream = wire.decode_stream(data, engine=engine)
        parts = list(stream.parts())
        iterators = [iter(fields) for _, fields in parts]
        built: list[list[Any]] = [[] for _ in iterators]
        while any(iterators):  # one field from each message in turn
            for index, iterator in enumerate(iterators):
                if iterator is not None:
                    field = next(iterator, None)
                    if field is None:
                        iterators[index] = None  # type: ignore[call-overload]
                    else:
                        built[index].append(field)
        results[engine] = (built, stream.diagnostics)
    assert results["native"] == results["python"]
    regions = [wire.Region(data, 0, len(data)), wire.Region(b"\x0a\x02hi", 0, 4)]
    assert (wire.decode_regions(regions, engine="native")
            == wire.decode_regions(regions, engine="python"))


# -- properties ---------------------------------------------------------------------

PERSON_CLASS: Any = None


def _person_class() -> Any:
    global PERSON_CLASS
    if PERSON_CLASS is None:
        from google.protobuf import message_factory

        PERSON_CLASS = message_factory.GetMessageClass(PERSON)
    return PERSON_CLASS


texts = st.text(max_size=30)
int32s = st.integers(-2**31, 2**31 - 1)
people = st.builds(
    lambda name, number, email, lucky, balance, score, blob, labels, phones, weights, offset,
    contact: dict(name=name, id=number, email=email, lucky_numbers=lucky, balance_cents=balance,
                  score=score, avatar_sha256=blob, labels=labels, phones=phones,
                  weights=weights, timezone_offset_minutes=offset, **contact),
    texts, int32s, texts, st.lists(int32s, max_size=8), st.integers(-2**63, 2**63 - 1),
    st.floats(allow_nan=True), st.binary(max_size=40), st.dictionaries(texts, texts, max_size=3),
    st.lists(st.tuples(texts, st.integers(0, 2)), max_size=3),
    st.lists(st.floats(width=32), max_size=6), int32s,
    st.one_of(st.just({}), texts.map(lambda t: {"slack": t}),
              st.integers(0, 2**32 - 1).map(lambda n: {"extension": n})))


def _serialize_person(spec: dict[str, Any]) -> bytes:
    person = _person_class()()
    phones = spec.pop("phones")
    labels = spec.pop("labels")
    for key, value in spec.items():
        if key in ("lucky_numbers", "weights"):
            getattr(person, key).extend(value)
        else:
            setattr(person, key, value)
    for number, kind in phones:
        person.phones.add(number=number, type=kind)
    for key, value in labels.items():
        person.labels[key] = value
    return bytes(person.SerializeToString())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(people, min_size=1, max_size=4), st.sampled_from(["none", "delimited"]))
def test_runtime_messages_decode_alike(specs: list[dict[str, Any]], framing: str) -> None:
    bodies = [_serialize_person(spec) for spec in specs]
    data = (b"".join(_varint(len(b)) + b for b in bodies) if framing == "delimited"
            else bodies[0])
    same_everywhere(data, framing=framing)
    same_with_schema(data, PERSON, framing=framing)


def _value(depth: int, rng: random.Random) -> struct_pb2.Value:
    value = struct_pb2.Value()
    choice = rng.randrange(6 if depth > 0 else 4)
    if choice == 0:
        value.number_value = rng.choice([0.0, -1.5, 1e300, rng.random()])
    elif choice == 1:
        value.string_value = rng.choice(["", "x", "hello world", "\n", "é✓"])
    elif choice == 2:
        value.bool_value = rng.random() < 0.5
    elif choice == 3:
        value.null_value = 0
    elif choice == 4:
        for index in range(rng.randrange(3)):
            value.struct_value.fields[f"k{index}"].CopyFrom(_value(depth - 1, rng))
    else:
        for _ in range(rng.randrange(3)):
            value.list_value.values.add().CopyFrom(_value(depth - 1, rng))
    return value


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 12))
def test_deep_struct_values_decode_alike(seed: int, depth: int) -> None:
    data = _value(depth, random.Random(seed)).SerializeToString()
    same_everywhere(data)
    same_with_schema(data, struct_pb2.Value.DESCRIPTOR)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(FRAMINGS), st.sampled_from([100, 2]))
@example(b"\x0b\x0b\x0c", "none", 100)
@example(b"\x00\x00\x00\x00\x03\x0a\x01\x00", "auto", 100)
def test_random_bytes_decode_alike(data: bytes, framing: str, max_depth: int) -> None:
    same_everywhere(data, framing=framing, max_depth=max_depth)


@settings(max_examples=200, deadline=None)
@given(st.lists(scalar_fields, max_size=12), st.integers(0, 4), st.data())
def test_nested_messages_and_their_truncations_decode_alike(
        fields: list[tuple[int, int, object]], depth: int, data: st.DataObject) -> None:
    body = encode(fields)
    for number in range(depth):
        body = encode([(number % 3 + 1, 2, body), *fields[:2]])
    cut = data.draw(st.integers(0, len(body)))
    same_everywhere(body[:cut])
    same_everywhere(body[:cut], framing="none", max_depth=2)
    same_with_schema(body[:cut], PERSON)


def test_the_real_descriptor_sets_read_alike_with_their_schema() -> None:
    fds = descriptor_pb2.FileDescriptorSet.DESCRIPTOR
    for path in [SAMPLES / "person.desc", *(ROOT / "tests" / "schema" / "data").glob("*.pb")]:
        data = path.read_bytes()
        same_with_schema(data, fds)
        for cut in range(0, len(data), max(1, len(data) // 40)):
            same_everywhere(data[:cut])


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


def test_the_engine_is_chosen_by_option_and_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert native.wants_native("auto", None)
    assert native.wants_native("auto", DescriptorHints(PERSON))
    assert not native.wants_native("python", None)
    monkeypatch.setenv(native.ENGINE_VARIABLE, "python")
    assert not native.wants_native("auto", None)
    assert native.wants_native("native", None)

    class OtherHints:
        def kind_for(self, number: int, wire_type: Any) -> None:
            return None

        def child(self, number: int) -> None:
            return None

    monkeypatch.delenv(native.ENGINE_VARIABLE)
    assert not native.wants_native("auto", OtherHints())  # the reference serves those
    with pytest.raises(native.NativeUnavailable):
        native.wants_native("native", OtherHints())
    with pytest.raises(ValueError, match="unknown engine"):
        native.wants_native("fast", None)


def test_json_written_through_a_closed_pipe_raises_the_writers_error() -> None:
    data = (SAMPLES / "person.bin").read_bytes()
    stream = wire.decode_stream(data, engine="native")
    [(_, fields)] = list(stream.parts())

    def broken(chunk: bytes) -> None:
        raise BrokenPipeError

    with pytest.raises(BrokenPipeError):
        fields.write_json(broken)  # type: ignore[attr-defined]


def test_the_installed_command_writes_the_same_bytes_to_a_real_stdout(tmp_path: Any) -> None:
    """A real process: the core writes its chunks to file descriptor 1 itself."""
    import os
    import shutil
    import subprocess
    import sys

    wiretool = shutil.which("wiretool") or sys.exit("wiretool is not installed")
    cases = [["samples/person.bin"], ["samples/people.grpc"], ["samples/people.delimited"],
             ["--proto", "samples/person.proto", "-t", "wiretool.samples.Person",
              "samples/person.bin"],
             ["--max-depth", "1", "samples/addressbook.b64"]]
    hostile = tmp_path / "hostile.bin"
    hostile.write_bytes(bytes.fromhex("0a0508960112ff0b08011a05616263"))
    cases.append([str(hostile)])
    # Past render_json's _DIRECT_BYTES: the core writes to file descriptor 1 itself.
    person = (SAMPLES / "person.bin").read_bytes()
    book = tmp_path / "book.bin"
    book.write_bytes((b"\x0a" + _varint(len(person)) + person) * 500)
    cases += [[str(book)], ["--proto", "samples/person.proto", "-t", "wiretool.samples.AddressBook",
                            str(book)]]
    for args in cases:
        outputs = []
        for engine in ("native", "python"):
            done = subprocess.run([wiretool, "decode", "--format", "json", *args],
                                  cwd=ROOT, capture_output=True, check=False,
                                  env={**os.environ, native.ENGINE_VARIABLE: engine})
            outputs.append((done.returncode, done.stdout, done.stderr))
        assert outputs[0] == outputs[1], args
        assert outputs[0][1].startswith(b'{"input":')


def test_an_input_with_more_scalar_paths_than_the_core_keeps_writes_alike() -> None:
    """Past 65,536 paths the core keeps no path for a scalar field (a hostile input can
    have a new field number every few bytes); its JSON is written all the same."""
    data = b"".join(_varint(number << 3) + b"\x01" for number in range(1, 70_001))
    data += b"\x0a\x02\x08\x01"  # and a message after them
    same_everywhere(data, framing="none")
