"""``h2-frames`` as seen in a terminal at 80, 120 and 200 columns (tmux): the frame view
(stacked lines below 120 columns, a table from 120) and the summary, on the bundled
grpcio capture and on a bigger one (samples/grpc/load.pcap: 240 calls, three
connections, failures). The screens are goldens (``tests/golden/h2/screens``,
regenerated with ``python -m tests.render.screens --update``), and each is checked for
what the views promise: no line wider than the terminal, every number of the model
whole, paths and header names whole or cut from the left at a segment, no word of a
value split. The checker is tested on screens broken on purpose."""

from __future__ import annotations

import re

import pytest

from tests.render.screens import (
    SCREENS,
    WIDTHS,
    Model,
    Screen,
    capture,
    check_screen,
    golden_path,
    model_of,
    tmux_available,
    widest_line,
)

CASES = [(screen, width) for screen in SCREENS for width in screen.widths]
needs_tmux = pytest.mark.skipif(not tmux_available(), reason="tmux is not installed")


@pytest.fixture(scope="module")
def models() -> dict[str, Model]:
    return {screen.name: model_of(screen) for screen in SCREENS}


@pytest.mark.parametrize(("screen", "width"), CASES,
                         ids=[f"{s.name}-{w}" for s, w in CASES])
def test_golden_screens_keep_their_promises(screen: Screen, width: int,
                                            models: dict[str, Model]) -> None:
    text = golden_path(screen, width).read_text(encoding="utf-8")
    assert widest_line(text) <= width
    assert check_screen(text, models[screen.name]) == []
    if screen.name.startswith("frames"):
        stacked = width < 120
        assert ("packet       time  conn" in text) is not stacked
        assert bool(re.search(r"^#\d+ \d+\.\d{6} conn \d+ ", text, re.M)) is stacked


@needs_tmux
@pytest.mark.parametrize(("screen", "width"), CASES,
                         ids=[f"{s.name}-{w}" for s, w in CASES])
def test_the_terminal_shows_the_golden_screens(screen: Screen, width: int) -> None:
    assert capture(screen, width) == golden_path(screen, width).read_text(encoding="utf-8"), (
        "the screen changed: python -m tests.render.screens --update, and review the diff")


@needs_tmux
def test_colour_helps_scanning_and_never_comes_from_the_wire() -> None:
    frames = capture(SCREENS[0], 120, colour=True)
    assert "\x1b[32mDATA" in frames  # frame types coloured (DATA green)
    assert "\x1b[36mclient" in frames and "\x1b[33mserver" in frames  # directions
    # tmux writes bold and the colour as two codes
    assert "\x1b[1m\x1b[31mgRPC status 3 INVALID_ARGUMENT" in frames  # non-OK in red
    assert "\x1b[1m\x1b[32mgRPC status 0 OK" in frames
    summary = capture(SCREENS[3], 120, colour=True)
    assert "\x1b[1m\x1b[31mNOT_FOUND 13" in summary


def _golden(name: str, width: int) -> str:
    screen = next(s for s in SCREENS if s.name == name)
    return golden_path(screen, width).read_text(encoding="utf-8")


def test_the_checker_finds_a_number_split_across_lines(models: dict[str, Model]) -> None:
    text = _golden("frames-demo", 120)
    broken = text.replace("increment 4128769", "increment 41287\n69", 1)
    broken = broken.replace("increment 4128769", "increment 412876…")
    assert any("4128769" in problem for problem in check_screen(broken, models["frames-demo"]))


def test_the_checker_finds_a_path_cut_at_the_wrong_end(models: dict[str, Model]) -> None:
    text = _golden("summary-demo", 200)
    broken = text.replace("/wiretool.demo.Demo/ServerStream", "/wiretool.demo.D…")
    problems = check_screen(broken, models["summary-demo"])
    assert any("cut at the right" in problem for problem in problems)
    cut_inside = text.replace("/wiretool.demo.Demo/ServerStream", "…erverStream")
    assert any("ServerStream" in p for p in check_screen(cut_inside, models["summary-demo"]))
    at_segment = text.replace("/wiretool.demo.Demo/ServerStream", "…Demo/ServerStream")
    assert check_screen(at_segment, models["summary-demo"]) == []


def test_the_checker_finds_a_broken_header_name_and_value(models: dict[str, Model]) -> None:
    text = _golden("frames-demo", 120)
    broken = text.replace(":authority", ":authori\n          ty")
    assert any(":authority" in p for p in check_screen(broken, models["frames-demo"]))
    broken = text.replace("grpc-python/1.85.3", "grpc-py\n  thon/1.85.3")
    assert any("grpc-python" in p for p in check_screen(broken, models["frames-demo"]))


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_json_splits_its_per_field_table_rather_than_drop_a_half(width: int) -> None:
    """Below the width of the whole per-field table (13 columns), its protobuf half and
    its JSON half one under the other, every column of each; never one of them dropped."""
    text = _golden("order", width)
    split = "Per field, protobuf: tag+len+payload" in text
    assert split is (width < 120)
    assert ("Per field, JSON: key+quotes+colon+value+sep" in text) is split
    headers = [line.split() for line in text.splitlines() if line.startswith("field ")]
    columns = [column for header in headers for column in header]
    for column in ("type", "#", "tag", "len", "payload", "protobuf", "key", "quotes", "colon",
                   "value", "sep", "JSON"):
        assert column in columns, (width, column)
    assert len(headers) == (2 if split else 1)


@pytest.mark.parametrize("width", (60, *WIDTHS))
def test_compare_json_splits_its_inputs_table_rather_than_cut_a_number(width: int) -> None:
    """Below the narrowest whole inputs table (names and types cut to 12 and 10 cells,
    headers on two lines), its sizes and its gzip sizes one under the other, each row
    with its input; every number whole (``check_screen``)."""
    text = _golden("batch", width)
    inputs = text.split("messages (each compressed on its own)")[0]
    headers = [line.split() for line in inputs.splitlines() if line.startswith("input ")]
    assert len(headers) == (2 if width < 72 else 1), width
    for columns in headers:
        assert columns[:2] == ["input", "type"]
    assert sum(line.count("jsonl:") for line in inputs.splitlines()) == 3 * len(headers)


def test_compare_json_width_option_lays_out_for_n_columns() -> None:
    from typer.testing import CliRunner

    from tests.conftest import ROOT
    from wiretool.cli import app

    screen = next(s for s in SCREENS if s.name == "order")
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(app, [*screen.args, "--format", "table", "--width", "100"],
                                    env={"COLUMNS": "200", "NO_COLOR": "1"})
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0
    assert widest_line(result.stdout) <= 100
    assert "Per field, JSON: key+quotes+colon+value+sep" in result.stdout
