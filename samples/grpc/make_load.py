"""Make samples/grpc/load.pcap: a few hundred real gRPC calls over three connections,
some failing, captured on loopback with tcpdump (the bigger capture of the terminal
goldens: summary per connection and per method, a sampled waterfall).

Run as root (tcpdump on lo), from the repository root, with grpcio and grpcio-tools:

    python samples/grpc/make_load.py               # writes samples/grpc/load.pcap

A grpcio server on port 47114 (nothing port-based helps) answers demo.proto's
calls with a random delay of 0-8 ms; three channels (so three TCP connections, the
grpcio ``grpc.use_local_subchannel_pool`` option keeps them apart) call it 240 times
in all from a thread pool, so streams overlap: Unary (some DEADLINE_EXCEEDED with a
2 ms deadline), ServerStream (2 replies), ClientStream (2 requests), and Fail, which
answers NOT_FOUND ("no such user: bob") or UNAVAILABLE ("backend overloaded, retry
in 30 s") with a grpc-message. The delays and interleavings differ on each run, so
the goldens made from the capture are regenerated with it (tests/golden/h2/screens).
"""

from __future__ import annotations

import importlib
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
PORT = 47114
CALLS = 240
CHANNELS = 3


def build_stubs() -> tuple[Any, Any]:
    out = tempfile.mkdtemp()
    code = protoc.main(["protoc", f"-I{HERE}", f"--python_out={out}",
                        f"--grpc_python_out={out}", str(HERE / "demo.proto")])
    assert code == 0
    sys.path.insert(0, out)
    return importlib.import_module("demo_pb2"), importlib.import_module("demo_pb2_grpc")


def main() -> None:
    pb, pb_grpc = build_stubs()
    delays = random.Random(11)

    class Demo(pb_grpc.DemoServicer):  # type: ignore[misc, name-defined]
        def Unary(self, request: Any, context: Any) -> Any:
            time.sleep(delays.random() * 0.008)
            return pb.Reply(message=f"hello {request.name}", id=len(request.name))

        def ServerStream(self, request: Any, context: Any) -> Any:
            for i in range(2):
                time.sleep(delays.random() * 0.004)
                yield pb.Reply(message=f"{request.name} #{i}", id=i)

        def ClientStream(self, requests: Any, context: Any) -> Any:
            names = [r.name for r in requests]
            return pb.Reply(message=",".join(names), id=len(names))

        def Fail(self, request: Any, context: Any) -> Any:
            time.sleep(delays.random() * 0.004)
            if request.name == "bob":
                context.set_code(grpc.StatusCode.NOT_FOUND)
                context.set_details("no such user: bob")
            else:
                context.set_code(grpc.StatusCode.UNAVAILABLE)
                context.set_details("backend overloaded, retry in 30 s")
            return pb.Reply()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    pb_grpc.add_DemoServicer_to_server(Demo(), server)
    server.add_insecure_port(f"127.0.0.1:{PORT}")
    server.start()

    out = HERE / "load.pcap"
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-s", "0", "-U", "-w", str(out),
                             f"tcp port {PORT}"], stderr=subprocess.PIPE)
    assert dump.stderr is not None
    dump.stderr.readline()  # "listening on lo, ...": the capture is running
    time.sleep(0.5)

    channels = [grpc.insecure_channel(f"127.0.0.1:{PORT}",
                                      options=[("grpc.use_local_subchannel_pool", 1)])
                for _ in range(CHANNELS)]
    stubs = [pb_grpc.DemoStub(channel) for channel in channels]
    choices = random.Random(7)

    def call(number: int) -> str:
        stub = stubs[number % CHANNELS]
        kind = choices.choice(["Unary"] * 5 + ["ServerStream"] * 2 + ["ClientStream", "Fail"])
        try:
            if kind == "Unary":
                stub.Unary(pb.Request(name=f"user{number}"),
                           timeout=0.002 if number % 17 == 0 else 5)
            elif kind == "ServerStream":
                list(stub.ServerStream(pb.Request(name=f"s{number}")))
            elif kind == "ClientStream":
                stub.ClientStream(iter([pb.Request(name="a"), pb.Request(name=f"c{number}")]))
            else:
                stub.Fail(pb.Request(name="bob" if number % 2 else "eve"))
        except grpc.RpcError as error:
            return f"{kind} {error.code().name}"
        return f"{kind} OK"

    with futures.ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(call, range(CALLS)))
    for channel in channels:
        channel.close()
    time.sleep(0.5)
    dump.send_signal(signal.SIGINT)
    dump.wait()
    server.stop(0)
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome] = counts.get(outcome, 0) + 1
    print(f"wrote {out} ({out.stat().st_size} bytes): {dict(sorted(counts.items()))}")


if __name__ == "__main__":
    main()
