"""The examples of the user documentation: found, run, compared, and rewritten on request.

The pages are ``README.md`` and every ``docs/**/*.md``. Run from the repository root:

    python -m tests.docs             # check: name every example whose output drifted
    python -m tests.docs --update    # rewrite every output block, and docs/man/, from the
                                     # real output; review `git diff` before committing

``tests/test_docs.py`` runs the same checks in the test suite.

An example is a fenced block between two markers (HTML comments, invisible on GitHub)::

    <!-- example:begin from="connection 2" lines=12 exit=1 -->
    ```
    $ wiretool h2-frames --format table samples/grpc/demo.pcap
    ...the output, as a terminal of 120 columns without colour shows it...
    ```
    <!-- example:end -->

Every line that starts with ``$ `` is a command, run by ``bash -o pipefail`` in order,
in a scratch directory that holds ``samples``, ``tests`` and ``docs`` of the repository,
with ``wiretool`` on the PATH being this checkout's (``python -m wiretool``), ``COLUMNS=120``,
``NO_COLOR=1``, ``TERM=dumb`` and no ``SSLKEYLOGFILE``; standard output and standard error
together are what the block shows (lines compared without trailing spaces, trailing blank
lines dropped). Each command but the last must exit 0; the last exits with ``exit``
(default 0). Of the output, the block shows ``lines`` lines (default: all) from the
first line that starts with ``from`` (default: the first line); a ``...`` line stands
for what is left out before or after, and is written by ``--update`` too.

A Python example is a ```python block followed by a plain block: the code runs in the
same scratch directory (``python -c``) and the plain block is what it prints.

A fenced block that runs wiretool but is not an example (it needs the user's own file,
root, live traffic, a tool the tests do not have) is marked right above it with
``<!-- not-run: REASON -->``. The quickstart block is run by ``.ci/run`` instead.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINKED = ("samples", "tests", "docs")  # what an example sees of the repository
TIMEOUT = 300

_BEGIN = re.compile(r"<!-- example:begin(?P<attrs>[^>]*?)\s*-->\n")
_END = "<!-- example:end -->"
_FENCE = re.compile(r"^(?P<fence>```+)(?P<lang>[\w+-]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$\n?",
                    re.S | re.M)
_NOT_RUN = re.compile(r"<!-- not-run: (?P<reason>[^>]*\S)\s*-->\s*$")
_QUICKSTART = re.compile(r"<!-- quickstart:begin -->.*?<!-- quickstart:end -->", re.S)
# A line that runs wiretool: `wiretool …`, `$ wiretool …`, or wiretool after a pipe.
_INVOCATION = re.compile(r"^\s*(?:\$\s+)?wiretool\s|\|\s*wiretool(?:\s|$)")


class DocsError(Exception):
    """A page whose markers or example blocks are malformed."""


def pages() -> list[Path]:
    """README.md and every markdown page under docs/, in a stable order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@dataclass
class Example:
    """One example: where it is, what it runs, and the output its page shows."""

    page: Path
    line: int  # 1-based line of its begin marker
    span: tuple[int, int]  # the text between the markers, as offsets in the page
    attrs: dict[str, str]
    commands: list[str] = field(default_factory=list)  # shell examples
    code: str | None = None  # Python examples
    lang: str = ""  # the language tag of the block that shows the output
    shown: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        what = self.commands[-1][2:] if self.commands else "python"
        return f"{_relative(self.page)}:{self.line}: {what}"

    @property
    def exit_code(self) -> int:
        return int(self.attrs.get("exit", "0"))

    def window(self, output: str) -> list[str]:
        """What the block shows of ``output``: the window its attributes choose."""
        lines = [line.rstrip() for line in output.splitlines()]
        while lines and not lines[-1]:
            lines.pop()
        start = 0
        if "from" in self.attrs:
            starts = [i for i, line in enumerate(lines) if line.startswith(self.attrs["from"])]
            if not starts:
                raise DocsError(f"{self.name}: no output line starts with "
                                f"{self.attrs['from']!r}")
            start = starts[0]
        count = int(self.attrs.get("lines", len(lines)))
        shown = lines[start:start + count]
        return (["..."] if start else []) + shown + (
            ["..."] if start + count < len(lines) else [])

    def render(self, shown: list[str]) -> str:
        """The text between the markers, with ``shown`` as the output."""
        body = "\n".join(shown) + "\n" if shown else ""
        if self.code is not None:
            return f"```python\n{self.code}```\n\n```{self.lang}\n{body}```\n"
        commands = "".join(command + "\n" for command in self.commands)
        return f"```{self.lang}\n{commands}{body}```\n"


def _attrs(text: str, where: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for item in shlex.split(text):
        key, sep, value = item.partition("=")
        if not sep or key not in ("from", "lines", "exit"):
            raise DocsError(f"{where}: unknown example attribute {item!r}")
        if key != "from" and not value.isdigit():
            raise DocsError(f"{where}: {key} must be a number, not {value!r}")
        attrs[key] = value
    return attrs


def examples(page: Path) -> list[Example]:
    """The examples of ``page``, in order; raises DocsError on a malformed one."""
    text = page.read_text(encoding="utf-8")
    found = []
    for begin in _BEGIN.finditer(text):
        line = text.count("\n", 0, begin.start()) + 1
        where = f"{_relative(page)}:{line}"
        end = text.find(_END, begin.end())
        if end < 0 or (text.find("<!-- example:begin", begin.end(), end) >= 0):
            raise DocsError(f"{where}: example:begin without its example:end")
        inner = text[begin.end():end]
        blocks = list(_FENCE.finditer(inner))
        if not blocks or inner[blocks[-1].end():].strip() or inner[:blocks[0].start()].strip():
            raise DocsError(f"{where}: an example holds fenced blocks only")
        example = Example(page, line, (begin.end(), end), _attrs(begin["attrs"], where))
        if blocks[0]["lang"] == "python":
            if len(blocks) != 2 or inner[blocks[0].end():blocks[1].start()].strip():
                raise DocsError(f"{where}: a Python example is its code, then its output")
            example.code = blocks[0]["body"]
            example.lang = blocks[1]["lang"]
            example.shown = [line.rstrip() for line in blocks[1]["body"].splitlines()]
        else:
            if len(blocks) != 1:
                raise DocsError(f"{where}: a shell example is one block: commands, output")
            lines = [line.rstrip() for line in blocks[0]["body"].splitlines()]
            while lines and lines[0].startswith("$ "):
                example.commands.append(lines.pop(0))
            if not example.commands:
                raise DocsError(f"{where}: a shell example starts with `$ COMMAND` lines")
            example.lang = blocks[0]["lang"]
            example.shown = lines
        found.append(example)
    return found


def all_examples() -> list[Example]:
    return [example for page in pages() for example in examples(page)]


def unmarked_invocations(page: Path) -> Iterator[str]:
    """Lines of fenced blocks that run wiretool but are neither an example nor marked
    ``not-run`` (nor the quickstart, which .ci/run runs)."""
    text = page.read_text(encoding="utf-8")
    covered = [(m.start(), m.end()) for m in _QUICKSTART.finditer(text)]
    for begin in _BEGIN.finditer(text):
        covered.append((begin.start(), text.find(_END, begin.end())))
    for block in _FENCE.finditer(text):
        if block["lang"] == "python" or any(a <= block.start() < b for a, b in covered):
            continue
        above = text[:block.start()].rstrip("\n").rsplit("\n", 1)[-1]
        if _NOT_RUN.match(above):
            continue
        for offset, line in enumerate(block["body"].splitlines(), 1):
            if _INVOCATION.search(line):
                number = text.count("\n", 0, block.start()) + 1 + offset
                yield f"{_relative(page)}:{number}: {line.strip()}"


class Scratch:
    """A scratch directory that holds the repository's samples, tests and docs, and a
    ``wiretool`` command that runs this checkout."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="wiretool-docs-"))
        for name in LINKED:
            (self.path / name).symlink_to(ROOT / name)
        bin_dir = self.path / ".bin"
        bin_dir.mkdir()
        shim = bin_dir / "wiretool"
        shim.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m wiretool "$@"\n')
        shim.chmod(0o755)
        env = {k: v for k, v in os.environ.items()
               if k not in ("SSLKEYLOGFILE", "FORCE_COLOR", "CLICOLOR_FORCE", "LINES")}
        env.update(COLUMNS="120", NO_COLOR="1", TERM="dumb", PYTHONUNBUFFERED="1",
                   PYTHONIOENCODING="utf-8", PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
        self.env = env

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, example: Example) -> str:
        """Run ``example``; its output, or DocsError when an exit code is not the one
        the example expects."""
        if example.code is not None:
            result = self._run([sys.executable, "-c", example.code])
            if result.returncode != example.exit_code:
                raise DocsError(f"{example.name}: exit {result.returncode}:\n{result.stdout}")
            return result.stdout
        output = []
        for i, command in enumerate(example.commands):
            result = self._run(["bash", "-o", "pipefail", "-c", command[2:]])
            output.append(result.stdout)
            expected = example.exit_code if i == len(example.commands) - 1 else 0
            if result.returncode != expected:
                raise DocsError(f"{example.name}: `{command[2:]}` exited {result.returncode}, "
                                f"not {expected}:\n{result.stdout}")
        return "".join(output)

    def _run(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=self.path, env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, errors="backslashreplace",
                              timeout=TIMEOUT, check=False)


def drift(example: Example, output: str) -> str | None:
    """A diff of what the page shows against what ``output`` makes it show, or None."""
    want = example.window(output)
    if want == example.shown:
        return None
    diff = difflib.unified_diff(example.shown, want, "shown in the page", "real output",
                                lineterm="")
    return f"{example.name}\n" + "\n".join(diff)


def update_page(page: Path, scratch: Scratch, problems: list[str]) -> bool:
    """Rewrite the output blocks of ``page`` from the real output; whether it changed.
    An example that fails is left as it is and named in ``problems``."""
    text = page.read_text(encoding="utf-8")
    pieces, last = [], 0
    for example in examples(page):
        start, end = example.span
        try:
            block = example.render(example.window(scratch.run(example)))
        except DocsError as exc:
            problems.append(str(exc))
            block = text[start:end]
        pieces += [text[last:start], block]
        last = end
    new = "".join(pieces) + text[last:]
    if new != text:
        page.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.docs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true",
                        help="rewrite the output blocks and docs/man/ from the real output")
    args = parser.parse_args(argv)
    from tests import manpage

    problems: list[str] = []
    with Scratch() as scratch:
        for page in pages():
            if args.update:
                if update_page(page, scratch, problems):
                    print(f"updated {_relative(page)}")
                continue
            for example in examples(page):
                try:
                    problem = drift(example, scratch.run(example))
                except DocsError as exc:
                    problem = str(exc)
                if problem:
                    problems.append(problem)
    for page in pages():
        problems += [f"{line}: runs wiretool but is neither an example nor marked not-run"
                     for line in unmarked_invocations(page)]
    if args.update:
        for path in manpage.write_all():
            print(f"updated {_relative(path)}")
    else:
        problems += [f"{_relative(path)} is out of date" for path in manpage.stale()]
    for problem in problems:
        print(problem, end="\n\n")
    if problems:
        print(f"{len(problems)} problem(s)" + ("" if args.update else
              "; `python -m tests.docs --update` rewrites the outputs and the man pages "
              "from the real output"), file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
