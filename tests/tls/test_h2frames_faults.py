"""TLS faults through ``wiretool h2-frames``, on the real captures of samples/tls: a wrong
key, a corrupted record, a record over the RFC 8446 size limit, a segment lost inside a
record, a capture that starts after the handshake (the TCP streams of the real
tls13-suites capture replayed as new packets, one connection edited), an alert, a
renegotiation, a suite wiretool does not decrypt. Each: one error (or warning) with the
record's offset, the rest of the connection skipped or resumed, the other connections
unaffected, no traceback."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.tls.h2cli import SAMPLES, Connection, Run, Step, capture_of, h2_frames, replay
from tests.tls.pipeline import Decoded, decode_capture, steps_of
from wiretool.direction import Direction
from wiretool.tls import Label, TlsPlaintext
from wiretool.tls.keyschedule import traffic_keys
from wiretool.tls.suites import suite_parameters

C, S = Direction.CLIENT, Direction.SERVER
KEYS = SAMPLES / "tls13-suites.keys"
PORTS = (41000, 41001, 41002)
"""The three connections of tls13-suites as ``replay`` numbers them: AES-128-GCM,
AES-256-GCM, ChaCha20-Poly1305."""


@cache
def library() -> list[Decoded]:
    """tls13-suites through the TLS library (where each record is)."""
    return decode_capture(SAMPLES / "tls13-suites.pcap", [KEYS])


def records(conn: int, direction: Direction) -> list[TlsPlaintext]:
    return [e for e in library()[conn].events
            if isinstance(e, TlsPlaintext) and e.direction is direction]


@cache
def steps() -> tuple[tuple[Step, ...], ...]:
    return tuple(tuple(conn) for conn in steps_of(SAMPLES / "tls13-suites.pcap"))


def edited(conn: int, change: object) -> list[list[Step]]:
    out = [list(each) for each in steps()]
    assert callable(change)
    out[conn] = change(out[conn])
    return out


def decode(connections: list[list[Step]], tmp: Path, *, handshake: tuple[bool, ...] = (),
           keys: Path = KEYS) -> Run:
    capture = tmp / "replayed.pcap"
    capture.write_bytes(replay(connections, handshake=handshake))
    return h2_frames("-f", "jsonl", "--keylog", keys, capture)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Connection]:
    """The replayed capture, unedited, decoded."""
    run = decode([list(each) for each in steps()], tmp_path_factory.mktemp("clean"))
    assert run.code == 0
    return run.connections()


def at_offset(steps_: list[Step], direction: Direction, offset: int, *, flip: bool = False,
              lose: int = 0, replace: tuple[int, bytes] | None = None) -> list[Step]:
    """Edit ``direction``'s stream at ``offset`` — flip a byte, lose ``lose`` bytes, or put
    ``replace[1]`` for ``replace[0]`` bytes — keeping every step where it was (the
    steps around the edit carry the bytes that were theirs)."""
    data = b"".join(d for side, d in steps_ if side is direction and isinstance(d, bytes))
    cut, put = (1, bytes([data[offset] ^ 0x20])) if flip else replace or (lose, b"")
    new = data[:offset] + put + data[offset + cut:]

    def moved(at: int) -> int:
        """Where old stream position ``at`` (a step boundary) is in ``new``."""
        return at if at <= offset else max(offset + len(put), at - cut + len(put))

    out: list[Step] = []
    at = 0
    for side, chunk in steps_:
        if side is not direction:
            out.append((side, chunk))
            continue
        assert isinstance(chunk, bytes)
        start, end = moved(at), moved(at + len(chunk))
        if lose and (start <= offset < end or start == offset == end):
            out += [(side, new[start:offset]), (side, lose), (side, new[offset:end])]
        elif end > start:
            out.append((side, new[start:end]))
        at += len(chunk)
    return [(side, chunk) for side, chunk in out if chunk != b""]


def others_unaffected(run: Run, base: dict[int, Connection], edited_port: int) -> None:
    conns = run.connections()
    assert sorted(conns) == sorted(base)
    for port in PORTS:
        if port != edited_port:
            assert conns[port].without_where() == base[port].without_where()


def frames(conn: Connection) -> list[tuple[str, int, int, int, int]]:
    return [(f["direction"], f["stream_id"], f["type"], f["flags"], f["length"])
            for f in conn.of("frame")]


def test_corrupted_record_loses_that_record_only(tmp_path: Path,
                                                 base: dict[int, Connection]) -> None:
    target = records(0, S)[1]  # the server's SETTINGS ACK, alone in its record
    run = decode(edited(0, lambda s: at_offset(s, S, target.record_offset + 12, flip=True)),
                 tmp_path)
    assert run.code == 1
    conn = run.connections()[PORTS[0]]
    (error,) = conn.errors()
    assert (error["tls_problem"], error["offset"], error["direction"]) == (
        "authentication-failed", target.record_offset, "server")
    assert error["message"].startswith(f"record at offset {target.record_offset} fails "
                                       "authentication: it is corrupted")
    gap = [d for d in conn.of("diagnostic") if d["message"].startswith("decrypted bytes")]
    assert [d["severity"] for d in gap] == ["warning"]
    assert gap[0]["offset"] == target.offset and gap[0]["tls_record_offset"] is None
    lost = ("server", 0, 4, 1, 0)  # SETTINGS ACK
    assert frames(conn) == [f for f in frames(base[PORTS[0]]) if f != lost]
    assert conn.start["tls"]["decrypted"] is True
    others_unaffected(run, base, PORTS[0])


def test_segment_lost_inside_a_record(tmp_path: Path, base: dict[int, Connection]) -> None:
    target = records(0, S)[1]
    run = decode(edited(0, lambda s: at_offset(s, S, target.record_offset + 7, lose=5)),
                 tmp_path)
    assert run.code == 1
    conn = run.connections()[PORTS[0]]
    (error,) = conn.errors()
    assert (error["tls_problem"], error["offset"]) == ("gap", target.record_offset)
    assert (f"5 bytes missing (not captured) at offset {target.record_offset + 7}, inside "
            f"the record at offset {target.record_offset}") in error["message"]
    assert frames(conn) == [f for f in frames(base[PORTS[0]]) if f != ("server", 0, 4, 1, 0)]
    # The reassembler's own report of the gap is not repeated: the TLS layer said it.
    assert not [r for r in run.records if r["record"] == "diagnostic" and "file_offset" in r]
    others_unaffected(run, base, PORTS[0])


def test_record_over_the_size_limit_is_reported_and_still_read(
        tmp_path: Path, base: dict[int, Connection]) -> None:
    """A real record re-encrypted with TLS 1.3 padding (RFC 8446 §5.4) to 16656 bytes,
    over the 2^14 + 256 limit of §5.2: its content (and every frame) is unchanged."""
    target = records(0, S)[2]  # 156 bytes: the response HEADERS
    summary = library()[0].summary
    assert summary.cipher_suite == "TLS_AES_128_GCM_SHA256" and summary.client_random
    secret = KEYS.read_text().split(f"{Label.SERVER_TRAFFIC_SECRET_0} "
                                    f"{summary.client_random.hex()} ")[1].split()[0]
    suite = suite_parameters(0x1301)
    assert suite is not None
    key, iv = traffic_keys(suite, bytes.fromhex(secret))
    stream = b"".join(d for side, d in steps()[0] if side is S and isinstance(d, bytes))
    record = stream[target.record_offset:target.record_offset + target.record_length]
    aead = AESGCM(key)
    for seq in range(64):
        nonce = (int.from_bytes(iv, "big") ^ seq).to_bytes(12, "big")
        try:
            inner = aead.decrypt(nonce, record[5:], record[:5])
            break
        except InvalidTag:  # not this sequence number
            continue
    assert inner.rstrip(b"\0")[:-1] == target.data
    padded = inner + bytes(16640 - len(inner))
    header = b"\x17\x03\x03" + (len(padded) + 16).to_bytes(2, "big")
    bigger = header + aead.encrypt(nonce, padded, header)
    run = decode(edited(0, lambda s: at_offset(
        s, S, target.record_offset, replace=(target.record_length, bigger))), tmp_path)
    assert run.code == 1
    conn = run.connections()[PORTS[0]]
    (error,) = conn.errors()
    assert (error["tls_problem"], error["offset"]) == ("record-overflow", target.record_offset)
    assert error["message"] == (f"record at offset {target.record_offset} has 16656 bytes, "
                                "over the TLS 1.3 limit of 16640 (RFC 8446 §5.2)")

    def unmoved(conn: Connection) -> list[dict[str, object]]:
        return [{k: v for k, v in r.items() if k != "tls_record_offset"}
                for r in conn.without_where() if r["record"] != "diagnostic"]

    assert unmoved(conn) == unmoved(base[PORTS[0]])
    others_unaffected(run, base, PORTS[0])


def test_capture_starting_after_the_handshake(tmp_path: Path,
                                              base: dict[int, Connection]) -> None:
    first = {direction: records(1, direction)[0].record_offset for direction in (C, S)}

    def late(steps_: list[Step]) -> list[Step]:
        out: list[Step] = []
        seen = {C: 0, S: 0}
        for side, data in steps_:
            assert isinstance(data, bytes)
            keep = data[max(0, first[side] - seen[side]):]
            seen[side] += len(data)
            if keep:
                out.append((side, keep))
        return out

    run = decode(edited(1, late), tmp_path, handshake=(True, False, True))
    conn = run.connections()[PORTS[1]]
    assert conn.start["http2"] is False
    assert conn.start["reason"] == "not decrypted: the capture starts after the handshake"
    (warning,) = conn.diagnostics("midstream")
    assert warning["severity"] == "warning" and warning["offset"] == 0
    assert conn.of("frame") == [] and conn.errors() == []
    assert conn.start["tls"]["version"] is None  # no hello seen
    assert run.code == 0
    others_unaffected(run, base, PORTS[1])


def test_wrong_key_for_one_connection(tmp_path: Path) -> None:
    target = library()[2].summary.client_random
    assert target is not None
    lines = []
    for line in KEYS.read_text().splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] == target.hex():
            fields[2] = bytes(b ^ 0x55 for b in bytes.fromhex(fields[2])).hex()
        lines.append(" ".join(fields))
    wrong = tmp_path / "wrong.keys"
    wrong.write_text("\n".join(lines) + "\n")
    right = h2_frames("-f", "jsonl", "--keylog", KEYS, SAMPLES / "tls13-suites.pcap")
    run = h2_frames("-f", "jsonl", "--keylog", wrong, SAMPLES / "tls13-suites.pcap")
    assert run.code == 1
    ports = sorted(run.connections())
    conn = run.connections()[ports[2]]
    assert conn.start["reason"] == "not decrypted: the key given does not decrypt it"
    assert conn.start["tls"]["decrypted"] is False and conn.of("frame") == []
    errors = conn.errors()  # one per direction
    assert sorted((e["tls_problem"], e["direction"]) for e in errors) == [
        ("authentication-failed", "client"), ("authentication-failed", "server")]
    assert all("the key is wrong" in e["message"] and str(wrong) in e["message"]
               for e in errors)
    for port in ports[:2]:
        assert run.connections()[port].records == right.connections()[port].records


def test_alerts_are_diagnostics_with_their_record_offset() -> None:
    run = h2_frames("-f", "jsonl", "--keylog", SAMPLES / "curl-h2.keys", capture_of("curl-h2"))
    (conn,) = run.connections().values()
    (alert,) = conn.diagnostics("alert")
    assert (alert["severity"], alert["direction"], alert["offset"]) == (
        "warning", "server", 21002)
    assert alert["message"] == ("alert from the server (fatal, encrypted) at offset 21002: "
                                "decode_error")
    assert len(conn.of("frame")) == 12 and run.code == 0
    run = h2_frames("-f", "jsonl", capture_of("handshake-failure"))
    (conn,) = run.connections().values()
    (alert,) = conn.diagnostics("alert")
    assert alert["message"] == ("alert from the server (fatal, in clear) at offset 0: "
                                "handshake_failure")
    assert conn.start["reason"] == "not decrypted: no ServerHello (the handshake did not complete)"


def test_renegotiation_is_reported_and_followed() -> None:
    run = h2_frames("-f", "jsonl", "--keylog", SAMPLES / "renegotiation.keys",
                    capture_of("renegotiation"))
    (conn,) = run.connections().values()
    (warning,) = conn.diagnostics("renegotiation")
    assert warning["severity"] == "warning" and warning["direction"] == "client"
    assert warning["message"].startswith(
        f"renegotiation: a new ClientHello in the record at offset {warning['offset']}")
    assert conn.start["tls"]["decrypted"] is True  # and detection ran on the plaintext
    assert conn.start["reason"] == "no HTTP/2 preface, upgrade or SETTINGS"
    assert run.code == 0


def test_suite_not_decrypted_is_named() -> None:
    run = h2_frames("-f", "jsonl", "--keylog", SAMPLES / "ccm.keys", capture_of("ccm"))
    (conn,) = run.connections().values()
    (warning,) = conn.diagnostics("unsupported")
    assert warning["message"].startswith("cipher suite TLS_AES_128_CCM_SHA256 is not decrypted "
                                         "by wiretool")
    assert conn.start["reason"] == ("not decrypted: cipher suite TLS_AES_128_CCM_SHA256 is "
                                    "not decrypted by wiretool")
    assert run.code == 0
