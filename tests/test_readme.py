"""README.md is the user's manual: it must match the real commands."""

from __future__ import annotations

import re
import shlex

import pytest
import typer.main
from typer.testing import CliRunner

from tests.conftest import ROOT
from wiretool.cli import app

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quickstart_has_exactly_two_commands() -> None:
    block = README.split("<!-- quickstart:begin -->")[1].split("<!-- quickstart:end -->")[0]
    commands = [line for line in block.splitlines() if line and not line.startswith("```")]
    assert len(commands) == 2
    assert "wiretool " in commands[0] and "pytest" in commands[1]


def test_every_option_of_every_command_is_documented() -> None:
    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert f"wiretool {name}" in README, f"command {name} is not documented"
        for param in command.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt != "--help":
                    assert re.search(rf"`[^`]*{re.escape(opt)}\b", README), (
                        f"option {opt} of {name} is not documented in README.md")


def test_readme_documents_the_exit_codes() -> None:
    for code in ("| 0 |", "| 1 |", "| 2 |"):
        assert code in README


def _examples(name: str) -> tuple[str, str]:
    """The code and the shown output of the README example ``name``."""
    block = README.split(f"<!-- example:{name} -->")[1].split("<!-- example:end -->")[0]
    code, output = re.findall(r"```[a-z]*\n(.*?)```", block, flags=re.S)
    return code, output


def test_the_decode_h2_example_prints_what_the_readme_shows(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, output = _examples("decode_h2")
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})
    assert capsys.readouterr().out == output


EXAMPLES = [block.split("<!-- example:end -->")[0]
            for block in README.split("<!-- example:begin -->")[1:]]


@pytest.mark.parametrize("block", EXAMPLES, ids=lambda b: b.split("\n")[1][:60])
def test_examples_print_what_the_readme_shows(block: str, monkeypatch: pytest.MonkeyPatch
                                              ) -> None:
    """A block marked ``<!-- example:begin -->``: ``$ wiretool ARGS`` and its output at 120
    columns without colour (lines compared without their trailing spaces); ``...`` as the
    last line: the output goes on; as the first: what is shown is a part of it."""
    body = block.split("```\n", 1)[1].rsplit("```", 1)[0]
    command, *shown = [line.rstrip() for line in body.splitlines()]
    assert command.startswith("$ wiretool ")
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, shlex.split(command)[2:], env={
        "COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb", "SSLKEYLOGFILE": None})
    assert result.exit_code in (0, 1), result.output
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    head, tail = shown[:1] == ["..."], shown[-1:] == ["..."]
    shown = shown[1 if head else 0:len(shown) - (1 if tail else 0)]
    if not head:
        assert lines[:len(shown)] == shown
        assert tail or len(lines) == len(shown)
        return
    starts = [i for i in range(len(lines)) if lines[i:i + len(shown)] == shown]
    assert starts and (tail or starts[-1] + len(shown) == len(lines))


def test_the_h2_frames_help_examples_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The examples of ``h2-frames --help`` that read a bundled file (not a pipe)."""
    from wiretool.cli.h2 import H2_HELP

    examples = [line.strip() for line in H2_HELP.splitlines()
                if line.startswith("  wiretool h2-frames") and "|" not in line]
    monkeypatch.chdir(ROOT)
    ran = 0
    for example in examples:
        args = shlex.split(example)[1:]
        if not (ROOT / args[-1]).exists():
            continue  # an example about the user's own file
        result = CliRunner().invoke(app, args, env={"COLUMNS": "120", "SSLKEYLOGFILE": None})
        assert result.exit_code == 0, (example, result.output)
        assert result.stdout.strip(), example
        ran += 1
    assert ran >= 4
