"""What every command shares: output format choice, the console, exit codes, errors.

Commands call ``make_console`` for terminal output (colour only on a terminal,
never with ``NO_COLOR``), ``default_format`` to pick table vs JSON, and let
``WiretoolError`` propagate: ``run`` turns it into a one-line message and exit 2.
"""

from __future__ import annotations

import functools
import gc
import io
import os
import sys
from collections.abc import Callable, Iterable
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

import typer

from wiretool.errors import Diagnostic, ExitCode, Severity, WiretoolError

if TYPE_CHECKING:
    # rich is imported by the views that print with it: a command writing JSON never
    # loads it (about 15% of the start-up of a small decode).
    from rich.console import Console


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def default_format(requested: str | None, terminal: str, other: str) -> str:
    """The format to use: the requested one, else ``terminal`` on a TTY, else ``other``."""
    if requested:
        return requested
    return terminal if stdout_is_terminal() else other


def make_console(file: IO[str] | None = None, width: int | None = None) -> Console:
    """A rich console that colours only a real terminal and honours NO_COLOR."""
    from rich.console import Console

    no_color = "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != ""
    out = file if file is not None else sys.stdout
    is_tty = out.isatty() if hasattr(out, "isatty") else False
    env_width = os.environ.get("COLUMNS")
    if width is None and not is_tty:
        width = int(env_width) if env_width and env_width.isdigit() else 120
    return Console(
        file=out,
        width=width,
        color_system=None if (no_color or not is_tty) else "auto",
        no_color=no_color or not is_tty,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )


def exit_code_for(diagnostics: Iterable[Diagnostic]) -> ExitCode:
    """1 when any diagnostic is an error, else 0."""
    if any(d.severity is Severity.ERROR for d in diagnostics):
        return ExitCode.MALFORMED
    return ExitCode.OK


def print_error(line: str) -> None:
    """Write one error or warning line to stderr, made safe by ``escape_message``.

    Every message the CLI writes to stderr goes through here: messages quote the
    input (a JSON key, a file name), which may hold control characters, bidi marks,
    or surrogates that a UTF-8 stream cannot encode.
    """
    from wiretool.render.escape import escape_message

    typer.echo(escape_message(line), err=True)


def fail(message: str) -> typer.Exit:
    """Print a usage-level error on stderr and return the Exit to raise (code 2)."""
    print_error(f"wiretool: error: {message}")
    return typer.Exit(int(ExitCode.USAGE))


F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Decorate a command so a WiretoolError becomes a one-line message and exit 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except WiretoolError as exc:
            raise fail(exc.message) from None

    return cast(F, wrapper)


GC_YOUNG_THRESHOLD = 20_000
"""Allocations between two collections of the youngest generation (CPython: 700).

The decoders build many small immutable objects (a frame, a header block, a field)
and hold none in cycles, so the default threshold ran the cycle collector every few
frames: 7% of ``h2-frames --format jsonl`` on a load-test capture. Cycles are still
collected, just less often."""


def run(app: typer.Typer) -> None:
    """Run the Typer app; library errors become one-line messages and exit 2.

    Typer's standalone mode already turns usage errors into exit 2 and ``typer.Exit``
    into its code; anything of ours that escapes a command is a WiretoolError.
    """
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    # The last guard for text that was not escaped: a character the output encoding
    # cannot hold is written as a backslash escape rather than raising mid-output.
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")
    try:
        app()
    except WiretoolError as exc:
        print_error(f"wiretool: error: {exc.message}")
        sys.exit(int(ExitCode.USAGE))
