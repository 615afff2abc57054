"""``--help`` fits the terminal and never breaks an example inside a command: at 80, 120
and 200 columns (``COLUMNS``, and a real tmux pane), every line fits, and every example
of every command reads, once its `` \\`` continuations are joined, exactly as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import typer.main

from tests.render.screens import Screen, capture, tmux_available, widest_line
from wiretool.cli import app
from wiretool.cli.helptext import MAX_HELP_WIDTH, break_command

COMMANDS = [name for name in typer.main.get_command(app).commands]  # type: ignore[attr-defined]
WIDTHS = (80, 120, 200)


def _examples(help_text: str) -> list[str]:
    """The example command lines of a command's help source (indented, a command)."""
    return [line.strip() for line in help_text.splitlines()
            if re.match(r"^  (wiretool|tshark|echo) ", line)]


def _joined(shown: str) -> str:
    """Help as shown, with every `` \\`` continuation joined to its line."""
    return re.sub(r" \\\n\s+", " ", shown)


def _help(command: str, width: int) -> str:
    """The help as the installed command prints it (Typer's runner forces 80 columns)."""
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    result = subprocess.run([sys.executable, "-m", "wiretool", command, "--help"],
                            env={**env, "COLUMNS": str(width)}, capture_output=True,
                            text=True, check=True)
    return result.stdout


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("command", COMMANDS)
def test_help_fits_and_keeps_every_example_whole(command: str, width: int) -> None:
    shown = _help(command, width)
    assert widest_line(shown) <= min(width, MAX_HELP_WIDTH)
    source = typer.main.get_command(app).commands[command].help  # type: ignore[attr-defined]
    examples = _examples(source)
    assert examples, command
    lines = {line.strip() for line in _joined(shown).splitlines()}
    for example in examples:
        assert example in lines, (command, width, example)
    if width >= 120:  # every example fits on one line from 100 columns
        for example in examples:
            assert any(line.strip() == example for line in shown.splitlines())


def test_a_long_example_is_broken_between_arguments_before_a_pipe() -> None:
    line = "tshark -r cap.pcapng -q -z follow,tcp,raw,0 | wiretool h2-frames --hpack-table"
    assert break_command(line, 60, "    ") == [
        "    tshark -r cap.pcapng -q -z follow,tcp,raw,0 \\",
        "        | wiretool h2-frames --hpack-table"]
    quoted = "wiretool decode --grpc --format json body.hex | jq '.messages[] | .fields'"
    broken = break_command(quoted, 50, "  ")
    assert all(len(piece) <= 50 for piece in broken)
    assert " ".join(piece.strip().removesuffix(" \\") for piece in broken) == quoted
    assert any("'.messages[] | .fields'" in piece for piece in broken)  # a word stays whole


@pytest.mark.skipif(not tmux_available(), reason="tmux is not installed")
@pytest.mark.parametrize("width", WIDTHS)
def test_help_in_a_real_terminal(width: int) -> None:
    for command in ("decode", "h2-frames"):
        text = capture(Screen(f"help-{command}", (command, "--help")), width)
        assert widest_line(text) <= width
        source = typer.main.get_command(app).commands[command].help  # type: ignore[attr-defined]
        lines = {line.strip() for line in _joined(text).splitlines()}
        for example in _examples(source):
            assert example in lines, (command, width, example)
