"""HTTP/2 numbers and their names: frame types, flags, error codes, settings.

Names come from RFC 9113 (sections 6 and 7) and the extensions wiretool knows:
ALTSVC (RFC 7838), ORIGIN (RFC 8336), PRIORITY_UPDATE and
SETTINGS_NO_RFC7540_PRIORITIES (RFC 9218), SETTINGS_ENABLE_CONNECT_PROTOCOL
(RFC 8441). Error code names are taken from ``h2.errors.ErrorCodes`` (faithful,
and cheap to import); frame flags are written out here because hyperframe's
``defined_flags`` miss ORIGIN/PRIORITY_UPDATE and we need every bit, not a set.
This module knows nothing about parsing.
"""

from __future__ import annotations

from enum import IntEnum
from functools import lru_cache

from h2.errors import ErrorCodes

# RFC 9113 §3.4: the client connection preface.
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# RFC 9113 §4.1: every frame starts with a 9-octet header.
FRAME_HEADER_LENGTH = 9

# RFC 9113 §6.5.2: initial SETTINGS_MAX_FRAME_SIZE, and the allowed range.
DEFAULT_MAX_FRAME_SIZE = 16_384
MAX_MAX_FRAME_SIZE = 16_777_215

# RFC 7541 §4.2 / RFC 9113 §6.5.2: initial SETTINGS_HEADER_TABLE_SIZE.
DEFAULT_HEADER_TABLE_SIZE = 4_096


class FrameType(IntEnum):
    """Frame types wiretool decodes (RFC 9113 §6, RFC 7838, RFC 8336, RFC 9218)."""

    DATA = 0x0
    HEADERS = 0x1
    PRIORITY = 0x2
    RST_STREAM = 0x3
    SETTINGS = 0x4
    PUSH_PROMISE = 0x5
    PING = 0x6
    GOAWAY = 0x7
    WINDOW_UPDATE = 0x8
    CONTINUATION = 0x9
    ALTSVC = 0xA
    ORIGIN = 0xC
    PRIORITY_UPDATE = 0x10


# RFC 9113 §6: flags defined for each type. Bits not listed are unknown and, as
# §4.1 says, "MUST be ignored" - but wiretool still shows them.
FLAGS: dict[int, tuple[tuple[str, int], ...]] = {
    FrameType.DATA: (("END_STREAM", 0x1), ("PADDED", 0x8)),
    FrameType.HEADERS: (
        ("END_STREAM", 0x1), ("END_HEADERS", 0x4), ("PADDED", 0x8), ("PRIORITY", 0x20),
    ),
    FrameType.SETTINGS: (("ACK", 0x1),),
    FrameType.PUSH_PROMISE: (("END_HEADERS", 0x4), ("PADDED", 0x8)),
    FrameType.PING: (("ACK", 0x1),),
    FrameType.CONTINUATION: (("END_HEADERS", 0x4),),
}

END_STREAM = 0x1
ACK = 0x1
END_HEADERS = 0x4
PADDED = 0x8
PRIORITY_FLAG = 0x20


def type_name(frame_type: int) -> str:
    """``HEADERS`` for 1, ``UNKNOWN_0x42`` for a type nobody defined."""
    return _TYPE_NAMES[frame_type]


_TYPE_NAMES = [f"UNKNOWN_{frame_type:#04x}" for frame_type in range(256)]
"""Every type octet's name, looked up once per frame."""
for _known in FrameType:
    _TYPE_NAMES[_known] = _known.name


def flag_names(frame_type: int, flags: int) -> list[str]:
    """Names of the flags set, in bit order; unknown bits as ``0x10``."""
    return list(_flag_names(frame_type, flags))


@lru_cache(maxsize=1024)
def _flag_names(frame_type: int, flags: int) -> tuple[str, ...]:
    """``flag_names`` of a (type, flags) pair, memoised: a pure function of two octets."""
    names: list[str] = []
    known = 0
    for name, bit in FLAGS.get(frame_type, ()):
        known |= bit
        if flags & bit:
            names.append(name)
    for bit in range(8):
        if flags & (1 << bit) & ~known:
            names.append(f"{1 << bit:#04x}")
    return tuple(names)


def unknown_flags(frame_type: int, flags: int) -> int:
    """The bits of ``flags`` that have no meaning for this frame type."""
    known = 0
    for _name, bit in FLAGS.get(frame_type, ()):
        known |= bit
    return flags & ~known


ErrorCode = ErrorCodes
"""RFC 9113 §7 error codes (``PROTOCOL_ERROR``...): ``h2``'s ``IntEnum``, the one form
of an error code in wiretool."""


def error_name(code: int) -> str:
    """RFC 9113 §7 name of an error code, or ``UNKNOWN_0x...``."""
    try:
        return ErrorCode(code).name
    except ValueError:
        return f"UNKNOWN_{code:#x}"


# RFC 9113 §6.5.2, RFC 8441 §3 (0x8), RFC 9218 §2.1 (0x9).
SETTING_NAMES: dict[int, str] = {
    0x1: "HEADER_TABLE_SIZE",
    0x2: "ENABLE_PUSH",
    0x3: "MAX_CONCURRENT_STREAMS",
    0x4: "INITIAL_WINDOW_SIZE",
    0x5: "MAX_FRAME_SIZE",
    0x6: "MAX_HEADER_LIST_SIZE",
    0x8: "ENABLE_CONNECT_PROTOCOL",
    0x9: "NO_RFC7540_PRIORITIES",
}

SETTINGS_HEADER_TABLE_SIZE = 0x1
SETTINGS_MAX_FRAME_SIZE = 0x5


def setting_name(identifier: int) -> str:
    return SETTING_NAMES.get(identifier, f"UNKNOWN_{identifier:#x}")


def frame_type_number(name: str) -> int:
    """A frame type as a user names it: ``HEADERS`` (any case), ``0x1`` or ``1``.
    Raises ValueError naming the known types."""
    try:
        return int(name, 0) if name[:1].isdigit() else int(FrameType[name.upper()])
    except (KeyError, ValueError):
        known = ", ".join(t.name for t in FrameType)
        raise ValueError(f"unknown frame type {name!r} (known: {known}, or a number)") from None
