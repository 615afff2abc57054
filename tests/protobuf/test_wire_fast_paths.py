"""The decoder's shortcuts give exactly what the plain computation gives.

Pass 2 of ``wire._Reader`` takes each payload's readings from what pass 1 left
(``_profile_of``) instead of scoring the payload again, and pass 1 reuses the
readings of bytes it scored before (``_known``); with both switched off, every
payload takes the plain path (``_scored``, ``_readings``). The two must agree on every
field and diagnostic. These are the reference's (Python) shortcuts: every decode here
runs with ``engine="python"`` (``test_native.py`` compares the native core with it).
"""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.protobuf.test_properties import encode, scalar_fields
from wiretool.protobuf import infer, wire
from wiretool.protobuf.model import DecodeResult, Field

SAMPLES = ("person.bin", "people.grpc", "people.delimited", "addressbook.b64")


def _plain(monkeypatch: pytest.MonkeyPatch, data: bytes, **options: object) -> DecodeResult:
    """Decoded without the shortcuts: pass 2 scores every payload again, and pass 1
    scores every payload itself (none taken from ``_known``, the same bytes seen)."""
    with monkeypatch.context() as patched:
        patched.setattr(wire._Reader, "_profile_of", lambda self, voff: None)
        patched.setattr(wire, "_KNOWN_LENGTH", -1)
        return wire.decode(data, engine="python", **options)  # type: ignore[arg-type]


def _nested(fields: list[tuple[int, int, object]], depth: int) -> bytes:
    data = encode(fields)
    for number in range(depth):
        data = encode([(number % 3 + 1, 2, data), *fields[:2]])
    return data


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300),
                 st.builds(_nested, st.lists(scalar_fields, max_size=8), st.integers(0, 5))),
       st.sampled_from(["none", "grpc", "delimited", "auto"]), st.sampled_from([100, 2]))
def test_remembered_readings_equal_the_plain_path(data: bytes, framing: str,
                                                  max_depth: int) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        plain = _plain(monkeypatch, data, framing=framing, max_depth=max_depth)
    assert wire.decode(data, framing=framing, max_depth=max_depth, engine="python") == plain


def test_remembered_readings_equal_the_plain_path_on_the_samples(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import SAMPLES as ROOT
    from wiretool.inputs import decode_input

    for name in SAMPLES:
        data = decode_input((ROOT / name).read_bytes()).data
        assert wire.decode(data, engine="python") == _plain(monkeypatch, data), name


def test_schema_hinted_decodes_equal_the_plain_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import SAMPLES as ROOT
    from wiretool.protobuf.annotate import DescriptorHints
    from wiretool.protobuf.schema import load_schema

    person = load_schema([], [], [ROOT / "person.desc"]).resolve_type("wiretool.samples.Person")
    data = (ROOT / "person.bin").read_bytes()
    for payload in (data, data + data[:40], data[::-1], b"\x0a\x02hi" * 50):
        hints = DescriptorHints(person)
        assert (wire.decode(payload, hints=hints, engine="python")
                == _plain(monkeypatch, payload, hints=hints))


def test_interleaved_messages_of_a_stream_are_built_alike() -> None:
    """Each message's field iterator keeps its own place in what pass 1 left."""
    # Compressed gRPC messages: each its own buffer, with payloads at the same offsets
    # read differently (a string in one, a message or packed numbers in the other).
    payloads = [encode([(1, 2, b"abcd"), (2, 2, b"\x08\x01\x10\x02")]),
                encode([(1, 2, b"abcd"), (2, 2, b"wxyz")]),
                encode([(1, 2, b"abcd"), (2, 2, b"\x01\x02\x03\x04")])]
    data = b"".join(b"\x01" + len(body).to_bytes(4, "big") + body
                    for body in map(gzip.compress, payloads))
    whole = wire.decode(data, engine="python")
    assert len(whole.messages) > 1
    stream = wire.decode_stream(data, engine="python")
    iterators = [iter(fields) for _, fields in stream.parts()]
    built: list[list[Field]] = [[] for _ in iterators]
    while True:  # one field of each message in turn
        progressed = False
        for iterator, fields in zip(iterators, built, strict=True):
            field = next(iterator, None)
            if field is not None:
                fields.append(field)
                progressed = True
        if not progressed:
            break
    assert [tuple(fields) for fields in built] == [m.fields for m in whole.messages]


def plain_ranking(candidates: dict[str, tuple[float, object]]) -> tuple[str, ...]:
    """Every reading but bytes, and packed only above bytes once its prior is added."""
    def score(key: str) -> float:
        prior = infer.PACKED_PRIOR if key.startswith("packed") else 0.0
        return candidates[key][0] + prior

    return tuple(sorted(
        (key for key in candidates
         if key != "bytes" and (not key.startswith("packed") or score(key) > 0)),
        key=lambda key: (-score(key), wire._KEY_ORDER[key]),
    ))


scores = st.one_of(st.sampled_from([0.0, -0.0, 0.1, -2.0, 3.0, 5.5]),
                   st.floats(-20, 20, allow_nan=False))


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(wire._KEY_ORDER)), scores))
def test_ranking_is_the_plain_sort(found: dict[str, float]) -> None:
    candidates: dict[str, tuple[float, object]] = {"bytes": (0.0, None)}
    candidates.update((key, (score, None)) for key, score in found.items() if key != "bytes")
    assert wire._ranking(candidates) == plain_ranking(candidates)


def plain_read_varint(buf: bytes, pos: int, end: int) -> tuple[int, int, bool] | str:
    start = pos
    value = shift = 0
    while True:
        if pos >= end:
            return "past the end"
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            break
        shift += 7
        if shift >= 70:
            return "longer than 10 bytes"
    return value & (1 << 64) - 1, pos, (byte == 0 and pos - start > 1) or value >= 1 << 64


varint_bytes = st.lists(st.one_of(st.integers(0, 255), st.sampled_from([0x00, 0x01, 0x7F, 0x80,
                                                                         0xFF])), max_size=14)


@settings(max_examples=1000, deadline=None)
@given(varint_bytes, st.integers(0, 3), st.integers(0, 3))
def test_read_varint_is_the_plain_loop(data: list[int], start: int, cut: int) -> None:
    buf = bytes(data)
    end = max(start, len(buf) - cut)
    try:
        got: tuple[int, int, bool] | str = wire._read_varint(buf, start, end)
    except wire._Fault as fault:
        got = "past the end" if "past the end" in fault.message else "longer than 10 bytes"
    assert got == plain_read_varint(buf, start, end)


def test_any_payloads_and_depth_limits_equal_the_plain_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Any-shaped messages (their payload's fields have paths of their own per type URL),
    the same payload bytes at several depths (the remembered scores of ``_known`` may
    only serve where the plain path explores as deep), and depth limits across them."""
    def field(number: int, payload: bytes) -> bytes:
        return encode([(number, 2, payload)])

    inner = field(1, b"reason") + field(2, b"example.com")
    anys = [field(1, b"type.googleapis.com/google.rpc.ErrorInfo") + field(2, inner),
            field(1, b"type.googleapis.com/google.rpc.Help") + field(2, field(1, inner)),
            field(1, b"type.googleapis.com/acme.Blob") + field(2, b"\x01\x02\x03")]
    nested = inner
    for _ in range(6):
        nested = field(3, nested) + field(4, inner)
    one = b"".join(field(3, a) for a in anys) + nested
    stream = b"".join(bytes([len(m)]) + m for m in (*anys, field(5, anys[0])))
    for max_depth in (1, 2, 3, 5, 100):
        for data, framing in ((one, "none"), (stream, "delimited")):
            decoded = wire.decode(data, framing=framing, max_depth=max_depth, engine="python")
            assert decoded == _plain(
                monkeypatch, data, framing=framing, max_depth=max_depth), (max_depth, framing)
