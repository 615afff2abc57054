"""pcapng Decryption Secrets Blocks (pcapng draft §4.7): kept for ``take_secrets()`` when
asked for, skipped like any other block otherwise; a broken one is a diagnostic."""

from __future__ import annotations

import struct
from pathlib import Path

from tests.capture import writer as w
from wiretool.capture.model import CaptureDiagnostic, DecryptionSecrets, Packet
from wiretool.capture.pcap import CaptureParser, read_packets

TLSK = 0x544C534B  # "TLSK": an NSS key log
KEYS = b"CLIENT_RANDOM " + b"ab" * 32 + b" " + b"cd" * 48 + b"\n"  # 175 bytes: padded to 176


def dsb(secrets_type: int, data: bytes, *, declared: int | None = None, e: str = "<") -> bytes:
    body = struct.pack(e + "II", secrets_type, len(data) if declared is None else declared)
    return w.pcapng_block(0x0A, body + data, e)


def capture(*blocks: bytes, e: str = "<") -> bytes:
    return w.pcapng_shb(e) + w.pcapng_idb(1, e=e) + b"".join(blocks)


def parse(data: bytes, chunk: int) -> tuple[list[Packet | CaptureDiagnostic],
                                            list[DecryptionSecrets]]:
    parser = CaptureParser(report_secrets=True)
    items: list[Packet | CaptureDiagnostic] = []
    secrets: list[DecryptionSecrets] = []
    for at in range(0, len(data), chunk):
        items += parser.feed(data[at:at + chunk])
        secrets += parser.take_secrets()
    items += parser.close()
    secrets += parser.take_secrets()
    return items, secrets


def test_secrets_block_is_kept_with_its_offsets() -> None:
    head = capture()
    data = capture(dsb(TLSK, KEYS), w.pcapng_epb(0, 1, b"\x00" * 60))
    for chunk in (1, 7, 1 << 16):
        items, secrets = parse(data, chunk)
        assert [type(i) for i in items] == [Packet]
        assert secrets == [DecryptionSecrets(len(head), TLSK, KEYS, len(head) + 16)]
        assert data[secrets[0].data_offset:secrets[0].data_offset + len(KEYS)] == KEYS


def test_big_endian_section_and_other_secret_types() -> None:
    data = capture(dsb(0x57474B4C, b"wireguard keys", e=">"), dsb(TLSK, KEYS, e=">"), e=">")
    _items, secrets = parse(data, 1 << 16)
    assert [(s.secrets_type, s.data) for s in secrets] == [(0x57474B4C, b"wireguard keys"),
                                                           (TLSK, KEYS)]


def test_secrets_come_before_the_packets_that_follow_them() -> None:
    # A session takes the secrets as soon as a packet after them is returned.
    data = capture(w.pcapng_epb(0, 1, b"\x00" * 60), dsb(TLSK, KEYS),
                   w.pcapng_epb(0, 2, b"\x01" * 60))
    parser = CaptureParser(report_secrets=True)
    seen: list[tuple[int, int]] = []
    for item in read_packets(_Stream(data, 13), chunk_size=13, parser=parser):
        if isinstance(item, Packet):
            seen.append((item.number, len(parser.take_secrets())))
    assert seen == [(1, 0), (2, 1)]


class _Stream:
    """A file object returning ``step`` bytes at a time."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.at, self.step = data, 0, step

    def read(self, size: int = -1) -> bytes:
        chunk = self.data[self.at:self.at + min(size, self.step)]
        self.at += len(chunk)
        return chunk


def test_not_kept_unless_asked() -> None:
    data = capture(dsb(TLSK, KEYS), w.pcapng_epb(0, 1, b"\x00" * 60))
    parser = CaptureParser()
    items = parser.feed(data) + parser.close()
    assert [type(i) for i in items] == [Packet]
    assert parser.take_secrets() == []


def test_secrets_longer_than_their_block_are_a_diagnostic() -> None:
    head = capture()
    data = capture(dsb(TLSK, KEYS, declared=400), w.pcapng_epb(0, 1, b"\x00" * 60))
    items, secrets = parse(data, 1 << 16)
    assert secrets == []
    (problem, packet) = items
    assert isinstance(problem, CaptureDiagnostic) and isinstance(packet, Packet)
    assert problem.offset == len(head)
    assert "declares 400 bytes of secrets but holds 176" in problem.message


def test_short_block_is_a_diagnostic() -> None:
    data = capture(w.pcapng_block(0x0A, b"\x4b\x53\x4c\x54"))
    items, secrets = parse(data, 1 << 16)
    assert secrets == [] and len(items) == 1 and "too short (16 bytes)" in items[0].message


def test_editcap_inject_secrets_sample() -> None:
    # samples/tls/curl-h2.dsb.pcapng: editcap --inject-secrets tls,curl-h2.keys
    sample = Path(__file__).resolve().parents[2] / "samples" / "tls"
    data = (sample / "curl-h2.dsb.pcapng").read_bytes()
    _items, secrets = parse(data, 4096)
    assert len(secrets) == 1 and secrets[0].secrets_type == TLSK
    assert secrets[0].data == (sample / "curl-h2.keys").read_bytes()
