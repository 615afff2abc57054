"""tshark follow output (``-q -z follow,PROTO,MODE,N``): tcp and tls, raw and hex, the
banner skipped, the client told from the bytes (not from tshark's node order);
follow,http2 and the lossy modes refused with what to run instead. The inputs are
tshark's own output (``data/make_follow.sh``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from wiretool.cli import app
from wiretool.errors import InputError
from wiretool.inputs.follow import follow_kind, iter_follow_chunks, looks_like_follow

DATA = Path(__file__).resolve().parent / "data"
SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "h2"


def h2_jsonl(path: Path | str, *args: str, stdin: bytes | None = None
             ) -> tuple[int, list[dict[str, Any]], str]:
    result = CliRunner().invoke(app, ["h2-frames", "-f", "jsonl", *args, str(path)],
                                input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines, result.output


def _swapped(text: str) -> str:
    """The same follow output with tshark's nodes swapped (indented lines unindented and
    the other way round): what tshark writes when the other side's data came first."""
    out = []
    for line in text.splitlines():
        if line.startswith("\t"):
            out.append(line[1:])
        elif line and line[0] in "0123456789abcdef":
            out.append("\t" + line)
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def test_the_banner_tells_the_protocol_and_mode() -> None:
    for name, kind in (("curl-h2.tls.follow", ("tls", "raw")),
                       ("basic.tcp-hex.follow", ("tcp", "hex"))):
        head = (DATA / name).read_bytes()[:400]
        assert looks_like_follow(head) and follow_kind(head) == kind
    assert looks_like_follow((SAMPLES / "basic.follow").read_bytes())
    assert not looks_like_follow(b"=" * 20 + b"\nsomething else\n")


def test_follow_tls_sets_the_client_from_the_preface_not_from_node_order() -> None:
    """tshark lists the server's decrypted SETTINGS first, as node 0; the side that sends
    the client preface is node 1 here, and it is the client."""
    code, lines, _ = h2_jsonl(DATA / "curl-h2.tls.follow")
    assert code == 0
    assert lines[0] == {"record": "frame", "direction": "server", "offset": 0, "type": 4,
                        "type_name": "SETTINGS", "flags": 0, "flag_names": [], "stream_id": 0,
                        "length": 6, "reserved": False,
                        "settings": [{"offset": 9, "id": 3, "name": "MAX_CONCURRENT_STREAMS",
                                      "value": 100}]}
    assert lines[1] == {"record": "preface", "direction": "client", "offset": 0, "length": 24}
    requests = [line for line in lines if line["record"] == "frame" and "headers" in line
                and line["direction"] == "client"]
    assert requests and all(h["name"] != ":status" for r in requests for h in r["headers"])
    # the same output with the nodes the other way round gives the same records
    swapped = _swapped((DATA / "curl-h2.tls.follow").read_text())
    assert h2_jsonl("-", stdin=swapped.encode())[:2] == (code, lines)


def test_direction_says_what_node_0_is() -> None:
    code, lines, _ = h2_jsonl(DATA / "curl-h2.tls.follow", "--direction", "client")
    assert code == 0  # the user's word: no error, the labels are theirs
    assert lines[0]["record"] == "frame" and lines[0]["direction"] == "client"
    assert lines[1]["record"] == "preface" and lines[1]["direction"] == "server"
    _, auto, _ = h2_jsonl(SAMPLES / "basic.follow")
    _, told, _ = h2_jsonl(SAMPLES / "basic.follow", "--direction", "client")
    assert auto == told  # node 0 sent the preface: the same either way


def test_hex_mode_gives_the_records_of_raw_mode() -> None:
    assert h2_jsonl(DATA / "basic.tcp-hex.follow") == h2_jsonl(SAMPLES / "basic.follow")
    text = (DATA / "basic.tcp-hex.follow").read_text().splitlines(keepends=True)
    chunks = list(iter_follow_chunks(text, "hex"))
    assert [node for node, _data, _line in chunks][:2] == [1, 0]
    assert chunks[1][1][:24] == b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"[:16]


@pytest.mark.parametrize(("name", "message"), [
    ("demo.http2.follow", "tshark follow,http2 output holds one HTTP/2 stream"),
    ("basic.tcp-ascii.follow", "tshark follow,tcp,ascii output does not keep every byte"),
])
def test_follow_outputs_without_the_bytes_are_refused_with_what_to_run(name: str,
                                                                       message: str) -> None:
    code, lines, output = h2_jsonl(DATA / name)
    assert code == 2 and not lines
    assert message in output and "follow,tcp,raw,N" in output
    with pytest.raises(InputError):
        follow_kind((DATA / name).read_bytes())


def test_a_forced_capture_that_is_none_exits_2() -> None:
    code, lines, output = h2_jsonl(SAMPLES / "basic.client.bin", "-i", "capture")
    assert code == 2 and not lines
    assert "not a pcap or pcapng capture (it starts with 50524920" in output
