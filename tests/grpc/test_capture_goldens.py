"""Golden renderings of the real grpcio capture (samples/grpc/demo.pcap): the capture
table view, the ``--summary`` view (width 120, colour off) and the gRPC-message JSON
Lines records. Regenerate with ``pytest --update-goldens`` and review the diff."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from wiretool.cli import app

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "grpc"
Golden = Callable[[str, str], None]


def h2_frames(*args: str) -> str:
    result = CliRunner().invoke(app, ["h2-frames", *args],
                                env={"COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"})
    assert result.exit_code == 0, result.output
    assert "\x1b[" not in result.stdout  # colour off
    return result.stdout


def test_capture_table_view(golden: Golden) -> None:
    out = h2_frames("-f", "table", str(SAMPLES / "demo.pcap"))
    assert max(len(line) for line in out.splitlines()) <= 120
    golden("grpc/demo.table.txt", out)


def test_capture_table_view_with_schema(golden: Golden) -> None:
    out = h2_frames("-f", "table", "--proto", str(SAMPLES / "demo.proto"), "--stream", "11",
                    str(SAMPLES / "demo.pcap"))
    golden("grpc/demo.fail.schema.table.txt", out)


def test_capture_summary_view(golden: Golden) -> None:
    golden("grpc/demo.summary.txt", h2_frames("-f", "table", "--summary",
                                              str(SAMPLES / "demo.pcap")))


def test_grpc_message_records(golden: Golden) -> None:
    out = h2_frames("-f", "jsonl", "--proto", str(SAMPLES / "demo.proto"),
                    str(SAMPLES / "demo.pcap"))
    lines = [line for line in out.splitlines()
             if json.loads(line)["record"] in ("grpc-message", "grpc-status")]
    assert len(lines) == 24 + 7
    golden("grpc/demo.grpc-messages.jsonl", "\n".join(lines) + "\n")
