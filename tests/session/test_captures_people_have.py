"""The captures people actually have (issue 16): CONNECT tunnels, h2c upgrades with a
side missing, one side only, late starts, lost segments, trailers whose grpc-status
is an HPACK entry from before the capture, frames cut by the end of the capture,
packets after a RST and reused ports, tunnels in the connection records.

The real and loopback captures are those of ``tests/capture/data`` (see the README of
each folder and ``data/loopback/make_captures.py``); the small synthesized ones are
written here with ``tests/capture/writer.py`` around bytes built by
``tests/grpc/h2build.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.capture import writer as w
from tests.capture.cases import tunnel_capture
from tests.capture.h2_cases import DATA
from tests.grpc import h2build as hb
from wiretool.capture.model import CaptureDiagnostic
from wiretool.cli import app
from wiretool.direction import Direction
from wiretool.errors import Severity
from wiretool.grpc.messages import GrpcMessage, GrpcStatus
from wiretool.http2.connection import GapDiagnostic
from wiretool.http2.frames import Frame, Preface
from wiretool.session import (
    ConnectionEnd,
    ConnectionStart,
    H2cUpgrade,
    Located,
    SessionRecord,
    decode_h2,
    record_diagnostics,
)
from wiretool.tls.model import TlsDiagnostic

LOOPBACK = DATA / "loopback"
REQUEST = bytes.fromhex("0a03616461")   # field 1 "ada"
REPLY = bytes.fromhex("0a0568656c6c6f")  # field 1 "hello"


def records_of(source: Path | bytes) -> list[SessionRecord]:
    with decode_h2(source) as decoding:
        return list(decoding)


def starts(records: list[SessionRecord]) -> list[ConnectionStart]:
    return [r for r in records if isinstance(r, ConnectionStart)]


def located(records: list[SessionRecord], kind: type, **where: Any) -> list[Located]:
    """The located records of ``kind`` whose connection matches ``where``."""
    return [r for r in records if isinstance(r, Located) and isinstance(r.record, kind)
            and all(getattr(r.conn, key) == value for key, value in where.items())]


def h2_frames(path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["h2-frames", *args, str(path)],
                                env={"COLUMNS": "160"})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout


def jsonl(path: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    code, text = h2_frames(path, "-f", "jsonl", *args)
    return code, [json.loads(line) for line in text.splitlines()]


def capture(tmp_path: Path, packets: list[bytes], name: str = "c.pcap") -> Path:
    path = tmp_path / name
    path.write_bytes(w.pcap([(1_700_000_000_000_000_000 + i * 1000, p)
                             for i, p in enumerate(packets)]))
    return path


# -- CONNECT tunnels ---------------------------------------------------------------------

def test_h2c_inside_connect_is_its_own_connection_with_the_direct_connection_frames() -> None:
    """connect-h2c.pcap: curl through a CONNECT proxy to nghttpd; the proxy's own
    connection to nghttpd carries the very bytes of the tunnel: the same frames, at the
    same offsets once the CONNECT heads are taken off."""
    records = records_of(LOOPBACK / "connect-h2c.pcap")
    verdicts = [(s.conn.conn_id, s.http2, s.tunnel is not None, s.conn.inside is not None)
                for s in starts(records)]
    assert verdicts == [(1, False, True, False), (1, True, False, True), (2, True, False, False),
                        (3, False, True, False), (3, True, False, True), (4, True, False, False)]
    for outer, direct in ((1, 2), (3, 4)):
        carrier = next(s for s in starts(records) if s.conn.conn_id == outer and s.tunnel)
        tunnel = carrier.tunnel
        assert tunnel is not None
        assert (str(tunnel), tunnel.status) == ("CONNECT 127.0.0.1:31281", 200)
        assert carrier.reason == "HTTP/1.1 CONNECT 127.0.0.1:31281 answered 200"
        inside = located(records, Frame, conn_id=outer)
        plain = located(records, Frame, conn_id=direct)
        assert inside and all(r.conn.inside == tunnel for r in inside)
        shift = {"client": tunnel.client_start, "server": tunnel.server_start}

        def key(item: Located, base: dict[str, int]) -> tuple[object, ...]:
            frame = item.record
            return (frame.direction, frame.offset - base[frame.direction], frame.type,
                    frame.flags, frame.stream_id, frame.length)

        for side in ("client", "server"):  # each direction in order (they interleave apart)
            assert [key(r, shift) for r in inside if r.record.direction == side] == [
                key(r, {"client": 0, "server": 0}) for r in plain if r.record.direction == side]
    ends = [(r.conn.conn_id, r.http2, r.client_bytes, r.tunnel is not None)
            for r in records if isinstance(r, ConnectionEnd)]
    # the inside ends first; its byte counts leave the CONNECT heads out
    assert ends[:2] == [(1, True, 122, False), (1, False, 236, True)]


def test_grpc_through_a_proxy_decodes_the_messages_inside_the_tunnel() -> None:
    """connect-grpc.pcap: grpcio with grpc.http_proxy tunnels with CONNECT, as grpc-node
    did in suricata-verify's http2-errorcode: the calls' messages inside the tunnel."""
    records = records_of(LOOPBACK / "connect-grpc.pcap")
    messages = [(r.record.direction, r.record.path, r.record.data)
                for r in located(records, GrpcMessage, conn_id=1)]
    request = bytes.fromhex("0a03616461")
    assert messages == [
        ("client", "/wiretool.demo.Demo/Unary", request),
        ("server", "/wiretool.demo.Demo/Unary", b"\x0a\x05hello"),
        ("client", "/wiretool.demo.Demo/ServerStream", request),
        *[("server", "/wiretool.demo.Demo/ServerStream", b"\x0a\x07reply " + str(i).encode())
          for i in range(3)]]
    assert messages == [(r.record.direction, r.record.path, r.record.data)
                        for r in located(records, GrpcMessage, conn_id=2)]


def test_the_records_of_a_tunnel_in_jsonl_and_in_the_table() -> None:
    path = DATA / "suricata-verify" / "http2-errorcode__input.pcap"
    code, lines = jsonl(path)
    assert code == 0
    carrier, inner = [line for line in lines if line["record"] == "connection"][:2]
    assert carrier["connection"] == {"number": 1, "client": "127.0.0.1:63577",
                                     "server": "127.0.0.1:8888"}
    assert carrier["tunnel"] == {"method": "CONNECT", "target": "127.0.0.1:6233",
                                 "status": 200, "client_offset": 81, "server_offset": 38}
    assert carrier["http2"] is False and carrier["path"] == "ipv4"
    assert inner["connection"]["inside"] == "CONNECT 127.0.0.1:6233"
    assert (inner["http2"], inner["evidence"], "tunnel" in inner) == (True, "preface", False)
    messages = [line for line in lines if line["record"] == "grpc-message"
                and line["connection"].get("inside")]
    assert [(m["direction"], m["data"]) for m in messages] == [
        ("client", "0a05776f726c64"), ("server", "0a0c48656c6c6f2c20776f726c64")]
    _code, table = h2_frames(path, "-f", "table")
    assert ("connection 1: 127.0.0.1:63577 → 127.0.0.1:8888  HTTP/1.1 CONNECT 127.0.0.1:6233 "
            "answered 200: a tunnel, read as the connection inside it") in table
    assert ("connection 1: 127.0.0.1:63577 → 127.0.0.1:8888, inside CONNECT 127.0.0.1:6233  "
            "HTTP/2 (client connection preface)") in table
    _code, summary = h2_frames(path, "-f", "table", "--summary")
    assert "inside CONNECT 127.0.0.1:6233  HTTP/2 (preface); rst; 212 bytes →" in summary


def test_tls_inside_a_tunnel_goes_through_the_same_detection() -> None:
    """openssl s_client through a CONNECT proxy: the capture holds the client's leg (the
    tunnel) and the proxy's leg to the server (the same TLS bytes, without the CONNECT).
    The tunnel's inside is read by the TLS stage as the direct leg is, and its TLS
    offsets are in the carrier's TCP stream: the direct leg's, plus where the tunnel
    starts."""
    records = records_of(LOOPBACK / "connect-tls.pcap")
    carrier, direct, inner = starts(records)
    assert carrier.tunnel is not None and carrier.conn.tls is None
    assert (inner.conn.inside, inner.conn.conn_id) == (carrier.tunnel, carrier.conn.conn_id)
    for start in (inner, direct):
        assert not start.http2 and start.reason == "not decrypted: no key"
        assert start.conn.tls is not None and start.conn.tls.version == "TLS 1.3"
    assert inner.conn.tls == direct.conn.tls  # the same handshake, relayed
    (in_tunnel,) = [r.record for r in located(records, TlsDiagnostic) if r.conn.inside]
    (on_leg,) = [r.record for r in located(records, TlsDiagnostic) if not r.conn.inside]
    assert in_tunnel.direction is on_leg.direction is Direction.SERVER
    assert in_tunnel.offset == on_leg.offset + carrier.tunnel.server_start


def test_a_refused_connect_is_no_tunnel() -> None:
    (start,) = starts(records_of(LOOPBACK / "connect-declined.pcap"))
    assert (start.http2, start.tunnel, start.reason) == (
        False, None, "HTTP/1.1 CONNECT 127.0.0.1:31284 answered 407")


# -- h2c upgrades with a side missing ------------------------------------------------------

def test_the_101_before_the_server_settings_is_not_read_as_a_frame() -> None:
    """drop-protocol-change (suricata-verify): the request was lost, the 101 was kept. The
    101 used to be read as a 4.7 MB frame and the real response was lost."""
    records = records_of(DATA / "suricata-verify" / "drop-protocol-change__input.pcap")
    assert starts(records)[0].evidence == "h2c-upgrade"
    server = [r.record for r in located(records, Frame) if r.record.direction == "server"]
    assert [(f.offset, f.type_name, f.length) for f in server] == [
        (71, "SETTINGS", 18), (98, "HEADERS", 196), (303, "DATA", 62)]
    assert max(f.length for f in server) < 16384
    assert not located(records, H2cUpgrade)  # no request to show


def test_without_the_upgrade_request_http2_starts_at_the_preface_and_after_the_101() -> None:
    records = records_of(LOOPBACK / "h2c-no-request.pcap")
    (start,) = starts(records)
    assert (start.evidence, start.http2) == ("preface", True)
    assert "101 Switching Protocols to h2c comes first" in start.reason
    preface = located(records, Preface)[0].record
    assert preface.offset == 181  # after the 181 bytes of the lost request
    first = next(r.record for r in located(records, Frame) if r.record.direction == "server")
    assert (first.offset, first.type_name) == (71, "SETTINGS")  # after the 101
    lost = [r for r in records if isinstance(r, CaptureDiagnostic) and r.conn_id == 1]
    assert ["181 bytes missing at stream offset 0" in d.message for d in lost] == [True]


def test_without_the_101_the_request_and_the_preface_are_the_evidence() -> None:
    records = records_of(LOOPBACK / "h2c-no-101.pcap")
    (start,) = starts(records)
    assert start.evidence == "h2c-upgrade"
    assert start.reason == ("HTTP/1.1 upgrade to h2c, then the client preface (the 101 "
                            "response is not in the capture)")
    (upgrade,) = located(records, H2cUpgrade)
    assert (upgrade.record.method, upgrade.record.path) == ("GET", "/hello.txt")
    response = [r.record for r in located(records, Frame) if r.record.direction == "server"]
    assert [(f.offset, f.type_name) for f in response][:3] == [
        (71, "SETTINGS"), (122, "HEADERS"), (145, "DATA")]


def test_only_the_server_side_of_an_upgrade() -> None:
    records = records_of(LOOPBACK / "h2c-server-only.pcap")
    (start,) = starts(records)
    assert start.evidence == "h2c-upgrade"  # decided before the client could say anything
    end = next(r for r in records if isinstance(r, ConnectionEnd))
    assert (end.client_bytes, end.server_bytes) == (0, 187)
    _code, table = h2_frames(LOOPBACK / "h2c-server-only.pcap", "-f", "table")
    assert "; no bytes from the client in the capture" in table


# -- one side, late start ------------------------------------------------------------------

def test_one_direction_of_a_grpc_stream_is_decoded_and_the_other_side_is_named() -> None:
    server = records_of(LOOPBACK / "grpc-server-side.pcapng")
    (start,) = starts(server)
    assert (start.evidence, start.http2) == ("server-settings", True)
    assert start.reason.endswith("no bytes from the client in the capture")
    replies = [r.record for r in located(server, GrpcMessage)]
    assert [m.direction for m in replies] == ["server"] * 10
    client = records_of(LOOPBACK / "grpc-client-side.pcapng")
    assert starts(client)[0].evidence == "preface"
    assert [m.record.path for m in located(client, GrpcMessage)] == [
        "/greet.GreetService/GreetManyTimes"]
    _code, summary = h2_frames(LOOPBACK / "grpc-client-side.pcapng", "--summary", "-f",
                               "table")
    assert "no bytes from the server in the capture" in summary


def test_a_run_of_frames_from_one_side_is_http2_and_the_status_is_known() -> None:
    records = records_of(LOOPBACK / "grpc-server-side-late.pcapng")
    (start,) = starts(records)
    assert (start.evidence, start.reason) == (
        "frames", "the server's bytes parse as HTTP/2 frames (its first header block is a "
        "response); no bytes from the client in the capture")
    (status,) = [r.record for r in located(records, GrpcStatus)]
    assert (status.code, status.name) == (0, "OK")


def test_a_capture_that_starts_inside_frames_is_found_and_resynchronised(tmp_path: Path
                                                                         ) -> None:
    """The demo's grpcio connection cut in 700-byte segments, without its handshake and
    first segments: each direction begins inside a frame."""
    c, s = hb.unary_exchange(REQUEST * 200, REPLY * 200)
    c2, s2 = hb.unary_exchange(REQUEST, REPLY, stream=3, preface=False)
    client, server = c + c2, s + s2
    flow = w.Flow()
    packets = []
    for at in range(0, max(len(client), len(server)), 700):
        for sender, data in (("client", client), ("server", server)):
            piece = data[at:at + 700]
            if piece:
                packets.append(flow.send(sender, piece))
    late = packets[2:]  # no handshake; both sides start inside their HEADERS or DATA
    records = records_of(capture(tmp_path, late))
    (start,) = starts(records)
    assert (start.http2, start.evidence) == (True, "frames")
    messages = [(m.record.direction, m.record.stream_id) for m in located(records, GrpcMessage)]
    assert ("client", 3) in messages and ("server", 3) in messages


# -- lost segments -----------------------------------------------------------------------------

def test_complete_frames_after_a_resynchronisation_point_are_decoded() -> None:
    """packt's Client_Streaming without the client's three 17-byte PINGs: each lost
    PING is followed by one complete DATA frame, which ends at the next gap. They used
    to be dropped as incomplete, with their gRPC messages."""
    records = records_of(LOOPBACK / "client-streaming-lost-pings.pcapng")
    messages = [r.record.data for r in located(records, GrpcMessage)
                if r.record.direction == "client"]
    assert messages == [b"\x0a\x07Clement", b"\x0a\x05Marie", b"\x0a\x04Test"]
    gaps = [r for r in records if isinstance(r, Located) and isinstance(r.record, GapDiagnostic)]
    assert [(g.record.offset, g.record.length) for g in gaps] == [(148, 17), (186, 17),
                                                                  (223, 17)]
    data = [(r.packet_number, r.record.offset) for r in located(records, Frame)
            if r.record.type_name == "DATA" and r.record.direction == "client"]
    # each keeps the packet it came in, not the one that made the next gap certain
    assert data == [(17, 125), (22, 165), (27, 203), (36, 240)]
    assert not any(d.severity is Severity.ERROR and "incomplete frame" in d.message
                   for r in records if isinstance(r, Located)
                   for d in record_diagnostics(r.record))


# -- trailers from before the capture, frames cut by its end --------------------------------

def _mid_connection_trailers() -> tuple[bytes, bytes, bytes, bytes]:
    """Two calls on one connection; the server's encoder sends the second call's
    response headers and trailers as indexes into its dynamic table (they repeat the
    first call's). The second request is written by a fresh encoder (literals), so its
    content-type says gRPC even to a capture that missed the first call."""
    server = hb.Peer()
    c1, s1 = hb.unary_exchange(REQUEST, REPLY, stream=1, client=hb.Peer(), server=server)
    c2, s2 = hb.unary_exchange(REQUEST, REPLY, stream=3, client=hb.Peer(), server=server,
                               preface=False)
    return c1, s1, c2, s2


def test_grpc_status_from_before_the_capture_is_unknown_not_missing(tmp_path: Path) -> None:
    c1, s1, c2, s2 = _mid_connection_trailers()
    flow = w.Flow()
    flow.seq = {"client": 1000 + len(c1), "server": 5000 + len(s1)}  # the first call unseen
    path = capture(tmp_path, [flow.send("client", c2), flow.send("server", s2),
                              flow.send("client", b"", flags=w.ACK)])
    records = records_of(path)
    (status,) = [r.record for r in located(records, GrpcStatus)]
    assert (status.code, status.code_unknown) == (None, "HPACK entry from before the capture")
    assert not status.diagnostics  # no "trailers without grpc-status"
    code, lines = jsonl(path)
    assert code == 0
    (line,) = [x for x in lines if x["record"] == "grpc-status"]
    assert (line["code"], line["code_unknown"]) == (None, "HPACK entry from before the capture")
    _code, table = h2_frames(path, "-f", "table")
    assert "gRPC status unknown (HPACK entry from before the capture)" in table
    # trailers whose every field is known and that lack grpc-status: still an error
    client, server = hb.Peer(), hb.Peer()
    c = hb.PREFACE + hb.frame(hb.SETTINGS, 0, 0, b"") + client.headers(1, [
        (":method", "POST"), (":scheme", "http"), (":path", "/wiretool.demo.Demo/Unary"),
        (":authority", "x"), ("content-type", "application/grpc")]) + hb.frame(
        hb.DATA, hb.END_STREAM, 1, hb.grpc_message(REQUEST))
    s = hb.frame(hb.SETTINGS, 0, 0, b"") + server.headers(1, [
        (":status", "200"), ("content-type", "application/grpc")]) + server.headers(
        1, [("grpc-message", "no status")], end=True)
    flow = w.Flow()
    missing = records_of(capture(tmp_path, [*flow.handshake(), flow.send("client", c),
                                            flow.send("server", s)], "missing.pcap"))
    (status,) = [r.record for r in located(missing, GrpcStatus)]
    assert (status.code, status.code_unknown) == (None, None)
    assert [d.message for d in status.diagnostics] == [
        "stream 1: trailers without grpc-status (PROTOCOL-HTTP2.md, Trailers)"]


def test_a_frame_cut_by_the_end_of_the_capture_is_a_warning_with_its_first_packet(
        tmp_path: Path) -> None:
    c, s = hb.unary_exchange(REQUEST * 100, REPLY)
    flow = w.Flow()
    cut = len(c) - 200  # inside the DATA frame of 500 + 5 bytes
    packets = [*flow.handshake(), flow.send("client", c[:cut - 300]),
               flow.send("client", c[cut - 300:cut]), flow.send("server", s)]
    path = capture(tmp_path, packets)
    records = records_of(path)
    (frame,) = [r for r in located(records, Frame) if r.record.truncated]
    assert frame.packet_number == 4  # where its first byte was, not the end (or packet 5)
    (warning,) = frame.record.diagnostics
    assert warning.severity is Severity.WARNING
    assert "the capture stops after" in warning.message
    code, _lines = jsonl(path)
    assert code == 0
    # the connection closed with both FINs around a cut frame: the frame is malformed
    closed = [*packets, flow.send("client", flags=w.FIN | w.ACK),
              flow.send("server", flags=w.FIN | w.ACK), flow.send("client", flags=w.ACK)]
    code, lines = jsonl(capture(tmp_path, closed, "fin.pcap"))
    assert code == 1
    assert any(x["record"] == "diagnostic" and "runs past the end of the input" in x["message"]
               for x in lines)


# -- after a RST, reused ports ---------------------------------------------------------------

def test_packets_after_a_reset_make_no_phantom_connection(tmp_path: Path) -> None:
    c, s = hb.unary_exchange(REQUEST, REPLY)
    flow = w.Flow()
    packets = [*flow.handshake(), flow.send("client", c), flow.send("server", s),
               flow.send("client", flags=w.RST | w.ACK),
               flow.send("server", b"late bytes after the reset"),
               flow.send("client", flags=w.ACK)]
    records = records_of(capture(tmp_path, packets))
    assert [(x.conn.conn_id, x.http2) for x in starts(records)] == [(1, True)]
    late = [r for r in records if isinstance(r, CaptureDiagnostic)]
    assert ["after the connection closed (rst), not decoded" in d.message for d in late] == [True]


def test_a_syn_reusing_the_ports_starts_a_new_connection_with_its_own_hpack(
        tmp_path: Path) -> None:
    c1, s1, _c2, _s2 = _mid_connection_trailers()
    first = w.Flow(client_isn=100, server_isn=200)
    packets = [*first.handshake(), first.send("client", c1), first.send("server", s1)]
    again = w.Flow(client_isn=7000, server_isn=8000)  # a fresh connection, fresh tables
    c, s = hb.unary_exchange(REQUEST, REPLY)
    packets += [*again.handshake(), again.send("client", c), again.send("server", s)]
    retried = w.Flow(client_isn=7000, server_isn=8000)
    packets.append(retried.send("client", flags=w.SYN))  # a SYN repeated: the same one
    records = records_of(capture(tmp_path, packets))
    assert [(x.conn.conn_id, x.http2, x.evidence) for x in starts(records)] == [
        (1, True, "preface"), (2, True, "preface")]
    statuses = [(r.conn.conn_id, r.record.code) for r in located(records, GrpcStatus)]
    assert statuses == [(1, 0), (2, 0)]
    ends = [(r.conn.conn_id, r.reason) for r in records if isinstance(r, ConnectionEnd)]
    assert ends == [(1, "reused"), (2, "end-of-capture")]


# -- encapsulation in the records, numbers, order ------------------------------------------

def test_the_encapsulation_path_in_the_connection_records_and_headings(tmp_path: Path) -> None:
    path = tmp_path / "erspan.pcap"
    path.write_bytes(tunnel_capture("erspan-ii"))
    code, lines = jsonl(path)
    assert code == 0
    connections = [x for x in lines if x["record"] == "connection"]
    assert connections[0]["path"] == "ipv4 / gre / erspan-ii session 5 / eth / ipv4"
    assert connections[0]["connection"]["number"] == 1
    _code, table = h2_frames(path, "-f", "table")
    assert " over ipv4 / gre / erspan-ii session 5 / eth / ipv4  HTTP/2" in table
    _code, summary = h2_frames(path, "-f", "table", "--summary")
    assert " over ipv4 / gre / erspan-ii session 5 / eth / ipv4  HTTP/2 (preface)" in summary
    code, lines = jsonl(path, "--summary")
    assert {x["path"] for x in lines if x["record"] == "summary"} == {
        "ipv4 / gre / erspan-ii session 5 / eth / ipv4"}
    # a plain packet's path is written too (jsonl), not shown in headings
    _code, plain = h2_frames(DATA.parent.parent.parent / "samples" / "grpc" / "demo.pcap",
                             "-f", "table")
    assert "over ipv4" not in plain


def test_connections_open_at_the_end_are_listed_in_the_order_they_started(
        tmp_path: Path) -> None:
    flows = [w.Flow(("10.0.0.1", 40000 + i), ("10.0.0.2", 80)) for i in range(3)]
    packets = [p for flow in flows for p in flow.handshake()]
    # the last packets come from the first connection: still 1, 2, 3 at the end
    packets += [flows[2].send("client", b"x"), flows[1].send("client", b"y"),
                flows[0].send("client", b"z")]
    records = records_of(capture(tmp_path, packets))
    assert [s.conn.conn_id for s in starts(records)] == [1, 2, 3]
    assert [r.conn.conn_id for r in records if isinstance(r, ConnectionEnd)] == [1, 2, 3]
