"""Print wiretool's accuracy on the ground truth, per corpus, with the commonest misses."""

from __future__ import annotations

import argparse
import time

from tests.protobuf.groundtruth import corpora, read_each, read_streams, tally
from tests.protobuf.groundtruth.oracle import KINDS, Tally


def row(name: str, result: Tally) -> str:
    cells = []
    for kind in KINDS:
        recall = result.recall(kind)
        cells.append("-" if recall is None else f"{recall:.1%}")
    return (f"| {name} | {result.fields} | " + " | ".join(cells)
            + f" | {result.four_way():.1%} | {result.message_vs_not():.1%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true", help="the subset the tests run")
    parser.add_argument("--misses", type=int, default=12)
    args = parser.parse_args()
    sets = small_sets() if args.small else full_sets()
    print("| corpus, mode | LEN fields | message | string | bytes | packed | 4-way | message vs not |")
    print("|---|---|---|---|---|---|---|---|")
    misses = []
    for name, items in sets.items():
        for mode, read in (("one at a time", read_each), ("streams", read_streams)):
            start = time.perf_counter()
            result = tally(items, read(items))
            elapsed = time.perf_counter() - start
            print(row(f"{name}, {mode} ({len(items)} messages, {elapsed:.1f} s)", result))
            misses.append((f"{name}, {mode}", result))
    for name, result in misses:
        print(f"\n{name}: commonest misses")
        for (path, want, got), count in result.wrong.most_common(args.misses):
            print(f"  {count:5d}  {path}: {want} read as {got}")


def full_sets() -> dict[str, list[corpora.Item]]:
    return {"realistic": corpora.realistic(60) + corpora.descriptor_sets(),
            "adversarial": corpora.adversarial(60), "golden": corpora.golden()}


def small_sets() -> dict[str, list[corpora.Item]]:
    return {"realistic": corpora.realistic(12, seed=30) + corpora.descriptor_sets(6, seed=30),
            "adversarial": corpora.adversarial(20, seed=30), "golden": corpora.golden()}


if __name__ == "__main__":
    main()
