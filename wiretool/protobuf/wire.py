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

Two engines run these passes. The native core (Rust, ``core/``, reached through
``native.py``) is what the public functions below use by default (``engine="auto"``);
the pure-Python ``_Reader`` here, with ``infer.py``'s scores, is the **reference**:
the documented rules, the oracle the tests compare the core with on every input,
and where new inference rules are prototyped before they are ported to
``core/src/rules.rs``. ``engine="python"`` (or ``WIRETOOL_ENGINE=python``) runs it.
"""

from __future__ import annotations

import gc
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from wiretool.errors import Diagnostic, Severity
from wiretool.protobuf import infer, native
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
from wiretool.protobuf.native import NativeFault, NativeReader

DEFAULT_MAX_DEPTH = 100
"""Default nesting depth expanded (the protobuf runtimes' default recursion limit)."""
MAX_FIELD_NUMBER = (1 << 29) - 1
_U64 = (1 << 64) - 1

# Indexes into a raw field record (a list, because millions of them are made).
_NUMBER, _WIRE, _OFFSET, _TAG_LEN, _VOFF, _VEND, _END, _IVALUE, _OVERLONG, _CHILDREN = range(10)

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
    if pos + 2 < end:  # two and three bytes, the most common after one, read at once
        first, second = buf[pos], buf[pos + 1]
        if first >= 0x80:
            if second < 0x80:
                return (first & 0x7F) | second << 7, pos + 2, second == 0
            third = buf[pos + 2]
            if third < 0x80:
                return ((first & 0x7F) | (second & 0x7F) << 7 | third << 14, pos + 3,
                        third == 0)
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


def _scan(
    buf: bytes, pos: int, end: int, one: bool = False
) -> tuple[Raw, _Fault | None, list[Raw], int]:
    """Scan ``buf[pos:end]`` into raw field records (with ``one``: just the next field).

    Returns ``(fields, fault, open_groups, next_offset)``: on a fault, the fields read
    before it, the fault, and the groups still open at that point (outermost first).
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
                if pos < end and buf[pos] < 0x80:
                    size = buf[pos]
                    pos += 1
                else:
                    size, pos, len_overlong = _read_varint(buf, pos, end)
                    overlong = overlong or len_overlong
                if size > end - pos:
                    raise _Fault(tag_off, "field {} at offset {} declares {} bytes, {} remain",
                                 number, tag_off, size, end - pos)
                voff = pos
                pos += size
                out.append([number, 2, tag_off, tag_len, voff, pos, pos, None, overlong, None])
            elif wire == 5 or wire == 1:
                width = 4 if wire == 5 else 8
                if width > end - pos:
                    raise _Fault(tag_off,
                                 "field {} at offset {} (fixed{}) needs {} bytes, {} remain",
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
                                 "end-group tag for field {} at offset {} has no matching "
                                 "start-group",
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
            if one and not stack:
                return out, None, [], pos
    except _Fault as fault:
        # Drop the traceback: it would tie this frame (and its lists) into a cycle
        # that only the garbage collector, paused during decoding, could free.
        fault.__traceback__ = None
        fault.resume = tag_off
        if not stack:
            return out, fault, [], tag_off
        return _close_open_groups(stack, out, tag_off), fault, [g for _, g in stack], tag_off
    if stack:
        top = _close_open_groups(stack, out, end)
        outermost = stack[0][1]
        return (
            top,
            _Fault(end, "group {} started at offset {} is not closed before the end at offset {}",
                   outermost[_NUMBER], outermost[_OFFSET], end),
            [g for _, g in stack],
            end,
        )
    return out, None, [], pos


def _close_open_groups(stack: list[tuple[Raw, Raw]], out: Raw, at: int) -> Raw:
    """End every open group at ``at``; return the outermost field list."""
    for parent, group in reversed(stack):
        group[_VEND] = at
        group[_END] = at
        out = parent
    return out


def _is_message(buf: bytes, start: int, end: int) -> Raw | None:
    """The raw fields of ``buf[start:end]`` if it parses completely as a message."""
    fields, fault, _, _ = _scan(buf, start, end)
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


def _candidates(buf: bytes, raw: Raw, payload: bytes | None = None
                ) -> dict[str, tuple[float, Any]]:
    """Every reading of a LEN payload that parses: key -> (score, reading).

    ``payload``: the payload's bytes, when the caller has them already.
    """
    start, end = raw[_VOFF], raw[_VEND]
    if payload is None:
        payload = buf[start:end]
    found: dict[str, tuple[float, Any]] = {_BYTES: _BYTES_READING}
    best = 0.0
    text = infer.score_string(payload)
    clean_text = False
    if text is not None:
        found[_STRING] = (text[1], text[0])
        if text[1] > best:
            best = text[1]
        clean_text = text[1] > infer.STRING_BASE
        if (clean_text and end - start > _ALWAYS_TRY_MESSAGE
                and _TEXT_LENGTH_BYTES.search(payload) is None):
            # Clean text that no message could be: a message reads as clean text only
            # through a length prefix of 9, 10 or 13 (tab, newline, carriage return).
            return found
    children = _is_message(buf, start, end) if end == start or _CAN_START[buf[start]] else None
    if children is not None:
        shape = []
        text_children = 0
        for child in children:
            wire, voff, vend = child[_WIRE], child[_VOFF], child[_VEND]
            shape.append((child[_NUMBER], wire, vend - voff))
            if wire == 2 and vend > voff and infer.is_clean_text(buf[voff:vend]):
                text_children += 1
        # A message reads as clean text only when its length prefixes are \t, \n or
        # \r (lengths 9, 10, 13); then the text reading is the coincidence.
        clean = clean_text and not any(
            f[_WIRE] == 2 and f[_VOFF] - f[_OFFSET] - f[_TAG_LEN] == 1
            and buf[f[_VOFF] - 1] in (9, 10, 13)
            for f in children
        )
        score = infer.score_message(shape, text_children, clean)
        found[_MESSAGE] = (score, children)
        if score > best:
            best = score
    if best < infer.PACKED_MAX:
        # A packed reading can never score above PACKED_MAX; where another reading
        # already does, the (costly) packed scores cannot change the choice.
        for packed_type, score in infer.packed_scores(payload):
            found[_PACKED[packed_type]] = (score, packed_type)
    return found


_BYTES_READING = (0.0, None)
_KNOWN_LENGTH = 256
_KNOWN_COUNT = 4096
"""Bounds of ``_Reader._known`` (about 3 MB at most): the first 4096 different payloads
of up to 256 bytes are kept. The ones that repeat most show up early; clearing the
table when full, to make room for later ones, lost more than it gained."""
_CAN_START = [byte >= 8 and byte & 7 in (0, 1, 2, 3, 5) for byte in range(256)]
"""First bytes a message can start with: a tag of a field number from 1, and a wire type
that is not end-group (nothing to end) or 6/7 (invalid). Any other fails ``_scan``."""


def _hint_key(hint: Kind | PackedType | None) -> str | None:
    if hint is None:
        return None
    if isinstance(hint, PackedType):
        return _PACKED[hint]
    return {Kind.MESSAGE: _MESSAGE, Kind.STRING: _STRING, Kind.BYTES: _BYTES}.get(hint)


def _ranking(candidates: dict[str, tuple[float, Any]]) -> tuple[str, ...]:
    """The readings that may be shown as alternatives, best first: ``bytes`` always
    parses and is left out; so is ``packed`` when it scores below bytes (nearly any
    text parses as varints). It does not depend on the reading chosen."""
    if len(candidates) == 2:  # bytes and one other reading: most payloads
        for key, (score, _) in candidates.items():
            if key != _BYTES:
                return (key,) if score > 0 or key not in _PACKED_KEYS else ()
    ranked = []
    for key, (score, _) in candidates.items():
        if key != _BYTES and (score > 0 or key not in _PACKED_KEYS):
            ranked.append((-score, _KEY_ORDER[key], key))
    ranked.sort()
    return tuple([key for _, _, key in ranked])


_PACKED_KEYS = frozenset(_PACKED.values())


def _alternatives(ranking: tuple[str, ...], chosen: str) -> tuple[Kind, ...]:
    """The other kinds of ``ranking`` (from ``_ranking``) than the chosen reading's."""
    kinds: list[Kind] = []
    for key in ranking:
        kind = _KEY_KIND[key]
        if key != chosen and kind not in kinds and kind is not _KEY_KIND[chosen]:
            kinds.append(kind)
    return tuple(kinds)


# -- pass 1: gather the scores of every field path -----------------------------------

_Path = tuple[int, ...]
_Tally = list[Any]
"""Per (path, field number): [occurrences, {reading: [total score, occurrences it fits]}]."""


class _Reader:
    """The two passes over a set of regions that share one classification (the
    reference implementation; ``core/src/engine.rs`` is its native port).

    Pass 1 (``gather``) walks every region depth first and adds up, per field path,
    the scores of each reading of its LEN payloads. It explores every payload that
    *could* be a message, so the totals of a path are complete whichever way its
    ancestors are decided: a path decided "message" fits as a message in every
    occurrence, and every occurrence was explored. Nothing of the tree is kept.

    Pass 2 (``fields``) walks a region again, one top-level field at a time, and
    builds each field's subtree with the decided readings: memory stays at one
    top-level subtree, whatever the size of the input.

    Scoring a payload is most of the work, so pass 1 leaves pass 2 one number per
    payload it scored (unless a schema gives hints): its payload offset and which
    ``_ranking`` of readings it had, packed as ``offset << 16 | ranking index`` in
    an ascending ``array`` per region. Pass 2 builds in offset order, so it finds
    a payload's entry at a cursor, and takes the decided reading and the
    alternatives from there without scoring again. Pass 1 itself scores each
    different short payload once (``_scored``): the same bytes read the same.
    """

    def __init__(self, regions: list[Region], hints: KindHints | None, max_depth: int) -> None:
        self.regions = regions
        self.hints = hints
        self.max_depth = max_depth
        self.diagnostics: list[Diagnostic] = []
        self.faults: list[_Fault | None] = []
        self._tallies: dict[_Path, dict[int, _Tally]] = {}
        """Per path, per field number (looked up once per message, not per field)."""
        self._decisions: dict[_Path, dict[int, str]] = {}
        """Per path, per field number: the reading decided (see ``_decided``)."""
        self._hints_at: dict[_Path, KindHints | None] = {(): hints}
        self._seen: list[array[int]] = []
        """Per region: ``payload offset << 16 | ranking index``, ascending (see above)."""
        self._ranking_index: dict[tuple[str, ...], int] = {}
        self._rankings: list[tuple[str, ...]] = []
        self._alternatives: list[dict[str, tuple[Kind, ...]]] = []
        """Per ranking index: chosen reading -> alternatives."""
        self._current_seen: array[int] = array("Q")
        self._known: dict[bytes, tuple[dict[str, tuple[float, Any]], int]] = {}
        """Short payloads scored in pass 1: bytes -> (readings, ranking index); a
        message reading is kept without its fields (see ``_scored``)."""
        self._cursor = 0
        """Where pass 2 is in ``_current_seen``, the entries of the region it builds."""

    # pass 1 ----------------------------------------------------------------------

    def gather(self) -> None:
        for region in self.regions:
            self._seen.append(array("Q"))
            self.faults.append(self._gather_region(region, self._seen[-1]))

    def _gather_region(self, region: Region, seen: array[int]) -> _Fault | None:
        buf, pos, end = region.buffer, region.start, region.end
        while pos < end:
            fields, fault, open_groups, pos = _scan(buf, pos, end, one=True)
            self._gather_subtree(buf, fields, seen)
            if fault is not None:
                self._report_fault(region, fault, open_groups)
                return fault
        return None

    def _report_fault(self, region: Region, fault: _Fault, open_groups: list[Raw]) -> None:
        for group in open_groups:
            if fault.resume == region.end and group is open_groups[0]:
                continue  # the fault itself already says this group is not closed
            self.diagnostics.append(Diagnostic(
                group[_OFFSET], Severity.ERROR,
                f"group {group[_NUMBER]} at offset {group[_OFFSET]} is not closed",
                group[_END] - group[_OFFSET]))
        self.diagnostics.append(
            Diagnostic(fault.offset, Severity.ERROR, fault.message, region.end - fault.resume))

    def _gather_subtree(self, buf: bytes, fields: Raw, seen: array[int]) -> None:
        stack: list[tuple[Raw, _Path, int]] = [(fields, (), 1)]
        tallies = self._tallies
        max_depth = self.max_depth
        remember = self.hints is None  # with hints, pass 2 scores again (see _choose)
        entries: list[int] = []
        while stack:
            level, path, depth = stack.pop()
            tallies_here = tallies.get(path)
            if tallies_here is None:
                tallies_here = tallies[path] = {}
            for raw in level:
                wire = raw[_WIRE]
                if wire == 2:
                    candidates, ranking = self._scored(buf, raw)
                    tally = tallies_here.get(raw[_NUMBER])
                    if tally is None:
                        tally = tallies_here[raw[_NUMBER]] = [0, {}]
                    tally[0] += 1
                    totals = tally[1]
                    for reading, (score, _) in candidates.items():
                        total = totals.get(reading)
                        if total is None:
                            totals[reading] = [0.0 + score, 1]
                        else:
                            total[0] += score
                            total[1] += 1
                    if remember:
                        entries.append(raw[_VOFF] << 16 | ranking)
                    message = candidates.get(_MESSAGE)
                    if message is not None and depth < max_depth:
                        stack.append((message[1], (*path, raw[_NUMBER]), depth + 1))
                elif wire == 3 and depth < max_depth:
                    stack.append((raw[_CHILDREN], (*path, raw[_NUMBER]), depth + 1))
        # Level by level is not offset order; the subtree's offsets follow the previous
        # subtree's, so sorting this subtree's entries keeps the region's ascending.
        entries.sort()
        seen.extend(entries)

    def _scored(self, buf: bytes, raw: Raw) -> tuple[dict[str, tuple[float, Any]], int]:
        """The readings of a LEN payload (``_candidates``) and the index of their
        ``_ranking``; from ``_known`` when the same bytes were scored before.

        The readings of a payload depend on its bytes alone, and short payloads
        repeat a lot (names, enum-like strings, small packed arrays and messages).
        Only the fields of a message reading hold offsets: they are scanned again.
        """
        start, end = raw[_VOFF], raw[_VEND]
        payload = buf[start:end] if end - start <= _KNOWN_LENGTH else None
        if payload is not None:
            known = self._known.get(payload)
            if known is not None:
                candidates, index = known
                message = candidates.get(_MESSAGE)
                if message is None:
                    return known
                return {**candidates, _MESSAGE: (message[0], _scan(buf, start, end)[0])}, index
        candidates = _candidates(buf, raw, payload)
        index = self._index_of(_ranking(candidates))
        if payload is not None and len(self._known) < _KNOWN_COUNT:
            message = candidates.get(_MESSAGE)
            self._known[payload] = (
                candidates if message is None else {**candidates, _MESSAGE: (message[0], None)},
                index)
        return candidates, index

    def _index_of(self, ranking: tuple[str, ...]) -> int:
        """The number of ``ranking`` in ``_rankings`` (added when new). There are 326
        at most (orderings of subsets of the five readings other than bytes), so the
        16 bits ``_seen`` has for it are plenty."""
        index = self._ranking_index.get(ranking)
        if index is None:
            index = self._ranking_index[ranking] = len(self._rankings)
            self._rankings.append(ranking)
            self._alternatives.append({})
        return index

    # decisions -------------------------------------------------------------------

    def _decided(self, path: _Path, number: int) -> str:
        """The reading that fits every occurrence of (path, number) with the best total."""
        decisions = self._decisions.setdefault(path, {})
        decision = decisions.get(number)
        if decision is None:
            occurrences, totals = self._tallies[path][number]
            common = [reading for reading, (_, fits) in totals.items() if fits == occurrences]
            decision = max(common, key=lambda r: (totals[r][0], -_KEY_ORDER[r]))
            decisions[number] = decision
        return decision

    def _hints_for(self, path: _Path) -> KindHints | None:
        if path in self._hints_at:
            return self._hints_at[path]
        parent = self._hints_for(path[:-1])
        found = parent.child(path[-1]) if parent is not None else None
        self._hints_at[path] = found
        return found

    # pass 2 ----------------------------------------------------------------------

    def fields(self, index: int) -> Iterator[Field]:
        """The top-level fields of region ``index``, built one at a time."""
        region = self.regions[index]
        fault = self.faults[index]
        buf, pos = region.buffer, region.start
        end = fault.resume if fault is not None else region.end
        seen, cursor = self._seen[index], 0
        while pos < end:
            raws, _, _, pos = _scan(buf, pos, region.end, one=True)
            for raw in raws:
                if raw[_OFFSET] < end or raw[_WIRE] == 3:
                    # Set for each field: the caller may interleave the regions' iterators.
                    self._current_seen, self._cursor = seen, cursor
                    [field] = self._build(buf, [raw], (), 1)
                    cursor = self._cursor
                    yield field
            if not raws:
                break

    def _build(self, buf: bytes, raws: Raw, path: _Path, depth: int) -> tuple[Field, ...]:
        """The fields of one message or group (its raw records), subtrees included."""
        built: list[Field] = []
        append = built.append
        new = tuple.__new__
        max_depth = self.max_depth
        remembered = self.hints is None
        decisions = self._decisions.get(path)
        if decisions is None:
            decisions = self._decisions[path] = {}
        for raw in raws:
            number, wire, offset, tag_length, voff, vend, end, value, overlong, members = raw
            if wire == 2:
                ranking = self._ranking_of(voff) if remembered else None
                if ranking is None:  # not remembered (a schema gives hints): score again
                    candidates = _candidates(buf, raw)
                    reading = self._choose(path, raw, candidates)
                    alternatives = _alternatives(_ranking(candidates), reading)
                else:
                    reading = decisions.get(number) or self._decided(path, number)
                    known = self._alternatives[ranking]
                    cached = known.get(reading)
                    if cached is None:
                        cached = known[reading] = _alternatives(self._rankings[ranking], reading)
                    alternatives = cached
                kind = _KEY_KIND[reading]
                value = None
                children: tuple[Field, ...] = ()
                values: tuple[int, ...] = ()
                packed_type = None
                expanded = True
                if kind is _STRING_KIND:
                    value = buf[voff:vend].decode("utf-8")
                elif kind is _MESSAGE_KIND:
                    if depth < max_depth:
                        children = self._build(buf, _scan(buf, voff, vend)[0], (*path, number),
                                               depth + 1)
                    else:
                        expanded = False
                        self.diagnostics.append(_depth_stop(raw, max_depth, "nested message"))
                elif kind is _PACKED_KIND:
                    packed_type = _PACKED_TYPES[reading]
                    values = infer.unpack(buf[voff:vend], packed_type)
                else:
                    value = buf[voff:vend]
                append(new(Field, (offset, number, _LEN, end - offset, tag_length, kind, voff,
                                   vend - voff, value, children, values, packed_type,
                                   alternatives, overlong, expanded, None)))
            elif wire == 3:
                children = ()
                expanded = depth < max_depth
                if expanded:
                    children = self._build(buf, members, (*path, number), depth + 1)
                else:
                    self.diagnostics.append(_depth_stop(raw, max_depth, "group"))
                append(new(Field, (offset, number, _SGROUP, end - offset, tag_length,
                                   _GROUP_KIND, voff, vend - voff, None, children, (), None,
                                   (), overlong, expanded, None)))
            else:
                append(new(Field, (offset, number, _WIRE_TYPES[wire], end - offset,
                                   tag_length, _SCALAR_KIND[wire], voff, end - voff, value, (),
                                   (), None, (), overlong, True, None)))
        return tuple(built)

    def _ranking_of(self, voff: int) -> int | None:
        """The ranking index pass 1 left for the payload at ``voff`` (None: not kept)."""
        seen = self._current_seen
        at = self._cursor
        if at >= len(seen) or seen[at] >> 16 != voff:
            # Payloads pass 2 skips (of messages decided otherwise) are passed over.
            at = bisect_left(seen, voff << 16, at)
            if at >= len(seen) or seen[at] >> 16 != voff:
                return None
        self._cursor = at + 1
        return seen[at] & 0xFFFF

    def _choose(self, path: _Path, raw: Raw, candidates: dict[str, tuple[float, Any]]) -> str:
        hints = self._hints_for(path)
        forced = _hint_key(hints.kind_for(raw[_NUMBER], WireType.LEN)) if hints else None
        inferred = self._decided(path, raw[_NUMBER])
        if forced is None or forced in candidates:
            return forced or inferred
        used = inferred if inferred in candidates else max(
            candidates, key=lambda r: (candidates[r][0], -_KEY_ORDER[r]))
        self.diagnostics.append(_contradiction(raw, forced, used))
        return used


_PACKED_TYPES = {key: packed_type for packed_type, key in _PACKED.items()}


def _contradiction(raw: Raw, forced: str, used: str) -> Diagnostic:
    return Diagnostic(
        raw[_OFFSET],
        Severity.ERROR,
        f"field {raw[_NUMBER]} at offset {raw[_OFFSET]}: the schema says "
        f"{forced.replace(':', ' ')}, but the {raw[_VEND] - raw[_VOFF]}-byte payload is not "
        f"one; shown as {used.replace(':', ' ')}",
        raw[_END] - raw[_OFFSET],
    )


def _depth_stop(raw: Raw, max_depth: int, what: str) -> Diagnostic:
    return Diagnostic(
        raw[_OFFSET],
        Severity.WARNING,
        f"field {raw[_NUMBER]} at offset {raw[_OFFSET]}: {what} not expanded, "
        f"--max-depth {max_depth} reached",
        raw[_END] - raw[_OFFSET],
    )


_SCALAR_KIND = {0: Kind.VARINT, 1: Kind.FIXED64, 5: Kind.FIXED32}
_WIRE_TYPES = tuple(WireType)  # indexed by the wire type number: no Enum lookup per field
# Enum members as module globals: ``Kind.STRING`` is a lookup on the enum class, which
# costs more than the test itself in a loop over every field.
_STRING_KIND, _MESSAGE_KIND, _PACKED_KIND, _GROUP_KIND = (
    Kind.STRING, Kind.MESSAGE, Kind.PACKED, Kind.GROUP)
_LEN, _SGROUP = WireType.LEN, WireType.SGROUP


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while decoding.

    Decoding allocates millions of small lists and tuples and no reference cycles;
    the collector's repeated passes over them cost about half the time on
    multi-megabyte inputs. Reference counting still frees everything.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# -- public API ----------------------------------------------------------------------


@dataclass
class DecodeStream:
    """A decode whose fields are built as they are read (see ``decode_stream``).

    Iterate ``messages()`` once: each message comes with an iterator of its
    top-level fields. ``diagnostics`` is complete when the iteration is over.
    """

    size: int
    start: int
    trailing: Unparsed | None
    diagnostics: list[Diagnostic]
    _reader: _Reader | NativeReader
    _headers: list[Message]

    @property
    def message_count(self) -> int:
        return len(self._headers)

    def parts(self) -> Iterator[tuple[Message, Iterable[Field]]]:
        """``(message without fields, its top-level fields)`` for each message; once."""
        for index, header in enumerate(self._headers):
            yield header, self._fields(index)

    def _fields(self, index: int) -> Iterable[Field]:
        if not isinstance(self._reader, _Reader):
            # The core's fields: the same iteration, and a JSON writer of their own.
            return self._reader.region(index, self._collect)
        return self._python_fields(index)

    def _python_fields(self, index: int) -> Iterator[Field]:
        with _collector_paused():
            yield from self._reader.fields(index)
        self._collect()

    def _collect(self) -> None:
        """Move the diagnostics found while building fields into ``diagnostics``."""
        self.diagnostics.extend(self._reader.diagnostics)
        self._reader.diagnostics.clear()
        self.diagnostics.sort(key=lambda d: d.offset)

    def result(self) -> DecodeResult:
        """Build every field and return the whole model."""
        messages = [replace(header, fields=tuple(fields)) for header, fields in self.parts()]
        self._collect()
        return DecodeResult(tuple(messages), tuple(self.diagnostics), self.size, self.start,
                            self.trailing)


def decode_stream(
    data: bytes,
    *,
    start: int = 0,
    framing: str = "auto",
    max_depth: int = DEFAULT_MAX_DEPTH,
    hints: KindHints | None = None,
    max_message_size: int | None = None,
    engine: str = "auto",
) -> DecodeStream:
    """Like ``decode``, but the fields are built while they are consumed (bounded memory)."""
    from wiretool.protobuf import framing as framing_module

    frames, diagnostics, trailing = framing_module.split(
        data, start=start, framing=framing, max_message_size=max_message_size
    )
    reader = _gathered(frames, hints, max_depth, engine)
    if framing == "auto" and frames[0].framing is None and reader.faults[0] is not None:
        # Not one message. A varint-delimited stream that parses cleanly is the
        # likelier reading (writeDelimitedTo output); use it and say so.
        delimited, found, rest = framing_module.split(data, start=start, framing="delimited")
        if not found and rest is None and delimited:
            alternative = _gathered(delimited, hints, max_depth, engine)
            if not any(alternative.faults) and not any(
                d.severity is Severity.ERROR for d in alternative.diagnostics
            ):
                frames, reader, trailing = delimited, alternative, None
                diagnostics = [Diagnostic(
                    start, Severity.INFO,
                    f"the input is not one message but parses as a varint-delimited stream "
                    f"of {len(frames)}; read that way (--no-grpc to force one message)")]
    headers = []
    for frame, fault in zip(frames, reader.faults, strict=True):
        unparsed = frame.skipped or _tail(frame.buffer, frame.end, fault)
        headers.append(Message(
            frame.start, frame.end - frame.start, (), unparsed,
            framing=frame.framing, prefix_offset=frame.prefix_offset,
            prefix_length=frame.prefix_length, compressed=frame.compressed,
            wire_length=frame.wire_length,
            data=frame.buffer if frame.buffer is not data else None,
        ))
    found = [*diagnostics, *reader.diagnostics]
    reader.diagnostics.clear()
    stream = DecodeStream(len(data), start, trailing, found, reader, headers)
    stream.diagnostics.sort(key=lambda d: d.offset)
    return stream


def _tail(buffer: bytes, end: int, fault: _Fault | NativeFault | None) -> Unparsed | None:
    """The bytes a fault left unread, from the tag of the field it hit to ``end``."""
    if fault is None or fault.resume >= end:
        return None
    return Unparsed(fault.resume, buffer[fault.resume : end])


def _new_reader(regions: list[Region], hints: KindHints | None, max_depth: int,
                engine: str) -> _Reader | NativeReader:
    """The two passes over ``regions``, by the engine ``engine`` selects (``native.py``)."""
    if native.wants_native(engine, hints):
        return NativeReader(regions, hints, max_depth)
    return _Reader(regions, hints, max_depth)


def _gathered(frames: list[Any], hints: KindHints | None, max_depth: int,
              engine: str = "auto") -> _Reader | NativeReader:
    # A frame whose payload cannot be read (``skipped``) is an empty region: no fields.
    reader = _new_reader(
        [Region(f.buffer, f.end if f.skipped else f.start, f.end) for f in frames],
        hints, max_depth, engine)
    with _collector_paused():
        reader.gather()
    return reader


def decode(
    data: bytes,
    *,
    start: int = 0,
    framing: str = "auto",
    max_depth: int = DEFAULT_MAX_DEPTH,
    hints: KindHints | None = None,
    max_message_size: int | None = None,
    engine: str = "auto",
) -> DecodeResult:
    """Decode a protobuf message, or a gRPC / varint-delimited stream of them.

    ``framing`` is ``none`` (one message), ``grpc``, ``delimited``, or ``auto``
    (gRPC when the input starts with a plausible gRPC prefix - a message can never
    start with 0x00 or 0x01, which would be field number 0 - else one message, or a
    delimited stream when the input is not one message but parses cleanly as that).
    ``engine``: ``auto`` (the native core when it is built), ``native`` or ``python``
    (the reference implementation in this module); see ``native.py``.
    """
    return decode_stream(data, start=start, framing=framing, max_depth=max_depth,
                         hints=hints, max_message_size=max_message_size,
                         engine=engine).result()


def decode_regions(
    regions: list[Region],
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    hints: KindHints | None = None,
    engine: str = "auto",
) -> tuple[list[tuple[tuple[Field, ...], Unparsed | None]], list[Diagnostic]]:
    """Decode each region as one top-level message, classifying all of them together."""
    reader = _new_reader(regions, hints, max_depth, engine)
    with _collector_paused():
        reader.gather()
        results: list[tuple[tuple[Field, ...], Unparsed | None]] = []
        for index, (region, fault) in enumerate(zip(regions, reader.faults, strict=True)):
            unparsed = _tail(region.buffer, region.end, fault)
            results.append((tuple(reader.fields(index)), unparsed))
    return results, sorted(reader.diagnostics, key=lambda d: d.offset)


def decode_message(
    data: bytes,
    start: int = 0,
    end: int | None = None,
    *,
    max_depth: int = DEFAULT_MAX_DEPTH,
    hints: KindHints | None = None,
    engine: str = "auto",
) -> tuple[Message, list[Diagnostic]]:
    """Decode ``data[start:end]`` as one message (no framing)."""
    stop = len(data) if end is None else end
    [(fields, unparsed)], diagnostics = decode_regions(
        [Region(data, start, stop)], max_depth=max_depth, hints=hints, engine=engine
    )
    return Message(start, stop - start, fields, unparsed), diagnostics
