"""The root command: typos get one suggestion."""

from __future__ import annotations

from typer.testing import CliRunner

from wiretool.cli import app


def test_a_mistyped_command_gets_one_suggestion() -> None:
    for typo, command in (("decod", "decode"), ("h2-frame", "h2-frames")):
        result = CliRunner().invoke(app, [typo, "x"])
        assert result.exit_code == 2
        assert result.output.count("Did you mean") == 1, result.output
        assert f"'{command}'" in result.output
    result = CliRunner().invoke(app, ["zzz"])
    assert "No such command 'zzz'." in result.output and "Did you mean" not in result.output
