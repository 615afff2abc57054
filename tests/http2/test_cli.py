"""``wiretool h2-frames`` and ``wiretool hpack`` through Typer's runner, goldens, and one real
subprocess of the installed entry point. Regenerate goldens with ``pytest --update-goldens``."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wiretool.cli import app

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "h2"
Golden = Callable[[str, str], None]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str]]:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.delenv("NO_COLOR", raising=False)
    runner = CliRunner()

    def invoke(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
        result = runner.invoke(app, list(args), input=stdin)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception)
        return result.exit_code, result.stdout

    return invoke


def jsonl(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


def test_table_golden_push(run: Callable[..., tuple[int, str]], golden: Golden) -> None:
    code, out = run("h2-frames", "-f", "table", "--hpack-table", str(SAMPLES / "push.follow"))
    assert code == 0
    golden("h2/push.table.txt", out)


def test_summary_golden(run: Callable[..., tuple[int, str]], golden: Golden) -> None:
    code, out = run("h2-frames", "-f", "table", "--summary", "--type", "SETTINGS",
                    str(SAMPLES / "basic.follow"))
    assert code == 0
    assert "HEADERS" not in out.split("per direction")[0]  # filtered out of the frame list
    golden("h2/basic.summary.txt", out)


def test_jsonl_contract(run: Callable[..., tuple[int, str]]) -> None:
    code, out = run("h2-frames", "-f", "jsonl", str(SAMPLES / "push.server.bin"))
    assert code == 0
    records = jsonl(out)
    assert {r["record"] for r in records} == {"frame"}
    first = records[0]
    assert {k: first[k] for k in ("direction", "offset", "type", "type_name", "flags",
                                   "flag_names", "stream_id", "length")} == {
        "direction": "server", "offset": 0, "type": 4, "type_name": "SETTINGS", "flags": 0,
        "flag_names": [], "stream_id": 0, "length": 6}
    push = next(r for r in records if r["type_name"] == "PUSH_PROMISE")
    assert push["promised_stream_id"] == 2
    headers = push["headers"]
    assert isinstance(headers, list)
    assert headers[1] == {
        "name": ":path", "value": "/push/style.css", "representation": "without-indexing",
        "index": 4, "table": "static", "huffman": {"name": None, "value": True},
        "wire_bytes": "048b62bb513b084faa0ab9108f", "size": 52, "offset": 38, "block_offset": 1,
        "inserted": False, "evicted": [],
    }


def test_diagnostics_exit_1_and_keep_going(run: Callable[..., tuple[int, str]]) -> None:
    data = bytes.fromhex(
        "000004 08 00 00000001 00000000"   # WINDOW_UPDATE increment 0: PROTOCOL_ERROR
        "000000 04 01 00000000"            # SETTINGS ACK, fine
        "000008 06 00 00000000 0102"       # PING cut short by the end of the input
    )
    code, out = run("h2-frames", "-f", "jsonl", "-", stdin=data)
    assert code == 1
    kinds = [(r["record"], r.get("type_name"), r.get("severity")) for r in jsonl(out)]
    assert kinds == [
        ("frame", "WINDOW_UPDATE", None), ("diagnostic", None, "error"),
        ("frame", "SETTINGS", None),
        ("frame", "PING", None), ("diagnostic", None, "error"),
    ]
    diag = jsonl(out)[1]
    assert diag["error_name"] == "PROTOCOL_ERROR" and diag["offset"] == 9


def test_hex_and_xxd_inputs(run: Callable[..., tuple[int, str]]) -> None:
    data = (SAMPLES / "push.client.bin").read_bytes()
    xxd = subprocess.run(["xxd"], input=data, capture_output=True, check=True).stdout if (
        shutil.which("xxd")) else None
    code_hex, out_hex = run("h2-frames", "-f", "jsonl", "-", stdin=data.hex().encode())
    code_raw, out_raw = run("h2-frames", "-f", "jsonl", "-", stdin=data)
    assert (code_hex, code_raw) == (0, 0) and out_hex == out_raw
    assert jsonl(out_raw)[0] == {"record": "preface", "direction": "client", "offset": 0,
                                 "length": 24}
    if xxd is not None:
        assert run("h2-frames", "-f", "jsonl", "-", stdin=xxd)[1] == out_raw


def test_mid_connection_capture_is_honest(run: Callable[..., tuple[int, str]]) -> None:
    data = (SAMPLES / "basic.server.bin").read_bytes()
    # Cut the first response away: the second response refers to entries we never saw.
    records = jsonl(run("h2-frames", "-f", "jsonl", "-", stdin=data)[1])
    second = [r for r in records if r.get("headers")][1]
    start = int(str(second["offset"]))
    code, out = run("h2-frames", "-f", "jsonl", "--direction", "server", "-", stdin=data[start:])
    assert code == 0
    block = next(r for r in jsonl(out) if r.get("headers"))
    fields = block["headers"]
    assert isinstance(fields, list)
    unknown = [f for f in fields if f.get("unknown_entry")]
    assert unknown and all(f["name"] is None for f in unknown)
    assert any("capture started mid-connection" in str(r.get("message")) for r in jsonl(out))
    code, table = run("h2-frames", "-f", "table", "-", stdin=data[start:])
    heading = next(line for line in table.splitlines() if "  value  " in line)
    start, end = heading.index("value"), heading.index("size")
    value_column = " ".join(line[start:end] for line in table.splitlines())
    assert "dynamic entry 66 unknown (not in the capture)" in " ".join(value_column.split())


def test_filters_and_bad_type(run: Callable[..., tuple[int, str]]) -> None:
    code, out = run("h2-frames", "-f", "jsonl", "--stream", "2", str(SAMPLES / "push.follow"))
    assert code == 0 and {r["stream_id"] for r in jsonl(out)} == {2}
    code, _ = run("h2-frames", "--type", "NOPE", str(SAMPLES / "push.follow"))
    assert code == 2


def test_unreadable_file_is_exit_2(run: Callable[..., tuple[int, str]], tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["h2-frames", str(tmp_path / "missing")])
    assert result.exit_code != 0


def test_hpack_command_golden(run: Callable[..., tuple[int, str]], golden: Golden) -> None:
    code, out = run("hpack", "-f", "table", "--table-size", "256",
                    "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a"
                    "31333a323120474d546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
                    "4803333037c1c0bf")
    assert code == 0
    golden("h2/hpack.c5.txt", out)


def test_hpack_encode_golden(run: Callable[..., tuple[int, str]], golden: Golden) -> None:
    code, out = run("hpack", "-f", "table", "--encode", ":method: GET",
                    "--encode", "user-agent: curl/8.5", "--encode", "x-secret: [red]s3cr3t")
    assert code == 0
    assert "[red]s3cr3t" in out  # markup in a value stays text
    golden("h2/hpack.encode.txt", out)


def test_hpack_json_and_errors(run: Callable[..., tuple[int, str]]) -> None:
    code, out = run("hpack", "-f", "json", "828684be")
    assert code == 1
    (block,) = json.loads(out)["blocks"]
    assert [h["name"] for h in block["headers"]] == [":method", ":scheme", ":path"]
    assert block["undecodable_from"] == 3
    assert "past the end of the dynamic table" in block["diagnostics"][0]["message"]
    assert run("hpack", "zz")[0] == 2
    assert run("hpack")[0] == 2


def test_installed_entry_point_subprocess() -> None:
    exe = shutil.which("wiretool")
    assert exe is not None, "the wiretool entry point is not installed"
    result = subprocess.run(
        [exe, "h2-frames", "--format", "jsonl", "--type", "HEADERS",
         str(SAMPLES / "continuation.follow")],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    client = next(r for r in records if r["direction"] == "client" and "headers" in r)
    assert client["type_name"] == "CONTINUATION"
    names = [h["name"] for h in client["headers"]]
    assert names[:4] == [":method", ":path", ":scheme", ":authority"]
    assert sum(n.startswith("continuation-test-") for n in names) == 6
    bad = subprocess.run([exe, "h2-frames", "/nonexistent"], capture_output=True, text=True,
                         check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.mark.parametrize("name", ["basic.pcap", "basic.follow", "basic.client.bin"])
def test_limit_stops_after_n_frames(run: Callable[..., tuple[int, str]], name: str) -> None:
    """``--limit N``: the output is the unlimited output up to the (N+1)-th frame."""
    _code, full = run("h2-frames", "-f", "jsonl", str(SAMPLES / name))
    records = jsonl(full)
    frames_at = [i for i, r in enumerate(records) if r["record"] == "frame"]
    assert len(frames_at) > 4
    code, out = run("h2-frames", "-f", "jsonl", "--limit", "3", str(SAMPLES / name))
    assert code == 0
    assert jsonl(out) == records[: frames_at[3]]
    code, out = run("h2-frames", "-f", "jsonl", "-n", "0", str(SAMPLES / name))
    assert [r for r in jsonl(out) if r["record"] == "frame"] == []


def test_limit_counts_frames_after_the_filters(run: Callable[..., tuple[int, str]]) -> None:
    code, out = run("h2-frames", "-f", "jsonl", "--type", "HEADERS", "--limit", "2",
                    str(SAMPLES / "basic.pcap"))
    frames = [r for r in jsonl(out) if r["record"] == "frame"]
    assert code == 0 and [f["type_name"] for f in frames] == ["HEADERS", "HEADERS"]


def test_limit_says_where_it_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    result = CliRunner().invoke(app, ["h2-frames", "-f", "table", "--limit", "1",
                                      str(SAMPLES / "basic.pcap")])
    assert result.exit_code == 0
    assert "stopped after 1 frame(s) (--limit)" in result.stderr
    result = CliRunner().invoke(app, ["h2-frames", "--summary", "--limit", "1",
                                      str(SAMPLES / "basic.pcap")])
    assert result.exit_code == 2 and "--limit applies to the frame list" in result.stderr
