"""Bookkeeping for the memos of the fast paths: is a memo earning its keep?

A memo that remembers what it will rarely be asked again costs more than it saves
(a capture of many connections, each sending a block once or twice). ``Usefulness``
counts the lookups a memo served against the entries it took in and tells it when to
empty and rest. Used by ``wiretool.http2.hpack.BlockCache`` and the JSON-lines
writer's header-text memo; it knows nothing of what they remember.
"""

from __future__ import annotations

CACHE_REST = 4
"""A memo that took in as many entries as it holds while serving fewer lookups than one
per eight of them (many connections, each sending a block once or twice) empties and
remembers nothing for this many times its size, then tries again: remembering cost
more time than it saved (``hpack.BlockCache``, ``h2_jsonl.DecodingMemo``). Telling such
a capture from a memo still warming up takes that many entries first."""


class Usefulness:
    """Whether a memo earns its keep: lookups served against entries taken in, over
    each ``capacity`` of them (see ``CACHE_REST``)."""

    __slots__ = ("added", "capacity", "hits", "resting")

    def __init__(self, capacity: int) -> None:
        self.capacity = max(capacity, 1)
        self.hits = 0
        self.added = 0
        self.resting = 0
        """Entries still to be let pass unremembered."""

    def admit(self) -> bool | None:
        """Before adding an entry: True to add it; False to let it pass (resting); None
        when ``capacity`` entries were taken in since the last None (a memo that never
        drops entries is then full): the memo empties if it starts resting, and adds the
        entry unless it does."""
        if self.resting:
            self.resting -= 1
            return False
        self.added += 1
        if self.added <= self.capacity:
            return True
        if self.hits * 8 < self.capacity:
            self.resting = CACHE_REST * self.capacity
        self.hits = 0
        self.added = 0 if self.resting else 1  # this entry, when it is added
        return None
