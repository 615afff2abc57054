"""Write ``tshark_streams.json``: what tshark 4.0 sees in every capture of
``tests/capture/cases.py`` (the tunnel-wrapped demo capture, the tcp.stream numbering
cases, the real captures copied here). Run from the repository root when a case
changes, and review the diff:

    python tests/capture/data/make_tshark_expectations.py

Per capture, one entry per ``tcp.stream`` in index order: the first packet's number,
its innermost IP source and destination with the ports, its ``frame.protocols`` up to
``tcp``, and the TCP payload bytes (sum of ``tcp.len``) sent each way. The tests need
no tshark.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.capture.cases import TSHARK_OPTIONS, all_captures  # noqa: E402

FIELDS = ["frame.number", "tcp.stream", "tcp.srcport", "tcp.dstport", "ip.src", "ip.dst",
          "ipv6.src", "ipv6.dst", "tcp.len", "frame.protocols"]


def _endpoint(address: str, port: str) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def streams(path: Path, options: list[str]) -> list[dict[str, object]]:
    command = ["tshark", "-r", str(path), *options, "-T", "fields", "-E", "separator=|"]
    for field in FIELDS:
        command += ["-e", field]
    lines = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    out: dict[int, dict[str, object]] = {}
    for line in lines.splitlines():
        number, stream, sport, dport, ip_src, ip_dst, ip6_src, ip6_dst, length, protocols = (
            line.split("|"))
        if not stream:
            continue
        index = int(stream.split(",")[0])
        layers = protocols.split(":")
        below = layers[:layers.index("tcp")] if "tcp" in layers else layers
        inner_v6 = max((i for i, p in enumerate(below) if p == "ipv6"), default=-1) > max(
            (i for i, p in enumerate(below) if p == "ip"), default=-1)
        src, dst = (ip6_src, ip6_dst) if inner_v6 else (ip_src, ip_dst)
        a = _endpoint(src.split(",")[-1], sport.split(",")[0])
        b = _endpoint(dst.split(",")[-1], dport.split(",")[0])
        entry = out.get(index)
        if entry is None:
            entry = out[index] = {"stream": index, "frame": int(number), "a": a, "b": b,
                                  "protocols": ":".join([*below, "tcp"]),
                                  "bytes_ab": 0, "bytes_ba": 0}
        sent = int(length) if length else 0
        entry["bytes_ab" if a == entry["a"] else "bytes_ba"] += sent  # type: ignore[operator]
    return [out[k] for k in sorted(out)]


def main() -> None:
    version = subprocess.run(["tshark", "--version"], capture_output=True, text=True,
                             check=True).stdout.splitlines()[0]
    result: dict[str, object] = {"tshark": version, "captures": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in all_captures().items():
            path = Path(tmp) / "capture.pcap"
            path.write_bytes(data)
            result["captures"][name] = streams(  # type: ignore[index]
                path, TSHARK_OPTIONS.get(name, []))
    result["options"] = TSHARK_OPTIONS
    target = Path(__file__).with_name("tshark_streams.json")
    # one line per connection: the file stays small and its diffs readable
    lines = [f' "tshark": {json.dumps(version)},', f' "options": {json.dumps(TSHARK_OPTIONS)},',
             ' "captures": {']
    captures = result["captures"]
    assert isinstance(captures, dict)
    for i, (name, entries) in enumerate(captures.items()):
        lines.append(f"  {json.dumps(name)}: [")
        lines += [f"   {json.dumps(e)}," for e in entries]
        if entries:
            lines[-1] = lines[-1][:-1]
        lines.append("  ]" + ("," if i < len(captures) - 1 else ""))
    target.write_text("{\n" + "\n".join(lines) + "\n }\n}\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
