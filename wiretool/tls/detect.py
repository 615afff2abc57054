"""Is a TCP connection TLS? From the first bytes of its two directions.

``detect_tls(client_head, server_head)`` looks for a ClientHello record (RFC 8446
§5.1, §4.1.2: content type 22, version 3.x, a handshake message of type 1) at the
start of either direction (``swapped`` when it is the side labelled server, e.g.
roles guessed from ports), and otherwise for a chain of record headers, which a
capture that starts after the handshake shows. The HTTP/2 layer's own detection is
``wiretool.http2.detect``'s; the session (``wiretool.session.tls``) decides which
answer counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from wiretool.tls.constants import ContentType, HandshakeType
from wiretool.tls.records import plausible_header

_CHAIN = 2
"""Record headers in a row that make a stream without ClientHello look like TLS."""


class TlsVerdict(StrEnum):
    TLS = "tls"
    """A ClientHello starts one direction."""
    TLS_MIDSTREAM = "tls-midstream"
    """TLS records but no ClientHello: the capture starts after the handshake."""
    NOT_TLS = "not-tls"
    NEED_MORE = "need-more"


@dataclass(frozen=True, slots=True)
class TlsDetection:
    verdict: TlsVerdict
    swapped: bool = False
    """The ClientHello came from the direction labelled ``server``."""
    reason: str = ""


def _client_hello(data: bytes) -> bool | None:
    """True/False, or None when the bytes so far are a ClientHello record's beginning."""
    head = data[:6]
    expected = (ContentType.HANDSHAKE, 3)
    for index, value in enumerate(expected):
        if index < len(head) and head[index] != value:
            return False
    if len(head) >= 3 and head[2] > 4:
        return False
    if len(head) < 6:
        return None
    length = (head[3] << 8) | head[4]
    return 4 <= length <= (1 << 14) and head[5] == HandshakeType.CLIENT_HELLO


def _could_be_record(data: bytes) -> bool:
    """Can ``data`` (non-empty) start with a record header? Checks what is there of the
    first one: content type, major version 3, minor version at most 4, length."""
    if len(data) >= 5:
        return plausible_header(data, 0)
    if not ContentType.CHANGE_CIPHER_SPEC <= data[0] <= ContentType.HEARTBEAT:
        return False
    return (len(data) < 2 or data[1] == 3) and (len(data) < 3 or data[2] <= 4)


def _record_chain(data: bytes, done: bool) -> bool | None:
    """Do plausible record headers follow one another from offset 0? None: too few
    bytes to tell yet."""
    at = count = 0
    while at + 5 <= len(data) and count < _CHAIN:
        if not plausible_header(data, at):
            return False
        count += 1
        at += 5 + ((data[at + 3] << 8) | data[at + 4])
    if count >= _CHAIN or (count and done and at == len(data)):
        return True
    if at < len(data) and not _could_be_record(data[at:]):
        return False
    return None if not done else False


def detect_tls(client: bytes, server: bytes, *, client_done: bool = False,
               server_done: bool = False) -> TlsDetection:
    """Decide from the first bytes of each direction (``*_done``: no more will come).

    ``NEED_MORE`` only while a direction is empty or what it holds could still be the
    start of TLS records: bytes of any other protocol are ``NOT_TLS`` at once, so the
    HTTP/2 detection of a cleartext connection never waits for this one.
    """
    seen_client, seen_server = _client_hello(client), _client_hello(server)
    if seen_client:
        return TlsDetection(TlsVerdict.TLS, False, "ClientHello from the client")
    if seen_server:
        return TlsDetection(TlsVerdict.TLS, True, "ClientHello from the side labelled server")
    heads = ((client, client_done, seen_client), (server, server_done, seen_server))
    if any(data and not _could_be_record(data) for data, _done, _hello in heads):
        return TlsDetection(TlsVerdict.NOT_TLS, reason="no ClientHello and no TLS records")
    if any(data and hello is None and not done for data, done, hello in heads):
        return TlsDetection(TlsVerdict.NEED_MORE, reason="the first record is incomplete")
    chains = [_record_chain(data, done) if data else None for data, done, _hello in heads]
    if False in chains:
        return TlsDetection(TlsVerdict.NOT_TLS, reason="no ClientHello and no TLS records")
    if True in chains:
        return TlsDetection(TlsVerdict.TLS_MIDSTREAM,
                            reason="TLS records without a ClientHello")
    if client_done and server_done:
        return TlsDetection(TlsVerdict.NOT_TLS, reason="no ClientHello and no TLS records"
                            if client or server else "no bytes")
    return TlsDetection(TlsVerdict.NEED_MORE, reason="too few bytes to tell")
