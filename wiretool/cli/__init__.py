"""The ``wiretool`` command line: a thin Typer layer over the library.

Each command lives in its own module here and only parses options, reads input,
calls the library, hands the model to a renderer and maps the result to an exit
code (``wiretool.errors.ExitCode``). No parsing and no markup happen here.
``root.py`` holds the Typer application; each command module adds its command to it
on import (and imports its heavy libraries inside the command function).

``wiretool.cli.app`` is the application with every command (importing it registers
them all). The console script registers only the command it runs when the first
argument names one (``COMMANDS``): Typer builds a click command from every registered
function's signature on each run, and the other modules and their commands cost a
``wiretool decode`` about 20 ms of its start-up. Anything else (no command, an
option first, shell completion, which passes its words in the environment) gets
every command, so help and errors are Typer's.
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

__all__ = ["COMMANDS", "app", "main"]

COMMANDS = {
    "compare-json": "wiretool.cli.compare",
    "decode": "wiretool.cli.decode",
    "h2-frames": "wiretool.cli.h2",
    "hpack": "wiretool.cli.hpack",
}
"""Each command's name and the module that registers it (a test checks they agree)."""


def _register(names: list[str]) -> typer.Typer:
    for name in names:
        importlib.import_module(COMMANDS[name])
    from wiretool.cli.root import app as registered

    return registered


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        globals()["app"] = registered = _register(sorted(COMMANDS))
        return registered
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Entry point of the ``wiretool`` console script."""
    from wiretool.cli import common

    first = sys.argv[1] if len(sys.argv) > 1 else None
    only = [first] if first in COMMANDS else sorted(COMMANDS)
    common.run(_register(only))
