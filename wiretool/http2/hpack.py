"""HPACK at the representation level: what each header field looked like on the wire.

``HpackContext`` is the decoding context of one direction of one connection
(RFC 7541 §2.2): one dynamic table for the connection's whole life, fed every
header block in order with ``decode_block``. It returns a ``HeaderBlock`` model
with one ``HeaderField`` per representation (RFC 7541 §6): its wire bytes, the
index it used and in which table, Huffman flags for name and value, its size
(RFC 7541 §4.1), what it inserted and evicted.

Primitives come from the ``hpack`` library (``decode_integer``, ``decode_huffman``,
the static table, ``table_entry_size``); only the walk over representations is
ours, because ``hpack.Decoder`` returns headers, not representations, and stops
at the first error.

Two situations a decoder in a server never meets, and a dissector always does:

* Broken input: a diagnostic with the offset (absolute, and inside the block), the
  rest of that block marked undecodable, and decoding goes on with the next block.
* A capture that starts mid-connection: references to dynamic entries inserted
  before the capture are shown as "dynamic entry N unknown (capture started
  mid-connection)". Entries inserted since are known exactly: unknown entries are
  always older than known ones, so they are evicted first and never shift the
  indexes of the known ones (RFC 7541 §2.3.3, §4.4).

A busy connection sends the same few blocks again and again once its table is warm,
so the blocks a context decoded while its state is unchanged can be remembered: a
``BlockCache`` given to the contexts (``wiretool.session`` creates one per decoding,
shared by all its connections, so that memory does not grow with their number) makes
a repeated block cost one dictionary look-up, and every identical block share one
``fields`` tuple. A ``HeaderField``'s offset is the one inside its block (the block is
what HPACK decodes, and what identical blocks share); ``HeaderBlock.field_offset``
gives the absolute one. A context without a cache decodes every block.

Rendering is left to ``wiretool.render``.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from hpack import HPACKDecodingError
from hpack.hpack import decode_integer
from hpack.huffman_table import decode_huffman as _decode_huffman
from hpack.table import HeaderTable, table_entry_size

from wiretool.errors import Diagnostic, Severity
from wiretool.http2.constants import DEFAULT_HEADER_TABLE_SIZE
from wiretool.memo import Usefulness

STATIC_TABLE = HeaderTable.STATIC_TABLE
"""RFC 7541 Appendix A, from the hpack library (index 1 is ``STATIC_TABLE[0]``)."""
STATIC_TABLE_LENGTH = len(STATIC_TABLE)

DEFAULT_MAX_HEADER_LIST_SIZE = 256 * 1024
"""Default limit on the decoded size of one header list (RFC 7541 §4.1 sizes summed)."""

ENTRY_OVERHEAD = 32
"""RFC 7541 §4.1: each entry's size is name + value + 32."""

_Absolute = Callable[[int], int]
"""Maps an offset inside a header block to an absolute offset in the direction's stream."""

BLOCK_CACHE_ENTRIES = 16384
"""Decoded header blocks remembered by a ``BlockCache``, for all its contexts together
(512 per direction of 16 busy connections); about 4 KiB each at most."""
BLOCK_CACHE_MAX_BLOCK = 4096
"""Longer blocks are not remembered."""
class BlockCache:
    """Decodings of header blocks that changed nothing, for every context that uses it.

    Decoding is a function of the block's bytes and of its context's state (the table,
    its limits, whether history is complete), so while the state is unchanged a block
    seen before decodes to the same fields. The key is the block and the number of the
    state it was decoded in (``HpackContext._state``). A context whose state changed
    can never find its earlier decodings (state numbers are never reused), so it drops
    them then (``forget``): the cache holds the decodings of current states only. Only
    blocks that changed nothing and raised no diagnostic (those carry absolute offsets)
    are kept.

    One cache serves all the connections of a capture, so memory stays bounded however
    many there are: when it is full it empties and starts afresh; if it served few
    lookups for the blocks it took in (many connections, each sending a block once or
    twice), it rests for a while (``CACHE_REST``).
    """

    def __init__(self, entries: int = BLOCK_CACHE_ENTRIES) -> None:
        self.entries = entries
        self._decodings: dict[tuple[int, bytes], tuple[tuple[HeaderField, ...], int]] = {}
        """(state, block) -> the block's fields and decoded length."""
        self._blocks: dict[int, list[bytes]] = {}
        """state -> its blocks in ``_decodings``."""
        self.usefulness = Usefulness(entries)
        """Counts the blocks taken in (not the entries: states forget theirs)."""
        self._states = itertools.count(1)
        """Numbers of context states (``new_state``): no two states share one."""

    def new_state(self) -> int:
        """A number for a context's new state (at its start, and at every change)."""
        return next(self._states)

    def get(self, state: int, block: bytes) -> tuple[tuple[HeaderField, ...], int] | None:
        found = self._decodings.get((state, block))
        if found is not None:
            self.usefulness.hits += 1
        return found

    def put(self, state: int, block: bytes, fields: tuple[HeaderField, ...],
            decoded_length: int) -> None:
        if not self.entries or len(block) > BLOCK_CACHE_MAX_BLOCK:
            return
        admitted = self.usefulness.admit()
        resting = self.usefulness.resting
        if (admitted is None and resting) or len(self._decodings) >= self.entries:
            self._decodings.clear()
            self._blocks.clear()
        if resting or admitted is False:
            return
        key = bytes(block)
        self._decodings[(state, key)] = (fields, decoded_length)
        blocks = self._blocks.get(state)
        if blocks is None:
            self._blocks[state] = [key]
        else:
            blocks.append(key)

    def forget(self, state: int) -> None:
        """``state`` is over (its context changed or ended): drop its decodings."""
        blocks = self._blocks.pop(state, None)
        if blocks is not None:
            for block in blocks:
                self._decodings.pop((state, block), None)

    def __len__(self) -> int:
        return len(self._decodings)


HUFFMAN_CACHE_SIZE = 4096
"""Huffman-decoded strings remembered (a busy connection repeats the same few hundred)."""


@lru_cache(maxsize=HUFFMAN_CACHE_SIZE)
def decode_huffman(raw: bytes) -> bytes:
    """RFC 7541 §5.2 Huffman decoding, memoised: a pure function of the bytes, so the
    cache is exact (errors are raised every time, never cached)."""
    return _decode_huffman(raw)


class Representation(StrEnum):
    """RFC 7541 §6: how a header field (or a table size update) was encoded."""

    INDEXED = "indexed"
    """§6.1 Indexed Header Field (``1xxxxxxx``)."""
    INCREMENTAL = "incremental"
    """§6.2.1 Literal with Incremental Indexing (``01xxxxxx``)."""
    WITHOUT_INDEXING = "without-indexing"
    """§6.2.2 Literal without Indexing (``0000xxxx``)."""
    NEVER_INDEXED = "never-indexed"
    """§6.2.3 Literal Never Indexed (``0001xxxx``)."""
    SIZE_UPDATE = "size-update"
    """§6.3 Dynamic Table Size Update (``001xxxxx``)."""


class Table(StrEnum):
    """RFC 7541 §2.3: the two tables an index refers to (shown as ``s2``, ``d62``)."""

    STATIC = "static"
    """Appendix A, indexes 1-61."""
    DYNAMIC = "dynamic"
    """The connection's own, from index 62."""


@dataclass(frozen=True, slots=True)
class TableEntry:
    """One entry of the dynamic table."""

    name: bytes | None
    """``None`` when the name came from a dynamic entry the capture never saw."""
    value: bytes
    size: int
    """RFC 7541 §4.1 size; a lower bound (value + 32) when the name is unknown."""


class HeaderField(NamedTuple):
    """One representation in a header block.

    A ``NamedTuple`` like ``HeaderBlock``: a block that misses the decoding cache builds
    one per representation, and a frozen dataclass's ``__init__`` cost 4x more.
    """

    representation: Representation
    block_offset: int
    """Offset of the first byte inside the assembled header block; its absolute offset
    in the direction's stream is ``HeaderBlock.field_offset(field)`` (a field holds no
    absolute offset, so one decoding can be shared by every identical block)."""
    wire: bytes
    """The representation's bytes (may straddle HEADERS/CONTINUATION frames)."""
    name: bytes | None = None
    """Decoded name; ``None`` if unknown (mid-connection), not expanded, or a size update."""
    value: bytes | None = None
    """Decoded value; ``None`` likewise."""
    index: int | None = None  # type: ignore[assignment]  # shadows tuple.index, unused here
    """Indexed: the entry referenced; literal with indexed name: the name's index; else None."""
    table: Table | None = None
    """The table ``index`` refers to."""
    name_huffman: bool | None = None
    """Literal with a new name: whether the name was Huffman-coded (RFC 7541 §5.2)."""
    value_huffman: bool | None = None
    """Literal: whether the value was Huffman-coded."""
    size: int | None = None
    """RFC 7541 §4.1 size (name + value + 32); ``None`` when unknown."""
    unknown_entry: bool = False
    """References a dynamic entry inserted before the capture started."""
    expanded: bool = True
    """False once the header list passed ``--max-header-list-size``: counted, not shown."""
    inserted: bool = False
    """The field was added to the dynamic table (as index 62)."""
    evicted: tuple[TableEntry, ...] = ()
    """Entries evicted by this insertion or size update, oldest first."""
    new_table_size: int | None = None
    """Size update: the new maximum size."""


class HeaderBlock(NamedTuple):
    """A complete header block (HEADERS/PUSH_PROMISE + CONTINUATION) and its decoding.

    A ``NamedTuple`` like ``frames.Frame``: immutable, and one per header block of a
    busy capture, where a frozen dataclass's ``__init__`` cost 4x more.
    """

    stream_id: int
    offset: int
    """Absolute offset of the block's first byte."""
    segments: tuple[tuple[int, int], ...]
    """``(block_offset, absolute)`` at the start of each fragment (HEADERS or
    PUSH_PROMISE, then each CONTINUATION), in order."""
    wire_length: int
    """Octets of HPACK on the wire."""
    fields: tuple[HeaderField, ...]
    diagnostics: tuple[Diagnostic, ...]
    undecodable_from: int | None
    """Block offset from which the block could not be decoded (``None``: all of it)."""
    table: tuple[TableEntry, ...]
    """Dynamic table after the block, newest (index 62) first."""
    table_size: int
    """Octets in use by the known entries."""
    table_max_size: int
    """Current maximum size of the dynamic table."""
    table_incomplete: bool
    """The table may also hold entries inserted before the capture started."""
    decoded_length: int
    """Octets of names and values decoded (what HTTP/1.1-style text would carry)."""
    insertions: int
    """Fields added to the dynamic table."""
    evictions: int
    """Entries evicted from the dynamic table (by insertions and size updates)."""

    def absolute(self, block_offset: int) -> int:
        """The absolute offset of a byte of the block (RFC 9113 §4.3: a block is the
        concatenation of its fragments, which lie between frame headers on the wire)."""
        return _absolute(self.segments, block_offset)

    def field_offset(self, field: HeaderField) -> int:
        """Absolute offset of ``field``'s first byte in its direction's stream."""
        return self.absolute(field.block_offset)

    @property
    def header_list_size(self) -> int:
        """RFC 9113 §6.5.2 header list size: sum of name + value + 32 over known fields."""
        return sum(f.size or 0 for f in self.fields)

    @property
    def ratio(self) -> float | None:
        """Wire octets / decoded octets (lower is better compression)."""
        decoded = self.decoded_length
        return self.wire_length / decoded if decoded else None

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        """The decoded header list (fields with an unknown part are left out)."""
        return [
            (f.name, f.value)
            for f in self.fields
            if f.name is not None and f.value is not None
        ]


def _absolute(segments: Sequence[tuple[int, int]], block_offset: int) -> int:
    """``HeaderBlock.absolute`` over ``(block_offset, absolute)`` fragment starts."""
    if len(segments) == 1:
        seg_block, seg_abs = segments[0]
        return seg_abs + block_offset - seg_block
    # The last fragment starting at or before the offset (bisect: a block may have a
    # hundred thousand CONTINUATION fragments).
    index = max(bisect_right(segments, block_offset, key=_block_start) - 1, 0)
    seg_block, seg_abs = segments[index]
    return seg_abs + block_offset - seg_block


def _block_start(segment: tuple[int, int]) -> int:
    return segment[0]


class _Problem(Exception):
    """Internal: stop decoding the block at ``block_offset`` (never escapes this module)."""

    def __init__(self, block_offset: int, message: str) -> None:
        super().__init__(message)
        self.block_offset = block_offset
        self.message = message


class HpackContext:
    """The HPACK decoding context of one direction of one connection (RFC 7541 §2.2)."""

    def __init__(
        self,
        *,
        table_size_limit: int = DEFAULT_HEADER_TABLE_SIZE,
        limit_known: bool = True,
        history_complete: bool = True,
        max_header_list_size: int = DEFAULT_MAX_HEADER_LIST_SIZE,
        block_cache: BlockCache | None = None,
    ) -> None:
        self.entries: deque[TableEntry] = deque()
        """Known dynamic entries, newest first (index 62 is ``entries[0]``)."""
        self.size = 0
        """Octets in use by the known entries."""
        self.max_size = table_size_limit
        """Current maximum table size (changed by size updates, RFC 7541 §4.2)."""
        self.limit = table_size_limit
        """SETTINGS_HEADER_TABLE_SIZE the decoder allowed: size updates may not exceed it."""
        self.limit_known = limit_known
        """False when the decoder's SETTINGS were not seen (a limit breach is then a warning)."""
        self._history_complete = history_complete
        self.approximate = False
        """True once an entry with an unknown name was inserted (its size is a lower bound)."""
        self.max_header_list_size = max_header_list_size
        self.unknown_reason = "capture started mid-connection"
        """Why dynamic entries may be unknown, for the diagnostics that say so."""
        self._cache = block_cache
        """Where blocks that changed nothing are remembered (``BlockCache``; ``None``:
        nowhere, every block is decoded)."""
        self._state = block_cache.new_state() if block_cache is not None else 0
        """The number of this context's state in ``_cache``: new at every change."""
        self._snapshot: tuple[TableEntry, ...] | None = None
        """``tuple(self.entries)`` while the table is unchanged (shared by the blocks)."""

    @property
    def history_complete(self) -> bool:
        """True when the context saw the connection from its start: every index is knowable."""
        return self._history_complete

    @history_complete.setter
    def history_complete(self, value: bool) -> None:
        self._history_complete = value
        self._changed()

    def _changed(self) -> None:
        """The state a decoding depends on changed: the blocks decoded so far no longer
        apply (a new state number; the cache drops those of the old one)."""
        if self._cache is not None:
            self._cache.forget(self._state)
            self._state = self._cache.new_state()
        self._snapshot = None

    def release(self) -> None:
        """The input ends: the block cache may drop this context's decodings (a block
        decoded later is decoded afresh)."""
        if self._cache is not None:
            self._cache.forget(self._state)

    def lose_history(self, reason: str) -> None:
        """Header blocks may have been lost (a capture gap): forget the dynamic table.

        Entries inserted by a lost block would have shifted every known index
        (RFC 7541 §2.3.3), so none of the known entries can be trusted; later
        references to them are shown as unknown, and entries inserted from now on
        are known exactly again.
        """
        self.entries.clear()
        self.size = 0
        self.unknown_reason = reason
        self.history_complete = False  # also forgets the decoded blocks

    def set_limit(self, limit: int) -> None:
        """SETTINGS_HEADER_TABLE_SIZE acknowledged (RFC 7541 §4.2)."""
        self.limit = limit
        self.limit_known = True
        self._changed()

    def decode_block(
        self,
        block: bytes,
        *,
        stream_id: int = 0,
        segments: Sequence[tuple[int, int]] = ((0, 0),),
    ) -> HeaderBlock:
        """Decode one complete header block, updating the dynamic table.

        ``segments`` maps the block to absolute offsets: ``(block_offset, absolute)``
        for the start of each fragment, in order.
        """
        cache = self._cache
        known = cache.get(self._state, block) if cache is not None else None
        if known is not None:  # changed nothing: no insertion, no eviction
            return self._block(block, stream_id, tuple(segments), known[0], (), None,
                               known[1], 0, 0)

        def absolute(block_offset: int) -> int:  # for the diagnostics written meanwhile
            return _absolute(segments, block_offset)

        fields: list[HeaderField] = []
        diags: list[Diagnostic] = []
        undecodable: int | None = None
        list_size = 0
        over_limit = False
        pos = 0
        seen_field = False
        changes = False
        decoded_length = insertions = evictions = 0
        while pos < len(block):
            try:
                field, end = self._read_representation(block, pos, seen_field, absolute, diags)
            except _Problem as problem:
                undecodable = pos
                diags.append(
                    Diagnostic(
                        absolute(problem.block_offset),
                        Severity.ERROR,
                        f"HPACK: {problem.message} at offset {absolute(problem.block_offset)} "
                        f"(block offset {problem.block_offset}); the rest of this header block "
                        f"({len(block) - pos} byte(s)) is undecodable",
                        len(block) - problem.block_offset,
                    )
                )
                break
            evictions += len(field.evicted)
            if field.representation is Representation.SIZE_UPDATE:
                changes = True
            else:
                seen_field = True
                changes = changes or field.inserted or bool(field.evicted)
                insertions += field.inserted
                list_size += field.size or 0
                if list_size > self.max_header_list_size and not over_limit:
                    over_limit = True
                    at = absolute(field.block_offset)
                    diags.append(
                        Diagnostic(
                            at,
                            Severity.WARNING,
                            f"HPACK: header list exceeds {self.max_header_list_size} bytes at "
                            f"offset {at}; further fields are counted, not expanded",
                        )
                    )
                if over_limit:
                    field = field._replace(name=None, value=None, expanded=False)
                decoded_length += len(field.name or b"") + len(field.value or b"")
            fields.append(field)
            pos = end
        if changes:
            self._changed()
        decoded = tuple(fields)
        if not changes and not diags and cache is not None:
            cache.put(self._state, block, decoded, decoded_length)
        return self._block(block, stream_id, tuple(segments), decoded, tuple(diags),
                           undecodable, decoded_length, insertions, evictions)

    def _block(
        self,
        block: bytes,
        stream_id: int,
        segments: tuple[tuple[int, int], ...],
        fields: tuple[HeaderField, ...],
        diagnostics: tuple[Diagnostic, ...],
        undecodable_from: int | None,
        decoded_length: int,
        insertions: int,
        evictions: int,
    ) -> HeaderBlock:
        """The ``HeaderBlock`` of a decoding, with the table as it is now."""
        if self._snapshot is None:
            self._snapshot = tuple(self.entries)
        first_block, first_abs = segments[0]
        return HeaderBlock(
            stream_id=stream_id,
            offset=first_abs - first_block,
            segments=segments,
            wire_length=len(block),
            fields=fields,
            diagnostics=diagnostics,
            undecodable_from=undecodable_from,
            table=self._snapshot,
            table_size=self.size,
            table_max_size=self.max_size,
            table_incomplete=not self._history_complete or self.approximate,
            decoded_length=decoded_length,
            insertions=insertions,
            evictions=evictions,
        )

    # RFC 7541 §6: the first bits of the first octet say which representation follows.
    def _read_representation(
        self,
        block: bytes,
        pos: int,
        seen_field: bool,
        absolute: _Absolute,
        diags: list[Diagnostic],
    ) -> tuple[HeaderField, int]:
        first = block[pos]
        if first & 0x80:  # §6.1 Indexed Header Field
            index, end = _read_integer(block, pos, 7)
            name, value, table, unknown = self._lookup(index, pos, absolute, diags)
            size = table_entry_size(name, value) if name is not None and value is not None else None
            return HeaderField(
                Representation.INDEXED, pos, block[pos:end], name, value, index,
                table, size=size, unknown_entry=unknown,
            ), end
        if first & 0x40:  # §6.2.1 Literal with Incremental Indexing
            return self._read_literal(block, pos, 6, Representation.INCREMENTAL, absolute, diags)
        if first & 0x20:  # §6.3 Dynamic Table Size Update
            new_size, end = _read_integer(block, pos, 5)
            if seen_field:
                # §4.2: "MUST occur at the beginning of the first header block following
                # the change to the dynamic table size".
                raise _Problem(pos, "dynamic table size update after a header field")
            if new_size > self.limit:
                if self.limit_known:
                    raise _Problem(
                        pos, f"dynamic table size update to {new_size} exceeds the limit "
                        f"{self.limit} (SETTINGS_HEADER_TABLE_SIZE)"
                    )
                diags.append(
                    Diagnostic(
                        absolute(pos), Severity.WARNING,
                        f"HPACK: dynamic table size update to {new_size} at offset "
                        f"{absolute(pos)} exceeds the default limit {self.limit}; the peer's "
                        "SETTINGS_HEADER_TABLE_SIZE was not seen, so it is accepted",
                    )
                )
            self.max_size = new_size
            evicted = self._evict(0)
            return HeaderField(
                Representation.SIZE_UPDATE, pos, block[pos:end],
                evicted=evicted, new_table_size=new_size,
            ), end
        if first & 0x10:  # §6.2.3 Literal Never Indexed
            return self._read_literal(block, pos, 4, Representation.NEVER_INDEXED, absolute, diags)
        # §6.2.2 Literal without Indexing
        return self._read_literal(block, pos, 4, Representation.WITHOUT_INDEXING, absolute, diags)

    def _read_literal(
        self,
        block: bytes,
        pos: int,
        prefix: int,
        representation: Representation,
        absolute: _Absolute,
        diags: list[Diagnostic],
    ) -> tuple[HeaderField, int]:
        index, cursor = _read_integer(block, pos, prefix)
        name_huffman: bool | None = None
        unknown = False
        table: Table | None = None
        name: bytes | None
        if index:
            name, _value, table, unknown = self._lookup(index, pos, absolute, diags)
        else:
            name_huffman = bool(block[cursor] & 0x80) if cursor < len(block) else None
            name, cursor = _read_string(block, cursor)
        value_huffman = bool(block[cursor] & 0x80) if cursor < len(block) else None
        value, end = _read_string(block, cursor)
        size = table_entry_size(name, value) if name is not None else None
        inserted = False
        evicted: tuple[TableEntry, ...] = ()
        if representation is Representation.INCREMENTAL:
            # §4.4: evict from the end until the new entry fits, then add it at the front.
            if name is None:
                self.approximate = True
            entry_size = size if size is not None else len(value) + ENTRY_OVERHEAD
            evicted = self._evict(entry_size)
            if entry_size <= self.max_size:
                self.entries.appendleft(TableEntry(name, value, entry_size))
                self.size += entry_size
                inserted = True
        return HeaderField(
            representation, pos, block[pos:end], name, value,
            index or None, table, name_huffman, value_huffman, size, unknown,
            inserted=inserted, evicted=evicted,
        ), end

    def _evict(self, incoming: int) -> tuple[TableEntry, ...]:
        """Evict oldest entries until ``incoming`` more octets fit (RFC 7541 §4.3, §4.4)."""
        evicted: list[TableEntry] = []
        while self.entries and self.size + incoming > self.max_size:
            entry = self.entries.pop()
            self.size -= entry.size
            evicted.append(entry)
        return tuple(evicted)

    def _lookup(
        self, index: int, pos: int, absolute: _Absolute, diags: list[Diagnostic]
    ) -> tuple[bytes | None, bytes | None, Table, bool]:
        """``(name, value, table, unknown)`` for an index (RFC 7541 §2.3.3)."""
        if index == 0:
            raise _Problem(pos, "index 0 is not a valid table index (RFC 7541 §6.1)")
        if index <= STATIC_TABLE_LENGTH:
            name, value = STATIC_TABLE[index - 1]
            return name, value, Table.STATIC, False
        position = index - STATIC_TABLE_LENGTH - 1
        if position < len(self.entries):
            entry = self.entries[position]
            return entry.name, entry.value, Table.DYNAMIC, entry.name is None
        if self.history_complete:
            raise _Problem(
                pos, f"index {index} is past the end of the dynamic table "
                f"({len(self.entries)} entries)"
            )
        diags.append(
            Diagnostic(
                absolute(pos), Severity.WARNING,
                f"HPACK: dynamic entry {index} unknown ({self.unknown_reason}) at "
                f"offset {absolute(pos)}",
            )
        )
        return None, None, Table.DYNAMIC, True


def _read_integer(block: bytes, pos: int, prefix: int) -> tuple[int, int]:
    """RFC 7541 §5.1 integer at ``pos`` with an N-bit prefix: ``(value, next_offset)``."""
    # Fast path: a value below 2^N - 1 is the prefix itself, in one octet (most are).
    mask = (1 << prefix) - 1
    value = block[pos] & mask
    if value < mask:
        return value, pos + 1
    try:
        value, consumed = decode_integer(memoryview(block)[pos:], prefix)
    except HPACKDecodingError:
        end = pos + 1
        while end < len(block) and block[end] & 0x80:
            end += 1
        if end >= len(block):
            raise _Problem(pos, "integer runs past the end of the header block") from None
        raise _Problem(pos, "integer is too long (overflow, RFC 7541 §5.1)") from None
    return value, pos + consumed


def _read_string(block: bytes, pos: int) -> tuple[bytes, int]:
    """RFC 7541 §5.2 string literal: H bit, 7-bit-prefix length, octets."""
    if pos >= len(block):
        raise _Problem(pos, "string literal missing at the end of the header block")
    huffman = bool(block[pos] & 0x80)
    length, start = _read_integer(block, pos, 7)
    end = start + length
    if end > len(block):
        raise _Problem(
            pos, f"string length {length} runs past the end of the header block "
            f"({len(block) - start} byte(s) left)"
        )
    raw = block[start:end]
    if not huffman:
        return raw, end
    try:
        return decode_huffman(raw), end
    except HPACKDecodingError:
        raise _Problem(
            start, "invalid Huffman string (EOS symbol, or padding longer than 7 bits or "
            "not all ones, RFC 7541 §5.2)"
        ) from None
