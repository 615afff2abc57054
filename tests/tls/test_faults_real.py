"""Faults on real connections (TLS 1.2 AES-CBC MAC-then-encrypt and encrypt-then-MAC,
AES-GCM, ChaCha20-Poly1305; TLS 1.3 with KeyUpdates): a flipped byte, a wrong key, a
gap inside a record, a capture that starts after the handshake. One diagnostic with the
record offset each, the rest skipped or resumed, never an exception."""

from __future__ import annotations

from functools import cache

import pytest

from tests.tls.pipeline import SAMPLES, keys_from, steps_of
from tests.tls.test_connection import Step, check_tiling
from wiretool.direction import Direction
from wiretool.tls import (
    KeyLog,
    TlsConnection,
    TlsDiagnostic,
    TlsEvent,
    TlsPlaintext,
    TlsPlaintextGap,
    TlsProblem,
    TlsSummary,
)

C, S = Direction.CLIENT, Direction.SERVER
CONNECTIONS = [("tls12-cbc", 0), ("tls12-cbc", 2), ("tls12-cbc", 3), ("tls12-suites", 0),
               ("tls12-suites", 1), ("tls13-suites", 2), ("keyupdate", 0)]


@cache
def source(name: str, index: int) -> tuple[list[Step], KeyLog]:
    keys, _ = keys_from([SAMPLES / f"{name}.keys"])
    return list(steps_of(SAMPLES / f"{name}.pcap")[index]), keys


def run(steps: list[Step], keys: KeyLog) -> list[TlsEvent]:
    tls = TlsConnection(keys)
    out: list[TlsEvent] = []
    for direction, data in steps:
        out += tls.gap(direction, data) if isinstance(data, int) else tls.feed(direction, data)
    out += tls.close()
    check_tiling(steps, out)
    return out


def plaintext(events: list[TlsEvent], direction: Direction) -> list[TlsPlaintext]:
    return [e for e in events if isinstance(e, TlsPlaintext) and e.direction is direction]


def problems(events: list[TlsEvent], problem: TlsProblem) -> list[TlsDiagnostic]:
    return [e for e in events if isinstance(e, TlsDiagnostic) and e.problem is problem]


def edit(steps: list[Step], direction: Direction, offset: int, *, flip: bool = False,
         gap: int = 0, start: bool = False) -> list[Step]:
    """Flip the byte at ``offset`` of ``direction``'s stream, or lose ``gap`` bytes from
    there, or (``start``) drop everything of that direction before it."""
    out: list[Step] = []
    at = 0
    for side, data in steps:
        assert isinstance(data, bytes)
        if side is not direction or (not at <= offset < at + len(data) and not (
                start and at < offset)):
            if not (start and side is direction and at + len(data) <= offset):
                out.append((side, data))
            at += len(data) if side is direction else 0
            continue
        cut = offset - at
        if start:
            if at + len(data) > offset:
                out.append((side, data[cut:]))
        elif flip:
            out.append((side, data[:cut] + bytes([data[cut] ^ 0x20]) + data[cut + 1:]))
        else:
            lost = min(gap, len(data) - cut)
            out += [(side, data[:cut]), (side, lost), (side, data[cut + lost:])]
        at += len(data)
    return out


@pytest.mark.parametrize(("name", "index"), CONNECTIONS)
def test_flipped_byte_loses_one_record(name: str, index: int) -> None:
    steps, keys = source(name, index)
    clean = plaintext(run(steps, keys), S)
    target, following = clean[(len(clean) - 1) // 2], clean[(len(clean) - 1) // 2 + 1]
    events = run(edit(steps, S, target.record_offset + 20, flip=True), keys)
    (problem,) = problems(events, TlsProblem.AUTHENTICATION_FAILED)
    assert (problem.offset, problem.direction) == (target.record_offset, S)
    assert "it is corrupted" in problem.message
    assert [p.data for p in plaintext(events, S)] == [p.data for p in clean if p is not target]
    (hole,) = [e for e in events if isinstance(e, TlsPlaintextGap)]
    # At most what lies between the last plaintext and the next: the lost record, and any
    # record without plaintext after it (a KeyUpdate).
    assert (hole.offset, hole.length, hole.record_offset) == (
        target.offset, following.record_offset - target.record_offset, following.record_offset)
    assert [p.data for p in plaintext(events, C)] == [p.data for p in plaintext(run(steps, keys), C)]


@pytest.mark.parametrize(("name", "index"), CONNECTIONS)
def test_wrong_key_one_diagnostic_per_direction(name: str, index: int) -> None:
    steps, _keys = source(name, index)
    wrong = KeyLog()
    for line in (SAMPLES / f"{name}.keys").read_text().splitlines():
        if line.startswith("#"):
            continue
        label, random, secret = line.split()
        flipped = bytes(b ^ 0x55 for b in bytes.fromhex(secret)).hex()
        wrong.add_text(f"{label} {random} {flipped}\n", origin="wrong.keys")
    events = run(steps, wrong)
    found = problems(events, TlsProblem.AUTHENTICATION_FAILED)
    assert sorted(p.direction for p in found) == [C, S]
    assert all("the key is wrong" in p.message for p in found)
    assert plaintext(events, C) == plaintext(events, S) == []
    (summary,) = [e for e in events if isinstance(e, TlsSummary)]
    assert not summary.decrypted and summary.key_source is None


@pytest.mark.parametrize(("name", "index"), CONNECTIONS)
def test_gap_inside_a_record_resumes_at_the_next(name: str, index: int) -> None:
    steps, keys = source(name, index)
    clean = plaintext(run(steps, keys), S)
    target = clean[len(clean) // 2]
    events = run(edit(steps, S, target.record_offset + 7, gap=5), keys)
    (gap,) = problems(events, TlsProblem.GAP)
    assert (gap.offset, gap.direction) == (target.record_offset, S)
    assert f"inside the record at offset {target.record_offset}" in gap.message
    assert problems(events, TlsProblem.AUTHENTICATION_FAILED) == []
    after = [p.data for p in clean if p.record_offset > target.record_offset]
    got = [p.data for p in plaintext(events, S)]
    assert got[len(got) - len(after):] == after and len(got) == len(clean) - 1


@pytest.mark.parametrize(("name", "index"), CONNECTIONS)
def test_capture_starting_after_the_handshake(name: str, index: int) -> None:
    steps, keys = source(name, index)
    clean = run(steps, keys)
    first_client = plaintext(clean, C)[0].record_offset
    first_server = plaintext(clean, S)[0].record_offset
    late = edit(edit(steps, C, first_client, start=True), S, first_server, start=True)
    events = run(late, keys)
    (problem,) = problems(events, TlsProblem.MIDSTREAM)
    assert problem.offset == 0
    assert plaintext(events, C) == plaintext(events, S) == []
    assert not [e for e in events if isinstance(e, TlsDiagnostic)
                and e.problem not in (TlsProblem.MIDSTREAM, TlsProblem.ALERT)]
