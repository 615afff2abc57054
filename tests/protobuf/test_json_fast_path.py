"""The fast JSON writer (``render_json``) gives exactly the bytes of the plain dict path.

``render_json`` formats FIELD objects directly (and caches the per-path pieces); the
reference is ``json.dumps(result_to_json(...))``. These tests cover the values the
random inputs of ``test_properties`` rarely reach.
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.protobuf.model import DecodeResult, Field, Kind, Message, PackedType, WireType
from wiretool.protobuf.wire import decode
from wiretool.render.protobuf_json import render_json, result_to_json

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _same_as_plain(result: DecodeResult) -> None:
    out = io.StringIO()
    render_json(result, out, {"format": "raw"})
    plain = json.dumps(result_to_json(result, {"format": "raw"}), ensure_ascii=False,
                       separators=(",", ":")) + "\n"
    assert out.getvalue() == plain


def _result(fields: list[Field]) -> DecodeResult:
    return DecodeResult((Message(0, 100, tuple(fields)),), (), 100)


SPECIAL_FLOATS = [0.0, -0.0, 1.5, -2.25, 1e-45, 3.4e38, 1e300, 5e-324,
                  float("inf"), float("-inf"), float("nan")]


def test_special_floats_and_integers() -> None:
    fields = []
    for number in SPECIAL_FLOATS:
        fields.append(Field(0, 1, WireType.I64, 9, 1, Kind.FIXED64, 1, 8,
                            struct.unpack("<Q", struct.pack("<d", number))[0]))
        if abs(number) < 3.5e38 or number != number or abs(number) == float("inf"):
            fields.append(Field(0, 2, WireType.I32, 5, 1, Kind.FIXED32, 1, 4,
                                struct.unpack("<I", struct.pack("<f", number))[0]))
    fields.append(Field(0, 3, WireType.I32, 5, 1, Kind.FIXED32, 1, 4, 0x7FC00001))  # NaN payload
    for value in (0, 1, 2, 127, (1 << 63) - 1, 1 << 63, (1 << 64) - 1):
        fields.append(Field(0, 4, WireType.VARINT, 2, 1, Kind.VARINT, 1, 1, value, overlong=True))
    _same_as_plain(_result(fields))


def test_strings_bytes_packed_groups_and_unexpanded_messages() -> None:
    texts = ["", "plain", 'quote " backslash \\ slash /', "tab\tnew\nline\r", "\x00\x1f\x7f",
             "é ü ✓ 😀", "\u2028\u2029", "\ud7ff"]
    inner = [Field(5, 1, WireType.LEN, 3, 1, Kind.STRING, 7, 1, text,
                   alternatives=(Kind.MESSAGE, Kind.PACKED)) for text in texts]
    inner.append(Field(5, 2, WireType.LEN, 3, 1, Kind.BYTES, 7, 3, b"\x00\xff\x80"))
    for packed_type, values in ((PackedType.VARINT, (0, 1, (1 << 64) - 1)),
                                (PackedType.FIXED32, (1, 2)), (PackedType.FIXED64, ())):
        inner.append(Field(5, 3, WireType.LEN, 3, 1, Kind.PACKED, 7, 3, None, (), values,
                           packed_type, (Kind.STRING,)))
    group = Field(40, 9, WireType.SGROUP, 6, 1, Kind.GROUP, 41, 4, None, tuple(inner[:2]))
    unexpanded = Field(50, 7, WireType.LEN, 4, 1, Kind.MESSAGE, 52, 2, expanded=False,
                       alternatives=(Kind.BYTES,))
    # The same path seen with another kind (a schema can force that) and deep paths.
    other = Field(60, 1, WireType.VARINT, 2, 1, Kind.VARINT, 61, 1, 5)
    top = Field(0, 1, WireType.LEN, 99, 1, Kind.MESSAGE, 2, 97, None,
                (*inner, group, unexpanded, other, *inner))
    _same_as_plain(_result([top, group, top, unexpanded]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, (1 << 29) - 1), st.sampled_from(list(Kind)),
                          st.integers(0, (1 << 64) - 1), st.text(max_size=8)), max_size=30))
def test_any_field_values(specs: list[tuple[int, Kind, int, str]]) -> None:
    fields = []
    for number, kind, integer, text in specs:
        if kind is Kind.FIXED32:
            integer &= 0xFFFFFFFF
        wire = {Kind.VARINT: WireType.VARINT, Kind.FIXED32: WireType.I32,
                Kind.FIXED64: WireType.I64, Kind.GROUP: WireType.SGROUP}.get(kind, WireType.LEN)
        value: int | str | bytes | None = integer
        if kind is Kind.STRING:
            value = text
        elif kind is Kind.BYTES:
            value = text.encode()
        elif kind in (Kind.MESSAGE, Kind.GROUP, Kind.PACKED):
            value = None
        packed = PackedType.VARINT if kind is Kind.PACKED else None
        children = tuple(fields[-3:]) if kind in (Kind.MESSAGE, Kind.GROUP) else ()
        fields.append(Field(integer & 0xFFFF, number, wire, 3, 1, kind, 1, 2, value, children,
                            (integer,) if packed else (), packed, overlong=integer % 2 == 0))
    _same_as_plain(_result(fields))


def test_schema_annotated_fields_take_the_plain_path() -> None:
    from wiretool.protobuf.annotate import annotate
    from wiretool.protobuf.schema import load_schema

    schema = load_schema([], [], [SAMPLES / "person.desc"])
    person = schema.resolve_type("wiretool.samples.Person")
    result = annotate(decode((SAMPLES / "person.bin").read_bytes()), person)
    assert any(f.schema is not None for f in result.messages[0].fields)
    _same_as_plain(result)


def test_one_path_with_several_tag_lengths() -> None:
    """An overlong tag makes the same field number's tag longer (pieces are cached
    per path)."""
    fields = [Field(offset, 1, WireType.VARINT, 3, tag_length, Kind.VARINT, offset + tag_length,
                    1, 7, overlong=tag_length > 1)
              for offset, tag_length in ((0, 1), (2, 2), (5, 1), (7, 3), (11, 2))]
    _same_as_plain(_result(fields))
