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


def test_each_command_is_registered_by_the_module_the_console_script_imports_for_it() -> None:
    """``wiretool NAME ...`` imports only ``COMMANDS[NAME]`` (start-up): that module must
    be the one that registers NAME, and every command must be listed."""
    import importlib

    import wiretool.cli as cli
    from wiretool.cli import COMMANDS

    names = {command.name for command in cli.app.registered_commands}
    assert names == set(COMMANDS)
    for name, module in COMMANDS.items():
        registering = {c.name for c in cli.app.registered_commands
                       if c.callback is not None and c.callback.__module__ == module}
        assert registering == {name}, (name, module)
        importlib.import_module(module)


def test_a_command_run_alone_imports_no_other_command_module() -> None:
    import subprocess
    import sys

    code = ("import sys; sys.argv = ['wiretool', 'hpack', '8286']\n"
            "from wiretool.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('wiretool.cli.')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    loaded = done.stdout.strip().splitlines()[-1]
    assert "wiretool.cli.hpack" in loaded
    for other in ("compare", "decode", "h2"):
        assert f"'wiretool.cli.{other}'" not in loaded, loaded
