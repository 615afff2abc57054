#!/usr/bin/env python3
"""Coverage-guided fuzzing of the protobuf walker: ``wire.decode`` with every framing,
with a schema (samples/person.desc, ``annotate``), and every renderer.

Contract: never an exception; field spans inside their message and tiling it
(fields + unparsed); diagnostics inside the input; JSON valid; table and hexdump
free of control characters. Run (see fuzz/README.md):

    python fuzz/fuzz_protobuf.py fuzz/work/corpus/protobuf fuzz/work/seeds/protobuf \
        -max_total_time=600 -rss_limit_mb=2048 -timeout=20
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from contract import assert_terminal_safe, assert_tiles, fuzz_main, instrumented, plain_console

with instrumented(__name__ == "__main__"):
    from wiretool.protobuf import annotate as annotate_module
    from wiretool.protobuf import schema, wire
    from wiretool.protobuf.model import DecodeResult, Field, Kind, Message
    from wiretool.render import protobuf_hexdump, protobuf_json, protobuf_table

ROOT = Path(__file__).resolve().parent.parent
_SCHEMA = schema.load_schema(descriptor_sets=[ROOT / "samples" / "person.desc"])
PERSON = _SCHEMA.resolve_type("wiretool.samples.Person")
BOOK = _SCHEMA.resolve_type("wiretool.samples.AddressBook")
FRAMINGS = ("auto", "none", "grpc", "delimited")


def check_fields(fields: tuple[Field, ...], start: int, end: int, where: str) -> None:
    at = start
    for field in fields:
        assert field.offset == at, f"{where}: field at {field.offset}, expected {at}"
        assert field.length > 0 and field.end <= end, f"{where}: field past {end}"
        value_end = field.value_offset + field.value_length
        assert field.offset <= field.value_offset <= value_end <= field.end
        if field.kind in (Kind.MESSAGE, Kind.GROUP) and field.expanded:
            check_fields(field.fields, field.value_offset,
                         field.value_offset + field.value_length, f"{where}.{field.number}")
        at = field.end


def check_message(message: Message, size: int) -> None:
    buffer_size = len(message.data) if message.data is not None else size
    end = message.offset + message.length
    assert 0 <= message.offset <= end <= buffer_size
    stop = message.unparsed.offset if message.unparsed is not None else end
    check_fields(message.fields, message.offset, stop, "message")
    if message.unparsed is not None:
        assert message.unparsed.offset + message.unparsed.length == end


def check_result(result: DecodeResult, data: bytes) -> None:
    for message in result.messages:
        check_message(message, len(data))
    for diagnostic in result.diagnostics:
        assert diagnostic.length >= 0 and diagnostic.offset >= 0
    if result.trailing is not None:
        trailing = result.trailing
        assert data[trailing.offset:trailing.offset + trailing.length] == trailing.data
    # Framing: prefixes, message bodies (as on the wire) and trailing tile the input.
    framed = [m for m in result.messages if m.framing is not None]
    if framed or not result.messages:
        assert len(framed) == len(result.messages)
        spans = []
        for m in framed:
            assert m.prefix_offset is not None
            after = m.prefix_offset + m.prefix_length
            if not m.compressed:
                body = m.length
            elif m.data is None:  # not inflated: the body is the message's unparsed bytes
                body = m.unparsed.length if m.unparsed is not None else 0
            else:
                body = min(m.wire_length or 0, len(data) - after)
            spans.append((m.prefix_offset, m.prefix_length + body))
        if result.trailing is not None:
            spans.append((result.trailing.offset, result.trailing.length))
        assert_tiles(spans, result.start, len(data), "framing")
    else:
        [m] = result.messages
        assert (m.offset, m.length) == (result.start, len(data) - result.start)
    out = io.StringIO()
    protobuf_json.render_json(result, out, {"format": "raw", "size": len(data)})
    doc = json.loads(out.getvalue())
    assert isinstance(doc, dict) and "messages" in doc


def render_views(result: DecodeResult, data: bytes) -> None:
    out = io.StringIO()
    console = plain_console(out)
    protobuf_table.render_table(result, console, header="fuzz")
    protobuf_hexdump.render_hexdump(result, data, console)
    assert_terminal_safe(out.getvalue(), "table/hexdump")


def test_one_input(data: bytes) -> None:
    if not data:
        return
    flags, body = data[0], data[1:]
    framing = FRAMINGS[flags & 3]
    max_depth = 1 + (flags >> 2 & 7) * 8
    result = wire.decode(body, framing=framing, max_depth=max_depth, max_message_size=1 << 16)
    check_result(result, body)
    if flags & 0x20:
        descriptor = BOOK if flags & 0x80 else PERSON
        hints = annotate_module.DescriptorHints(descriptor)
        annotated = annotate_module.annotate(
            wire.decode(body, framing=framing, max_depth=max_depth, hints=hints,
                        max_message_size=1 << 16), descriptor)
        check_result(annotated, body)
        result = annotated
    if flags & 0x40:
        render_views(result, body)


if __name__ == "__main__":
    fuzz_main(test_one_input)
