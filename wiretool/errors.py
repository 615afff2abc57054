"""Errors and diagnostics shared by every decoder.

Two kinds of trouble, kept apart on purpose:

* A *Diagnostic* is a problem found **in the input** (a truncated field, a frame on
  the wrong stream). It lives in the model, carries the byte offset where it was
  found, and the decoder keeps going. Only the CLI turns diagnostics into an exit
  code.
* A *WiretoolError* is a problem that stops the job before there is anything to
  decode (a file that cannot be read, an option that makes no sense). The CLI
  turns it into a message and exit code 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum


class ExitCode(IntEnum):
    """Exit codes of every command (documented in README.md)."""

    OK = 0
    """The input was read and fully decoded."""
    MALFORMED = 1
    """The input was read but something in it is malformed; the valid part is shown."""
    USAGE = 2
    """Usage error, or a file that cannot be read."""


class Severity(StrEnum):
    """How bad a diagnostic is. Only ``ERROR`` makes a command exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """Something noteworthy or wrong at a place in the input."""

    offset: int
    """Absolute byte offset in the decoded input where the problem starts."""
    severity: Severity
    """``error`` when the input is malformed, ``warning`` when it is legal but odd."""
    message: str
    """Human-readable, self-contained description (it names the offset too)."""
    length: int = 0
    """How many bytes the problem covers (0 when it is a point, such as end of input)."""


class WiretoolError(Exception):
    """Base of every error wiretool raises on purpose."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        """Byte (or character) offset in the input the error refers to, when there is one."""

    def __str__(self) -> str:
        return self.message


class InputError(WiretoolError):
    """The input cannot be turned into bytes (unreadable file, invalid forced encoding)."""


class UsageError(WiretoolError):
    """Options that contradict each other or the input."""
