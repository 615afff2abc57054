"""``h2-frames``' view options: ``--width``, ``--streams``, ``--waterfall``, and the
progress display on standard error (when it shows, what it shows, that it clears)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wiretool.cli import app
from wiretool.cli import h2 as h2_cli
from wiretool.render.progress import ClearingOutput, ProgressLine
from wiretool.session.progress import ReadProgress

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "samples" / "grpc" / "demo.pcap"
LOAD = ROOT / "samples" / "grpc" / "load.pcap"


def h2(*args: str, columns: int = 120) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["h2-frames", *args],
                                env={"COLUMNS": str(columns), "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def widest(text: str) -> int:
    from rich.cells import cell_len

    return max(cell_len(line) for line in text.splitlines())


@pytest.mark.parametrize("width", [40, 64, 80, 119, 120, 150, 250])
def test_width_lays_out_the_frames_and_the_summary(width: int) -> None:
    code, frames, _ = h2("-f", "table", "--width", str(width), str(DEMO))
    assert code == 0 and widest(frames) <= width
    assert ("packet       time  conn" in frames) is (width >= 120)  # table or stacked
    code, summary, _ = h2("-f", "table", "--summary", "--width", str(width), str(DEMO))
    assert code == 0 and widest(summary) <= width
    assert "all connections: 7 calls of 5 methods over 2 HTTP/2 connections" in " ".join(
        summary.split())


def test_streams_lists_every_stream_of_a_busy_connection() -> None:
    code, summary, _ = h2("-f", "table", "--summary", str(LOAD), columns=160)
    assert code == 0 and not re.search(r"^\s+id\s+method\s+:path", summary, re.M)
    code, every, _ = h2("-f", "table", "--summary", "--streams", str(LOAD), columns=160)
    assert code == 0
    rows = re.findall(r"^\s+(\d+)\s+POST\s+/wiretool\.demo\.Demo/\w+\s", every, re.M)
    assert len(rows) == 240  # 80 calls on each of 3 connections
    assert every.count("grpc-message: no such user: bob") == 13  # each failed call


def test_waterfall_shows_a_sample_of_a_busy_connection() -> None:
    code, summary, _ = h2("-f", "table", "--summary", "--waterfall", str(LOAD), columns=120)
    assert code == 0
    assert summary.count("waterfall of 40 of 80 streams (every 2nd)") == 3
    code, plain, _ = h2("-f", "table", "--summary", str(LOAD), columns=120)
    assert "waterfall" not in plain  # 80 calls: no rows, no waterfall unless asked
    code, demo, _ = h2("-f", "table", "--summary", str(DEMO), columns=120)
    assert demo.count("waterfall: ▒ request, ─ waiting, █ response") == 2  # few calls


@pytest.mark.parametrize("option", ["--streams", "--waterfall"])
def test_summary_options_need_summary(option: str) -> None:
    code, _, err = h2(option, str(DEMO))
    assert code == 2 and "goes with --summary" in err


def test_no_progress_when_standard_error_is_not_a_terminal() -> None:
    assert h2_cli._progress(None, summary=True) is None  # CliRunner: not a terminal
    assert h2_cli._progress(True, summary=False) is None


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True

    buffer = io.BytesIO()


def test_progress_shows_after_a_second_and_clears(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    stream = Terminal()
    line = ProgressLine(stream)
    line.update(ReadProgress(1_000_000, 46_000_000, 2_000, 0.4))
    assert stream.getvalue() == ""  # short work shows nothing
    line.update(ReadProgress(12_300_000, 46_400_000, 30_000, 1.5))
    shown = stream.getvalue()
    assert "reading" in shown and "12.3/46.4 MB" in shown and "30,000 packets" in shown
    output = Terminal()
    ClearingOutput(output, line).write("connection 1 ...\n")  # clears the line first
    assert not line._shown and output.getvalue() == "connection 1 ...\n"
    line.update(ReadProgress(46_400_000, 46_400_000, 90_000, 3.0))
    assert line._shown
    line.close()
    assert not line._shown


def test_the_cli_shows_progress_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """stderr a terminal, stdout a file: the progress of the reading is drawn."""
    seen: list[ReadProgress] = []

    class Recorder:
        stdout_shared = False

        def update(self, progress: ReadProgress) -> None:
            seen.append(progress)

        def close(self) -> None:
            seen.append(ReadProgress(-1, None, None, 0.0))

    monkeypatch.setattr(h2_cli, "_progress", lambda wanted, summary: Recorder())
    import wiretool.session.progress as progress_module

    monkeypatch.setattr(progress_module, "PROGRESS_EVERY_S", 0.0)
    code, _, _ = h2("-f", "jsonl", "--jobs", "1", str(LOAD))
    assert code == 0
    assert seen[-2].bytes_read == LOAD.stat().st_size and seen[-2].packets
    assert seen[-1].bytes_read == -1  # closed at the end


FIT_INPUTS = [*sorted(p for p in (ROOT / "samples").rglob("*.pcap") if "tls" not in p.parts),
              ROOT / "samples" / "h2" / "push.follow", ROOT / "samples" / "h2" / "basic.client.bin"]


@pytest.mark.parametrize("path", FIT_INPUTS, ids=lambda p: p.name)
def test_every_view_fits_every_width(path: Path) -> None:
    """Every bundled input, every view, widths from 40 to 211 columns: no line wider
    than asked (what was a cut or a fold before is now a wrap)."""
    views: list[list[str]] = [[], ["--hpack-table"], ["--summary"]]
    if path.suffix == ".pcap":
        views.append(["--summary", "--waterfall", "--streams"])
    for width in (40, 57, 80, 119, 120, 160, 211):
        for view in views:
            code, out, _ = h2("-f", "table", "--width", str(width), *view, str(path))
            assert code in (0, 1) and out
            assert widest(out) <= width, (path.name, width, view)
