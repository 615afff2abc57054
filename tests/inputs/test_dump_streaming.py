"""``h2-frames`` on hex text, xxd and hexdump -C dumps: read line by line (the layout
detected from the first lines), with the same records as the raw bytes."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wiretool.cli import app
from wiretool.inputs.streams import CHUNK, iter_dump_chunks, sniff_stream

pytestmark = pytest.mark.skipif(
    not (shutil.which("xxd") and shutil.which("hexdump")), reason="needs xxd and hexdump")

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "h2"


def h2_jsonl(stdin: bytes, *args: str) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(app, ["h2-frames", "-f", "jsonl", *args, "-"], input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, [json.loads(line) for line in result.stdout.splitlines()]


def dumps_of(data: bytes) -> dict[str, bytes]:
    return {
        "hex": data.hex().encode(),
        "hex lines": data.hex("\n", 30).encode() + b"\n",
        "xxd": subprocess.run(["xxd"], input=data, capture_output=True, check=True).stdout,
        "xxd -p": subprocess.run(["xxd", "-p"], input=data, capture_output=True,
                                 check=True).stdout,
        "hexdump -Cv": subprocess.run(["hexdump", "-Cv"], input=data, capture_output=True,
                                      check=True).stdout,
    }


@pytest.mark.parametrize("name", ["continuation.client", "padding_priority.server"])
def test_every_text_layout_gives_the_records_of_the_raw_bytes(name: str) -> None:
    data = (SAMPLES / f"{name}.bin").read_bytes()
    code, expected = h2_jsonl(data)
    assert code == 0 and len(expected) > 3
    for layout, text in dumps_of(data).items():
        assert h2_jsonl(text) == (0, expected), layout
    assert h2_jsonl(dumps_of(data)["xxd"], "-i", "hex") == (0, expected)


class CountingReader(io.BytesIO):
    """A stream that remembers the furthest byte anybody read."""

    furthest = 0

    def read(self, size: int | None = -1) -> bytes:
        out = super().read(size)
        self.furthest = max(self.furthest, self.tell())
        return out

    def readline(self, size: int | None = -1) -> bytes:
        out = super().readline(size)
        self.furthest = max(self.furthest, self.tell())
        return out

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        count = super().readinto(buffer)
        self.furthest = max(self.furthest, self.tell())
        return count


def test_text_is_read_as_frames_are_needed_not_whole() -> None:
    ping = bytes.fromhex("000008 06 00 00000000") + bytes(8)  # PING, 17 bytes
    data = bytes(ping) * 40_000  # 680 KB; the xxd dump is 2.9 MB
    text = subprocess.run(["xxd"], input=data, capture_output=True, check=True).stdout
    stream = CountingReader(text)
    head = stream.read(CHUNK)
    pieces = (chunk.data for chunk in iter_dump_chunks(stream, head, sniff_stream(head)))
    first = [next(pieces) for _ in range(3)]
    assert [len(chunk) for chunk in first] == [16, 16, 16]
    # read so far: the sniffed head and the buffer of the line reader, not the dump
    assert stream.furthest <= 3 * CHUNK < len(text) // 10
    assert b"".join(first + list(pieces)) == data


def test_a_bad_line_later_in_the_dump_is_an_input_error_naming_it() -> None:
    data = (SAMPLES / "continuation.client.bin").read_bytes()
    text = subprocess.run(["xxd"], input=data, capture_output=True, check=True).stdout
    lines = text.splitlines(keepends=True)
    broken = b"".join(lines[:-1]) + b"0000 not xxd\n"
    result = CliRunner().invoke(app, ["h2-frames", "-f", "jsonl", "-"], input=broken)
    assert result.exit_code == 2
    assert f"line {len(lines)} (offset {len(broken) - 13}) is not a xxd dump line" in (
        result.output)


def test_text_that_is_not_hex_is_still_read_whole() -> None:
    import base64

    data = (SAMPLES / "push.server.bin").read_bytes()
    assert h2_jsonl(base64.b64encode(data)) == h2_jsonl(data)
