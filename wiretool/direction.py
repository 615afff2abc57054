"""Which side of a connection sent something: the one ``Direction`` of every layer.

TCP reassembly labels the bytes of each direction, the HTTP/2 layer labels frames,
header blocks and gRPC messages with it, and renderers write its value (``client``,
``server``). A ``StrEnum``, so it prints and serialises as that word.
"""

from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    """Which side sent the bytes."""

    CLIENT = "client"
    """The side that opened the connection (sent the SYN, or the HTTP/2 preface)."""
    SERVER = "server"

    @property
    def peer(self) -> Direction:
        """The other side."""
        return Direction.SERVER if self is Direction.CLIENT else Direction.CLIENT
