"""The ``wiretool hpack`` views: header blocks one by one, and the encoding lesson.

``render_hpack_blocks`` prints each block's representations and the dynamic
table after it, drawn as ``h2-frames`` draws a header block (``render.h2_table``);
``explain_field`` says in words what the first octet's bits mean (RFC 7541 §6),
which is the teaching view of ``--encode``. Reads the model only; values are
escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console

from wiretool.http2.hpack import HeaderBlock, HeaderField, Representation
from wiretool.render.escape import escape_bytes, shorten
from wiretool.render.h2_jsonl import header_block_json, header_field_json
from wiretool.render.h2_table import FrameView

_PATTERNS = {
    Representation.INDEXED: ("1xxxxxxx", 7, "indexed header field (RFC 7541 §6.1)"),
    Representation.INCREMENTAL: ("01xxxxxx", 6, "literal with incremental indexing (§6.2.1)"),
    Representation.WITHOUT_INDEXING: ("0000xxxx", 4, "literal without indexing (§6.2.2)"),
    Representation.NEVER_INDEXED: ("0001xxxx", 4, "literal never indexed (§6.2.3)"),
    Representation.SIZE_UPDATE: ("001xxxxx", 5, "dynamic table size update (§6.3)"),
}


def explain_field(field: HeaderField) -> str:
    """What the representation's bytes mean, in words (already escaped)."""
    pattern, prefix, meaning = _PATTERNS[field.representation]
    first = field.wire[0] if field.wire else 0
    text = f"{first:08b} matches {pattern}: {meaning}"
    if field.representation is Representation.SIZE_UPDATE:
        return f"{text}; new maximum size {field.new_table_size} ({prefix}-bit prefix integer)"
    if field.index is not None:
        what = "entry" if field.representation is Representation.INDEXED else "name from entry"
        text += f"; {what} {field.index} of the {field.table} table ({prefix}-bit prefix)"
    elif field.representation is not Representation.INDEXED:
        text += (f"; index 0 = new name, name string "
                 f"{'Huffman-coded' if field.name_huffman else 'raw'}")
    if field.representation is not Representation.INDEXED:
        text += f"; value string {'Huffman-coded' if field.value_huffman else 'raw'}"
    if field.inserted:
        text += "; added to the dynamic table as index 62"
    name = "?" if field.name is None else shorten(escape_bytes(field.name), 40)
    value = "?" if field.value is None else shorten(escape_bytes(field.value), 60)
    return f"{text} → {name}: {value}"


def render_hpack_blocks(
    console: Console, blocks: Sequence[HeaderBlock], *, explain: bool = False
) -> None:
    """Each block as ``h2-frames`` draws a header block (``FrameView.header_block``: a
    table on a wide terminal, stacked ``name: value`` lines on a narrow one, never a
    broken word or number), with the dynamic table after it; ``explain``: each
    field's wire bytes and what they say, under the block."""
    view = FrameView(console, capture=False, hpack_table=True)
    for number, block in enumerate(blocks):
        ratio = block.ratio
        title = (f"block {number}: {block.wire_length} wire bytes → {block.decoded_length} "
                 f"decoded bytes" + ("" if ratio is None else f" ({ratio:.0%})"))
        explained: list[str] = []
        if explain:
            for index, field in enumerate(block.fields):
                explained += view.wrapped(f"#{index} {field.wire.hex(' ')}", 4)
                explained += view.wrapped(explain_field(field), 8)
        view.header_block(block, title, explained)
    view.flush()


def hpack_json(blocks: Sequence[HeaderBlock], encoded: bytes | None = None) -> dict[str, Any]:
    """``wiretool hpack --format json``."""
    out: dict[str, Any] = {"blocks": []}
    for block in blocks:
        item = header_block_json(block, table=True)
        item["headers"] = [header_field_json(f, block.field_offset(f)) for f in block.fields]
        item["diagnostics"] = [
            {"severity": d.severity.value, "offset": d.offset, "message": d.message}
            for d in block.diagnostics
        ]
        out["blocks"].append(item)
    if encoded is not None:
        out["encoded"] = encoded.hex()
    return out
