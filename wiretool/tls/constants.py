"""TLS vocabulary: content types, handshake types, extensions, alerts, versions, limits.

The one place where TLS numbers get their names (RFC 8446 §4, §5, §6, Appendix B.3;
RFC 5246 §6.2, §7). Names are the spec's own (``client_hello``, ``close_notify``,
``application_layer_protocol_negotiation``), except handshake messages, which read
better in the CamelCase that Wireshark and most tools print (``ClientHello``).
Cipher suite names live in ``suites.py``.
"""

from __future__ import annotations

from enum import IntEnum

RECORD_HEADER_LENGTH = 5
"""ContentType (1) + legacy ProtocolVersion (2) + length (2): RFC 8446 §5.1, RFC 5246 §6.2.1."""

MAX_PLAINTEXT_LENGTH = 1 << 14
"""TLSPlaintext.length and TLSInnerPlaintext content: at most 2^14 (RFC 8446 §5.1, RFC 5246
§6.2.1)."""
MAX_TLS13_CIPHERTEXT_LENGTH = (1 << 14) + 256
"""TLSCiphertext.length in TLS 1.3: at most 2^14 + 256 (RFC 8446 §5.2)."""
MAX_TLS12_CIPHERTEXT_LENGTH = (1 << 14) + 2048
"""TLSCiphertext.length in TLS 1.2: at most 2^14 + 2048 (RFC 5246 §6.2.3). Also the
largest length a record header may declare before it is taken for noise."""
MAX_HANDSHAKE_MESSAGE_LENGTH = 1 << 20
"""Handshake messages kept for parsing; longer ones (a huge certificate chain) are
skipped. Far beyond anything real: Firefox and OpenSSL cap at 100 KiB to 1 MiB."""


class ContentType(IntEnum):
    """TLSPlaintext.type (RFC 8446 §5.1, RFC 6520 for heartbeat)."""

    CHANGE_CIPHER_SPEC = 20
    ALERT = 21
    HANDSHAKE = 22
    APPLICATION_DATA = 23
    HEARTBEAT = 24


CONTENT_TYPE_NAMES: dict[int, str] = {
    ContentType.CHANGE_CIPHER_SPEC: "change_cipher_spec",
    ContentType.ALERT: "alert",
    ContentType.HANDSHAKE: "handshake",
    ContentType.APPLICATION_DATA: "application_data",
    ContentType.HEARTBEAT: "heartbeat",
}


def content_type_name(value: int) -> str:
    return CONTENT_TYPE_NAMES.get(value, f"content type {value}")


class HandshakeType(IntEnum):
    """HandshakeType (RFC 8446 §4, RFC 5246 §7.4)."""

    HELLO_REQUEST = 0
    CLIENT_HELLO = 1
    SERVER_HELLO = 2
    HELLO_VERIFY_REQUEST = 3
    NEW_SESSION_TICKET = 4
    END_OF_EARLY_DATA = 5
    HELLO_RETRY_REQUEST = 6
    ENCRYPTED_EXTENSIONS = 8
    CERTIFICATE = 11
    SERVER_KEY_EXCHANGE = 12
    CERTIFICATE_REQUEST = 13
    SERVER_HELLO_DONE = 14
    CERTIFICATE_VERIFY = 15
    CLIENT_KEY_EXCHANGE = 16
    FINISHED = 20
    CERTIFICATE_URL = 21
    CERTIFICATE_STATUS = 22
    SUPPLEMENTAL_DATA = 23
    KEY_UPDATE = 24
    COMPRESSED_CERTIFICATE = 25
    MESSAGE_HASH = 254


_HANDSHAKE_NAMES = {
    0: "HelloRequest", 1: "ClientHello", 2: "ServerHello", 3: "HelloVerifyRequest",
    4: "NewSessionTicket", 5: "EndOfEarlyData", 6: "HelloRetryRequest",
    8: "EncryptedExtensions", 11: "Certificate", 12: "ServerKeyExchange",
    13: "CertificateRequest", 14: "ServerHelloDone", 15: "CertificateVerify",
    16: "ClientKeyExchange", 20: "Finished", 21: "CertificateURL", 22: "CertificateStatus",
    23: "SupplementalData", 24: "KeyUpdate", 25: "CompressedCertificate",
    254: "MessageHash",
}


def handshake_name(value: int) -> str:
    return _HANDSHAKE_NAMES.get(value, f"handshake type {value}")


class Extension(IntEnum):
    """The ExtensionType values read here (IANA TLS ExtensionType Values)."""

    SERVER_NAME = 0
    """RFC 6066 §3."""
    SUPPORTED_GROUPS = 10
    APPLICATION_LAYER_PROTOCOL_NEGOTIATION = 16
    """RFC 7301 §3.1."""
    ENCRYPT_THEN_MAC = 22
    """RFC 7366 §2."""
    EXTENDED_MASTER_SECRET = 23
    """RFC 7627 §5.1."""
    SESSION_TICKET = 35
    PRE_SHARED_KEY = 41
    EARLY_DATA = 42
    SUPPORTED_VERSIONS = 43
    """RFC 8446 §4.2.1."""
    KEY_SHARE = 51
    RENEGOTIATION_INFO = 0xFF01
    """RFC 5746 §3.2."""


class AlertLevel(IntEnum):
    WARNING = 1
    FATAL = 2


_ALERT_NAMES = {
    0: "close_notify", 1: "end_of_early_data", 10: "unexpected_message", 20: "bad_record_mac",
    21: "decryption_failed", 22: "record_overflow", 30: "decompression_failure",
    40: "handshake_failure", 41: "no_certificate", 42: "bad_certificate",
    43: "unsupported_certificate", 44: "certificate_revoked", 45: "certificate_expired",
    46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca", 49: "access_denied",
    50: "decode_error", 51: "decrypt_error", 60: "export_restriction", 70: "protocol_version",
    71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback",
    90: "user_canceled", 100: "no_renegotiation", 109: "missing_extension",
    110: "unsupported_extension", 111: "certificate_unobtainable", 112: "unrecognized_name",
    113: "bad_certificate_status_response", 114: "bad_certificate_hash_value",
    115: "unknown_psk_identity", 116: "certificate_required", 120: "no_application_protocol",
    121: "ech_required",
}
"""AlertDescription (RFC 8446 §6, RFC 5246 §7.2, RFC 8446bis for ech_required)."""


def alert_name(description: int) -> str:
    return _ALERT_NAMES.get(description, f"alert {description}")


class Version(IntEnum):
    """ProtocolVersion values (RFC 8446 §4.2.1; SSL 3.0 as RFC 6101 numbers it)."""

    SSL_3_0 = 0x0300
    TLS_1_0 = 0x0301
    TLS_1_1 = 0x0302
    TLS_1_2 = 0x0303
    TLS_1_3 = 0x0304


_VERSION_NAMES = {0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2",
                  0x0304: "TLS 1.3"}


def version_name(value: int) -> str:
    """``TLS 1.3``; ``TLS 1.3 (draft 28)`` for the 0x7fNN draft numbers; else hex."""
    name = _VERSION_NAMES.get(value)
    if name is not None:
        return name
    if value >> 8 == 0x7F:
        return f"TLS 1.3 (draft {value & 0xFF})"
    if value & 0x0F0F == 0x0A0A:
        return f"GREASE {value:#06x}"
    return f"version {value:#06x}"


HELLO_RETRY_REQUEST_RANDOM = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
"""ServerHello.random of a HelloRetryRequest: SHA-256("HelloRetryRequest") (RFC 8446 §4.1.3)."""

H2_ALPN_IDS = frozenset({"h2", "h2-16", "h2-15", "h2-14"})
"""ALPN protocol ids that mean HTTP/2: RFC 9113 §3.2 ``h2``, and the draft ids that
early deployments negotiated."""
