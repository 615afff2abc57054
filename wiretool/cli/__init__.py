"""The ``wiretool`` command line: a thin Typer layer over the library.

Each command lives in its own module here and only parses options, reads input,
calls the library, hands the model to a renderer and maps the result to an exit
code (``wiretool.errors.ExitCode``). No parsing and no markup happen here.
``app.py`` holds the Typer application; importing this package registers every
command on it (each command module adds itself on import, and imports its heavy
libraries inside the command function, so this stays cheap).
"""

from __future__ import annotations

from wiretool.cli import common
from wiretool.cli import compare as _compare  # noqa: F401  (registers the command)
from wiretool.cli import decode as _decode  # noqa: F401
from wiretool.cli import h2 as _h2  # noqa: F401
from wiretool.cli import hpack as _hpack  # noqa: F401
from wiretool.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point of the ``wiretool`` console script."""
    common.run(app)
