"""The ``wiretool`` command line: a thin Typer layer over the library.

Each command lives in its own module here and only parses options, reads input,
calls the library, hands the model to a renderer and maps the result to an exit
code (``wiretool.errors.ExitCode``). No parsing and no markup happen here.
"""

from __future__ import annotations

import typer

from wiretool import __version__
from wiretool.cli import common

app = typer.Typer(
    name="wiretool",
    help=(
        "Show, byte by byte, what protobuf, gRPC, HTTP/2 and HPACK put on the wire.\n\n"
        "Exit codes: 0 input fully decoded; 1 input read but malformed (the valid part "
        "is shown, diagnostics say what and where); 2 usage error or unreadable file."
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"wiretool {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """Show, byte by byte, what protobuf, gRPC, HTTP/2 and HPACK put on the wire."""


def _register() -> None:
    # Each command module adds itself to ``app`` on import; importing them is cheap
    # because they import their heavy libraries inside the command function.
    from wiretool.cli import (
        compare,  # noqa: F401
        decode,  # noqa: F401
        h2,  # noqa: F401
    )


_register()


def main() -> None:
    """Entry point of the ``wiretool`` console script."""
    common.run(app)
