"""Short, escaped, human-readable summaries of protobuf field values.

Shared by the table and hexdump views so both describe a field the same way.
Everything returned here is plain text, already escaped (``escape.py``); callers
wrap it in ``rich.text.Text`` and never parse it as markup.
"""

from __future__ import annotations

import math

from wiretool.protobuf.model import Field, Kind, PackedType, fixed_to_float
from wiretool.render.escape import escape_bytes, escape_text, shorten


def format_float(number: float) -> str:
    """A float the way a person reads it: ``1.5``, ``1e-07``, ``nan``, ``inf``."""
    if math.isnan(number):
        return "nan"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    text = repr(number)
    return text[:-2] if text.endswith(".0") and "e" not in text else text


def _hex(data: bytes, limit: int) -> str:
    shown = data[: max(limit // 3, 1)]
    text = shown.hex(" ")
    return text + (" …" if len(shown) < len(data) else "")


def describe_value(field: Field, limit: int = 60) -> str:
    """The value column: the chosen reading, shortened to about ``limit`` characters."""
    if field.schema is not None and field.schema.display is not None:
        display = field.schema.display
        if isinstance(display, str):
            return shorten(escape_text(display), limit)
        if isinstance(display, bool):
            return "true" if display else "false"
        if isinstance(display, float):
            return format_float(display)
        return str(display)
    kind = field.kind
    if kind is Kind.VARINT or kind is Kind.FIXED32 or kind is Kind.FIXED64:
        return str(field.value)
    if kind is Kind.STRING:
        assert isinstance(field.value, str)
        text = '"' + escape_text(field.value) + '"'
        if len(text) > limit:
            return shorten(text, limit - 12) + f" ({field.value_length} B)"
        return text
    if kind is Kind.BYTES:
        assert isinstance(field.value, bytes)
        if not field.value:
            return "(empty)"
        text = _hex(field.value, limit - 10)
        return text + (f" ({field.value_length} B)" if text.endswith("…") else "")
    if kind is Kind.PACKED:
        return _packed_text(field, limit)
    if kind is Kind.MESSAGE or kind is Kind.GROUP:
        if not field.expanded:
            return f"{{not expanded: {field.value_length} B}}"
        count = len(field.fields)
        text = f"{{{count} field{'s' if count != 1 else ''}, {field.value_length} B}}"
        if field.any_value:
            # Declared bytes: say so, in full where it fits.
            for note in (" (Any value: bytes holding a message)", " (Any value)"):
                if len(text) + len(note) <= limit:
                    return text + note
        return text
    return ""


def _packed_text(field: Field, limit: int) -> str:
    """``[1, 2, 3]``; when longer than ``limit``, the whole elements that fit, then
    ``… (N items)``: an element (a number) is never cut."""
    items = [_packed_item(field.packed_type, v) for v in field.values]
    text = "[" + ", ".join(items) + "]"
    if len(text) <= limit:
        return text
    tail = f", …] ({len(items)} items)"
    kept: list[str] = []
    used = 1 + len(tail)
    for item in items:
        if used + len(item) + 2 > limit and kept:
            break
        kept.append(item)
        used += len(item) + 2
    return "[" + ", ".join(kept) + tail


def _packed_item(packed_type: PackedType | None, value: int) -> str:
    """One packed element: fixed32/fixed64 as float/double by its bits, else the integer.

    Only a value that fits the element's width is read as a float (a model built by
    hand, not by the decoder, could hold anything); any other is shown as it is.
    """
    bits = 32 if packed_type is PackedType.FIXED32 else 64
    if packed_type is not PackedType.VARINT and packed_type is not None and 0 <= value < 1 << bits:
        return format_float(fixed_to_float(value, bits))
    return str(value)


def describe_also(field: Field) -> str:
    """Other readings: alternative numeric interpretations, or other kinds that parse."""
    parts: list[str] = []
    kind = field.kind
    if field.schema is not None:
        # The schema already chose the reading; other numeric readings are noise.
        return "overlong varint" if field.overlong else ""
    if kind is Kind.VARINT:
        assert isinstance(field.value, int)
        signed, zigzag = field.signed, field.zigzag
        if signed != field.value:
            parts.append(f"int64 {signed}")
        if zigzag is not None:
            parts.append(f"sint {zigzag}")
        if field.boolean is not None:
            parts.append(f"bool {'true' if field.boolean else 'false'}")
    elif kind is Kind.FIXED32 or kind is Kind.FIXED64:
        floating = field.floating
        if floating is not None:
            name = "float" if kind is Kind.FIXED32 else "double"
            parts.append(f"{name} {format_float(floating)}")
        if field.signed != field.value:
            parts.append(f"signed {field.signed}")
    elif kind is Kind.PACKED and field.packed_type is not None:
        parts.append(f"packed {field.packed_type.value}")
    if field.alternatives:
        parts.append("or " + "/".join(k.value for k in field.alternatives))
    if field.overlong:
        parts.append("overlong varint")
    return ", ".join(parts)


def describe_bytes_text(data: bytes, limit: int) -> str:
    """Bytes shown as text with escapes, shortened (for unparsed tails).

    Only the bytes that can be shown are escaped (at most 4 per character): a tail may
    be 64 MiB.
    """
    head = data[: limit * 4]
    text = escape_bytes(head)
    if len(data) > len(head):
        text += "…"
    return shorten(text, limit)
