"""What every command shares: output format choice, colour, width, JSON for people,
exit codes, errors, a closed output.

Commands declare ``--color`` and ``--width`` with ``color_option``/``width_option``,
call ``make_console`` for terminal output (the one place that decides colour:
``color_wanted``), ``write_json`` for a JSON document (indented and coloured for a
person, as written for a program), ``default_format`` to pick table vs JSON, and are
decorated with ``reports_errors``: a ``WiretoolError`` becomes a one-line message and
exit 2, a closed output (``| head``) ends the command quietly with status 0.
"""

from __future__ import annotations

import errno
import functools
import io
import os
import sys
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast

import typer

from wiretool.collector import tune_for_decoding
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


class ColorChoice(StrEnum):
    """``--color``: when output is coloured."""

    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


def color_option() -> Any:
    """The ``--color`` option every command declares."""
    return typer.Option(
        ColorChoice.AUTO, "--color", case_sensitive=False,
        help="Colour the output: auto (on a terminal; never with NO_COLOR set; always "
        "with FORCE_COLOR set, e.g. into less -R), always, never.")


def width_option() -> Any:
    """The ``--width`` option of the commands that lay text out for a terminal."""
    return typer.Option(
        None, "--width", min=40, metavar="N",
        help="Lay the output out for N columns (default: the terminal's width; into a "
        "pipe or a file, $COLUMNS, else 120).")


def _env_set(name: str) -> bool:
    """An environment variable is set to something (``NO_COLOR=`` counts as unset,
    as no-color.org and force-color.org say)."""
    return bool(os.environ.get(name))


def color_wanted(choice: ColorChoice | str = ColorChoice.AUTO,
                 out: IO[str] | None = None) -> bool:
    """Whether output to ``out`` (standard output by default) is coloured: ``--color
    always|never`` as given; ``auto``: never with ``NO_COLOR`` set, always with
    ``FORCE_COLOR`` set (colour into a pager), else when ``out`` is a terminal."""
    choice = ColorChoice(choice)
    if choice is not ColorChoice.AUTO:
        return choice is ColorChoice.ALWAYS
    if _env_set("NO_COLOR"):
        return False
    if _env_set("FORCE_COLOR"):
        return True
    stream = out if out is not None else sys.stdout
    return bool(stream.isatty()) if hasattr(stream, "isatty") else False


def make_console(file: IO[str] | None = None, width: int | None = None,
                 color: ColorChoice | str = ColorChoice.AUTO) -> Console:
    """A rich console for ``file`` (standard output by default): coloured as
    ``color_wanted`` says; ``width`` columns, else the terminal's, else (a pipe, a
    file) ``$COLUMNS`` or 120. Markup, highlighting and emoji codes are off: what is
    printed is data."""
    out = file if file is not None else sys.stdout
    is_tty = out.isatty() if hasattr(out, "isatty") else False
    colour = color_wanted(color, out)
    env_width = os.environ.get("COLUMNS")
    if width is None and not is_tty:
        width = int(env_width) if env_width and env_width.isdigit() else 120
    return _console_class()(
        file=out,
        width=width,
        color_system="auto" if colour else None,
        force_terminal=True if colour and not is_tty else None,
        no_color=not colour,
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=False,
    )


@functools.cache
def _console_class() -> type[Console]:
    """rich's console, but a closed output is left to ``reports_errors`` (rich's own
    handling exits with status 1). Made on first use: rich is not imported before."""
    from rich.console import Console

    class QuietPipeConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    return QuietPipeConsole


def json_for_people(color: ColorChoice | str = ColorChoice.AUTO,
                    out: IO[str] | None = None) -> bool:
    """A JSON document is laid out for a person (indented, coloured as ``color_wanted``
    says) when it goes to a terminal, or when colour is asked for (``--color always``,
    ``FORCE_COLOR``: a pager); else it is written as the writer made it (compact)."""
    stream = out if out is not None else sys.stdout
    is_tty = bool(stream.isatty()) if hasattr(stream, "isatty") else False
    return is_tty or color_wanted(color, stream)


def write_json(text: str, color: ColorChoice | str = ColorChoice.AUTO,
               out: IO[str] | None = None) -> None:
    """Write one JSON document (``text``, as a writer made it): for a person indented
    by two and coloured (rich's JSON highlighting), else unchanged. Strings and
    numbers keep their spelling either way."""
    stream = out if out is not None else sys.stdout
    if not json_for_people(color, stream):
        stream.write(text if text.endswith("\n") else text + "\n")
        return
    from wiretool.render.escape import escape_json
    from wiretool.render.json_text import indent

    pretty = indent(escape_json(text))
    if not color_wanted(color, stream):
        stream.write(pretty + "\n")
        return
    from rich.highlighter import JSONHighlighter
    from rich.text import Text

    console = make_console(stream, color=color)
    console.print(JSONHighlighter()(Text(pretty)), soft_wrap=True)


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


def read_stdin(what: str) -> bytes:
    """Standard input, whole. On a terminal (nothing piped in) a one-line hint on stderr
    says what to paste and how to end it; Ctrl-C then stops quietly (status 130)."""
    if not sys.stdin.isatty():
        return sys.stdin.buffer.read()
    print_error(f"wiretool: reading {what} from the terminal: paste, then press Ctrl-D "
                "at the start of a line (Ctrl-C to give up)")
    try:
        return sys.stdin.buffer.read()
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def fail(message: str) -> typer.Exit:
    """Print a usage-level error on stderr and return the Exit to raise (code 2)."""
    print_error(f"wiretool: error: {message}")
    return typer.Exit(int(ExitCode.USAGE))


F = TypeVar("F", bound=Callable[..., Any])


def reports_errors(command: F) -> F:
    """Decorate a command so a WiretoolError becomes a one-line message and exit 2,
    and a closed standard output (``| head``: the reader has what it wanted) ends it
    quietly with status 0, with no traceback and no "Broken pipe"."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return command(*args, **kwargs)
            finally:
                # What is still buffered is written now, so that a closed pipe shows
                # here rather than as a warning when the interpreter exits.
                sys.stdout.flush()
        except WiretoolError as exc:
            raise fail(exc.message) from None
        except OSError as exc:
            if exc.errno != errno.EPIPE and not isinstance(exc, BrokenPipeError):
                raise
            _discard_stdout()
            raise typer.Exit(int(ExitCode.OK)) from None

    return cast(F, wrapper)


def _discard_stdout() -> None:
    """Point standard output at /dev/null: what is left in its buffer then goes
    nowhere when the interpreter flushes it on exit, instead of raising again."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return  # not a file (a test's capture): nothing is flushed at exit
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


def run(app: typer.Typer) -> None:
    """Run the Typer app; library errors become one-line messages and exit 2.

    Typer's standalone mode already turns usage errors into exit 2 and ``typer.Exit``
    into its code; anything of ours that escapes a command is a WiretoolError.
    """
    tune_for_decoding()  # the process decodes: see wiretool.collector
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
