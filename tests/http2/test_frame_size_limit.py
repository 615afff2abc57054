"""SETTINGS_MAX_FRAME_SIZE (RFC 9113 §4.2, §6.5.2) is what the *receiver* announced: a
frame above 16384 bytes is an error only when the receiver's SETTINGS are in the input."""

from __future__ import annotations

from wiretool.errors import Severity
from wiretool.http2 import constants as c
from wiretool.http2.connection import Connection
from wiretool.http2.frames import Frame, Record

BIG_DATA = (bytes.fromhex("004001 00 01 00000001")  # DATA, 16385 bytes, END_STREAM, stream 1
            + bytes(16_385))
SERVER_SETTINGS = bytes.fromhex("000000 04 00 00000000")  # empty SETTINGS, stream 0
SERVER_SETTINGS_1MIB = bytes.fromhex(
    "000006 04 00 00000000"  # SETTINGS, 6 bytes
    "0005 00100000")  # SETTINGS_MAX_FRAME_SIZE = 1 MiB
SETTINGS_ACK = bytes.fromhex("000000 04 01 00000000")
CLIENT_START = c.PREFACE + bytes.fromhex("000000 04 00 00000000")


def big_frame_diagnostics(records: list[Record]) -> list[tuple[Severity, str]]:
    frame = next(r for r in records if isinstance(r, Frame) and r.length == 16_385)
    return [(d.severity, d.message) for d in frame.diagnostics]


def test_one_direction_input_a_big_frame_is_a_warning_the_limit_is_unknown() -> None:
    for direction in (None, "client"):
        connection = Connection()
        records = connection.feed(direction, CLIENT_START + BIG_DATA) + connection.close()
        ((severity, message),) = big_frame_diagnostics(records)
        assert severity is Severity.WARNING
        assert "length 16385 exceeds 16384, the initial SETTINGS_MAX_FRAME_SIZE" in message
        assert "limit is unknown (it may have raised SETTINGS_MAX_FRAME_SIZE)" in message


def test_both_directions_with_the_receivers_settings_it_stays_an_error() -> None:
    connection = Connection(both_directions=True)
    records = connection.feed("server", SERVER_SETTINGS)
    records += connection.feed("client", CLIENT_START + SETTINGS_ACK + BIG_DATA)
    ((severity, message),) = big_frame_diagnostics(records)
    assert severity is Severity.ERROR
    assert message.endswith("exceeds SETTINGS_MAX_FRAME_SIZE 16384 (FRAME_SIZE_ERROR)")


def test_both_directions_before_the_receiver_said_anything_the_default_holds() -> None:
    connection = Connection(both_directions=True)
    records = connection.feed("client", CLIENT_START + BIG_DATA)
    assert big_frame_diagnostics(records)[0][0] is Severity.ERROR


def test_both_directions_the_receiver_raised_the_limit() -> None:
    connection = Connection(both_directions=True)
    records = connection.feed("server", SERVER_SETTINGS_1MIB)
    records += connection.feed("client", CLIENT_START + SETTINGS_ACK + BIG_DATA)
    assert big_frame_diagnostics(records) == []


def test_both_directions_receiver_seen_only_mid_connection_or_after_a_gap() -> None:
    ping = bytes.fromhex("000008 06 00 00000000") + bytes(8)
    connection = Connection(both_directions=True)
    records = connection.feed("server", ping)  # not SETTINGS: the server's start is missing
    records += connection.feed("client", CLIENT_START + BIG_DATA)
    assert big_frame_diagnostics(records)[0][0] is Severity.WARNING
    connection = Connection(both_directions=True)
    connection.feed("server", SERVER_SETTINGS)
    connection.gap("server", 100)  # the lost bytes may have raised the limit
    records = connection.feed("client", CLIENT_START + SETTINGS_ACK + BIG_DATA)
    assert big_frame_diagnostics(records)[0][0] is Severity.WARNING
