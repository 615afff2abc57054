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
