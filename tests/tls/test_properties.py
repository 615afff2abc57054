"""Hypothesis: TlsConnection on real streams damaged at random (bytes flipped, ranges lost
in gaps, any chunking) never raises, tiles every direction with its events, and gives
the same events however the bytes are chunked; RecordReader on any bytes likewise."""

from __future__ import annotations

from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tls import rfc8448 as r
from tests.tls.pipeline import SAMPLES, keys_from, steps_of
from tests.tls.test_connection import TRACE, Step, check_tiling
from wiretool.direction import Direction
from wiretool.tls import KeyLog, TlsConnection, TlsEvent
from wiretool.tls.records import RawRecord, RecordReader, Skip

C, S = Direction.CLIENT, Direction.SERVER


@cache
def sources() -> list[tuple[list[Step], KeyLog]]:
    """The RFC 8448 trace and a few real connections (TLS 1.3 with KeyUpdates, TLS 1.2
    CBC MAC-then-encrypt and encrypt-then-MAC, ChaCha20, 0-RTT)."""
    rfc = KeyLog()
    rfc.add_text(r.KEY_LOG, origin="rfc8448")
    found: list[tuple[list[Step], KeyLog]] = [(list(TRACE), rfc)]
    for name, index in (("keyupdate", 0), ("tls12-cbc", 0), ("tls12-cbc", 2),
                        ("tls12-suites", 3), ("early-data", 1)):
        keys, _ = keys_from([SAMPLES / f"{name}.keys"])
        steps: list[Step] = list(steps_of(SAMPLES / f"{name}.pcap")[index])
        found.append((steps, keys))
    return found


def run(steps: list[Step], keys: KeyLog, chunk: int | None) -> list[TlsEvent]:
    tls = TlsConnection(keys)
    out: list[TlsEvent] = []
    for direction, data in steps:
        if isinstance(data, int):
            out += tls.gap(direction, data)
            continue
        size = chunk or len(data) or 1
        for at in range(0, len(data), size):
            out += tls.feed(direction, data[at:at + size])
    out += tls.close()
    return out


@st.composite
def damaged(draw: st.DrawFn) -> tuple[list[Step], KeyLog]:
    steps, keys = draw(st.sampled_from(sources()))
    out: list[Step] = []
    for direction, data in steps:
        assert isinstance(data, bytes)
        action = draw(st.sampled_from(["keep", "keep", "keep", "flip", "gap", "cut", "drop"]))
        if action == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
            out.append((direction, data))
        elif action == "gap" and data:
            start = draw(st.integers(0, len(data) - 1))
            end = draw(st.integers(start + 1, len(data)))
            out += [(direction, data[:start]), (direction, end - start),
                    (direction, data[end:])]
        elif action == "cut":
            out.append((direction, data[:draw(st.integers(0, len(data)))]))
            break
        elif action == "drop":
            out.append((direction, len(data)))  # the whole segment lost
        else:
            out.append((direction, data))
    return out, keys


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged(), st.sampled_from([1, 3, 50, 700, None]))
def test_damaged_streams_tile_and_chunking_changes_nothing(
        case: tuple[list[Step], KeyLog], chunk: int | None) -> None:
    steps, keys = case
    whole = run(steps, keys, None)
    check_tiling(steps, whole)
    assert run(steps, keys, chunk) == whole


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=80), st.integers(1, 30)), max_size=12),
       st.sampled_from([C, S]))
def test_any_bytes_any_gaps(pieces: list[bytes | int], direction: Direction) -> None:
    steps: list[Step] = [(direction, piece) for piece in pieces]
    events = run(steps, KeyLog(), None)
    check_tiling(steps, events)
    assert run(steps, KeyLog(), 1) == events


def read(pieces: list[bytes | int], chunk: int) -> list[RawRecord | Skip]:
    reader = RecordReader()
    out: list[RawRecord | Skip] = []
    for piece in pieces:
        if isinstance(piece, int):
            out += reader.gap(piece)
        else:
            for at in range(0, len(piece), chunk):
                out += reader.feed(piece[at:at + chunk])
    return out + reader.close()


# Records of every type, with noise between them.
_record = st.builds(lambda t, body: bytes([t, 3, 3]) + len(body).to_bytes(2, "big") + body,
                    st.integers(20, 24), st.binary(min_size=1, max_size=40))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_record, st.binary(max_size=12), st.integers(1, 20)), max_size=10),
       st.integers(1, 9))
def test_record_reader_tiles_and_ignores_chunking(pieces: list[bytes | int], chunk: int) -> None:
    whole = read(pieces, 1 << 20)
    assert read(pieces, chunk) == whole
    at = 0
    for item in whole:
        offset, length = ((item.offset, 5 + len(item.body)) if isinstance(item, RawRecord)
                          else (item.offset, item.length))
        assert offset == at
        at += length
    assert at == sum(len(p) if isinstance(p, bytes) else p for p in pieces)
