"""Decide from its first bytes whether a TCP connection carries HTTP/2, on any port.

Pure and sans-IO: :func:`detect_http2` takes the first bytes seen in each
direction (as delivered by ``tcp.py``, from stream offset 0) and answers
``HTTP2``, ``NOT_HTTP2`` or ``NEED_MORE`` (call again with more bytes). Evidence,
strongest first:

1. the client connection preface ``PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n``
   (RFC 9113 section 3.4) — in either direction, since without a captured SYN the
   reassembler only guesses which side is the client;
2. an HTTP/1.1 request with ``Upgrade: h2c`` answered by ``101 Switching
   Protocols`` (RFC 7540 section 3.2; removed from RFC 9113 but still deployed):
   the ``HTTP2-Settings`` header is base64url-decoded into the client's SETTINGS
   payload, and HTTP/2 starts after the request (and its body) in the client
   direction and after the 101 response in the server direction;
3. a server whose first bytes are a SETTINGS frame (RFC 9113 section 3.4: the
   server preface), e.g. when the client's preface was not captured;
4. both directions starting with a plausible chain of HTTP/2 frame headers, for
   captures that begin in the middle of a connection (weakest).

Reading the frames is left to ``frames.py`` and ``connection.py``.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from enum import StrEnum

from wiretool.errors import Diagnostic, Severity
from wiretool.http2.constants import (
    ACK,
    DEFAULT_MAX_FRAME_SIZE,
    FRAME_HEADER_LENGTH,
    PREFACE,
    FrameType,
)

MAX_HTTP1_HEAD_BYTES = 64 * 1024
"""An HTTP/1.1 head longer than this is not an h2c upgrade we will wait for."""
_ON_STREAM_ZERO = frozenset({FrameType.SETTINGS, FrameType.PING, FrameType.GOAWAY})
"""RFC 9113 §6: the frame types that live on stream 0."""
_LAST_DEFINED = max(FrameType)

_REQUEST_LINE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+ \S+ HTTP/1\.[01]\r?\n")
_STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})(?: [^\r\n]*)?\r?\n")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


class Verdict(StrEnum):
    HTTP2 = "http2"
    NOT_HTTP2 = "not-http2"
    NEED_MORE = "need-more"
    """Undecided: call again when more bytes arrived (or with ``*_done=True``)."""


class Evidence(StrEnum):
    PREFACE = "preface"
    H2C_UPGRADE = "h2c-upgrade"
    SERVER_SETTINGS = "server-settings"
    FRAMES = "frames"
    """Both directions parse as HTTP/2 frames; the capture started mid-connection."""


@dataclass(frozen=True, slots=True)
class Detection:
    """The answer of :func:`detect_http2`. Offsets are stream offsets per direction."""

    verdict: Verdict
    evidence: Evidence | None = None
    swapped: bool = False
    """True when the direction labelled *server* is really the client (it sent the
    preface or the h2c request). ``client_start``/``server_start`` already refer to
    the real roles; the caller relabels the reassembler's directions."""
    client_start: int | None = None
    """Where HTTP/2 begins in the real client's stream (at the preface, when sent)."""
    server_start: int | None = None
    """Where HTTP/2 begins in the real server's stream (its SETTINGS frame)."""
    upgrade_settings: bytes | None = None
    """h2c only: the decoded ``HTTP2-Settings`` header, a SETTINGS frame payload."""
    reason: str = ""
    """One line saying why, for the summary of non-HTTP/2 connections."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """Problems found on the way (offsets are stream offsets of the real client)."""


def detect_http2(
    client: bytes,
    server: bytes,
    *,
    client_done: bool = False,
    server_done: bool = False,
    roles_certain: bool = False,
) -> Detection:
    """Classify a connection from the first bytes of each direction.

    ``client``/``server`` are labelled as the reassembler labelled them;
    ``*_done`` says no more bytes will come in that direction; ``roles_certain``
    (the SYN was seen) forbids swapping the labels.
    """
    for real_client, real_server, swapped in _orders(client, server, roles_certain):
        if real_client.startswith(PREFACE):
            return Detection(Verdict.HTTP2, Evidence.PREFACE, swapped, 0,
                             0 if real_server else None,
                             reason="client connection preface")
    for real_client, real_server, swapped in _orders(client, server, roles_certain):
        done = (server_done, client_done) if swapped else (client_done, server_done)
        found = _h2c(real_client, real_server, swapped, *done)
        if found is not None:
            return found
    for labelled in ((client,) if roles_certain else (client, server)):
        if _REQUEST_LINE.match(labelled) and _HEADER_END.search(labelled, 0,
                                                                 MAX_HTTP1_HEAD_BYTES):
            return Detection(Verdict.NOT_HTTP2, reason=_describe(labelled))
    if _is_settings_header(server):
        return Detection(Verdict.HTTP2, Evidence.SERVER_SETTINGS, False,
                         0 if client else None, 0, reason="server starts with SETTINGS")
    if not roles_certain and _is_settings_header(client) and not _could_be_preface(server):
        return Detection(Verdict.HTTP2, Evidence.SERVER_SETTINGS, True,
                         0 if server else None, 0, reason="server starts with SETTINGS")
    if _could_be_preface(client) and not client_done and len(client) < len(PREFACE):
        return Detection(Verdict.NEED_MORE, reason="client preface incomplete")
    if (not roles_certain and _could_be_preface(server) and not server_done
            and len(server) < len(PREFACE)):
        return Detection(Verdict.NEED_MORE, reason="client preface incomplete")
    if len(server) < FRAME_HEADER_LENGTH and not server_done:
        if client and not _could_be_frames(client) and _REQUEST_LINE.match(client) is None:
            return Detection(Verdict.NOT_HTTP2, reason=_describe(client))
        return Detection(Verdict.NEED_MORE, reason="waiting for the server's first bytes")
    if _frame_chain(client) >= 2 and _frame_chain(server) >= 2:
        return Detection(Verdict.HTTP2, Evidence.FRAMES, False, 0, 0,
                         reason="both directions parse as HTTP/2 frames (mid-connection)")
    return Detection(Verdict.NOT_HTTP2, reason=_describe(client or server))


def _orders(client: bytes, server: bytes, roles_certain: bool
            ) -> list[tuple[bytes, bytes, bool]]:
    orders = [(client, server, False)]
    if not roles_certain:
        orders.append((server, client, True))
    return orders


def _could_be_preface(data: bytes) -> bool:
    return PREFACE.startswith(data[: len(PREFACE)])


def _is_settings_header(data: bytes) -> bool:
    """A non-ACK SETTINGS frame on stream 0 whose length is a multiple of 6."""
    if len(data) < FRAME_HEADER_LENGTH:
        return False
    length = int.from_bytes(data[:3], "big")
    stream_id = int.from_bytes(data[5:9], "big") & 0x7FFFFFFF
    return (data[3] == FrameType.SETTINGS and not data[4] & ACK and stream_id == 0
            and length % 6 == 0 and length <= DEFAULT_MAX_FRAME_SIZE)


def _could_be_frames(data: bytes) -> bool:
    return len(data) < FRAME_HEADER_LENGTH or _frame_chain(data) >= 1


def _frame_chain(data: bytes) -> int:
    """How many plausible HTTP/2 frame headers follow one another from offset 0."""
    count = at = 0
    while at + FRAME_HEADER_LENGTH <= len(data) and count < 16:
        length = int.from_bytes(data[at:at + 3], "big")
        ftype, stream = data[at + 3], int.from_bytes(data[at + 5:at + 9], "big")
        if length > DEFAULT_MAX_FRAME_SIZE or stream & 0x80000000 or ftype > _LAST_DEFINED:
            return count
        on_zero = ftype in _ON_STREAM_ZERO
        if (ftype <= FrameType.CONTINUATION and on_zero != (stream == 0)
                and ftype != FrameType.WINDOW_UPDATE):
            return count
        count += 1
        at += FRAME_HEADER_LENGTH + length
    return count


def _describe(data: bytes) -> str:
    if _REQUEST_LINE.match(data):
        return "HTTP/1.x without an h2c upgrade"
    if data[:3] == b"\x16\x03\x01" or data[:3] == b"\x16\x03\x03":
        return "TLS (encrypted; HTTP/2 inside cannot be seen)"
    if not data:
        return "no payload"
    return "no HTTP/2 preface, upgrade or SETTINGS"


def _h2c(client: bytes, server: bytes, swapped: bool, client_done: bool, server_done: bool
         ) -> Detection | None:
    """Detection for an HTTP/1.1 ``Upgrade: h2c`` exchange, or None if it is not one."""
    if _REQUEST_LINE.match(client) is None:
        return None
    head_end = _HEADER_END.search(client, 0, MAX_HTTP1_HEAD_BYTES)
    if head_end is None:
        if client_done or len(client) >= MAX_HTTP1_HEAD_BYTES:
            return Detection(Verdict.NOT_HTTP2, reason="HTTP/1.x request head never ends")
        return Detection(Verdict.NEED_MORE, reason="HTTP/1.x request head incomplete")
    headers = _headers(client[:head_end.start()])
    if "h2c" not in _tokens(headers.get("upgrade", "")):
        return None
    diags: list[Diagnostic] = []
    settings: bytes | None = None
    encoded = headers.get("http2-settings")
    if encoded is None:
        diags.append(Diagnostic(0, Severity.ERROR,
                                "h2c upgrade request without an HTTP2-Settings header "
                                "(RFC 7540 section 3.2.1)"))
    else:
        settings = _base64url(encoded.strip())
        if settings is None:
            diags.append(Diagnostic(0, Severity.ERROR, f"HTTP2-Settings {encoded!r} is not "
                                    "base64url (RFC 7540 section 3.2.1)"))
        elif len(settings) % 6:
            diags.append(Diagnostic(0, Severity.ERROR, f"HTTP2-Settings decodes to "
                                    f"{len(settings)} bytes, not a multiple of 6"))
    body = headers.get("content-length", "0").strip()
    client_start = head_end.end() + (int(body) if body.isdigit() else 0)
    if "chunked" in _tokens(headers.get("transfer-encoding", "")):
        diags.append(Diagnostic(head_end.end(), Severity.WARNING, "chunked request body "
                                "before an h2c upgrade is not followed; HTTP/2 is assumed to "
                                "start right after the request head"))
    # The server may send interim 1xx responses (100 Continue) before the 101.
    at = 0
    while True:
        status = _STATUS_LINE.match(server, at)
        if status is None:
            head = server[at:at + 16]
            if not server_done and b"\n" not in head and (
                    head.startswith(b"HTTP/1.") or b"HTTP/1.".startswith(head)):
                return Detection(Verdict.NEED_MORE, reason="waiting for the upgrade response")
            return Detection(Verdict.NOT_HTTP2, reason="h2c upgrade request without an "
                             "HTTP/1.1 response", diagnostics=tuple(diags))
        end = _HEADER_END.search(server, status.start(), status.start() + MAX_HTTP1_HEAD_BYTES)
        if end is None:
            if server_done or len(server) - at >= MAX_HTTP1_HEAD_BYTES:
                return Detection(Verdict.NOT_HTTP2, reason="upgrade response head never ends")
            return Detection(Verdict.NEED_MORE, reason="upgrade response head incomplete")
        code = int(status.group(1))
        if code == 101:
            break
        if 100 <= code < 200:
            at = end.end()
            continue
        return Detection(Verdict.NOT_HTTP2, reason=f"h2c upgrade declined with status {code}",
                         diagnostics=tuple(diags))
    if len(client) >= client_start + len(PREFACE) and not client[client_start:].startswith(
        PREFACE
    ):
        diags.append(Diagnostic(client_start, Severity.ERROR, "after the h2c upgrade the "
                                f"client does not send the connection preface at offset "
                                f"{client_start} (RFC 7540 section 3.5)", len(PREFACE)))
    return Detection(Verdict.HTTP2, Evidence.H2C_UPGRADE, swapped, client_start, end.end(),
                     settings, "HTTP/1.1 upgrade to h2c", tuple(diags))


def _headers(head: bytes) -> dict[str, str]:
    """Header fields of an HTTP/1.x head, names lower-cased (last one wins)."""
    fields: dict[str, str] = {}
    for line in head.split(b"\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            fields[name.strip().decode("latin-1").lower()] = value.strip().decode("latin-1")
    return fields


def _tokens(value: str) -> list[str]:
    return [token.strip().lower() for token in value.split(",")]


def _base64url(text: str) -> bytes | None:
    """RFC 7540 3.2.1: base64url without padding (we also accept padding)."""
    text = text.rstrip("=")
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text) or len(text) % 4 == 1:
        return None
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
