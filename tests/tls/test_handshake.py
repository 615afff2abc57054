"""Handshake messages: split from the handshake stream however records cut it; the
hellos of RFC 8448 and of real stacks parsed."""

from __future__ import annotations

import pytest

from tests.tls import rfc8448 as r
from wiretool.tls.constants import HELLO_RETRY_REQUEST_RANDOM
from wiretool.tls.handshake import (
    HandshakeBuffer,
    HandshakeError,
    parse_client_hello,
    parse_encrypted_extensions,
    parse_key_update,
    parse_server_hello,
)

CLIENT_HELLO = r.CLIENT_HELLO_RECORD[5:]
SERVER_HELLO = r.SERVER_HELLO_RECORD[5:]


def test_rfc8448_client_hello() -> None:
    hello = parse_client_hello(CLIENT_HELLO[4:])
    assert hello.random == r.CLIENT_RANDOM and hello.sni == "server"
    assert hello.cipher_suites == (0x1301, 0x1303, 0x1302)
    assert hello.supported_versions == (0x0304,) and hello.alpn == ()
    assert not hello.early_data and not hello.extended_master_secret


def test_rfc8448_server_hello() -> None:
    hello = parse_server_hello(SERVER_HELLO[4:])
    assert (hello.legacy_version, hello.selected_version, hello.version, hello.cipher_suite,
            hello.is_retry, hello.alpn) == (0x0303, 0x0304, 0x0304, 0x1301, False, None)


def test_hello_retry_request_is_recognised_by_its_random() -> None:
    body = bytearray(SERVER_HELLO[4:])
    body[2:34] = HELLO_RETRY_REQUEST_RANDOM
    assert parse_server_hello(bytes(body)).is_retry


def test_alpn_sni_ems_etm_in_a_tls12_hello() -> None:
    # legacy_version, random, session id, suites, compression, then extensions:
    # server_name "a.example", ALPN ["h2", "http/1.1"], encrypt_then_mac, extended_master_secret.
    sni = b"\x00\x00\x00\x0e\x00\x0c\x00\x00\x09a.example"
    alpn = b"\x00\x10\x00\x0e\x00\x0c\x02h2\x08http/1.1"
    extensions = sni + alpn + b"\x00\x16\x00\x00" + b"\x00\x17\x00\x00"
    body = (b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\xc0\x2f" + b"\x01\x00"
            + len(extensions).to_bytes(2, "big") + extensions)
    hello = parse_client_hello(body)
    assert (hello.sni, hello.alpn, hello.encrypt_then_mac, hello.extended_master_secret) == (
        "a.example", ("h2", "http/1.1"), True, True)
    server = (b"\x03\x03" + bytes(32) + b"\x00" + b"\xc0\x2f" + b"\x00" + b"\x00\x0d"
              + b"\x00\x10\x00\x05\x00\x03\x02h2" + b"\x00\x17\x00\x00")
    parsed = parse_server_hello(server)
    assert (parsed.version, parsed.alpn, parsed.extended_master_secret) == (0x0303, "h2", True)


def test_encrypted_extensions_and_key_update() -> None:
    assert parse_encrypted_extensions(b"\x00\x09\x00\x10\x00\x05\x00\x03\x02h2").alpn == "h2"
    assert parse_key_update(b"\x01") is True and parse_key_update(b"\x00") is False
    with pytest.raises(HandshakeError, match="KeyUpdate must hold one byte"):
        parse_key_update(b"\x02")


def test_truncated_hello_raises_with_the_offset() -> None:
    with pytest.raises(HandshakeError) as caught:
        parse_client_hello(CLIENT_HELLO[4:40])
    # version (2), random (32), an empty session id (1), then one byte of a 2-byte length
    assert caught.value.message == "length of cipher_suites runs past the end of the message"
    assert caught.value.offset == 35


@pytest.mark.parametrize("cut", [1, 3, 4, 5, 50, len(CLIENT_HELLO) - 1])
def test_message_split_over_records(cut: int) -> None:
    buffer = HandshakeBuffer()
    assert buffer.add(CLIENT_HELLO[:cut], 0) == []
    (message,) = buffer.add(CLIENT_HELLO[cut:], 100)
    assert (message.msg_type, message.record_offset, message.body) == (1, 0, CLIENT_HELLO[4:])
    assert buffer.pending == 0


def test_messages_packed_in_one_record_and_one_left_open() -> None:
    buffer = HandshakeBuffer()
    finished = b"\x14\x00\x00\x02ab"
    messages = buffer.add(SERVER_HELLO + finished + b"\x0b\x00\x00\x09abc", 7)
    assert [(m.msg_type, m.record_offset) for m in messages] == [(2, 7), (20, 7)]
    assert buffer.pending == 7
    (certificate,) = buffer.add(b"defghi", 50)
    assert (certificate.msg_type, certificate.record_offset, certificate.body) == (
        11, 7, b"abcdefghi")


def test_oversized_message_is_counted_not_kept() -> None:
    buffer = HandshakeBuffer()
    header = b"\x0b" + (2**20 + 10).to_bytes(3, "big")
    assert buffer.add(header + bytes(1000), 0) == []
    (certificate, finished) = buffer.add(bytes(2**20 + 10 - 1000) + b"\x14\x00\x00\x00", 99)
    assert (certificate.msg_type, certificate.body, certificate.length) == (11, b"", 2**20 + 10)
    assert (finished.msg_type, finished.record_offset, finished.body) == (20, 99, b"")
    assert buffer.pending == 0
