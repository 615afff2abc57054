"""Write the tshark oracle for a capture: bytes and SHA-256 of each TCP stream direction.

Usage: python tshark_oracle.py CAPTURE > CAPTURE.expected.json
Runs ``tshark -q -z follow,tcp,raw,N`` for N = 0, 1, ... until tshark reports no
more streams. Tests compare wiretool's reassembly with the committed JSON and do
not need tshark themselves.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys


def follow(capture: str, index: int) -> dict[str, object] | None:
    text = subprocess.run(
        ["tshark", "-r", capture, "-q", "-z", f"follow,tcp,raw,{index}"],
        check=True, capture_output=True, text=True,
    ).stdout
    nodes: list[str] = []
    client, server = bytearray(), bytearray()
    for line in text.splitlines():
        if line.startswith("Node "):
            nodes.append(line.split(": ", 1)[1])
        elif not line.strip() or line.startswith(("=", "Follow:", "Filter:")):
            continue
        elif line.startswith("\t"):  # tshark indents the second node's bytes
            server += bytes.fromhex(line.strip())
        else:
            client += bytes.fromhex(line.strip())
    if not nodes or nodes[0].endswith(":0") or (not client and not server):
        return None
    return {
        "stream": index,
        "client": nodes[0],
        "server": nodes[1],
        "client_bytes": len(client),
        "client_sha256": hashlib.sha256(client).hexdigest(),
        "server_bytes": len(server),
        "server_sha256": hashlib.sha256(server).hexdigest(),
    }


def main() -> None:
    capture = sys.argv[1]
    streams = []
    index = 0
    while (found := follow(capture, index)) is not None:
        streams.append(found)
        index += 1
    json.dump({"tool": "tshark -q -z follow,tcp,raw,N", "streams": streams}, sys.stdout,
              indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
