"""What a TLS connection turns into: frozen records with absolute offsets.

``TlsConnection`` (``connection.py``) returns these, in order, per direction:

* :class:`TlsSummary`: what the handshake says (version, suite, SNI, ALPN) and whether
  the connection is decrypted; once per connection, before its first plaintext;
* :class:`TlsPlaintext`: decrypted application data, with its offset in the decrypted
  stream of its direction and the offset of the TLS record it came from;
* :class:`TlsRecord`: every other record (handshake, alert, ChangeCipherSpec,
  application data that could not be decrypted);
* :class:`TlsHandshakeMessage`: each handshake message read, in clear or decrypted;
* :class:`TlsPlaintextGap`: decrypted bytes of a direction are missing (a capture gap,
  a record that failed authentication): the next layer must resynchronise;
* :class:`TlsDiagnostic`: what went wrong or is worth knowing, with the record offset.

Offsets called ``offset``/``record_offset`` are in the direction's TCP byte stream;
``TlsPlaintext.offset`` and ``TlsPlaintextGap.offset`` are in its decrypted stream.
Every byte of a direction's TCP stream is accounted for exactly once by a
``TlsRecord`` or ``TlsPlaintext`` (a whole record, header and body) or by a
``TlsDiagnostic`` with ``skipped`` set (bytes that are not part of a readable record).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from wiretool.direction import Direction
from wiretool.errors import Diagnostic
from wiretool.tls.keylog import KeySource


class TlsProblem(StrEnum):
    """What a :class:`TlsDiagnostic` is about."""

    NO_KEY = "no-key"
    """No secret in the key logs for the connection's client random."""
    AUTHENTICATION_FAILED = "authentication-failed"
    """A record does not authenticate: wrong key, or a corrupted record."""
    RECORD_OVERFLOW = "record-overflow"
    """A record longer than RFC 8446 §5.1/§5.2 or RFC 5246 §6.2 allow."""
    ALERT = "alert"
    """An alert record (its level and description are in the message)."""
    MIDSTREAM = "midstream"
    """The capture starts after the handshake: no ClientHello, no client random."""
    GAP = "gap"
    """Bytes missing from the capture (a lost TCP segment)."""
    NOT_A_RECORD = "not-a-record"
    """Bytes that do not form a TLS record; skipped up to the next plausible header."""
    RESYNCHRONISED = "resynchronised"
    """Where reading (and decryption) picked up again after a gap or skipped bytes."""
    TRUNCATED = "truncated"
    """The stream ends inside a record."""
    RENEGOTIATION = "renegotiation"
    """A TLS 1.2 renegotiation (a new handshake inside the connection)."""
    UNSUPPORTED = "unsupported"
    """A cipher suite or protocol version that wiretool does not decrypt."""
    MALFORMED = "malformed"
    """A record or handshake message that breaks the TLS grammar."""
    EARLY_DATA = "early-data"
    """0-RTT early data (RFC 8446 §4.2.10) that could not be decrypted."""


class RecordStatus(StrEnum):
    """What could be had of a record's content."""

    CLEARTEXT = "cleartext"
    """Not protected (the handshake before encryption starts, a TLS 1.3 compatibility
    ChangeCipherSpec, an alert in clear)."""
    DECRYPTED = "decrypted"
    ENCRYPTED = "encrypted"
    """Protected and not decrypted (no key, a suite we do not decrypt, a capture that
    starts after the handshake, a direction given up after earlier faults)."""
    FAILED = "failed"
    """Protected and failed authentication (reported by a diagnostic)."""


@dataclass(frozen=True, slots=True)
class TlsSummary:
    """What the handshake says about a connection, and whether it is decrypted."""

    version: str | None
    """``TLS 1.3``, ``TLS 1.2``...; None when no ServerHello was seen."""
    cipher_suite: str | None
    """IANA name of the negotiated suite (``TLS_AES_128_GCM_SHA256``)."""
    sni: str | None
    """server_name of the ClientHello (RFC 6066 §3)."""
    alpn: str | None
    """The negotiated ALPN protocol (ServerHello in TLS 1.2, EncryptedExtensions in TLS
    1.3, so unknown there without keys)."""
    decrypted: bool
    """Keys were found and the connection's records authenticate with them."""
    key_source: KeySource | None
    """Where the keys came from: ``keylog`` or ``dsb``; None without keys."""
    cipher_suite_value: int | None = None
    offered_alpn: tuple[str, ...] = ()
    """The protocols the client offered (ClientHello), in its order."""
    client_random: bytes | None = None
    hello_retry: bool = False
    """The server answered with a HelloRetryRequest (RFC 8446 §4.1.4)."""
    resumed: bool = False
    """A resumed session: TLS 1.2 session id or ticket echoed, TLS 1.3 pre_shared_key."""
    extended_master_secret: bool = False
    """TLS 1.2: both sides use the extended master secret (RFC 7627)."""
    encrypt_then_mac: bool = False
    """TLS 1.2 CBC suites: encrypt-then-MAC was negotiated (RFC 7366)."""


@dataclass(frozen=True, slots=True)
class TlsRecord:
    """One TLS record that gives no plaintext (every application data record that does is
    a :class:`TlsPlaintext`)."""

    direction: Direction
    offset: int
    """Offset of the 5-byte record header in the direction's TCP stream."""
    length: int
    """TLSPlaintext/TLSCiphertext.length: bytes after the header."""
    content_type: int
    """The content type: the inner one of a decrypted TLS 1.3 record, else the header's."""
    opaque_type: int
    """The type in the record header (23 for every TLS 1.3 protected record)."""
    version: int
    """legacy_record_version of the header."""
    status: RecordStatus
    plaintext_length: int | None = None
    """Bytes of content once decrypted (without TLS 1.3 padding); None if not decrypted."""

    @property
    def total_length(self) -> int:
        """Header and body."""
        return 5 + self.length


@dataclass(frozen=True, slots=True)
class TlsPlaintext:
    """Decrypted application data of one record."""

    direction: Direction
    offset: int
    """Offset of ``data[0]`` in the direction's decrypted stream."""
    data: bytes
    record_offset: int
    """Offset of the record's header in the direction's TCP stream."""
    record_length: int
    """Bytes of the whole record on the wire (header included)."""
    early: bool = False
    """0-RTT early data (RFC 8446 §4.2.10)."""


@dataclass(frozen=True, slots=True)
class TlsHandshakeMessage:
    """A handshake message, read in clear or decrypted."""

    direction: Direction
    record_offset: int
    """The record holding the message's first byte."""
    msg_type: int
    name: str
    """``ClientHello``, ``EncryptedExtensions``, ``KeyUpdate``..."""
    length: int
    """Body length (the 4-byte message header excluded)."""
    protected: bool
    """It was encrypted on the wire."""


@dataclass(frozen=True, slots=True)
class TlsPlaintextGap:
    """Decrypted bytes of a direction are missing: what follows does not continue what came
    before. The decrypted stream's offsets advance by ``length``."""

    direction: Direction
    offset: int
    """Offset in the decrypted stream where bytes are missing."""
    length: int
    """TCP stream bytes that gave no plaintext (lost, skipped or failed): at least as many
    as the plaintext bytes missing."""
    record_offset: int
    """The record where decryption picked up again."""


@dataclass(frozen=True, slots=True)
class TlsDiagnostic(Diagnostic):
    """A :class:`Diagnostic` about one direction of a TLS connection; ``offset`` is in
    that direction's TCP stream (a record's offset when it is about a record)."""

    direction: Direction | None = None
    problem: TlsProblem = TlsProblem.MALFORMED
    skipped: bool = False
    """``offset``/``length`` are bytes that belong to no record event (skipped, lost in
    a gap, a record cut short)."""


TlsEvent = (TlsSummary | TlsRecord | TlsPlaintext | TlsHandshakeMessage | TlsPlaintextGap
            | TlsDiagnostic)
"""What :class:`wiretool.tls.TlsConnection` returns."""


def stream_span(event: TlsEvent) -> tuple[Direction, int, int] | None:
    """The bytes of its direction's TCP stream an event accounts for, as (direction,
    offset, length); None for events that account for none (summary, handshake
    messages, plaintext gaps, diagnostics about a record another event covers).

    The events of a connection tile each direction's stream with these spans: every
    byte fed or announced missing is in exactly one of them.
    """
    if isinstance(event, TlsRecord):
        return event.direction, event.offset, event.total_length
    if isinstance(event, TlsPlaintext):
        return event.direction, event.record_offset, event.record_length
    if isinstance(event, TlsDiagnostic) and event.skipped and event.direction is not None:
        return event.direction, event.offset, event.length
    return None
