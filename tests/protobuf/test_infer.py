"""Kind inference without a schema: one test per rule of the native core's
(``core/src/rules.rs``), on bytes written out by hand (the ground truth of real schemas is
``test_groundtruth.py``)."""

from __future__ import annotations

import struct

import pytest

from tests.protobuf.test_wire import h
from wiretool.protobuf.model import Field, Kind, PackedType
from wiretool.protobuf.wire import decode, decode_message


def string_field(number: int, text: bytes) -> bytes:
    return bytes([number << 3 | 2, len(text)]) + text


def kinds(fields: tuple[Field, ...]) -> list[object]:
    """The kind of each length-delimited field, with its children's for messages."""
    return [(f.kind.value, kinds(f.fields)) if f.kind is Kind.MESSAGE else f.kind.value
            for f in fields if f.kind in (Kind.MESSAGE, Kind.STRING, Kind.BYTES, Kind.PACKED)]


# -- strings ---------------------------------------------------------------------------

# Strings that protoc --decode_raw, protobuf-inspector or bbpb read as nested
# messages or groups (collected from their issue trackers).
ADVERSARIAL_STRINGS = [b"hi", b"k", b"xs", b"image.png", b"inputType", b"unverifiedLazy",
                       b"apple_pay", b"PLAYERGROUP", b"cd", b"{}", b"ok", b"id"]


@pytest.mark.parametrize("text", ADVERSARIAL_STRINGS, ids=lambda t: t.decode())
def test_short_strings_are_strings(text: bytes) -> None:
    message, _ = decode_message(string_field(1, text))
    field = message.fields[0]
    assert field.kind is Kind.STRING, (text, field.kind)
    assert field.value == text.decode()


def test_strings_that_also_parse_list_message_as_alternative() -> None:
    message, _ = decode_message(string_field(2, b"hi"))  # 'h' 'i' = field 13 varint 105
    assert Kind.MESSAGE in message.fields[0].alternatives
    message, _ = decode_message(string_field(2, b"image.png"))  # 'i' = field 13 fixed64
    assert Kind.MESSAGE in message.fields[0].alternatives


def test_text_with_a_control_character_is_bytes() -> None:
    message, _ = decode_message(h("""
        0a 05  61 62 00 63 64          # field 1, LEN 5: "ab", NUL, "cd"
    """))
    assert message.fields[0].kind is Kind.BYTES


# -- messages whose bytes are printable text -------------------------------------------

SERVICE = b"grpc.reflection.v1alpha.ServerReflection"  # 40 bytes


def test_reflection_service_list_is_message_message_string() -> None:
    # ServerReflectionResponse.list_services_response: every byte below the outer
    # tag is printable text ('\n', '*', '(' and the name), as a text reading sees it.
    data = h("""
        32 2c                          # field 6 (list_services_response), LEN 44
           0a 2a                       #   field 1 (service), LEN 42
              0a 28                    #     field 1 (name), LEN 40
    """) + SERVICE
    message, diagnostics = decode_message(data)
    assert diagnostics == []
    assert kinds(message.fields) == [("message", [("message", ["string"])])]
    assert message.fields[0].fields[0].fields[0].value == SERVICE.decode()


def test_printable_message_at_the_top_of_the_service_list() -> None:
    data = h("0a 2a  0a 28") + SERVICE  # field 1, LEN 42: field 1, LEN 40: the name
    message, _ = decode_message(data)
    assert kinds(message.fields) == [("message", ["string"])]


def test_a_message_of_clean_text_children_is_a_message() -> None:
    # FileOptions: java_package and go_package, every byte printable. The children's
    # scores (two clean strings) make the message reading beat the text reading.
    java = b"io.opentelemetry.proto.trace.v1"  # 31 bytes
    go = b"go.opentelemetry.io/proto/otlp/trace/v1"  # 39 bytes
    options = h("0a 1f") + java + h("5a 27") + go  # field 1 LEN 31; field 11 ('Z') LEN 39
    assert options.decode().isprintable() is False  # only the leading '\n' is a control
    data = h("42 4a") + options  # field 8 (options), LEN 74
    message, _ = decode_message(data)
    assert kinds(message.fields) == [("message", ["string", "string"])]


def test_printable_http_bindings_stay_messages_beside_binary_ones() -> None:
    # google.api.HttpRule: additional_bindings (field 11, 'Z') whose bytes are all
    # printable beside one that is not; every one of them is a message.
    delete = b"/v1/{name=projects/*/locations/*}"  # 33 bytes
    data = (h("12 05") + b"/v1/a"                       # field 2 (get), LEN 5
            + h("5a 23  2a 21") + delete                # field 11, LEN 35: field 5 (delete), LEN 33
            + h("5a 0b  22 09") + b"/v1/items"          # field 11, LEN 11: field 4 (post), LEN 9
            + h("5a 0a  22 05") + b"/v1/b" + h("3a 01") + b"*")  # field 11: post, body (7) "*"
    message, _ = decode_message(data)
    assert kinds(message.fields) == ["string", ("message", ["string"]),
                                     ("message", ["string"]), ("message", ["string", "string"])]


# -- per field path: the weight of evidence ---------------------------------------------


def test_an_odd_occurrence_keeps_its_reading_and_its_siblings_theirs() -> None:
    # Field 4 four times: three sub-messages {1: "ab"} and one text that cannot be a
    # message ('l' is an end-group tag). The old rule ("fits every occurrence") read
    # all four as bytes.
    data = h("""
        22 04  0a 02 61 62             # field 4, LEN 4: field 1 "ab"
        22 04  0a 02 63 64             # field 4, LEN 4: field 1 "cd"
        22 0b  68 65 6c 6c 6f 20 77 6f 72 6c 64   # field 4, LEN 11: "hello world"
        22 04  0a 02 65 66             # field 4, LEN 4: field 1 "ef"
    """)
    message, _ = decode_message(data)
    assert kinds(message.fields) == [("message", ["string"]), ("message", ["string"]), "string",
                                     ("message", ["string"])]
    assert message.fields[2].value == "hello world"


def test_repeated_field_does_not_flip_between_siblings() -> None:
    # Two occurrences of field 4 holding a sub-message {1: "ab"}; the second's bytes
    # ("\n\nabcdefghij") are clean text too: both are messages.
    data = h("""
        22 04  0a 02 61 62             # field 4, LEN 4: field 1 "ab"
        22 0c  0a 0a                   # field 4, LEN 12: field 1, LEN 10 ...
               61 62 63 64 65 66 67 68 69 6a  # ... "abcdefghij"
    """)
    message, _ = decode_message(data)
    assert kinds(message.fields) == [("message", ["string"]), ("message", ["string"])]


def test_field_path_is_consistent_across_a_stream() -> None:
    # Three delimited messages whose field 1 is a 16-byte blob; the third alone reads
    # as packed varints, the first two as bytes: the path decides one reading for all.
    blobs = [bytes.fromhex("8f9e3c77a1b2c3d4e5f60718293a4b5c"),
             bytes.fromhex("fa4b2c3d1e0f9a8b7c6d5e4f3a2b1c0d"),
             bytes.fromhex("0102030405060708090a0b0c0d0e0f01")]
    stream = b"".join(bytes([18, 0x0A, 16]) + blob for blob in blobs)  # prefix 18; field 1 LEN 16
    result = decode(stream, framing="delimited")
    assert len({m.fields[0].kind for m in result.messages}) == 1


SPAN = h("12 03  10 74 58")  # field 2, LEN 3: [16, 116, 88]


def test_a_stream_sees_more_than_one_message() -> None:
    # A short packed array of mid-size values: alone it scores below bytes (three bytes
    # below 0x80, a chance of 1/8 for random bytes, does not pay the packed prior); two
    # occurrences of the path do.
    alone, _ = decode_message(SPAN)
    assert alone.fields[0].kind is Kind.BYTES
    stream = decode(b"".join(bytes([len(SPAN)]) + SPAN for _ in range(3)), framing="delimited")
    assert [m.fields[0].values for m in stream.messages] == [(16, 116, 88)] * 3


# -- zero-length payloads ----------------------------------------------------------------


def test_an_empty_payload_alone_is_an_empty_message() -> None:
    message, _ = decode_message(h("0a 00   # field 1, LEN 0"))
    assert message.fields[0].kind is Kind.MESSAGE
    assert message.fields[0].alternatives == (Kind.STRING,)


def test_an_empty_payload_is_what_its_path_decides() -> None:
    strings, _ = decode_message(h("""
        0a 03  61 62 63                # field 1, LEN 3: "abc"
        0a 00                          # field 1, LEN 0
    """))
    assert [f.kind for f in strings.fields] == [Kind.STRING, Kind.STRING]
    assert strings.fields[1].value == ""
    messages, _ = decode_message(h("""
        0a 02  08 01                   # field 1, LEN 2: field 1 varint 1
        0a 00                          # field 1, LEN 0
    """))
    assert [f.kind for f in messages.fields] == [Kind.MESSAGE, Kind.MESSAGE]


# -- packed --------------------------------------------------------------------------------


def test_packed_varints_are_detected() -> None:
    # not a message (0x01 is field 0), not text (control bytes)
    message, _ = decode_message(h("2a 07  01 02 03 96 01 ac 02   # field 5: [1, 2, 3, 150, 300]"))
    field = message.fields[0]
    assert (field.kind, field.packed_type, field.values) == (
        Kind.PACKED, PackedType.VARINT, (1, 2, 3, 150, 300))


def test_packed_negative_int32s() -> None:
    minus_one = bytes.fromhex("ffffffffffffffffff01")
    payload = minus_one + b"\x05" + minus_one
    message, _ = decode_message(bytes([0x2A, len(payload)]) + payload)
    assert message.fields[0].kind is Kind.PACKED
    assert message.fields[0].values == (2**64 - 1, 5, 2**64 - 1)


def test_packed_floats_are_detected() -> None:
    message, _ = decode_message(h("72 08  0000003f 0000a03f   # field 14: 0.5f, 1.25f"))
    assert message.fields[0].packed_type is PackedType.FIXED32


def test_packed_fixed64_counts_of_one_magnitude() -> None:
    # Histogram bucket counts (OpenTelemetry's repeated fixed64): small integers, whose
    # top bytes agree; as fixed32 they would be [3, 0, 5, 0, 0, 0, 12, 0].
    counts = struct.pack("<4Q", 3, 5, 0, 12)
    message, _ = decode_message(h("32 20") + counts)  # field 6, LEN 32
    field = message.fields[0]
    assert (field.kind, field.packed_type, field.values) == (
        Kind.PACKED, PackedType.FIXED64, (3, 5, 0, 12))


def test_a_huge_extension_field_number_is_still_a_message() -> None:
    # MethodOptions with google.api.http (extension 72295728), as protoc writes it.
    data = h("""
        82 d3 e4 93 02                 # field 72295728, LEN (a 5-byte tag)
        14                             # 20 bytes: HttpRule
           12 12                       #   field 2 (get), LEN 18
    """) + b"/v1/{name=items/*}"
    message, _ = decode_message(data)
    assert message.fields[0].number == 72295728
    assert kinds(message.fields) == [("message", ["string"])]


def test_bytes_holding_a_message_are_read_as_the_message() -> None:
    # google.protobuf.Any: type_url, then value (declared bytes) holding an ErrorInfo.
    type_url = b"type.googleapis.com/google.rpc.ErrorInfo"  # 40 bytes
    data = (h("0a 28") + type_url               # field 1, LEN 40
            + h("12 14  0a 05") + b"QUOTA"      # field 2, LEN 20: field 1 (reason), LEN 5
            + h("12 0b") + b"example.com")      #   field 2 (domain), LEN 11
    message, _ = decode_message(data)
    assert kinds(message.fields) == ["string", ("message", ["string", "string"])]


def test_the_fields_inside_an_any_have_paths_of_their_own_per_type_url() -> None:
    # Four Anys in field 3 (as google.rpc.Status.details): three hold a type whose field
    # 1 is a string, one a type whose field 1 is the service list's printable message.
    # Keyed by their type URL, the two field-1 paths do not outvote each other.
    def any_of(type_url: bytes, value: bytes) -> bytes:
        body = bytes([0x0A, len(type_url)]) + type_url + bytes([0x12, len(value)]) + value
        return bytes([0x1A, len(body)]) + body  # field 3, LEN

    text = b"the quota of the project has been exceeded"  # 42 bytes, like the message
    strings = any_of(b"type.googleapis.com/acme.Reason", h("0a 2a") + text)
    listing = any_of(b"type.googleapis.com/acme.Listing", h("0a 2a  0a 28") + SERVICE)
    message, _ = decode_message(strings * 3 + listing)
    assert [kinds(f.fields) for f in message.fields] == [["string", ("message", ["string"])]] * 3 + [
        ["string", ("message", [("message", ["string"])])]]


def test_a_stream_of_anys_keys_their_fields_by_type_url_too() -> None:
    # The same, each Any a whole message of a --delimited stream.
    def any_of(type_url: bytes, value: bytes) -> bytes:
        body = bytes([0x0A, len(type_url)]) + type_url + bytes([0x12, len(value)]) + value
        return bytes([len(body)]) + body  # delimited: the length, then the message

    text = b"the quota of the project has been exceeded"
    strings = any_of(b"type.googleapis.com/acme.Reason", h("0a 2a") + text)
    listing = any_of(b"type.googleapis.com/acme.Listing", h("0a 2a  0a 28") + SERVICE)
    result = decode(strings * 3 + listing, framing="delimited")
    assert [kinds(m.fields) for m in result.messages] == [["string", ("message", ["string"])]] * 3 + [
        ["string", ("message", [("message", ["string"])])]]
