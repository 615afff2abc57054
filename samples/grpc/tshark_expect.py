"""Write tshark's view of a capture's HTTP/2 frames: the test oracle for wiretool.

Usage: python samples/grpc/tshark_expect.py CAPTURE PORT > CAPTURE-stem.tshark.json

For every HTTP/2 frame tshark decodes (with ``-d tcp.port==PORT,http2``, which
wiretool does not need): the TCP stream index, the sender's port, stream id,
type, flags and length; for HEADERS, the decoded header names and values; for
gRPC DATA, the message lengths tshark's gRPC dissector found. The tests compare
wiretool's output with the committed JSON and do not need tshark.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def main() -> None:
    capture, port = sys.argv[1], sys.argv[2]
    packets = json.loads(subprocess.run(
        ["tshark", "-r", capture, "-d", f"tcp.port=={port},http2", "-Y", "http2",
         "-T", "json", "--no-duplicate-keys"],
        check=True, capture_output=True, text=True).stdout)
    frames: list[dict[str, Any]] = []
    for packet in packets:
        layers = packet["_source"]["layers"]
        tcp = layers["tcp"]
        for layer in _list(layers.get("http2")):
            for stream in _list(layer.get("http2.stream")):
                if "http2.type" not in stream:
                    continue  # the connection preface ("http2.magic")
                frame: dict[str, Any] = {
                    "packet": int(layers["frame"]["frame.number"]),
                    "tcp_stream": int(tcp["tcp.stream"]),
                    "sender_port": int(tcp["tcp.srcport"]),
                    "stream_id": int(stream["http2.streamid"]),
                    "type": int(stream["http2.type"]),
                    "flags": int(stream["http2.flags"], 16),
                    "length": int(stream["http2.length"]),
                }
                headers = _list(stream.get("http2.header"))
                if headers:
                    frame["headers"] = [[h["http2.header.name"], h["http2.header.value"]]
                                        for h in headers]
                frames.append(frame)
    grpc = []
    for packet in packets:
        layers = packet["_source"]["layers"]
        for layer in _list(layers.get("grpc")):
            grpc.append({"packet": int(layers["frame"]["frame.number"]),
                         "length": int(layer["grpc.message_length"]),
                         "compressed": layer["grpc.compressed_flag"] not in ("0", "0x00")})
    json.dump({"capture": capture.rsplit("/", 1)[-1], "frames": frames,
               "grpc_messages": grpc}, sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
