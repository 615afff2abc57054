"""Make samples/grpc/demo.pcap: a real grpcio client and server on loopback, captured
with tcpdump, and demo.sent.json: every message the client and server sent.

Run as root (tcpdump on lo), from the repository root, with grpcio and grpcio-tools:

    python samples/grpc/make_capture.py            # writes samples/grpc/demo.pcap + .sent.json
    python samples/grpc/tshark_expect.py samples/grpc/demo.pcap > samples/grpc/demo.tshark.json

A grpcio connection on an unusual port (47113, so nothing port-based helps) with
the calls of demo.proto: Unary (client metadata, server initial and trailing
metadata), ServerStream (3 replies), ClientStream (3 requests), Bidi (3 + 3),
ClientStream's last request holds 20,000 random bytes (a message over 16 KiB),
Unary with gzip in both directions and a 20 KB compressible blob (grpc-core
sends a message uncompressed when gzip would not make it smaller), and Fail: INVALID_ARGUMENT with a
percent-encoded grpc-message and grpc-status-details-bin (a google.rpc.Status
whose details hold a wiretool.demo.ErrorDetail).

A second connection is python-hyper h2 calling ClientStream on the same server
with the messages cut across DATA frames at awkward places (see h2_client_stream),
and a third is plain HTTP/1.1 (not HTTP/2: listed in the summary and skipped).

The JSON records each message as the peer serialized it (hex of the protobuf
bytes, before any compression), in order per call and direction, with the
metadata and status sent, so the tests can check the decoded capture against it.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
from grpc_tools import protoc

HERE = Path(__file__).resolve().parent
PORT = 47113
sys.path.insert(0, str(HERE.parents[1]))
from wiretool.grpc.status import rpc_status_descriptor  # noqa: E402

sent: list[dict[str, Any]] = []


def record(call: str, direction: str, message: Any) -> None:
    """Keep the bytes as hex; for large messages their length and SHA-256 only."""
    data = message.SerializeToString()
    entry = {"call": call, "direction": direction, "type": message.DESCRIPTOR.full_name,
             "length": len(data)}
    if len(data) <= 4096:
        entry["hex"] = data.hex()
    else:
        entry["sha256"] = hashlib.sha256(data).hexdigest()
    sent.append(entry)


def build_stubs() -> tuple[Any, Any]:
    out = tempfile.mkdtemp()
    code = protoc.main(["protoc", f"-I{HERE}", f"--python_out={out}",
                        f"--grpc_python_out={out}", str(HERE / "demo.proto")])
    assert code == 0
    sys.path.insert(0, out)
    return importlib.import_module("demo_pb2"), importlib.import_module("demo_pb2_grpc")


def h2_client_stream(pb: Any) -> None:
    """Connection 2: python-hyper h2 as the client of the same grpcio server, calling
    ClientStream with content-type application/grpc+proto and its three messages cut
    into DATA frames at awkward places: inside a 5-byte prefix, between prefix and
    body, in the middle of a body. grpcio itself sends one DATA frame per message
    (it announces a 4 MiB SETTINGS_MAX_FRAME_SIZE), so a second real peer shows the
    splitting a gRPC reader must handle."""
    import socket

    import h2.config
    import h2.connection
    import h2.events

    requests = [pb.Request(name="h2-" + "x" * n, tags=[n]) for n in (3, 40, 7)]
    for r in requests:
        record("H2ClientStream", "client", r)
    body = b"".join(b"\x00" + len(m).to_bytes(4, "big") + m
                    for m in (r.SerializeToString() for r in requests))
    cuts = [2, 5, 20, len(body) - 6, len(body)]  # DATA frame boundaries
    sock = socket.create_connection(("127.0.0.1", PORT))
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    conn.send_headers(1, [(":method", "POST"), (":scheme", "http"),
                          (":path", "/wiretool.demo.Demo/ClientStream"),
                          (":authority", f"127.0.0.1:{PORT}"),
                          ("content-type", "application/grpc+proto"), ("te", "trailers"),
                          ("user-agent", "python-h2")])
    start = 0
    for cut in cuts:
        conn.send_data(1, body[start:cut])
        start = cut
    conn.end_stream(1)
    sock.sendall(conn.data_to_send())
    done = False
    while not done:
        data = sock.recv(65536)
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.StreamEnded):
                done = True
        sock.sendall(conn.data_to_send())
    conn.close_connection()
    sock.sendall(conn.data_to_send())
    sock.close()


def http1_request() -> None:
    """Connection 3: plain HTTP/1.1 to the same port; not HTTP/2, listed and skipped."""
    import socket

    with socket.create_connection(("127.0.0.1", PORT)) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        sock.settimeout(1.0)
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass


def main() -> None:
    pb, pb_grpc = build_stubs()
    from google.protobuf import message_factory

    status_class = message_factory.GetMessageClass(rpc_status_descriptor())

    class Demo(pb_grpc.DemoServicer):  # type: ignore[misc,name-defined]
        def Unary(self, request: Any, context: Any) -> Any:
            if request.blob:
                context.set_compression(grpc.Compression.Gzip)  # before the headers go out
            context.send_initial_metadata((("x-server", "demo"),))
            if request.blob:
                reply = pb.Reply(message="big " + "z" * 3000, id=len(request.blob), score=0.5)
            else:
                reply = pb.Reply(message=f"hello {request.name}", id=1, score=2.5)
            context.set_trailing_metadata((("x-elapsed", "3ms"),
                                           ("x-trace-bin", b"\x00\x01\xfe\xff")))
            record("Unary" if not request.blob else "UnaryGzip", "server", reply)
            return reply

        def ServerStream(self, request: Any, context: Any) -> Any:
            for i in range(3):
                reply = pb.Reply(message=f"{request.name} #{i}", id=100 + i, score=i / 4)
                record("ServerStream", "server", reply)
                yield reply

        def ClientStream(self, requests: Any, context: Any) -> Any:
            names = [r.name for r in requests]
            reply = pb.Reply(message=",".join(names), id=len(names))
            record("ClientStream", "server", reply)
            return reply

        def Bidi(self, requests: Any, context: Any) -> Any:
            for request in requests:
                reply = pb.Reply(message=f"echo {request.name}", id=request.point.x)
                record("Bidi", "server", reply)
                yield reply

        def Fail(self, request: Any, context: Any) -> Any:
            detail = pb.ErrorDetail(field="name", reason="must not be empty")
            status = status_class(code=3, message="name must not be empty")
            packed = status.details.add()
            packed.type_url = "type.googleapis.com/wiretool.demo.ErrorDetail"
            packed.value = detail.SerializeToString()
            sent.append({"call": "Fail", "direction": "server", "type": "google.rpc.Status",
                         "hex": status.SerializeToString().hex(), "trailer": True})
            context.set_trailing_metadata(
                (("grpc-status-details-bin", status.SerializeToString()),))
            context.set_code(grpc.StatusCode.INVALID_ARGUMENT)
            context.set_details("name must not be empty: 100% wrong ✗")
            return pb.Reply()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb_grpc.add_DemoServicer_to_server(Demo(), server)
    server.add_insecure_port(f"127.0.0.1:{PORT}")
    server.start()

    out = HERE / "demo.pcap"
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-s", "0", "-U", "-w", str(out),
                             f"tcp port {PORT}"], stderr=subprocess.PIPE)
    assert dump.stderr is not None
    dump.stderr.readline()  # "listening on lo, ...": the capture is running
    time.sleep(0.5)

    with grpc.insecure_channel(f"127.0.0.1:{PORT}") as channel:
        stub = pb_grpc.DemoStub(channel)
        request = pb.Request(name="ada", point=pb.Point(x=3, y=-4), tags=[1, 2, 300])
        record("Unary", "client", request)
        stub.Unary(request, metadata=(("x-request-id", "r-1"), ("x-token-bin", b"\x01\x02")))

        request = pb.Request(name="stream", tags=[7])
        record("ServerStream", "client", request)
        list(stub.ServerStream(request))

        requests = [pb.Request(name=n) for n in ("a", "b")]
        # Over 16 KiB and incompressible: many TCP segments, one DATA frame.
        requests.append(pb.Request(name="c", blob=random.Random(5).randbytes(20_000)))
        for r in requests:
            record("ClientStream", "client", r)
        stub.ClientStream(iter(requests))

        requests = [pb.Request(name=f"b{i}", point=pb.Point(x=i)) for i in range(3)]
        for r in requests:
            record("Bidi", "client", r)
        list(stub.Bidi(iter(requests)))

        text = "".join(f"line {i}: the quick brown fox\n" for i in range(700)).encode()
        request = pb.Request(name="big", blob=text)
        record("UnaryGzip", "client", request)
        stub.Unary(request, compression=grpc.Compression.Gzip)

        request = pb.Request(name="")
        record("Fail", "client", request)
        try:
            stub.Fail(request)
        except grpc.RpcError as error:
            print("Fail ->", error.code(), error.details())
    h2_client_stream(pb)
    http1_request()
    time.sleep(0.5)
    dump.send_signal(signal.SIGINT)
    dump.wait()
    server.stop(0)
    (HERE / "demo.sent.json").write_text(json.dumps(
        {"port": PORT, "calls": ["Unary", "ServerStream", "ClientStream", "Bidi",
                                 "UnaryGzip", "Fail"], "messages": sent}, indent=1) + "\n")
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
