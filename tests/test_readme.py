"""README.md is the user's manual: it must match the real commands."""

from __future__ import annotations

import re

import pytest
import typer.main

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
