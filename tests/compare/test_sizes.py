"""compare-json sizes against the protobuf runtime itself (ByteSize, json_format)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from google.protobuf import descriptor_pb2, json_format, struct_pb2, timestamp_pb2
from google.protobuf.message import Message as PbMessage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLES
from wiretool.protobuf.jsonmap import json_to_message
from wiretool.protobuf.schema import Schema, load_schema
from wiretool.protobuf.sizes import Comparison, FieldSize, compare_message, stats, summarize

DATA = Path(__file__).parent / "data"
SCHEMA_DATA = Path(__file__).parent.parent / "schema" / "data"
SHOP: Schema = load_schema([SAMPLES / "shop" / "shop.proto"])
ORDER = SHOP.resolve_type("shop.v1.Order")


def _check_totals(c: Comparison, msg: PbMessage) -> None:
    """Every figure agrees with the runtime, and per-field bytes add up exactly."""
    assert c.protobuf.bytes == msg.ByteSize() == len(msg.SerializeToString())
    canonical = json.dumps(
        json_format.MessageToDict(msg), separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert c.json.bytes == len(canonical)
    # Same JSON as json_format (map entries sorted by key, so compressed sizes are stable).
    assert json.loads(c.json_data) == json.loads(canonical)
    assert c.json.gzip_bytes == len(gzip.compress(c.json_data, 6, mtime=0))
    assert sum(f.protobuf_bytes for f in c.fields) == c.protobuf.bytes
    assert sum(f.json_bytes for f in c.fields) + c.json_overhead == c.json.bytes
    for f in c.fields:
        _check_children(f)


def _check_children(f: FieldSize) -> None:
    if f.children:
        # Children are inside the payload: exactly, for messages (no packed parents exist).
        assert sum(c.protobuf_bytes for c in f.children) == f.protobuf.payload
        assert sum(c.json_bytes for c in f.children) <= f.json.value
    for child in f.children:
        _check_children(child)


def test_order_sample_matches_runtime() -> None:
    value = json.loads((DATA / "order.json").read_text())
    msg = json_to_message(value, ORDER, SHOP.pool)
    c = compare_message(msg, pool=SHOP.pool)
    _check_totals(c, msg)
    by_path = {f.path: f for f in c.fields}
    # delta = -42 as int32: tag 0x50, then 10 bytes of sign-extended varint.
    assert by_path["delta"].protobuf.tag == 1 and by_path["delta"].protobuf.payload == 10
    # "delta":-42, -> key 5, quotes 2, colon 1, value 3, comma 1
    assert by_path["delta"].json.total == 12
    # big = 16: a 2-byte tag.
    assert by_path["big"].protobuf.tag == 2
    # unpacked fixed32 x4: four 1-byte tags, four 4-byte payloads.
    assert (by_path["sensors"].occurrences, by_path["sensors"].protobuf_bytes) == (4, 20)
    # maps: entries as key/value children.
    labels = {f.path: f for f in by_path["labels"].children}
    assert set(labels) == {"labels.key", "labels.value"}
    kinds = {(a.kind, a.path): a for a in c.advice}
    assert kinds[("sint", "delta")].protobuf_bytes_saved == 9  # 10 bytes -> zigzag(-42)=83: 1
    assert kinds[("packed", "sensors")].protobuf_bytes_saved == 2  # 4 tags -> 1 tag + 1 length
    assert kinds[("json-int64", "lines.price.units")].json_bytes_saved == 4
    assert kinds[("json-base64", "blob")].json_bytes_saved == 4  # 4 bytes -> "3q2+7w=="
    assert kinds[("default", "priority")].protobuf_bytes_saved == 2


def test_descriptor_proto_file_descriptor_set() -> None:
    # A big real-world schema: descriptor.proto describing itself and the shop schema.
    fds = descriptor_pb2.FileDescriptorSet()
    fds.ParseFromString((SCHEMA_DATA / "service.pb").read_bytes())
    c = compare_message(fds)
    _check_totals(c, fds)
    assert c.type_name == "google.protobuf.FileDescriptorSet"
    assert c.ratio() is not None and c.ratio() > 1  # type: ignore[operator]


def test_well_known_types_are_not_split_in_json() -> None:
    s = struct_pb2.Struct()
    s.update({"a": 1, "b": [True, None, "x"], "c": {"d": 2.5}})
    c = compare_message(s)
    _check_totals(c, s)
    ts = timestamp_pb2.Timestamp(seconds=1709294400, nanos=5)
    c = compare_message(ts)
    assert c.protobuf.bytes == ts.ByteSize()
    # The JSON of a Timestamp is a string: all of it is overhead, no field owns any.
    assert c.json_overhead == c.json.bytes == len(b'"2024-03-01T12:00:00.000000005Z"')


def test_empty_message() -> None:
    msg = json_to_message({}, ORDER, SHOP.pool)
    c = compare_message(msg, pool=SHOP.pool)
    assert (c.protobuf.bytes, c.json.bytes, c.json_overhead, c.fields) == (0, 2, 2, ())
    assert c.ratio() is None


_money = st.fixed_dictionaries(
    {},
    optional={
        "currency": st.text(max_size=5),
        "units": st.integers(-(2**63), 2**63 - 1).map(str),
        "nanos": st.integers(-(2**31), 2**31 - 1),
    },
)
_line = st.fixed_dictionaries(
    {},
    optional={"sku": st.text(max_size=8), "quantity": st.integers(0, 2**32 - 1), "price": _money},
)
_order = st.fixed_dictionaries(
    {},
    optional={
        "id": st.integers(0, 2**64 - 1).map(str),
        "customer": st.text(max_size=12),
        "status": st.sampled_from(["STATUS_OPEN", "STATUS_SHIPPED", "STATUS_UNSPECIFIED"]),
        "lines": st.lists(_line, max_size=3),
        "labels": st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=3),
        "cardToken": st.text(max_size=6),
        "scores": st.lists(st.integers(-(2**31), 2**31 - 1), max_size=4),
        "sensors": st.lists(st.integers(0, 2**32 - 1), max_size=4),
        "delta": st.integers(-(2**31), 2**31 - 1),
        "weight": st.floats(allow_nan=False, allow_infinity=False),
        "gift": st.booleans(),
        "priority": st.integers(-5, 5),
        "big": st.integers(-(2**63), 2**63 - 1).map(str),
        "offset": st.integers(-(2**63), 2**63 - 1).map(str),
        "blob": st.binary(max_size=10).map(lambda b: __import__("base64").b64encode(b).decode()),
        "totals": st.dictionaries(st.integers(-5, 5).map(str), _money, max_size=2),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_order)
def test_per_field_sums_equal_totals(value: dict[str, Any]) -> None:
    msg = json_to_message(value, ORDER, SHOP.pool)
    c = compare_message(msg, pool=SHOP.pool)
    _check_totals(c, msg)
    for a in c.advice:
        assert a.protobuf_bytes_saved >= 0 and a.json_bytes_saved >= 0
        assert a.protobuf_bytes_saved <= c.protobuf.bytes


def test_stats_nearest_rank() -> None:
    s = stats([5, 1, 3, 2, 4] * 4)
    assert (s.count, s.total, s.median, s.p95, s.min, s.max) == (20, 60, 3.0, 5, 1, 5)
    assert stats([7]).p95 == 7


def test_summary_ratios() -> None:
    a = compare_message(json_to_message({"id": "1"}, ORDER, SHOP.pool))
    b = compare_message(json_to_message({"customer": "xyz"}, ORDER, SHOP.pool))
    s = summarize([a, b])
    assert s.count == 2
    assert s.encodings["protobuf"].total == a.protobuf.bytes + b.protobuf.bytes
    assert s.ratio == (a.json.bytes + b.json.bytes) / (a.protobuf.bytes + b.protobuf.bytes)
