"""Replay the committed corpora: every file of ``fuzz/corpus/<harness>/`` through its
harness's ``test_one_input``, once, in name order. No mutation, no atheris needed
(nothing is instrumented), so a replay is deterministic: a regression in a path the
fuzzers once reached fails here, with the file that shows it.

    python fuzz/replay.py                 # every harness with a corpus
    python fuzz/replay.py json schema     # some of them

``tests/hostile/test_fuzz_corpus.py`` runs the same replay in the test suite (and so
in CI, whose README command runs ``pytest``).
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
HARNESSES = ("protobuf", "schema", "json", "h2frames", "hpack", "capture", "tls")
"""Harness ``NAME`` is ``fuzz/fuzz_NAME.py``; its corpus ``fuzz/corpus/NAME/``."""


def corpus_files(name: str) -> list[Path]:
    folder = CORPUS / name
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def replay(name: str) -> int:
    """Run every corpus file of harness ``name``; the number of files. A failure raises,
    with the file's name in the message."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    harness = importlib.import_module(f"fuzz_{name}")
    files = corpus_files(name)
    for path in files:
        try:
            harness.test_one_input(path.read_bytes())
        except BaseException as exc:
            raise AssertionError(f"{name}: {path.relative_to(HERE.parent)}: {exc!r}") from exc
    return len(files)


def main(names: list[str]) -> int:
    for name in names or [n for n in HARNESSES if corpus_files(n)]:
        start = time.perf_counter()
        count = replay(name)
        print(f"{name}: {count} inputs replayed in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
