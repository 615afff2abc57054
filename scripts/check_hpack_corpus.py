#!/usr/bin/env python3
"""Check wiretool's HPACK walker against every encoder's stories in an hpack-test-case copy.

Usage:  python scripts/check_hpack_corpus.py PATH/TO/hpack-test-case [--verbose]

Every directory of PATH holding ``story_*.json`` files (one per encoder; ``raw-data``
has no wire and is skipped) is checked: each story is decoded with ONE HPACK
context, case after case, with ``header_table_size`` applied as an acknowledged
SETTINGS_HEADER_TABLE_SIZE, and each case must decode to exactly the listed
headers, in order, with no diagnostic. Prints one line per encoder and exits 1 if
anything failed (0 otherwise, 2 for a bad PATH).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wiretool.http2.hpack import HpackContext


def check_story(path: Path) -> tuple[int, int, list[str]]:
    """``(cases, headers, problems)`` for one story file."""
    story = json.loads(path.read_text(encoding="utf-8"))
    cases = story.get("cases", [])
    context: HpackContext | None = None
    problems: list[str] = []
    headers_checked = 0
    for case in cases:
        if "wire" not in case:
            continue
        size = case.get("header_table_size")
        if context is None:
            initial = 4096 if size is None else int(size)
            context = HpackContext(table_size_limit=initial)
        elif size is not None:
            context.set_limit(int(size))
        block = context.decode_block(bytes.fromhex(case["wire"]))
        expected = [(k, v) for item in case["headers"] for k, v in item.items()]
        got = [(n.decode("utf-8", "replace"), v.decode("utf-8", "replace"))
               for n, v in block.headers]
        headers_checked += len(expected)
        if block.diagnostics:
            problems.append(f"{path.name} case {case.get('seqno')}: {block.diagnostics[0].message}")
        elif got != expected:
            first = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b),
                         min(len(got), len(expected)))
            problems.append(f"{path.name} case {case.get('seqno')}: header {first} differs: "
                            f"got {got[first:first + 1]}, expected {expected[first:first + 1]}")
    return len(cases), headers_checked, problems


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 2
    root = Path(argv[0])
    verbose = "--verbose" in argv
    if not root.is_dir():
        print(f"not a directory: {root}", file=sys.stderr)
        return 2
    encoders = sorted(d for d in root.iterdir() if d.is_dir() and any(d.glob("story_*.json")))
    if not encoders:
        print(f"no encoder directories with story_*.json under {root}", file=sys.stderr)
        return 2
    failed = False
    totals = [0, 0, 0]
    for encoder in encoders:
        stories = sorted(encoder.glob("story_*.json"))
        cases = headers = 0
        problems: list[str] = []
        for story in stories:
            c, h, p = check_story(story)
            cases, headers = cases + c, headers + h
            problems += p
        status = "ok" if not problems else f"FAILED ({len(problems)} case(s))"
        print(f"{encoder.name}: {len(stories)} stories, {cases} header blocks, "
              f"{headers} headers: {status}")
        for problem in problems[: None if verbose else 5]:
            print(f"  {problem}")
        failed = failed or bool(problems)
        totals = [totals[0] + len(stories), totals[1] + cases, totals[2] + headers]
    print(f"total: {len(encoders)} encoders, {totals[0]} stories, {totals[1]} header blocks, "
          f"{totals[2]} headers: {'FAILED' if failed else 'all ok'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
