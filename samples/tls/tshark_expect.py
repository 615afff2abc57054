"""Write tshark's view of the TLS samples: the test oracle for wiretool.tls.

Usage, once, after make_captures.py (tshark 4.0)::

    python samples/tls/tshark_expect.py            # every sample
    python samples/tls/tshark_expect.py keyupdate  # some

For each ``NAME.pcap`` (and ``curl-h2.dsb.pcapng``, whose keys are inside) it writes
``NAME.tshark.json`` with, per TCP connection (tshark's ``tcp.stream``), what tshark
shows when given the key log (``-o tls.keylog_file:NAME.keys``):

* ``tls``: the ServerHello's version and cipher suite (value and tshark's name), the
  ClientHello's SNI and ALPN list, the negotiated ALPN (ServerHello or, decrypted,
  EncryptedExtensions);
* ``data``: the decrypted application data of each direction, in hex
  (``-z follow,tls,raw,N``);
* ``frames``: every HTTP/2 frame (direction, stream id, type, flags, length, and the
  header list of a header block); tshark takes HTTP/2 from the ALPN (every h2 sample
  negotiates ``h2``; tshark 4.0 offers no ``-d tls.port==N,http2``);
* ``grpc``: the gRPC messages tshark's gRPC dissector finds (direction, length,
  compressed flag).

The tests compare wiretool with the committed JSON and do not need tshark.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SAMPLES: dict[str, dict[str, Any]] = {
    "curl-h2": {"ports": [47306], "h2": True},
    "curl-h2.dsb": {"ports": [47306], "h2": True, "file": "curl-h2.dsb.pcapng", "keys": None},
    "tls13-suites": {"ports": [47301], "h2": True},
    "tls12-suites": {"ports": [47302, 47303], "h2": True},
    "tls12-cbc": {"ports": [47304, 47305], "h2": True},
    "h2load": {"ports": [47307], "h2": True},
    "missing-key": {"ports": [47309], "h2": True},
    "http11": {"ports": [47310], "h2": False},
    "keyupdate": {"ports": [47311], "h2": True},
    "renegotiation": {"ports": [47312], "h2": False},
    "ccm": {"ports": [47313], "h2": False},
    "handshake-failure": {"ports": [47315], "h2": False},
    "early-data": {"ports": [47314], "h2": False},
    "grpc-tls": {"ports": [47308], "h2": True},
}


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def tshark(capture: Path, keys: Path | None, *args: str) -> str:
    options = ["-o", f"tls.keylog_file:{keys}"] if keys is not None else []
    return subprocess.run(["tshark", "-r", str(capture), *options, *args], check=True,
                          capture_output=True, text=True).stdout


def connections(capture: Path) -> dict[int, dict[str, Any]]:
    """tcp.stream -> client and server ports (from the SYN)."""
    out = tshark(capture, None, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0", "-T", "fields",
                 "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.dstport")
    found: dict[int, dict[str, Any]] = {}
    for line in out.splitlines():
        stream, client, server = (int(x) for x in line.split("\t"))
        found.setdefault(stream, {"tcp_stream": stream, "client_port": client,
                                  "server_port": server})
    return found


def handshake(capture: Path, keys: Path | None, conns: dict[int, dict[str, Any]]) -> None:
    root = ET.fromstring(tshark(capture, keys, "-Y", "tls.handshake", "-T", "pdml"))
    for packet in root.iter("packet"):
        stream = int(next(f for f in packet.iter("field")
                          if f.get("name") == "tcp.stream").get("show", "-1"))
        tls = conns[stream].setdefault("tls", {"version": None, "version_name": None,
                                               "cipher_suite": None, "cipher_suite_name": None,
                                               "sni": None, "offered_alpn": [], "alpn": None})
        for message in packet.iter("field"):
            if message.get("name") != "tls.handshake":
                continue
            fields = {f.get("name"): f for f in message.iter("field")}
            kind = int(fields["tls.handshake.type"].get("show", "0"))
            alpn = [f.get("show") for f in message.iter("field")
                    if f.get("name") == "tls.handshake.extensions_alpn_str"]
            if kind == 1:
                if "tls.handshake.extensions_server_name" in fields:
                    tls["sni"] = fields["tls.handshake.extensions_server_name"].get("show")
                tls["offered_alpn"] = alpn
            elif kind == 2:
                version = fields.get("tls.handshake.extensions.supported_version")
                if version is None:  # (an Element with no children is falsy: no "or")
                    version = fields["tls.handshake.version"]
                tls["version"] = int(version.get("show", "0"), 16)
                tls["version_name"] = version.get("showname", "").split(": ", 1)[-1]
                suite = fields["tls.handshake.ciphersuite"]
                tls["cipher_suite"] = int(suite.get("show", "0"), 16)
                tls["cipher_suite_name"] = suite.get("showname", "").split(": ", 1)[-1] \
                    .rsplit(" (", 1)[0]
                if alpn:
                    tls["alpn"] = alpn[0]
            elif kind == 8 and alpn:
                tls["alpn"] = alpn[0]


def decrypted(capture: Path, keys: Path | None, conns: dict[int, dict[str, Any]]) -> None:
    for stream, conn in conns.items():
        text = tshark(capture, keys, "-q", "-z", f"follow,tls,raw,{stream}")
        node0_port = None
        data = {"client": "", "server": ""}
        for line in text.splitlines():
            if line.startswith("Node 0: "):
                node0_port = int(line.rsplit(":", 1)[1])
                continue
            if not line or line.startswith(("=", "Follow:", "Filter:", "Node ")):
                continue
            # Unindented lines are node 0's, tab-indented ones the other endpoint's.
            node0 = not line.startswith("\t")
            is_client = (node0_port == conn["client_port"]) == node0
            data["client" if is_client else "server"] += line.strip()
        conn["data"] = data


def http2(capture: Path, keys: Path | None, conns: dict[int, dict[str, Any]]) -> None:
    packets = json.loads(tshark(capture, keys, "-Y", "http2 || grpc", "-T", "json",
                                "--no-duplicate-keys"))
    for conn in conns.values():
        conn["frames"] = []
        conn["grpc"] = []
    for packet in packets:
        layers = packet["_source"]["layers"]
        tcp = layers["tcp"]
        conn = conns[int(tcp["tcp.stream"])]
        direction = "client" if int(tcp["tcp.srcport"]) == conn["client_port"] else "server"
        number = int(layers["frame"]["frame.number"])
        for layer in _list(layers.get("http2")):
            for stream in _list(layer.get("http2.stream")):
                if "http2.type" not in stream:
                    continue  # the connection preface ("http2.magic")
                frame: dict[str, Any] = {
                    "packet": number, "direction": direction,
                    "stream_id": int(stream["http2.streamid"]),
                    "type": int(stream["http2.type"]),
                    "flags": int(stream["http2.flags"], 16),
                    "length": int(stream["http2.length"]),
                }
                headers = _list(stream.get("http2.header"))
                if headers:
                    frame["headers"] = [[h["http2.header.name"], h["http2.header.value"]]
                                        for h in headers]
                conn["frames"].append(frame)
        for layer in _list(layers.get("grpc")):
            conn["grpc"].append({"packet": number, "direction": direction,
                                 "length": int(layer["grpc.message_length"]),
                                 "compressed": layer["grpc.compressed_flag"]
                                 not in ("0", "0x00")})


def main() -> None:
    names = sys.argv[1:] or list(SAMPLES)
    version = subprocess.run(["tshark", "--version"], check=True, capture_output=True,
                             text=True).stdout.splitlines()[0]
    for name in names:
        spec = SAMPLES[name]
        capture = HERE / spec.get("file", f"{name}.pcap")
        keys = spec.get("keys", HERE / f"{name}.keys")
        conns = connections(capture)
        handshake(capture, keys, conns)
        decrypted(capture, keys, conns)
        if spec["h2"]:
            http2(capture, keys, conns)
        out = HERE / f"{name}.tshark.json"
        out.write_text(json.dumps({
            "capture": capture.name, "keys": keys.name if keys is not None else None,
            "tshark": version, "ports": spec["ports"],
            "connections": [conns[stream] for stream in sorted(conns)],
        }, indent=None, separators=(",", ":")) + "\n")
        print(f"wrote {out.name}: {len(conns)} connection(s)")


if __name__ == "__main__":
    main()
