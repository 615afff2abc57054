"""Man pages of wiretool and of each command, made from the help (click's command tree).

``python -m tests.docs --update`` writes them into ``docs/man/`` (``wiretool.1``,
``wiretool-decode.1``, …); ``tests/test_docs.py`` fails when they are out of date.
Read one with ``man docs/man/wiretool-h2-frames.1``; install them with the package's
files, e.g. ``cp docs/man/*.1 /usr/local/share/man/man1/``.

Our own generator rather than click-man: click-man writes the help text into roff as it
is, so the examples are filled into one paragraph, a line that starts with ``.`` or a
backslash in the text is read as a roff request or escape, and the exit codes get no
section of their own; and it dates every page with the day it ran, so a page could
never be compared with a committed one. The help of our commands has a fixed shape —
a summary line, paragraphs, ``Examples:`` (indented command lines) and ``Exit
codes:`` — which maps onto the man(7) sections in a few lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import typer.main

from wiretool import __version__
from wiretool.cli import app

ROOT = Path(__file__).resolve().parent.parent
MAN_DIR = ROOT / "docs" / "man"
# The docs page of each command, named in SEE ALSO.
DOCS = {"decode": "docs/decode.md", "compare-json": "docs/compare-json.md",
        "h2-frames": "docs/h2-frames.md", "hpack": "docs/hpack.md"}


def _escape(text: str) -> str:
    """Text as roff reads it literally: backslashes, hyphens of options, and a line that
    would start with a control character."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join("\\&" + line if line[:1] in (".", "'") else line
                     for line in text.split("\n"))


def _sections(help_text: str) -> tuple[str, list[list[str]], list[str], list[str]]:
    """The summary line, the paragraphs (lists of lines), the example lines, and the
    exit-code paragraph of a command's help."""
    paragraphs: list[list[str]] = [[]]
    for line in help_text.strip().splitlines():
        if line.strip():
            paragraphs[-1].append(line.rstrip())
        elif paragraphs[-1]:
            paragraphs.append([])
    summary = " ".join(paragraphs.pop(0))
    body: list[list[str]] = []
    examples: list[str] = []
    exit_codes: list[str] = []
    in_examples = False
    for paragraph in paragraphs:
        if paragraph == ["Examples:"]:
            in_examples = True
        elif paragraph[0].startswith("Exit codes:"):
            in_examples = False
            exit_codes = [" ".join(paragraph).removeprefix("Exit codes:").strip()]
        elif in_examples and all(line.startswith("  ") for line in paragraph):
            examples += [line.strip() for line in paragraph]
        else:
            in_examples = False
            body.append(paragraph)
    return summary, body, examples, exit_codes


def _option(record: tuple[str, str]) -> Iterator[str]:
    names, help_text = record
    yield ".TP"
    pieces = []
    for part in names.split(", "):
        option, _, metavar = part.partition(" ")
        pieces.append(f"\\fB{_escape(option)}\\fR" + (f" \\fI{_escape(metavar)}\\fR"
                                                      if metavar else ""))
    yield ", ".join(pieces)
    yield _escape(help_text)


def page(command: click.Command, ctx: click.Context) -> str:
    """The man page of ``command`` (``ctx.command_path`` names it)."""
    name = ctx.command_path
    file_name = name.replace(" ", "-")
    summary, body, examples, exit_codes = _sections(command.help or "")
    lines = [
        f'.TH "{file_name.upper()}" "1" "" "wiretool {__version__}" "wiretool manual"',
        ".nh",
        ".\\\" Made by `python -m tests.docs --update` from the help; do not edit.",
        ".SH NAME",
        f"{_escape(file_name)} \\- {_escape(summary.rstrip('.'))}",
        ".SH SYNOPSIS",
        f".B {_escape(name)}",
        _escape(" ".join(command.collect_usage_pieces(ctx))),
        ".SH DESCRIPTION",
    ]
    for i, paragraph in enumerate(body):
        if i:
            lines.append(".PP")
        lines.append(_escape(" ".join(line.strip() for line in paragraph)))
    if isinstance(command, click.Group):
        lines.append(".SH COMMANDS")
        for sub_name, sub in command.commands.items():
            lines += [".TP", f"\\fB{_escape(sub_name)}\\fR",
                      _escape(sub.get_short_help_str(limit=200)),
                      f"See \\fB{_escape(file_name)}\\-{_escape(sub_name)}\\fR(1)."]
    records = [p.get_help_record(ctx) for p in command.params
               if isinstance(p, click.Option) and not p.hidden]
    records.append(("-h, --help", "Show the help, with examples, and exit."))
    lines.append(".SH OPTIONS")
    for record in records:
        if record:
            lines += _option(record)
    if examples:
        lines += [".SH EXAMPLES", ".nf", ".RS 4"]
        lines += [_escape(example) for example in examples]
        lines += [".RE", ".fi"]
    lines.append(".SH EXIT STATUS")
    lines.append(_escape(exit_codes[0] if exit_codes else (
        "0 the input was read and fully decoded; 1 the input was read but something in it "
        "is malformed (the valid part is shown, diagnostics say what and at which byte "
        "offset); 2 usage error or unreadable file.")))
    lines.append(".SH SEE ALSO")
    if isinstance(command, click.Group):
        see = [f"\\fB{_escape(file_name)}\\-{_escape(n)}\\fR(1)" for n in command.commands]
        lines.append(", ".join(see) + ".")
        lines.append(".PP")
        lines.append("The manual: README.md and docs/ in the source distribution.")
    else:
        lines.append("\\fBwiretool\\fR(1).")
        lines.append(".PP")
        leaf = name.split(" ")[-1]
        lines.append(_escape(f"The manual page of this command: {DOCS.get(leaf, 'docs/')} "
                             "in the source distribution."))
    return "\n".join(lines) + "\n"


def pages() -> dict[Path, str]:
    """Every man page, by the file it belongs in."""
    group = typer.main.get_command(app)
    root = click.Context(group, info_name="wiretool")
    result = {MAN_DIR / "wiretool.1": page(group, root)}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        ctx = click.Context(command, info_name=name, parent=root)
        result[MAN_DIR / f"wiretool-{name}.1"] = page(command, ctx)
    return result


def stale() -> list[Path]:
    """Man pages that differ from what the help makes, are missing, or are left over."""
    want = pages()
    have = set(MAN_DIR.glob("*.1")) if MAN_DIR.exists() else set()
    wrong = [path for path, text in want.items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    return sorted(wrong + list(have - set(want)))


def write_all() -> list[Path]:
    """Write the man pages that changed (and remove left-over ones); the paths touched."""
    touched = stale()
    want = pages()
    MAN_DIR.mkdir(parents=True, exist_ok=True)
    for path in touched:
        if path in want:
            path.write_text(want[path], encoding="utf-8")
        else:
            path.unlink()
    return touched
