"""detect_tls: a ClientHello from either side, records without one, not TLS, too early."""

from __future__ import annotations

from tests.tls import rfc8448 as r
from wiretool.tls import TlsVerdict, detect_tls


def test_client_hello_from_the_client_or_from_the_side_labelled_server() -> None:
    found = detect_tls(r.CLIENT_HELLO_RECORD[:40], b"")
    assert (found.verdict, found.swapped) == (TlsVerdict.TLS, False)
    found = detect_tls(r.SERVER_HELLO_RECORD, r.CLIENT_HELLO_RECORD)
    assert (found.verdict, found.swapped) == (TlsVerdict.TLS, True)


def test_too_early_to_tell() -> None:
    assert detect_tls(b"\x16\x03", b"").verdict is TlsVerdict.NEED_MORE
    assert detect_tls(b"", b"").verdict is TlsVerdict.NEED_MORE
    assert detect_tls(r.CLIENT_APP_RECORD[:20], b"").verdict is TlsVerdict.NEED_MORE


def test_records_without_a_client_hello() -> None:
    stream = r.CLIENT_APP_RECORD + r.CLIENT_ALERT_RECORD
    assert detect_tls(stream, b"").verdict is TlsVerdict.TLS_MIDSTREAM
    assert detect_tls(r.CLIENT_APP_RECORD, b"", client_done=True).verdict is \
        TlsVerdict.TLS_MIDSTREAM


def test_not_tls() -> None:
    assert detect_tls(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", b"").verdict is TlsVerdict.NOT_TLS
    assert detect_tls(b"GET / HTTP/1.1\r\n", b"HTTP/1.1 200 OK\r\n").verdict is \
        TlsVerdict.NOT_TLS
    assert detect_tls(b"", b"", client_done=True, server_done=True).verdict is \
        TlsVerdict.NOT_TLS


def test_bytes_of_another_protocol_are_not_tls_at_once() -> None:
    """So the session's HTTP/2 detection of a cleartext connection never waits on TLS."""
    for client, server in [(b"PR", b""), (b"", b"\x00\x00"), (b"GET", b"H"),
                           (b"\x16\x04", b""), (b"\x17\x03\x05", b""),
                           (b"\x00\x00\x12\x04\x00\x00\x00\x00\x00", b"PRI")]:
        assert detect_tls(client, server).verdict is TlsVerdict.NOT_TLS, (client, server)
    # Only what may still become TLS waits: the start of a record, or nothing yet.
    for client, server in [(b"\x16", b""), (b"\x16\x03\x01\x02", b""), (b"", b""),
                           (b"", b"\x17\x03\x03\x00")]:
        assert detect_tls(client, server).verdict is TlsVerdict.NEED_MORE, (client, server)
