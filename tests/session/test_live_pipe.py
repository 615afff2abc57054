"""A capture read from a pipe as it is written (``tcpdump -U -w - | wiretool h2-frames -``):
each frame is shown as soon as its packet arrives, not when 64 KiB have.

A real ``wiretool`` process reads a pipe this test writes a packet at a time; after
each packet the test waits (bounded) for that packet's frame line on the process's
standard output before it writes the next one. Plus the pieces: ``read_head`` stops
reading once the input is certainly a capture, ``LiveInput`` returns short reads and
tells its caller before a read that would wait."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.capture import writer as w
from tests.grpc import h2build as hb
from wiretool.inputs.streams import LiveInput, StreamFormat, read_head

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 20.0
"""Longest wait for a line (a loaded machine starts Python slowly); the test fails
rather than hangs."""


def _packets() -> list[tuple[str, bytes]]:
    """(what the packet's frame line names, the packet) of one h2c exchange; the
    handshake packets carry no frame (``""``)."""
    flow = w.Flow(client=("10.0.0.1", 40000), server=("10.0.0.2", 8080))
    client, server = hb.Peer(), hb.Peer()
    out = [("", p) for p in flow.handshake()]
    out.append(("PREFACE", flow.send("client", hb.PREFACE)))
    out.append(('"SETTINGS"', flow.send("client", hb.frame(hb.SETTINGS, 0, 0, b""))))
    out.append(('"SETTINGS"', flow.send("server", hb.frame(hb.SETTINGS, 0, 0, b""))))
    out.append(('"HEADERS"', flow.send("client", client.headers(1, [
        (":method", "GET"), (":scheme", "http"), (":path", "/live"), (":authority", "x")],
        end=True))))
    out.append(('"HEADERS"', flow.send("server", server.headers(1, [(":status", "200")]))))
    out.append(('"DATA"', flow.send("server", hb.frame(hb.DATA, hb.END_STREAM, 1, b"ok"))))
    return out


class _Lines:
    """The lines a process writes, read with a deadline (never blocks the test)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def until(self, needle: str | re.Pattern[str], timeout: float = TIMEOUT_S) -> str:
        """The first unread line that contains ``needle`` (or matches it; lines before
        it are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                text = line.decode("utf-8", "replace")
                if needle.search(text) if isinstance(needle, re.Pattern) else needle in text:
                    return text
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line with {needle!r} within {timeout} s "
                                     f"(partial: {self.buffer[:200]!r})")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                data = os.read(self.fd, 65536)
                if not data:
                    raise AssertionError(f"output ended before a line with {needle!r}")
                self.buffer += data


@pytest.mark.parametrize("fmt", ["jsonl", "table"])
def test_each_frame_is_shown_as_its_packet_arrives(fmt: str) -> None:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    process = subprocess.Popen(
        [sys.executable, "-m", "wiretool", "h2-frames", "-f", fmt, "-"], cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdin is not None and process.stdout is not None
    lines = _Lines(process.stdout.fileno())
    try:
        # The pcap header and the packets, one write each, as tcpdump -U writes them.
        process.stdin.write(w.pcap([])[:24])
        process.stdin.flush()
        packets = _packets()
        for number, (name, packet) in enumerate(packets, start=1):
            process.stdin.write(w.pcap([(1_700_000_000_000_000_000 + number * 1000, packet)])
                                [24:])
            process.stdin.flush()
            if not name:
                continue
            if fmt == "jsonl":
                needle = '"record": "preface"' if name == "PREFACE" else f'"type_name": {name}'
                line = lines.until(needle)
                assert f'"packet": {number}' in line, line
            else:  # the frame's row: its packet, then its type
                lines.until(re.compile(rf"^\s*{number}\s.*\s{name.strip(chr(34))}\s"))
        process.stdin.close()
        assert process.wait(timeout=TIMEOUT_S) == 0, process.stderr.read() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_read_head_stops_once_the_input_is_a_capture() -> None:
    """A pipe holding only the 24-byte pcap header: read_head returns it instead of
    waiting for 64 KiB (the writer keeps the pipe open)."""
    read_fd, write_fd = os.pipe()
    os.write(write_fd, w.pcap([])[:24])
    try:
        with os.fdopen(read_fd, "rb") as stream:
            result: list[bytes] = []
            reader = threading.Thread(target=lambda: result.append(read_head(stream)))
            reader.start()
            reader.join(TIMEOUT_S)
            assert not reader.is_alive(), "read_head waited for more than the header"
            assert result == [w.pcap([])[:24]]
    finally:
        os.close(write_fd)


def test_read_head_of_text_reads_up_to_its_end() -> None:
    """Text input is sniffed from up to 64 KiB (hex, base64...): read to the end of a
    short one."""
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"505249202a20")
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as stream:
        assert read_head(stream) == b"505249202a20"
    read_fd, write_fd = os.pipe()
    os.write(write_fd, b"\x00\x00\x00\x04")
    with os.fdopen(read_fd, "rb") as stream:
        assert read_head(stream, StreamFormat.RAW) == b"\x00\x00\x00\x04"  # one read
    os.close(write_fd)


def test_live_input_reads_what_is_there_and_says_before_it_waits() -> None:
    read_fd, write_fd = os.pipe()
    waits: list[int] = []
    with os.fdopen(read_fd, "rb") as stream:
        live = LiveInput(stream)
        assert live.live and live.total_bytes is None
        live.on_wait = lambda: waits.append(live.position)
        os.write(write_fd, b"abc")
        assert live.read(65536) == b"abc"  # a short read, not 64 KiB
        assert waits == []  # the bytes were there: no wait
        threading.Timer(0.2, lambda: os.write(write_fd, b"de")).start()
        assert live.read(65536) == b"de"
        assert waits == [3]  # told before the read that waited
        os.close(write_fd)
        assert live.read(65536) == b""
        assert live.position == 5


def test_live_input_of_a_file_knows_its_size(tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"0123456789")
    positions: list[int] = []
    with open(path, "rb") as stream:
        live = LiveInput(stream)
        assert not live.live and live.total_bytes == 10
        live.on_read = positions.append
        assert live.read(4) == b"0123"
        assert live.read(100) == b"456789"
    assert positions == [4, 10]
