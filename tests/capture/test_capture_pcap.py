"""pcap and pcapng reading: formats, byte orders, timestamps, interfaces, bad input."""

from __future__ import annotations

import io
import struct

import pytest

from tests.capture import writer as w
from wiretool.capture import CaptureDiagnostic, CaptureFormat, CaptureParser, Packet
from wiretool.capture.pcap import read_packets, sniff_capture_format
from wiretool.errors import Severity

T0 = 1_700_000_000_123_456_789  # ns


def read(data: bytes, chunk_size: int = 1 << 16) -> list[Packet | CaptureDiagnostic]:
    return list(read_packets(io.BytesIO(data), chunk_size=chunk_size))


def packets(items: list[Packet | CaptureDiagnostic]) -> list[Packet]:
    return [i for i in items if isinstance(i, Packet)]


def diags(items: list[Packet | CaptureDiagnostic]) -> list[CaptureDiagnostic]:
    return [i for i in items if isinstance(i, CaptureDiagnostic)]


@pytest.mark.parametrize("big_endian", [False, True])
@pytest.mark.parametrize("nanoseconds", [False, True])
def test_pcap_byte_orders_and_resolutions(big_endian: bool, nanoseconds: bool) -> None:
    data = w.pcap([(T0, b"\x01\x02\x03"), (T0 + 1_000, b"\x04" * 70)], linktype=101,
                  big_endian=big_endian, nanoseconds=nanoseconds)
    assert sniff_capture_format(data) is CaptureFormat.PCAP
    items = read(data)
    assert diags(items) == []
    first, second = packets(items)
    expected_t0 = T0 if nanoseconds else T0 // 1000 * 1000  # microseconds truncate
    assert (first.number, first.time_ns, first.link_type, first.data) == (
        1, expected_t0, 101, b"\x01\x02\x03")
    # global header 24 bytes, record header 16: data at 40
    assert (first.file_offset, first.data_offset) == (24, 40)
    assert second.file_offset == 24 + 16 + 3 and second.original_length == 70


def test_pcap_link_type_high_bits_are_masked() -> None:
    data = bytearray(w.pcap([(T0, b"x")], linktype=1))
    data[20:24] = struct.pack("<I", 0x1000_0001)  # FCS-length bits set above LINKTYPE
    assert packets(read(bytes(data)))[0].link_type == 1


def test_pcapng_two_interfaces_with_different_link_types_and_resolutions() -> None:
    data = (
        w.pcapng_shb()
        + w.pcapng_idb(1)  # Ethernet, default microseconds
        + w.pcapng_idb(276, tsresol=9)  # Linux cooked v2, nanoseconds
        + w.pcapng_block(0x0BADCAFE, b"unknown block is skipped")
        + w.pcapng_epb(0, T0 // 1000, b"eth-frame")
        + w.pcapng_epb(1, T0, b"sll2-frame!")
        + w.pcapng_block(5, bytes(20))  # interface statistics: skipped
    )
    items = read(data)
    assert diags(items) == []
    a, b = packets(items)
    assert (a.number, a.interface_id, a.link_type, a.data, a.time_ns) == (
        1, 0, 1, b"eth-frame", T0 // 1000 * 1000)
    assert (b.number, b.interface_id, b.link_type, b.data, b.time_ns) == (
        2, 1, 276, b"sll2-frame!", T0)
    assert data[a.data_offset:a.data_offset + len(a.data)] == a.data
    assert data[b.data_offset:b.data_offset + len(b.data)] == b.data


def test_pcapng_big_endian_section_then_little_endian_section() -> None:
    data = (w.pcapng_shb(">") + w.pcapng_idb(101, e=">") + w.pcapng_epb(0, 5, b"AB", e=">")
            + w.pcapng_shb("<") + w.pcapng_idb(228, tsresol=0x80 | 10)  # 2^-10 s ticks
            + w.pcapng_epb(0, 3 * 1024, b"CD"))
    items = read(data)
    assert diags(items) == []
    a, b = packets(items)
    assert (a.link_type, a.data, a.time_ns) == (101, b"AB", 5000)
    assert (b.link_type, b.data, b.time_ns) == (228, b"CD", 3 * 10**9)


def test_pcapng_simple_packet_block_has_no_time() -> None:
    data = w.pcapng_shb() + w.pcapng_idb(101) + w.pcapng_spb(b"\x45hello")
    (p,) = packets(read(data))
    assert (p.time_ns, p.data, p.interface_id) == (None, b"\x45hello", 0)


def test_pcapng_packet_for_undeclared_interface_is_diagnosed() -> None:
    data = w.pcapng_shb() + w.pcapng_idb(1) + w.pcapng_epb(3, 0, b"x") + w.pcapng_epb(0, 0, b"y")
    items = read(data)
    (d,) = diags(items)
    assert "interface 3" in d.message and d.offset == len(w.pcapng_shb() + w.pcapng_idb(1))
    assert [p.data for p in packets(items)] == [b"y"]


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 64, 1 << 16])
def test_chunking_does_not_change_the_result(chunk_size: int) -> None:
    data = (w.pcapng_shb() + w.pcapng_idb(1) + b"".join(
        w.pcapng_epb(0, i, bytes([i]) * i) for i in range(1, 30)))
    assert read(data, chunk_size) == read(data)
    broken = w.pcap([(T0, b"a" * 10)] * 3)
    second_incl_len = 24 + 26 + 8
    broken = broken[:second_incl_len] + struct.pack("<I", 2**31) + broken[second_incl_len + 4:]
    assert len(diags(read(broken))) == 2
    assert read(broken, chunk_size) == read(broken)


# -- hostile input (issue 7, "Captures") ---------------------------------------------


def test_record_length_2_31_is_diagnosed_and_reading_resynchronises() -> None:
    good = [(T0 + i * 1000, bytes([i]) * 20) for i in range(5)]
    data = bytearray(w.pcap(good))
    second = 24 + 36  # offset of the second record header
    data[second + 8:second + 12] = struct.pack("<I", 2**31)  # incl_len
    items = read(bytes(data))
    ds = diags(items)
    assert ds[0].offset == second and "2147483648" in ds[0].message
    assert ds[0].severity is Severity.ERROR and ds[0].packet_number is None
    # The broken record (16 + 20 bytes) is skipped and reported with its length.
    assert (ds[1].offset, ds[1].length) == (second, 36)
    assert [p.data[0] for p in packets(items)] == [0, 2, 3, 4]


def test_snaplen_zero_is_a_warning_and_packets_still_read() -> None:
    data = w.pcap([(T0, b"abc")], snaplen=0)
    items = read(data)
    (d,) = diags(items)
    assert d.severity is Severity.WARNING and d.offset == 16 and "snaplen" in d.message
    assert packets(items)[0].data == b"abc"


def test_truncated_pcap_record_gives_the_partial_packet_and_an_error() -> None:
    data = w.pcap([(T0, b"a" * 10), (T0, b"b" * 50)])[:-20]
    items = read(data)
    (d,) = diags(items)
    assert d.offset == 24 + 26 and "truncated" in d.message
    assert [p.data for p in packets(items)] == [b"a" * 10, b"b" * 30]


def test_truncated_pcap_header() -> None:
    (d,) = diags(read(w.pcap([])[:10]))
    assert d.offset == 0 and d.length == 10


def test_truncated_pcapng_block_is_reported_with_offset() -> None:
    head = w.pcapng_shb() + w.pcapng_idb(1)
    data = head + w.pcapng_epb(0, 0, b"z" * 40)[:-10]
    ds = diags(read(data))
    assert ds[0].offset == len(head) and "truncated" in ds[0].message
    assert ds[-1].offset == len(head) and ds[-1].length == len(data) - len(head)


def test_pcapng_block_length_not_multiple_of_4_resynchronises() -> None:
    head = w.pcapng_shb() + w.pcapng_idb(1)
    bad = bytearray(w.pcapng_epb(0, 0, b"q" * 8))
    bad[4:8] = struct.pack("<I", 42)
    data = head + bytes(bad) + w.pcapng_epb(0, 1, b"after")
    items = read(data)
    ds = diags(items)
    assert ds[0].offset == len(head) and "multiple of 4" in ds[0].message
    assert (ds[1].offset, ds[1].length) == (len(head), len(bad))
    assert [p.data for p in packets(items)] == [b"after"]


def test_pcapng_trailer_mismatch() -> None:
    head = w.pcapng_shb() + w.pcapng_idb(1)
    bad = bytearray(w.pcapng_epb(0, 0, b"q" * 8))
    bad[-4:] = struct.pack("<I", 36)
    items = read(head + bytes(bad) + w.pcapng_epb(0, 1, b"ok"))
    assert "at the end" in diags(items)[0].message
    assert [p.data for p in packets(items)] == [b"ok"]


def test_not_a_capture() -> None:
    (d,) = diags(read(b"GET / HTTP/1.1\r\n\r\n"))
    assert d.offset == 0 and "magic" in d.message and d.length == 18


def test_parser_feed_after_close_is_a_programming_error() -> None:
    parser = CaptureParser()
    parser.close()
    with pytest.raises(ValueError):
        parser.feed(b"x")
