"""Make the captures of tests/capture/data/loopback: real peers on loopback, and real
captures cut with editcap/tshark, for the cases issue 16 names.

Run as root (tcpdump on lo) from the repository root, with the project's venv (grpcio,
h2) and Debian's nghttp2-server (nghttpd), curl, tcpdump, editcap and tshark:

    python tests/capture/data/loopback/make_captures.py
    python tests/capture/data/make_h2_expectations.py   # then the tshark expectations

Captured (each connection on its own unusual port, so nothing port-based helps):

* ``connect-h2c.pcap``: curl ``--proxytunnel --http2-prior-knowledge`` through the
  CONNECT proxy below to nghttpd ``--no-tls``: h2c inside an HTTP/1.1 CONNECT tunnel,
  twice (a 23-byte file, a 30,000-byte one); the proxy's own connections to nghttpd
  carry the same bytes without the tunnel;
* ``connect-grpc.pcap``: a grpcio client whose channel has ``grpc.http_proxy`` set
  (it tunnels with CONNECT, as grpc-node did in suricata-verify's http2-errorcode)
  calling a grpcio server: a unary call and a server-streaming call of 3 replies;
* ``connect-tls.pcap`` (+ ``connect-tls.keys``, curl's SSLKEYLOGFILE): curl ``--http2``
  to nghttpd over TLS through the proxy: TLS inside the tunnel;
* ``connect-declined.pcap``: the proxy answers 407 (curl gives up): no tunnel.

The proxy is ``Proxy`` below: asyncio on 127.0.0.1, it reads a request head, answers
``CONNECT host:port`` with ``HTTP/1.1 200 Connection established`` (407 for port
``DECLINED``) and then copies bytes both ways.

Cut from real captures (each step is the command run below):

* ``h2c-no-request.pcap``: samples/capture/nghttp2-h2c.pcap (curl's h2c upgrade)
  without the upgrade request (packet 17): the server's 101 comes before its SETTINGS,
  the client starts with the preface after a gap;
* ``h2c-no-101.pcap``: the same without the 101 response (packet 19);
* ``h2c-server-only.pcap``: that upgrade connection, the server's packets only: its
  101 then its SETTINGS, no client at all;
* ``grpc-server-side.pcapng``, ``grpc-client-side.pcapng``: packt's
  Server_Streaming.pcapng (grpc-go), one direction each (tshark -Y tcp.srcport);
* ``grpc-server-side-late.pcapng``: the server's side without its handshake and first
  SETTINGS (from its second data packet on): a run of frames, nothing else;
* ``client-streaming-lost-pings.pcapng``: packt's Client_Streaming.pcapng without the
  three 17-byte PING segments of the client (packets 21, 27, 33): the issue's lost
  segments, each followed by one complete DATA frame.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path

import grpc

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
SHARED = ROOT.parent / "shared" / "captures"
PROXY, H2C, GRPC, TLS, DECLINED = 31280, 31281, 31282, 31283, 31284


# -- the CONNECT proxy ---------------------------------------------------------------

class Proxy:
    """An HTTP/1.1 CONNECT proxy (RFC 9110 §9.3.6) on 127.0.0.1:``port``, in a thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> Proxy:
        self.thread.start()
        started = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self.handle, "127.0.0.1", self.port), self.loop)
        self.server = started.result(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        method, target, _version = head.split(b"\r\n", 1)[0].split(b" ", 2)
        host, _, port = target.decode().rpartition(":")
        if method != b"CONNECT" or int(port) == DECLINED:
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                         b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer),
                             return_exceptions=True)


SENTINEL = 31289
"""A connection made after the body: once tcpdump has written it, every packet before
it is in the file too (here tcpdump lost the last packets when stopped at once); its
packets are then taken out again."""


@contextmanager
def tcpdump(path: Path, ports: list[int]) -> Iterator[None]:
    """Capture on lo while the body runs, every packet of it."""
    expression = " or ".join(f"tcp port {port}" for port in [*ports, SENTINEL])
    raw = path.with_suffix(".raw")
    dump = subprocess.Popen(["tcpdump", "--immediate-mode", "-i", "lo", "-s", "0", "-U",
                             "-w", str(raw), expression], stderr=subprocess.PIPE, text=True)
    assert dump.stderr is not None
    while "listening on" not in dump.stderr.readline():
        pass
    time.sleep(2)
    try:
        yield
    finally:
        time.sleep(1)
        listener = socket.create_server(("127.0.0.1", SENTINEL))
        for _attempt in range(40):
            with socket.create_connection(("127.0.0.1", SENTINEL)) as probe:
                accepted, _address = listener.accept()
                probe.sendall(b"sentinel")
                accepted.recv(16)
                accepted.close()
            time.sleep(0.5)
            seen = subprocess.run(["tshark", "-r", str(raw), "-Y", f"tcp.port == {SENTINEL}"],
                                  capture_output=True, text=True).stdout
            if seen.strip():
                break
        listener.close()
        dump.send_signal(signal.SIGINT)
        dump.communicate(timeout=10)
    subprocess.run(["tshark", "-r", str(raw), "-F", "pcap", "-Y",
                    f"not tcp.port == {SENTINEL}", "-w", str(path)], check=True,
                   capture_output=True)
    raw.unlink()


@contextmanager
def process(*command: str) -> Iterator[subprocess.Popen[bytes]]:
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        yield child
    finally:
        child.terminate()
        child.wait(5)


def curl(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["curl", "-sS", "-o", "/dev/null", *args], check=False,
                   env={**os.environ, **(env or {})})


# -- gRPC without generated code: bytes in, bytes out ----------------------------------

UNARY, STREAM = "/wiretool.demo.Demo/Unary", "/wiretool.demo.Demo/ServerStream"
REQUEST = bytes.fromhex("0a03616461")  # wiretool.demo.Request {name: "ada"}


def _reply(text: str) -> bytes:
    body = text.encode()
    return b"\x0a" + bytes([len(body)]) + body  # wiretool.demo.Reply {message: text}


class _Handler(grpc.GenericRpcHandler):
    def service(self, details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        if details.method == UNARY:
            return grpc.unary_unary_rpc_method_handler(lambda request, context: _reply("hello"))
        if details.method == STREAM:
            return grpc.unary_stream_rpc_method_handler(
                lambda request, context: iter([_reply(f"reply {i}") for i in range(3)]))
        return None


def grpc_through_proxy() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers([_Handler()])
    server.add_insecure_port(f"127.0.0.1:{GRPC}")
    server.start()
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{GRPC}", options=[
            ("grpc.http_proxy", f"http://127.0.0.1:{PROXY}"),
            ("grpc.enable_http_proxy", 1)])
        unary = channel.unary_unary(UNARY)
        stream = channel.unary_stream(STREAM)
        assert unary(REQUEST, timeout=5) == _reply("hello")
        assert list(stream(REQUEST, timeout=5)) == [_reply(f"reply {i}") for i in range(3)]
        channel.close()
        time.sleep(0.3)
    finally:
        server.stop(0)


# -- the captures ----------------------------------------------------------------------

def make_connect(work: Path) -> None:
    www = work / "www"
    www.mkdir()
    (www / "hello.txt").write_text("hello through a tunnel\n")
    (www / "big.bin").write_bytes(bytes(i % 251 for i in range(30000)))
    key, cert = work / "key.pem", work / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    with Proxy(PROXY):
        with process("nghttpd", "--no-tls", "-d", str(www), str(H2C)), \
                tcpdump(HERE / "connect-h2c.pcap", [PROXY, H2C]):
            for name in ("hello.txt", "big.bin"):  # a tunnel each
                curl("-p", "-x", f"http://127.0.0.1:{PROXY}", "--http2-prior-knowledge",
                     f"http://127.0.0.1:{H2C}/{name}")
        with tcpdump(HERE / "connect-grpc.pcap", [PROXY, GRPC]):
            grpc_through_proxy()
        keys = HERE / "connect-tls.keys"
        keys.unlink(missing_ok=True)
        with process("nghttpd", "-d", str(www), str(TLS), str(key), str(cert)), \
                tcpdump(HERE / "connect-tls.pcap", [PROXY, TLS]):
            curl("-k", "--http2", "-p", "-x", f"http://127.0.0.1:{PROXY}",
                 f"https://127.0.0.1:{TLS}/hello.txt", env={"SSLKEYLOGFILE": str(keys)})
        with tcpdump(HERE / "connect-declined.pcap", [PROXY, DECLINED]):
            curl("-p", "-x", f"http://127.0.0.1:{PROXY}", "--http2-prior-knowledge",
                 f"http://127.0.0.1:{DECLINED}/")


def run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


def make_cut() -> None:
    h2c = ROOT / "samples" / "capture" / "nghttp2-h2c.pcap"
    with tempfile.TemporaryDirectory() as tmp:
        upgrade = Path(tmp) / "upgrade.pcap"
        run("editcap", "-r", str(h2c), str(upgrade), "14-26")  # the upgrade connection
        run("editcap", str(upgrade), str(HERE / "h2c-no-request.pcap"), "4")  # packet 17
        run("editcap", str(upgrade), str(HERE / "h2c-no-101.pcap"), "6")  # packet 19
        run("tshark", "-r", str(upgrade), "-Y", "tcp.srcport == 28418", "-w",
            str(HERE / "h2c-server-only.pcap"))
    streaming = SHARED / "packt" / "Server_Streaming.pcapng"
    run("tshark", "-r", str(streaming), "-Y", "tcp.srcport == 50051", "-w",
        str(HERE / "grpc-server-side.pcapng"))
    run("tshark", "-r", str(streaming), "-Y", "tcp.dstport == 50051", "-w",
        str(HERE / "grpc-client-side.pcapng"))
    # the server's data packets from its second on (packet 15: SETTINGS ACK)
    run("tshark", "-r", str(streaming), "-Y", "tcp.srcport == 50051 and tcp.len > 0 and "
        "frame.number > 9", "-w", str(HERE / "grpc-server-side-late.pcapng"))
    run("editcap", str(SHARED / "packt" / "Client_Streaming.pcapng"),
        str(HERE / "client-streaming-lost-pings.pcapng"), "21", "27", "33")


def main() -> None:
    if os.geteuid() != 0:
        sys.exit("run as root: tcpdump captures on lo")
    for tool in ("nghttpd", "curl", "tcpdump", "editcap", "tshark", "openssl"):
        if shutil.which(tool) is None:
            sys.exit(f"needs {tool}")
    with tempfile.TemporaryDirectory() as tmp:
        make_connect(Path(tmp))
    make_cut()
    print("wrote", ", ".join(sorted(p.name for p in HERE.glob("*.pcap*"))))


if __name__ == "__main__":
    main()
