"""The three corpora of the ground truth: realistic messages, protoc's descriptor sets,
and an adversarial set. Every item is made here, from a seed: nothing is stored.

- ``realistic``: random realistic instances (``instances.py``) of the ``REALISTIC``
  types, from the schemas of opentelemetry-proto, googleapis-common-protos,
  grpcio-reflection, grpcio-health-checking and protobuf's own well-known types.
- ``descriptor_sets``: what ``protoc --include_imports --descriptor_set_out`` writes
  for the real .proto files googleapis-common-protos and grpcio-tools ship (every
  other one with ``--include_source_info``), through grpcio-tools' protoc.
- ``adversarial``: the types of ``adversarial.proto``, filled with values chosen to
  mislead: messages whose bytes are all printable, strings and packed numbers that
  parse as messages, numbers that read as text, zero-length payloads, field numbers
  up to 2^29-1, random bytes that parse as packed numbers, one-field messages.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass

from tests.protobuf.groundtruth import instances, values
from tests.protobuf.groundtruth.oracle import Node, Oracle, read_varint

REALISTIC = (
    "opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest",
    "opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest",
    "opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest",
    "opentelemetry.proto.trace.v1.Span",
    "opentelemetry.proto.common.v1.AnyValue",
    "opentelemetry.proto.common.v1.KeyValue",
    "opentelemetry.proto.metrics.v1.HistogramDataPoint",
    "opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint",
    "google.api.HttpRule",
    "google.api.Http",
    "google.api.Distribution",
    "google.api.MetricDescriptor",
    "google.api.MonitoredResource",
    "google.api.ResourceDescriptor",
    "google.api.Documentation",
    "google.api.HttpBody",
    "google.rpc.Status",
    "google.rpc.ErrorInfo",
    "google.rpc.BadRequest",
    "google.rpc.QuotaFailure",
    "google.rpc.context.AttributeContext",
    "google.longrunning.Operation",
    "google.longrunning.ListOperationsResponse",
    "google.cloud.location.Location",
    "google.logging.type.HttpRequest",
    "google.type.PostalAddress",
    "google.type.Expr",
    "google.type.Money",
    "grpc.reflection.v1alpha.ServerReflectionRequest",
    "grpc.reflection.v1alpha.ServerReflectionResponse",
    "grpc.health.v1.HealthCheckRequest",
    "google.protobuf.Struct",
    "google.protobuf.Value",
    "google.protobuf.Any",
    "google.protobuf.FieldMask",
    "google.protobuf.DescriptorProto",
    "google.protobuf.FileDescriptorProto",
    "google.protobuf.Type",
    "google.protobuf.Api",
    "google.protobuf.StringValue",
)


@dataclass(frozen=True)
class Item:
    """One message of a corpus, with what its length-delimited fields are."""

    corpus: str
    type_name: str
    data: bytes
    expected: tuple[Node, ...]


def _items(corpus: str, messages: list[Message], oracle: Oracle) -> list[Item]:
    out = []
    for message in messages:
        data = message.SerializeToString(deterministic=True)  # map entries sorted by key
        out.append(Item(corpus, message.DESCRIPTOR.full_name, data,
                        oracle.expected(data, message.DESCRIPTOR)))
    return out


def realistic(per_type: int = 60, seed: int = 18) -> list[Item]:
    rng = random.Random(seed)
    oracle = Oracle(instances.pool())
    messages = [instances.make(name, rng) for name in REALISTIC for _ in range(per_type)]
    return _items("realistic", messages, oracle)


# -- protoc's descriptor sets ---------------------------------------------------------


def proto_roots() -> tuple[Path, Path]:
    """(where googleapis-common-protos' .proto files are, grpcio-tools' include dir)."""
    from google.api import http_pb2

    googleapis = Path(http_pb2.__file__).resolve().parents[2]
    return googleapis, Path(str(resources.files("grpc_tools") / "_proto"))


def proto_files() -> list[str]:
    googleapis, bundled = proto_roots()
    found = sorted(str(p.relative_to(googleapis)) for p in (googleapis / "google").rglob("*.proto")
                   if not str(p.relative_to(googleapis)).startswith("google/protobuf/"))
    found += sorted(str(p.relative_to(bundled)) for p in (bundled / "google/protobuf").glob("*.proto"))
    return found


def protoc_descriptor_set(files: list[str], source_info: bool) -> bytes:
    """``protoc --include_imports [--include_source_info] --descriptor_set_out`` of
    ``files``, run by grpcio-tools (protoc as a library) in a child process."""
    googleapis, bundled = proto_roots()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.pb"
        argv = ["-I", str(googleapis), "-I", str(bundled), "--include_imports",
                f"--descriptor_set_out={out}", *(["--include_source_info"] if source_info else []),
                *files]
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", *argv], check=True,
                       capture_output=True)
        return out.read_bytes()


def descriptor_sets(count: int | None = None, seed: int = 18) -> list[Item]:
    """One FileDescriptorSet per real .proto file (``count``: a seeded sample of them)."""
    files = proto_files()
    if count is not None:
        files = random.Random(seed).sample(files, count)
    oracle = Oracle(instances.pool())
    desc = descriptor_pb2.FileDescriptorSet.DESCRIPTOR
    out = []
    for index, name in enumerate(files):
        data = protoc_descriptor_set([name], source_info=index % 2 == 0)
        out.append(Item("descriptor-sets", desc.full_name, data, oracle.expected(data, desc)))
    return out


# -- protobuf's golden messages -------------------------------------------------------

GOLDEN = Path(__file__).resolve().parent / "golden"
GOLDEN_TYPES = {
    "golden_message": "protobuf_unittest.TestAllTypes",
    "golden_message_oneof_implemented": "protobuf_unittest.TestAllTypes",
    "golden_message_proto3": "proto3_unittest.TestAllTypes",
    "golden_packed_fields_message": "protobuf_unittest.TestPackedTypes",
    "golden_message_maps": "protobuf_unittest.TestMaps",
}
"""The binary messages protobuf's own tests write and read (``golden/SOURCE.md``)."""


def golden() -> list[Item]:
    """protobuf's golden messages: real messages made by other people, every field
    type of proto2 and proto3 in them, labelled by their schema (``golden/unittest.pb``)."""
    fds = descriptor_pb2.FileDescriptorSet.FromString((GOLDEN / "unittest.pb").read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for file in fds.file:
        pool.Add(file)
    oracle = Oracle(pool)
    out = []
    for name, type_name in GOLDEN_TYPES.items():
        data = (GOLDEN / name).read_bytes()
        out.append(Item("golden", type_name, data,
                        oracle.expected(data, pool.FindMessageTypeByName(type_name))))
    return out


# -- the adversarial set --------------------------------------------------------------


@cache
def adversarial_pool() -> descriptor_pool.DescriptorPool:
    _, bundled = proto_roots()
    here = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "adversarial.pb"
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", str(here), "-I",
                        str(bundled), "--include_imports", f"--descriptor_set_out={out}",
                        "adversarial.proto"], check=True, capture_output=True)
        fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for file in fds.file:
        pool.Add(file)
    return pool


def _adversarial(name: str) -> Message:
    desc: Descriptor = adversarial_pool().FindMessageTypeByName(f"wiretool.adversarial.{name}")
    return GetMessageClass(desc)()


def parses_as_message(data: bytes) -> bool:
    """The payload reads completely as fields (the oracle's own walker, not wiretool's)."""
    pos = 0
    groups: list[int] = []
    try:
        while pos < len(data):
            tag, pos = read_varint(data, pos)
            number, wire = tag >> 3, tag & 7
            if number == 0:
                return False
            if wire == 0:
                _, pos = read_varint(data, pos)
            elif wire == 1:
                pos += 8
            elif wire == 5:
                pos += 4
            elif wire == 2:
                size, pos = read_varint(data, pos)
                pos += size
            elif wire == 3:
                groups.append(number)
            elif wire == 4:
                if not groups or groups.pop() != number:
                    return False
            else:
                return False
            if pos > len(data):
                return False
    except IndexError:
        return False
    return not groups


@cache
def real_identifiers() -> tuple[str, ...]:
    """Every field, message, enum value and package name of the realistic schemas."""
    found: set[str] = set()
    for file in instances.real_files():
        found.add(file.package)
        stack = list(file.message_type)
        while stack:
            message = stack.pop()
            found.add(message.name)
            found.update(f.name for f in message.field)
            found.update(f.json_name for f in message.field)
            stack.extend(message.nested_type)
            for enum in message.enum_type:
                found.update(v.name for v in enum.value)
        for enum in file.enum_type:
            found.update(v.name for v in enum.value)
    return tuple(sorted(n for n in found if n))


@cache
def identifiers_parsing_as_messages() -> tuple[str, ...]:
    return tuple(n for n in real_identifiers() if parses_as_message(n.encode()))


def _long_text(rng: random.Random, low: int, high: int) -> str:
    """Realistic text whose UTF-8 length is within [low, high] (a printable length byte)."""
    while True:
        text = rng.choice([values.resource_name, values.url, values.sentence, values.dotted_name,
                           values.path, values.email])(rng)
        text = text.replace("\n", " ").strip()
        if low <= len(text.encode()) <= high and text.isascii():
            return text


def make_printable(rng: random.Random) -> Message:
    message = _adversarial("Printable")
    if rng.random() < 0.8:
        message.level = rng.randint(32, 126)
    message.name = _long_text(rng, 32, 110)
    if rng.random() < 0.7:
        message.inner.text = _long_text(rng, 32, 60)
        if rng.random() < 0.5:
            message.inner.rank = rng.randint(32, 126)
    if rng.random() < 0.4:
        message.note = _long_text(rng, 32, 100)
    for _ in range(rng.choice([0, 1, 2, 3])):
        item = message.items.add(id=_long_text(rng, 32, 80))
        if rng.random() < 0.5:
            item.rank = rng.randint(32, 126)
    return message


def make_listing(rng: random.Random) -> Message:
    message = _adversarial("Listing")
    names = ["grpc.reflection.v1alpha.ServerReflection", "grpc.health.v1.Health",
             "helloworld.Greeter", "routeguide.RouteGuide", "grpc.Test", "acme.Ping"]
    for _ in range(rng.randint(1, 5)):
        name = rng.choice([rng.choice(names), values.dotted_name(rng)])
        entry = message.entries.add(name=name)
        if rng.random() < 0.2:
            entry.child.name = values.dotted_name(rng)
    return message


def make_words(rng: random.Random) -> Message:
    message = _adversarial("Words")
    parsing = identifiers_parsing_as_messages()
    everything = real_identifiers()
    for _ in range(rng.randint(0, 8)):
        message.words.append(rng.choice(parsing) if rng.random() < 0.5 else rng.choice(everything))
    message.single = rng.choice(parsing)
    for _ in range(rng.randint(0, 3)):
        message.labels[rng.choice(parsing)] = rng.choice((*parsing, "", "true", "on", "hi"))
    return message


def _parsing_array(rng: random.Random, draw: object, encode: object, size: tuple[int, int],
                   tries: int = 200) -> list[int]:
    """Values from ``draw`` whose packed encoding parses as a message (or the last drawn)."""
    values_: list[int] = []
    for _ in range(tries):
        values_ = [draw() for _ in range(rng.randint(*size))]  # type: ignore[operator]
        if parses_as_message(encode(values_)):  # type: ignore[operator]
            break
    return values_


def _packed_varints(numbers: list[int]) -> bytes:
    out = bytearray()
    for number in numbers:
        number &= (1 << 64) - 1
        while number >= 0x80:
            out.append(number & 0x7F | 0x80)
            number >>= 7
        out.append(number)
    return bytes(out)


def make_numbers(rng: random.Random) -> Message:
    message = _adversarial("Numbers")
    small = lambda: rng.choice([rng.randint(0, 20), rng.randint(0, 300), 8 * rng.randint(1, 15)])  # noqa: E731
    if rng.random() < 0.5:  # half of them parse as messages, as a decoder sees it
        message.codes.extend(_parsing_array(rng, small, _packed_varints, (2, 8)))
    else:
        message.codes.extend(small() for _ in range(rng.randint(1, 8)))
    # 0-100: a run of values from 32 up is printable text ([72, 105] is "Hi")
    message.percentages.extend(rng.randint(0, 100) for _ in range(rng.randint(1, 12)))
    if rng.random() < 0.5:  # seconds of events of one day, as fixed32
        day = rng.randint(1_600_000_000, 1_800_000_000)
        message.stamps.extend(sorted(day + rng.randint(0, 86_400) for _ in range(rng.randint(1, 6))))
    if rng.random() < 0.5:
        message.weights.extend(round(rng.uniform(0, 100), 1) for _ in range(rng.randint(1, 6)))
    if rng.random() < 0.5:
        message.ids.extend(rng.randint(10**6, 10**12) for _ in range(rng.randint(1, 6)))
    return message


def make_empties(rng: random.Random) -> Message:
    message = _adversarial("Empties")
    message.done.SetInParent()
    for _ in range(rng.randint(0, 4)):
        message.tags.append("" if rng.random() < 0.4 else values.word(rng))
    if rng.random() < 0.7:
        message.blob = b"" if rng.random() < 0.5 else rng.randbytes(rng.randint(1, 24))
    for _ in range(rng.randint(0, 3)):
        marker = message.markers.add()
        if rng.random() < 0.3:
            marker.label = values.word(rng)
    if rng.random() < 0.5:
        message.comment = "" if rng.random() < 0.6 else values.sentence(rng)
    return message


def make_huge(rng: random.Random, depth: int = 0) -> Message:
    message = _adversarial("Huge")
    if rng.random() < 0.7:
        message.a = values.random_text(rng)
    if depth < 3 and rng.random() < 0.5:
        message.child.CopyFrom(make_huge(rng, depth + 1))
    if rng.random() < 0.6:
        message.codes.extend(rng.randint(0, 500) for _ in range(rng.randint(1, 8)))
    if rng.random() < 0.7:
        message.z = values.random_text(rng)
    if rng.random() < 0.5:
        message.blob = rng.randbytes(rng.randint(8, 32))
    return message


def make_blobs(rng: random.Random) -> Message:
    message = _adversarial("Blobs")
    for _ in range(rng.randint(1, 4)):  # half of them also read as packed varints
        message.digests.append(rng.randbytes(rng.choice([8, 12, 16, 20, 32])))
    if rng.random() < 0.7:
        message.token = rng.randbytes(rng.choice([4, 8, 12, 16]))
    return message


def make_tiny(rng: random.Random) -> Message:
    message = _adversarial("Tiny")
    message.code = rng.choice([
        rng.choice(["US", "hi", "ok", "id", "GB", "en", "k", "xs", "fr", "no", "GET"]),
        rng.choice(identifiers_parsing_as_messages()),
        values.identifier(rng), "order_sample", rng.choice(values.WORDS),
        _long_text(rng, 32, 100)])
    return message


ADVERSARIAL = {
    "Printable": make_printable, "Listing": make_listing, "Words": make_words,
    "Numbers": make_numbers, "Empties": make_empties, "Huge": make_huge, "Blobs": make_blobs,
    "Tiny": make_tiny,
}


def adversarial(per_type: int = 60, seed: int = 18) -> list[Item]:
    rng = random.Random(seed)
    oracle = Oracle(adversarial_pool())
    messages = [make(rng) for make in ADVERSARIAL.values() for _ in range(per_type)]
    return _items("adversarial", messages, oracle)
