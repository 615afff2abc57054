"""The ground truth of real schemas (``tests/protobuf/groundtruth``), with issue 18's
targets as assertions, on the subset ``python -m tests.protobuf.groundtruth --small``
prints (about 650 messages; ``benchmarks/bench_infer.py`` measures the whole set and the
peers)."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pytest

from tests.protobuf.groundtruth import __main__ as sets
from tests.protobuf.groundtruth import corpora, instances, read_each, read_streams, tally
from tests.protobuf.groundtruth.oracle import Oracle, Tally, count
from wiretool.inputs import InputFormat, decode_input

TARGETS = {
    # corpus: (4-way, message vs not), one message at a time and as streams (issue 18)
    "realistic": (0.97, 0.99),
    "descriptor-sets": (0.97, 0.99),
    "adversarial": (0.95, 0.95),
}
ADVERSARIAL_ONE_AT_A_TIME = (0.95, 0.96)
"""One message at a time, the adversarial set is at its limit: this subset meets the
4-way target (95.5%, message vs not 96.6%); the whole set (``bench_infer.py``) reaches
94.9% / 96.4%. What is left is what one message cannot tell: empty strings and bytes
with no sibling (an empty payload alone is an empty message: 228 of 237 on the realistic
corpus), one-field messages of small varints that are packed numbers ([48, 1] is field 6
= 1), and short numbers that are clean text ("MY"). Streams see more and meet it. The
floor measured, kept from slipping."""


@cache
def corpus(name: str) -> list[corpora.Item]:
    small = sets.small_sets()
    if name == "adversarial":
        return small["adversarial"]
    return [item for item in small["realistic"] if item.corpus == name]


@cache
def scored(name: str, mode: str) -> Tally:
    items = corpus(name)
    return tally(items, (read_each if mode == "one at a time" else read_streams)(items))


@pytest.mark.parametrize("mode", ["one at a time", "streams"])
@pytest.mark.parametrize("name", sorted(TARGETS))
def test_targets_are_met(name: str, mode: str) -> None:
    result = scored(name, mode)
    four_way, binary = TARGETS[name]
    if (name, mode) == ("adversarial", "one at a time"):
        four_way, binary = ADVERSARIAL_ONE_AT_A_TIME
    misses = result.wrong.most_common(8)
    assert result.four_way() >= four_way, (result.four_way(), misses)
    assert result.message_vs_not() >= binary, (result.message_vs_not(), misses)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_streams_are_at_least_as_good_as_one_message_at_a_time(name: str) -> None:
    each, streams = scored(name, "one at a time"), scored(name, "streams")
    assert streams.four_way() >= each.four_way()
    assert streams.message_vs_not() >= each.message_vs_not()


@pytest.mark.parametrize("read", [read_each, read_streams])
def test_protobuf_golden_messages_read_as_their_schema_says(read: object) -> None:
    """protobuf's own golden messages (every field type of proto2 and proto3, packed
    floats and doubles, maps, groups' neighbours): every length-delimited field is read
    as its schema declares, but the keys of ``TestMaps.m_string`` - strings of binary
    (``"\\0\\0\\x12aA\\0\\0"``: proto2 does not check UTF-8), which no decoder
    can tell from numbers - read as packed numbers."""
    items = corpora.golden()
    result = tally(items, read(items))  # type: ignore[operator]
    assert result.fields == 1488
    assert result.wrong == Counter({("TestMaps.12.1", "string", "packed"): 49})
    assert result.message_vs_not() == 1.0


def test_auto_detection_reads_every_message_as_binary() -> None:
    items = [item for name in TARGETS for item in corpus(name)]
    text = [item.data[:20] for item in items if decode_input(item.data).format
            is not InputFormat.RAW]
    assert text == []


def test_the_ground_truth_has_the_shapes_it_promises() -> None:
    realistic = corpus("realistic")
    assert len({item.type_name for item in realistic}) >= 30
    assert {item.corpus for item in realistic} == {"realistic"}
    assert len(corpus("descriptor-sets")) >= 5

    def depth(nodes: tuple[corpora.Node, ...], number: int) -> int:
        """How deep ``number`` nests in itself."""
        return max((1 + depth(c, number) if n == number else depth(c, number)
                    for n, kind, c in nodes if kind == "message"), default=0)

    full = corpora.realistic(60)
    rules = [item for item in full if item.type_name == "google.api.HttpRule"]
    assert max(depth(item.expected, 11) for item in rules) == 6  # additional_bindings
    structs = [item for item in full if item.type_name == "google.protobuf.Struct"]
    assert max(depth(item.expected, 1) for item in structs) >= 12  # Struct.fields ...
    messages = [item for item in full if item.type_name.endswith("DescriptorProto")]
    assert max(depth(item.expected, 3) for item in messages) >= 4  # nested_type
    kinds = {kind for item in realistic + corpus("adversarial") for kind in _kinds(item.expected)}
    assert kinds == {"message", "string", "bytes", "packed"}


def _kinds(nodes: tuple[corpora.Node, ...]) -> set[str]:
    found = {kind for _, kind, _ in nodes}
    for _, _, children in nodes:
        found |= _kinds(children)
    return found


def test_the_ground_truth_is_deterministic() -> None:
    assert [i.data for i in corpora.realistic(3, seed=5)] == [
        i.data for i in corpora.realistic(3, seed=5)]
    assert [i.data for i in corpora.adversarial(3, seed=5)] == [
        i.data for i in corpora.adversarial(3, seed=5)]


def test_the_oracle_labels_any_value_by_its_type_url() -> None:
    from google.protobuf import any_pb2
    from google.rpc import error_details_pb2

    info = error_details_pb2.ErrorInfo(reason="QUOTA", domain="example.com")
    info.metadata["zone"] = "eu"
    holder = any_pb2.Any()
    holder.Pack(info)
    expected = Oracle(instances.pool()).expected(holder.SerializeToString(), holder.DESCRIPTOR)
    assert expected == (
        (1, "string", ()),
        (2, "message", ((1, "string", ()), (2, "string", ()),
                        (3, "message", ((1, "string", ()), (2, "string", ()))))),
    )
    assert count(expected) == 7


def test_the_ground_truth_is_the_same_in_every_process() -> None:
    """Map entries are serialized in key order (the runtime's own order changes from one
    process to the next): two processes make the same bytes."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    script = ("import hashlib; from tests.protobuf.groundtruth import corpora; "
              "h = hashlib.sha256(); [h.update(i.data) for i in corpora.realistic(4) "
              "+ corpora.adversarial(4)]; print(h.hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                              text=True, check=True, env={"PYTHONHASHSEED": seed, "PATH": ""}
                              ).stdout for seed in ("1", "2")}
    assert len(digests) == 1
