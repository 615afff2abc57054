"""Records sealed with the RFC 8448 §3 keys, for tests that need more than the trace holds
(padding, KeyUpdate, alerts, oversized records). Sealing uses ``cryptography``'s AES-GCM
directly and the RFC's keys, never wiretool's key schedule, so a forged record checks
wiretool's decryption rather than agreeing with itself."""

from __future__ import annotations

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.tls import rfc8448 as r


def seal13(key: bytes, iv: bytes, seq: int, content_type: int, payload: bytes,
           padding: int = 0, *, outer_type: int = 23) -> bytes:
    """A TLS 1.3 record (RFC 8446 §5.2) of TLSInnerPlaintext(payload, type, zeros)."""
    inner = payload + bytes([content_type]) + bytes(padding)
    header = bytes([outer_type, 3, 3]) + (len(inner) + 16).to_bytes(2, "big")
    nonce = (int.from_bytes(iv, "big") ^ seq).to_bytes(12, "big")
    return header + AESGCM(key).encrypt(nonce, inner, header)


def server_app(seq: int, content_type: int, payload: bytes, padding: int = 0) -> bytes:
    """Sealed with server_application_traffic_secret_0; seq 0 is the trace's ticket and 1
    its application data record, so forged records that follow the trace start at 2."""
    return seal13(r.SERVER_AP_KEY, r.SERVER_AP_IV, seq, content_type, payload, padding)


def client_app(seq: int, content_type: int, payload: bytes, padding: int = 0) -> bytes:
    """Sealed with client_application_traffic_secret_0 (seq 0 is the trace's record)."""
    return seal13(r.CLIENT_AP_KEY, r.CLIENT_AP_IV, seq, content_type, payload, padding)


# The server side of the trace up to its ticket: what forged server records follow.
SERVER_HANDSHAKE = r.SERVER_HELLO_RECORD + r.SERVER_FLIGHT_RECORD + r.SERVER_TICKET_RECORD
CLIENT_HANDSHAKE = r.CLIENT_HELLO_RECORD + r.CLIENT_FINISHED_RECORD
