"""Write ``h2_tshark.json``: the HTTP/2 frames, header blocks and gRPC messages tshark 4.0
shows in each capture of ``tests/capture/h2_cases.py``, per TCP connection and
direction. Run from the repository root when a capture or its options change, and
review the diff:

    python tests/capture/data/make_h2_expectations.py

tshark is run as ``tshark -r FILE -o tcp.reassemble_out_of_order:TRUE OPTIONS -Y "http2 or
grpc" -T json`` (OPTIONS: the capture's ``-d tcp.port==N,http2``). Per direction,
keyed ``"<tcp.stream> <source> -> <destination>"`` (addresses as wiretool writes them,
IPv6 in brackets), in the order tshark shows them:

* ``frames``: ``[type, flags, stream id, length]`` of every frame (not the preface);
* ``headers``: ``[stream id, [[name, value], ...]]`` of every header block tshark
  decoded, on the frame that ends it (``null`` for a name or value it did not know);
* ``grpc``: ``[compressed, length, data hex]`` of every gRPC message.

``tcp.stream`` is tshark's default numbering (a second pass without options).

The tests need no tshark.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from tests.capture.h2_cases import DATA, H2_CAPTURES  # noqa: E402

Pairs = list[tuple[str, Any]]


def _get(pairs: Pairs, key: str) -> list[Any]:
    return [value for name, value in pairs if name == key]


def _endpoint(address: str, port: str) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def _messages(pairs: Pairs) -> list[Pairs]:
    """The gRPC message subtrees under a grpc layer."""
    out: list[Pairs] = []
    for _name, value in pairs:
        if isinstance(value, list) and value and isinstance(value[0], tuple):
            if _get(value, "grpc.message_length"):
                out.append(value)
            else:
                out += _messages(value)
    return out


def stream_numbers(path: Path) -> dict[int, str]:
    """``tcp.stream`` of every packet as tshark numbers it by default (with
    ``tcp.reassemble_out_of_order`` on, tshark 4.0 skips numbers after some
    connections, as in connect-h2c.pcap)."""
    command = ["tshark", "-r", str(path), "-T", "fields", "-e", "frame.number",
               "-e", "tcp.stream"]
    lines = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    out: dict[int, str] = {}
    for line in lines.splitlines():
        number, _, stream = line.partition("\t")
        if stream:
            out[int(number)] = stream.split(",")[-1]
    return out


def tshark_view(path: Path, options: list[str]) -> dict[str, dict[str, list[Any]]]:
    streams = stream_numbers(path)
    command = ["tshark", "-r", str(path), "-o", "tcp.reassemble_out_of_order:TRUE", *options,
               "-Y", "http2 or grpc", "-T", "json", "-J", "frame ip ipv6 tcp http2 grpc"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    packets = json.loads(text or "[]", object_pairs_hook=lambda pairs: pairs)
    out: dict[str, dict[str, list[Any]]] = {}
    for packet in packets:
        layers = _get(_get(packet, "_source")[0], "layers")[0]
        ips, tcps = _get(layers, "ip") or _get(layers, "ipv6"), _get(layers, "tcp")
        if not ips or not tcps:
            continue
        ip, tcp = ips[-1], tcps[-1]
        source = _endpoint((_get(ip, "ip.src") or _get(ip, "ipv6.src"))[0],
                           _get(tcp, "tcp.srcport")[0])
        target = _endpoint((_get(ip, "ip.dst") or _get(ip, "ipv6.dst"))[0],
                           _get(tcp, "tcp.dstport")[0])
        number = int(_get(_get(layers, "frame")[0], "frame.number")[0])
        key = f"{streams[number]} {source} -> {target}"
        view = out.setdefault(key, {"frames": [], "headers": [], "grpc": []})
        for http2 in _get(layers, "http2"):
            for stream in _get(http2, "http2.stream"):
                kind = _get(stream, "http2.type")
                if not kind:
                    continue  # the connection preface ("Magic")
                flags = _get(stream, "http2.flags")
                stream_id = int(_get(stream, "http2.streamid")[0])
                view["frames"].append([int(kind[0]), int(flags[0], 16) if flags else None,
                                       stream_id, int(_get(stream, "http2.length")[0])])
                fields = _get(stream, "http2.header")
                if fields:
                    view["headers"].append([stream_id, [
                        [(_get(f, "http2.header.name") or [None])[0],
                         (_get(f, "http2.header.value") or [None])[0]] for f in fields]])
        for grpc in _get(layers, "grpc"):
            for message in _messages(grpc) or ([grpc] if _get(grpc, "grpc.message_length")
                                               else []):
                flag = _get(message, "grpc.compressed_flag")
                data = _get(message, "grpc.message_data")
                view["grpc"].append([bool(int(flag[0])) if flag else None,
                                     int(_get(message, "grpc.message_length")[0]),
                                     data[0].replace(":", "") if data else None])
    return out


def main() -> None:
    version = subprocess.run(["tshark", "--version"], capture_output=True, text=True,
                             check=True).stdout.splitlines()[0]
    lines = ["{", f' "tshark": {json.dumps(version)},', ' "captures": {']
    names = list(H2_CAPTURES)
    for index, name in enumerate(names):
        options = H2_CAPTURES[name]
        view = tshark_view(DATA / name, options)
        lines.append(f"  {json.dumps(name)}: {{")
        lines.append(f'   "options": {json.dumps(options)},')
        lines.append('   "directions": {')
        keys = list(view)
        for number, key in enumerate(keys):
            comma = "," if number < len(keys) - 1 else ""
            lines.append(f"    {json.dumps(key)}: {json.dumps(view[key])}{comma}")
        lines.append("   }")
        lines.append("  }" + ("," if index < len(names) - 1 else ""))
    lines += [" }", "}"]
    target = Path(__file__).with_name("h2_tshark.json")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {target} ({len(names)} captures)")


if __name__ == "__main__":
    main()
