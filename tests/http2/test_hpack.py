"""The HPACK walker: RFC 7541 Appendix C, broken input, mid-connection captures, bombs.

``hpack.Decoder`` (python-hyper) is the oracle wherever the input is valid.
"""

from __future__ import annotations

import hpack
import pytest

from wiretool.errors import Severity
from wiretool.http2.hpack import HpackContext, Representation


def h(text: str) -> bytes:
    return bytes.fromhex("".join(line.split("#")[0] for line in text.splitlines()))


def oracle(blocks: list[bytes], table_size: int = 4096) -> list[list[tuple[bytes, bytes]]]:
    decoder = hpack.Decoder()
    decoder.max_allowed_table_size = table_size
    decoder.header_table_size = table_size
    return [[(bytes(n), bytes(v)) for n, v in decoder.decode(b, raw=True)] for b in blocks]


def table(ctx: HpackContext) -> list[tuple[bytes | None, bytes]]:
    return [(e.name, e.value) for e in ctx.entries]


# --- RFC 7541 Appendix C.2: one representation each --------------------------------


def test_c2_1_literal_with_indexing() -> None:
    ctx = HpackContext()
    block = ctx.decode_block(h("""
        40                                    # 01000000: literal, incremental, new name
        0a 63 75 73 74 6f 6d 2d 6b 65 79      # name "custom-key", raw
        0d 63 75 73 74 6f 6d 2d 68 65 61 64 65 72   # value "custom-header", raw
    """))
    (field,) = block.fields
    assert field.representation is Representation.INCREMENTAL
    assert (field.name, field.value, field.index) == (b"custom-key", b"custom-header", None)
    assert (field.name_huffman, field.value_huffman, field.size, field.inserted) == (
        False, False, 55, True)
    assert ctx.size == 55


def test_c2_2_literal_without_indexing() -> None:
    ctx = HpackContext()
    (field,) = ctx.decode_block(h("""
        04                                    # 0000 0100: without indexing, name index 4
        0c 2f 73 61 6d 70 6c 65 2f 70 61 74 68   # "/sample/path"
    """)).fields
    assert field.representation is Representation.WITHOUT_INDEXING
    assert (field.name, field.value, field.index, field.table) == (
        b":path", b"/sample/path", 4, "static")
    assert table(ctx) == []


def test_c2_3_literal_never_indexed() -> None:
    ctx = HpackContext()
    (field,) = ctx.decode_block(h("""
        10                                    # 0001 0000: never indexed, new name
        08 70 61 73 73 77 6f 72 64            # "password"
        06 73 65 63 72 65 74                  # "secret"
    """)).fields
    assert field.representation is Representation.NEVER_INDEXED
    assert (field.name, field.value, field.wire[:1]) == (b"password", b"secret", b"\x10")
    assert table(ctx) == []


def test_c2_4_indexed() -> None:
    (field,) = HpackContext().decode_block(h("82  # 1 0000010: static index 2")).fields
    assert (field.representation, field.name, field.value, field.index, field.table) == (
        Representation.INDEXED, b":method", b"GET", 2, "static")


# --- C.3 to C.6: sequences sharing one context -------------------------------------

C3 = [
    "828684410f7777772e6578616d706c652e636f6d",
    "828684be58086e6f2d6361636865",
    "828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565",
]
C4 = [
    "828684418cf1e3c2e5f23a6ba0ab90f4ff",
    "828684be5886a8eb10649cbf",
    "828785bf408825a849e95ba97d7f8925a849e95bb8e8b4bf",
]
C5 = [
    "4803333032580770726976617465611d4d6f6e2c203231204f637420323031332032303a31333a323120474d"
    "546e1768747470733a2f2f7777772e6578616d706c652e636f6d",
    "4803333037c1c0bf",
    "88c1611d4d6f6e2c203231204f637420323031332032303a31333a323220474d54c05a04677a69707738666f"
    "6f3d4153444a4b48514b425a584f5157454f50495541585157454f49553b206d61782d6167653d333630303b"
    "2076657273696f6e3d31",
]
C6 = [
    "488264025885aec3771a4b6196d07abe941054d444a8200595040b8166e082a62d1bff6e919d29ad171863c7"
    "8f0b97c8e9ae82ae43d3",
    "4883640effc1c0bf",
    "88c16196d07abe941054d444a8200595040b8166e084a62d1bffc05a839bd9ab77ad94e7821dd7f2e6c7b335"
    "dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007",
]
REQUEST_TABLES = [
    [(b":authority", b"www.example.com")],
    [(b"cache-control", b"no-cache"), (b":authority", b"www.example.com")],
    [(b"custom-key", b"custom-value"), (b"cache-control", b"no-cache"),
     (b":authority", b"www.example.com")],
]
DATE1 = b"Mon, 21 Oct 2013 20:13:21 GMT"
DATE2 = b"Mon, 21 Oct 2013 20:13:22 GMT"
LOC = b"https://www.example.com"
COOKIE = b"foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"
RESPONSE_TABLES = [
    [(b"location", LOC), (b"date", DATE1), (b"cache-control", b"private"), (b":status", b"302")],
    [(b":status", b"307"), (b"location", LOC), (b"date", DATE1), (b"cache-control", b"private")],
    [(b"set-cookie", COOKIE), (b"content-encoding", b"gzip"), (b"date", DATE2)],
]


@pytest.mark.parametrize(
    ("blocks", "size", "tables", "sizes", "huffman"),
    [
        (C3, 4096, REQUEST_TABLES, [57, 110, 164], False),
        (C4, 4096, REQUEST_TABLES, [57, 110, 164], True),
        (C5, 256, RESPONSE_TABLES, [222, 222, 215], False),
        (C6, 256, RESPONSE_TABLES, [222, 222, 215], True),
    ],
    ids=["C.3", "C.4", "C.5", "C.6"],
)
def test_rfc7541_appendix_c(
    blocks: list[str], size: int, tables: list[list[tuple[bytes, bytes]]],
    sizes: list[int], huffman: bool,
) -> None:
    wires = [bytes.fromhex(b) for b in blocks]
    expected_lists = oracle(wires, size)
    ctx = HpackContext(table_size_limit=size)
    for wire, expected, expected_table, expected_size in zip(
        wires, expected_lists, tables, sizes, strict=True
    ):
        block = ctx.decode_block(wire)
        assert block.diagnostics == ()
        assert block.headers == expected
        assert [(e.name, e.value) for e in block.table] == expected_table
        assert block.table_size == expected_size
        literal_values = [f.value_huffman for f in block.fields if f.value_huffman is not None]
        assert literal_values and all(v is huffman for v in literal_values)


def test_c5_evictions_are_recorded_on_the_field() -> None:
    ctx = HpackContext(table_size_limit=256)
    ctx.decode_block(bytes.fromhex(C5[0]))
    block = ctx.decode_block(bytes.fromhex(C5[1]))
    (status,) = [f for f in block.fields if f.inserted]
    # ":status: 307" (42) does not fit in 256 with 222 used: ":status: 302" is evicted.
    assert [(e.name, e.value) for e in status.evicted] == [(b":status", b"302")]
    assert (block.insertions, block.evictions) == (1, 1)


# --- broken input: diagnostic with offsets, rest of block undecodable, next block ok ---


def test_invalid_index_stops_the_block_and_the_next_block_decodes() -> None:
    ctx = HpackContext()
    block = ctx.decode_block(h("""
        82                # :method GET
        be                # index 62: the dynamic table is empty
        86                # never reached
    """), segments=((0, 100),))
    assert [f.name for f in block.fields] == [b":method"]
    (diag,) = block.diagnostics
    assert diag.severity is Severity.ERROR
    assert diag.offset == 101 and "block offset 1" in diag.message
    assert block.undecodable_from == 1
    assert ctx.decode_block(h("84")).headers == [(b":path", b"/")]


def test_index_zero_is_an_error() -> None:
    block = HpackContext().decode_block(h("80  # indexed, index 0"))
    assert "index 0" in block.diagnostics[0].message


@pytest.mark.parametrize(
    ("wire", "fragment"),
    [
        # literal without indexing, name ":path" (4), Huffman value of 4 x 0xff: 30 one-bits
        # then more: decodes into the EOS symbol, which is an error (RFC 7541 §5.2).
        ("04 84 ff ff ff ff", "Huffman"),
        # Huffman "a" (00011) followed by a whole byte of padding ones: padding > 7 bits.
        ("04 82 1f ff", "Huffman"),
        # Huffman "a" padded with zeros instead of ones.
        ("04 81 18", "Huffman"),
        # an index whose continuation bytes never end within 5 octets: overflow.
        ("ff ff ff ff ff ff ff 01", "too long"),
        # string length 10 with 2 bytes left.
        ("04 0a 61 62", "runs past"),
        # integer continuation cut by the end of the block.
        ("ff 80", "past the end"),
    ],
)
def test_broken_hpack(wire: str, fragment: str) -> None:
    block = HpackContext().decode_block(h(wire))
    assert block.fields == ()
    assert fragment in block.diagnostics[0].message
    assert block.diagnostics[0].severity is Severity.ERROR


def test_size_update_rules() -> None:
    ctx = HpackContext(table_size_limit=4096)
    ok = ctx.decode_block(h("3f e1 1f  # size update: 31 + 0x61 + (0x1f << 7) = 4096"))
    assert ok.diagnostics == () and ok.fields[0].new_table_size == 4096
    too_big = ctx.decode_block(h("3f e2 1f  # size update to 4097 > limit 4096"))
    assert "exceeds the limit" in too_big.diagnostics[0].message
    late = ctx.decode_block(h("82 20  # :method GET, then a size update to 0"))
    assert "after a header field" in late.diagnostics[0].message
    assert [f.name for f in late.fields] == [b":method"]


def test_size_update_over_unknown_limit_is_a_warning() -> None:
    ctx = HpackContext(limit_known=False)
    block = ctx.decode_block(h("3f e1 3f  # size update: 31 + 0x61 + (0x3f << 7) = 8192"))
    assert block.diagnostics[0].severity is Severity.WARNING
    assert ctx.max_size == 8192


def test_size_update_evicts() -> None:
    ctx = HpackContext()
    ctx.decode_block(h("40 01 61 01 62  # a: b (34 bytes)"))
    block = ctx.decode_block(h("20  # size update to 0"))
    assert [(e.name, e.value) for e in block.fields[0].evicted] == [(b"a", b"b")]
    assert block.table == ()


# --- mid-connection: unknown dynamic entries -----------------------------------------


def test_mid_connection_unknown_entries_keep_indexing_right() -> None:
    ctx = HpackContext(history_complete=False)
    first = ctx.decode_block(h("""
        bf                      # 1 0111111: index 63, inserted before the capture started
        40 01 78 01 31          # literal incremental "x: 1" -> index 62; 63 becomes 64
    """))
    unknown = first.fields[0]
    assert unknown.unknown_entry and unknown.name is None and unknown.index == 63
    assert "dynamic entry 63 unknown (capture started mid-connection)" in (
        first.diagnostics[0].message)
    assert first.diagnostics[0].severity is Severity.WARNING
    assert first.table_incomplete
    second = ctx.decode_block(h("""
        be                      # index 62: "x: 1", learnt from the capture
        c0                      # index 64: the old unknown entry, shifted by one
    """))
    assert second.headers == [(b"x", b"1")]
    assert second.fields[1].unknown_entry and second.fields[1].index == 64


def test_literal_with_unknown_name_is_inserted_with_a_lower_bound_size() -> None:
    ctx = HpackContext(history_complete=False)
    block = ctx.decode_block(h("7f 01 01 76  # incremental, name index 63 + 1 = 64, value 'v'"))
    (field,) = block.fields
    assert field.unknown_entry and field.name is None and field.value == b"v"
    assert field.inserted and ctx.approximate
    again = ctx.decode_block(h("be  # index 62: the entry just inserted, name still unknown"))
    assert again.fields[0].unknown_entry and again.fields[0].value == b"v"


# --- bombs -------------------------------------------------------------------------------


def test_header_list_limit_counts_but_does_not_expand() -> None:
    ctx = HpackContext(max_header_list_size=100)
    block = ctx.decode_block(h("82 82 82 82  # :method GET four times, 42 bytes each"))
    assert [f.expanded for f in block.fields] == [True, True, False, False]
    assert [f.size for f in block.fields] == [42, 42, 42, 42]
    assert block.headers == [(b":method", b"GET")] * 2
    assert block.diagnostics[0].severity is Severity.WARNING


def test_non_utf8_values_are_kept_as_bytes() -> None:
    block = HpackContext().decode_block(h("""
        00 01 78 02 ff fe      # literal without indexing, name "x", value ff fe
    """))
    assert block.headers == [(b"x", b"\xff\xfe")]
