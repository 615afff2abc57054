"""The real nghttpd/nghttp + h2c capture, against tshark's reassembly of it.

samples/capture/make_nghttp2_h2c.sh made the capture; tshark_oracle.py wrote the
expected byte counts and hashes once (tests need neither tshark nor tcpdump).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

import pytest

from wiretool.capture import (
    ConnectionOpened,
    Gap,
    RoleBasis,
    StreamData,
    TcpEvent,
    follow_tcp,
)
from wiretool.errors import Diagnostic
from wiretool.http2.detect import PREFACE, Evidence, Verdict, detect_http2

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "capture"
EXPECTED = json.loads((SAMPLES / "nghttp2-h2c.expected.json").read_text())


def follow(name: str, chunk_size: int = 1 << 16) -> list[TcpEvent]:
    with (SAMPLES / name).open("rb") as f:
        return list(follow_tcp(f, chunk_size=chunk_size))


def by_direction(events: list[TcpEvent]) -> dict[tuple[int, str], bytes]:
    out: dict[tuple[int, str], bytearray] = defaultdict(bytearray)
    for e in events:
        if isinstance(e, StreamData):
            out[e.conn_id, e.direction] += e.data
    return {k: bytes(v) for k, v in out.items()}


@pytest.mark.parametrize("name", ["nghttp2-h2c.pcap", "nghttp2-h2c.pcapng"])
def test_reassembly_matches_tshark(name: str) -> None:
    events = follow(name)
    assert not [e for e in events if isinstance(e, Diagnostic | Gap)]
    opened = [e for e in events if isinstance(e, ConnectionOpened)]
    streams = by_direction(events)
    assert len(opened) == len(EXPECTED["streams"])
    for conn, want in zip(opened, EXPECTED["streams"], strict=True):
        assert conn.roles is RoleBasis.SYN
        assert (str(conn.client), str(conn.server)) == (want["client"], want["server"])
        for direction in ("client", "server"):
            data = streams[conn.conn_id, direction]
            assert len(data) == want[f"{direction}_bytes"]
            assert hashlib.sha256(data).hexdigest() == want[f"{direction}_sha256"]


def test_streams_start_with_preface_and_server_settings() -> None:
    streams = by_direction(follow("nghttp2-h2c.pcap"))
    assert streams[1, "client"].startswith(PREFACE)
    assert streams[1, "server"][3] == 0x04 and streams[1, "server"][4] == 0  # SETTINGS
    found = detect_http2(streams[1, "client"], streams[1, "server"], roles_certain=True)
    assert (found.verdict, found.evidence) == (Verdict.HTTP2, Evidence.PREFACE)


def test_h2c_upgrade_connection_is_detected() -> None:
    streams = by_direction(follow("nghttp2-h2c.pcap"))
    client, server = streams[2, "client"], streams[2, "server"]
    found = detect_http2(client, server, roles_certain=True)
    assert (found.verdict, found.evidence) == (Verdict.HTTP2, Evidence.H2C_UPGRADE)
    assert found.client_start is not None and found.server_start is not None
    assert client[found.client_start:].startswith(PREFACE)
    assert server[found.server_start + 3] == 0x04  # the server preface: SETTINGS
    assert found.upgrade_settings and len(found.upgrade_settings) % 6 == 0
    assert found.diagnostics == ()


@pytest.mark.parametrize("chunk_size", [1, 100, 4096])
def test_chunk_size_does_not_matter(chunk_size: int) -> None:
    assert follow("nghttp2-h2c.pcapng", chunk_size) == follow("nghttp2-h2c.pcapng")
