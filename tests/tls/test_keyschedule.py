"""The TLS 1.2 PRF and the TLS 1.3 key schedule against published vectors (the IETF TLS
working group's PRF vector, RFC 8448 §3) and against OpenSSL's own implementation
(``openssl kdf ... TLS1-PRF`` / ``TLS13-KDF``, run once; the outputs are below)."""

from __future__ import annotations

from tests.tls import rfc8448 as r
from wiretool.tls.keyschedule import (
    derive_secret,
    hkdf_expand_label,
    hkdf_extract,
    key_block,
    next_traffic_secret,
    prf,
    traffic_keys,
)
from wiretool.tls.suites import suite_parameters

h = bytes.fromhex


def test_tls12_prf_sha256_published_vector() -> None:
    # The TLS 1.2 PRF vector posted to the IETF TLS WG (SHA-256, 100 bytes); OpenSSL's
    # `openssl kdf -keylen 100 -kdfopt digest:SHA256 ... TLS1-PRF` gives the same.
    out = prf("sha256", h("9bbe436ba940f017b17652849a71db35"), b"test label",
              h("a0ba9f936cda311827a6f796ffd5198c"), 100)
    assert out == h(
        "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
        "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
        "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
        "87347b66")


def test_tls12_prf_sha384_against_openssl() -> None:
    # openssl kdf -keylen 148 -kdfopt digest:SHA384 -kdfopt hexsecret:b80b733d6ceefcdc71566ea48e5567df
    #   -kdfopt seed:"test label" -kdfopt hexseed:cd665cf6a8447dd6ff8b27555edb7465 TLS1-PRF
    out = prf("sha384", h("b80b733d6ceefcdc71566ea48e5567df"), b"test label",
              h("cd665cf6a8447dd6ff8b27555edb7465"), 148)
    assert out == h(
        "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd"
        "e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd"
        "8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425"
        "9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6"
        "91c8f3a26854308d5eaa3be85e0990703d73e56f")


def test_tls12_key_block_is_the_prf_cut_in_six() -> None:
    suite = suite_parameters(0xC013)  # TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: MAC 20, key 16
    assert suite is not None
    master, client_random, server_random = bytes(range(48)), b"c" * 32, b"s" * 32
    block = key_block(suite, master, client_random, server_random)
    whole = prf("sha256", master, b"key expansion", server_random + client_random, 72)
    assert b"".join(block) == whole
    assert [len(part) for part in block] == [20, 20, 16, 16, 0, 0]
    gcm = suite_parameters(0x009C)  # TLS_RSA_WITH_AES_128_GCM_SHA256: 4-byte salts
    assert gcm is not None
    assert [len(p) for p in key_block(gcm, master, client_random, server_random)] == [
        0, 0, 16, 16, 4, 4]


def test_tls13_key_schedule_rfc8448() -> None:
    sha = "sha256"
    early = hkdf_extract(sha, b"", bytes(32))
    assert early == r.EARLY_SECRET
    derived = derive_secret(sha, early, b"derived", r.EMPTY_HASH)
    assert derived == r.DERIVED_EARLY
    handshake = hkdf_extract(sha, derived, r.ECDHE)
    assert handshake == r.HANDSHAKE_SECRET
    assert derive_secret(sha, handshake, b"c hs traffic", r.HELLO_HASH) == r.CLIENT_HS_SECRET
    assert derive_secret(sha, handshake, b"s hs traffic", r.HELLO_HASH) == r.SERVER_HS_SECRET
    derived = derive_secret(sha, handshake, b"derived", r.EMPTY_HASH)
    assert derived == r.DERIVED_HS
    master = hkdf_extract(sha, derived, bytes(32))
    assert master == r.MASTER_SECRET
    assert derive_secret(sha, master, b"c ap traffic", r.FINISHED_HASH) == r.CLIENT_AP_SECRET
    assert derive_secret(sha, master, b"s ap traffic", r.FINISHED_HASH) == r.SERVER_AP_SECRET
    assert derive_secret(sha, master, b"exp master", r.FINISHED_HASH) == r.EXPORTER_SECRET


def test_tls13_traffic_keys_rfc8448() -> None:
    suite = suite_parameters(0x1301)
    assert suite is not None
    assert traffic_keys(suite, r.SERVER_HS_SECRET) == (r.SERVER_HS_KEY, r.SERVER_HS_IV)
    assert traffic_keys(suite, r.CLIENT_HS_SECRET) == (r.CLIENT_HS_KEY, r.CLIENT_HS_IV)
    assert traffic_keys(suite, r.SERVER_AP_SECRET) == (r.SERVER_AP_KEY, r.SERVER_AP_IV)
    assert traffic_keys(suite, r.CLIENT_AP_SECRET) == (r.CLIENT_AP_KEY, r.CLIENT_AP_IV)
    # RFC 8448 §3 "key info": the HkdfLabel bytes themselves.
    assert hkdf_expand_label("sha256", r.SERVER_HS_SECRET, b"key", b"", 16) == r.SERVER_HS_KEY


def test_tls13_next_traffic_secret_against_openssl() -> None:
    # RFC 8446 §7.2. openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt mode:EXPAND_ONLY
    #   -kdfopt hexkey:<client_application_traffic_secret_0 of RFC 8448> -kdfopt prefix:"tls13 "
    #   -kdfopt label:"traffic upd" TLS13-KDF   (the same command with label "key" gives
    #   RFC 8448's client write key, 17422dda...)
    assert next_traffic_secret("sha256", r.CLIENT_AP_SECRET) == h(
        "fcdfcc72725aaee48bf64e4fd8b749cdbdbab39d90da0b26e2245ca6ea167207")
