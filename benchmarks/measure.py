"""Running a command and measuring it: wall time, CPU, peak memory (for the benchmarks).

Peak memory is read from ``/proc`` while the command runs, not from ``wait4``'s
``ru_maxrss``: on Linux a child's ``ru_maxrss`` includes the memory of the process
that started it (the child runs in a copy of its parent until ``exec``, and the
kernel keeps that high-water mark), so every command started from a benchmark that
holds 40 MiB seemed to need at least 40 MiB. ``VmHWM`` in ``/proc/PID/status`` is
the high-water mark of the running program alone.

Several commands measured in ``rounds``: each round runs every command once, so a
machine that slows down for a minute slows all of them alike (this one drifts by
10-15% from one minute to the next) and the medians keep their ratios.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

FIRST_SAMPLES_S = 0.5
"""Memory is sampled every ``FAST_SAMPLE_S`` for this long (short commands), then
every ``SAMPLE_S``."""
FAST_SAMPLE_S = 0.002
SAMPLE_S = 0.05


@dataclass(frozen=True)
class Run:
    """One run of a command."""

    seconds: float
    cpu: float
    """User + system seconds of the process and the children it waited for."""
    rss_mib: float
    """Peak memory: the program's own high-water mark (``VmHWM``), or, when it has
    child processes, the peak of the resident memory summed over all of them (pages
    they share are counted in each, so that overstates what they use together)."""
    code: int


@dataclass(frozen=True)
class Result:
    """Medians of several runs of one command (peak memory: the largest)."""

    seconds: float
    cpu: float
    rss_mib: float
    code: int
    """Exit code of the last run."""


def _status_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of ``pid`` in KiB; (0, 0) when it is gone or has no memory."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, hwm


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                found += [int(child) for child in children.read().split()]
    except (OSError, ValueError):
        pass  # gone meanwhile
    return found


def _memory_kib(pid: int) -> int:
    """The process's high-water mark, or with descendants the RSS summed over them."""
    own_rss, own_hwm = _status_kib(pid)
    descendants = _children(pid)
    if not descendants:
        return own_hwm
    total = own_rss
    while descendants:
        child = descendants.pop()
        total += _status_kib(child)[0]
        descendants += _children(child)
    return max(total, own_hwm)


def run(argv: Sequence[str], stdin: Path | None = None) -> Run:
    """Run ``argv`` once, stdout and stderr to /dev/null, stdin from ``stdin`` or
    /dev/null, and measure it."""
    with open(stdin or os.devnull, "rb") as source, open(os.devnull, "wb") as devnull:
        start = time.perf_counter()
        # Popen returns once the child has exec'd: /proc shows the program from here on.
        process = subprocess.Popen(list(argv), stdin=source, stdout=devnull, stderr=devnull)
        peak = 0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, _memory_kib(process.pid))
            elapsed = time.perf_counter() - start
            time.sleep(FAST_SAMPLE_S if elapsed < FIRST_SAMPLES_S else SAMPLE_S)
        seconds = time.perf_counter() - start
        process.returncode = code = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_utime + usage.ru_stime, peak / 1024, code)


def summarise(runs: Sequence[Run]) -> Result:
    return Result(statistics.median(r.seconds for r in runs),
                  statistics.median(r.cpu for r in runs),
                  max(r.rss_mib for r in runs), runs[-1].code)


def rounds(commands: Mapping[str, tuple[Sequence[str], Path | None]], count: int,
           progress: Callable[[str], None] | None = None,
           limits: Mapping[str, int] | None = None) -> dict[str, Result]:
    """Each command ``count`` times, in rounds (every command once per round, in the
    given order): name -> the medians. ``limits`` runs some commands in the first
    rounds only (slow peers: name -> runs)."""
    done: dict[str, list[Run]] = {name: [] for name in commands}
    for number in range(count):
        for name, (argv, stdin) in commands.items():
            if limits is not None and number >= limits.get(name, count):
                continue
            done[name].append(run(argv, stdin))
            if progress:
                progress(f"round {number + 1}/{count}: {name} "
                         f"{done[name][-1].seconds:.2f} s")
    return {name: summarise(runs) for name, runs in done.items()}


def to_stderr(text: str) -> None:
    """A progress line that the next one overwrites (stderr, so the table stays clean);
    ``""`` clears it."""
    if sys.stderr.isatty():
        sys.stderr.write(f"\r\x1b[K{text}")
        sys.stderr.flush()
