"""The protobuf wire decoder: bytes in, a tree of ``Field`` out. Sans-IO, no schema needed.

Three passes over the input (protobuf encoding spec,
https://protobuf.dev/programming-guides/encoding/):

1. *scan*: walk tags and payloads of a byte range into light-weight raw records
   (lists, for speed). Groups are followed with an explicit stack, so nesting
   depth never costs Python recursion. At the top level a fault (truncated
   field, invalid wire type, field number 0, a length past the end, a stray
   end-group) stops the message with a ``Diagnostic`` and the rest is kept as
   ``Unparsed``; inside a length-delimited payload a fault just means "this
   payload is not a message".
2. *classify*: level by level (breadth first, so depth costs no recursion
   either), every length-delimited payload is scored as message, string, packed
   or bytes (``infer.py``), occurrences of the same field path are decided
   together, and the payloads read as messages become the next level. A
   ``KindHints`` from a schema overrides the guess where the payload fits.
   Expansion stops at ``max_depth``; the field is then marked ``expanded=False``
   and a diagnostic says where.
3. *build*: turn the raw records into frozen ``Field`` dataclasses.

Framing (gRPC length prefixes, varint-delimited streams) is ``framing.py``'s job;
rendering is ``wiretool.render``'s.
"""

from __future__ import annotations

import gc
import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from wiretool.errors import Diagnostic, Severity
from wiretool.protobuf import infer
from wiretool.protobuf.model import (
    DecodeResult,
    Field,
    Kind,
    KindHints,
    Message,
    PackedType,
    Unparsed,
    WireType,
)

DEFAULT_MAX_DEPTH = 100
"""Default nesting depth expanded (the protobuf runtimes' default recursion limit)."""
MAX_FIELD_NUMBER = (1 << 29) - 1
_U64 = (1 << 64) - 1

# Indexes into a raw field record (a list, because millions of them are made).
_NUMBER, _WIRE, _OFFSET, _TAG_LEN, _VOFF, _VEND, _END, _IVALUE, _OVERLONG, _CHILDREN = range(10)
_DECISION = 10
"""Slot filled by classify for LEN fields: (key, alternatives, payload reading)."""

Raw = list[Any]


class _Fault(Exception):
    """A malformed spot found while scanning; caught within this module.

    The message is formatted only when asked for: most faults are raised while
    trying a payload as a message, and are never shown.
    """

    def __init__(self, offset: int, template: str, *args: object) -> None:
        super().__init__(template)
        self.offset = offset
        """Where the problem is (for the message)."""
        self.template = template
        self.args_ = args
        self.resume = offset
        """Where the unparsed tail starts: the tag of the field the problem is in."""

    @property
    def message(self) -> str:
        return self.template.format(*self.args_)


@dataclass(frozen=True, slots=True)
class Region:
    """A byte range of a buffer to decode as one top-level message (set by framing)."""

    buffer: bytes
    start: int
    end: int


def read_varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """Read a varint at ``pos``; return ``(value, next_offset)``.

    Values wider than 64 bits are truncated to 64 bits as the protobuf runtimes do.
    Raises ``ValueError`` when the varint is truncated or longer than 10 bytes.
    """
    try:
        value, after, _ = _read_varint(buf, pos, end)
    except _Fault as fault:
        raise ValueError(fault.message) from None
    return value, after


def _read_varint(buf: bytes, pos: int, end: int) -> tuple[int, int, bool]:
    """``(value, next_offset, overlong)``; raises _Fault."""
    start = pos
    value = shift = 0
    while True:
        if pos >= end:
            raise _Fault(start, "varint at offset {} runs past the end ({} bytes remain)",
                         start, end - start)
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            break
        shift += 7
        if shift >= 70:
            raise _Fault(start, "varint at offset {} is longer than 10 bytes", start)
    # An overlong encoding ends in a 0x00 byte after a continuation byte; a 10th byte
    # above 1 carries bits past 64, which the runtimes drop (flagged the same way).
    return value & _U64, pos, (byte == 0 and pos - start > 1) or value > _U64


def _scan(buf: bytes, pos: int, end: int) -> tuple[Raw, _Fault | None, list[Raw]]:
    """Scan ``buf[pos:end]`` into raw field records.

    Returns ``(fields, fault, open_groups)``: on a fault, the fields read before it,
    the fault, and the groups still open at that point (outermost first).
    """
    out: Raw = []
    stack: list[tuple[Raw, Raw]] = []  # (enclosing list, group record)
    tag_off = pos
    try:
        while pos < end:
            tag_off = pos
            byte = buf[pos]
            if byte < 0x80:
                tag = byte
                pos += 1
                overlong = False
            else:
                tag, pos, overlong = _read_varint(buf, pos, end)
            wire = tag & 7
            number = tag >> 3
            if number == 0:
                raise _Fault(tag_off, "field number 0 in tag at offset {}", tag_off)
            if number > MAX_FIELD_NUMBER:
                raise _Fault(tag_off, "field number {} in tag at offset {} exceeds {}",
                             number, tag_off, MAX_FIELD_NUMBER)
            tag_len = pos - tag_off
            if wire == 0:
                if pos < end and buf[pos] < 0x80:
                    value = buf[pos]
                    voff = pos
                    pos += 1
                else:
                    voff = pos
                    value, pos, value_overlong = _read_varint(buf, pos, end)
                    overlong = overlong or value_overlong
                out.append([number, 0, tag_off, tag_len, voff, pos, pos, value, overlong, None])
            elif wire == 2:
                lstart = pos
                if pos < end and buf[pos] < 0x80:
                    size = buf[pos]
                    pos += 1
                else:
                    size, pos, len_overlong = _read_varint(buf, pos, end)
                    overlong = overlong or len_overlong
                if size > end - pos:
                    raise _Fault(tag_off, "field {} at offset {} declares {} bytes, {} remain",
                                 number, tag_off, size, end - pos)
                del lstart
                voff = pos
                pos += size
                out.append([number, 2, tag_off, tag_len, voff, pos, pos, None, overlong, None])
            elif wire == 5 or wire == 1:
                width = 4 if wire == 5 else 8
                if width > end - pos:
                    raise _Fault(tag_off, "field {} at offset {} (fixed{}) needs {} bytes, {} remain",
                                 number, tag_off, width * 8, width, end - pos)
                value = int.from_bytes(buf[pos : pos + width], "little")
                out.append(
                    [number, wire, tag_off, tag_len, pos, pos + width, pos + width, value,
                     overlong, None]
                )
                pos += width
            elif wire == 3:
                group: Raw = [number, 3, tag_off, tag_len, pos, -1, -1, None, overlong, []]
                out.append(group)
                stack.append((out, group))
                out = group[_CHILDREN]
            elif wire == 4:
                if not stack:
                    raise _Fault(tag_off,
                                 "end-group tag for field {} at offset {} has no matching start-group",
                                 number, tag_off)
                parent, group = stack[-1]
                if group[_NUMBER] != number:
                    raise _Fault(tag_off,
                                 "end-group tag for field {} at offset {} does not match the "
                                 "start-group of field {} at offset {}",
                                 number, tag_off, group[_NUMBER], group[_OFFSET])
                stack.pop()
                group[_VEND] = tag_off
                group[_END] = pos
                group[_OVERLONG] = group[_OVERLONG] or overlong
                out = parent
            else:
                raise _Fault(tag_off, "invalid wire type {} in tag at offset {} (field {})",
                             wire, tag_off, number)
    except _Fault as fault:
        # Drop the traceback: it would tie this frame (and its lists) into a cycle
        # that only the garbage collector, paused during decoding, could free.
        fault.__traceback__ = None
        fault.resume = tag_off
        if not stack:
            return out, fault, []
        return _close_open_groups(stack, out, tag_off), fault, [g for _, g in stack]
    if stack:
        top = _close_open_groups(stack, out, end)
        outermost = stack[0][1]
        return (
            top,
            _Fault(end, "group {} started at offset {} is not closed before the end at offset {}",
                   outermost[_NUMBER], outermost[_OFFSET], end),
            [g for _, g in stack],
        )
    return out, None, []


def _close_open_groups(stack: list[tuple[Raw, Raw]], out: Raw, at: int) -> Raw:
    """End every open group at ``at``; return the outermost field list."""
    for parent, group in reversed(stack):
        group[_VEND] = at
        group[_END] = at
        out = parent
    return out


def _is_message(buf: bytes, start: int, end: int) -> Raw | None:
    """The raw fields of ``buf[start:end]`` if it parses completely as a message."""
    fields, fault, _ = _scan(buf, start, end)
    return None if fault is not None else fields


# -- classify ------------------------------------------------------------------------

_MESSAGE, _STRING, _BYTES = "message", "string", "bytes"
_PACKED = {PackedType.VARINT: "packed:varint", PackedType.FIXED32: "packed:fixed32",
           PackedType.FIXED64: "packed:fixed64"}
_KEY_KIND = {_MESSAGE: Kind.MESSAGE, _STRING: Kind.STRING, _BYTES: Kind.BYTES,
             **{key: Kind.PACKED for key in _PACKED.values()}}
_KEY_ORDER = {_MESSAGE: 0, _STRING: 1, "packed:varint": 2, "packed:fixed32": 3,
              "packed:fixed64": 4, _BYTES: 5}


_ALWAYS_TRY_MESSAGE = 8
"""Strings up to this length are always tried as messages too (for the alternatives)."""
_TEXT_LENGTH_BYTES = re.compile(rb"[\t\n\r]")


def _candidates(buf: bytes, raw: Raw) -> dict[str, tuple[float, Any]]:
    """Every reading of a LEN payload that parses: key -> (score, reading)."""
    start, end = raw[_VOFF], raw[_VEND]
    payload = buf[start:end]
    found: dict[str, tuple[float, Any]] = {_BYTES: (0.0, None)}
    text = infer.score_string(payload)
    if text is not None:
        found[_STRING] = (text[1], text[0])
        if (text[1] > infer.STRING_BASE and end - start > _ALWAYS_TRY_MESSAGE
                and _TEXT_LENGTH_BYTES.search(payload) is None):
            # Clean text that no message could be: a message reads as clean text only
            # through a length prefix of 9, 10 or 13 (tab, newline, carriage return).
            return found
    children = _is_message(buf, start, end)
    if children is not None:
        text_children = sum(
            1 for f in children
            if f[_WIRE] == 2 and f[_VEND] > f[_VOFF] and infer.is_clean_text(buf[f[_VOFF]:f[_VEND]])
        )
        # A message reads as clean text only when its length prefixes are \t, \n or
        # \r (lengths 9, 10, 13); then the text reading is the coincidence.
        clean = text is not None and text[1] > infer.STRING_BASE and not any(
            f[_WIRE] == 2 and f[_VOFF] - f[_OFFSET] - f[_TAG_LEN] == 1
            and buf[f[_VOFF] - 1] in (9, 10, 13)
            for f in children
        )
        score = infer.score_message(
            [(f[_NUMBER], f[_WIRE], f[_VEND] - f[_VOFF]) for f in children], text_children, clean
        )
        found[_MESSAGE] = (score, children)
    best = max(score for score, _ in found.values())
    if best < infer.PACKED_MAX:
        # A packed reading can never score above PACKED_MAX; where another reading
        # already does, the (costly) packed scores cannot change the choice.
        for packed_type, score in infer.packed_scores(payload):
            found[_PACKED[packed_type]] = (score, packed_type)
    return found


def _hint_key(hint: Kind | PackedType | None) -> str | None:
    if hint is None:
        return None
    if isinstance(hint, PackedType):
        return _PACKED[hint]
    return {Kind.MESSAGE: _MESSAGE, Kind.STRING: _STRING, Kind.BYTES: _BYTES}.get(hint)


def _decide(group: list[dict[str, tuple[float, Any]]]) -> str:
    """The reading that fits every occurrence with the best total score."""
    common = set(group[0])
    for candidates in group[1:]:
        common &= candidates.keys()
    return max(common, key=lambda key: (sum(c[key][0] for c in group), -_KEY_ORDER[key]))


def _alternatives(candidates: dict[str, tuple[float, Any]], chosen: str) -> tuple[Kind, ...]:
    """Other readings that parse, best first. ``bytes`` always parses and is left out;
    so is ``packed`` when it scores below bytes (nearly any text parses as varints)."""
    ranked = sorted(
        (key for key in candidates
         if key not in (chosen, _BYTES)
         and (_KEY_KIND[key] is not Kind.PACKED or candidates[key][0] > 0)),
        key=lambda key: (-candidates[key][0], _KEY_ORDER[key]),
    )
    kinds: list[Kind] = []
    for key in ranked:
        kind = _KEY_KIND[key]
        if kind not in kinds and kind is not _KEY_KIND[chosen]:
            kinds.append(kind)
    return tuple(kinds)


@dataclass(slots=True)
class _Level:
    """Messages at one field path, waiting to have their LEN fields classified."""

    nodes: list[tuple[bytes, Raw]]
    hints: KindHints | None


def _classify(
    roots: list[tuple[bytes, Raw]],
    hints: KindHints | None,
    max_depth: int,
    diagnostics: list[Diagnostic],
) -> None:
    """Fill the decision slot of every LEN field, level by level (see module doc)."""
    level: dict[tuple[int, ...], _Level] = {(): _Level(roots, hints)}
    depth = 0
    while level:
        depth += 1
        following: dict[tuple[int, ...], _Level] = {}
        for path, pending in level.items():
            by_number: dict[int, list[tuple[bytes, Raw]]] = defaultdict(list)
            groups: dict[int, list[tuple[bytes, Raw]]] = defaultdict(list)
            for buf, fields in pending.nodes:
                for raw in fields:
                    wire = raw[_WIRE]
                    if wire == 2:
                        by_number[raw[_NUMBER]].append((buf, raw))
                    elif wire == 3:
                        groups[raw[_NUMBER]].append((buf, raw[_CHILDREN]))
            for number, occurrences in by_number.items():
                child_hints = pending.hints.child(number) if pending.hints else None
                forced = _hint_key(pending.hints.kind_for(number, WireType.LEN)) if (
                    pending.hints
                ) else None
                candidates = [_candidates(buf, raw) for buf, raw in occurrences]
                inferred = _decide(candidates)
                next_nodes: list[tuple[bytes, Raw]] = []
                for (buf, raw), cands in zip(occurrences, candidates, strict=True):
                    key = inferred
                    if forced is not None:
                        if forced in cands:
                            key = forced
                        else:
                            key = inferred if inferred in cands else max(
                                cands, key=lambda k, c=cands: c[k][0]  # type: ignore[misc]
                            )
                            diagnostics.append(_contradiction(raw, forced, key))
                    reading = cands[key][1]
                    raw.append((key, _alternatives(cands, key), reading))
                    if key == _MESSAGE:
                        if depth >= max_depth:
                            raw[_DECISION] = (key, raw[_DECISION][1], None)
                            diagnostics.append(_depth_stop(raw, max_depth))
                        else:
                            next_nodes.append((buf, reading))
                if next_nodes:
                    _add(following, (*path, number), next_nodes, child_hints)
            for number, nodes in groups.items():
                child_hints = pending.hints.child(number) if pending.hints else None
                if depth >= max_depth:
                    for _buf, children in nodes:
                        children.clear()
                    diagnostics.append(Diagnostic(
                        0, Severity.WARNING,
                        f"group {number} at path {'.'.join(map(str, (*path, number)))}: not "
                        f"expanded, --max-depth {max_depth} reached"))
                    continue
                _add(following, (*path, number), nodes, child_hints)
        level = following


def _add(
    following: dict[tuple[int, ...], _Level],
    path: tuple[int, ...],
    nodes: list[tuple[bytes, Raw]],
    hints: KindHints | None,
) -> None:
    existing = following.get(path)
    if existing is None:
        following[path] = _Level(nodes, hints)
    else:
        existing.nodes.extend(nodes)


def _contradiction(raw: Raw, forced: str, used: str) -> Diagnostic:
    return Diagnostic(
        raw[_OFFSET],
        Severity.ERROR,
        f"field {raw[_NUMBER]} at offset {raw[_OFFSET]}: the schema says "
        f"{forced.replace(':', ' ')}, but the {raw[_VEND] - raw[_VOFF]}-byte payload is not "
        f"one; shown as {used.replace(':', ' ')}",
        raw[_END] - raw[_OFFSET],
    )


def _depth_stop(raw: Raw, max_depth: int) -> Diagnostic:
    return Diagnostic(
        raw[_OFFSET],
        Severity.WARNING,
        f"field {raw[_NUMBER]} at offset {raw[_OFFSET]}: nested message not expanded, "
        f"--max-depth {max_depth} reached",
        raw[_END] - raw[_OFFSET],
    )


# -- build ---------------------------------------------------------------------------

_SCALAR_KIND = {0: Kind.VARINT, 1: Kind.FIXED64, 5: Kind.FIXED32}
_WIRE_TYPES = tuple(WireType)  # indexed by the wire type number: no Enum lookup per field


def _build(buf: bytes, fields: Raw, depth: int, max_depth: int) -> tuple[Field, ...]:
    # Fields are made with tuple.__new__ directly (Field is a NamedTuple): this loop
    # runs once per field of the input and dominates the build time otherwise.
    built: list[Field] = []
    append = built.append
    new = tuple.__new__
    for raw in fields:
        wire = raw[_WIRE]
        offset = raw[_OFFSET]
        voff = raw[_VOFF]
        if wire == 0 or wire == 1 or wire == 5:
            end = raw[_END]
            append(new(Field, (offset, raw[_NUMBER], _WIRE_TYPES[wire], end - offset,
                               raw[_TAG_LEN], _SCALAR_KIND[wire], voff, end - voff,
                               raw[_IVALUE], (), (), None, (), raw[_OVERLONG], True, None)))
        elif wire == 2:
            key, alternatives, reading = raw[_DECISION]
            kind = _KEY_KIND[key]
            vend = raw[_VEND]
            value: Any = None
            children: tuple[Field, ...] = ()
            values: tuple[int, ...] = ()
            packed_type = None
            expanded = True
            if kind is Kind.STRING:
                value = reading
            elif kind is Kind.MESSAGE:
                if reading is None:
                    expanded = False
                else:
                    children = _build(buf, reading, depth + 1, max_depth)
            elif kind is Kind.PACKED:
                packed_type = reading
                values = infer.unpack(buf[voff:vend], reading)
            else:
                value = buf[voff:vend]
            append(new(Field, (offset, raw[_NUMBER], WireType.LEN, raw[_END] - offset,
                               raw[_TAG_LEN], kind, voff, vend - voff, value, children, values,
                               packed_type, alternatives, raw[_OVERLONG], expanded, None)))
        else:
            expanded = depth < max_depth
            children = _build(buf, raw[_CHILDREN], depth + 1, max_depth) if expanded else ()
            append(new(Field, (offset, raw[_NUMBER], WireType.SGROUP, raw[_END] - offset,
                               raw[_TAG_LEN], Kind.GROUP, voff, raw[_VEND] - voff, None, children,
                               (), None, (), raw[_OVERLONG], expanded, None)))
    fields.clear()  # the raw records are no longer needed: free them as we go
    return tuple(built)


# -- public API ----------------------------------------------------------------------


def decode_regions(
    regions: list[Region],
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    hints: KindHints | None = None,
) -> tuple[list[tuple[tuple[Field, ...], Unparsed | None]], list[Diagnostic]]:
    """Decode each region as one top-level message, classifying all of them together.

    Returns, per region, its fields and the unparsed tail (after a fault), plus the
    diagnostics. Regions share one classification so that the same field path is
    read the same way in every message of a stream.
    """
    with _collector_paused():
        return _decode_regions(regions, max_depth, hints)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while decoding.

    Decoding allocates millions of small lists and dataclasses and no reference
    cycles; the collector's repeated passes over them cost about half the time on
    multi-megabyte inputs. Reference counting still frees everything.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _decode_regions(
    regions: list[Region], max_depth: int, hints: KindHints | None
) -> tuple[list[tuple[tuple[Field, ...], Unparsed | None]], list[Diagnostic]]:
    diagnostics: list[Diagnostic] = []
    scanned: list[tuple[Region, Raw, _Fault | None, list[Raw]]] = []
    for region in regions:
        fields, fault, open_groups = _scan(region.buffer, region.start, region.end)
        scanned.append((region, fields, fault, open_groups))
        for group in open_groups:
            if fault is not None and fault.resume == region.end and group is open_groups[0]:
                continue  # the fault itself already says this group is not closed
            diagnostics.append(
                Diagnostic(group[_OFFSET], Severity.ERROR,
                           f"group {group[_NUMBER]} at offset {group[_OFFSET]} is not closed",
                           group[_END] - group[_OFFSET])
            )
        if fault is not None:
            diagnostics.append(
                Diagnostic(fault.offset, Severity.ERROR, fault.message, region.end - fault.resume)
            )
    _classify([(r.buffer, f) for r, f, _, _ in scanned], hints, max_depth, diagnostics)
    results: list[tuple[tuple[Field, ...], Unparsed | None]] = []
    for region, fields, fault, _ in scanned:
        unparsed = None
        if fault is not None and fault.resume < region.end:
            unparsed = Unparsed(fault.resume, region.buffer[fault.resume : region.end])
        results.append((_build(region.buffer, fields, 1, max_depth), unparsed))
    diagnostics.sort(key=lambda d: d.offset)
    return results, diagnostics


def decode_message(
    data: bytes,
    start: int = 0,
    end: int | None = None,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    hints: KindHints | None = None,
) -> tuple[Message, list[Diagnostic]]:
    """Decode ``data[start:end]`` as one message (no framing)."""
    stop = len(data) if end is None else end
    [(fields, unparsed)], diagnostics = decode_regions(
        [Region(data, start, stop)], max_depth=max_depth, hints=hints
    )
    return Message(start, stop - start, fields, unparsed), diagnostics


def _try_delimited(
    data: bytes, start: int, max_depth: int, hints: KindHints | None
) -> tuple[Any, list[Diagnostic], None, Any, list[Diagnostic]] | None:
    from wiretool.protobuf import framing as framing_module

    frames, diagnostics, trailing = framing_module.split(data, start=start, framing="delimited")
    if diagnostics or trailing is not None or not frames:
        return None
    regions = [Region(f.buffer, f.start, f.end) for f in frames]
    decoded, found = decode_regions(regions, max_depth=max_depth, hints=hints)
    if any(unparsed is not None for _, unparsed in decoded) or any(
        d.severity is Severity.ERROR for d in found
    ):
        return None
    note = Diagnostic(start, Severity.INFO,
                      f"the input is not one message but parses as a varint-delimited stream "
                      f"of {len(frames)}; read that way (--no-grpc to force one message)")
    return frames, [note], None, decoded, found


def decode(
    data: bytes,
    *,
    start: int = 0,
    framing: str = "auto",
    max_depth: int = DEFAULT_MAX_DEPTH,
    hints: KindHints | None = None,
    max_message_size: int | None = None,
) -> DecodeResult:
    """Decode a protobuf message, or a gRPC / varint-delimited stream of them.

    ``framing`` is ``none`` (one message), ``grpc``, ``delimited``, or ``auto``
    (gRPC when the input starts with a plausible gRPC prefix, else one message: a
    message can never start with 0x00 or 0x01, which would be field number 0).
    """
    from wiretool.protobuf import framing as framing_module

    frames, diagnostics, trailing = framing_module.split(
        data, start=start, framing=framing, max_message_size=max_message_size
    )
    regions = [Region(f.buffer, f.start, f.end) for f in frames]
    decoded, found = decode_regions(regions, max_depth=max_depth, hints=hints)
    if framing == "auto" and frames[0].framing is None and decoded[0][1] is not None:
        # Not one message. A varint-delimited stream that parses cleanly is the
        # likelier reading (writeDelimitedTo output); use it and say so.
        alternative = _try_delimited(data, start, max_depth, hints)
        if alternative is not None:
            frames, diagnostics, trailing, decoded, found = alternative
    messages = []
    for frame, (fields, unparsed) in zip(frames, decoded, strict=True):
        messages.append(
            Message(
                frame.start, frame.end - frame.start, fields, unparsed,
                framing=frame.framing, prefix_offset=frame.prefix_offset,
                prefix_length=frame.prefix_length, compressed=frame.compressed,
                wire_length=frame.wire_length,
                data=frame.buffer if frame.buffer is not data else None,
            )
        )
    all_diagnostics = sorted([*diagnostics, *found], key=lambda d: d.offset)
    return DecodeResult(tuple(messages), tuple(all_diagnostics), len(data), start, trailing)
