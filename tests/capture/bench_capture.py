"""Throughput of the capture layer, and of dpkt doing the same link/IP/TCP parsing.

Run: python -m tests.capture.bench_capture [CAPTURE.pcap ...]
Without arguments it synthesizes 103,000 small Ethernet/IPv4/TCP packets (1,000
connections, 100-byte payloads). Not collected by pytest; it prints its numbers (the capture
figures of docs/performance.md come from benchmarks/bench_h2.py).
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.capture import writer as w
from wiretool.capture import LinkDecoder, Packet, TcpReassembler, read_packets


def synthetic(connections: int = 1000, segments: int = 100) -> bytes:
    flows = [w.Flow(client=("10.0.0.1", 20000 + i)) for i in range(connections)]
    frames: list[bytes] = []
    for f in flows:
        frames += f.handshake()
    for n in range(segments):
        for f in flows:
            frames.append(f.send("client" if n % 2 else "server", b"x" * 100))
    return w.pcap([(1_700_000_000 * 10**9 + i, fr) for i, fr in enumerate(frames)])


def ours_read(data: bytes) -> int:
    return sum(1 for p in read_packets(io.BytesIO(data)) if isinstance(p, Packet))


def ours_parse(data: bytes) -> int:
    count = 0
    decode = LinkDecoder().decode
    for p in read_packets(io.BytesIO(data)):
        if isinstance(p, Packet):
            seg, _ = decode(p)
            count += seg is not None
    return count


def ours_full(data: bytes) -> int:
    tcp = TcpReassembler()
    count = 0
    decode = LinkDecoder().decode
    for p in read_packets(io.BytesIO(data)):
        if isinstance(p, Packet):
            seg, _ = decode(p)
            if seg is not None:
                count += len(tcp.feed(seg))
    return count + len(tcp.close())


def dpkt_read(data: bytes) -> int:
    import dpkt  # type: ignore[import-untyped,import-not-found,unused-ignore]

    return sum(1 for _ in dpkt.pcap.Reader(io.BytesIO(data)))


def dpkt_parse(data: bytes) -> int:
    import dpkt  # type: ignore[import-untyped,import-not-found,unused-ignore]

    count = 0
    for _ts, buf in dpkt.pcap.Reader(io.BytesIO(data)):
        try:
            eth = dpkt.ethernet.Ethernet(buf)
        except (dpkt.UnpackError, IndexError, ValueError):
            continue
        ip = eth.data
        if isinstance(ip, dpkt.ip.IP | dpkt.ip6.IP6) and isinstance(ip.data, dpkt.tcp.TCP):
            tcp = ip.data
            _ = (ip.src, tcp.sport, ip.dst, tcp.dport, tcp.seq, tcp.ack, tcp.flags, tcp.data)
            count += 1
    return count


def measure(name: str, fn: Callable[[bytes], int], data: bytes, packets: int) -> None:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        fn(data)
        best = min(best, time.perf_counter() - start)
    print(f"  {name:<32} {packets / best:>12,.0f} packets/s {len(data) / best / 1e6:>8.1f} MB/s")


def main() -> None:
    inputs = [(path, Path(path).read_bytes()) for path in sys.argv[1:]] or [
        ("synthetic 103k packets", synthetic())]
    for name, data in inputs:
        packets = ours_read(data)
        print(f"{name}: {len(data):,} bytes, {packets:,} packets")
        measure("wiretool read_packets", ours_read, data, packets)
        measure("dpkt pcap.Reader", dpkt_read, data, packets)
        measure("wiretool read+LinkDecoder", ours_parse, data, packets)
        measure("dpkt Reader+Ethernet/IP/TCP", dpkt_parse, data, packets)
        measure("wiretool full (reassembly too)", ours_full, data, packets)


if __name__ == "__main__":
    main()
