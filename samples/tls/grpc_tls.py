"""The gRPC-over-TLS sample: a grpclib client and server, both logging their TLS keys.

Run by ``make_captures.py grpc-tls`` (under tcpdump) with a Python that has grpclib,
protobuf and grpcio-tools (a throwaway venv; wiretool does not depend on them)::

    python samples/tls/grpc_tls.py PORT CERT KEY KEYLOG SENT_JSON

The service is samples/grpc/demo.proto. One connection (ALPN h2, TLS 1.3) carries:
Unary with metadata; ServerStream (3 replies); ClientStream whose last request holds
25,000 random bytes (a message over 20 KB: several DATA frames and TLS records); Bidi
(3 + 3); Fail, answered with INVALID_ARGUMENT and a percent-encoded grpc-message.
SENT_JSON records every message each side serialized (hex, or length and SHA-256 when
longer than 4 KB), in order per call and direction, as samples/grpc/demo.sent.json does.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
import os
import random
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from grpclib.client import Channel
from grpclib.const import Status
from grpclib.exceptions import GRPCError
from grpclib.server import Server

HERE = Path(__file__).resolve().parent
PROTO_DIR = HERE.parent / "grpc"
sent: list[dict[str, Any]] = []


def record(call: str, direction: str, message: Any) -> None:
    data = message.SerializeToString()
    entry: dict[str, Any] = {"call": call, "direction": direction,
                             "type": message.DESCRIPTOR.full_name, "length": len(data)}
    if len(data) <= 4096:
        entry["hex"] = data.hex()
    else:
        entry["sha256"] = hashlib.sha256(data).hexdigest()
    sent.append(entry)


def build_stubs() -> tuple[Any, Any]:
    out = tempfile.mkdtemp()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTO_DIR}",
                    f"--python_out={out}", f"--grpclib_python_out={out}",
                    str(PROTO_DIR / "demo.proto")], check=True, env=env)
    sys.path.insert(0, out)
    return importlib.import_module("demo_pb2"), importlib.import_module("demo_grpc")


async def main() -> None:
    port = int(sys.argv[1])
    cert, key, keylog, sent_path = sys.argv[2], sys.argv[3], sys.argv[4], Path(sys.argv[5])
    pb, pb_grpc = build_stubs()

    class Demo(pb_grpc.DemoBase):  # type: ignore[misc,name-defined]
        async def Unary(self, stream: Any) -> None:
            request = await stream.recv_message()
            reply = pb.Reply(message=f"hello {request.name}", id=1, score=2.5)
            record("Unary", "server", reply)
            await stream.send_initial_metadata(metadata={"x-server": "grpclib-tls"})
            await stream.send_message(reply)
            await stream.send_trailing_metadata(metadata={"x-elapsed": "2ms"})

        async def ServerStream(self, stream: Any) -> None:
            request = await stream.recv_message()
            for i in range(3):
                reply = pb.Reply(message=f"{request.name} #{i}", id=100 + i, score=i / 4)
                record("ServerStream", "server", reply)
                await stream.send_message(reply)

        async def ClientStream(self, stream: Any) -> None:
            names = [request.name async for request in stream]
            reply = pb.Reply(message=",".join(names), id=len(names))
            record("ClientStream", "server", reply)
            await stream.send_message(reply)

        async def Bidi(self, stream: Any) -> None:
            async for request in stream:
                reply = pb.Reply(message=f"echo {request.name}", id=request.point.x)
                record("Bidi", "server", reply)
                await stream.send_message(reply)

        async def Fail(self, stream: Any) -> None:
            await stream.recv_message()
            raise GRPCError(Status.INVALID_ARGUMENT, "name must not be empty: 100% wrong ✗")

    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server_context.set_alpn_protocols(["h2"])
    server = Server([Demo()])
    await server.start("127.0.0.1", port, ssl=server_context)

    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.check_hostname = False
    client_context.verify_mode = ssl.CERT_NONE
    client_context.set_alpn_protocols(["h2"])
    client_context.keylog_filename = keylog  # Python's ssl writes the NSS key log
    channel = Channel("127.0.0.1", port, ssl=client_context)
    stub = pb_grpc.DemoStub(channel)

    request = pb.Request(name="ada", point=pb.Point(x=3, y=-4), tags=[1, 2, 300])
    record("Unary", "client", request)
    await stub.Unary(request, metadata={"x-request-id": "r-1"})

    request = pb.Request(name="stream", tags=[7])
    record("ServerStream", "client", request)
    await stub.ServerStream(request)

    requests = [pb.Request(name=n) for n in ("a", "b")]
    requests.append(pb.Request(name="c", blob=random.Random(5).randbytes(25_000)))
    async with stub.ClientStream.open() as call:
        for r in requests:
            record("ClientStream", "client", r)
            await call.send_message(r)
        await call.end()
        await call.recv_message()

    requests = [pb.Request(name=f"b{i}", point=pb.Point(x=i)) for i in range(3)]
    async with stub.Bidi.open() as call:
        for r in requests:
            record("Bidi", "client", r)
            await call.send_message(r)
            await call.recv_message()
        await call.end()

    request = pb.Request(name="")
    record("Fail", "client", request)
    try:
        await stub.Fail(request)
    except GRPCError as error:
        print("Fail ->", error.status, error.message)

    channel.close()
    server.close()
    await server.wait_closed()
    sent_path.write_text(json.dumps(
        {"port": port, "calls": ["Unary", "ServerStream", "ClientStream", "Bidi", "Fail"],
         "messages": sent}, indent=1) + "\n")


if __name__ == "__main__":
    asyncio.run(main())
