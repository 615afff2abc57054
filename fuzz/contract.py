"""The contract every harness checks, shared by ``fuzz_*.py`` and ``tests/hostile``.

Sans-IO checks on the models: spans inside the input, tiles without holes or
overlaps, renderings that are valid JSON and that never put a control character
on the terminal. A violated contract is an ``AssertionError`` (a finding).

Also what the harnesses share to run: :func:`instrumented` (atheris's coverage
instrumentation when fuzzing, nothing when a corpus is replayed without atheris,
see ``fuzz/replay.py``), :func:`run_cli` (a command through Typer's runner, exactly
as a user runs it, with the CLI contract checked) and :class:`Draw` (structured
choices read from the fuzzer's bytes, deterministic, so that a corpus replays the
same without atheris's ``FuzzedDataProvider``).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import pkgutil
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

# Anything a terminal could interpret: C0 (except newline), DEL, C1, bidi/format chars;
# and surrogates, which are not text (a UTF-8 stream cannot even write them).
UNSAFE_OUTPUT = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)


def assert_tiles(spans: Iterable[tuple[int, int]], start: int, end: int, what: str) -> None:
    """``spans`` ((offset, length) pairs) cover ``[start, end)`` exactly, in order."""
    at = start
    for offset, length in sorted(spans):
        assert length >= 0, f"{what}: negative length at {offset}"
        problem = "hole" if offset > at else "overlap"
        assert offset == at, f"{what}: {problem} at {at} (next span at {offset})"
        at = offset + length
    assert at == end, f"{what}: spans end at {at}, expected {end}"


# What JSON must escape (RFC 8259: C0 controls) and UTF-8 cannot hold (surrogates).
# Other characters are data in a JSON document, written as they are.
UNSAFE_JSON = re.compile("[\x00-\x09\x0b-\x1f\ud800-\udfff]")


def assert_terminal_safe(text: str, what: str) -> None:
    found = UNSAFE_OUTPUT.search(text)
    assert found is None, f"{what}: unescaped {found.group(0)!r} reached the terminal output"


def assert_json_text_safe(text: str, what: str) -> None:
    found = UNSAFE_JSON.search(text)
    assert found is None, f"{what}: unescaped {found.group(0)!r} in JSON output"


def assert_json_document(text: str) -> object:
    return json.loads(text)


def assert_json_lines(text: str) -> list[object]:
    return [json.loads(line) for line in text.splitlines()]


def plain_console(out: io.StringIO, width: int = 120):  # type: ignore[no-untyped-def]
    """A rich console like the CLI's off a terminal (no colour, no markup)."""
    from wiretool.cli.common import make_console

    return make_console(out, width)


# -- running ------------------------------------------------------------------------------


def instrumented(fuzzing: bool) -> contextlib.AbstractContextManager[object]:
    """Import wiretool inside this block: instrumented for coverage when ``fuzzing``.

    Every wiretool module is imported here, so that the ones the CLI imports lazily
    (inside a command) are instrumented too. Replaying a corpus needs no atheris.
    """
    if not fuzzing:
        return contextlib.nullcontext()
    import atheris  # type: ignore[import-not-found]

    @contextlib.contextmanager
    def everything() -> Any:
        with atheris.instrument_imports(include=["wiretool"]):
            import wiretool

            for module in pkgutil.walk_packages(wiretool.__path__, "wiretool."):
                if not module.name.endswith(".__main__"):  # that one runs the CLI
                    importlib.import_module(module.name)
            yield None

    return everything()


def fuzz_main(test_one_input: Callable[[bytes], None]) -> None:
    """Hand ``test_one_input`` to libFuzzer (the command line is libFuzzer's)."""
    import sys

    import atheris  # type: ignore[import-not-found]

    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str


def run_cli(args: Sequence[str], stdin: bytes, *, codes: Iterable[int] = (0, 1),
            json_output: bool = False) -> Run:
    """``wiretool ARGS`` through Typer's runner, on ``stdin``; the CLI contract checked.

    Never an exception but the exit (an escaped one is re-raised with its traceback:
    that is the finding); the exit code is one of ``codes``; stdout and stderr are
    UTF-8; stderr, and stdout unless it is JSON (``json_output``), free of anything a
    terminal could interpret; JSON free of raw C0 controls.
    """
    from typer.testing import CliRunner

    from wiretool.cli import app

    result = CliRunner().invoke(app, list(args), input=stdin,
                                env={"COLUMNS": "120", "NO_COLOR": "1"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception.with_traceback(result.exc_info[2] if result.exc_info else None)
    stdout = result.stdout_bytes.decode("utf-8")  # strict: what was written is UTF-8
    stderr = (result.stderr_bytes or b"").decode("utf-8")
    assert "Traceback" not in stdout + stderr, stderr
    assert result.exit_code in tuple(codes), (args, result.exit_code, stderr[-500:])
    if json_output:
        assert_json_text_safe(stdout, f"{args[0]} stdout")
    else:
        assert_terminal_safe(stdout, f"{args[0]} stdout")
    assert_terminal_safe(stderr, f"{args[0]} stderr")
    return Run(result.exit_code, stdout, stderr)


T = TypeVar("T")


class Draw:
    """Choices read from the fuzzer's bytes, front to back; zeros once they run out.

    A structure-aware harness builds its input from these choices; libFuzzer mutates
    the bytes, so a small change of input is a small change of structure. Nothing
    random: the same bytes always build the same input.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def byte(self) -> int:
        if self.at >= len(self.data):
            return 0
        self.at += 1
        return self.data[self.at - 1]

    def below(self, n: int) -> int:
        """An integer in ``[0, n)`` (from one byte, or two when ``n`` > 256)."""
        if n <= 1:
            return 0
        value = self.byte() if n <= 256 else self.byte() << 8 | self.byte()
        return value % n

    def chance(self, per_256: int) -> bool:
        return self.byte() < per_256

    def pick(self, items: Sequence[T]) -> T:
        return items[self.below(len(items))]

    def take(self, n: int) -> bytes:
        chunk = self.data[self.at:self.at + n]
        self.at += len(chunk)
        return chunk

    def rest(self) -> bytes:
        return self.take(len(self.data))

    @property
    def left(self) -> int:
        return max(len(self.data) - self.at, 0)
