"""Hypothesis properties of the capture path (pcap -> TCP -> HTTP/2 -> gRPC, through the
``h2-frames`` command): how the TCP stream is cut into segments, the order they arrive
in and retransmissions change nothing; any bytes, as a capture file or as the TCP
payload of a connection, give only diagnostics and valid JSON Lines."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from tests.capture import writer as w
from tests.grpc import h2build as hb
from wiretool.capture import looks_like_capture
from wiretool.cli import app

REQUEST = bytes.fromhex("0a03616461") * 30  # field 1 "ada", repeated: 150 bytes
REPLY = bytes.fromhex("0a0568656c6c6f")  # field 1 "hello"
RECORD_KINDS = {"connection", "h2c-upgrade", "preface", "frame", "diagnostic", "grpc-message",
                "grpc-status", "summary"}
PACKET_FIELDS = ("time", "time_ns", "packet")


def _exchange() -> tuple[bytes, bytes]:
    """Two gRPC calls on one connection (the second reuses dynamic HPACK entries); the
    second request is split over two DATA frames."""
    client, server = hb.Peer(), hb.Peer()
    c1, s1 = hb.unary_exchange(REQUEST, REPLY, stream=1, client=client, server=server)
    c2, s2 = hb.unary_exchange(REPLY, REQUEST, stream=3, client=client, server=server,
                               preface=False, gzip_request=True)
    message = hb.grpc_message(REPLY, compress=True)
    head = c2[: -(9 + len(message))]  # without the DATA frame; re-cut into two frames
    assert c2[len(head):] == hb.frame(hb.DATA, hb.END_STREAM, 3, message)
    c2 = (head + hb.frame(hb.DATA, 0, 3, message[:7])
          + hb.frame(hb.DATA, hb.END_STREAM, 3, message[7:]))
    return c1 + c2, s1 + s2


CLIENT, SERVER = _exchange()


def h2_frames(capture: bytes, *args: str) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(app, ["h2-frames", "-f", "jsonl", *args, "-"], input=capture)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    for record in records:
        assert record["record"] in RECORD_KINDS, record
        if record["record"] == "diagnostic":
            assert record["severity"] in ("error", "warning", "info")
            assert isinstance(record["message"], str) and record["message"]
    return result.exit_code, records


def per_direction(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record["record"] not in ("connection", "summary"):
            out.setdefault(str(record.get("direction")), []).append(
                {k: v for k, v in record.items() if k not in PACKET_FIELDS})
    return out


def _pcap(packets: list[bytes]) -> bytes:
    return w.pcap([(1_700_000_000_000_000_000 + i * 1000, p) for i, p in enumerate(packets)])


def _segments(flow: w.Flow, sender: str, data: bytes, cuts: list[int], order: list[int],
              repeats: list[tuple[int, int]]) -> list[bytes]:
    """Packets carrying ``data`` cut at ``cuts``, sent in ``order``, plus retransmissions
    of pieces ``i..j`` (possibly coalescing several, overlapping what was sent)."""
    bounds = [0, *sorted(set(cuts)), len(data)]
    pieces = [(a, b) for a, b in itertools.pairwise(bounds) if b > a]
    base = flow.seq[sender]

    def packet(a: int, b: int) -> bytes:
        return flow.send(sender, data[a:b], seq=base + a)

    out = [packet(*pieces[i % len(pieces)]) for i in order]
    sent = {i % len(pieces) for i in order}
    out += [packet(*pieces[i]) for i in range(len(pieces)) if i not in sent]
    for i, j in repeats:
        first, last = sorted((i % len(pieces), j % len(pieces)))
        out.insert((i * 7 + j) % (len(out) + 1), packet(pieces[first][0], pieces[last][1]))
    flow.seq[sender] = base + len(data)
    return out


def _capture(client_plan: tuple[list[int], list[int], list[tuple[int, int]]],
             server_plan: tuple[list[int], list[int], list[tuple[int, int]]]) -> bytes:
    flow = w.Flow()
    packets = flow.handshake()
    # All the client's segments (in any order) before the server's: a server segment
    # acknowledges the whole request, which must not look like bytes the capture missed.
    packets += _segments(flow, "client", CLIENT, *client_plan)
    packets += _segments(flow, "server", SERVER, *server_plan)
    packets.append(flow.send("client", b"", flags=w.ACK))
    return _pcap(packets)


BASELINE = h2_frames(_capture(([], [0], []), ([], [0], [])))


def test_the_baseline_is_whole() -> None:
    code, records = BASELINE
    assert code == 0
    messages = [r for r in records if r["record"] == "grpc-message"]
    assert [(m["direction"], bytes.fromhex(m["data"])) for m in messages] == [
        ("client", REQUEST), ("client", REPLY), ("server", REPLY), ("server", REQUEST)]
    assert not [r for r in records if r["record"] == "diagnostic"]


def _plan(size: int) -> st.SearchStrategy[tuple[list[int], list[int], list[tuple[int, int]]]]:
    return st.tuples(
        st.lists(st.integers(1, size - 1), max_size=12),
        st.permutations(list(range(13))).map(lambda p: p[: len(p)]),
        st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=3),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(client_plan=_plan(len(CLIENT)), server_plan=_plan(len(SERVER)))
def test_segmentation_order_and_retransmission_change_nothing(
        client_plan: tuple[list[int], list[int], list[tuple[int, int]]],
        server_plan: tuple[list[int], list[int], list[tuple[int, int]]]) -> None:
    code, records = h2_frames(_capture(client_plan, server_plan))
    assert code == 0
    assert per_direction(records) == per_direction(BASELINE[1])


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=600), forced=st.booleans())
def test_any_bytes_as_a_capture_give_diagnostics_and_valid_jsonl(data: bytes,
                                                                 forced: bool) -> None:
    if forced and not looks_like_capture(data):
        # a forced -i capture on what is no capture is a usage error, as documented
        result = CliRunner().invoke(app, ["h2-frames", "-f", "jsonl", "-i", "capture", "-"],
                                    input=data)
        assert result.exit_code == 2 and "not a pcap or pcapng capture" in result.output
    else:
        h2_frames(data, *(["-i", "capture"] if forced else []))
    # behind a valid pcap header the reader goes on to records and packets
    h2_frames(w.pcap([]) + data, "-i", "capture")


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(client=st.one_of(st.binary(max_size=400), st.binary(max_size=400).map(
           lambda b: hb.PREFACE + b), st.binary(max_size=60).map(lambda b: CLIENT[:80] + b)),
       server=st.binary(max_size=400), cut=st.integers(1, 50), port=st.booleans())
def test_any_tcp_payload_gives_diagnostics_and_valid_jsonl(client: bytes, server: bytes,
                                                           cut: int, port: bool) -> None:
    flow = w.Flow()
    packets = flow.handshake()
    for start in range(0, max(len(client), len(server)), cut):
        if client[start:start + cut]:
            packets.append(flow.send("client", client[start:start + cut]))
        if server[start:start + cut]:
            packets.append(flow.send("server", server[start:start + cut]))
    _code, records = h2_frames(_pcap(packets), *(["--port", "8443"] if port else []))
    sizes = {"client": len(client), "server": len(server)}
    for record in records:
        if record["record"] in ("frame", "grpc-message", "grpc-status", "preface"):
            assert 0 <= record["offset"] < sizes[record["direction"]], record
