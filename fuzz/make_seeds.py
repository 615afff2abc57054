"""Build the seed corpora of the fuzz harnesses into fuzz/work/seeds/<harness>/.

Seeds come from samples/ and tests/corpora/, each prefixed with the control
byte(s) its harness reads first (see each harness's ``test_one_input``). Run from
anywhere: ``python fuzz/make_seeds.py``. fuzz/work/ is git-ignored.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import struct
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CORPORA = ROOT / "tests" / "corpora"
OUT = ROOT / "fuzz" / "work" / "seeds"
sys.path.insert(0, str(ROOT))
from wiretool.inputs import decode_input  # noqa: E402


def write(harness: str, seeds: Iterable[bytes]) -> int:
    folder = OUT / harness
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for seed in seeds:
        name = hashlib.sha1(seed).hexdigest()[:16]
        (folder / name).write_bytes(seed)
        count += 1
    return count


def protobuf_seeds() -> Iterator[bytes]:
    person = (SAMPLES / "person.bin").read_bytes()
    raws = [
        person,
        (SAMPLES / "people.grpc").read_bytes(),
        (SAMPLES / "people.delimited").read_bytes(),
        decode_input((SAMPLES / "person.hex").read_bytes()).data,
        base64.b64decode((SAMPLES / "addressbook.b64").read_text().strip()),
        b"\x01" + struct.pack(">I", len(gzip.compress(person))) + gzip.compress(person),
        bytes.fromhex("0b 08 96 01 0c 12 02 68 69"),  # a group, a string
        bytes.fromhex("08 ff ff ff ff ff ff ff ff ff 01"),  # 10-byte varint
        bytes.fromhex("0a 08 0a 06 0a 04 0a 02 08 01"),  # nested messages
    ]
    for raw in raws:
        for control in (0x00, 0x01, 0x02, 0x03, 0x60, 0x61, 0x62, 0xE3):
            yield bytes([control]) + raw


def h2_seeds() -> Iterator[bytes]:
    for path in sorted((SAMPLES / "h2").glob("*.bin")):
        for control in (0x00, 0x01, 0x83):
            yield bytes([control, 7]) + path.read_bytes()
    for path in sorted((CORPORA / "http2-frame-test-case").rglob("*.json")):
        wire = json.loads(path.read_text())["wire"]
        yield bytes([0x00, 3]) + bytes.fromhex(wire)


def hpack_seeds() -> Iterator[bytes]:
    for path in sorted((CORPORA / "hpack-test-case").rglob("story_*.json")):
        cases = json.loads(path.read_text())["cases"]
        for start in range(0, len(cases), 6):
            blocks = [bytes.fromhex(c["wire"]) for c in cases[start:start + 6]]
            yield b"\x00" + b"".join(struct.pack(">H", len(b)) + b for b in blocks)


def capture_seeds() -> Iterator[bytes]:
    sys.path.insert(0, str(ROOT))
    from tests.capture import writer as w

    for path in sorted((SAMPLES / "capture").glob("*.pcap*")):
        data = path.read_bytes()
        yield b"\x00" + data
        yield b"\x05" + data[:4000]
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    settings = bytes.fromhex("000000040000000000")
    conn = [
        w.tcp(40000, 80, 100, 0, w.SYN),
        w.tcp(80, 40000, 900, 101, w.SYN | w.ACK),
        w.tcp(40000, 80, 101, 901, w.ACK, preface),
        w.tcp(80, 40000, 901, 125, w.ACK, settings),
        w.tcp(40000, 80, 125 + 5000, 910, w.ACK, b"jump"),
        w.tcp(40000, 80, 125, 910, w.FIN | w.ACK),
    ]
    ip = [w.ipv4("10.0.0.1", "10.0.0.2", seg) if i % 2 == 0 else
          w.ipv4("10.0.0.2", "10.0.0.1", seg) for i, seg in enumerate(conn)]
    yield b"\x01" + w.pcap([(i, w.ethernet(p)) for i, p in enumerate(ip)])
    yield b"\x02" + w.pcap([(i, p) for i, p in enumerate(ip)], linktype=101)
    yield b"\x03" + w.pcapng_shb() + w.pcapng_idb(1) + b"".join(
        w.pcapng_epb(0, i, w.ethernet(p)) for i, p in enumerate(ip))
    # every tunnel wiretool follows, around the first packets of the demo capture
    from tests.capture import cases

    demo = cases.read_pcap(cases.DEMO)[:6]
    for name, wrap in cases.TUNNELS.items():
        capture = w.pcap([(t, wrap(frame, n)) for n, (t, frame) in enumerate(demo)])
        yield bytes([len(name) % 5]) + capture[:4000]
    for name in cases.NUMBERING:
        yield b"\x02" + cases.numbering_capture(name)
    for name in cases.REAL:
        yield b"\x04" + (cases.DATA / name).read_bytes()[:4000]
    small = w.pcap([(i, w.ethernet(p)) for i, p in enumerate(ip)])
    yield b"\x01" + gzip.compress(small, mtime=0)  # read as gzip
    yield b"\x0b" + small  # control bits 3-4 = 1: gzipped by the harness
    yield b"\x12" + small  # 2: xz
    packed = gzip.compress(small, mtime=0)
    yield b"\x00" + packed[:len(packed) // 2]  # truncated gzip


def schema_seeds() -> Iterator[bytes]:
    """fuzz_schema.py: path, options, type, schema source (255: descriptor sets), bytes."""
    person = (SAMPLES / "person.bin").read_bytes()
    book = base64.b64decode((SAMPLES / "addressbook.b64").read_text().strip())
    node = bytes.fromhex(
        "09 000000000000f03f 15 0000c03f 18 ff01 20 02 28 7f 31 0100000000000000 3d 02000000"
        " 40 01 4a 02 6869 53 08 05 54 5a 02 2801 62 03 010203 68 03 70 02 7d feffffff"
        " 81 01 feffffffffffffff 88 01 03 90 01 04 aa 01 08 000000000000f03f ca 01 02 7f01"
        " e2 03 07 0a 01 6b 12 02 2801 b2 04 02 6869 8a 05 0f 0a 01 61 12 0a 11 000000000000f03f")
    request = bytes.fromhex("0a 03 616461 12 04 08 01 10 02 1a 02 0102 22 01 ff")
    reply = bytes.fromhex("0a 02 6f6b 10 2a 19 000000000000f83f")
    for path in range(4):  # decode: auto, --grpc, --delimited, --no-grpc
        for options, type_index, raw in ((0x80, 0, person), (0x81, 1, book), (0x82, 7, node),
                                         (0x80, 3, request), (0x84, 0, person)):
            framed = {1: (SAMPLES / "people.grpc").read_bytes(),
                      2: (SAMPLES / "people.delimited").read_bytes()}.get(path, raw)
            yield bytes([path, options, type_index, 255]) + framed
    for path in (4, 5):  # compare-json, binary input, with and without a schema
        for options, type_index, raw in ((0, 0, person), (1, 7, node), (0, 1, book)):
            yield bytes([path, options, type_index, 255]) + raw
    for path in (6, 7):  # h2-frames --proto: a capture, a one-direction dump
        for options, raw in ((0x00, request + reply), (0x31, node + node), (0x02, request)):
            cut = len(raw) // 2 if raw.startswith(node) else len(request)
            yield bytes([path, options, 0, 255]) + cut.to_bytes(2, "big") + raw


def json_seeds() -> Iterator[bytes]:
    """fuzz_json.py: raw-text inputs (options bit 7) from the JSON test data, and choices."""
    texts = [p.read_bytes() for p in sorted((ROOT / "tests" / "compare" / "data").iterdir())]
    texts += [b'{"name": "Ada", "id": 7, "phones": [{"number": "1", "type": "WORK"}],'
              b' "weights": [1.5, "NaN"], "labels": {"k": "v"}, "createdMs": "-1"}',
              b'{"fDouble": "Infinity", "grp": {"a": 1}, "fMessage": {"fMessage": {}},'
              b' "pInt32": [1, -1], "mNodes": {"k": {}}, "struct": {"a": [1, {"b": null}]},'
              b' "time": "1970-01-01T00:00:00Z", "any": {"@type": "type.googleapis.com/'
              b'wiretool.demo.Point", "x": 1}}',
              b"[" * 150 + b"]" * 150, b'{"a": 1, "a": 2}', b'{"w": "\ud800"}']
    for text in texts:
        for options, type_index in ((0x80, 0), (0x81, 0), (0x81, 4), (0x84, 0), (0x91, 4)):
            yield bytes([options, type_index]) + text
    for seed in range(40):  # structured: the choices themselves
        yield hashlib.sha256(str(seed).encode()).digest() * 4


def main() -> None:
    for harness, seeds in (("protobuf", protobuf_seeds()), ("h2frames", h2_seeds()),
                           ("hpack", hpack_seeds()), ("capture", capture_seeds()),
                           ("schema", schema_seeds()), ("json", json_seeds())):
        print(f"{harness}: {write(harness, seeds)} seeds in {OUT / harness}")


if __name__ == "__main__":
    main()
