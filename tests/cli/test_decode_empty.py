"""An empty input, or an empty variable echoed (``echo "$BLOB"``): said to be empty, not
decoded as a truncated field (the newcomer review's D29, decode's part)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from wiretool.cli import app


@pytest.mark.parametrize("stdin", [b"", b"\n", b"  \r\n\t\n"])
def test_an_empty_input_is_a_warning_not_a_fault(stdin: bytes) -> None:
    result = CliRunner().invoke(app, ["decode", "-f", "json", "-"], input=stdin)
    assert result.exit_code == 0
    assert "wiretool: warning: the input is empty" in result.stderr
    document = json.loads(result.stdout)
    assert document["input"]["size"] == 0 and document["diagnostics"] == []


def test_whitespace_forced_as_raw_bytes_is_still_read_as_bytes() -> None:
    result = CliRunner().invoke(app, ["decode", "-f", "json", "-i", "raw", "-"], input=b"\n")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["input"]["size"] == 1
