#!/usr/bin/env python3
"""How often each decoder without a schema reads a length-delimited field as what its
schema declares: wiretool, blackboxprotobuf, protobuf-inspector, ``protoc --decode_raw``.

    python benchmarks/bench_infer.py            # the full ground truth (about 1 min)
    python benchmarks/bench_infer.py --small    # the subset the test suite asserts

The ground truth is ``tests/protobuf/groundtruth`` (its docstrings say how it is made
and labelled): realistic messages of 40 types from real schemas, protoc's own
descriptor sets of the .proto files those packages ship, an adversarial set, and
protobuf's own golden messages (written by protobuf's tests; issue 18 sets no target
on them, they are real messages of every field type made by other people). Each
field is scored per column of issue 18's table: per declared kind (message, string,
bytes, packed), 4-way, and message vs not; a field under a parent that was not read
as a message counts as wrong. wiretool is measured one message at a time and with
each type as one ``--delimited`` stream (a stream lets it see every occurrence of a
field path); the peers read one message at a time (none of them reads a stream of
messages, and none carries evidence from one message to the next). The last lines
check that auto-detection reads every one of these binary messages as raw binary.

blackboxprotobuf (PyPI ``bbpb``) and protobuf-inspector are installed into a throwaway
virtual environment (``benchmarks/work/peers``) on the first run, as
``bench_decode.py`` does; ``protoc`` is the system's (``apt-get install
protobuf-compiler``). A peer that cannot be found is skipped with a note.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_decode import python_peers  # noqa: E402

from tests.protobuf.groundtruth import (  # noqa: E402
    Reading,
    delimited,
    read_each,
    read_streams,
    tally,
)
from tests.protobuf.groundtruth import __main__ as sets  # noqa: E402
from tests.protobuf.groundtruth.corpora import Item  # noqa: E402
from tests.protobuf.groundtruth.oracle import KINDS, Node, Tally  # noqa: E402
from wiretool.inputs import InputFormat, decode_input  # noqa: E402

TARGETS = {"realistic": (0.97, 0.99), "descriptor sets": (0.97, 0.99), "adversarial": (0.95, 0.95)}
"""Per corpus: (4-way, message vs not) that wiretool must reach (issue 18)."""


def read_peer(python: Path, tool: str, items: Sequence[Item]) -> list[Reading]:
    script = ROOT / "benchmarks" / "infer_peers.py"
    done = subprocess.run([str(python), str(script), tool], input=delimited(i.data for i in items),
                          capture_output=True, check=True)
    lines = done.stdout.decode().splitlines()
    assert len(lines) == len(items), (tool, len(lines), done.stderr[-2000:])
    return [_nodes(json.loads(line)) for line in lines]


def _nodes(tree: list[list[object]] | None) -> tuple[Node, ...] | None:
    if tree is None:
        return None
    return tuple((int(n), str(k), _nodes(c) or ()) for n, k, c in tree)  # type: ignore[arg-type]


_OPEN = re.compile(r"^\s*(\d+) \{$")
_STRING = re.compile(r'^\s*(\d+): "')


def read_protoc(protoc: str, items: Sequence[Item]) -> list[Reading]:
    """``protoc --decode_raw`` of all the messages at once, each as field 1 of one outer
    message (its reading of a payload depends on that payload alone): a payload it
    prints as ``N { ... }`` is a message, as ``N: "..."`` a string (it prints bytes and
    packed numbers the same way)."""
    outer = bytearray()
    for item in items:
        outer += b"\x0a" + delimited([item.data])
    done = subprocess.run([protoc, "--decode_raw"], input=bytes(outer), capture_output=True,
                          check=True)
    stack: list[list[Node]] = [[]]
    numbers: list[int] = []
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        if match := _OPEN.match(line):
            numbers.append(int(match.group(1)))
            stack.append([])
        elif line.strip() == "}":
            children = tuple(stack.pop())
            stack[-1].append((numbers.pop(), "message", children))
        elif match := _STRING.match(line):
            stack[-1].append((int(match.group(1)), "string", ()))
    top = stack[0]
    assert len(top) == len(items), (len(top), len(items))
    return [children if kind == "message" else None for _, kind, children in top]


def cells(result: Tally, targets: tuple[float, float] | None) -> str:
    out = []
    for kind in KINDS:
        recall = result.recall(kind)
        out.append("-" if recall is None else f"{recall:.1%}")
    four, binary = result.four_way(), result.message_vs_not()
    met = ""
    if targets is not None:
        ok = four >= targets[0] and binary >= targets[1]
        wrong = result.fields - sum(result.right.values())
        met = (f" | {'met' if ok else 'NOT met'} (≥ {targets[0]:.0%} / ≥ {targets[1]:.0%};"
               f" {wrong} of {result.fields} wrong 4-way)")
    return " | ".join(out) + f" | {four:.1%} | {binary:.1%}{met}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="the subset the tests assert")
    parser.add_argument("--misses", type=int, default=0,
                        help="print wiretool's N commonest misses per corpus and mode")
    args = parser.parse_args()
    start = time.perf_counter()
    raw_sets = sets.small_sets() if args.small else sets.full_sets()
    corpora = {"realistic": [i for i in raw_sets["realistic"] if i.corpus == "realistic"],
               "descriptor sets": [i for i in raw_sets["realistic"] if i.corpus != "realistic"],
               "adversarial": raw_sets["adversarial"],
               "protobuf's golden messages": raw_sets["golden"]}
    print(f"ground truth made in {time.perf_counter() - start:.1f} s: " + ", ".join(
        f"{name} {len(items)} messages of {len({i.type_name for i in items})} types"
        for name, items in corpora.items()))

    readers: dict[str, object] = {"wiretool, one message at a time": read_each,
                                  "wiretool, each type as one --delimited stream": read_streams}
    peers = python_peers()
    python = ROOT / "benchmarks" / "work" / "peers" / "bin" / "python"
    if any("bbpb" in name for name in peers):
        readers["blackboxprotobuf (bbpb)"] = lambda items: read_peer(python, "bbpb", items)
    if "protobuf_inspector" in peers:
        readers["protobuf-inspector"] = lambda items: read_peer(python, "inspector", items)
    protoc = shutil.which("protoc")
    if protoc:
        readers["protoc --decode_raw"] = lambda items: read_protoc(protoc, items)
    else:
        print("protoc not found: apt-get install protobuf-compiler (measuring the rest)")

    print("\n| corpus | tool | message | string | bytes | packed | 4-way | message vs not | target |")
    print("|---|---|---|---|---|---|---|---|---|")
    misses: list[tuple[str, Tally]] = []
    for name, items in corpora.items():
        for tool, read in readers.items():
            result = tally(items, read(items))  # type: ignore[operator]
            ours = tool.startswith("wiretool")
            print(f"| {name} ({sum(1 for _ in items)} messages, {result.fields} fields) | {tool} | "
                  f"{cells(result, TARGETS.get(name) if ours else None)}"
                  + ("" if ours and name in TARGETS else " | |"))
            if ours:
                misses.append((f"{name}, {tool}", result))
    text = [i for items in corpora.values() for i in items
            if decode_input(i.data).format is not InputFormat.RAW]
    total = sum(len(items) for items in corpora.values())
    print(f"\nauto-detection: {total - len(text)} of {total} binary messages read as raw binary"
          f" ({'met' if not text else 'NOT met'}: none may be read as hex or base64 text)")
    for item in text[:5]:
        print(f"   read as {decode_input(item.data).detail}: {item.type_name} {item.data[:40]!r}")
    for name, result in misses if args.misses else ():
        print(f"\n{name}: commonest misses")
        for (path, want, got), count in result.wrong.most_common(args.misses):
            print(f"  {count:5d}  {path}: {want} read as {got}")
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
