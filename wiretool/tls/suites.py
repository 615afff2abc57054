"""Cipher suites: their names, and what it takes to decrypt the ones we can.

Every suite value has a name (``suite_names.py``: the IANA registry as tshark 4.0
names it). A suite is *decryptable* when it is one of:

* TLS 1.3 (RFC 8446 §B.4): ``TLS_AES_128_GCM_SHA256``, ``TLS_AES_256_GCM_SHA384``,
  ``TLS_CHACHA20_POLY1305_SHA256``;
* TLS 1.2 AEAD: ``TLS_<kx>_WITH_AES_128_GCM_SHA256`` / ``AES_256_GCM_SHA384`` (RFC 5288,
  RFC 5289, RFC 5487) and ``TLS_<kx>_WITH_CHACHA20_POLY1305_SHA256`` (RFC 7905);
* TLS 1.2 block ciphers: ``TLS_<kx>_WITH_AES_128_CBC_<mac>`` / ``AES_256_CBC_<mac>``
  with ``SHA`` (HMAC-SHA1), ``SHA256`` or ``SHA384`` (RFC 5246 §6.2.3.2, RFC 5289).

The key exchange (ECDHE, DHE, RSA, PSK...) does not matter: the key log gives the
master secret. CCM, CAMELLIA, ARIA, 3DES, RC4, NULL, SM4, GOST and export suites are
named but not decrypted. The record protection itself lives in ``protection.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from wiretool.tls.suite_names import SUITE_NAMES


class Cipher(StrEnum):
    AES_GCM = "AES-GCM"
    CHACHA20_POLY1305 = "ChaCha20-Poly1305"
    AES_CBC = "AES-CBC"


@dataclass(frozen=True, slots=True)
class SuiteParameters:
    """What record protection needs to know about a decryptable suite."""

    value: int
    name: str
    tls13: bool
    """A TLS 1.3 suite (key schedule of RFC 8446 §7), else a TLS 1.2 one (RFC 5246 §6.3)."""
    cipher: Cipher
    key_length: int
    """enc_key_length in bytes."""
    hash_name: str
    """The PRF / HKDF hash: ``sha256`` or ``sha384``."""
    fixed_iv_length: int
    """Implicit IV bytes from the key schedule: 12 for TLS 1.3 and ChaCha20, 4 for TLS 1.2
    AES-GCM (the salt of RFC 5288 §3), 0 for CBC (its IV is explicit)."""
    record_iv_length: int
    """Explicit per-record IV/nonce bytes: 8 for TLS 1.2 AES-GCM, 16 for CBC, else 0."""
    mac_name: str | None = None
    """HMAC hash of a CBC suite: ``sha1``, ``sha256`` or ``sha384``."""
    mac_length: int = 0


_HASH_LENGTHS = {"sha1": 20, "sha256": 32, "sha384": 48}
_TLS13 = {
    0x1301: (Cipher.AES_GCM, 16, "sha256"),
    0x1302: (Cipher.AES_GCM, 32, "sha384"),
    0x1303: (Cipher.CHACHA20_POLY1305, 32, "sha256"),
}
_TLS12 = re.compile(r"TLS_\w+_WITH_(?:(AES_(128|256)_GCM)_(SHA256|SHA384)"
                    r"|(CHACHA20_POLY1305)_SHA256|(AES_(128|256)_CBC)_(SHA|SHA256|SHA384))")


def _classify(value: int, name: str) -> SuiteParameters | None:
    if value in _TLS13:
        cipher, key_length, hash_name = _TLS13[value]
        return SuiteParameters(value, name, True, cipher, key_length, hash_name, 12, 0)
    match = _TLS12.fullmatch(name)
    if match is None:
        return None
    gcm, gcm_bits, gcm_hash, chacha, cbc, cbc_bits, mac = match.groups()
    if gcm:
        return SuiteParameters(value, name, False, Cipher.AES_GCM, int(gcm_bits) // 8,
                               gcm_hash.lower(), 4, 8)
    if chacha:
        return SuiteParameters(value, name, False, Cipher.CHACHA20_POLY1305, 32, "sha256", 12, 0)
    assert cbc
    mac_name = "sha1" if mac == "SHA" else mac.lower()
    # RFC 5246 §5: TLS 1.2 suites use P_SHA256 unless they say otherwise; the _SHA384
    # suites of RFC 5289 §3.2 use P_SHA384.
    prf = "sha384" if mac_name == "sha384" else "sha256"
    return SuiteParameters(value, name, False, Cipher.AES_CBC, int(cbc_bits) // 8, prf, 0, 16,
                           mac_name, _HASH_LENGTHS[mac_name])


DECRYPTABLE: dict[int, SuiteParameters] = {
    value: params for value, name in SUITE_NAMES.items()
    if (params := _classify(value, name)) is not None
}
"""Every suite we decrypt, by value."""


def suite_name(value: int) -> str:
    """The suite's registered name, or ``0xNNNN (unassigned)``."""
    return SUITE_NAMES.get(value) or f"{value:#06x} (unassigned)"


def suite_parameters(value: int) -> SuiteParameters | None:
    """Parameters of a decryptable suite; None for every other suite."""
    return DECRYPTABLE.get(value)
