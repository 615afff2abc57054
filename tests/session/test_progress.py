"""The session's progress hook: ``H2Decoding.watch`` and ``run_jobs(progress=...)`` report
how much of the input was read, of how much, and how many packets; at most every
``every_s`` seconds, and once at the end. The display is the CLI's (tests/cli)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from wiretool.session import SessionOptions, decode_h2
from wiretool.session.jobs import run_jobs
from wiretool.session.progress import ProgressClock, ReadProgress

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "samples" / "grpc" / "demo.pcap"
DEMO_PACKETS = 78  # tshark -r samples/grpc/demo.pcap | wc -l


def test_watch_reports_bytes_and_packets_up_to_the_whole_file() -> None:
    seen: list[ReadProgress] = []
    with decode_h2(str(DEMO), SessionOptions()) as records:
        records.watch(seen.append, every_s=0.0)
        frames = sum(1 for _ in records)
    assert frames > 0
    size = DEMO.stat().st_size
    assert seen, "no progress reported"
    assert all(p.total_bytes == size for p in seen)
    assert [p.bytes_read for p in seen] == sorted(p.bytes_read for p in seen)
    assert seen[-1].bytes_read == size
    assert seen[-1].packets == DEMO_PACKETS
    assert seen[-1].elapsed_s >= 0


def test_watch_of_a_dump_has_no_packets_and_a_stream_no_total() -> None:
    seen: list[ReadProgress] = []
    data = (ROOT / "samples" / "h2" / "basic.client.bin").read_bytes()

    class Pipe(io.RawIOBase):  # a stream of unknown size
        def __init__(self) -> None:
            self.data = data

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
            piece, self.data = self.data[:7], self.data[7:]
            buffer[: len(piece)] = piece
            return len(piece)

    with decode_h2(io.BufferedReader(Pipe()), SessionOptions()) as records:
        records.watch(seen.append, every_s=0.0)
        list(records)
    assert seen[-1] == ReadProgress(len(data), None, None, seen[-1].elapsed_s)


def test_the_clock_reports_at_most_every_interval() -> None:
    seen: list[ReadProgress] = []
    clock = ProgressClock(seen.append, 100, lambda: None, every_s=3600.0)
    for position in range(100):
        clock.tick(position)
    assert seen == []  # an hour has not passed
    clock.report(100)
    assert [p.bytes_read for p in seen] == [100]


def test_run_jobs_reports_the_lead_process_position(tmp_path: Path) -> None:
    seen: list[ReadProgress] = []
    out = tmp_path / "out.txt"
    with open(DEMO, "rb") as capture, open(out, "w", encoding="utf-8") as text:
        run_jobs(capture.fileno(), 2, SessionOptions(summary=True),
                 lambda share: lambda items: "", text, progress=seen.append)
    assert seen[-1].bytes_read == os.path.getsize(DEMO) == seen[-1].total_bytes
    assert seen[-1].packets == DEMO_PACKETS
