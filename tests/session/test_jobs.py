"""``h2-frames --jobs N``: connections decoded in N processes give, byte for byte, the
output of one process: on every bundled capture, on generated captures of interleaved
connections with lost segments and damaged records (hypothesis), with every output
that can be merged. Plus the pure parts (``wiretool.session.shard``) and what happens
when a worker fails."""

from __future__ import annotations

import io
import itertools
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.capture import writer as w
from tests.grpc import h2build as hb
from wiretool.capture.model import (
    CaptureDiagnostic,
    CloseReason,
    ConnectionClosed,
    ConnectionOpened,
    Endpoint,
    RoleBasis,
    StreamData,
    TcpEvent,
)
from wiretool.cli import app
from wiretool.direction import Direction
from wiretool.errors import Severity
from wiretool.session import jobs as h2_jobs
from wiretool.session.shard import Merge, Owners

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted([*ROOT.glob("samples/**/*.pcap"), *ROOT.glob("samples/**/*.pcapng")])
TINY = {"FLUSH_BYTES": 1, "FLUSH_EVENTS": 1, "QUEUE_LIMIT": 1, "READ_BYTES": 7}
DEFAULTS = SimpleNamespace(**{name: getattr(h2_jobs, name) for name in TINY})
REQUEST = bytes.fromhex("0a03616461")  # field 1 "ada"
REPLY = bytes.fromhex("0a0568656c6c6f")  # field 1 "hello"


def run(path: Path, *args: str) -> tuple[int, bytes]:
    result = CliRunner().invoke(app, ["h2-frames", *args, str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout_bytes


def assert_same_with_jobs(path: Path, *args: str, jobs: tuple[int, ...] = (2, 3)) -> bytes:
    code, one = run(path, "--jobs", "1", *args)
    assert code in (0, 1)
    for n in jobs:
        assert run(path, "--jobs", str(n), *args) == (code, one), (path.name, args, n)
    return one


# -- every bundled capture ------------------------------------------------------------


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("args", [
    ("-f", "jsonl"),
    ("-f", "jsonl", "--hpack-table"),
    ("-f", "jsonl", "--summary"),
    ("-f", "table", "--summary"),
    ("-f", "jsonl", "--type", "HEADERS", "--stream", "1"),
], ids=["jsonl", "hpack-table", "summary-jsonl", "summary-table", "filters"])
def test_bundled_captures_give_the_same_output_in_several_processes(
        path: Path, args: tuple[str, ...]) -> None:
    assert assert_same_with_jobs(path, *args)


TLS = ROOT / "samples" / "tls"
TLS_NAMES = ["curl-h2", "tls13-suites", "tls12-suites", "tls12-cbc", "h2load", "missing-key",
             "http11", "keyupdate", "renegotiation", "early-data", "grpc-tls"]


@pytest.mark.parametrize("name", [*TLS_NAMES, "curl-h2.dsb"])
@pytest.mark.parametrize("args", [
    ("-f", "jsonl"),
    ("-f", "jsonl", "--summary"),
    ("-f", "table", "--summary"),
], ids=["jsonl", "summary-jsonl", "summary-table"])
def test_tls_captures_are_decrypted_alike_in_several_processes(
        name: str, args: tuple[str, ...]) -> None:
    """Each worker takes the key log (and the capture's Decryption Secrets Blocks) and
    decrypts its own connections: the output is that of one process."""
    capture = TLS / ("curl-h2.dsb.pcapng" if name.endswith(".dsb") else f"{name}.pcap")
    keys = [] if name.endswith(".dsb") else ["--keylog", str(TLS / f"{name}.keys")]
    out = assert_same_with_jobs(capture, *keys, *args)
    if "jsonl" in args and "--summary" not in args:
        starts = [json.loads(line) for line in out.decode().splitlines()
                  if line.startswith('{"record": "connection"')]
        assert starts and all(s["tls"] is not None for s in starts)
        assert any(s["tls"]["decrypted"] for s in starts)


def test_tls_faults_in_several_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    """The real tls13-suites streams replayed with a segment lost inside a record of one
    connection and a byte flipped in another, with one-byte buffers."""
    from tests.tls.h2cli import replay
    from tests.tls.pipeline import steps_of

    for name, value in TINY.items():
        monkeypatch.setattr(h2_jobs, name, value)
    conns: list[list[tuple[Direction, bytes | int]]] = [
        list(each) for each in steps_of(TLS / "tls13-suites.pcap")]
    server = Direction.SERVER
    at = next(i for i, (side, data) in enumerate(conns[0])
              if side is server and isinstance(data, bytes) and len(data) > 1000)
    data = conns[0][at][1]
    assert isinstance(data, bytes)
    conns[0][at:at + 1] = [(server, data[:700]), (server, 9), (server, data[709:])]
    at = max(i for i, (side, _data) in enumerate(conns[2]) if side is server)
    data = conns[2][at][1]
    assert isinstance(data, bytes)
    conns[2][at] = (server, data[:10] + bytes([data[10] ^ 1]) + data[11:])
    path = tmp_path / "faults.pcap"
    path.write_bytes(replay(conns))
    out = assert_same_with_jobs(path, "--keylog", str(TLS / "tls13-suites.keys"), "-f", "jsonl",
                                jobs=(2, 3))
    problems = [json.loads(line).get("tls_problem") for line in out.decode().splitlines()]
    assert "gap" in problems and "authentication-failed" in problems


def test_the_grpc_demo_is_shared_between_two_workers() -> None:
    """The demo has three connections: each worker owns some (the test above would
    pass trivially if one worker did everything)."""
    owners = Owners(2)
    from wiretool.capture import follow_tcp

    with open(ROOT / "samples/grpc/demo.pcap", "rb") as stream:
        seen = {owners.owner(e) for e in follow_tcp(stream) if isinstance(e, ConnectionOpened)}
    assert seen == {0, 1}


# -- generated captures ---------------------------------------------------------------


def _connection(number: int, kind: str) -> list[bytes]:
    """The packets of one connection: gRPC over HTTP/2 (with or without the handshake)
    or HTTP/1.1."""
    flow = w.Flow(client=("10.0.0.1", 40000 + number), server=("10.0.0.2", 8443))
    packets = flow.handshake() if kind != "h2-midway" else []
    if kind == "http1":
        packets += [flow.send("client", b"GET / HTTP/1.1\r\nhost: x\r\n\r\n"),
                    flow.send("server", b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")]
    else:
        client, server = hb.Peer(), hb.Peer()
        for stream in (1, 3):
            c, s = hb.unary_exchange(REQUEST * number, REPLY, stream=stream, client=client,
                                     server=server, preface=stream == 1)
            packets += [flow.send("client", c[:40]), flow.send("client", c[40:]),
                        flow.send("server", s)]
    packets += [flow.send("client", flags=w.FIN | w.ACK), flow.send("server", flags=w.FIN | w.ACK)]
    return packets


@st.composite
def captures(draw: st.DrawFn) -> bytes:
    """Several connections' packets interleaved; some lost; maybe a damaged record."""
    kinds = draw(st.lists(st.sampled_from(["h2", "h2-midway", "http1"]), min_size=1,
                          max_size=5))
    queues = [_connection(n, kind) for n, kind in enumerate(kinds)]
    order = random.Random(draw(st.integers(0, 2**32))).sample(
        [n for n, q in enumerate(queues) for _ in q], sum(map(len, queues)))
    lost = draw(st.sets(st.integers(0, len(order) - 1), max_size=3))
    packets = [queues[n].pop(0) for n in order]
    packets = [p for i, p in enumerate(packets) if i not in lost]
    data = w.pcap([(1_700_000_000_000_000_000 + i * 1000, p) for i, p in enumerate(packets)])
    damage = draw(st.sampled_from(["none", "cut", "garbage"]))
    if damage == "cut":
        data = data[: draw(st.integers(24, len(data)))]
    elif damage == "garbage":
        data += b"\xff" * draw(st.integers(1, 40))
    return data


@settings(max_examples=40, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=captures(), summary=st.booleans(), tiny=st.booleans())
def test_generated_captures_give_the_same_output_in_several_processes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes, summary: bool,
        tiny: bool) -> None:
    """``tiny``: batch and queue limits of one byte (see the next test)."""
    for name, value in TINY.items():
        monkeypatch.setattr(h2_jobs, name, value if tiny else getattr(DEFAULTS, name))
    path = tmp_path / "c.pcap"
    path.write_bytes(data)
    assert_same_with_jobs(path, "-f", "jsonl", *(["--summary"] if summary else []))


def test_the_end_of_a_capture_is_merged_in_connection_order(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections the session still holds at the end are closed there, by connection
    number, whichever worker owns them. (The reassembler closes every connection first,
    so this takes a reassembler that does not.)"""
    from wiretool.capture.tcp import TcpReassembler

    queues = [_connection(n, "h2")[:-2] for n in range(4)]  # no FIN
    packets = [p for group in zip(*queues, strict=False) for p in group]
    path = tmp_path / "open.pcap"
    path.write_bytes(w.pcap([(1_700_000_000_000_000_000 + i, p) for i, p in enumerate(packets)]))
    monkeypatch.setattr(TcpReassembler, "close", lambda self: [])
    out = assert_same_with_jobs(path, "-f", "jsonl", "--summary", jobs=(2, 3, 4))
    records = [json.loads(line) for line in out.decode().splitlines()]
    ends = [r["connection"]["client"] for r in records
            if r["record"] == "summary" and r["reason"] == "end-of-capture"]
    assert ends == [f"10.0.0.1:{40000 + n}" for n in range(4)]


def test_a_worker_renders_the_summary_table_as_a_terminal_would(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests above compare plain text; on a terminal the table is coloured, and a
    worker's renderer (``summary_renderer``, on a ``console_like`` console) must colour
    it the same."""
    from wiretool.cli.common import make_console
    from wiretool.render.h2_summary import SummaryView, summary_renderer
    from wiretool.session import SessionOptions, decode_h2

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    with decode_h2(str(ROOT / "samples/grpc/demo.pcap"), SessionOptions(summary=True)) as found:
        records = list(found)
    parent_file = Terminal()
    parent = make_console(parent_file, width=97)
    SummaryView(parent).render(records)
    worker = summary_renderer(parent)
    assert "\x1b[1m" in parent_file.getvalue()  # bold: coloured output
    assert "".join(worker([record]) for record in records) == parent_file.getvalue()


def test_tiny_buffers_change_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every batch and queue limit at one byte, every piece is sent alone, every
    worker is held back and waited for: the paths a big capture takes."""
    for name, value in TINY.items():
        monkeypatch.setattr(h2_jobs, name, value)
    queues = [_connection(n, kind) for n, kind in enumerate(["h2", "http1", "h2", "h2"] * 3)]
    packets = [p for group in itertools.zip_longest(*queues) for p in group if p]
    path = tmp_path / "many.pcap"
    path.write_bytes(w.pcap([(1_700_000_000_000_000_000 + i, p) for i, p in enumerate(packets)]))
    for capture in (path, ROOT / "samples/grpc/demo.pcap"):
        assert_same_with_jobs(capture, "-f", "jsonl", jobs=(2, 3, 5))
        assert_same_with_jobs(capture, "-f", "table", "--summary", jobs=(2, 3))


def _calls_connection(number: int, calls: list[tuple[str, int, str]]) -> list[bytes]:
    """One connection carrying gRPC ``calls`` (path, grpc-status, grpc-message)."""
    flow = w.Flow(client=("10.0.0.1", 41000 + number), server=("10.0.0.2", 8443))
    client, server = hb.Peer(), hb.Peer()
    packets = flow.handshake()
    packets.append(flow.send("client", hb.PREFACE + hb.frame(hb.SETTINGS, 0, 0, b"")))
    packets.append(flow.send("server", hb.frame(hb.SETTINGS, 0, 0, b"")))
    for index, (path, code, message) in enumerate(calls):
        stream = 2 * index + 1
        packets.append(flow.send("client", client.headers(stream, [
            (":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "x"),
            ("content-type", "application/grpc"), ("te", "trailers")]) + hb.frame(
            hb.DATA, hb.END_STREAM, stream, hb.grpc_message(REQUEST * (index % 3 + 1)))))
        packets.append(flow.send("server", server.headers(stream, [
            (":status", "200"), ("content-type", "application/grpc")]) + hb.frame(
            hb.DATA, 0, stream, hb.grpc_message(REPLY)) + server.headers(stream, [
                ("grpc-status", str(code)), *([("grpc-message", message)] if message else [])],
                end=True)))
    packets += [flow.send("client", flags=w.FIN | w.ACK), flow.send("server", flags=w.FIN | w.ACK)]
    return packets


def test_the_per_method_rollup_is_merged_across_processes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Connections calling overlapping methods, with failures, spread over the workers:
    each sends its roll-up, the merge gives the per-method lines of one process, byte
    for byte (small limits, so methods and failure messages are folded as well)."""
    from wiretool.session import summary as model

    monkeypatch.setattr(model, "METHODS_KEPT", 4)
    monkeypatch.setattr(model, "FAILURES_KEPT", 2)
    monkeypatch.setattr(model, "EXACT_DURATIONS", 3)
    rng = random.Random(17)
    queues = []
    made = 0
    for number in range(7):
        calls = [(f"/svc.Api/M{rng.randrange(6)}", rng.choice([0, 0, 5, 14]),
                  rng.choice(["", "no such user", "try later"])) for _ in range(rng.randrange(1, 30))]
        queues.append(_calls_connection(number, calls))
        made += len(calls)
    packets = [p for group in itertools.zip_longest(*queues) for p in group if p]
    path = tmp_path / "methods.pcap"
    path.write_bytes(w.pcap([(1_700_000_000_000_000_000 + i * 7919, p)
                             for i, p in enumerate(packets)]))
    out = assert_same_with_jobs(path, "-f", "jsonl", "--summary", jobs=(2, 3, 4))
    records = [json.loads(line) for line in out.decode().splitlines()]
    methods = [r for r in records if r["record"] == "method"]
    (total,) = [r for r in records if r["record"] == "capture-summary"]
    assert records[-1] is total and total["connections"] == 7
    assert [m["path"] for m in methods[:-1]] == sorted(m["path"] for m in methods[:-1])
    assert methods[-1].get("other_methods") is True  # 6 methods, 4 kept apart
    assert sum(m["calls"] for m in methods) == total["calls"] == made
    assert total["failed"] == sum(count for name, count in total["statuses"].items()
                                  if name != "OK")
    assert_same_with_jobs(path, "-f", "table", "--summary", jobs=(2, 3))


# -- where one process is used whatever --jobs says -----------------------------------


def test_stdin_and_limit_are_read_in_one_process(tmp_path: Path) -> None:
    path = ROOT / "samples/grpc/demo.pcap"
    code, expected = run(path, "-f", "jsonl", "--jobs", "1", "--limit", "5")
    assert run(path, "-f", "jsonl", "--jobs", "2", "--limit", "5") == (code, expected)
    result = CliRunner().invoke(app, ["h2-frames", "-f", "jsonl", "--jobs", "2", "-"],
                                input=path.read_bytes())
    assert (result.exit_code, result.stdout_bytes) == run(path, "-f", "jsonl", "--jobs", "1")


def test_auto_uses_one_process_below_the_size_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    forks: list[int] = []
    monkeypatch.setattr(h2_jobs, "run_jobs", lambda *a, **k: forks.append(1) or False)
    run(ROOT / "samples/grpc/demo.pcap", "-f", "jsonl")
    assert forks == []
    monkeypatch.setattr(h2_jobs, "AUTO_JOBS_MIN_BYTES", 0)
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5})
    run(ROOT / "samples/grpc/demo.pcap", "-f", "jsonl")
    assert forks == [1]


def test_every_process_reads_the_file_as_it_was_when_the_command_started(
        tmp_path: Path) -> None:
    """A capture tcpdump is still writing: each process reads the same first bytes,
    with a position of its own."""
    path = tmp_path / "growing.pcap"
    path.write_bytes(b"0123456789")
    with open(path, "rb") as handle:
        first = h2_jobs._Snapshot(handle.fileno(), 10)
        second = h2_jobs._Snapshot(handle.fileno(), 10)
        with open(path, "ab") as writer:
            writer.write(b"more packets")
        assert first.read(4) == b"0123"
        assert second.read(100) == b"0123456789"
        assert first.read(100) == b"456789"
        assert first.read(100) == b""


# -- failures -------------------------------------------------------------------------


def test_a_failing_worker_is_reported_without_a_traceback(
        monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()
    owner = Owners.owner

    def broken(self: Owners, event: TcpEvent) -> int:
        if os.getpid() != parent:  # the forked worker only
            raise RuntimeError("boom")
        return owner(self, event)

    monkeypatch.setattr(Owners, "owner", broken)
    result = CliRunner().invoke(app, ["h2-frames", "-f", "jsonl", "--jobs", "3",
                                      str(ROOT / "samples/grpc/demo.pcap")])
    assert result.exit_code == 2
    assert re.search(r"--jobs: worker [23] failed: RuntimeError: boom \(--jobs 1 decodes",
                     result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_a_worker_that_stops_early_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(h2_jobs._Sender, "end", lambda self, failed: None)
    result = CliRunner().invoke(app, ["h2-frames", "-f", "jsonl", "--jobs", "2",
                                      str(ROOT / "samples/grpc/demo.pcap")])
    assert result.exit_code == 2
    assert "stopped before the end of the capture" in result.stderr


def test_a_closed_output_stops_every_process(tmp_path: Path) -> None:
    """``| head``: the parent's output closes; it stops, its workers with it, and
    nobody prints a traceback."""
    queues = [_connection(n, "h2") for n in range(4)] * 200
    packets = [p for group in queues for p in group]
    path = tmp_path / "big.pcap"
    path.write_bytes(w.pcap([(1_700_000_000_000_000_000 + i, p) for i, p in enumerate(packets)]))
    shell = (f"{sys.executable} -m wiretool h2-frames -f jsonl --jobs 2 {path} | head -c 100")
    done = subprocess.run(["sh", "-c", shell], capture_output=True, timeout=60, cwd=ROOT)
    assert len(done.stdout) == 100
    assert b"Traceback" not in done.stderr


# -- the pure parts -------------------------------------------------------------------


def _opened(conn_id: int) -> ConnectionOpened:
    end = Endpoint(__import__("ipaddress").ip_address("10.0.0.1"), conn_id)
    return ConnectionOpened(conn_id, end, end, None, conn_id, RoleBasis.SYN)


def _data(conn_id: int, size: int) -> StreamData:
    return StreamData(conn_id, Direction.CLIENT, 0, b"x" * size, None, 1, 0)


def test_owners_balance_connections_then_bytes() -> None:
    owners = Owners(2)
    assert [owners.owner(_opened(n)) for n in (1, 2, 3, 4)] == [0, 1, 0, 1]  # all at once
    assert owners.owner(_data(1, 1000)) == 0  # worker 0 now has more bytes...
    assert owners.owner(_opened(5)) == 1  # ...so the next connection goes to worker 1
    assert owners.owner(ConnectionClosed(5, CloseReason.FIN, None, 9, 0, 0)) == 1
    assert owners.owner(_data(5, 10)) == 0  # forgotten: never opened again, worker 0's
    diagnostic = CaptureDiagnostic(0, Severity.ERROR, "bad record", 0, None, None)
    assert owners.owner(diagnostic) == 0


@settings(max_examples=200, deadline=None)
@given(keys=st.lists(st.integers(0, 3), min_size=0, max_size=60), data=st.data())
def test_merge_gives_every_piece_back_in_key_order(keys: list[int], data: st.DataObject
                                                   ) -> None:
    """Keys 0..n-1 owned by random workers, each worker's messages (pieces, progress)
    arriving in order but interleaved at random with the others'."""
    workers = 4
    sent: list[list[tuple[str, int]]] = [[] for _ in range(workers)]
    for key, owner in enumerate(keys):
        sent[owner].append(("piece", key))
        for other in range(workers):
            if other != owner and data.draw(st.booleans()):
                sent[other].append(("progress", key))
    for messages in sent:
        messages.append(("end", 0))
    merge = Merge(workers)
    out: list[bytes] = []
    while any(sent):
        worker = data.draw(st.sampled_from([n for n in range(workers) if sent[n]]))
        kind, key = sent[worker].pop(0)
        if kind == "piece":
            merge.add(worker, key, str(key).encode())
        elif kind == "progress":
            merge.progress(worker, key)
        else:
            merge.finish(worker)
        out += merge.ready()
        assert out == [str(k).encode() for k in range(len(out))]  # never one too early
    assert merge.finished
    assert out == [str(k).encode() for k in range(len(keys))]


def test_merge_rejects_a_key_out_of_order() -> None:
    merge = Merge(2)
    merge.add(0, 5, b"a")
    with pytest.raises(ValueError, match="out of order"):
        merge.add(0, 5, b"b")
