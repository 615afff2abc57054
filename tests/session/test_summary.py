"""The ``--summary`` model (``wiretool.session.summary``): duration quantiles within the
stated error, the per-method roll-up, its exact merge in any order (what ``--jobs``
relies on), PRIORITY-only streams folded, failed calls with their ``grpc-message``,
and rows kept only for connections with few calls."""

from __future__ import annotations

import itertools
import math
import random
import statistics
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.session import ConnectionEnd, SessionOptions, decode_h2
from wiretool.session import summary as model
from wiretool.session.summary import (
    DURATION_ERROR,
    CallStats,
    CaptureSummary,
    DurationSketch,
    MethodRollup,
    StreamRow,
    call_failed,
    method_key,
    status_label,
)

ROOT = Path(__file__).resolve().parents[2]


def nearest_rank(values: list[int], q: float) -> int:
    """The definition: the smallest value with at least ``q`` of all at or below it."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def sketch_of(values: list[int]) -> DurationSketch:
    sketch = DurationSketch()
    for value in values:
        sketch.add(value)
    return sketch


@pytest.mark.parametrize("seed", range(5))
def test_quantiles_are_within_the_stated_error(seed: int) -> None:
    rng = random.Random(seed)
    # Latencies over five orders of magnitude (20 us to 2 s), as a load test has.
    values = [int(rng.lognormvariate(math.log(2e6), 1.5)) + 20_000 for _ in range(20_000)]
    sketch = sketch_of(values)
    for q in (0.5, 0.9, 0.99, 0.999):
        estimate = sketch.quantile(q)
        exact = nearest_rank(values, q)
        assert estimate is not None
        assert abs(estimate - exact) <= DURATION_ERROR * exact, (q, estimate, exact)
    assert sketch.quantile(1.0) == max(values) and sketch.min_ns == min(values)
    # statistics' interpolated percentiles agree too, at this density
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    for q, cut in ((0.5, cuts[49]), (0.9, cuts[89]), (0.99, cuts[98])):
        assert abs(sketch.quantile(q) - cut) <= 2 * DURATION_ERROR * cut  # type: ignore[operator]
    assert len(sketch.buckets) < 700  # bounded by the spread, not the count


def test_a_few_durations_are_exact_and_zeros_count() -> None:
    values = [0, 0, 5, 1_000, 1_000_000, 7]
    sketch = sketch_of(values)
    for q in (0.1, 0.5, 0.9, 0.99, 1.0):
        assert sketch.quantile(q) == nearest_rank(values, q)
    many = [0] * 100 + list(range(1, 101))
    sketch = sketch_of(many)
    assert sketch.exact is None  # bucketed
    assert sketch.quantile(0.5) == 0 and sketch.zeros == 100
    assert DurationSketch().quantile(0.5) is None


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.integers(0, 10**10), max_size=300), cuts=st.lists(st.integers(0, 300),
                                                                              max_size=4),
       seed=st.integers(0, 1000))
def test_merging_sketches_in_any_order_gives_the_same_sketch(
        values: list[int], cuts: list[int], seed: int) -> None:
    whole = sketch_of(values)
    shuffled = values[:]
    random.Random(seed).shuffle(shuffled)
    bounds = sorted({0, len(values), *(c for c in cuts if c <= len(values))})
    parts = [sketch_of(shuffled[a:b]) for a, b in itertools.pairwise(bounds)]
    merged = DurationSketch()
    for part in reversed(parts):
        merged.merge(part)
    assert merged.count == whole.count and merged.zeros == whole.zeros
    assert merged.buckets == whole.buckets
    assert (merged.exact is None) == (whole.exact is None)
    for q in (0.5, 0.9, 0.99, 1.0):
        assert merged.quantile(q) == whole.quantile(q)


def _row(stream_id: int, path: str, *, grpc_status: int | None = 0,
         message: str | None = None, duration_ns: int = 1000, status: str | None = "200",
         reset: int | None = None) -> StreamRow:
    """A closed stream: gRPC when ``grpc_status`` is given, else plain HTTP."""
    names = {0: "OK", 5: "NOT_FOUND", 3: "INVALID_ARGUMENT", 14: "UNAVAILABLE"}
    return StreamRow(
        stream_id, "POST", path, status, grpc_status is not None, grpc_status,
        None if grpc_status is None else names[grpc_status],
        2, 10, 1, 5,  # client frames, DATA bytes, messages, message bytes
        3, 20, 1, 15,  # server ...
        1_000, 1_000 + duration_ns, True, message, reset, 40, 80)


def test_status_labels_and_failures() -> None:
    assert status_label(_row(1, "/a")) == "OK" and not call_failed(_row(1, "/a"))
    fail = _row(1, "/a", grpc_status=5, message="no such user: bob")
    assert status_label(fail) == "NOT_FOUND" and call_failed(fail)
    http = _row(1, "/a", grpc_status=None, status="503")
    assert status_label(http) == "503" and call_failed(http)
    assert not call_failed(_row(1, "/a", grpc_status=None, status="204"))
    reset = _row(1, "/a", grpc_status=None, status=None, reset=8)
    assert status_label(reset) == "RST_STREAM CANCEL" and call_failed(reset)
    assert method_key(_row(1, "/static/app.js?v=3")) == ("POST", "/static/app.js")


def _rows(count: int, seed: int) -> list[StreamRow]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        code = rng.choice([0, 0, 0, 5, 3, 14])
        rows.append(_row(2 * n + 1, f"/svc.S/M{rng.randrange(12)}", grpc_status=code,
                         message=None if code == 0 else f"why {rng.randrange(5)}",
                         duration_ns=rng.randrange(10**4, 10**9)))
    return rows


def _state(rollup: MethodRollup) -> object:
    """Everything a roll-up would render, comparable."""
    record = rollup.record()

    def stats(s: CallStats | None) -> object:
        if s is None:
            return None
        return (s.calls, sorted(s.statuses.items()), s.failed, sorted(s.failures.items()),
                s.other_failures, [s.durations.quantile(q) for q in (0.5, 0.9, 0.99, 1)],
                s.durations.min_ns, s.frames, s.client_message_bytes, s.hpack_wire_bytes)

    return ([(key, stats(s)) for key, s in record.methods], stats(record.other),
            stats(record.total), record.connections)


@pytest.mark.parametrize("seed", range(4))
def test_the_rollup_merges_exactly_in_any_order(monkeypatch: pytest.MonkeyPatch,
                                                seed: int) -> None:
    """Small limits, so the folding of methods and failures is exercised: the merge of
    any partition, in any order, is the roll-up of everything in one."""
    monkeypatch.setattr(model, "METHODS_KEPT", 5)
    monkeypatch.setattr(model, "FAILURES_KEPT", 3)
    monkeypatch.setattr(model, "EXACT_DURATIONS", 8)
    rows = _rows(400, seed)
    whole = MethodRollup()
    for row in rows:
        whole.add(row)
    whole.connections = 3
    rng = random.Random(seed)
    parts = [MethodRollup() for _ in range(3)]
    for row in rows:
        parts[rng.randrange(3)].add(row)
    for part in parts:
        part.connections = 1
    merged = MethodRollup()
    for part in rng.sample(parts, 3):
        merged.merge(part)
    assert _state(merged) == _state(whole)
    record = whole.record()
    assert [key for key, _ in record.methods] == sorted(key for key, _ in record.methods)
    assert len(record.methods) == 5 and record.other is not None
    assert record.total.calls == 400 == sum(s.calls for _, s in record.methods) + \
        record.other.calls
    assert sum(record.total.statuses.values()) == 400


def _summary(path: Path, **options: object) -> tuple[list[ConnectionEnd], CaptureSummary]:
    ends: list[ConnectionEnd] = []
    last = None
    with decode_h2(str(path), SessionOptions(summary=True, **options)) as records:  # type: ignore[arg-type]
        for record in records:
            if isinstance(record, ConnectionEnd):
                ends.append(record)
            elif isinstance(record, CaptureSummary):
                last = record
    assert last is not None
    return ends, last


def test_priority_only_streams_are_folded_not_calls() -> None:
    """nghttp builds its priority tree with idle streams 3, 5, 7, 9, 11 that carry only
    PRIORITY frames: one count, not five empty rows."""
    ends, capture = _summary(ROOT / "samples" / "h2" / "basic.pcap")
    (end,) = [e for e in ends if e.http2]
    assert end.summary is not None and end.summary.calls is not None
    calls = end.summary.calls
    assert (calls.priority_only, calls.priority_only_ids) == (5, [3, 5, 7, 9, 11])
    assert [row.stream_id for row in end.rows] == [13, 15]
    assert calls.stats.calls == 2 == capture.total.calls


def test_failed_calls_keep_their_grpc_message() -> None:
    ends, capture = _summary(ROOT / "samples" / "grpc" / "demo.pcap")
    rows = [row for end in ends for row in end.rows]
    (fail,) = [row for row in rows if row.path == "/wiretool.demo.Demo/Fail"]
    assert fail.grpc_status_name == "INVALID_ARGUMENT"
    assert fail.grpc_message == "name must not be empty: 100% wrong \u2717"
    methods = dict(capture.methods)
    stats = methods[("POST", "/wiretool.demo.Demo/Fail")]
    assert (stats.failed, stats.failures) == (1, {
        ("INVALID_ARGUMENT", "name must not be empty: 100% wrong \u2717"): 1})
    assert capture.total.calls == 7 and capture.connections == 2
    assert methods[("POST", "/wiretool.demo.Demo/ClientStream")].calls == 2  # 2 connections
    assert capture.total.statuses == {"OK": 6, "INVALID_ARGUMENT": 1}


def test_rows_are_kept_for_few_calls_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "ROWS_KEPT", 3)
    ends, _ = _summary(ROOT / "samples" / "grpc" / "demo.pcap")
    assert [len(end.rows) for end in ends if end.http2] == [0, 1]  # 6 calls, then 1
    ends, _ = _summary(ROOT / "samples" / "grpc" / "demo.pcap", stream_rows=True)
    assert [len(end.rows) for end in ends if end.http2] == [6, 1]
    (first,) = [end for end in ends if end.http2][:1]
    assert first.summary is not None and first.summary.calls is not None
    assert first.summary.calls.stats.calls == 6


def test_the_waterfall_is_a_bounded_sample_spread_over_the_connection(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "WATERFALL_ROWS", 4)
    calls = model.ConnectionCalls()
    for ordinal in range(100):
        calls.sample(ordinal, model.WaterfallRow(ordinal, None, None, "OK", False, ordinal,
                                                 None, None, ordinal + 1))
    kept = [ordinal for ordinal, _row in calls.waterfall]
    assert len(kept) <= 4 and kept[0] == 0 and kept[-1] >= 64
    assert all(k % calls.waterfall_step == 0 for k in kept)
