"""``--help`` laid out for the terminal it is read in: prose wrapped to the width,
examples never broken inside a word or a quoted argument.

click wraps every paragraph of a help text to the terminal width (at most
``MAX_HELP_WIDTH``), examples included: ``... | jq`` then ``'.messages[].fields'`` on
the next line, which no longer runs when pasted. Here an example paragraph (indented
lines that are commands) is kept one command per line when it fits; a command
longer than the width is broken between two arguments with a shell continuation
(`` \\``) and the rest indented, so what is shown still runs when pasted whole.

Used through ``HelpCommand`` and ``HelpGroup``, the classes every command and the
application are made with (``app.py``).
"""

from __future__ import annotations

import re
import shlex

import click
from typer.core import TyperCommand, TyperGroup

MAX_HELP_WIDTH = 100
"""Help text is wrapped to the terminal, at most this wide (prose beyond 100 columns
is hard to read; every example fits)."""

_EXAMPLE = re.compile(r"^(?:[\w./-]+=\S* )*(?:wiretool|tshark|tcpdump|echo|cat|curl|python)\b")
"""The first word of a command line in an example paragraph."""


def _words(line: str) -> list[str]:
    """``line`` cut between shell words (quotes kept); the whole line as one word when
    it does not split as shell."""
    lexer = shlex.shlex(line, posix=False, punctuation_chars=False)
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:
        return [line]
    return words or [line]


def break_command(line: str, width: int, indent: str) -> list[str]:
    """``line`` (a shell command) in lines of at most ``width`` columns when it can be:
    broken only between two words, before a ``|`` when the line holds one, each broken
    line ending with `` \\`` and the next one indented by four more spaces. A word
    longer than the room stays whole."""
    if len(indent) + len(line) <= width:
        return [indent + line]
    rest_indent = indent + "    "
    lines: list[list[str]] = [[]]
    for word in _words(line):
        current = lines[-1]
        room = width - len(indent if len(lines) == 1 else rest_indent) - 2  # for " \\"
        if current and len(" ".join([*current, word])) > room:
            pipe = max((at for at, w in enumerate(current) if w == "|" and at), default=0)
            lines[-1], carried = (current[:pipe], current[pipe:]) if pipe else (current, [])
            lines.append([*carried, word])
        else:
            current.append(word)
    return [(indent if number == 0 else rest_indent) + " ".join(words)
            + (" \\" if number < len(lines) - 1 else "")
            for number, words in enumerate(lines)]


def _is_example(paragraph: list[str]) -> bool:
    return all(line.startswith("  ") and _EXAMPLE.match(line.strip()) for line in paragraph)


class HelpFormatter(click.HelpFormatter):
    """click's formatter, with example paragraphs broken as commands."""

    def __init__(self, indent_increment: int = 2, width: int | None = None,
                 max_width: int | None = None) -> None:
        super().__init__(indent_increment, width, max_width or MAX_HELP_WIDTH)

    def write_text(self, text: str) -> None:
        paragraphs: list[list[str]] = [[]]
        for line in text.splitlines():
            if line.strip():
                paragraphs[-1].append(line)
            elif paragraphs[-1]:
                paragraphs.append([])
        indent = " " * self.current_indent
        first = True
        for paragraph in paragraphs:
            if not paragraph:
                continue
            if not first:
                self.write("\n")
            first = False
            if _is_example(paragraph):
                for line in paragraph:
                    stripped = line.lstrip()
                    own = indent + line[: len(line) - len(stripped)]
                    self.write("\n".join(break_command(stripped, self.width, own)) + "\n")
            else:
                super().write_text("\n".join(paragraph))


class HelpContext(click.Context):
    formatter_class = HelpFormatter


class HelpCommand(TyperCommand):
    """Every command's class: its help goes through ``HelpFormatter``."""

    context_class = HelpContext


class HelpGroup(TyperGroup):
    """The application's class: its help goes through ``HelpFormatter``."""

    context_class = HelpContext
