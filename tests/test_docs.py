"""README.md and docs/ are the user's manual: every example in them, and in each command's
``--help``, runs and prints what is shown; the man pages are what the help makes.

After an intended change of output: ``python -m tests.docs --update``, then review the
diff (see ``tests/docs.py`` for the example markers)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Iterator

import click
import pytest
import typer.main

from tests import docs, manpage
from tests.conftest import ROOT
from wiretool.cli import app

README = (ROOT / "README.md").read_text(encoding="utf-8")
GROUP = typer.main.get_command(app)
COMMANDS: dict[str, click.Command] = GROUP.commands  # type: ignore[attr-defined]
EXAMPLES = docs.all_examples()
# Tools other than wiretool that examples pipe into; an example that needs one that is
# not installed is skipped, saying so.
TOOLS = ("jq", "tshark", "tcpdump")


@pytest.fixture(scope="module")
def scratch() -> Iterator[docs.Scratch]:
    with docs.Scratch() as directory:
        yield directory


def _needs(commands: list[str]) -> None:
    for tool in TOOLS:
        if any(re.search(rf"(^|\|)\s*{tool}\s", c) for c in commands) and not shutil.which(tool):
            pytest.skip(f"{tool} is not installed")


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name[:90] for e in EXAMPLES])
def test_every_example_prints_what_its_page_shows(example: docs.Example,
                                                  scratch: docs.Scratch) -> None:
    _needs([c[2:] for c in example.commands])
    problem = docs.drift(example, scratch.run(example))
    assert problem is None, f"{problem}\n(`python -m tests.docs --update` rewrites it)"


def test_the_pages_have_examples_of_every_command() -> None:
    shown = " ".join(c for e in EXAMPLES for c in e.commands)
    for name in COMMANDS:
        assert f"wiretool {name}" in shown, f"no tested example of wiretool {name}"
    assert sum(e.code is not None for e in EXAMPLES) >= 3  # the library's examples


@pytest.mark.parametrize("page", docs.pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_wiretool_command_in_a_page_is_run_or_marked_not_run(page: os.PathLike[str]
                                                                   ) -> None:
    assert list(docs.unmarked_invocations(docs.Path(page))) == []


def test_the_rule_finds_an_unmarked_command(tmp_path: docs.Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The rule above can fail: a page with one unmarked command, one marked, one tested."""
    page = tmp_path / "page.md"
    page.write_text("```\n$ wiretool decode mine.bin\n```\n\n<!-- not-run: your file -->\n"
                    "```sh\nwiretool decode yours.bin\n```\n\n<!-- example:begin -->\n"
                    "```\n$ wiretool --version\nwiretool 0.1.0\n```\n<!-- example:end -->\n"
                    "```sh\ncat x | wiretool h2-frames -\n```\n", encoding="utf-8")
    monkeypatch.setattr(docs, "ROOT", tmp_path)
    assert [line.split(": ", 1)[1] for line in docs.unmarked_invocations(page)] == [
        "$ wiretool decode mine.bin", "cat x | wiretool h2-frames -"]


def test_a_drifted_output_is_found_and_the_window_is_kept(tmp_path: docs.Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          scratch: docs.Scratch) -> None:
    page = tmp_path / "page.md"
    page.write_text('<!-- example:begin from="b" lines=1 -->\n```\n$ printf "a\\nb\\nc\\n"\n'
                    "...\nB\n...\n```\n<!-- example:end -->\n", encoding="utf-8")
    monkeypatch.setattr(docs, "ROOT", tmp_path)
    [example] = docs.examples(page)
    assert docs.drift(example, scratch.run(example)) is not None
    problems: list[str] = []
    assert docs.update_page(page, scratch, problems)
    assert problems == []
    assert page.read_text(encoding="utf-8").splitlines()[3:6] == ["...", "b", "..."]
    [example] = docs.examples(page)
    assert docs.drift(example, scratch.run(example)) is None


def test_the_man_pages_are_what_the_help_makes() -> None:
    assert manpage.stale() == [], "`python -m tests.docs --update` rewrites docs/man/"


def test_quickstart_has_exactly_two_commands() -> None:
    block = README.split("<!-- quickstart:begin -->")[1].split("<!-- quickstart:end -->")[0]
    commands = [line for line in block.splitlines() if line and not line.startswith("```")]
    assert len(commands) == 2
    assert "wiretool " in commands[0] and "pytest" in commands[1]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_option_is_documented_on_its_command_page(name: str) -> None:
    page = (ROOT / "docs" / f"{name}.md").read_text(encoding="utf-8")
    for param in COMMANDS[name].params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--help":
                assert re.search(rf"`[^`]*{re.escape(opt)}\b", page), (
                    f"option {opt} of {name} is not documented in docs/{name}.md")


def test_readme_documents_the_exit_codes_and_links_every_page() -> None:
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in README
    for page in docs.pages()[1:]:
        assert f"({page.relative_to(ROOT)})" in README, f"README.md does not link {page}"


def test_links_between_pages_point_at_files_that_exist() -> None:
    for page in docs.pages():
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name} links {target}"


# Files the help examples name as the user's own (not in the repository): an example
# that names any other missing file is a mistake, not a placeholder.
USER_FILES = {"capture.pcap", "cap.pcapng", "stream.bin"}


def _help_examples(command: click.Command) -> list[str]:
    text = command.help or ""
    block = text.split("Examples:", 1)[1].split("Exit codes:", 1)[0] if "Examples:" in text else ""
    return [line.strip() for line in block.splitlines() if "wiretool " in line]


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_help_examples_run(name: str, scratch: docs.Scratch) -> None:
    """Every example in ``wiretool NAME --help`` runs and prints something, but those
    that read the user's own file (named in USER_FILES)."""
    examples = _help_examples(COMMANDS[name])
    assert len(examples) >= 2, f"{name} --help has no examples"
    ran = 0
    for example in examples:
        words = [w for part in example.split("|") for w in shlex.split(part)]
        missing = {w for w in words if re.fullmatch(r"[\w-][\w/-]*(/|\.[a-z]+)[\w./-]*", w)
                   and not re.fullmatch(r"[\w.]*\.[A-Z]\w*", w)  # a type name
                   and not (scratch.path / w).exists()}
        if missing:
            assert missing <= USER_FILES, (example, missing - USER_FILES)
            continue
        _needs([part for part in example.split("|")])
        result = scratch._run(["bash", "-o", "pipefail", "-c", example])
        assert result.returncode == 0, (example, result.stdout)
        assert result.stdout.strip(), example
        ran += 1
    assert ran >= 2
