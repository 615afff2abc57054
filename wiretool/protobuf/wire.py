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
2. *classify*: with an explicit stack (so depth costs no recursion either),
   every length-delimited payload that could be a message is explored, every
   payload is scored as message, string, packed and bytes, bottom up (a
   message's score includes its children's), and the occurrences of each field
   path are tallied and decided together - the rules are ``infer.py``'s
   docstring. A ``KindHints`` from a schema overrides the guess where the
   payload fits. Expansion stops at ``max_depth``; the field is then marked
   ``expanded=False`` and a diagnostic says where.
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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

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


def _readings(buf: bytes, raw: Raw, payload: bytes | None = None
              ) -> dict[str, tuple[float, Any]]:
    """The bytes, string and message readings of a LEN payload that parse: key ->
    (score, reading), where the message reading's score is still without its
    children's and its reading is the message's raw fields. The packed readings come
    last, when the others are final (``_with_packed``).

    ``payload``: the payload's bytes, when the caller has them already.
    """
    start, end = raw[_VOFF], raw[_VEND]
    if payload is None:
        payload = buf[start:end]
    found: dict[str, tuple[float, Any]] = {_BYTES: _BYTES_READING}
    text = infer.score_string(payload)
    if text is not None:
        found[_STRING] = (text[1], text[0])
    children = _is_message(buf, start, end) if end == start or _CAN_START[buf[start]] else None
    if children is not None:
        shape = [(child[_NUMBER], child[_WIRE], child[_VEND] - child[_VOFF])
                 for child in children]
        found[_MESSAGE] = (infer.score_message(shape), children)
    return found


def _with_packed(found: dict[str, tuple[float, Any]], payload: bytes) -> None:
    """Add the packed readings to a payload's final other readings - unless one of them
    scores more than ``PACKED_MAX + ODD_COST``: then a packed reading (which scores
    PACKED_MAX at most) could be neither chosen nor tallied, and its (costly) scores
    are not computed (nor is it an alternative)."""
    for score, _ in found.values():
        if score > _PACKED_WORTH:
            return
    for packed_type, score in infer.packed_scores(payload):
        found[_PACKED[packed_type]] = (score, packed_type)


_PACKED_WORTH = infer.PACKED_MAX + infer.ODD_COST
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
    """The readings that may be shown as alternatives, best first (by ``_prior`` score):
    ``bytes`` always parses and is left out; so is ``packed`` when it scores below
    bytes (nearly any text parses as varints). It does not depend on the reading
    chosen."""
    if len(candidates) == 2:  # bytes and one other reading: most payloads
        for key, (score, _) in candidates.items():
            if key != _BYTES:
                return (key,) if key not in _PACKED_KEYS or score + _PACKED_PRIOR > 0 else ()
    ranked = []
    for key, (score, _) in candidates.items():
        if key in _PACKED_KEYS:
            score += _PACKED_PRIOR
            if score <= 0:
                continue
        elif key == _BYTES:
            continue
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


class _Profile(NamedTuple):
    """What pass 2 needs of a payload's readings (their scores stay in pass 1)."""

    best: str
    """The reading with the highest score (ties: ``_KEY_ORDER``)."""
    acceptable: frozenset[str]
    """The readings within ``infer.ODD_COST`` of the best: the ones this occurrence may
    be shown as when its field path decides so."""
    fits: frozenset[str]
    """Every reading that parses (a schema hint must be one of them)."""
    ranking: tuple[str, ...]
    """``_ranking``: the alternatives, best first."""


def _profile(found: dict[str, tuple[float, Any]]) -> tuple[_Profile, float]:
    """The profile of a payload's final readings, and its best score with the priors
    (``infer``: "Per field path")."""
    best_key = _BYTES
    best = 0.0
    for key, (score, _) in found.items():
        if key in _PACKED_KEYS:
            score += _PACKED_PRIOR
        if score > best or (score == best and _KEY_ORDER[key] < _KEY_ORDER[best_key]):
            best_key, best = key, score
    floor = best - infer.ODD_COST
    acceptable = frozenset([key for key, (score, _) in found.items() if score >= floor])
    return _Profile(best_key, acceptable, frozenset(found), _ranking(found)), best


def _tally(totals: dict[str, float], found: dict[str, tuple[float, Any]], best: float) -> None:
    """Add one occurrence's readings to its field path's totals (``infer``: "Per field
    path"): each reading that parses adds how far it is above ``best - ODD_COST``."""
    floor = best - infer.ODD_COST
    for key, (score, _) in found.items():
        if score > floor:
            totals[key] = totals.get(key, 0.0) + (score - floor)


_PACKED_PRIOR = infer.PACKED_PRIOR


def _top_any_url(region: Region) -> str | None:
    """The type URL of a region that is exactly an Any's two fields (``_any_type_url``)."""
    buf, start, end = region.buffer, region.start, region.end
    first, fault, _, pos = _scan(buf, start, end, one=True)
    if fault is not None or pos >= end or not first or first[0][_WIRE] != 2:
        return None
    second, fault, _, pos = _scan(buf, pos, end, one=True)
    if fault is not None or pos != end:
        return None
    return _any_type_url(buf, first + second)


# -- pass 1: gather the scores of every field path -----------------------------------

_Path = tuple[int | str, ...]
"""Field numbers from the root; below a ``google.protobuf.Any``, its type URL too."""
_TYPE_URL = re.compile(rb"[!-~]*/[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _any_type_url(buf: bytes, fields: Raw) -> str | None:
    """The type URL of a message shaped as a ``google.protobuf.Any`` - exactly a field 1
    and a field 2, both length-delimited, field 1 a URL whose last segment is a dotted
    type name - or None. The fields of its payload (field 2) are a field path of their
    own per type URL: an Any is the one place where one chain of field numbers holds
    messages of many types."""
    if len(fields) != 2:
        return None
    url, payload = fields
    if (url[_NUMBER] != 1 or url[_WIRE] != 2 or payload[_NUMBER] != 2 or payload[_WIRE] != 2):
        return None
    if url[_VEND] - url[_VOFF] > _TYPE_URL_MAX:
        return None
    text = buf[url[_VOFF] : url[_VEND]]
    return text.decode("ascii") if _TYPE_URL.fullmatch(text) else None


_TYPE_URL_MAX = 1024
"""Longer field-1 payloads are not taken for type URLs (real ones are a few dozen bytes;
this also bounds what the pattern reads)."""
_NO_REACH = -1

# Indexes into a scored node (a list: one per LEN payload of a subtree).
(_N_NUMBER, _N_VOFF, _N_VEND, _N_PATH, _N_DEPTH, _N_PARENT, _N_FOUND, _N_CHILDREN, _N_REACH,
 _N_DONE, _N_BEST, _N_PROFILE) = range(12)


class _Reader:
    """The two passes over a set of regions that share one classification (the
    reference implementation; ``core/src/engine.rs`` is its native port).

    Pass 1 (``gather``) walks every region and adds up, per field path, the tallies
    of the readings of its LEN payloads (``_tally``). It explores every payload that
    *could* be a message, so the tallies of a path are complete whichever way its
    ancestors are decided. The scores are computed bottom up (``_scored``): a
    message reading's score includes the best score of each of its children.
    Nothing of the tree is kept.

    Pass 2 (``fields``) walks a region again, one top-level field at a time, and
    builds each field's subtree with the decided readings: memory stays at one
    top-level subtree, whatever the size of the input.

    Scoring a payload is most of the work, so pass 1 leaves pass 2 one number per
    payload: its payload offset and the index of its ``_Profile``, packed as
    ``offset << 20 | profile index`` in an ascending ``array`` per region. Pass 2
    builds in offset order, so it finds a payload's entry at a cursor, and takes
    the reading and the alternatives from there without scoring again. Pass 1
    itself scores each different short payload once (``_known``): the same bytes
    read the same.
    """

    def __init__(self, regions: list[Region], hints: KindHints | None, max_depth: int) -> None:
        self.regions = regions
        self.hints = hints
        self.max_depth = max_depth
        self.diagnostics: list[Diagnostic] = []
        self.faults: list[_Fault | None] = []
        self._tallies: dict[_Path, dict[int, dict[str, float]]] = {}
        """Per path, per field number (looked up once per message, not per field):
        reading -> total (``_tally``)."""
        self._decisions: dict[_Path, dict[int, str]] = {}
        """Per path, per field number: the reading decided (see ``_decided``)."""
        self._hints_at: dict[_Path, KindHints | None] = {(): hints}
        self._seen: list[array[int]] = []
        """Per region: ``payload offset << 20 | profile index``, ascending (see above)."""
        self._profile_index: dict[_Profile, int] = {}
        self._profiles: list[_Profile] = []
        self._alternatives: list[dict[str, tuple[Kind, ...]]] = []
        """Per profile index: chosen reading -> alternatives."""
        self._current_seen: array[int] = array("Q")
        self._known: dict[bytes, tuple[dict[str, tuple[float, Any]], float, int, int]] = {}
        """Short payloads scored before: bytes -> (final readings without the message's
        fields, best score, profile index, reach below the payload's depth); see
        ``_scored``."""
        self._cursor = 0
        """Where pass 2 is in ``_current_seen``, the entries of the region it builds."""

    # pass 1 ----------------------------------------------------------------------

    def gather(self) -> None:
        for region in self.regions:
            self._seen.append(array("Q"))
            self.faults.append(self._gather_region(region, self._seen[-1]))

    def _gather_region(self, region: Region, seen: array[int]) -> _Fault | None:
        buf, pos, end = region.buffer, region.start, region.end
        if _top_any_url(region) is not None:
            # A whole message that is an Any: its two fields together, so that _scored
            # sees the pair (two fields: memory is no concern).
            self._gather_subtree(buf, _scan(buf, pos, end)[0], seen)
            return None
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
        tallies = self._tallies
        entries: list[int] = []

        def tally(node: list[Any]) -> None:
            tallies_here = tallies.get(node[_N_PATH])
            if tallies_here is None:
                tallies_here = tallies[node[_N_PATH]] = {}
            totals = tallies_here.get(node[_N_NUMBER])
            if totals is None:
                totals = tallies_here[node[_N_NUMBER]] = {}
            _tally(totals, node[_N_FOUND], node[_N_BEST])
            if node[_N_PROFILE] < _PROFILE_LIMIT:
                entries.append(node[_N_VOFF] << _PROFILE_BITS | node[_N_PROFILE])

        self._scored(buf, fields, (), 1, tally)
        # Depth first is not offset order; the subtree's offsets follow the previous
        # subtree's, so sorting this subtree's entries keeps the region's ascending.
        entries.sort()
        seen.extend(entries)

    def _score_one(self, buf: bytes, raw: Raw, path: _Path, depth: int) -> int:
        """The profile index of one LEN payload, scored with its subtree (not tallied)."""
        found: list[list[Any]] = []
        self._scored(buf, [raw], path, depth, found.append)
        return int(found[-1][_N_PROFILE])  # the root finishes last

    def _scored(self, buf: bytes, fields: Raw, path: _Path, depth: int,
                sink: Callable[[list[Any]], None]) -> None:
        """Score every LEN payload of ``fields`` and below (every payload that could be
        a message is explored down to ``max_depth``) and pass each one's node to
        ``sink`` when it is finished: children before their parent, in wire order.

        Depth first, with an explicit stack whose frames are the levels being read.
        A message reading is finished when the level of its fields is: its score is
        its own (``infer.score_message``) plus the best score of each LEN payload
        among its fields and in its groups, added as they finish. A node's *reach* is
        the deepest level its score needed (its children's level, their children's
        ...): a score whose reach passes ``max_depth`` lacks what was not explored,
        and is not remembered. Only the levels on the stack are held, and a node
        holds what the tallies and pass 2 need (not the raw records).
        """
        max_depth = self.max_depth
        known = self._known
        finish = self._finish
        # A frame: [level, next index, path, depth, owner node, Any type URL, is a group].
        stack: list[list[Any]] = [
            [fields, 0, path, depth, None, _any_type_url(buf, fields) if len(fields) == 2
             else None, False]]
        while stack:
            frame = stack[-1]
            level, at, path, depth, owner = frame[0], frame[1], frame[2], frame[3], frame[4]
            if at >= len(level):
                stack.pop()
                if owner is not None and not frame[6]:
                    finish(buf, owner, sink)
                continue
            raw = level[at]
            frame[1] = at + 1
            wire = raw[_WIRE]
            if wire == 2:
                number, start, end = raw[_NUMBER], raw[_VOFF], raw[_VEND]
                payload = buf[start:end] if end - start <= _KNOWN_LENGTH else None
                remembered = known.get(payload) if payload is not None else None
                if remembered is not None and depth + remembered[3] <= max_depth:
                    found, best, profile_index, reach = remembered
                    node = [number, start, end, path, depth, owner, found, 0.0,
                            depth + reach, True, best, profile_index]
                    children = _scan(buf, start, end)[0] if _MESSAGE in found else None
                else:
                    found = _readings(buf, raw, payload)
                    message = found.get(_MESSAGE)
                    children = None
                    if message is not None:
                        children = message[1]
                        found[_MESSAGE] = (message[0], None)
                    node = [number, start, end, path, depth, owner, found, 0.0,
                            depth + 1 if children else _NO_REACH, False, 0.0, 0]
                if children and depth < max_depth:
                    any_url = frame[5]
                    below = ((*path, number) if any_url is None or number != 2
                             else (*path, 2, any_url))
                    stack.append([children, 0, below, depth + 1, node,
                                  _any_type_url(buf, children) if len(children) == 2 else None,
                                  False])
                else:
                    finish(buf, node, sink)
            elif wire == 3:
                if owner is not None and owner[_N_REACH] < depth + 1:
                    owner[_N_REACH] = depth + 1
                if depth < max_depth:
                    members = raw[_CHILDREN]
                    stack.append([members, 0, (*path, raw[_NUMBER]), depth + 1, owner,
                                  _any_type_url(buf, members) if len(members) == 2 else None,
                                  True])

    def _finish(self, buf: bytes, node: list[Any], sink: Callable[[list[Any]], None]) -> None:
        """Finish a node whose children are all finished (see ``_scored``)."""
        if not node[_N_DONE]:
            found = node[_N_FOUND]
            message = found.get(_MESSAGE)
            if message is not None and node[_N_CHILDREN]:
                found[_MESSAGE] = (message[0] + node[_N_CHILDREN], None)
            start, end = node[_N_VOFF], node[_N_VEND]
            _with_packed(found, buf[start:end])
            profile, best = _profile(found)
            node[_N_BEST] = best
            node[_N_PROFILE] = self._index_of(profile)
            if (end - start <= _KNOWN_LENGTH and node[_N_REACH] <= self.max_depth
                    and len(self._known) < _KNOWN_COUNT):
                reach = node[_N_REACH] - node[_N_DEPTH] if node[_N_REACH] != _NO_REACH else 0
                self._known[buf[start:end]] = (found, best, node[_N_PROFILE], reach)
        sink(node)
        above = node[_N_PARENT]
        if above is not None:
            above[_N_CHILDREN] += node[_N_BEST]
            if above[_N_REACH] < node[_N_REACH]:
                above[_N_REACH] = node[_N_REACH]

    def _index_of(self, profile: _Profile) -> int:
        """The number of ``profile`` in ``_profiles`` (added when new)."""
        index = self._profile_index.get(profile)
        if index is None:
            index = self._profile_index[profile] = len(self._profiles)
            self._profiles.append(profile)
            self._alternatives.append({})
        return index

    # decisions -------------------------------------------------------------------

    def _decided(self, path: _Path, number: int) -> str:
        """The reading of (path, number) with the highest total (ties: ``_KEY_ORDER``)."""
        decisions = self._decisions.setdefault(path, {})
        decision = decisions.get(number)
        if decision is None:
            totals = self._tallies[path][number]
            decision = max(totals, key=lambda r: (
                totals[r] + (_PACKED_PRIOR if r in _PACKED_KEYS else 0.0), -_KEY_ORDER[r]))
            decisions[number] = decision
        return decision

    def _hints_for(self, path: _Path) -> KindHints | None:
        if path in self._hints_at:
            return self._hints_at[path]
        parent = self._hints_for(path[:-1])
        number = path[-1]
        found = parent.child(number) if parent is not None and isinstance(number, int) else None
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
        any_url = _top_any_url(region) if fault is None else None
        while pos < end:
            raws, _, _, pos = _scan(buf, pos, region.end, one=True)
            for raw in raws:
                if raw[_OFFSET] < end or raw[_WIRE] == 3:
                    # Set for each field: the caller may interleave the regions' iterators.
                    self._current_seen, self._cursor = seen, cursor
                    [field] = self._build(buf, [raw], (), 1, any_url)
                    cursor = self._cursor
                    yield field
            if not raws:
                break

    def _build(self, buf: bytes, raws: Raw, path: _Path, depth: int,
               any_url: str | None = None) -> tuple[Field, ...]:
        """The fields of one message or group (its raw records), subtrees included;
        ``any_url``: the type URL of the message when it is an Any (``_any_type_url``)
        and ``raws`` is only part of it (its top-level fields are built one at a time)."""
        built: list[Field] = []
        append = built.append
        new = tuple.__new__
        max_depth = self.max_depth
        decisions = self._decisions.get(path)
        if decisions is None:
            decisions = self._decisions[path] = {}
        profiles = self._profiles
        if len(raws) == 2:
            any_url = _any_type_url(buf, raws)
        for raw in raws:
            number, wire, offset, tag_length, voff, vend, end, value, overlong, members = raw
            if wire == 2:
                index = self._profile_of(voff)
                if index is None:  # not left by pass 1: score it again
                    index = self._score_one(buf, raw, path, depth)
                profile = profiles[index]
                decided = decisions.get(number) or self._decided(path, number)
                # The path's reading, unless this occurrence is an odd one (module
                # docstring of ``infer``: "Per field path").
                reading = decided if decided in profile.acceptable else profile.best
                if self.hints is not None:
                    reading = self._choose(path, raw, profile, reading)
                known = self._alternatives[index]
                alternatives = known.get(reading)
                if alternatives is None:
                    alternatives = known[reading] = _alternatives(profile.ranking, reading)
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
                        below = ((*path, number) if any_url is None or number != 2
                                 else (*path, 2, any_url))
                        children = self._build(buf, _scan(buf, voff, vend)[0], below, depth + 1)
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

    def _profile_of(self, voff: int) -> int | None:
        """The profile index pass 1 left for the payload at ``voff`` (None: not kept)."""
        seen = self._current_seen
        at = self._cursor
        if at >= len(seen) or seen[at] >> _PROFILE_BITS != voff:
            # Payloads pass 2 skips (of messages decided otherwise) are passed over.
            at = bisect_left(seen, voff << _PROFILE_BITS, at)
            if at >= len(seen) or seen[at] >> _PROFILE_BITS != voff:
                return None
        self._cursor = at + 1
        return seen[at] & _PROFILE_MASK

    def _choose(self, path: _Path, raw: Raw, profile: _Profile, reading: str) -> str:
        """The reading a schema hint asks for where the payload fits it; else ``reading``,
        with a diagnostic that says the schema is contradicted."""
        hints = self._hints_for(path)
        forced = _hint_key(hints.kind_for(raw[_NUMBER], WireType.LEN)) if hints else None
        if forced is None or forced in profile.fits:
            return forced or reading
        self.diagnostics.append(_contradiction(raw, forced, reading))
        return reading


_PROFILE_BITS = 20
_PROFILE_MASK = (1 << _PROFILE_BITS) - 1
_PROFILE_LIMIT = _PROFILE_MASK
"""Profiles beyond this index are not left for pass 2 (it scores those payloads again)."""


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
