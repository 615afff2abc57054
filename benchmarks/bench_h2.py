#!/usr/bin/env python3
"""Benchmark ``wiretool h2-frames`` on real captures side by side with tshark.

    python benchmarks/bench_h2.py                     # 3 runs at 1x, 1 run at 2x and 4x
    python benchmarks/bench_h2.py --runs 1 --scales 1 --requests 20000
    python benchmarks/bench_h2.py --profile           # also py-spy on the jsonl run
    python benchmarks/bench_h2.py --scales 1 --runs 1 --no-data-heavy --no-many-connections

The inputs are made here, reproducibly, with real peers on loopback (127.0.0.1) and
kept in benchmarks/work/ (remade when the workload changes, or with --regenerate):

* header-heavy: Debian's ``h2load`` against ``nghttpd --no-tls`` (h2c),
  ``--requests`` small requests (20-300 byte
  bodies) over 16 connections, 500 distinct paths, browser-like headers (user-agent,
  accept, cookie, a bearer token, x-request-id...: nghttp2 sends ``authorization``
  never-indexed, so its Huffman-coded literal is decoded again on every request),
  captured with ``tcpdump -i lo``; the same workload again at 2x and 4x requests;
* header-heavy over TLS: the 1x header-heavy workload against ``nghttpd`` with TLS (TLS
  1.3, TLS_AES_256_GCM_SHA384: the default of both), h2load writing its keys to
  ``SSLKEYLOGFILE`` (``h2-tls-1x.keys``); wiretool reads them with ``--keylog`` and
  tshark with ``-o tls.keylog_file:``, with the fields of the cleartext run. Issue 15's
  target: its ratio to tshark at most the cleartext ratio + 0.10 (printed at the end);
* many connections: the 1x header-heavy workload over 256 connections (only
  ``--format jsonl`` and ``tshark -T fields``): memory must not grow with their number;
* DATA-heavy: four 12 MiB files served by nghttpd, one connection.

The table view (``--format table --width 120``, the default on a terminal, one
process) runs at the smallest scale, side by side with jsonl: issue 17 asks for at
most 2x the jsonl time.

120000 requests (the default) make a ~46 MB capture in ~3 s; tcpdump must report 0
packets dropped or the capture is refused. Needs root (or CAP_NET_RAW) for tcpdump.

Each tool runs in a fresh process with stdout to /dev/null, in rounds (each round
runs every tool once: see ``measure.py``); the table shows the median wall time,
the CPU time (user+sys of the process and its children, less sensitive to other
load on the machine), the peak resident memory (RSS: the program's own high-water
mark, or, when it has children such as wiretool's ``--jobs`` workers, the peak of
their sum, sampled every 50 ms) and the ratio of the time to ``tshark -T fields``
on the same capture. wiretool runs as a user would run
it (one process per CPU on captures over 16 MiB) and, on the smallest capture, in
one process (``--jobs 1``). Above the smallest scale only wiretool
``--format jsonl``, ``--summary`` (its memory must stay flat) and ``tshark -T
fields`` run, ``--scale-runs`` times (1), unless ``--all-tools-at-every-scale``: the
default run takes about 30 minutes on 2 cores.
Before the timed runs, one untimed run
of wiretool and of tshark -T fields on each 1x capture is read back to check that
both saw the same frames and the same header fields (it also warms the page cache).

tshark needs ``-d tcp.port==N,http2`` to dissect h2c on a port other than 80 (its
HTTP/2 heuristic is off by default); wiretool finds HTTP/2 on any port by itself.
Peers that are not installed are skipped with the command that installs them.
This is a benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import measure
from measure import Result

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / "work"
DOCROOT = WORK / "h2-docroot"
INSTALL = {
    "h2load": "apt-get install nghttp2-client",
    "nghttpd": "apt-get install nghttp2-server",
    "tcpdump": "apt-get install tcpdump",
    "tshark": "DEBIAN_FRONTEND=noninteractive apt-get install tshark",
    "py-spy": "pip install py-spy",
    "openssl": "apt-get install openssl",
}
# Browser-like request headers. nghttp2 encodes `authorization` never-indexed, so
# its literal is sent (and Huffman-decoded) on every request; the others are
# indexed in the dynamic table after the first request of each connection.
REQUEST_HEADERS = [
    "user-agent: Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8",
    "accept-language: en-GB,en;q=0.7,fr;q=0.3",
    "accept-encoding: gzip, deflate, br",
    "referer: http://127.0.0.1/app/dashboard?tab=overview",
    "cookie: session=4f2a9c1e8b7d6a5f3e2d1c0b9a8f7e6d; prefs=theme%3Ddark%26lang%3Den; "
    "_ga=GA1.1.123456789.1700000000",
    "authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkw"
    "IiwibmFtZSI6IkFkYSBMb3ZlbGFjZSIsImlhdCI6MTUxNjIzOTAyMn0.SflKxwRJSMeKKF2QT4fwpMeJf36P"
    "Ok6yJV_adQssw5c",
    "x-request-id: 7d0f5c2e-9b1a-4e3f-8c6d-2a1b0c9d8e7f",
    "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
]
SMALL_FILES = 500
CLIENTS = {"header": 16, "connections": 256, "tls": 16}
"""h2load connections of the header-heavy workloads: the usual one, and the same
requests over many connections (memory must not grow with their number)."""
LARGE_FILES = 4
LARGE_FILE_BYTES = 12 * 1024 * 1024
TSHARK_FIELDS = ["frame.number", "http2.type", "http2.streamid", "http2.length",
                 "http2.header.name", "http2.header.value"]
# Header values hold commas (accept, cookie): tshark joins the occurrences of a
# field in one packet with this character instead, so they can be split back.
AGGREGATOR = "\x1f"
FRAME_TYPES = {0: "DATA", 1: "HEADERS", 2: "PRIORITY", 3: "RST_STREAM", 4: "SETTINGS",
               5: "PUSH_PROMISE", 6: "PING", 7: "GOAWAY", 8: "WINDOW_UPDATE",
               9: "CONTINUATION"}


# ---------------------------------------------------------------- making captures


@dataclass
class Capture:
    name: str
    path: Path
    port: int
    scale: int
    meta: dict[str, Any] = field(default_factory=dict)
    keys: Path | None = None
    """The key log of a TLS capture (what h2load wrote to SSLKEYLOGFILE)."""

    @property
    def size_mb(self) -> float:
        return self.path.stat().st_size / 1e6


def make_docroot() -> None:
    """500 small text files and a few multi-MB ones, the same bytes on every run."""
    rng = random.Random(6)
    (DOCROOT / "static").mkdir(parents=True, exist_ok=True)
    (DOCROOT / "large").mkdir(parents=True, exist_ok=True)
    alphabet = "abcdefghijklmnopqrstuvwxyz(){};=.+ \n"
    for i in range(SMALL_FILES):
        path = DOCROOT / "static" / f"asset-{i}.js"
        body = "".join(rng.choice(alphabet) for _ in range(rng.randint(20, 300)))
        if not path.exists() or path.read_text() != body:
            path.write_text(body)
    for i in range(LARGE_FILES):
        path = DOCROOT / "large" / f"blob-{i}.bin"
        if not path.exists() or path.stat().st_size != LARGE_FILE_BYTES:
            path.write_bytes(random.Random(i).randbytes(LARGE_FILE_BYTES))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout} s")


def certificate() -> tuple[Path, Path]:
    """A throwaway self-signed certificate for nghttpd over TLS (kept in benchmarks/work)."""
    cert, key = WORK / "tls-bench.crt", WORK / "tls-bench.key"
    if not cert.exists() or not key.exists():
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                        "3650", "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out",
                        str(cert)], check=True, capture_output=True)
    return cert, key


def workload(kind: str, requests: int, port: int) -> tuple[list[str], Path | None]:
    """The h2load command line (and its URI list) of a capture."""
    base = f"{'https' if kind == 'tls' else 'http'}://127.0.0.1:{port}"
    if kind in ("header", "connections", "tls"):
        uris = WORK / f"h2load-uris-{port}.txt"
        # 500 paths with a query string: :path is a new literal on most requests.
        uris.write_text("".join(f"{base}/static/asset-{i}.js?v={i * 7919 % 100000}\n"
                                for i in range(SMALL_FILES)))
        argv = ["h2load", "-n", str(requests), "-c", str(CLIENTS[kind]), "-m", "8", "-t", "1",
                "-i", str(uris)]
        for header in REQUEST_HEADERS:
            argv += ["-H", header]
        return argv, uris
    argv = ["h2load", "-n", str(LARGE_FILES), "-c", "1", "-m", "1", "-t", "1"]
    argv += [f"{base}/large/blob-{i}.bin" for i in range(LARGE_FILES)]
    return argv, None


def make_capture(kind: str, requests: int, path: Path, log: list[str]) -> dict[str, Any]:
    """Run nghttpd, tcpdump and h2load on loopback; write ``path`` (and, over TLS, the
    key log beside it); return what happened."""
    port = free_port()
    server_argv = ["nghttpd", "--no-tls", "-a", "127.0.0.1", "-d", str(DOCROOT), str(port)]
    env = dict(os.environ)
    if kind == "tls":
        cert, key = certificate()
        server_argv = ["nghttpd", "-a", "127.0.0.1", "-d", str(DOCROOT), str(port), str(key),
                       str(cert)]
        keys = path.with_suffix(".keys")
        keys.unlink(missing_ok=True)
        env["SSLKEYLOGFILE"] = str(keys)
    dump_argv = ["tcpdump", "-i", "lo", "-B", "65536", "-s", "0", "-w", str(path)]
    if os.geteuid() == 0:
        dump_argv += ["-Z", "root"]  # write benchmarks/work as root, not as user tcpdump
    dump_argv.append(f"tcp port {port}")
    client_argv, uris = workload(kind, requests, port)
    log.extend([" ".join(server_argv), " ".join(dump_argv),
                ("SSLKEYLOGFILE=" + env["SSLKEYLOGFILE"] + " " if kind == "tls" else "")
                + " ".join(a if " " not in a else repr(a) for a in client_argv)])
    server = subprocess.Popen(server_argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dump = None
    try:
        wait_listening(port)
        dump = subprocess.Popen(dump_argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        assert dump.stderr is not None
        line = dump.stderr.readline()  # "listening on lo, ..." once the filter is set
        if "listening" not in line:
            raise RuntimeError(f"tcpdump did not start: {line.strip()}")
        started = time.perf_counter()
        client = subprocess.run(client_argv, capture_output=True, text=True, check=False,
                                env=env)
        seconds = time.perf_counter() - started
        if client.returncode != 0:
            raise RuntimeError(f"h2load failed: {client.stderr.strip() or client.stdout[-500:]}")
        done = re.search(r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, "
                         r"(\d+) failed, (\d+) errored", client.stdout)
        if not done or int(done.group(3)) != int(done.group(1)):
            raise RuntimeError(f"h2load did not complete every request:\n{client.stdout}")
        # tcpdump hands packets over in blocks (1 s timeout): let it drain, then SIGINT,
        # which makes it flush the file and print its statistics.
        time.sleep(2.0)
        dump.send_signal(signal.SIGINT)
        stats = dump.communicate(timeout=30)[1]
    finally:
        if dump is not None and dump.poll() is None:
            dump.kill()
            dump.wait()
        server.terminate()
        server.wait(timeout=10)
        if uris is not None:
            uris.unlink(missing_ok=True)
    captured = re.search(r"(\d+) packets? captured", stats)
    dropped = re.search(r"(\d+) packets? dropped by kernel", stats)
    if not captured or not dropped:
        raise RuntimeError(f"no statistics from tcpdump: {stats}")
    if int(dropped.group(1)) != 0:
        raise RuntimeError(f"tcpdump dropped {dropped.group(1)} packets: the capture is "
                           "incomplete; run again on a less busy machine")
    return {"kind": kind, "requests": int(done.group(3)), "port": port,
            "packets": int(captured.group(1)), "dropped": 0,
            "generation_s": round(seconds, 2), "workload": workload_key(kind, requests)}


def workload_key(kind: str, requests: int) -> str:
    """What the capture depends on: a change remakes it."""
    if kind in CLIENTS:
        return f"{kind}/{requests}/{SMALL_FILES}/c{CLIENTS[kind]}m8/{'|'.join(REQUEST_HEADERS)}"
    return f"data/{LARGE_FILES}x{LARGE_FILE_BYTES}"


def ensure_capture(name: str, kind: str, requests: int, scale: int, path: Path,
                   regenerate: bool, log: list[str]) -> Capture | None:
    meta_path = path.with_suffix(".json")
    keys = path.with_suffix(".keys") if kind == "tls" else None
    if not regenerate and path.exists() and meta_path.exists() and (
            keys is None or keys.exists()):
        meta = json.loads(meta_path.read_text())
        if meta.get("workload") == workload_key(kind, requests):
            return Capture(name, path, int(meta["port"]), scale, meta, keys)
    tools = ("nghttpd", "h2load", "tcpdump") + (("openssl",) if keys else ())
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        print(f"cannot make {path.name}: {', '.join(missing)} not found; install with "
              + "; ".join(INSTALL[t] for t in missing))
        return None
    print(f"making {path.name} ({kind}, {requests if kind in CLIENTS else LARGE_FILES} "
          "requests) ...", flush=True)
    meta = make_capture(kind, requests, path, log)
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    return Capture(name, path, int(meta["port"]), scale, meta, keys)


# ---------------------------------------------------------------- measuring


def commands(capture: Capture, wiretool: str, tshark: str | None) -> dict[str, list[str] | None]:
    path = str(capture.path)
    decode_as = ["-d", f"tcp.port=={capture.port},http2"]
    fields = [arg for name in TSHARK_FIELDS for arg in ("-e", name)]
    if capture.keys is not None:
        # TLS: tshark finds TLS on any port and HTTP/2 from the ALPN; each tool is given
        # the key log its own way.
        keylog = ["--keylog", str(capture.keys)]
        return {
            "tshark -T fields": None if tshark is None else [
                tshark, "-r", path, "-o", f"tls.keylog_file:{capture.keys}", "-Y", "http2",
                "-T", "fields", *fields, "-E", f"aggregator={AGGREGATOR}"],
            "wiretool h2-frames --format jsonl": [wiretool, "h2-frames", "--format", "jsonl",
                                                  *keylog, path],
            "wiretool ... --format jsonl --jobs 1": [wiretool, "h2-frames", "--format", "jsonl",
                                                     "--jobs", "1", *keylog, path],
        }
    # tshark -T fields first: every other row is a ratio to it.
    return {
        "tshark -T fields": None if tshark is None else [
            tshark, "-r", path, "-Y", "http2", *decode_as, "-T", "fields", *fields,
            "-E", f"aggregator={AGGREGATOR}"],
        "tshark -T json": None if tshark is None else [
            tshark, "-r", path, "-Y", "http2", *decode_as, "-T", "json"],
        "tshark -q -z http2,tree": None if tshark is None else [
            tshark, "-r", path, *decode_as, "-q", "-z", "http2,tree"],
        "wiretool h2-frames --format jsonl": [wiretool, "h2-frames", "--format", "jsonl", path],
        "wiretool ... --format jsonl --jobs 1": [wiretool, "h2-frames", "--format", "jsonl",
                                                 "--jobs", "1", path],
        "wiretool h2-frames --summary": [wiretool, "h2-frames", "--summary", "--format",
                                         "table", path],
        # The default view on a terminal, laid out for 120 columns, in one process
        # (the frame table never uses --jobs); the target is 2x the jsonl time.
        "wiretool h2-frames --format table": [wiretool, "h2-frames", "--format", "table",
                                              "--width", "120", path],
    }


# ---------------------------------------------------------------- sanity check


@dataclass
class Seen:
    """What one tool reports about a capture: enough to tell whether it did the same work."""
    frames: collections.Counter[str] = field(default_factory=collections.Counter)
    data_bytes: int = 0
    header_fields: int = 0
    pairs: collections.Counter[tuple[str, str]] = field(default_factory=collections.Counter)
    requests: int = 0
    responses: int = 0

    def add_header(self, name: str, value: str) -> None:
        self.header_fields += 1
        self.pairs[(name, value)] += 1
        if name == ":method":
            self.requests += 1
        elif name == ":status":
            self.responses += 1


def seen_by_wiretool(argv: list[str]) -> tuple[Seen, float]:
    seen = Seen()
    start = time.perf_counter()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if not line.startswith(b'{"record": "frame"'):
                continue
            record = json.loads(line)
            seen.frames[record["type_name"]] += 1
            if record["type"] == 0:
                seen.data_bytes += record["length"]
            for header in record.get("headers") or ():
                seen.add_header(header["name"], header["value"])
    return seen, time.perf_counter() - start


def seen_by_tshark(argv: list[str]) -> tuple[Seen, float]:
    seen = Seen()
    start = time.perf_counter()
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True, encoding="utf-8", errors="replace") as process:
        assert process.stdout is not None
        for line in process.stdout:
            columns = line.rstrip("\n").split("\t")
            if len(columns) < 6 or not columns[1]:
                continue
            types = columns[1].split(AGGREGATOR)
            lengths = columns[3].split(AGGREGATOR)
            for kind, length in zip(types, lengths, strict=True):
                name = FRAME_TYPES.get(int(kind), f"UNKNOWN_{kind}")
                seen.frames[name] += 1
                if name == "DATA":
                    seen.data_bytes += int(length)
            if columns[4]:
                names = columns[4].split(AGGREGATOR)
                values = columns[5].split(AGGREGATOR)
                for name, value in zip(names, values, strict=True):
                    seen.add_header(name, value)
    return seen, time.perf_counter() - start


def check(capture: Capture, cmds: dict[str, list[str] | None]) -> bool:
    """Print whether wiretool and tshark -T fields saw the same frames and headers."""
    wiretool_argv = cmds["wiretool h2-frames --format jsonl"]
    tshark_argv = cmds["tshark -T fields"]
    assert wiretool_argv is not None
    ours, our_s = seen_by_wiretool(wiretool_argv)
    print(f"check {capture.name} ({capture.path.name}, h2load completed "
          f"{capture.meta.get('requests')} requests, tcpdump {capture.meta.get('packets')} "
          f"packets, 0 dropped)")
    if tshark_argv is None:
        print(f"  wiretool: {dict(ours.frames)}, {ours.header_fields} header fields "
              "(tshark missing: nothing to compare with)")
        return True
    theirs, their_s = seen_by_tshark(tshark_argv)
    rows = [("frames by type", dict(sorted(ours.frames.items())),
             dict(sorted(theirs.frames.items()))),
            ("DATA payload bytes (frame lengths)", ours.data_bytes, theirs.data_bytes),
            ("header fields", ours.header_fields, theirs.header_fields),
            ("requests (:method) / responses (:status)", (ours.requests, ours.responses),
             (theirs.requests, theirs.responses)),
            ("distinct (name, value) pairs", len(ours.pairs), len(theirs.pairs)),
            ("(name, value) multiset", "-", "equal" if ours.pairs == theirs.pairs else
             "DIFFERENT")]
    same = True
    for label, mine, other in rows:
        equal = mine == other or (label.endswith("multiset") and other == "equal")
        same &= equal
        verdict = "same" if equal else "DIFFERENT"
        if label.endswith("multiset"):
            print(f"  {label:<42} {verdict}")
        else:
            print(f"  {label:<42} wiretool {mine}  tshark {other}  {verdict}")
    if ours.pairs != theirs.pairs:
        only_ours = ours.pairs - theirs.pairs
        only_theirs = theirs.pairs - ours.pairs
        print(f"  only in wiretool: {list(only_ours.items())[:5]}")
        print(f"  only in tshark:   {list(only_theirs.items())[:5]}")
    print(f"  (untimed check runs, output read back: wiretool {our_s:.1f} s, "
          f"tshark {their_s:.1f} s)")
    return same


# ---------------------------------------------------------------- profile


def profile(capture: Capture, argv: list[str], top: int) -> None:
    """py-spy on ``wiretool h2-frames --format jsonl --jobs 1``: top functions, self and
    total."""
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        print(f"py-spy not found: {INSTALL['py-spy']} (no profile)")
        return
    raw = WORK / f"profile-{capture.path.stem}.txt"
    subprocess.run([py_spy, "record", "--rate", "200", "--format", "raw", "--output",
                    str(raw), "--", *argv], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, weight = line.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        samples += int(weight)
        own[frames[-1]] += int(weight)
        for frame in set(frames):
            total[frame] += int(weight)
    print(f"\nprofile: py-spy record --rate 200 -- {' '.join(argv[1:])}  ({samples} samples; "
          f"raw stacks in {raw.relative_to(ROOT)})")
    print(f"  {'self %':>7}  function")
    for name, count in own.most_common(top):
        print(f"  {100 * count / samples:>6.1f}%  {name}")
    print(f"  {'total %':>7}  function (inclusive; wiretool and json only)")
    shown = 0
    for name, count in total.most_common():
        if ("wiretool/" in name and "cli/" not in name) or "json/" in name \
                or "dataclasses" in name or "huffman" in name or "<string>" in name:
            print(f"  {100 * count / samples:>6.1f}%  {name}")
            shown += 1
            if shown == top:
                break


# ---------------------------------------------------------------- report


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                      .splitlines() if line.startswith("MemTotal")) / 1024 / 1024
    except (OSError, StopIteration):
        memory = 0.0
    return (f"{model}, {os.cpu_count()} cores, {memory:.0f} GiB, Python "
            f"{platform.python_version()}, {platform.platform()}")


def other_load() -> str:
    """Load average and the busiest other processes: the numbers depend on them."""
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    try:
        out = subprocess.run(["ps", "-eo", "pid,pcpu,comm", "--sort=-pcpu", "--no-headers"],
                             capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return f"load average {load}"
    busy = []
    for line in out.splitlines():
        pid, cpu, comm = line.split(None, 2)
        if int(pid) != os.getpid() and float(cpu) >= 10:
            busy.append(f"{comm} {cpu}%")
    return f"load average {load}; other busy processes: {', '.join(busy[:6]) or 'none'}"


def version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError:
        return "?"
    return (out.stdout or out.stderr).splitlines()[0].strip() if (out.stdout or out.stderr) \
        else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per cell (median)")
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 2, 4],
                        help="header-heavy workload sizes, in multiples of --requests")
    parser.add_argument("--requests", type=int, default=120_000,
                        help="h2load requests of the header-heavy capture at scale 1")
    parser.add_argument("--scale-runs", type=int, default=1,
                        help="timed runs per cell above the smallest scale")
    parser.add_argument("--all-tools-at-every-scale", action="store_true",
                        help="run every tool at every scale (slow); by default only wiretool "
                        "--format jsonl and tshark -T fields run above the smallest scale")
    parser.add_argument("--regenerate", action="store_true", help="remake the captures")
    parser.add_argument("--no-check", action="store_true",
                        help="skip the check that wiretool and tshark saw the same thing")
    parser.add_argument("--no-data-heavy", action="store_true", help="skip the DATA-heavy capture")
    parser.add_argument("--no-many-connections", action="store_true",
                        help="skip the header-heavy workload over 256 connections")
    parser.add_argument("--no-tls", action="store_true",
                        help="skip the header-heavy workload over TLS")
    parser.add_argument("--profile", action="store_true",
                        help="profile the jsonl run (--jobs 1) on the smallest header-heavy "
                        "capture")
    args = parser.parse_args()

    wiretool = shutil.which("wiretool") or sys.exit("wiretool is not installed: pip install -e .")
    tshark = shutil.which("tshark")
    WORK.mkdir(parents=True, exist_ok=True)
    make_docroot()
    log: list[str] = []
    captures: list[Capture] = []
    scales = sorted(set(args.scales))
    for scale in scales:
        capture = ensure_capture(f"header-heavy {scale}x", "header", args.requests * scale,
                                 scale, WORK / f"h2-headers-{scale}x.pcap", args.regenerate, log)
        if capture:
            captures.append(capture)
    if not args.no_tls:
        capture = ensure_capture("header-heavy TLS", "tls", args.requests, 0,
                                 WORK / "h2-tls-1x.pcap", args.regenerate, log)
        if capture:
            captures.append(capture)
    if not args.no_many_connections:
        capture = ensure_capture(f"{CLIENTS['connections']} connections", "connections",
                                 args.requests, 0, WORK / "h2-connections.pcap",
                                 args.regenerate, log)
        if capture:
            captures.append(capture)
    if not args.no_data_heavy:
        capture = ensure_capture("DATA-heavy", "data", LARGE_FILES, 0,
                                 WORK / "h2-data.pcap", args.regenerate, log)
        if capture:
            captures.append(capture)
    if not captures:
        sys.exit("no capture to measure")

    print(f"\nmachine: {machine()}")
    print(f"peers: {version([wiretool, '--version'])}; "
          f"{version([tshark, '--version']) if tshark else 'tshark missing'}; "
          f"{version(['h2load', '--version'])}; {version(['nghttpd', '--version'])}")
    print(f"before: {other_load()}")
    if log:
        print("captures made with (on 127.0.0.1, port chosen free per capture):")
        for line in log:
            print(f"  {line}")
    if tshark is None:
        print(f"tshark not found: install it with `{INSTALL['tshark']}` "
              "(measuring wiretool alone)")
    print()

    checked = True
    if not args.no_check:
        for capture in captures:
            if capture.scale in (0, scales[0]):
                checked &= check(capture, commands(capture, wiretool, tshark))
        print("check: " + ("wiretool and tshark saw the same frames and header fields\n"
                           if checked else "MISMATCH: the timings below compare different "
                           "work\n"))

    print(f"median of {args.runs} runs ({args.scale_runs} above {scales[0]}x), in rounds (each "
          "round runs every tool once, so the machine's drift hits all alike), stdout to "
          "/dev/null; CPU = user+sys of the process and its children; RSS = peak resident "
          "memory of the program (VmHWM), or summed over the process and its children "
          "(wiretool --jobs workers)")
    header = (f"{'capture':<18} {'MB':>7} {'tool':<38} {'median s':>9} {'CPU s':>8} "
              f"{'RSS MiB':>8} {'vs fields':>10}")
    print(header)
    print("-" * len(header))
    results: dict[tuple[str, str], Result] = {}
    for capture in captures:
        cmds = commands(capture, wiretool, tshark)
        smallest = capture.scale in (0, scales[0])
        full = (smallest or args.all_tools_at_every_scale) and capture.meta.get(
            "kind") != "connections"  # there, jsonl and tshark -T fields only
        timed = {tool: (argv, None) for tool, argv in cmds.items() if argv is not None and (
            full or tool in ("tshark -T fields", "wiretool h2-frames --format jsonl",
                             "wiretool h2-frames --summary"))}
        measured = measure.rounds(timed, args.runs if smallest else args.scale_runs,
                                  measure.to_stderr)
        measure.to_stderr("")
        base = measured.get("tshark -T fields")
        for tool, result in measured.items():
            results[(capture.name, tool)] = result
            ratio = f"{result.seconds / base.seconds:.2f}x" if base else "-"
            note = "" if result.code == 0 else f"  (exit {result.code})"
            print(f"{capture.name:<18} {capture.size_mb:>7.1f} {tool:<38} {result.seconds:>9.2f} "
                  f"{result.cpu:>8.2f} {result.rss_mib:>8.1f} {ratio:>10}{note}", flush=True)
    print(f"\nafter: {other_load()}")

    header_caps = [c for c in captures if c.scale]
    if len(header_caps) > 1:
        print("\nscaling (header-heavy): median s, s per 100k requests, peak RSS MiB")
        for tool in ("wiretool h2-frames --format jsonl", "wiretool h2-frames --summary",
                     "tshark -T fields", "tshark -T json"):
            cells = []
            for capture in header_caps:
                r = results.get((capture.name, tool))
                if r:
                    per = r.seconds / (int(capture.meta["requests"]) / 100_000)
                    cells.append(f"{capture.scale}x {r.seconds:7.1f} s {per:5.1f} s/100k "
                                 f"{r.rss_mib:6.0f} MiB")
            if cells:
                print(f"  {tool:<38} " + " | ".join(cells))

    first = next((c for c in captures if c.scale), None)
    if first:
        jsonl = results.get((first.name, "wiretool h2-frames --format jsonl"))
        summary = results.get((first.name, "wiretool h2-frames --summary"))
        fields_r = results.get((first.name, "tshark -T fields"))
        print(f"\ntargets (issue 6) on {first.name}:")
        if jsonl and fields_r:
            fraction = jsonl.seconds / fields_r.seconds
            print(f"  jsonl time / tshark -T fields = {fraction:.2f}x  (target <= 0.5x, aim "
                  f"0.25x): {'met' if fraction <= 0.5 else 'NOT met'}")
            alone = results.get((first.name, "wiretool ... --format jsonl --jobs 1"))
            if alone:
                print(f"    in one process (--jobs 1): {alone.seconds / fields_r.seconds:.2f}x; "
                      f"CPU of all processes / one process = {jsonl.cpu / alone.cpu:.2f}x")
        if jsonl:
            peak = max(r.rss_mib for (name, tool), r in results.items()
                       if tool == "wiretool h2-frames --format jsonl"
                       and not name.startswith("DATA"))
            print(f"  jsonl peak RSS (all scales) = {peak:.0f} MiB  (target < 150 MiB): "
                  f"{'met' if peak < 150 else 'NOT met'}")
        if jsonl and summary:
            slower = summary.seconds / jsonl.seconds
            print(f"  --summary time / jsonl time = {slower:.2f}x  (target <= 1.5x): "
                  f"{'met' if slower <= 1.5 else 'NOT met'}")
            peaks = [f"{c.scale}x {results[(c.name, 'wiretool h2-frames --summary')].rss_mib:.0f}"
                     for c in captures if c.scale
                     and (c.name, "wiretool h2-frames --summary") in results]
            print(f"  --summary peak RSS by scale (MiB; flat: bounded by the methods) = "
                  f"{', '.join(peaks)}")
        table = results.get((first.name, "wiretool h2-frames --format table"))
        if jsonl and table:
            slower = table.seconds / jsonl.seconds
            print(f"  table view time / jsonl time = {slower:.2f}x  (issue 17: <= 2x): "
                  f"{'met' if slower <= 2 else 'NOT met'}; in CPU: "
                  f"{table.cpu / jsonl.cpu:.2f}x; against jsonl in one process: "
                  + (f"{table.seconds / alone.seconds:.2f}x" if (alone := results.get(
                      (first.name, "wiretool ... --format jsonl --jobs 1"))) else "-"))
    tls = next((c for c in captures if c.keys is not None), None)
    if first and tls:
        print(f"\nTLS (issue 15): the {first.name} workload over TLS 1.3 against the same over "
              "h2c, each tool's time / tshark -T fields on the same capture:")
        differences = []
        for tool in ("wiretool h2-frames --format jsonl", "wiretool ... --format jsonl --jobs 1"):
            plain, secure = results.get((first.name, tool)), results.get((tls.name, tool))
            plain_base = results.get((first.name, "tshark -T fields"))
            secure_base = results.get((tls.name, "tshark -T fields"))
            if not (plain and secure and plain_base and secure_base):
                continue
            clear, over = plain.seconds / plain_base.seconds, secure.seconds / secure_base.seconds
            cpu_clear, cpu_over = plain.cpu / plain_base.cpu, secure.cpu / secure_base.cpu
            differences.append(over - clear)
            print(f"  {tool:<38} wall: h2c {clear:.2f}x ({plain.seconds:.1f} s / "
                  f"{plain_base.seconds:.1f} s), TLS {over:.2f}x ({secure.seconds:.1f} s / "
                  f"{secure_base.seconds:.1f} s): {over - clear:+.2f}; CPU: h2c "
                  f"{cpu_clear:.2f}x, TLS {cpu_over:.2f}x: {cpu_over - cpu_clear:+.2f}")
        if differences:
            print(f"  target: TLS ratio at most the cleartext ratio + 0.10: "
                  f"{'met' if differences[0] <= 0.10 else 'NOT met'} (jsonl as a user runs it, "
                  "wall time; on a busy machine the CPU ratios say more)")
    if args.profile and first:
        # One process: py-spy follows the process it started, not the --jobs workers.
        argv = commands(first, wiretool, tshark)["wiretool ... --format jsonl --jobs 1"]
        assert argv is not None
        profile(first, argv, 25)


if __name__ == "__main__":
    main()
