"""Regenerate tests/protobuf/data/runtime/cases.json: what protoc and the protobuf runtime
print for the bundled samples, the oracle of ``decode --format textproto|proto-json``.

    python scripts/make_runtime_expectations.py   # needs protoc (Debian: protobuf-compiler)

For every case (a schema, a message type, an input) it records, per message:

* ``textproto``: ``protoc --decode=TYPE`` run on that message alone (system protoc,
  the C++ runtime: an implementation independent of the Python printer wiretool uses);
* ``proto_json``: the stock ``json_format.MessageToJson`` of the Python runtime with the
  schema's descriptor pool (the canonical proto3 JSON mapping), parsed back to a value so
  the tests compare values, not spacing;

and, for inputs protoc rejects, ``protoc_fails: true``. Streams are split here with a few
lines of code that do not use wiretool's framing. The tests read only the JSON file.
"""

from __future__ import annotations

import gzip
import json
import math
import struct
import subprocess
import sys
from pathlib import Path

from google.protobuf import json_format, message_factory

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wiretool.protobuf.schema import load_schema  # noqa: E402 - after the path is set

DATA = ROOT / "tests" / "protobuf" / "data" / "runtime"
HOSTILE = ROOT / "tests" / "hostile" / "data"
WELL_KNOWN = "/usr/include"


def grpc_messages(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        flag, size = data[pos], int.from_bytes(data[pos + 1 : pos + 5], "big")
        body = data[pos + 5 : pos + 5 + size]
        out.append(gzip.decompress(body) if flag else body)
        pos += 5 + size
    return out


def delimited_messages(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        size = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                break
        out.append(data[pos : pos + size])
        pos += size
    return out


def hostile_messages(pool: object) -> dict[str, bytes]:
    """proto2 Node messages of every shape: WKTs, maps, groups, NaN, unknown fields."""
    descriptor = pool.FindMessageTypeByName("hostile.Node")  # type: ignore[attr-defined]
    node_class = message_factory.GetMessageClass(descriptor)
    node = node_class()
    node.f_double = math.nan
    node.f_float = math.inf
    node.f_int64 = -(2**63)
    node.f_uint64 = 2**64 - 1
    node.f_int32 = -7
    node.f_fixed64 = 2**64 - 1
    node.f_bool = True
    node.f_string = "tab\there \x1b[31mred\x1b[0m \u202eevil\u202c \u00e9\u4e2d"
    node.grp.a = 5
    node.grp.node.f_int32 = 6
    node.f_message.f_sint64 = -3
    node.f_bytes = b"\x00\xff\x1b"
    node.f_enum = 2
    node.f_sfixed32 = -1
    node.p_double.extend([0.1, -0.0, -math.inf])
    node.p_float.extend([1.5, 3.4028234663852886e38])
    node.p_enum.extend([0, 1, 2])
    node.r_string.extend(["a", "\u200bzero width"])
    node.m_nodes["k"].f_int32 = 1
    node.m_names[-1] = "minus one"
    node.m_colors[True] = 1
    node.m_blobs[2**64 - 1] = b"\x01\x02"
    node.o_number = 2**53 + 1
    node.struct.update({"a": 1.5, "b": [True, None, "x"], "c": {"d": "e"}})
    node.value.string_value = "v"
    node.list.values.add().number_value = 2
    node.time.seconds = 1732579200
    node.time.nanos = 123000000
    node.duration.seconds = -5
    node.duration.nanos = -500000000
    node.mask.paths.extend(["f_int32", "grp.a"])
    node.wrapped_int64.value = 9007199254740993
    node.wrapped_bytes.value = b"hi"
    node.wrapped_double.value = math.nan
    inner = node_class()
    inner.f_string = "inside an Any"
    inner.duration.seconds = 1
    node.any.Pack(inner)
    everything = node.SerializeToString()

    packed_duration = node_class()
    from google.protobuf import duration_pb2

    packed_duration.any.Pack(duration_pb2.Duration(seconds=3, nanos=1))
    unknown_any = node_class()
    unknown_any.any.type_url = "type.googleapis.com/not.in.Schema"
    unknown_any.any.value = b"\x08\x01"
    unknown_fields = (
        b"\x28\x05"                      # f_int32 = 5
        b"\xa8\x06\x96\x01"              # 101: varint 150 (unknown)
        b"\xb5\x06\x01\x02\x03\x04"      # 102: fixed32 (unknown)
        b"\xb9\x06" + struct.pack("<d", 1.5) +  # 103: fixed64 (unknown)
        b"\xc2\x06\x04\x08\x01\x10\x02"  # 104: a message {1: 1, 2: 2} (unknown)
        b"\xc2\x06\x02\x1b\x5b"          # 104: a string with an escape (unknown)
        b"\xcb\x06\x08\x07\xcc\x06"      # 105: a group {1: 7} (unknown)
        b"\x48\x01"                      # f_string as a varint: wrong wire type (unknown)
        b"\x70\x07"                      # f_enum = 7: not a Color (closed enum: unknown)
        b"\x5a\x05\xa8\x06\x01\x28\x02"  # f_message {101: 1, f_int32: 2}
    )
    return {
        "everything": everything,
        "any-duration": packed_duration.SerializeToString(),
        "any-not-in-schema": unknown_any.SerializeToString(),
        "unknown-fields": unknown_fields,
        "empty": b"",
    }


def cases() -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    person = {"protos": ["samples/person.proto"], "type": "wiretool.samples.Person"}
    found.append({**person, "name": "person", "input": "samples/person.bin",
                  "messages": [(ROOT / "samples/person.bin").read_bytes()]})
    found.append({**person, "name": "people-grpc", "input": "samples/people.grpc",
                  "messages": grpc_messages((ROOT / "samples/people.grpc").read_bytes())})
    found.append({**person, "name": "people-delimited", "input": "samples/people.delimited",
                  "messages": delimited_messages(
                      (ROOT / "samples/people.delimited").read_bytes())})
    sent = json.loads((ROOT / "samples/grpc/demo.sent.json").read_text())
    demo = ["samples/grpc/demo.proto", "tests/protobuf/data/runtime/google/rpc/status.proto"]
    for index, item in enumerate(sent["messages"]):
        if "hex" not in item or len(item["hex"]) > 400:
            continue
        found.append({"protos": demo, "type": item["type"], "name": f"demo-{index}",
                      "hex": item["hex"], "messages": [bytes.fromhex(item["hex"])]})
    hostile_schema = load_schema([HOSTILE / "hostile.proto"], [], [])
    for name, data in hostile_messages(hostile_schema.pool).items():
        found.append({"protos": ["tests/hostile/data/hostile.proto"], "type": "hostile.Node",
                      "name": f"hostile-{name}", "hex": data.hex(), "messages": [data]})
    return found


def protoc_decode(protos: list[str], type_name: str, data: bytes) -> str | None:
    includes = sorted({str(Path(p).parent) for p in protos})
    if any(p.startswith("tests/protobuf/data/runtime/google") for p in protos):
        includes = [i for i in includes if "google" not in i] + ["tests/protobuf/data/runtime"]
    files = [p if not p.startswith("tests/protobuf/data/runtime/") else
             p.removeprefix("tests/protobuf/data/runtime/") for p in protos]
    args = ["protoc", f"--decode={type_name}", *(f"-I{i}" for i in includes),
            f"-I{WELL_KNOWN}", *files]
    done = subprocess.run(args, input=data, capture_output=True, cwd=ROOT, check=False)
    return done.stdout.decode("ascii") if done.returncode == 0 else None


def main() -> None:
    results = []
    for case in cases():
        protos = [str(p) for p in case["protos"]]  # type: ignore[attr-defined]
        schema = load_schema([ROOT / p for p in protos], [], [])
        descriptor = schema.resolve_type(str(case["type"]))
        message_class = message_factory.GetMessageClass(descriptor)
        expected = []
        for data in case["messages"]:  # type: ignore[attr-defined]
            message = message_class()
            message.ParseFromString(data)
            try:
                as_json: object = json.loads(json_format.MessageToJson(
                    message, descriptor_pool=schema.pool, ensure_ascii=False))
            except (TypeError, json_format.SerializeToJsonError):
                as_json = None  # proto3 JSON cannot hold it (an Any not in the schema)
            expected.append({"textproto": protoc_decode(protos, str(case["type"]), data),
                             "proto_json": as_json})
        entry = {key: case[key] for key in ("name", "protos", "type") if key in case}
        entry.update({key: case[key] for key in ("input", "hex") if key in case})
        entry["expected"] = expected
        results.append(entry)
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "cases.json").write_text(json.dumps(results, indent=1, ensure_ascii=True) + "\n")
    print(f"{len(results)} cases written to {DATA / 'cases.json'}")


if __name__ == "__main__":
    main()
