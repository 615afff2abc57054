"""The committed fuzz corpora, replayed (issue 19): every input the fuzzers kept, once,
through its harness's ``test_one_input``, without mutation and without atheris
(``fuzz/replay.py``). A regression in any path the fuzzers reached fails here, naming
the corpus file; CI runs it with the rest of the suite."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
sys.path.insert(0, str(FUZZ))

import replay  # noqa: E402  (fuzz/replay.py)


@pytest.mark.parametrize("name", replay.HARNESSES)
def test_corpus_replays_clean(name: str) -> None:
    files = replay.corpus_files(name)
    assert files, f"fuzz/corpus/{name}/ is empty: merge a run into it (fuzz/README.md)"
    assert replay.replay(name) == len(files)


def test_every_harness_has_a_corpus_and_nothing_else_is_there() -> None:
    harnesses = {p.stem.removeprefix("fuzz_") for p in FUZZ.glob("fuzz_*.py")}
    assert harnesses == set(replay.HARNESSES)
    assert {p.name for p in (FUZZ / "corpus").iterdir()} == set(replay.HARNESSES)
