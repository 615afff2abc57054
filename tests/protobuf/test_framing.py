"""gRPC and varint-delimited framing."""

from __future__ import annotations

import gzip

from wiretool.errors import Severity
from wiretool.protobuf.framing import looks_like_grpc
from wiretool.protobuf.wire import decode

PERSON = bytes.fromhex("0a03416461 1007".replace(" ", ""))  # 1: "Ada", 2: 7


def grpc(payload: bytes, compressed: bool = False) -> bytes:
    body = gzip.compress(payload, mtime=0) if compressed else payload
    return bytes([int(compressed)]) + len(body).to_bytes(4, "big") + body


def test_grpc_is_detected_and_split() -> None:
    data = grpc(PERSON) + grpc(PERSON, compressed=True)
    assert looks_like_grpc(data)
    result = decode(data)
    assert result.ok
    first, second = result.messages
    assert (first.framing, first.prefix_offset, first.offset, first.length) == ("grpc", 0, 5, 7)
    assert second.compressed and second.data == PERSON and second.offset == 0
    assert second.wire_length == len(data) - 12 - 5
    assert [f.value for f in second.fields] == ["Ada", 7]


def test_plain_message_is_not_grpc() -> None:
    assert not looks_like_grpc(PERSON)
    assert decode(PERSON).messages[0].framing is None


def test_truncated_grpc_message_decodes_what_is_there() -> None:
    data = grpc(PERSON)[:-2]
    result = decode(data, framing="grpc")
    assert not result.ok
    assert "declares 7 bytes, 5 remain" in result.diagnostics[0].message
    assert result.messages[0].fields[0].value == "Ada"


def test_truncated_prefix_is_kept_as_trailing_bytes() -> None:
    data = grpc(PERSON) + b"\x00\x00"
    result = decode(data, framing="grpc")
    assert result.trailing is not None and result.trailing.offset == 12
    assert result.diagnostics[0].severity is Severity.ERROR


def test_gzip_bomb_is_cut_at_the_limit() -> None:
    bomb = gzip.compress(b"\x00" * 10_000_000)
    data = b"\x01" + len(bomb).to_bytes(4, "big") + bomb
    result = decode(data, framing="grpc", max_message_size=1_000_000)
    assert any("exceeds the limit" in d.message for d in result.diagnostics)
    assert result.messages[0].length == 1_000_000


def test_four_gigabyte_prefix() -> None:
    data = b"\x00\xff\xff\xff\xff" + PERSON
    result = decode(data, framing="grpc")
    assert any("declares 4294967295 bytes" in d.message for d in result.diagnostics)


def test_delimited_stream() -> None:
    data = bytes([len(PERSON)]) + PERSON + bytes([len(PERSON)]) + PERSON
    result = decode(data, framing="delimited")
    assert result.ok and len(result.messages) == 2
    assert result.messages[1].prefix_offset == 8 and result.messages[1].offset == 9
