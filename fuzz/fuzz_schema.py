#!/usr/bin/env python3
"""Coverage-guided fuzzing of every path that reads protobuf bytes with a schema, through
the real commands (issue 19): ``decode --proto/--descriptor-set -t TYPE`` with every
framing (auto, ``--grpc``, ``--delimited``, ``--no-grpc``), depth and output format;
``compare-json`` on binary input with and without a schema; ``h2-frames --proto`` on a
pcap capture and on a one-direction dump, whose gRPC messages (the fuzzed bytes, one
request and one reply) are decoded with the method's types.

Schemas: ``samples/person.desc`` (a descriptor set) with either ``samples/grpc/demo.proto``
and ``tests/hostile/data/hostile.proto`` compiled at run time (``--proto``) or the same
two compiled into a descriptor set when the harness starts; types from all three,
well-known types included (``hostile.Node`` has every scalar type, groups, maps,
recursion).

Input: choices first (see :class:`contract.Draw`: the path, the output format, the
type or gRPC method, options), then the protobuf bytes. Contract (``run_cli``): never
a traceback, exit 0 or 1, UTF-8 output free of control characters; JSON outputs
parse, and keep their documented invariants (a message's top-level fields and its
unparsed tail tile it; compare-json's per-field bytes add up to its totals).

    python fuzz/fuzz_schema.py fuzz/work/corpus/schema fuzz/corpus/schema \
        -max_total_time=1800 -rss_limit_mb=2048 -timeout=20 -max_len=8192
"""

from __future__ import annotations

import atexit
import json
import shutil
import struct
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from contract import Draw, fuzz_main, instrumented, run_cli

with instrumented(__name__ == "__main__"):
    import wiretool.cli  # noqa: F401  (the commands, and every module they import)

from tests.capture import writer
from tests.grpc import h2build

ROOT = Path(__file__).resolve().parent.parent
PERSON_DESC = ROOT / "samples" / "person.desc"
DEMO_PROTO = ROOT / "samples" / "grpc" / "demo.proto"
HOSTILE_PROTO = ROOT / "tests" / "hostile" / "data" / "hostile.proto"


def _compile_descriptor_set() -> Path:
    """demo.proto and hostile.proto (with their imports) as one FileDescriptorSet."""
    import grpc_tools
    from grpc_tools import protoc

    folder = Path(tempfile.mkdtemp(prefix="wiretool-fuzz-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    out = folder / "schemas.desc"
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    code = protoc.main(["protoc", f"-I{DEMO_PROTO.parent}", f"-I{HOSTILE_PROTO.parent}",
                        f"-I{well_known}", "--include_imports", f"-o{out}",
                        DEMO_PROTO.name, HOSTILE_PROTO.name])
    assert code == 0, "protoc failed on the fuzzing schemas"
    return out


SCHEMAS_DESC = _compile_descriptor_set()
TYPES = (
    "wiretool.samples.Person", "wiretool.samples.AddressBook",
    "wiretool.samples.Person.PhoneNumber", "wiretool.demo.Request", "wiretool.demo.Reply",
    "wiretool.demo.Point", "wiretool.demo.ErrorDetail", "hostile.Node", "hostile.Node.Grp",
    "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.Any",
    "google.protobuf.Timestamp", "google.protobuf.FieldMask", "google.protobuf.Int64Value",
)
METHODS = (
    "/wiretool.demo.Demo/Unary", "/wiretool.demo.Demo/Bidi", "/wiretool.demo.Demo/Fail",
    "/hostile.Hostile/Echo", "/hostile.Hostile/Json", "/hostile.Hostile/Missing",
)
FRAMINGS = ((), ("--grpc",), ("--delimited",), ("--no-grpc",))
DEPTHS = ("100", "1", "3", "250")


def schema_args(draw: Draw) -> list[str]:
    if draw.chance(24):  # the .proto path: compiled at run time (slower)
        return ["--descriptor-set", str(PERSON_DESC), "--proto", str(DEMO_PROTO),
                "--proto", str(HOSTILE_PROTO)]
    return ["--descriptor-set", str(PERSON_DESC), "--descriptor-set", str(SCHEMAS_DESC)]


# -- checks of the JSON outputs ------------------------------------------------------------


def check_decode_document(doc: Any, size: int) -> None:
    assert isinstance(doc, dict) and isinstance(doc["messages"], list)
    for message in doc["messages"]:
        at = message["offset"]
        for field in message.get("fields", []):
            assert field["offset"] == at, f"field at {field['offset']}, expected {at}"
            assert field["length"] > 0
            at += field["length"]
        unparsed = message["unparsed"]
        if unparsed is not None:
            assert unparsed["offset"] == at
            at += unparsed["length"]
        assert at == message["offset"] + message["length"], "fields + unparsed != length"
    for diagnostic in doc["diagnostics"]:
        assert diagnostic["offset"] >= 0 and diagnostic["length"] >= 0


def check_comparison(c: Any) -> None:
    fields = c["fields"]
    assert sum(f["protobuf_bytes"] for f in fields) == c["protobuf"]["bytes"]
    assert sum(f["json_bytes"] for f in fields) + c["json_overhead_bytes"] == c["json"]["bytes"]


def check_compare_document(doc: Any) -> None:
    assert isinstance(doc, dict)
    for c in doc.get("inputs", [doc]):
        check_comparison(c)


# -- gRPC in HTTP/2, in a capture or a dump -------------------------------------------------


def grpc_messages(payload: bytes, compressed: bool) -> list[bytes]:
    """The fuzzed bytes as gRPC messages: the first two bytes say where the request ends."""
    if len(payload) < 2:
        return [payload]
    cut = struct.unpack(">H", payload[:2])[0] % (len(payload) - 1)
    return [h2build.grpc_message(part, compress=compressed)
            for part in (payload[2:2 + cut], payload[2 + cut:])]


def exchange(path: str, payload: bytes, compressed: bool) -> tuple[bytes, bytes]:
    """(client bytes, server bytes) of one gRPC call on stream 1 carrying ``payload``."""
    client, server = h2build.Peer(), h2build.Peer()
    request, *replies = grpc_messages(payload, compressed)
    fields = [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "x"),
              ("content-type", "application/grpc+proto"), ("te", "trailers")]
    if compressed:
        fields.append(("grpc-encoding", "gzip"))
    c = h2build.PREFACE + h2build.frame(h2build.SETTINGS, 0, 0, b"")
    c += client.headers(1, fields)
    c += h2build.frame(h2build.DATA, h2build.END_STREAM, 1, request)
    s = h2build.frame(h2build.SETTINGS, 0, 0, b"")
    response = [(":status", "200"), ("content-type", "application/grpc")]
    if compressed:
        response.append(("grpc-encoding", "gzip"))
    s += server.headers(1, response)
    for reply in replies:
        s += h2build.frame(h2build.DATA, 0, 1, reply)
    s += server.headers(1, [("grpc-status", "0")], end=True)
    return c, s


def capture(client: bytes, server: bytes) -> bytes:
    flow = writer.Flow()
    frames = flow.handshake()
    frames.append(flow.send("client", client))
    frames.append(flow.send("server", server))
    frames.append(flow.send("client", flags=writer.FIN | writer.ACK))
    frames.append(flow.send("server", flags=writer.FIN | writer.ACK))
    return writer.pcap(list(enumerate(frames)))


# -- the harness ------------------------------------------------------------------------------


def test_one_input(data: bytes) -> None:
    draw = Draw(data)
    path = draw.below(8)
    options = draw.byte()
    type_name = draw.pick(TYPES)
    schema = schema_args(draw)
    payload = draw.rest()
    input_format = ["-i", "raw"] if options & 0x80 else []
    if path < 4:  # decode
        fmt = ("json", "table", "hexdump")[options % 3]
        args = ["decode", *schema, "-t", type_name, *FRAMINGS[path], "-f", fmt,
                "--max-depth", DEPTHS[options >> 2 & 3], *input_format, "-"]
        # Detected as text that is almost hex or base64 (an odd number of hex digits,
        # a "key=" prefix...): exit 2 with a hint to read it with -i raw.
        run = run_cli(args, payload, json_output=fmt == "json",
                      codes=(0, 1) if input_format else (0, 1, 2))
        if run.code == 2:
            assert "--input-format raw" in run.stderr, run.stderr
            return
        if fmt == "json" and (options & 0x80 or not payload):
            check_decode_document(json.loads(run.stdout), len(payload))
    elif path < 6:  # compare-json on binary input, with and without a schema
        fmt = ("json", "table")[options & 1]
        with_schema = [*schema, "-t", type_name] if path == 4 else []
        args = ["compare-json", *with_schema, "-f", fmt, "-i", "raw",
                "--max-depth", DEPTHS[options >> 2 & 3], "-"]
        run = run_cli(args, payload, json_output=fmt == "json")
        if fmt == "json":
            check_compare_document(json.loads(run.stdout))
    else:  # h2-frames --proto: the gRPC messages of a call decoded with its types
        method = METHODS[options >> 4 & 7 if options >> 4 & 7 < len(METHODS) else 0]
        client, server = exchange(method, payload, compressed=bool(options & 2))
        fmt = ("jsonl", "table")[options & 1]
        if path == 6:
            args = ["h2-frames", *schema, "-f", fmt, "-"]
            run = run_cli(args, capture(client, server), json_output=fmt == "jsonl")
        else:
            args = ["h2-frames", *schema, "-f", fmt, "--direction",
                    "server" if options & 4 else "client", "-"]
            run = run_cli(args, server if options & 4 else client, json_output=fmt == "jsonl")
        if fmt == "jsonl":
            for line in run.stdout.splitlines():
                json.loads(line)


if __name__ == "__main__":
    fuzz_main(test_one_input)
