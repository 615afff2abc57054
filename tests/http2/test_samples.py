"""Real connections (samples/h2, made by samples/h2/make_samples.sh with Debian's nghttpd and
nghttp on loopback) against the expectations tshark produced once (``*.tshark.tsv``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wiretool.direction import Direction
from wiretool.http2.connection import Connection
from wiretool.http2.frames import Frame, Preface, Record
from wiretool.inputs.follow import iter_follow_chunks

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "h2"
NAMES = ["basic", "padding_priority", "push", "continuation"]

FrameKey = tuple[int, int, int, int]  # stream, type, flags, length


def tshark_expectations(name: str) -> dict[str, tuple[list[FrameKey], list[tuple[str, str]]]]:
    """Per direction: frames in order, and every header (name, value) in order."""
    out: dict[str, tuple[list[FrameKey], list[tuple[str, str]]]] = {
        "client": ([], []), "server": ([], []),
    }
    for line in (SAMPLES / f"{name}.tshark.tsv").read_text().splitlines():
        cols = line.split("\t") + [""] * 7
        direction, streams, types, flags, lengths, names, values = cols[:7]
        frames, headers = out[direction]
        frames += [
            (int(s), int(t), int(f, 16), int(n))
            for s, t, f, n in zip(streams.split("|"), types.split("|"), flags.split("|"),
                                  lengths.split("|"), strict=True)
        ]
        if names:
            headers += list(zip(names.split("|"), values.split("|"), strict=True))
    return out


def decode_follow(name: str) -> list[Record]:
    connection = Connection(both_directions=True)
    records: list[Record] = []
    with (SAMPLES / f"{name}.follow").open() as text:
        for node, data, _line in iter_follow_chunks(text):  # node 0 sent the preface
            records += connection.feed(Direction.CLIENT if node == 0 else Direction.SERVER,
                                       data)
    return records + connection.close()


def ours(records: list[Record], direction: str) -> tuple[list[FrameKey], list[tuple[str, str]]]:
    frames = [r for r in records if isinstance(r, Frame) and r.direction == direction]
    keys = [(f.stream_id, f.type, f.flags, f.length) for f in frames]
    headers = [
        (n.decode(), v.decode())
        for f in frames if f.header_block is not None
        for n, v in f.header_block.headers
    ]
    return keys, headers


@pytest.mark.parametrize("name", NAMES)
def test_follow_output_matches_tshark(name: str) -> None:
    records = decode_follow(name)
    expected = tshark_expectations(name)
    for direction in ("client", "server"):
        frames, headers = ours(records, direction)
        assert frames == expected[direction][0]
        assert headers == expected[direction][1]
    assert not [d for r in records if isinstance(r, Frame)
                for d in r.diagnostics if d.severity == "error"]
    first_client = next(r for r in records if getattr(r, "direction", None) == "client")
    assert isinstance(first_client, Preface)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("side", ["client", "server"])
def test_one_direction_raw_dump_detects_its_side(name: str, side: str) -> None:
    data = (SAMPLES / f"{name}.{side}.bin").read_bytes()
    connection = Connection()
    records: list[Record] = []
    for start in range(0, len(data), 1000):  # fed in pieces, as a stream would be
        records += connection.feed(None, data[start : start + 1000])
    records += connection.close()
    assert {r.direction for r in records if isinstance(r, Frame)} == {side}
    frames, headers = ours(records, side)
    expected = tshark_expectations(name)[side]
    assert frames == expected[0]
    assert headers == expected[1]


def test_samples_exercise_padding_priority_push_and_continuation() -> None:
    padded = [r for r in decode_follow("padding_priority") if isinstance(r, Frame)]
    assert any(f.body.pad_length for f in padded if f.type == 0)  # padded DATA
    assert any(f.body.pad_length for f in padded if f.type == 1)  # padded HEADERS
    assert [f.body.weight for f in padded if f.type == 1 and f.direction == "client"] == [32, 200]
    push = [r for r in decode_follow("push") if isinstance(r, Frame)]
    assert [f.body.promised_stream_id for f in push if f.type == 5] == [2]
    cont = [r for r in decode_follow("continuation") if isinstance(r, Frame)]
    ends = [f for f in cont if f.header_block is not None and f.direction == "client"]
    assert ends[0].type == 9  # the block ends on a CONTINUATION
    assert ends[0].header_block is not None and ends[0].header_block.wire_length > 16_384
    # The dynamic table carries over between requests: later blocks use dynamic indexes.
    basic = [r for r in decode_follow("basic") if isinstance(r, Frame) and r.header_block]
    client_blocks = [f.header_block for f in basic if f.direction == "client"]
    assert any(fld.table == "dynamic" for b in client_blocks[1:] if b for fld in b.fields)
