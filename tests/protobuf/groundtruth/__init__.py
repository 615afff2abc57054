"""Ground truth for choosing the kind of a length-delimited field without a schema.

Real schemas (installed from PyPI), random realistic instances made by the protobuf
runtime, protoc's own descriptor sets, an adversarial set, and protobuf's golden
messages (``golden/``: written by protobuf's own tests) (``corpora.py``);
every length-delimited field labelled with the kind its schema declares
(``oracle.py``). ``read_each`` and ``read_streams`` decode the corpus with wiretool
the two ways a user does - one message at a time, and each type as one
``--delimited`` stream - and ``tally`` scores a reading per column of issue 18's
table. ``benchmarks/bench_infer.py`` scores the peers on the same items.

    python -m tests.protobuf.groundtruth            # the table, with the commonest misses
    python -m tests.protobuf.groundtruth --small    # the subset the test suite runs
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tests.protobuf.groundtruth.corpora import Item
from tests.protobuf.groundtruth.oracle import Node, Tally, score
from wiretool.protobuf.model import Field, Kind, WireType

Reading = tuple[Node, ...] | None
"""A tool's reading of one message (None: the tool failed on it)."""

_SCORED = {Kind.MESSAGE: "message", Kind.STRING: "string", Kind.BYTES: "bytes",
           Kind.PACKED: "packed"}


def wiretool_nodes(fields: Iterable[Field]) -> tuple[Node, ...]:
    return tuple(
        (f.number, _SCORED[f.kind],
         wiretool_nodes(f.fields) if f.kind is Kind.MESSAGE else ())
        for f in fields if f.wire_type is WireType.LEN)


def read_each(items: Sequence[Item]) -> list[Reading]:
    """wiretool's reading of each message decoded on its own (``--no-grpc``)."""
    from wiretool.protobuf.wire import decode

    readings: list[Reading] = []
    for item in items:
        result = decode(item.data, framing="none")
        ok = result.ok and len(result.messages) == 1
        readings.append(wiretool_nodes(result.messages[0].fields) if ok else None)
    return readings


def delimited(datas: Iterable[bytes]) -> bytes:
    out = bytearray()
    for data in datas:
        size = len(data)
        while size >= 0x80:
            out.append(size & 0x7F | 0x80)
            size >>= 7
        out.append(size)
        out += data
    return bytes(out)


def by_type(items: Sequence[Item]) -> dict[str, list[int]]:
    """Indexes of the items of each type, in order."""
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        groups.setdefault(f"{item.corpus}/{item.type_name}", []).append(index)
    return groups


def read_streams(items: Sequence[Item]) -> list[Reading]:
    """wiretool's reading of each message when each type is one ``--delimited`` stream."""
    from wiretool.protobuf.wire import decode

    readings: list[Reading] = [None] * len(items)
    for indexes in by_type(items).values():
        result = decode(delimited(items[i].data for i in indexes), framing="delimited")
        if len(result.messages) != len(indexes):
            continue
        for index, message in zip(indexes, result.messages, strict=True):
            readings[index] = wiretool_nodes(message.fields) if message.unparsed is None else None
    return readings


def tally(items: Sequence[Item], readings: Sequence[Reading]) -> Tally:
    result = Tally()
    for item, reading in zip(items, readings, strict=True):
        score(item.expected, reading, result, item.type_name.rsplit(".", 1)[-1])
    return result
