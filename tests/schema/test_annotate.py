"""Schema-guided decoding: DescriptorHints steer the decoder, annotate names the fields."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import SAMPLES
from wiretool.errors import Severity
from wiretool.protobuf import wire
from wiretool.protobuf.annotate import DescriptorHints, annotate
from wiretool.protobuf.model import DecodeResult, Field, Kind, Message, PackedType, WireType
from wiretool.protobuf.schema import load_schema

DATA = Path(__file__).parent / "data"
SHOP = load_schema([SAMPLES / "shop" / "shop.proto"])
ORDER = SHOP.resolve_type("shop.v1.Order")
LEGACY = load_schema([DATA / "legacy.proto"]).resolve_type("legacy.Record")


def decode(hexdata: str, descriptor=ORDER) -> DecodeResult:  # type: ignore[no-untyped-def]
    data = bytes.fromhex(hexdata)
    return annotate(
        wire.decode(data, framing="none", hints=DescriptorHints(descriptor)), descriptor
    )


def test_names_types_and_readings() -> None:
    result = decode(
        "18 02"  # field 3 status: enum 2
        " 50 d6 ff ff ff ff ff ff ff ff 01"  # field 10 delta: int32 -42, 10 bytes
        " 2a 06 0a 01 6b 12 01 76"  # field 5 labels: map entry {key: "k", value: "v"}
        " 42 04 05 01 d8 02"  # field 8 scores: packed int32 [5, 1, 344]
        " 98 01 05"  # field 19 offset: sint64 zigzag 5 -> -3
    )
    assert result.ok
    [message] = result.messages
    assert message.type_name == "shop.v1.Order"
    status, delta, labels, scores, offset = message.fields
    assert status.schema is not None and status.schema.display == "STATUS_SHIPPED"
    assert status.schema.type == ".shop.v1.Status"
    assert delta.schema is not None and delta.schema.display == -42
    assert labels.schema is not None and labels.schema.type == "map<string, string>"
    assert [f.schema.name for f in labels.fields if f.schema] == ["key", "value"]
    assert scores.kind is Kind.PACKED and scores.packed_type is PackedType.VARINT
    assert scores.schema is not None and scores.schema.display == "[5, 1, 344]"
    assert offset.schema is not None and offset.schema.display == -3
    assert offset.schema.json_name == "offset"


def test_oneof_and_proto3_optional() -> None:
    result = decode("32 02 68 69  70 00")  # 6 card_token "hi"; 14 priority 0
    card, priority = result.messages[0].fields
    assert card.schema is not None and card.schema.oneof == "payment"
    assert card.schema.json_name == "cardToken"
    assert priority.schema is not None and priority.schema.oneof is None  # synthetic oneof


def test_hints_make_a_printable_bytes_field_bytes() -> None:
    # voucher (bytes) holding "hi": inference alone would say string.
    [voucher] = decode("3a 02 68 69").messages[0].fields
    assert voucher.number == 7 and voucher.kind is Kind.BYTES


def test_unknown_field_stays_schemaless() -> None:
    [unknown] = decode("f8 06 01").messages[0].fields  # field 111 varint 1
    assert unknown.number == 111 and unknown.schema is None


def test_wire_type_contradicting_schema_is_a_diagnostic() -> None:
    result = decode("0d 01 00 00 00")  # field 1 id (uint64) as fixed32
    [field] = result.messages[0].fields
    assert field.schema is None
    [diag] = result.diagnostics
    assert diag.severity is Severity.ERROR and diag.offset == 0
    assert diag.message == ("field 1 (id): declared uint64 but wire type I32 at offset 0; "
                            "shown as read, without schema")


def test_proto2_group_and_unpacked_repeated() -> None:
    result = decode("10 01 10 02 1b 22 01 78 1c 28 02", LEGACY)
    values1, values2, extra, kind = result.messages[0].fields
    assert values2.schema is not None and values2.schema.display == 2
    assert values1.schema is not None and values1.schema.type == "int64"
    assert extra.kind is Kind.GROUP and extra.schema is not None
    assert extra.schema.type == ".legacy.Record.Extra"
    [note] = extra.fields
    assert note.schema is not None and note.schema.name == "note" and note.value == "x"
    assert kind.schema is not None and kind.schema.display == "KIND_B"


def test_annotate_hand_built_tree_string_where_message_expected() -> None:
    # lines (message) decoded as a string by a schemaless pass: kept, flagged, not named.
    field = Field(
        offset=0,
        number=4,
        wire_type=WireType.LEN,
        length=4,
        tag_length=1,
        kind=Kind.STRING,
        value_offset=2,
        value_length=2,
        value="hi",
    )
    result = annotate(DecodeResult((Message(0, 4, (field,)),), (), 4), ORDER)
    assert result.messages[0].fields[0].schema is None
    assert "does not read as message" in result.diagnostics[0].message
