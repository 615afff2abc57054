"""The real TLS captures of samples/tls (real stacks on loopback: curl, h2load and nghttpd
on OpenSSL 3.0, openssl s_client/s_server, Python's ssl with python-hyper h2, grpclib)
decrypted and checked against tshark 4.0's view of them (NAME.tshark.json, written once
by samples/tls/tshark_expect.py) and, for gRPC, against what each side sent."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.tls.pipeline import (
    GRPC_TLS_CALLS,
    SAMPLES,
    Decoded,
    assert_what_was_sent,
    decode_capture,
)
from wiretool.direction import Direction
from wiretool.errors import Severity
from wiretool.tls import KeySource, TlsHandshakeMessage, TlsPlaintext, TlsProblem, TlsRecord

C, S = Direction.CLIENT, Direction.SERVER
NAMES = ["curl-h2", "curl-h2.dsb", "tls13-suites", "tls12-suites", "tls12-cbc", "h2load",
         "missing-key", "http11", "keyupdate", "renegotiation", "ccm", "handshake-failure",
         "early-data", "grpc-tls"]
H2 = ["curl-h2", "curl-h2.dsb", "tls13-suites", "tls12-suites", "tls12-cbc", "h2load",
      "missing-key", "keyupdate", "grpc-tls"]


@cache
def expected(name: str) -> dict[str, Any]:
    return json.loads((SAMPLES / f"{name}.tshark.json").read_text())  # type: ignore[no-any-return]


@cache
def decoded(name: str) -> list[Decoded]:
    spec = expected(name)
    keys = [SAMPLES / spec["keys"]] if spec["keys"] else []
    conns = decode_capture(SAMPLES / spec["capture"], keys)
    assert [c.opened.client.port for c in conns] == [
        t["client_port"] for t in spec["connections"]]
    return conns


def pairs(name: str) -> list[tuple[Decoded, dict[str, Any]]]:
    return list(zip(decoded(name), expected(name)["connections"], strict=True))


@pytest.mark.parametrize("name", NAMES)
def test_decrypted_streams_equal_tshark(name: str) -> None:
    for conn, theirs in pairs(name):
        for direction in (C, S):
            ours = conn.plaintext(direction).hex()
            if name == "ccm" and theirs["data"][direction.value]:
                assert ours == ""  # tshark decrypts AES-CCM; wiretool names it, see below
                continue
            assert ours == theirs["data"][direction.value], (theirs["tcp_stream"], direction)


@pytest.mark.parametrize("name", NAMES)
def test_handshake_summary_equals_tshark(name: str) -> None:
    for conn, theirs in pairs(name):
        summary, tls = conn.summary, theirs["tls"]
        version = tls["version_name"].split(" (")[0] if tls["version_name"] else None
        assert (summary.version, summary.cipher_suite, summary.sni, list(summary.offered_alpn),
                summary.alpn) == (version, tls["cipher_suite_name"], tls["sni"],
                                  tls["offered_alpn"], tls["alpn"]), theirs["tcp_stream"]
        assert summary.cipher_suite_value == tls["cipher_suite"]
        decryptable = name not in ("ccm", "handshake-failure") and not (
            name == "missing-key" and theirs["tcp_stream"] == 1)
        assert summary.decrypted is decryptable
        assert summary.key_source is (None if not decryptable else
                                      KeySource.DSB if name.endswith(".dsb") else
                                      KeySource.KEYLOG)


@pytest.mark.parametrize("name", NAMES)
def test_nothing_unexpected_is_reported(name: str) -> None:
    allowed = {"missing-key": {TlsProblem.NO_KEY}, "ccm": {TlsProblem.UNSUPPORTED},
               "renegotiation": {TlsProblem.RENEGOTIATION}}
    for conn in decoded(name):
        for problem in conn.diagnostics():
            if problem.severity is Severity.INFO:
                continue
            # nghttpd answers curl's close with a fatal decode_error alert; it is real.
            assert problem.problem in allowed.get(name, set()) | {TlsProblem.ALERT}, problem
        assert all(not r.status.startswith("fail") for r in conn.tls_records())


def _frames(records: list[Any]) -> dict[str, list[tuple[int, int, int, int]]]:
    out: dict[str, list[tuple[int, int, int, int]]] = {"client": [], "server": []}
    for frame in records:
        out[frame["direction"]].append((frame["stream_id"], frame["type"], frame["flags"],
                                        frame["length"]))
    return out


@pytest.mark.parametrize("name", H2)
def test_http2_frames_and_header_blocks_equal_tshark(name: str) -> None:
    for conn, theirs in pairs(name):
        ours = [{"direction": f.direction, "stream_id": f.stream_id, "type": f.type,
                 "flags": f.flags, "length": f.length} for f in conn.frames()]
        assert _frames(ours) == _frames(theirs["frames"]), theirs["tcp_stream"]
        our_headers = {"client": [], "server": []}  # type: dict[str, list[list[list[str]]]]
        for frame in conn.frames():
            if frame.header_block is not None:
                our_headers[frame.direction or ""].append([
                    [(field.name or b"").decode("utf-8", "replace"),
                     (field.value or b"").decode("utf-8", "replace")]
                    for field in frame.header_block.fields if field.name is not None])
        their_headers = {"client": [], "server": []}  # type: dict[str, list[list[list[str]]]]
        for frame in theirs["frames"]:
            if "headers" in frame:
                their_headers[frame["direction"]].append(frame["headers"])
        for direction in ("client", "server"):
            assert len(our_headers[direction]) == len(their_headers[direction])
            for mine, other in zip(our_headers[direction], their_headers[direction],
                                   strict=True):
                # tshark shows binary (-bin) values as text; compare those by name only.
                assert [n for n, _v in mine] == [n for n, _v in other]
                assert [v for n, v in mine if not n.endswith("-bin")] == [
                    v for n, v in other if not n.endswith("-bin")]


def test_grpc_messages_equal_tshark_and_what_was_sent() -> None:
    ((conn, theirs),) = pairs("grpc-tls")
    ours = conn.grpc_messages()
    assert [(m.direction, m.length, m.compressed) for m in ours] == [
        (g["direction"], g["length"], g["compressed"]) for g in theirs["grpc"]]
    got: dict[tuple[str, str], list[bytes]] = {}
    for message in ours:
        assert message.data is not None
        got.setdefault((GRPC_TLS_CALLS[message.stream_id], message.direction or ""), []).append(
            message.data)
    assert_what_was_sent(got)
    assert any(m.length > 20_000 for m in ours)
    statuses = conn.grpc_statuses()
    assert [s.name for s in statuses] == ["OK"] * 4 + ["INVALID_ARGUMENT"]
    assert statuses[-1].message == "name must not be empty: 100% wrong ✗"


def test_hello_retry_request() -> None:
    # curl's first ClientHello lacks a key share nghttpd takes: a HelloRetryRequest, then
    # a second ClientHello with the same random.
    (conn,) = decoded("curl-h2")
    assert conn.summary.hello_retry
    names = [m.name for m in conn.events if isinstance(m, TlsHandshakeMessage)]
    assert names[:4] == ["ClientHello", "HelloRetryRequest", "ClientHello", "ServerHello"]


def test_key_update_both_directions() -> None:
    (conn,) = decoded("keyupdate")
    updates = [(m.direction, m.record_offset) for m in conn.events
               if isinstance(m, TlsHandshakeMessage) and m.name == "KeyUpdate"]
    # s_client's k, K (update_requested: nghttpd's OpenSSL answers with its own), k
    assert [d for d, _ in updates] == [C, C, S, C]
    assert b"GET" not in conn.plaintext(C)  # HPACK, and decrypted across three key epochs
    assert len([f for f in conn.frames() if f.type == 1 and f.direction == "client"]) == 4


def test_renegotiation_followed() -> None:
    (conn,) = decoded("renegotiation")
    (problem,) = conn.diagnostics(TlsProblem.RENEGOTIATION)
    assert problem.severity is Severity.WARNING and problem.direction is C
    assert conn.plaintext(C) == b"before the renegotiation\nafter the renegotiation\n"
    hellos = [m for m in conn.events if isinstance(m, TlsHandshakeMessage)
              and m.name == "ClientHello"]
    assert [m.protected for m in hellos] == [False, True]


def test_early_data_decrypted() -> None:
    first, resumed = decoded("early-data")
    assert not first.summary.resumed and resumed.summary.resumed
    early = [e for e in resumed.events if isinstance(e, TlsPlaintext) and e.early]
    assert b"".join(e.data for e in early) == (
        b"early data: sent before the handshake completes\n")
    assert "EndOfEarlyData" in [m.name for m in resumed.events
                                if isinstance(m, TlsHandshakeMessage)]


def test_missing_key_says_which_client_random() -> None:
    _first, second = decoded("missing-key")
    (problem,) = second.diagnostics(TlsProblem.NO_KEY)
    random = second.summary.client_random
    assert random is not None
    assert problem.message.startswith(f"no key for client random {random[:4].hex()}…")
    assert second.summary.offered_alpn == ("h2", "http/1.1")
    assert second.frames() == []  # nothing decrypted, nothing handed to HTTP/2


def test_http11_alpn_is_not_http2() -> None:
    first, second = decoded("http11")
    assert first.summary.alpn == second.summary.alpn == "http/1.1"
    assert first.h2 is None and first.plaintext(C).startswith(b"GET /index.html HTTP/1.1")
    assert second.summary.resumed  # curl resumed the session with a ticket (PSK)


def test_ccm_is_named_and_not_decrypted() -> None:
    (conn,) = decoded("ccm")
    (problem,) = conn.diagnostics(TlsProblem.UNSUPPORTED)
    assert "TLS_AES_128_CCM_SHA256 is not decrypted" in problem.message
    protected = [r for r in conn.tls_records() if r.opaque_type == 23]
    assert protected and {r.status for r in protected} == {"encrypted"}


def test_handshake_failure_alert_in_clear() -> None:
    (conn,) = decoded("handshake-failure")
    (alert,) = conn.diagnostics(TlsProblem.ALERT)
    assert alert.direction is S and alert.offset == 0
    assert alert.message == "alert from the server (fatal, in clear) at offset 0: handshake_failure"
    assert conn.summary.version is None and conn.summary.sni == "wiretool.test"


def test_cbc_mac_then_encrypt_and_encrypt_then_mac() -> None:
    conns = decoded("tls12-cbc")
    assert [c.summary.encrypt_then_mac for c in conns] == [True, True, False, False, False]
    assert all(c.summary.extended_master_secret for c in conns)


def test_dsb_and_key_log_decrypt_the_same() -> None:
    (by_keylog,) = decoded("curl-h2")
    (by_dsb,) = decoded("curl-h2.dsb")
    for direction in (C, S):
        assert by_keylog.plaintext(direction) == by_dsb.plaintext(direction)
    assert by_dsb.summary.key_source is KeySource.DSB


def test_every_record_offset_points_at_a_record_header() -> None:
    # Plaintext and records name the TLS record in the TCP stream: a frame can be traced
    # back to its packet.
    from wiretool.capture import follow_tcp
    from wiretool.capture.model import StreamData

    spec = expected("grpc-tls")
    streams: dict[Direction, bytearray] = {C: bytearray(), S: bytearray()}
    with (SAMPLES / spec["capture"]).open("rb") as handle:
        for event in follow_tcp(handle):
            if isinstance(event, StreamData):
                streams[event.direction] += event.data
    (conn,) = decoded("grpc-tls")
    for event in conn.events:
        if isinstance(event, TlsPlaintext):
            at, size = event.record_offset, event.record_length
            stream = streams[event.direction]
            assert stream[at] == 23 and int.from_bytes(stream[at + 3:at + 5], "big") == size - 5
        elif isinstance(event, TlsRecord):
            assert streams[event.direction][event.offset] == event.opaque_type


def test_small_pcap_chunks_change_nothing() -> None:
    spec = expected("keyupdate")
    path: Path = SAMPLES / spec["capture"]
    small = decode_capture(path, [SAMPLES / spec["keys"]], chunk_size=97)
    assert [c.events for c in small] == [c.events for c in decoded("keyupdate")]


def test_record_locator_traces_every_frame_to_its_record() -> None:
    from wiretool.http2.connection import Connection
    from wiretool.http2.frames import Frame
    from wiretool.tls import RecordLocator

    (conn,) = decoded("grpc-tls")
    spans = {(e.direction, e.record_offset): (e.offset, e.offset + len(e.data))
             for e in conn.events if isinstance(e, TlsPlaintext)}
    locator = RecordLocator()
    h2 = Connection(both_directions=True)
    traced = 0
    for event in conn.events:
        if not isinstance(event, TlsPlaintext):
            continue
        locator.add(event)
        for frame in h2.feed(event.direction.value, event.data):
            if not isinstance(frame, Frame):
                continue
            direction = Direction(frame.direction)
            record = locator.record_offset(direction, frame.offset)
            assert record is not None and record <= event.record_offset
            start, end = spans[(direction, record)]
            assert start <= frame.offset < end  # the record holds the frame's first byte
            traced += 1
    assert traced == len(conn.frames()) and len(locator) < 10
