#!/usr/bin/env python3
"""Benchmark TLS decryption (``wiretool.tls``) side by side with tshark.

    python benchmarks/bench_tls.py                    # 3 rounds
    python benchmarks/bench_tls.py --runs 5 --requests 20000 --regenerate

The inputs are made here with real peers on loopback and kept in benchmarks/work/
(remade when the workload changes, or with --regenerate; needs root for tcpdump):
Debian's ``h2load`` against ``nghttpd`` over TLS 1.3 (TLS_AES_256_GCM_SHA384, the
default of both), ``--requests`` small requests (``-c 4 -m 10``) with the browser-like
headers and 500 paths of benchmarks/bench_h2.py's header-heavy workload, h2load
writing its keys to ``SSLKEYLOGFILE``; and the same workload over h2c (``nghttpd
--no-tls``) as the cleartext reference.

Measured, each in a fresh process, in rounds (``measure.py``):

* ``tshark -o tls.keylog_file:KEYS -Y http2 -T fields -e http2.streamid`` (TLS) and
  ``tshark -d tcp.port==N,http2 ... -T fields -e http2.streamid`` (h2c);
* ``wiretool tls decrypt``: pcap -> TCP reassembly -> ``TlsConnection`` (every record
  decrypted; plaintext counted, not used);
* ``wiretool tls + http2``: the same, the plaintext read by the HTTP/2 ``Connection``
  (frames and HPACK: what tshark's field run does);
* ``wiretool h2c http2``: the cleartext capture through TCP reassembly and the same
  HTTP/2 ``Connection``;
* ``wiretool tls records``: the TLS capture with no keys (record framing and the
  handshake only), what the record layer costs without decryption.

The table prints wall time, CPU, peak memory, the ratio to tshark on the same capture,
and decrypted megabytes and records per second. Before timing, one run of each
``--worker`` mode is checked against tshark: the same number of HTTP/2 frames. This
breaks the TLS library's cost down by stage; ``h2-frames`` itself over TLS, beside
its cleartext run, is measured by bench_h2.py (its "header-heavy TLS" capture). This
is a benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import measure
from bench_h2 import (
    DOCROOT,
    REQUEST_HEADERS,
    SMALL_FILES,
    certificate,
    free_port,
    make_docroot,
    wait_listening,
)

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
sys.path.insert(0, str(ROOT))


# ---------------------------------------------------------------- making the captures


def workload_key(tls: bool, requests: int) -> str:
    return f"{'tls' if tls else 'h2c'}/{requests}/c4m10/{SMALL_FILES}/{'|'.join(REQUEST_HEADERS)}"


def make_capture(tls: bool, requests: int, path: Path, keys: Path) -> dict[str, Any]:
    make_docroot()
    port = free_port()
    server = ["nghttpd", "-a", "127.0.0.1", "-d", str(DOCROOT), str(port)]
    if tls:
        cert, key = certificate()
        server += [str(key), str(cert)]
    else:
        server.insert(1, "--no-tls")
    scheme = "https" if tls else "http"
    uris = WORK / f"tls-bench-uris-{port}.txt"
    uris.write_text("".join(f"{scheme}://127.0.0.1:{port}/static/asset-{i}.js?v={i * 7919 % 100000}\n"
                            for i in range(SMALL_FILES)))
    client = ["h2load", "-n", str(requests), "-c", "4", "-m", "10", "-t", "1", "-i", str(uris)]
    for header in REQUEST_HEADERS:
        client += ["-H", header]
    dump = ["tcpdump", "-i", "lo", "-B", "65536", "-s", "0", "--immediate-mode", "-w", str(path),
            "-Z", "root", f"tcp port {port}"]
    keys.unlink(missing_ok=True)
    env = {**os.environ, "SSLKEYLOGFILE": str(keys)}
    nghttpd = subprocess.Popen(server, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tcpdump = None
    try:
        wait_listening(port)
        tcpdump = subprocess.Popen(dump, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True)
        assert tcpdump.stderr is not None
        tcpdump.stderr.readline()
        done = subprocess.run(client, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0 or f"{requests} succeeded" not in done.stdout:
            raise RuntimeError(f"h2load failed:\n{done.stdout[-800:]}{done.stderr[-800:]}")
        time.sleep(2.0)
        tcpdump.send_signal(signal.SIGINT)
        stats = tcpdump.communicate(timeout=30)[1]
    finally:
        if tcpdump is not None and tcpdump.poll() is None:
            tcpdump.kill()
            tcpdump.wait()
        nghttpd.terminate()
        nghttpd.wait(timeout=10)
        uris.unlink(missing_ok=True)
    if re.search(r"^0 packets dropped by kernel", stats, re.MULTILINE) is None:
        raise RuntimeError(f"tcpdump dropped packets; run again on a quieter machine:\n{stats}")
    return {"port": port, "workload": workload_key(tls, requests), "tcpdump": stats.strip()}


def ensure(tls: bool, requests: int, regenerate: bool) -> tuple[Path, Path, int]:
    name = "tls-h2load" if tls else "h2c-h2load"
    path, keys, meta_path = WORK / f"{name}.pcap", WORK / f"{name}.keys", WORK / f"{name}.json"
    if not regenerate and path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("workload") == workload_key(tls, requests):
            return path, keys, int(meta["port"])
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"making {path.name} ({requests} requests) ...", flush=True)
    meta = make_capture(tls, requests, path, keys)
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    return path, keys, int(meta["port"])


# ---------------------------------------------------------------- the wiretool side


def worker(mode: str, path: Path, keys: Path | None) -> dict[str, int]:
    """Decode ``path`` as ``mode`` says; return the counts (one process per run)."""
    from wiretool.capture.follow import reassemble
    from wiretool.capture.model import ConnectionClosed, ConnectionOpened, Gap, StreamData
    from wiretool.capture.pcap import CaptureParser, read_packets
    from wiretool.http2.connection import Connection
    from wiretool.http2.frames import Frame
    from wiretool.tls import KeyLog, TlsConnection, TlsPlaintext, TlsRecord

    log = KeyLog()
    if keys is not None and mode != "records":
        log.add_file(keys)
    counts = {"plaintext_bytes": 0, "records": 0, "frames": 0}
    tls_conns: dict[int, TlsConnection] = {}
    h2_conns: dict[int, Connection] = {}
    http2 = mode in ("tls+http2", "h2c")

    def frames(conn_id: int, direction: str, data: bytes) -> None:
        h2 = h2_conns.setdefault(conn_id, Connection(both_directions=True))
        counts["frames"] += sum(1 for r in h2.feed(direction, data) if isinstance(r, Frame))

    parser = CaptureParser(report_secrets=True)
    with path.open("rb") as handle:
        for event in reassemble(read_packets(handle, parser=parser)):
            if isinstance(event, ConnectionOpened):
                tls_conns[event.conn_id] = TlsConnection(log)
                continue
            if isinstance(event, StreamData | Gap | ConnectionClosed):
                conn_id = event.conn_id
            else:
                continue
            if mode == "h2c":
                if isinstance(event, StreamData):
                    frames(conn_id, event.direction.value, event.data)
                continue
            tls = tls_conns[conn_id]
            if isinstance(event, StreamData):
                events = tls.feed(event.direction, event.data)
            elif isinstance(event, Gap):
                events = tls.gap(event.direction, event.length)
            else:
                events = tls.close()
            for item in events:
                if isinstance(item, TlsPlaintext):
                    counts["records"] += 1
                    counts["plaintext_bytes"] += len(item.data)
                    if http2:
                        frames(conn_id, item.direction.value, item.data)
                elif isinstance(item, TlsRecord):
                    counts["records"] += 1
    return counts


def per_record(records: int = 50_000, size: int = 100) -> tuple[float, float]:
    """Microseconds per small record: through TlsConnection (framing, decryption, the
    TlsPlaintext record), and the AES-128-GCM call alone. Records sealed with the RFC 8448
    keys (tests/tls/forge.py), fed 64 KiB at a time; best of three."""
    import timeit

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from tests.tls import forge
    from tests.tls import rfc8448 as r
    from wiretool.capture.model import Direction
    from wiretool.tls import KeyLog, TlsConnection

    stream = b"".join(forge.server_app(2 + i, 23, b"x" * size) for i in range(records))
    keys = KeyLog()
    keys.add_text(r.KEY_LOG, origin="rfc8448")

    def run() -> None:
        tls = TlsConnection(keys)
        tls.feed(Direction.CLIENT, r.CLIENT_HELLO_RECORD)
        tls.feed(Direction.SERVER, forge.SERVER_HANDSHAKE + r.SERVER_APP_RECORD)
        for at in range(0, len(stream), 1 << 16):
            tls.feed(Direction.SERVER, stream[at:at + (1 << 16)])

    whole = min(timeit.repeat(run, number=1, repeat=3)) / records * 1e6
    aead = AESGCM(r.SERVER_AP_KEY)
    record = forge.server_app(2, 23, b"x" * size)
    nonce = (int.from_bytes(r.SERVER_AP_IV, "big") ^ 2).to_bytes(12, "big")
    alone = min(timeit.repeat(lambda: aead.decrypt(nonce, record[5:], record[:5]),
                              number=records, repeat=3)) / records * 1e6
    return whole, alone


def tshark_frames(argv: list[str]) -> int:
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return sum(len(line.split(",")) for line in out.splitlines() if line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--worker", nargs=3, metavar=("MODE", "CAPTURE", "KEYS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        mode, capture, keys = args.worker
        print(json.dumps(worker(mode, Path(capture), Path(keys) if keys != "-" else None)))
        return
    tshark = shutil.which("tshark")
    if tshark is None:
        raise SystemExit("tshark not found: apt-get install tshark")
    tls_path, tls_keys, _ = ensure(True, args.requests, args.regenerate)
    h2c_path, _unused, h2c_port = ensure(False, args.requests, args.regenerate)
    me = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    fields = ["-Y", "http2", "-T", "fields", "-e", "http2.streamid"]
    tls_tshark = [tshark, "-r", str(tls_path), "-o", f"tls.keylog_file:{tls_keys}", *fields]
    h2c_tshark = [tshark, "-r", str(h2c_path), "-d", f"tcp.port=={h2c_port},http2", *fields]
    commands: dict[str, tuple[list[str], Path | None]] = {
        "tshark TLS -T fields -e http2.streamid": (tls_tshark, None),
        "wiretool tls decrypt": ([*me, "decrypt", str(tls_path), str(tls_keys)], None),
        "wiretool tls + http2": ([*me, "tls+http2", str(tls_path), str(tls_keys)], None),
        "wiretool tls records (no keys)": ([*me, "records", str(tls_path), "-"], None),
        "tshark h2c -T fields -e http2.streamid": (h2c_tshark, None),
        "wiretool h2c http2": ([*me, "h2c", str(h2c_path), "-"], None),
    }
    print(f"TLS capture {tls_path.name}: {tls_path.stat().st_size / 1e6:.1f} MB; "
          f"h2c capture {h2c_path.name}: {h2c_path.stat().st_size / 1e6:.1f} MB")
    counts = {name: json.loads(subprocess.run(argv, capture_output=True, text=True,
                                              check=True).stdout)
              for name, (argv, _stdin) in commands.items() if argv[0] != tshark}
    theirs = {"tls": tshark_frames(tls_tshark), "h2c": tshark_frames(h2c_tshark)}
    ours = {"tls": counts["wiretool tls + http2"]["frames"],
            "h2c": counts["wiretool h2c http2"]["frames"]}
    print(f"check: HTTP/2 frames, TLS capture: wiretool {ours['tls']}, tshark {theirs['tls']}; "
          f"h2c capture: wiretool {ours['h2c']}, tshark {theirs['h2c']}"
          + ("" if ours == theirs else "  <- DIFFERENT"))
    results = measure.rounds(commands, args.runs, measure.to_stderr)
    measure.to_stderr("")
    decrypted = counts["wiretool tls decrypt"]
    print(f"\n{args.runs} rounds; {decrypted['records']} TLS records, "
          f"{decrypted['plaintext_bytes'] / 1e6:.1f} MB decrypted")
    print(f"{'':42} {'wall s':>7} {'cpu s':>7} {'MiB':>6} {'/tshark':>8}  throughput (CPU)")
    for name, result in results.items():
        base = results["tshark TLS -T fields -e http2.streamid" if "h2c" not in name
                       else "tshark h2c -T fields -e http2.streamid"]
        extra = ""
        if name.startswith("wiretool tls"):
            extra = (f"{decrypted['plaintext_bytes'] / 1e6 / result.cpu:6.1f} MB/s, "
                     f"{decrypted['records'] / result.cpu / 1000:5.1f} k records/s")
        print(f"{name:42} {result.seconds:7.2f} {result.cpu:7.2f} {result.rss_mib:6.0f} "
              f"{result.seconds / base.seconds:7.2f}x  {extra}")
    tls_ratio = results["wiretool tls + http2"].seconds / results[
        "tshark TLS -T fields -e http2.streamid"].seconds
    h2c_ratio = results["wiretool h2c http2"].seconds / results[
        "tshark h2c -T fields -e http2.streamid"].seconds
    cpu_tls = results["wiretool tls + http2"].cpu / results[
        "tshark TLS -T fields -e http2.streamid"].cpu
    cpu_h2c = results["wiretool h2c http2"].cpu / results[
        "tshark h2c -T fields -e http2.streamid"].cpu
    print(f"\nTLS + HTTP/2 / tshark: {tls_ratio:.2f}x wall, {cpu_tls:.2f}x CPU; h2c HTTP/2 / "
          f"tshark: {h2c_ratio:.2f}x wall, {cpu_h2c:.2f}x CPU; difference {tls_ratio - h2c_ratio:+.2f}"
          f" wall, {cpu_tls - cpu_h2c:+.2f} CPU (issue 15 target: at most +0.10)")
    whole, alone = per_record()
    print(f"small records (100 bytes, TLS 1.3 AES-128-GCM) through TlsConnection: {whole:.1f} us "
          f"each, of which the AEAD call {alone:.1f} us")


if __name__ == "__main__":
    main()
