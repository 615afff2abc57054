#!/usr/bin/env python3
"""Coverage-guided fuzzing of the TLS layer: ``TlsConnection`` (records, resynchronisation,
handshake parsing, key changes, decryption with the keys of the samples) and
``detect_tls``.

Input: one control byte (bits 0-2: the chunk size of the chunked run), then steps, each
a header byte (bit 7: the server's; bit 6: a gap), a 2-byte length, and that many bytes
of the direction (nothing for a gap). The keys are those of every samples/tls key log
and of the RFC 8448 trace, so seeds made from the samples decrypt and mutations reach
the decrypted handshake. Contract: never an exception; feeding each step whole or in
chunks gives the same events; the events tile each direction (``model.stream_span``);
diagnostics lie inside the stream; plaintext offsets follow each other, with
``TlsPlaintextGap`` accounting for every jump.

    python fuzz/fuzz_tls.py --make-seeds fuzz/work/seeds/tls     # from samples/tls + RFC 8448
    python fuzz/fuzz_tls.py fuzz/work/corpus/tls fuzz/work/seeds/tls \
        -max_total_time=600 -rss_limit_mb=2048 -timeout=20
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from contract import assert_tiles, fuzz_main, instrumented  # noqa: E402

CHUNKS = (1, 2, 5, 17, 100, 1000, 5000, 1 << 20)


def parse_steps(body: bytes) -> list[tuple[str, bytes | int]]:
    steps: list[tuple[str, bytes | int]] = []
    at = 0
    while at + 3 <= len(body):
        head, length = body[at], int.from_bytes(body[at + 1:at + 3], "big")
        at += 3
        direction = "server" if head & 0x80 else "client"
        if head & 0x40:
            steps.append((direction, length))
        else:
            steps.append((direction, body[at:at + length]))
            at += length
    return steps


def encode_steps(steps: list[tuple[str, bytes]]) -> bytes:
    out = bytearray()
    for direction, data in steps:
        for at in range(0, len(data), 0xFFFF):
            piece = data[at:at + 0xFFFF]
            out += bytes([0x80 if direction == "server" else 0]) + len(piece).to_bytes(2, "big")
            out += piece
    return bytes(out)


def make_seeds(folder: Path) -> None:
    from tests.tls import rfc8448
    from tests.tls.pipeline import SAMPLES, steps_of

    folder.mkdir(parents=True, exist_ok=True)
    connections = [[(d.value, data) for d, data in conn]
                   for path in sorted(SAMPLES.glob("*.pcap")) for conn in steps_of(path)]
    connections.append([("client", rfc8448.CLIENT_STREAM), ("server", rfc8448.SERVER_STREAM)])
    count = 0
    for index, conn in enumerate(connections):
        seed = bytes([index % 8]) + encode_steps(conn)
        if len(seed) > 65536:
            continue
        (folder / hashlib.sha1(seed).hexdigest()[:16]).write_bytes(seed)
        count += 1
    print(f"wrote {count} seeds to {folder}")


with instrumented(__name__ == "__main__"):
    from wiretool.direction import Direction
    from wiretool.tls import (
        KeyLog,
        TlsConnection,
        TlsDiagnostic,
        TlsEvent,
        TlsPlaintext,
        TlsPlaintextGap,
        detect_tls,
        stream_span,
    )

from tests.tls import rfc8448  # noqa: E402

KEYS = KeyLog()
KEYS.add_text(rfc8448.KEY_LOG, origin="rfc8448")
for _path in sorted((ROOT / "samples" / "tls").glob("*.keys")):
    KEYS.add_file(_path)


def run(steps: list[tuple[str, bytes | int]], chunk: int) -> list[TlsEvent]:
    tls = TlsConnection(KEYS)
    out: list[TlsEvent] = []
    for side, data in steps:
        direction = Direction(side)
        if isinstance(data, int):
            out += tls.gap(direction, data)
            continue
        for at in range(0, len(data), chunk):
            out += tls.feed(direction, data[at:at + chunk])
    out += tls.close()
    return out


def test_one_input(data: bytes) -> None:
    if not data:
        return
    steps = parse_steps(data[1:])
    whole = run(steps, 1 << 30)
    assert run(steps, CHUNKS[data[0] & 7]) == whole, "chunking changed the events"
    for direction in Direction:
        size = sum(len(d) if isinstance(d, bytes) else d for side, d in steps
                   if side == direction.value)
        spans = [(span[1], span[2]) for e in whole
                 if (span := stream_span(e)) is not None and span[0] is direction]
        assert_tiles(spans, 0, size, f"TLS {direction.value} stream")
        for event in whole:
            if isinstance(event, TlsDiagnostic) and event.direction is direction:
                assert event.offset >= 0 and event.offset + event.length <= size
        at = 0
        for event in whole:
            if isinstance(event, TlsPlaintext | TlsPlaintextGap) and \
                    event.direction is direction:
                assert event.offset == at, "decrypted stream offsets jump"
                at += len(event.data) if isinstance(event, TlsPlaintext) else event.length
    heads = {"client": b"", "server": b""}
    for side, piece in steps:
        if isinstance(piece, bytes) and len(heads[side]) < 64:
            heads[side] += piece
    detect_tls(heads["client"], heads["server"])
    detect_tls(heads["client"], heads["server"], client_done=True, server_done=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--make-seeds":
        make_seeds(Path(sys.argv[2]))
    else:
        fuzz_main(test_one_input)
