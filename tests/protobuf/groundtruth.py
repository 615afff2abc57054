"""Ground truth for kind inference: real schemas, messages made by the protobuf runtime.

Each corpus entry is (descriptor, serialized bytes). ``score`` decodes the bytes
without a schema and walks the result beside the schema, counting how many
length-delimited fields got the kind the schema says. A misread message also
costs every LEN field inside it (they are counted from the runtime's own message).

Run it directly to see the numbers per corpus: ``python -m tests.protobuf.groundtruth``.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from google.protobuf import (
    any_pb2,
    descriptor_pb2,
    duration_pb2,
    field_mask_pb2,
    struct_pb2,
    timestamp_pb2,
    wrappers_pb2,
)
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message as PbMessage

from wiretool.protobuf.model import Field
from wiretool.protobuf.wire import decode_message

ROOT = Path(__file__).resolve().parents[2]


def expected_kind(fd: FieldDescriptor) -> str:
    if fd.full_name == "google.protobuf.Any.value":
        return "message"  # declared bytes, but it always holds a serialized message
    if fd.type in (FieldDescriptor.TYPE_MESSAGE,):
        return "message"
    if fd.type == FieldDescriptor.TYPE_GROUP:
        return "group"
    if fd.type == FieldDescriptor.TYPE_STRING:
        return "string"
    if fd.type == FieldDescriptor.TYPE_BYTES:
        return "bytes"
    return "packed"


def count_len_fields(data: bytes, desc: Descriptor) -> int:
    """LEN fields in ``data`` by the schema, with a minimal walker of its own (the oracle
    shares no code with wiretool's decoder)."""
    total = 0
    pos = 0

    def varint() -> int:
        nonlocal pos
        value = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while pos < len(data):
        tag = varint()
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            varint()
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            size = varint()
            total += 1
            fd = desc.fields_by_number.get(number)
            if fd is not None and expected_kind(fd) == "message" and fd.message_type:
                total += count_len_fields(data[pos : pos + size], fd.message_type)
            pos += size
        else:
            raise AssertionError("groups are not used in these corpora")
    return total


@dataclass
class Score:
    right: int = 0
    total: int = 0
    wrong: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    @property
    def ratio(self) -> float:
        return self.right / self.total if self.total else 1.0


def walk(fields: tuple[Field, ...], desc: Descriptor, score: Score, path: str) -> None:
    for f in fields:
        fd = desc.fields_by_number.get(f.number)
        if fd is None or f.wire_type != 2:
            continue
        want = expected_kind(fd)
        got = f.kind.value
        if want == got:
            score.right += 1
            if want == "message" and fd.message_type is not None:
                walk(f.fields, fd.message_type, score, f"{path}.{fd.name}")
        else:
            score.wrong[(f"{path}.{fd.name}", want, got)] += 1


def score_corpus(items: list[tuple[Descriptor, bytes, int]]) -> Score:
    score = Score()
    for desc, data, total in items:
        message, diagnostics = decode_message(data)
        assert not diagnostics, diagnostics
        score.total += total
        walk(message.fields, desc, score, desc.name)
    return score


# -- corpora ---------------------------------------------------------------------------


@cache
def descriptor_set_bytes() -> bytes:
    """A FileDescriptorSet of every .proto bundled with grpcio-tools (the real thing)."""
    fds = descriptor_pb2.FileDescriptorSet()
    for module in (descriptor_pb2, any_pb2, duration_pb2, field_mask_pb2, struct_pb2,
                   timestamp_pb2, wrappers_pb2):
        proto = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(proto)
        fds.file.append(proto)
    fds.MergeFromString((ROOT / "samples" / "person.desc").read_bytes())
    return fds.SerializeToString()


WORDS = ["alpha", "beta", "hi", "k", "xs", "image.png", "inputType", "unverifiedLazy",
         "apple_pay", "PLAYERGROUP", "Ünïcødé", "東京", "a b c", "https://example.com/x?y=1",
         "", "x" * 300, "emoji 🎉", "user@example.org", "42", "GET", "/v1/items"]


def _word(rng: random.Random) -> str:
    return rng.choice(WORDS) + (str(rng.randint(0, 999)) if rng.random() < 0.3 else "")


def struct_values(rng: random.Random, depth: int = 0) -> struct_pb2.Value:
    value = struct_pb2.Value()
    pick = rng.randint(0, 5 if depth < 3 else 3)
    if pick == 0:
        value.number_value = rng.choice([0.5, 1.0, -3.25, 1e10, 42.0, rng.random()])
    elif pick == 1:
        value.string_value = _word(rng)
    elif pick == 2:
        value.bool_value = rng.random() < 0.5
    elif pick == 3:
        value.null_value = 0
    elif pick == 4:
        for _ in range(rng.randint(0, 4)):
            value.list_value.values.append(struct_values(rng, depth + 1))
    else:
        for _ in range(rng.randint(0, 4)):
            value.struct_value.fields[_word(rng)].CopyFrom(struct_values(rng, depth + 1))
    return value


def wkt_messages(rng: random.Random) -> Iterator[PbMessage]:
    for _ in range(40):
        st = struct_pb2.Struct()
        for _ in range(rng.randint(1, 6)):
            st.fields[_word(rng)].CopyFrom(struct_values(rng))
        yield st
        any_msg = any_pb2.Any()
        any_msg.Pack(timestamp_pb2.Timestamp(seconds=rng.randint(0, 2**34), nanos=rng.randint(0, 10**9 - 1)))
        yield any_msg
        yield field_mask_pb2.FieldMask(paths=[_word(rng) for _ in range(rng.randint(1, 5))])
        yield wrappers_pb2.StringValue(value=_word(rng))
        yield wrappers_pb2.BytesValue(value=hashlib.md5(str(rng.random()).encode()).digest())


def corpus_descriptor_set() -> list[tuple[Descriptor, bytes, int]]:
    raw = descriptor_set_bytes()
    fds = descriptor_pb2.FileDescriptorSet.FromString(raw)
    return [(fds.DESCRIPTOR, raw, count_len_fields(raw, fds.DESCRIPTOR))]


def corpus_wkt(seed: int = 7) -> list[tuple[Descriptor, bytes, int]]:
    rng = random.Random(seed)
    out = []
    for m in wkt_messages(rng):
        raw = m.SerializeToString()
        out.append((m.DESCRIPTOR, raw, count_len_fields(raw, m.DESCRIPTOR)))
    return out


@cache
def person_class() -> type:
    from google.protobuf import descriptor_pool, message_factory

    pool = descriptor_pool.DescriptorPool()
    fds = descriptor_pb2.FileDescriptorSet.FromString((ROOT / "samples" / "person.desc").read_bytes())
    for file in fds.file:
        pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("wiretool.samples.Person"))


def random_person(rng: random.Random) -> PbMessage:
    person = person_class()()
    if rng.random() < 0.9:
        person.name = _word(rng) + " " + _word(rng)
    person.id = rng.choice([0, 1, 7, 150, 65535, -1, -(2**31), 2**31 - 1, rng.randint(-1000, 10**6)])
    if rng.random() < 0.7:
        person.email = _word(rng) + "@example.com"
    for _ in range(rng.randint(0, 3)):
        person.phones.add(number=f"+{rng.randint(1, 99)} {rng.randint(100, 99999999)}",
                          type=rng.randint(0, 2))
    magnitude = rng.choice([10, 1000, 10**6, 2**31 - 1])
    person.lucky_numbers.extend(rng.randint(-5, magnitude) for _ in range(rng.randint(0, 8)))
    person.balance_cents = rng.randint(-(10**9), 10**9)
    person.score = rng.choice([0.0, 0.5, rng.random() * 100, -1e-3])
    if rng.random() < 0.5:
        person.avatar_sha256 = hashlib.sha256(str(rng.random()).encode()).digest()
    for _ in range(rng.randint(0, 3)):
        person.labels[_word(rng)] = _word(rng)
    if rng.random() < 0.5:
        person.slack = "@" + _word(rng)
    else:
        person.extension = rng.randint(0, 2**32 - 1)
    person.created_ms = rng.randint(1_500_000_000_000, 1_800_000_000_000)
    person.timezone_offset_minutes = rng.choice([-480, -300, 0, 60, 330])
    person.weights.extend(rng.uniform(-10, 10) for _ in range(rng.randint(0, 5)))
    return person


def corpus_people(seed: int = 11, count: int = 200) -> list[tuple[Descriptor, bytes, int]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        person = random_person(rng)
        raw = person.SerializeToString()
        out.append((person.DESCRIPTOR, raw, count_len_fields(raw, person.DESCRIPTOR)))
    return out


def score_stream(items: list[tuple[Descriptor, bytes, int]]) -> Score:
    """Like score_corpus, but the messages of each type decoded together as one stream."""
    from google.protobuf.internal.encoder import _VarintBytes

    from wiretool.protobuf.wire import decode

    score = Score()
    by_type: dict[str, list[tuple[Descriptor, bytes, int]]] = {}
    for item in items:
        by_type.setdefault(item[0].full_name, []).append(item)
    for same_type in by_type.values():
        stream = b"".join(_VarintBytes(len(data)) + data for _, data, _ in same_type)
        result = decode(stream, framing="delimited")
        assert not result.diagnostics, result.diagnostics
        for (desc, _, total), message in zip(same_type, result.messages, strict=True):
            score.total += total
            walk(message.fields, desc, score, desc.name)
    return score


def main() -> None:
    for name, corpus in (("FileDescriptorSet", corpus_descriptor_set()), ("well-known types", corpus_wkt()),
                         ("people", corpus_people())):
        s = score_corpus(corpus)
        print(f"{name}: {s.right}/{s.total} = {s.ratio:.4f}   "
              f"(as one stream: {score_stream(corpus).ratio:.4f})")
        for (path, want, got), n in s.wrong.most_common(12):
            print(f"   {n:5d} {path}: want {want}, got {got}")


if __name__ == "__main__":
    main()
