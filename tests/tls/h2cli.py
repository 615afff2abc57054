"""Test helper: ``wiretool h2-frames`` on TLS captures, through Typer's runner, and its
JSON lines grouped by connection; plus a capture writer that replays the TCP byte
streams of a real capture (possibly edited) as new packets, for fault tests."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.capture import writer as w
from wiretool.cli import app
from wiretool.direction import Direction

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "tls"
ENV = {"COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb", "SSLKEYLOGFILE": None}
"""No SSLKEYLOGFILE from the developer's environment: tests that want one set it."""

Step = tuple[Direction, bytes | int]
"""Bytes of one direction, or (an int) that many bytes lost."""


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stdout.splitlines()]

    def connections(self) -> dict[int, Connection]:
        """The records of each connection, by client port (JSON Lines output)."""
        out: dict[int, Connection] = {}
        for record in self.records:
            where = record.get("connection")
            if where is None:
                continue
            port = int(where["client"].rsplit(":", 1)[1])
            out.setdefault(port, Connection()).records.append(record)
        return out


@dataclass
class Connection:
    records: list[dict[str, Any]] = field(default_factory=list)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r["record"] == kind]

    @property
    def start(self) -> dict[str, Any]:
        (start,) = self.of("connection")
        return start

    def diagnostics(self, problem: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.of("diagnostic")
                if problem is None or r.get("tls_problem") == problem]

    def errors(self) -> list[dict[str, Any]]:
        return [r for r in self.of("diagnostic") if r["severity"] == "error"]

    def without_where(self) -> list[dict[str, Any]]:
        """The records with no capture time or packet (they move when a capture is
        rewritten), for comparing two decodings of the same connection."""
        return [{k: v for k, v in r.items() if k not in ("time", "time_ns", "packet")}
                for r in self.records]


def h2_frames(*args: str | Path, env: dict[str, str | None] | None = None) -> Run:
    result = CliRunner().invoke(app, ["h2-frames", *map(str, args)], env={**ENV, **(env or {})})
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception)
    assert "Traceback" not in result.output
    return Run(result.exit_code, result.stdout, result.stderr)


def keylog_of(name: str) -> list[str]:
    """``--keylog FILE`` of a sample (none for the one whose keys are inside)."""
    spec = json.loads((SAMPLES / f"{name}.tshark.json").read_text())
    return ["--keylog", str(SAMPLES / spec["keys"])] if spec["keys"] else []


def capture_of(name: str) -> Path:
    spec = json.loads((SAMPLES / f"{name}.tshark.json").read_text())
    return SAMPLES / spec["capture"]


def replay(connections: Sequence[Sequence[Step]], *, handshake: Sequence[bool] = ()) -> bytes:
    """A pcap of ``connections`` one after another, each from 10.0.0.1:(41000 + index) to
    10.0.0.2:8443, every step one segment (a lost one: the sequence number moves on,
    nothing is sent). ``handshake[i]`` False: connection i has no SYN (it starts mid-way).
    """
    packets: list[bytes] = []
    for index, steps in enumerate(connections):
        flow = w.Flow(client=("10.0.0.1", 41000 + index), server=("10.0.0.2", 8443))
        if index >= len(handshake) or handshake[index]:
            packets += flow.handshake()
        for direction, data in steps:
            if isinstance(data, int):
                flow.seq[direction.value] += data
                continue
            for at in range(0, len(data), 1400):
                packets.append(flow.send(direction.value, data[at:at + 1400]))
        packets += [flow.send("client", flags=w.FIN | w.ACK),
                    flow.send("server", flags=w.FIN | w.ACK)]
    return w.pcap((1_700_000_000_000_000_000 + i * 1000, p) for i, p in enumerate(packets))


def streams(steps: Sequence[Step]) -> dict[Direction, bytes]:
    """The bytes of each direction of a connection's steps."""
    out = {Direction.CLIENT: b"", Direction.SERVER: b""}
    for direction, data in steps:
        if isinstance(data, bytes):
            out[direction] += data
    return out
