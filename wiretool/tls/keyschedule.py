"""Key derivation: the TLS 1.2 PRF and key block, the TLS 1.3 key schedule.

Both are short and spec-defined, so they are written here; the primitives under
them (HMAC, HKDF-Expand) come from ``cryptography``.

* TLS 1.2 (RFC 5246 §5, §6.3): ``prf`` is P_hash over HMAC; ``key_block`` expands the
  master secret (from a ``CLIENT_RANDOM`` key log line, whether or not the handshake
  used the extended master secret of RFC 7627: the key log holds the result) into the
  MAC keys, write keys and implicit IVs of both sides.
* TLS 1.3 (RFC 8446 §7.1-7.3): ``hkdf_expand_label`` and ``derive_secret`` as §7.1
  defines them, ``traffic_keys`` (§7.3) turns a traffic secret from the key log into a
  write key and IV, and ``next_traffic_secret`` is the KeyUpdate step of §7.2.
  ``hkdf_extract`` completes the schedule so it can be checked end to end against the
  RFC 8448 traces; decryption never needs it, since key logs hold traffic secrets.
"""

from __future__ import annotations

from typing import NamedTuple

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from wiretool.tls.suites import SuiteParameters

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
}
HASH_LENGTHS = {"sha1": 20, "sha256": 32, "sha384": 48}


def hash_algorithm(name: str) -> hashes.HashAlgorithm:
    """``sha1`` / ``sha256`` / ``sha384`` as a ``cryptography`` hash object."""
    return _HASHES[name]()


def hmac(hash_name: str, key: bytes, data: bytes) -> bytes:
    mac = HMAC(key, hash_algorithm(hash_name))
    mac.update(data)
    return mac.finalize()


# -- TLS 1.2 ------------------------------------------------------------------------


def p_hash(hash_name: str, secret: bytes, seed: bytes, length: int) -> bytes:
    """P_hash(secret, seed) of RFC 5246 §5, cut to ``length`` bytes.

    A(0) = seed, A(i) = HMAC_hash(secret, A(i-1));
    P_hash = HMAC_hash(secret, A(1) + seed) + HMAC_hash(secret, A(2) + seed) + ...
    """
    out = bytearray()
    a = seed
    while len(out) < length:
        a = hmac(hash_name, secret, a)
        out += hmac(hash_name, secret, a + seed)
    return bytes(out[:length])


def prf(hash_name: str, secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    """PRF(secret, label, seed) = P_<hash>(secret, label + seed) (RFC 5246 §5)."""
    return p_hash(hash_name, secret, label + seed, length)


class KeyBlock(NamedTuple):
    """The key block of RFC 5246 §6.3, cut into its six parts."""

    client_mac_key: bytes
    server_mac_key: bytes
    client_key: bytes
    server_key: bytes
    client_iv: bytes
    server_iv: bytes


def key_block(suite: SuiteParameters, master_secret: bytes, client_random: bytes,
              server_random: bytes) -> KeyBlock:
    """key_block = PRF(master_secret, "key expansion", server_random + client_random),
    partitioned into client/server MAC keys, write keys and IVs (RFC 5246 §6.3). AEAD
    suites have no MAC key; their IV is the implicit part of the nonce (RFC 5288 §3:
    the 4-byte salt; RFC 7905 §2: 12 bytes for ChaCha20-Poly1305). CBC suites take no IV
    from the block: TLS 1.2 sends one with every record (RFC 5246 §6.2.3.2)."""
    mac, key, iv = suite.mac_length, suite.key_length, suite.fixed_iv_length
    block = prf(suite.hash_name, master_secret, b"key expansion", server_random + client_random,
                2 * (mac + key + iv))
    parts = []
    at = 0
    for size in (mac, mac, key, key, iv, iv):
        parts.append(block[at:at + size])
        at += size
    return KeyBlock(*parts)


# -- TLS 1.3 ------------------------------------------------------------------------


def hkdf_extract(hash_name: str, salt: bytes, ikm: bytes) -> bytes:
    """HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 §2.2); a missing salt is
    a string of Hash.length zeros."""
    return hmac(hash_name, salt or bytes(HASH_LENGTHS[hash_name]), ikm)


def hkdf_expand_label(hash_name: str, secret: bytes, label: bytes, context: bytes,
                      length: int) -> bytes:
    """HKDF-Expand-Label(Secret, Label, Context, Length) of RFC 8446 §7.1::

        struct {
            uint16 length = Length;
            opaque label<7..255> = "tls13 " + Label;
            opaque context<0..255> = Context;
        } HkdfLabel;
    """
    full_label = b"tls13 " + label
    info = (length.to_bytes(2, "big") + bytes([len(full_label)]) + full_label
            + bytes([len(context)]) + context)
    return HKDFExpand(hash_algorithm(hash_name), length, info).derive(secret)


def derive_secret(hash_name: str, secret: bytes, label: bytes, transcript_hash: bytes) -> bytes:
    """Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label,
    Transcript-Hash(Messages), Hash.length) (RFC 8446 §7.1); the caller hashes the
    messages."""
    return hkdf_expand_label(hash_name, secret, label, transcript_hash, HASH_LENGTHS[hash_name])


class TrafficKeys(NamedTuple):
    key: bytes
    iv: bytes


def traffic_keys(suite: SuiteParameters, secret: bytes) -> TrafficKeys:
    """[sender]_write_key = HKDF-Expand-Label(Secret, "key", "", key_length);
    [sender]_write_iv = HKDF-Expand-Label(Secret, "iv", "", iv_length) (RFC 8446 §7.3)."""
    return TrafficKeys(
        hkdf_expand_label(suite.hash_name, secret, b"key", b"", suite.key_length),
        hkdf_expand_label(suite.hash_name, secret, b"iv", b"", suite.fixed_iv_length),
    )


def next_traffic_secret(hash_name: str, secret: bytes) -> bytes:
    """application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N,
    "traffic upd", "", Hash.length): the new secret after a KeyUpdate (RFC 8446 §7.2)."""
    return hkdf_expand_label(hash_name, secret, b"traffic upd", b"", HASH_LENGTHS[hash_name])
