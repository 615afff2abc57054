"""The ``typer`` application every command adds itself to, and its root options.

A module of its own so that the command modules (``decode``, ``compare``, ``h2``)
import ``app`` from here, and ``wiretool.cli`` imports them: no import cycle.
"""

from __future__ import annotations

import click
import typer

from wiretool import __version__
from wiretool.cli.helptext import HelpGroup


class _Group(HelpGroup):
    """The root group (help fitted to the terminal, ``HelpGroup``), saying "Did you
    mean" once: click 8.4+ suggests a command for a typo itself
    (``NoSuchCommand.possibilities``), and Typer adds its own suggestion to click's
    message."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            if getattr(error, "possibilities", None):  # click says it: Typer's goes
                error.message = error.message.partition(" Did you mean")[0]  # type: ignore[misc]
            raise


app = typer.Typer(
    cls=_Group,
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
