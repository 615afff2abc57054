"""Record protection: one direction's decryption state for one key epoch.

``protection_for(suite, ...)`` builds the state; ``open(seq, content_type, version,
header, body)`` returns ``(content_type, plaintext)``, or ``None`` when the record does
not authenticate (wrong key, wrong sequence number, corrupted record). ``open`` has no
side effect: the caller owns the sequence number, so it can try several after a
capture gap.

* TLS 1.3 AEAD (RFC 8446 §5.2-5.4): nonce = write_iv XOR the 64-bit sequence number
  padded to the IV length; additional data = the 5-byte record header; the plaintext is
  TLSInnerPlaintext (content, the real content type, zero padding).
* TLS 1.2 AES-GCM (RFC 5288 §3): nonce = 4-byte salt + 8-byte explicit nonce sent at the
  start of the record; TLS 1.2 ChaCha20-Poly1305 (RFC 7905 §2): nonce as in TLS 1.3, no
  explicit part. Additional data for both (RFC 5246 §6.2.3.3): seq_num + type + version +
  plaintext length.
* TLS 1.2 AES-CBC with HMAC (RFC 5246 §6.2.3.2): explicit IV, MAC-then-encrypt:
  HMAC(seq_num + type + version + length + content), then padding; or encrypt-then-MAC
  when both sides negotiated it (RFC 7366 §3): the MAC covers IV and ciphertext.

The ciphers, HMAC and tag checks are ``cryptography``'s. An AEAD object is built once
per epoch and reused for every record, and nonces are one XOR of integers, so the
per-record cost is the AEAD call itself.
"""

from __future__ import annotations

import struct

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher as _Cipher
from cryptography.hazmat.primitives.ciphers import algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.hmac import HMAC

from wiretool.tls.keyschedule import hash_algorithm
from wiretool.tls.suites import Cipher, SuiteParameters

_SEQ_HEADER = struct.Struct(">QBHH")
"""seq_num (uint64) + type + version + length: the AEAD additional data and the MAC
prefix of TLS 1.2 (RFC 5246 §6.2.3.1, §6.2.3.3)."""

Opened = tuple[int, bytes]
"""(content type, plaintext) of a record that authenticated."""


class Protection:
    """Decryption of one direction under one key; subclasses per construction."""

    min_body_length: int = 0
    """The shortest record body this protection can open (the rest is malformed)."""

    def __init__(self, suite: SuiteParameters) -> None:
        self.suite = suite

    def open(self, seq: int, content_type: int, version: int, header: bytes,
             body: bytes) -> Opened | None:
        raise NotImplementedError


class Tls13Aead(Protection):
    """RFC 8446 §5.2: AES-GCM or ChaCha20-Poly1305 with the TLSInnerPlaintext framing."""

    def __init__(self, suite: SuiteParameters, key: bytes, iv: bytes) -> None:
        super().__init__(suite)
        self._aead = AESGCM(key) if suite.cipher is Cipher.AES_GCM else ChaCha20Poly1305(key)
        self._iv = int.from_bytes(iv, "big")
        self.min_body_length = 16 + 1  # tag + the inner content type

    def open(self, seq: int, content_type: int, version: int, header: bytes,
             body: bytes) -> Opened | None:
        try:
            inner = self._aead.decrypt((self._iv ^ seq).to_bytes(12, "big"), body, header)
        except InvalidTag:
            return None
        # RFC 8446 §5.4: the content type is the last non-zero byte; zeros after it are
        # padding. All zeros: no content type at all (the caller reports it).
        end = len(inner) - 1
        while end >= 0 and inner[end] == 0:
            end -= 1
        if end < 0:
            return 0, b""
        return inner[end], inner[:end]


class Tls12Aead(Protection):
    """RFC 5288 (AES-GCM, explicit nonce) and RFC 7905 (ChaCha20-Poly1305) in TLS 1.2."""

    def __init__(self, suite: SuiteParameters, key: bytes, iv: bytes) -> None:
        super().__init__(suite)
        self._gcm = suite.cipher is Cipher.AES_GCM
        self._aead = AESGCM(key) if self._gcm else ChaCha20Poly1305(key)
        self._salt = iv
        self._iv = int.from_bytes(iv, "big")
        self.min_body_length = suite.record_iv_length + 16

    def open(self, seq: int, content_type: int, version: int, header: bytes,
             body: bytes) -> Opened | None:
        if len(body) < self.min_body_length:
            return None
        if self._gcm:
            nonce = self._salt + body[:8]
            ciphertext = body[8:]
        else:
            nonce = (self._iv ^ seq).to_bytes(12, "big")
            ciphertext = body
        aad = _SEQ_HEADER.pack(seq, content_type, version, len(ciphertext) - 16)
        try:
            return content_type, self._aead.decrypt(nonce, ciphertext, aad)
        except InvalidTag:
            return None


class Tls12Cbc(Protection):
    """RFC 5246 §6.2.3.2 AES-CBC + HMAC, MAC-then-encrypt, or RFC 7366 encrypt-then-MAC."""

    def __init__(self, suite: SuiteParameters, key: bytes, mac_key: bytes, *,
                 encrypt_then_mac: bool) -> None:
        super().__init__(suite)
        assert suite.mac_name is not None
        self._key = algorithms.AES(key)
        self._mac = HMAC(mac_key, hash_algorithm(suite.mac_name))
        self._mac_length = suite.mac_length
        self.encrypt_then_mac = encrypt_then_mac
        # IV + at least one block (MAC-then-encrypt: MAC and padding length inside it).
        blocks = 16 if encrypt_then_mac else (suite.mac_length + 1 + 15) // 16 * 16
        self.min_body_length = 16 + blocks + (suite.mac_length if encrypt_then_mac else 0)

    def _decrypt(self, iv: bytes, ciphertext: bytes) -> bytes:
        decryptor = _Cipher(self._key, modes.CBC(iv)).decryptor()
        return decryptor.update(ciphertext) + decryptor.finalize()

    def _verify(self, data: bytes, mac: bytes) -> bool:
        check = self._mac.copy()
        check.update(data)
        try:
            check.verify(mac)
        except InvalidSignature:
            return False
        return True

    def open(self, seq: int, content_type: int, version: int, header: bytes,
             body: bytes) -> Opened | None:
        mac_length = self._mac_length
        if self.encrypt_then_mac:
            # RFC 7366 §3: MAC(MAC_write_key, seq_num + type + version + length + IV +
            # ENC(content + padding + padding_length)), length counting IV and ciphertext.
            encrypted, mac = body[:-mac_length], body[-mac_length:]
            if len(encrypted) < 32 or len(encrypted) % 16:
                return None
            prefix = _SEQ_HEADER.pack(seq, content_type, version, len(encrypted))
            if not self._verify(prefix + encrypted, mac):
                return None
            plain = self._decrypt(encrypted[:16], encrypted[16:])
            pad = plain[-1]
            if pad + 1 > len(plain) or plain[-pad - 1:-1] != bytes([pad]) * pad:
                return None
            return content_type, plain[:-pad - 1]
        if len(body) < self.min_body_length or len(body) % 16:
            return None
        plain = self._decrypt(body[:16], body[16:])
        pad = plain[-1]
        # RFC 5246 §6.2.3.2: every padding byte holds the padding length.
        end = len(plain) - pad - 1 - mac_length
        if end < 0 or plain[-pad - 1:-1] != bytes([pad]) * pad:
            return None
        content, mac = plain[:end], plain[end:end + mac_length]
        prefix = _SEQ_HEADER.pack(seq, content_type, version, len(content))
        if not self._verify(prefix + content, mac):
            return None
        return content_type, content


def tls13_protection(suite: SuiteParameters, key: bytes, iv: bytes) -> Protection:
    return Tls13Aead(suite, key, iv)


def tls12_protection(suite: SuiteParameters, key: bytes, iv: bytes, mac_key: bytes, *,
                     encrypt_then_mac: bool) -> Protection:
    if suite.cipher is Cipher.AES_CBC:
        return Tls12Cbc(suite, key, mac_key, encrypt_then_mac=encrypt_then_mac)
    return Tls12Aead(suite, key, iv)

