"""HTTP/2 detection from the first bytes of each direction."""

from __future__ import annotations

import base64

from wiretool.errors import Severity
from wiretool.http2.detect import PREFACE, Evidence, Verdict, detect_http2

# SETTINGS frame: length 6, type 4, flags 0, stream 0; MAX_CONCURRENT_STREAMS = 100
SETTINGS = bytes.fromhex("000006 04 00 00000000" "0003 00000064".replace(" ", ""))
SETTINGS_PAYLOAD = bytes.fromhex("000300000064" "000400010000")
UPGRADE = (
    b"GET /index HTTP/1.1\r\nHost: example\r\nConnection: Upgrade, HTTP2-Settings\r\n"
    b"Upgrade: h2c\r\nHTTP2-Settings: "
    + base64.urlsafe_b64encode(SETTINGS_PAYLOAD).rstrip(b"=") + b"\r\n\r\n"
)
SWITCHING = b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"


def test_client_preface() -> None:
    found = detect_http2(PREFACE + SETTINGS, b"")
    assert (found.verdict, found.evidence, found.swapped) == (Verdict.HTTP2, Evidence.PREFACE,
                                                             False)
    assert (found.client_start, found.server_start) == (0, None)


def test_preface_in_the_server_direction_swaps_the_roles() -> None:
    found = detect_http2(SETTINGS, PREFACE)
    assert found.verdict is Verdict.HTTP2 and found.swapped
    assert detect_http2(SETTINGS, PREFACE, roles_certain=True).evidence is not Evidence.PREFACE


def test_partial_preface_needs_more() -> None:
    assert detect_http2(PREFACE[:10], b"").verdict is Verdict.NEED_MORE
    assert detect_http2(PREFACE[:10], b"", client_done=True,
                        server_done=True).verdict is Verdict.NOT_HTTP2


def test_server_settings_without_client_preface() -> None:
    found = detect_http2(b"\x00\x00\x04\x08\x00\x00\x00\x00\x00", SETTINGS)
    assert (found.verdict, found.evidence, found.server_start) == (
        Verdict.HTTP2, Evidence.SERVER_SETTINGS, 0)


def test_settings_ack_is_not_a_server_preface() -> None:
    ack = bytes.fromhex("000000040100000000")
    assert detect_http2(b"hello there, this is not http2", ack, client_done=True,
                        server_done=True).verdict is Verdict.NOT_HTTP2


def test_h2c_upgrade_decodes_http2_settings_and_finds_both_starts() -> None:
    client = UPGRADE + PREFACE + SETTINGS
    server = SWITCHING + SETTINGS
    found = detect_http2(client, server, roles_certain=True)
    assert (found.verdict, found.evidence) == (Verdict.HTTP2, Evidence.H2C_UPGRADE)
    assert found.upgrade_settings == SETTINGS_PAYLOAD
    assert found.client_start == len(UPGRADE) and client[found.client_start:].startswith(PREFACE)
    assert found.server_start == len(SWITCHING)
    assert found.diagnostics == ()


def test_h2c_upgrade_with_request_body_and_100_continue() -> None:
    request = UPGRADE.replace(b"\r\n\r\n", b"\r\nContent-Length: 5\r\n\r\n") + b"hello"
    server = b"HTTP/1.1 100 Continue\r\n\r\n" + SWITCHING
    found = detect_http2(request + PREFACE, server)
    assert found.client_start == len(request) and found.server_start == len(server)


def test_h2c_upgrade_waits_for_the_response_and_can_be_declined() -> None:
    assert detect_http2(UPGRADE, b"").verdict is Verdict.NEED_MORE
    assert detect_http2(UPGRADE, SWITCHING[:20]).verdict is Verdict.NEED_MORE
    declined = detect_http2(UPGRADE, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert declined.verdict is Verdict.NOT_HTTP2 and "200" in declined.reason


def test_h2c_upgrade_with_bad_settings_header_is_diagnosed() -> None:
    bad = UPGRADE.replace(b"HTTP2-Settings: ", b"HTTP2-Settings: !!!")
    found = detect_http2(bad + PREFACE, SWITCHING)
    assert found.verdict is Verdict.HTTP2 and found.upgrade_settings is None
    assert found.diagnostics[0].severity is Severity.ERROR
    missing_preface = detect_http2(UPGRADE + b"x" * 30, SWITCHING)
    assert "preface" in missing_preface.diagnostics[0].message


def test_plain_http1_and_tls_are_not_http2() -> None:
    found = detect_http2(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"")
    assert found.verdict is Verdict.NOT_HTTP2 and "HTTP/1" in found.reason
    tls = detect_http2(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40),
                       b"\x16\x03\x03\x00\x7a\x02" + bytes(40))
    assert tls.verdict is Verdict.NOT_HTTP2 and "TLS" in tls.reason


def test_mid_connection_frames_are_weak_evidence() -> None:
    headers = bytes.fromhex("000003 01 04 00000001".replace(" ", "")) + b"\x82\x86\x84"
    data = bytes.fromhex("000002 00 01 00000001".replace(" ", "")) + b"ok"
    ping = bytes.fromhex("000008 06 00 00000000".replace(" ", "")) + bytes(8)
    found = detect_http2(headers + ping, data + ping)
    assert (found.verdict, found.evidence) == (Verdict.HTTP2, Evidence.FRAMES)
    assert detect_http2(b"random bytes that are no frame at all",
                        b"neither are these, honestly").verdict is Verdict.NOT_HTTP2


# -- proxies, upgrades with a side missing, one side, late starts (issue 16) ----------

HEADERS_REQUEST = bytes.fromhex("000003 01 05 00000001".replace(" ", "")) + b"\x82\x86\x84"
HEADERS_RESPONSE = bytes.fromhex("000001 01 04 00000001".replace(" ", "")) + b"\x88"  # :status 200
PING = bytes.fromhex("000008 06 00 00000000".replace(" ", "")) + bytes(8)
WINDOW = bytes.fromhex("000004 08 00 00000000 00001000".replace(" ", ""))
CONNECT = b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"
ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"


def test_connect_answered_2xx_is_a_tunnel_starting_after_both_heads() -> None:
    found = detect_http2(CONNECT + PREFACE, ESTABLISHED + SETTINGS, roles_certain=True)
    assert (found.verdict, found.tunnel_target, found.tunnel_status) == (
        Verdict.TUNNEL, "example.com:443", 200)
    assert (found.client_start, found.server_start) == (len(CONNECT), len(ESTABLISHED))
    # HTTP/1.0 answers and interim 1xx before the 2xx are proxies' too
    interim = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\n"
    assert detect_http2(CONNECT, interim).server_start == len(interim)


def test_connect_waits_for_the_answer_and_a_refusal_is_not_a_tunnel() -> None:
    assert detect_http2(CONNECT, b"").verdict is Verdict.NEED_MORE
    assert detect_http2(CONNECT[:20], b"").verdict is Verdict.NEED_MORE
    refused = detect_http2(CONNECT, b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
    assert refused.verdict is Verdict.NOT_HTTP2 and "answered 407" in refused.reason
    # the proxy's answer not in the capture: the client's bytes after the head are the
    # tunnel's (a client sends nothing more before the 2xx)
    blind = detect_http2(CONNECT + PREFACE, b"", server_done=True)
    assert (blind.verdict, blind.client_start, blind.tunnel_status) == (
        Verdict.TUNNEL, len(CONNECT), None)


def test_a_101_to_h2c_before_the_server_settings_is_skipped_after_a_preface() -> None:
    """drop-protocol-change (suricata-verify): the upgrade request is not in the capture,
    the client starts with its preface, the server with the 101: HTTP/2 after it."""
    found = detect_http2(PREFACE + SETTINGS, SWITCHING + SETTINGS)
    assert (found.verdict, found.evidence, found.server_start) == (
        Verdict.HTTP2, Evidence.PREFACE, len(SWITCHING))
    assert "101" in found.reason
    assert detect_http2(PREFACE, SWITCHING[:20]).verdict is Verdict.NEED_MORE


def test_the_server_101_to_h2c_then_settings_is_enough_without_the_request() -> None:
    found = detect_http2(b"", SWITCHING + SETTINGS)
    assert (found.verdict, found.evidence, found.server_start, found.upgrade_request) == (
        Verdict.HTTP2, Evidence.H2C_UPGRADE, len(SWITCHING), False)
    assert detect_http2(b"", SWITCHING).verdict is Verdict.NEED_MORE  # SETTINGS to come
    websocket = SWITCHING.replace(b"h2c", b"websocket")
    assert detect_http2(b"", websocket + SETTINGS, server_done=True,
                        client_done=True).verdict is Verdict.NOT_HTTP2


def test_an_upgrade_request_then_the_preface_is_http2_even_without_the_101() -> None:
    found = detect_http2(UPGRADE + PREFACE + SETTINGS, b"", server_done=True)
    assert (found.verdict, found.evidence, found.client_start, found.upgrade_request) == (
        Verdict.HTTP2, Evidence.H2C_UPGRADE, len(UPGRADE), True)
    assert "101 response is not in the capture" in found.reason
    # while the server may still answer, its 101 is awaited (it fixes where its HTTP/2 is)
    assert detect_http2(UPGRADE + PREFACE, b"").verdict is Verdict.NEED_MORE


def test_a_damaged_upgrade_request_is_decided_by_what_follows() -> None:
    """transform-base64-7296 (an oss-fuzz mutation): ``U}grade: h2c``, the 101 lost, then
    the preface: HTTP/2 from the preface. A request that asks for nothing is HTTP/1.x
    at once, as before; one that asks for another protocol says which."""
    damaged = UPGRADE.replace(b"Upgrade: h2c", b"U}grade: h2c")
    assert detect_http2(damaged, b"").verdict is Verdict.NEED_MORE
    found = detect_http2(damaged + PREFACE + SETTINGS, b"", server_done=True)
    assert (found.verdict, found.evidence, found.client_start) == (
        Verdict.HTTP2, Evidence.PREFACE, len(damaged))
    plain = detect_http2(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"")
    assert plain.verdict is Verdict.NOT_HTTP2
    websocket = b"GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    answered = detect_http2(websocket, SWITCHING.replace(b"h2c", b"websocket"))
    assert (answered.verdict, answered.reason) == (Verdict.NOT_HTTP2,
                                                   "HTTP/1.1 upgrade to websocket")


def test_one_side_is_http2_from_a_run_of_frames_and_says_which_side() -> None:
    server = SETTINGS[:0] + HEADERS_RESPONSE + PING + WINDOW
    found = detect_http2(b"", server, client_done=True)
    assert (found.verdict, found.evidence, found.swapped) == (
        Verdict.HTTP2, Evidence.FRAMES, False)
    assert found.reason.startswith("the server's bytes parse as HTTP/2 frames")
    assert found.reason.endswith("no bytes from the client in the capture")
    # without a handshake the reassembler's guess is checked against the first header
    # block: a request is the client's
    guessed = detect_http2(b"", HEADERS_REQUEST + PING + WINDOW, client_done=True)
    assert guessed.swapped and "client's bytes" in guessed.reason
    # two frames that end exactly with the input are a run too; one is not
    assert detect_http2(b"", PING + WINDOW, client_done=True,
                        server_done=True).verdict is Verdict.HTTP2
    assert detect_http2(b"", PING, client_done=True,
                        server_done=True).verdict is Verdict.NOT_HTTP2


def test_one_side_without_evidence_says_why_and_that_port_may_help() -> None:
    found = detect_http2(b"", b"\x00\x01garbage that is no frame", client_done=True,
                         server_done=True)
    assert found.verdict is Verdict.NOT_HTTP2 and found.could_be_http2
    assert found.reason.startswith("only the server's side is in the capture")
    tls = detect_http2(b"", b"\x16\x03\x03\x00\x7a\x02" + bytes(40), client_done=True,
                       server_done=True)
    assert not tls.could_be_http2 and "TLS" in tls.reason
    assert not detect_http2(b"", b"", client_done=True, server_done=True).could_be_http2


def test_a_capture_that_starts_inside_a_frame_finds_the_first_run_of_frames() -> None:
    tail = b"\x11" * 37  # the end of a DATA frame whose start was not captured
    found = detect_http2(tail + HEADERS_REQUEST + PING + WINDOW, tail[:5] + HEADERS_RESPONSE
                         + PING + WINDOW, start_seen=False)
    assert (found.verdict, found.evidence) == (Verdict.HTTP2, Evidence.FRAMES)
    assert (found.client_start, found.server_start) == (37, 5)
    assert found.client_resync and found.server_resync
    # with the start of the connection in the capture, bytes must begin as HTTP/2 does
    assert detect_http2(tail + HEADERS_REQUEST + PING + WINDOW, tail[:5] + HEADERS_RESPONSE
                        + PING + WINDOW).verdict is Verdict.NOT_HTTP2
