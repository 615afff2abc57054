"""h2-frames on captures: the real grpcio capture checked against what its generating
script sent and against tshark's dissection (committed JSON), and synthesized captures
for what real peers rarely produce. No tshark or tcpdump needed."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.capture import writer as w
from tests.grpc import h2build as hb
from wiretool.cli import app

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "grpc"
CAPTURE = SAMPLES / "demo.pcap"
SENT = json.loads((SAMPLES / "demo.sent.json").read_text())
TSHARK = json.loads((SAMPLES / "demo.tshark.json").read_text())


def run(*args: str, stdin: bytes | None = None) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(app, ["h2-frames", "-f", "jsonl", *args], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def capture_file(tmp_path: Path, data: bytes, name: str = "c.pcap") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


# -- the real capture --------------------------------------------------------------------


def test_every_grpc_message_is_what_the_script_sent() -> None:
    code, records = run(str(CAPTURE))
    assert code == 0
    messages = [r for r in records if r["record"] == "grpc-message"]
    # connection 1 runs the calls in order on streams 1, 3, 5...; connection 2 is the h2 client
    calls = {1: "Unary", 3: "ServerStream", 5: "ClientStream", 7: "Bidi", 9: "UnaryGzip",
             11: "Fail"}
    conns = sorted({m["connection"]["client"] for m in messages})
    got: dict[tuple[str, str], list[bytes]] = {}
    for m in messages:
        call = (calls[m["stream_id"]] if m["connection"]["client"] == conns[0]
                else "H2ClientStream" if m["direction"] == "client" else "ClientStream")
        got.setdefault((call, m["direction"]), []).append(bytes.fromhex(m["data"]))
    expected: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for sent in SENT["messages"]:
        if not sent.get("trailer"):
            expected.setdefault((sent["call"], sent["direction"]), []).append(sent)
    expected[("Fail", "server")] = [{"hex": ""}]  # grpcio sends an empty Reply before the error
    assert set(got) == set(expected)
    for key, sent_list in expected.items():
        assert len(got[key]) == len(sent_list), key
        for data, sent in zip(got[key], sent_list, strict=True):
            if "hex" in sent:
                assert data.hex() == sent["hex"], key
            else:
                assert (len(data), hashlib.sha256(data).hexdigest()) == (
                    sent["length"], sent["sha256"]), key


def test_compression_and_big_messages() -> None:
    _code, records = run(str(CAPTURE))
    gz = [r for r in records if r["record"] == "grpc-message" and r["compressed"]]
    assert {r["direction"] for r in gz} == {"client", "server"}
    assert all(r["encoding"] == "gzip" and r["length"] < len(r["data"]) // 2 for r in gz)
    big = [r for r in records if r["record"] == "grpc-message" and r["length"] > 16384]
    assert big and not big[0]["compressed"]
    # tshark found the same message lengths (compressed ones as sent)
    lengths = sorted(r["length"] for r in records if r["record"] == "grpc-message")
    assert lengths == sorted(m["length"] for m in TSHARK["grpc_messages"])


def test_messages_split_across_data_frames() -> None:
    _code, records = run(str(CAPTURE))
    h2_conn = [r for r in records if r["record"] in ("frame", "grpc-message")
               and r.get("connection", {}).get("client") == max(
                   r2["connection"]["client"] for r2 in records if r2["record"] == "connection")]
    assert h2_conn == []  # connection 3 (HTTP/1.1) yields no frames
    second = sorted({r["connection"]["client"] for r in records
                     if r["record"] == "grpc-message"})[1]
    data_frames = [r for r in records if r["record"] == "frame" and r["type_name"] == "DATA"
                   and r["direction"] == "client" and r["connection"]["client"] == second]
    assert len(data_frames) == 6  # 5 pieces cut at odd places + the empty END_STREAM frame
    msgs = [r for r in records if r["record"] == "grpc-message" and r["direction"] == "client"
            and r["connection"]["client"] == second]
    assert [m["length"] for m in msgs] == [11, 48, 15]
    assert msgs[0]["offset"] < msgs[0]["frame_offset"]  # it started in an earlier frame


def test_frames_and_headers_agree_with_tshark() -> None:
    _code, records = run(str(CAPTURE))
    connections = [r for r in records if r["record"] == "connection"]
    assert [c["http2"] for c in connections] == [True, True, False]
    assert connections[2]["reason"] == "HTTP/1.x without an h2c upgrade"
    server_port = 47113
    for index, conn in enumerate(connections[:2]):
        client = conn["connection"]["client"]
        ours = [(r["direction"], r["stream_id"], r["type"], r["flags"], r["length"])
                for r in records if r["record"] == "frame" and r["connection"]["client"] == client]
        theirs = [("server" if f["sender_port"] == server_port else "client", f["stream_id"],
                   f["type"], f["flags"], f["length"])
                  for f in TSHARK["frames"] if f["tcp_stream"] == index]
        for direction in ("client", "server"):
            assert [o for o in ours if o[0] == direction] == [t for t in theirs
                                                              if t[0] == direction]
        our_headers = [[[h["name"], h["value"]] for h in r["headers"]] for r in records
                       if r["record"] == "frame" and r.get("headers")
                       and r["connection"]["client"] == client]
        their_headers = [f["headers"] for f in TSHARK["frames"]
                         if f["tcp_stream"] == index and "headers" in f]
        assert len(our_headers) == len(their_headers)
        for ours_h, theirs_h in zip(our_headers, their_headers, strict=True):
            # tshark shows binary values as text; compare names, and values that are text
            assert [n for n, _v in ours_h] == [n for n, _v in theirs_h]
            assert [v for n, v in ours_h if not n.endswith("-bin")] == [
                v for n, v in theirs_h if not n.endswith("-bin")]


def test_trailers_status_and_rpc_status_details() -> None:
    _code, records = run("--proto", str(SAMPLES / "demo.proto"), str(CAPTURE))
    statuses = [r for r in records if r["record"] == "grpc-status"]
    assert [s["name"] for s in statuses] == ["OK"] * 5 + ["INVALID_ARGUMENT", "OK"]
    fail = statuses[5]
    assert fail["code"] == 3 and fail["message"] == "name must not be empty: 100% wrong ✗"
    sent = next(m for m in SENT["messages"] if m.get("trailer"))
    assert fail["details"]["data"] == sent["hex"]
    fields = fail["details"]["fields"]
    assert [f["name"] for f in fields] == ["code", "message", "details"]
    assert [f["name"] for f in fields[2]["fields"]] == ["type_url", "value"]
    assert fields[2]["fields"][0]["value"] == "type.googleapis.com/wiretool.demo.ErrorDetail"


def test_schema_from_path_names_request_and_response() -> None:
    _code, records = run("--proto", str(SAMPLES / "demo.proto"), str(CAPTURE))
    unary = [r for r in records if r["record"] == "grpc-message" and r["stream_id"] == 1
             and r["path"] == "/wiretool.demo.Demo/Unary"]
    request = next(r for r in unary if r["direction"] == "client")
    reply = next(r for r in unary if r["direction"] == "server")
    assert request["type"] == "wiretool.demo.Request" and reply["type"] == "wiretool.demo.Reply"
    assert [f["name"] for f in request["fields"]] == ["name", "point", "tags"]
    assert request["fields"][1]["fields"][1]["display"] == -4  # sint? no: int32 -4
    assert [f["name"] for f in reply["fields"]] == ["message", "id", "score"]
    assert request["connection"] == {"number": 1, "client": request["connection"]["client"],
                                     "server": "127.0.0.1:47113"}
    assert isinstance(request["time"], float) and request["packet"] > 0


def test_summary_and_table_views() -> None:
    result = CliRunner().invoke(app, ["h2-frames", "-f", "table", "--summary", str(CAPTURE)],
                                env={"COLUMNS": "120"})
    assert result.exit_code == 0
    out = result.stdout
    assert "INVALID_ARGUMENT" in out and "/wiretool.demo.Demo/ServerStream" in out
    assert "not HTTP/2: HTTP/1.x without an h2c upgrade; skipped" in out
    result = CliRunner().invoke(app, ["h2-frames", "-f", "table", "--proto",
                                      str(SAMPLES / "demo.proto"), str(CAPTURE)],
                                env={"COLUMNS": "120"})
    assert result.exit_code == 0
    assert "gRPC message 1 → /wiretool.demo.Demo/Unary, 26 bytes, wiretool.demo.Request" in (
        result.stdout)
    assert "gRPC status 3 INVALID_ARGUMENT: name must not be empty" in result.stdout


def test_installed_entry_point_on_the_capture() -> None:
    proc = subprocess.run([sys.executable, "-m", "wiretool", "h2-frames", "-f", "jsonl",
                           "--summary", str(CAPTURE)], capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    summaries = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [s["http2"] for s in summaries if s["record"] == "summary"] == [True, True, False]


# -- synthesized captures ----------------------------------------------------------------


def _flow_packets(flow: w.Flow, client: bytes, server: bytes, *, pieces: int = 3,
                  handshake: bool = True) -> list[bytes]:
    out = flow.handshake() if handshake else []
    step_c, step_s = max(len(client) // pieces, 1), max(len(server) // pieces, 1)
    for i in range(pieces):
        last = i == pieces - 1
        c = client[i * step_c:] if last else client[i * step_c:(i + 1) * step_c]
        s = server[i * step_s:] if last else server[i * step_s:(i + 1) * step_s]
        if c:
            out.append(flow.send("client", c))
        if s:
            out.append(flow.send("server", s))
    return out


def _pcap(packets: list[bytes], **kwargs: Any) -> bytes:
    return w.pcap([(1_700_000_000_000_000_000 + i * 1000, p) for i, p in enumerate(packets)],
                  **kwargs)


REQUEST = bytes.fromhex("0a03616461")   # field 1 "ada"
REPLY = bytes.fromhex("0a0568656c6c6f")  # field 1 "hello"


def _messages(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((r["direction"], r["data"]) for r in records if r["record"] == "grpc-message")


def test_ipv6_gzip_request_and_percent_decoded_message(tmp_path: Path) -> None:
    c, s = hb.unary_exchange(REQUEST, REPLY, gzip_request=True)
    flow = w.Flow(("2001:db8::1", 40000), ("2001:db8::2", 9999))
    code, records = run(capture_file(tmp_path, _pcap(_flow_packets(flow, c, s))))
    assert code == 0
    assert _messages(records) == [("client", REQUEST.hex()), ("server", REPLY.hex())]
    assert records[0]["connection"] == {"number": 1, "client": "[2001:db8::1]:40000",
                                        "server": "[2001:db8::2]:9999"}
    status = next(r for r in records if r["record"] == "grpc-status")
    assert (status["name"], status["message"]) == ("OK", "all good")


@pytest.mark.parametrize("wrap", ["sll", "vlan"])
def test_linux_cooked_and_vlan(tmp_path: Path, wrap: str) -> None:
    c, s = hb.unary_exchange(REQUEST, REPLY)
    flow = w.Flow(wrap="raw")
    packets = _flow_packets(flow, c, s)
    if wrap == "sll":
        data = _pcap([w.sll(p) for p in packets], linktype=113)
    else:
        data = _pcap([w.ethernet(p, vlans=[(0x8100, 42)]) for p in packets])
    code, records = run(capture_file(tmp_path, data))
    assert code == 0 and _messages(records) == [("client", REQUEST.hex()),
                                                ("server", REPLY.hex())]


def test_pcapng_with_two_interfaces(tmp_path: Path) -> None:
    c, s = hb.unary_exchange(REQUEST, REPLY)
    flow = w.Flow(wrap="raw")
    packets = _flow_packets(flow, c, s)
    blocks = w.pcapng_shb() + w.pcapng_idb(1) + w.pcapng_idb(101, tsresol=9)
    for i, p in enumerate(packets):  # alternate Ethernet (if 0, µs) and raw IP (if 1, ns)
        blocks += (w.pcapng_epb(0, 1_700_000_000_000_000 + i, w.ethernet(p)) if i % 2 == 0
                   else w.pcapng_epb(1, 1_700_000_000_000_000_000 + i * 1000, p))
    code, records = run(capture_file(tmp_path, blocks, "c.pcapng"))
    assert code == 0 and len(_messages(records)) == 2
    assert all(1.6e9 < r["time"] < 1.8e9 for r in records if r.get("time"))


def test_out_of_order_and_retransmitted_segments_change_nothing(tmp_path: Path) -> None:
    c, s = hb.unary_exchange(REQUEST, REPLY)
    in_order = _flow_packets(w.Flow(), c, s, pieces=4)
    shuffled = [*in_order[:3], in_order[4], in_order[3], *in_order[5:], in_order[5]]
    _code, expected = run(capture_file(tmp_path, _pcap(in_order), "a.pcap"))
    code, got = run(capture_file(tmp_path, _pcap(shuffled), "b.pcap"))
    assert code == 0
    strip = ("time", "time_ns", "packet")

    def per_direction(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            if r["record"] != "connection":
                out.setdefault(str(r.get("direction")), []).append(
                    {k: v for k, v in r.items() if k not in strip})
        return out

    assert per_direction(got) == per_direction(expected)


def test_lost_segment_is_reported_and_reading_resynchronises(tmp_path: Path) -> None:
    client, server = hb.Peer(), hb.Peer()
    c1, s1 = hb.unary_exchange(REQUEST, REPLY, stream=1, client=client, server=server)
    c2, s2 = hb.unary_exchange(REQUEST + b"\x10\x01", REPLY, stream=3, client=client,
                               server=server, preface=False)
    flow = w.Flow()
    packets = flow.handshake()
    packets.append(flow.send("client", c1))
    packets.append(flow.send("server", s1))
    lost = flow.send("server", s2[:20])  # never written: the middle of the 2nd response
    assert lost
    packets.append(flow.send("server", s2[20:]))
    packets.append(flow.send("client", c2))
    packets.append(flow.send("client", b"", flags=w.ACK))
    code, records = run(capture_file(tmp_path, _pcap(packets)))
    assert code == 1  # a gap is an error
    gap = next(r for r in records if r["record"] == "diagnostic" and "missing" in r["message"])
    assert gap["direction"] == "server" and gap["packet"] is not None
    assert "resynchronising" in gap["message"]
    # the client's second call is intact; the server's DATA after the gap is found again
    assert ("client", (REQUEST + b"\x10\x01").hex()) in _messages(records)
    after = [r for r in records if r["record"] == "frame" and r["direction"] == "server"
             and r["stream_id"] == 3]
    assert after and all(r["offset"] >= len(s1) + 20 for r in after)
    # HPACK after the gap: the server's trailers refer to a dynamic entry ("grpc-status")
    # inserted before the gap, which is now honestly unknown
    unknown = [h for r in after for h in r.get("headers", []) if h.get("unknown_entry")]
    assert unknown and all(h["name"] is None for h in unknown)


def test_capture_starting_mid_connection(tmp_path: Path) -> None:
    client, server = hb.Peer(), hb.Peer()
    hb.unary_exchange(REQUEST, REPLY, stream=1, client=client, server=server)  # not captured
    c, s = hb.unary_exchange(REQUEST, REPLY, stream=3, client=client, server=server,
                             preface=False)
    flow = w.Flow(("10.0.0.1", 40000), ("10.0.0.2", 8443))
    packets = _flow_packets(flow, c, s, pieces=1, handshake=False)
    code, records = run(capture_file(tmp_path, _pcap(packets)))
    start = next(r for r in records if r["record"] == "connection")
    assert start["http2"] and start["evidence"] == "frames"
    assert code == 0
    # the header blocks reuse dynamic entries from the call that was not captured
    assert any(h.get("unknown_entry") for r in records for h in r.get("headers", []))


def test_port_forces_a_capture_starting_inside_a_frame(tmp_path: Path) -> None:
    c, s = hb.unary_exchange(REQUEST, REPLY)
    flow = w.Flow(("10.0.0.1", 40000), ("10.0.0.2", 8443))
    packets = _flow_packets(flow, c[30:], s[5:], pieces=1, handshake=False)
    path = capture_file(tmp_path, _pcap(packets))
    # the runs of frames a few bytes in are found without help (issue 16)
    _code, records = run(path)
    start = next(r for r in records if r["record"] == "connection")
    assert start["http2"] and start["evidence"] == "frames"
    # one DATA frame after a cut one is no evidence: --port reads it anyway
    last = hb.frame(hb.DATA, hb.END_STREAM, 1, hb.grpc_message(REQUEST))
    flow = w.Flow(("10.0.0.1", 40000), ("10.0.0.2", 8443))
    packets = _flow_packets(flow, b"\x01\x02\x03" + last, b"", pieces=1, handshake=False)
    path = capture_file(tmp_path, _pcap(packets))
    _code, records = run(path)
    start = next(r for r in records if r["record"] == "connection")
    assert not start["http2"] and start["reason"].endswith("; --port 8443 reads it as HTTP/2")
    _code, records = run("--port", "8443", path)
    start = next(r for r in records if r["record"] == "connection")
    assert start["http2"] and start["evidence"] == "port"
    assert any(r["record"] == "frame" and r["type_name"] == "DATA" for r in records)


def test_h2c_upgrade(tmp_path: Path) -> None:
    import base64

    settings = bytes.fromhex("000300000064")  # MAX_CONCURRENT_STREAMS = 100
    request = (b"GET /up HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
               b"Upgrade: h2c\r\nHTTP2-Settings: " + base64.urlsafe_b64encode(settings)
               .rstrip(b"=") + b"\r\n\r\n")
    response = b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
    peer = hb.Peer()
    c = request + hb.PREFACE + hb.frame(hb.SETTINGS, 0, 0, b"")
    s = (response + hb.frame(hb.SETTINGS, 0, 0, b"")
         + peer.headers(1, [(":status", "200")]) + hb.frame(hb.DATA, hb.END_STREAM, 1, b"hi"))
    code, records = run(capture_file(tmp_path, _pcap(_flow_packets(w.Flow(), c, s))))
    assert code == 0
    upgrade = next(r for r in records if r["record"] == "h2c-upgrade")
    assert (upgrade["method"], upgrade["path"]) == ("GET", "/up")
    assert upgrade["settings"][0]["name"] == "MAX_CONCURRENT_STREAMS"
    first = next(r for r in records if r["record"] == "frame" and r["direction"] == "server")
    assert first["offset"] == len(response)


def test_corrupt_and_truncated_captures_exit_1_without_traceback(tmp_path: Path) -> None:
    data = CAPTURE.read_bytes()
    for name, broken in (("truncated", data[: len(data) // 2]),
                         ("bad-length", data[:32] + b"\xff\xff\xff\x7f" + data[36:])):
        result = CliRunner().invoke(app, ["h2-frames", "-f", "jsonl",
                                          capture_file(tmp_path, broken, name + ".pcap")])
        assert result.exit_code == 1, name
        assert result.exception is None or isinstance(result.exception, SystemExit)
        records = [json.loads(x) for x in result.stdout.splitlines()]
        assert any(r["record"] == "diagnostic" and r["severity"] == "error" for r in records)


def test_garbage_payload_on_forced_port(tmp_path: Path) -> None:
    flow = w.Flow()
    packets = [*flow.handshake(), flow.send("client", bytes(range(256)) * 4),
               flow.send("server", b"\xff" * 300)]
    code, records = run("--port", "8443", capture_file(tmp_path, _pcap(packets)))
    assert code == 1
    assert any("no plausible frame header" in r.get("message", "") for r in records)
