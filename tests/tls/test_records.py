"""RecordReader: records over any chunking, several per feed, gaps, resynchronisation,
the end of the stream; every byte in exactly one record or skip."""

from __future__ import annotations

from wiretool.tls.records import RawRecord, RecordReader, Skip, SkipReason, plausible_header


def record(content_type: int, body: bytes, version: int = 0x0303) -> bytes:
    return bytes([content_type]) + version.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body


A = record(22, b"\x01" * 10)   # 15 bytes
B = record(23, b"\x02" * 30)   # 35 bytes
D = record(21, b"\x01\x00")    # 7 bytes


def test_a_record_spanning_feeds_and_several_in_one_feed() -> None:
    reader = RecordReader()
    assert reader.feed(A[:3]) == []
    assert reader.feed(A[3:] + B[:20]) == [RawRecord(0, 22, 0x0303, A[:5], A[5:])]
    (b, d) = reader.feed(B[20:] + D)
    assert (b.offset, b.content_type, b.body, d.offset, d.body) == (15, 23, B[5:], 50, b"\x01\x00")
    assert reader.close() == [] and reader.offset == 57


def test_gap_to_the_end_of_a_record() -> None:
    reader = RecordReader()
    items = reader.feed(A + B[:10]) + reader.gap(25) + reader.feed(D + A) + reader.close()
    assert items[0].offset == 0
    # the cut record and the lost bytes; its header says the next record starts at 50
    assert items[1] == Skip(15, 35, SkipReason.GAP, 25, 15, 50)
    assert [(i.offset, i.content_type) for i in items[2:]] == [(50, 21), (57, 22)]


def test_gap_inside_a_record_skips_the_rest_of_it() -> None:
    # B's header was captured: after 5 lost bytes, its last 20 are skipped, whatever they
    # hold (here what looks like records), and D is read where B ends.
    reader = RecordReader()
    rest = (D * 3)[:20]
    items = (reader.feed(A + B[:10]) + reader.gap(5) + reader.feed(rest[:7])
             + reader.feed(rest[7:] + D) + reader.close())
    assert items == [RawRecord(0, 22, 0x0303, A[:5], A[5:]),
                     Skip(15, 15, SkipReason.GAP, 5, 15, 50),
                     Skip(30, 20, SkipReason.RECORD_REST, 0, 15),
                     RawRecord(50, 21, 0x0303, D[:5], D[5:])]


def test_a_second_gap_in_a_cut_record_and_the_end() -> None:
    reader = RecordReader()
    items = (reader.feed(A + B[:10]) + reader.gap(5) + reader.feed(B[15:20]) + reader.gap(3)
             + reader.feed(B[23:] + D) + reader.close())
    assert items[:4] == [RawRecord(0, 22, 0x0303, A[:5], A[5:]),
                         Skip(15, 15, SkipReason.GAP, 5, 15, 50),
                         Skip(30, 5, SkipReason.RECORD_REST, 0, 15),
                         Skip(35, 3, SkipReason.GAP, 3, None)]
    # then resynchronisation: B's last bytes are no record; D is found
    assert items[4] == Skip(38, 12, SkipReason.NOT_A_RECORD)
    assert items[5] == RawRecord(50, 21, 0x0303, D[:5], D[5:])
    reader = RecordReader()
    items = reader.feed(A + B[:10]) + reader.gap(5) + reader.feed(B[15:20]) + reader.close()
    assert items[2:] == [Skip(30, 5, SkipReason.RECORD_REST, 0, 15)]


def test_gap_at_a_record_boundary_and_noise_after_it() -> None:
    reader = RecordReader()
    items = reader.feed(A) + reader.gap(10) + reader.feed(b"\x99" * 6 + B + D) + reader.close()
    assert items[1] == Skip(15, 10, SkipReason.GAP, 10, None)
    assert items[2] == Skip(25, 6, SkipReason.NOT_A_RECORD)
    assert [(i.offset, i.content_type) for i in items[3:]] == [(31, 23), (66, 21)]


def test_a_candidate_needs_a_following_header() -> None:
    # After a gap, 17 03 03 00 02 looks like a header, but what follows it does not.
    fake = bytes.fromhex("170303000241 42") + b"\xff\xff\xff\xff\xff"
    reader = RecordReader()
    items = reader.gap(3) + reader.feed(fake + B) + reader.close()
    assert items[1] == Skip(3, len(fake), SkipReason.NOT_A_RECORD)
    assert isinstance(items[2], RawRecord) and items[2].offset == 3 + len(fake)


def test_expected_version_pins_candidates() -> None:
    reader = RecordReader()
    reader.expected_version = 0x0303
    tls10 = record(23, b"\x00" * 3, 0x0301)
    items = reader.gap(1) + reader.feed(tls10 + tls10 + B) + reader.close()
    assert items[1] == Skip(1, 2 * len(tls10), SkipReason.NOT_A_RECORD)


def test_waiting_for_confirmation_across_feeds() -> None:
    reader = RecordReader()
    assert reader.gap(2) == [Skip(0, 2, SkipReason.GAP, 2, None)]
    assert reader.feed(B) == []                 # a candidate; its successor is not here yet
    assert [i.offset for i in reader.feed(D[:5])] == [2]
    assert [i.offset for i in reader.feed(D[5:]) + reader.close()] == [37]


def test_end_inside_a_record_and_inside_noise() -> None:
    reader = RecordReader()
    assert reader.feed(A + B[:12]) + reader.close() == [
        RawRecord(0, 22, 0x0303, A[:5], A[5:]), Skip(15, 12, SkipReason.TRUNCATED, 0, 15)]
    reader = RecordReader()
    assert reader.feed(b"hello world") + reader.close() == [
        Skip(0, 11, SkipReason.NOT_A_RECORD)]


def test_a_last_record_is_believed_at_the_end() -> None:
    reader = RecordReader()
    items = reader.gap(4) + reader.feed(b"\x00" + B) + reader.close()
    assert items[1:] == [Skip(4, 1, SkipReason.NOT_A_RECORD),
                         RawRecord(5, 23, 0x0303, B[:5], B[5:])]


def test_plausible_header_limits() -> None:
    assert plausible_header(record(23, b"x"), 0)
    assert not plausible_header(bytes.fromhex("1903030001"), 0)       # type 25
    assert not plausible_header(bytes.fromhex("1703050001"), 0)       # version 3.5
    assert not plausible_header(bytes.fromhex("1703030000"), 0)       # empty
    assert plausible_header(bytes.fromhex("1703034800"), 0)           # 2^14 + 2048
    assert not plausible_header(bytes.fromhex("1703034801"), 0)       # one more (RFC 5246 §6.2.3)
    assert not plausible_header(record(23, b"x", 0x0301), 0, 0x0303)
