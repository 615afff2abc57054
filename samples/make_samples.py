#!/usr/bin/env python3
"""Make the bundled samples with the protobuf runtime, from person.proto.

    pip install grpcio-tools protobuf && python samples/make_samples.py

Writes, next to this script:
  person.bin        one Person, raw binary
  person.hex        the same, as xxd output (what people paste from logs)
  addressbook.b64   an AddressBook of three people, base64
  people.grpc       two Persons as gRPC length-prefixed messages, the second gzip-compressed
  people.delimited  three Persons, varint-length-delimited (writeDelimitedTo)
  person.desc       the compiled schema, a FileDescriptorSet (for --descriptor-set)
The bytes are deterministic: rerunning the script gives the same files.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.internal.encoder import _VarintBytes

HERE = Path(__file__).resolve().parent


def load_types() -> tuple[type, type]:
    from grpc_tools import protoc

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "person.desc"
        code = protoc.main(["protoc", f"-I{HERE}", f"--descriptor_set_out={out}",
                            str(HERE / "person.proto")])
        if code != 0:
            sys.exit("protoc failed")
        fds = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
        (HERE / "person.desc").write_bytes(out.read_bytes())
    pool = descriptor_pool.DescriptorPool()
    for file in fds.file:
        pool.Add(file)
    person = message_factory.GetMessageClass(pool.FindMessageTypeByName("wiretool.samples.Person"))
    book = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("wiretool.samples.AddressBook"))
    return person, book


def people(person_class: type) -> list[object]:
    ada = person_class(
        name="Ada Lovelace", id=1815, email="ada@example.com",
        lucky_numbers=[1, 2, 3, 150, 300], balance_cents=-1250, score=0.875,
        avatar_sha256=hashlib.sha256(b"ada").digest(), slack="@ada",
        created_ms=1732579200123, timezone_offset_minutes=-300, weights=[0.5, 1.25],
    )
    ada.phones.add(number="+44 20 7946 0018", type=1)
    ada.phones.add(number="+44 7700 900123", type=0)
    ada.labels["team"] = "analytical-engine"
    grace = person_class(name="Grace Hopper", id=1906, email="grace@example.com",
                         lucky_numbers=[7], extension=4321, score=1.5)
    grace.phones.add(number="+1 202 555 0143", type=2)
    linus = person_class(name="Ľudovít Štúr ✓", id=42, labels={"k": "xs", "hi": "image.png"})
    return [ada, grace, linus]


def main() -> None:
    person_class, book_class = load_types()
    ada, grace, linus = people(person_class)
    raw = ada.SerializeToString()
    (HERE / "person.bin").write_bytes(raw)
    xxd = subprocess.run(["xxd"], input=raw, capture_output=True, check=False).stdout
    if not xxd:  # no xxd on this machine: write the same layout ourselves
        lines = []
        for offset in range(0, len(raw), 16):
            chunk = raw[offset : offset + 16]
            groups = " ".join(chunk[i : i + 2].hex() for i in range(0, len(chunk), 2))
            text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
            lines.append(f"{offset:08x}: {groups:<39}  {text}\n")
        xxd = "".join(lines).encode()
    (HERE / "person.hex").write_bytes(xxd)
    book = book_class(people=[ada, grace, linus])
    encoded = base64.b64encode(book.SerializeToString()).decode()
    (HERE / "addressbook.b64").write_text(encoded + "\n")
    plain = grace.SerializeToString()
    packed = gzip.compress(ada.SerializeToString(), mtime=0)
    grpc = (b"\x00" + len(plain).to_bytes(4, "big") + plain
            + b"\x01" + len(packed).to_bytes(4, "big") + packed)
    (HERE / "people.grpc").write_bytes(grpc)
    delimited = b"".join(_VarintBytes(len(m)) + m
                         for m in (p.SerializeToString() for p in (ada, grace, linus)))
    (HERE / "people.delimited").write_bytes(delimited)


if __name__ == "__main__":
    main()
