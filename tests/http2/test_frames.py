"""Byte-level tests of the sans-IO frame reader (RFC 9113 §4.1, §6)."""

from __future__ import annotations

from collections.abc import Sequence

from tests.grpc.h2build import frame as build_frame
from wiretool.errors import Severity
from wiretool.http2.constants import PREFACE, flag_names
from wiretool.http2.frames import Frame, FrameReader, H2Diagnostic, Preface, decode_frame


def h(text: str) -> bytes:
    """Hex with comments: everything after '#' on a line is ignored."""
    return bytes.fromhex("".join(line.split("#")[0] for line in text.splitlines()))


def frames(records: Sequence[object]) -> list[Frame]:
    return [r for r in records if isinstance(r, Frame)]


def codes(frame: Frame) -> set[int | None]:
    return {d.error_code for d in frame.diagnostics if isinstance(d, H2Diagnostic)}


def test_settings_keeps_duplicates_and_names_0x8_0x9() -> None:
    frame = decode_frame(h("""
        00 00 18 04 00 00 00 00 00   # length 24, SETTINGS, no flags, stream 0
        00 01 00 00 10 00            # HEADER_TABLE_SIZE = 4096
        00 01 00 00 00 00            # HEADER_TABLE_SIZE = 0 (duplicate, kept)
        00 08 00 00 00 01            # ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441)
        00 09 00 00 00 01            # NO_RFC7540_PRIORITIES = 1 (RFC 9218)
    """))
    assert frame.body.settings is not None
    assert [(s.identifier, s.value, s.offset) for s in frame.body.settings] == [
        (1, 4096, 9), (1, 0, 15), (8, 1, 21), (9, 1, 27),
    ]
    assert [s.name for s in frame.body.settings] == [
        "HEADER_TABLE_SIZE", "HEADER_TABLE_SIZE", "ENABLE_CONNECT_PROTOCOL",
        "NO_RFC7540_PRIORITIES",
    ]
    assert frame.diagnostics == ()


def test_invalid_settings_values_are_reported_per_entry() -> None:
    frame = decode_frame(h("""
        00 00 12 04 00 00 00 00 00   # SETTINGS, 18 bytes
        00 02 00 00 00 02            # ENABLE_PUSH = 2: PROTOCOL_ERROR
        00 04 80 00 00 00            # INITIAL_WINDOW_SIZE = 2^31: FLOW_CONTROL_ERROR
        00 05 00 00 10 00            # MAX_FRAME_SIZE = 4096: PROTOCOL_ERROR
    """))
    assert [(d.offset, d.error_code) for d in frame.diagnostics
            if isinstance(d, H2Diagnostic)] == [(9, 1), (15, 3), (21, 1)]


def test_unknown_flags_are_shown_and_continuation_0x8_is_not_padding() -> None:
    frame = decode_frame(h("""
        00 00 03 09 0c 00 00 00 01   # CONTINUATION, flags END_HEADERS|0x8, stream 1
        82 86 84                     # fragment: 3 indexed fields
    """), open_block=1)
    # tshark reads 0x8 as PADDED here; RFC 9113 §6.10 defines only END_HEADERS.
    assert frame.flag_names == ["END_HEADERS", "0x08"]
    assert frame.body.fragment == b"\x82\x86\x84"
    assert getattr(frame.body, "pad_length", None) is None  # no padding field at all
    assert frame.diagnostics == ()


def test_reserved_bit_is_shown_and_masked_from_the_stream_id() -> None:
    frame = decode_frame(h("""
        00 00 08 06 00 80 00 00 00   # PING, R bit set, stream 0
        01 02 03 04 05 06 07 08      # opaque data
    """))
    assert frame.reserved is True
    assert frame.stream_id == 0
    assert frame.body.opaque_data == bytes(range(1, 9))
    assert [d.severity for d in frame.diagnostics] == [Severity.WARNING]


def test_headers_with_padding_and_priority() -> None:
    frame = decode_frame(h("""
        00 00 0b 01 2c 00 00 00 03   # HEADERS, PRIORITY|PADDED|END_HEADERS, stream 3
        02                           # pad length 2
        80 00 00 01                  # exclusive, depends on stream 1
        0f                           # weight octet 15 (weight 16)
        82 84                        # fragment
        00 00                        # padding
    """))
    assert (frame.body.pad_length, frame.body.exclusive, frame.body.stream_dependency, frame.body.weight) == (
        2, True, 1, 16)
    assert frame.body.fragment == b"\x82\x84"
    assert frame.body.fragment_offset == 9 + 1 + 5
    assert flag_names(frame.type, frame.flags) == ["END_HEADERS", "PADDED", "PRIORITY"]


def test_data_on_stream_zero_and_padding_too_long_keep_going() -> None:
    reader = FrameReader(detect_preface=False)
    records = reader.feed(h("""
        00 00 01 00 00 00 00 00 00   # DATA on stream 0: PROTOCOL_ERROR
        aa
        00 00 02 00 08 00 00 00 01   # DATA, PADDED, stream 1
        05 00                        # pad length 5 > 1 remaining: PROTOCOL_ERROR
        00 00 04 08 00 00 00 00 01   # WINDOW_UPDATE stream 1
        00 00 00 00                  # increment 0: PROTOCOL_ERROR
        00 00 04 08 00 00 00 00 00   # WINDOW_UPDATE stream 0
        00 00 10 00                  # increment 4096
    """))
    got = frames(records)
    assert [f.offset for f in got] == [0, 10, 21, 34]
    assert [codes(f) for f in got] == [{1}, {1}, {1}, set()]
    assert got[3].body.window_size_increment == 4096


def test_continuation_without_open_block_and_interleaving() -> None:
    reader = FrameReader(detect_preface=False)
    records = reader.feed(h("""
        00 00 01 01 00 00 00 00 01   # HEADERS stream 1, no END_HEADERS: block open
        82
        00 00 08 06 00 00 00 00 00   # PING in the middle of the block: PROTOCOL_ERROR
        00 00 00 00 00 00 00 00
        00 00 01 09 04 00 00 00 01   # CONTINUATION stream 1, END_HEADERS: fine
        84
        00 00 01 09 04 00 00 00 01   # CONTINUATION with no open block: PROTOCOL_ERROR
        86
    """))
    got = frames(records)
    assert [codes(f) for f in got] == [set(), {1}, set(), {1}]
    assert "interleaved" in got[1].diagnostics[0].message
    assert "without an open header block" in got[3].diagnostics[0].message


def test_frame_larger_than_max_frame_size() -> None:
    reader = FrameReader(detect_preface=False)
    payload = bytes(16_385)
    records = reader.feed(h("00 40 01 00 00 00 00 00 01") + payload)  # DATA of 16385 bytes
    (frame,) = frames(records)
    assert codes(frame) == {6}
    reader.max_frame_size = 1 << 20  # the peer allowed more
    (frame,) = frames(reader.feed(h("00 40 01 00 00 00 00 00 01") + payload))
    assert frame.diagnostics == ()


def test_truncated_frame_at_end_of_input() -> None:
    reader = FrameReader(detect_preface=False)
    assert reader.feed(h("00 00 08 06 00 00 00 00 00  01 02 03")) == []  # PING, 3 of 8 bytes
    (frame,) = frames(reader.close())
    assert frame.truncated and frame.length == 8 and frame.payload == b"\x01\x02\x03"
    assert frame.diagnostics[0].severity is Severity.ERROR
    assert frame.diagnostics[0].offset == 12


def test_stray_bytes_shorter_than_a_header() -> None:
    reader = FrameReader(detect_preface=False)
    reader.feed(b"\x00\x00")
    (diag,) = reader.close()
    assert isinstance(diag, H2Diagnostic) and diag.offset == 0 and diag.length == 2


def test_preface_detection_byte_by_byte() -> None:
    data = PREFACE + h("00 00 00 04 01 00 00 00 00")  # SETTINGS ACK
    reader = FrameReader()
    records: list[object] = []
    for byte in data:
        records += reader.feed(bytes([byte]))
    records += reader.close()
    assert isinstance(records[0], Preface)
    assert reader.saw_preface
    (frame,) = frames(records)
    assert frame.offset == 24 and frame.flag_names == ["ACK"]


def test_no_preface_means_frames_from_offset_zero() -> None:
    reader = FrameReader()
    records = reader.feed(h("00 00 00 04 00 00 00 00 00")) + reader.close()  # empty SETTINGS
    assert not reader.saw_preface
    assert [r.offset for r in frames(records)] == [0]


def test_unknown_and_extension_types() -> None:
    unknown = decode_frame(h("00 00 02 42 ff 00 00 00 07  ab cd"))  # type 0x42, all flags
    assert unknown.type_name == "UNKNOWN_0x42"
    assert unknown.flag_names == ["0x01", "0x02", "0x04", "0x08", "0x10", "0x20", "0x40", "0x80"]
    assert unknown.payload == b"\xab\xcd" and unknown.diagnostics == ()
    origin = decode_frame(h("""
        00 00 0d 0c 00 00 00 00 00   # ORIGIN, stream 0
        00 0b 68 74 74 70 73 3a 2f 2f 61 2e 62   # Origin-Len 11 "https://a.b"
    """))
    assert origin.body.origins == (b"https://a.b",)
    update = decode_frame(h("""
        00 00 07 10 00 00 00 00 00   # PRIORITY_UPDATE, stream 0
        00 00 00 05 75 3d 31         # prioritized stream 5, "u=1"
    """))
    assert (update.body.prioritized_stream_id, update.body.field_value) == (5, b"u=1")
    altsvc = decode_frame(h("""
        00 00 08 0a 00 00 00 00 01   # ALTSVC, stream 1
        00 00 68 33 3d 22 3a 22      # empty origin, 'h3=":"'
    """))
    assert (altsvc.body.origin, altsvc.body.field_value) == (b"", b'h3=":"')


def test_goaway_fields() -> None:
    frame = decode_frame(h("""
        00 00 0b 07 00 00 00 00 00   # GOAWAY, stream 0
        80 00 00 05                  # R bit + last stream 5
        00 00 00 0b                  # ENHANCE_YOUR_CALM
        62 79 65                     # debug data "bye"
    """))
    assert (frame.body.last_stream_id, frame.body.error_code, frame.body.debug_data) == (5, 0xB, b"bye")


def test_resynchronise_skips_to_a_plausible_header() -> None:
    reader = FrameReader(detect_preface=False)
    garbage = b"\xde\xad\xbe"
    ping = h("00 00 08 06 00 00 00 00 00  00 00 00 00 00 00 00 00")
    reader._buffer += garbage + ping  # as if a capture gap left us mid-frame
    assert reader.resynchronise() == 3
    (frame,) = frames(reader.feed(b""))
    assert frame.offset == 3 and frame.type_name == "PING"


def test_a_gap_while_resynchronising_keeps_the_complete_frames_it_confirms() -> None:
    """A lost segment, then one segment holding one whole DATA frame, then another lost
    segment: no following header ever confirmed the frame, but it ends exactly where
    the capture lost bytes again, so ``salvage`` takes it (packt's Client_Streaming
    without its PINGs)."""
    data = build_frame(0x0, 0x0, 1, b"\x00\x00\x00\x00\x02hi")  # DATA, a gRPC message
    reader = FrameReader(detect_preface=False)
    reader.gap(17)
    assert reader.feed(data) == []  # waiting for the next header to confirm it
    (found,) = reader.salvage()
    assert isinstance(found, Frame) and (found.offset, found.length) == (17, 7)
    assert reader.gap(17) == 0  # nothing dropped
    # bytes that hold no frame ending at the gap are not taken (a DATA header whose
    # frame runs into the lost bytes)
    reader.feed(b"\x00\x00\x05\x00\x00\x00\x00\x00\x01ab")
    assert reader.salvage() == [] and reader.gap(3) == 11
    # two frames confirm each other as they come (no salvage needed); a frame followed
    # by only the start of another header is not taken (nothing confirms it)
    at = 17 + len(data) + 17 + 11 + 3
    assert [f.offset for f in reader.feed(data + data) if isinstance(f, Frame)] == [
        at, at + len(data)]
    assert reader.salvage() == [] and reader.gap(1) == 0
    reader.feed(data + data[:4])
    assert reader.salvage() == [] and reader.gap(1) == len(data) + 4


def test_a_frame_cut_by_the_end_of_a_capture_is_a_warning() -> None:
    from wiretool.http2.frames import InputEnd

    data = build_frame(0x0, 0x1, 1, b"x" * 10)
    for end, severity in ((InputEnd.COMPLETE, Severity.ERROR),
                          (InputEnd.CAPTURE_STOPPED, Severity.WARNING),
                          (InputEnd.RESET, Severity.WARNING), (InputEnd.LOST, Severity.WARNING)):
        reader = FrameReader(detect_preface=False)
        reader.feed(data[:12])
        (cut,) = reader.close(end)
        assert isinstance(cut, Frame) and cut.truncated
        assert [d.severity for d in cut.diagnostics] == [severity]
        if not end.malformed:
            assert cut.diagnostics[0].message == (
                f"DATA frame at offset 0: {end.value} after 3 of its 10 payload byte(s)")
        reader = FrameReader(detect_preface=False)
        reader.feed(data[:5])
        (short,) = reader.close(end)
        assert isinstance(short, H2Diagnostic) and short.severity is severity
