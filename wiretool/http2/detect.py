"""Decide from its first bytes whether a TCP connection carries HTTP/2, on any port.

Pure and sans-IO: :func:`detect_http2` takes the first bytes seen in each
direction (as delivered by ``tcp.py``, from the stream offset where the session
started looking: 0, or the end of a leading gap, or where a tunnel begins) and
answers ``HTTP2``, ``NOT_HTTP2``, ``TUNNEL`` or ``NEED_MORE`` (call again with more
bytes). Evidence, strongest first:

1. the client connection preface ``PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n``
   (RFC 9113 section 3.4) — in either direction, since without a captured SYN the
   reassembler only guesses which side is the client; also right after an HTTP/1.1
   request whose 101 answer is not in the capture (an h2c upgrade, RFC 7540 section
   3.2, seen from the client's side only). A server that starts with ``101
   Switching Protocols`` to h2c speaks HTTP/2 from the byte after it;
2. an HTTP/1.1 request with ``Upgrade: h2c`` answered by ``101 Switching
   Protocols`` (RFC 7540 section 3.2; removed from RFC 9113 but still deployed):
   the ``HTTP2-Settings`` header is base64url-decoded into the client's SETTINGS
   payload, and HTTP/2 starts after the request (and its body) in the client
   direction and after the 101 response in the server direction; the server's 101
   followed by its SETTINGS is enough when the request was not captured;
3. an HTTP/1.1 ``CONNECT host:port`` answered 2xx (RFC 9110 section 9.3.6): not
   HTTP/2 itself but a ``TUNNEL`` whose bytes, after the two heads, are another
   connection — the caller detects that one afresh;
4. a server whose first bytes are a SETTINGS frame (RFC 9113 section 3.4: the
   server preface), e.g. when the client's preface was not captured;
5. a run of plausible HTTP/2 frame headers, for captures that begin in the middle
   of a connection: in both directions from their first byte, or — when a side is
   not in the capture at all, or the capture missed the connection's start — a
   longer run in one direction, or found a few bytes in (weakest).

Reading the frames is left to ``frames.py`` and ``connection.py``.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, replace
from enum import StrEnum

from wiretool.errors import Diagnostic, Severity
from wiretool.http2.constants import (
    ACK,
    DEFAULT_MAX_FRAME_SIZE,
    FRAME_HEADER_LENGTH,
    PADDED,
    PREFACE,
    PRIORITY_FLAG,
    FrameType,
    unknown_flags,
)

MAX_HTTP1_HEAD_BYTES = 64 * 1024
"""An HTTP/1.1 head longer than this is not an h2c upgrade we will wait for."""
_ON_STREAM_ZERO = frozenset({FrameType.SETTINGS, FrameType.PING, FrameType.GOAWAY})
"""RFC 9113 §6: the frame types that live on stream 0."""
_LAST_DEFINED = max(FrameType)
ONE_SIDE_FRAMES = 3
"""Plausible frame headers in a row that make one direction HTTP/2 on its own (the
other side is not in the capture), or that a capture which missed the connection's
start must show from where they begin."""
MID_FRAME_SEARCH = DEFAULT_MAX_FRAME_SIZE + FRAME_HEADER_LENGTH
"""A capture that missed the connection's start may begin inside a frame: its first
run of frames is looked for this far in (one frame of the initial maximum size)."""
MID_FRAME_WAIT = 2 * MID_FRAME_SEARCH
"""Bytes of a direction awaited for such a run before saying it is not HTTP/2."""

_REQUEST_LINE = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+ \S+ HTTP/1\.[01]\r?\n")
_CONNECT_LINE = re.compile(rb"CONNECT (\S+) HTTP/1\.[01]\r?\n")
_STATUS_LINE = re.compile(rb"HTTP/1\.[01] (\d{3})(?: [^\r\n]*)?\r?\n")
_HEADER_END = re.compile(rb"\r?\n\r?\n")


class Verdict(StrEnum):
    HTTP2 = "http2"
    NOT_HTTP2 = "not-http2"
    TUNNEL = "tunnel"
    """HTTP/1.1 CONNECT answered 2xx: the bytes after the heads are another connection."""
    NEED_MORE = "need-more"
    """Undecided: call again when more bytes arrived (or with ``*_done=True``)."""


class Evidence(StrEnum):
    PREFACE = "preface"
    H2C_UPGRADE = "h2c-upgrade"
    SERVER_SETTINGS = "server-settings"
    FRAMES = "frames"
    """Runs of HTTP/2 frames; the capture started mid-connection or holds one side."""


@dataclass(frozen=True, slots=True)
class Detection:
    """The answer of :func:`detect_http2`. Offsets are offsets in the bytes given."""

    verdict: Verdict
    evidence: Evidence | None = None
    swapped: bool = False
    """True when the direction labelled *server* is really the client (it sent the
    preface or the h2c request). ``client_start``/``server_start`` already refer to
    the real roles; the caller relabels the reassembler's directions."""
    client_start: int | None = None
    """Where HTTP/2 begins in the real client's stream (at the preface, when sent); for
    a ``TUNNEL``, where the tunnelled bytes begin."""
    server_start: int | None = None
    """Where HTTP/2 begins in the real server's stream (its SETTINGS frame)."""
    upgrade_settings: bytes | None = None
    """h2c only: the decoded ``HTTP2-Settings`` header, a SETTINGS frame payload."""
    reason: str = ""
    """One line saying why, for the summary of non-HTTP/2 connections."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """Problems found on the way (offsets are stream offsets of the real client)."""
    client_resync: bool = False
    """The real client's bytes at ``client_start`` may not be a frame boundary: read
    them looking for the next plausible frame header."""
    server_resync: bool = False
    """Likewise for the real server's bytes at ``server_start``."""
    upgrade_request: bool = False
    """h2c: the client's upgrade request is in the bytes (it is stream 1)."""
    tunnel_target: str | None = None
    """``TUNNEL``: the CONNECT request's target (``host:port``)."""
    tunnel_status: int | None = None
    """``TUNNEL``: the proxy's 2xx answer; ``None`` when it is not in the capture."""
    could_be_http2: bool = False
    """``NOT_HTTP2`` for want of evidence, not because the bytes are another protocol:
    worth a hint that ``--port`` reads it as HTTP/2 anyway."""


def detect_http2(
    client: bytes,
    server: bytes,
    *,
    client_done: bool = False,
    server_done: bool = False,
    roles_certain: bool = False,
    start_seen: bool = True,
) -> Detection:
    """Classify a connection from the first bytes of each direction.

    ``client``/``server`` are labelled as the reassembler labelled them;
    ``*_done`` says no more bytes will come in that direction; ``roles_certain``
    (the SYN was seen) forbids swapping the labels; ``start_seen`` is false when the
    capture missed the connection's beginning (no handshake): the bytes may start
    inside a frame.
    """
    found = _decide(client, server, client_done, server_done, roles_certain, start_seen)
    if found.verdict is Verdict.HTTP2:
        return _one_side_note(found, client, server, client_done, server_done)
    return found


def _decide(client: bytes, server: bytes, client_done: bool, server_done: bool,
            roles_certain: bool, start_seen: bool) -> Detection:
    orders = _orders(client, server, client_done, server_done, roles_certain)
    for real_client, real_server, swapped, _c_done, s_done in orders:
        if real_client.startswith(PREFACE):
            return _after_server_heads(
                Detection(Verdict.HTTP2, Evidence.PREFACE, swapped, 0,
                          0 if real_server else None, reason="client connection preface"),
                real_server, s_done)
    for real_client, real_server, swapped, c_done, s_done in orders:
        found = (_connect(real_client, real_server, swapped, c_done, s_done)
                 or _h2c(real_client, real_server, swapped, c_done, s_done)
                 or _server_upgrade(real_client, real_server, swapped, s_done))
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
        if (client and start_seen and not _could_be_frames(client)
                and _REQUEST_LINE.match(client) is None):
            return Detection(Verdict.NOT_HTTP2, reason=_describe(client))
        return Detection(Verdict.NEED_MORE, reason="waiting for the server's first bytes")
    if _frame_chain(client) >= 2 and _frame_chain(server) >= 2:
        return Detection(Verdict.HTTP2, Evidence.FRAMES, False, 0, 0,
                         reason="both directions parse as HTTP/2 frames (mid-connection)")
    found = _one_side(client, server, client_done, server_done, roles_certain)
    if found is None and not start_seen:
        found = _mid_frame(client, server, client_done, server_done)
    if found is not None:
        return found
    return _not_http2(client, server, client_done, server_done)


def clean_start(data: bytes) -> bool:
    """Reading may begin at the first byte of ``data`` (bytes that follow a gap): they
    start with the client preface, or with strictly plausible frame headers in a row
    (two, or one frame that ends with the data)."""
    if data.startswith(PREFACE):
        return True
    count = _frame_chain(data, strict=True)
    return count >= 2 or (count == 1 and FRAME_HEADER_LENGTH + int.from_bytes(
        data[:3], "big") == len(data))


def _orders(client: bytes, server: bytes, client_done: bool, server_done: bool,
            roles_certain: bool) -> list[tuple[bytes, bytes, bool, bool, bool]]:
    """``(real client, real server, swapped, client done, server done)`` to try."""
    orders = [(client, server, False, client_done, server_done)]
    if not roles_certain:
        orders.append((server, client, True, server_done, client_done))
    return orders


def starts_like_http2(data: bytes) -> bool:
    """``data``, the first bytes of one direction (at least a frame header of them),
    begins with (a prefix of) the client preface or a plausible frame header: the test
    a one-direction dump must pass to be read as HTTP/2 without a warning."""
    return _could_be_preface(data) or _frame_chain(data) >= 1


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


def _frame_chain(data: bytes, at: int = 0, *, strict: bool = False) -> int:
    """How many plausible HTTP/2 frame headers follow one another from ``at``.

    ``strict`` (evidence from one direction alone): also only RFC 9113 types and no
    undefined flag bits, as the frame reader resynchronises.
    """
    count = 0
    while at + FRAME_HEADER_LENGTH <= len(data) and count < 16:
        length = int.from_bytes(data[at:at + 3], "big")
        ftype, stream = data[at + 3], int.from_bytes(data[at + 5:at + 9], "big")
        if length > DEFAULT_MAX_FRAME_SIZE or stream & 0x80000000 or ftype > _LAST_DEFINED:
            return count
        on_zero = ftype in _ON_STREAM_ZERO
        if (ftype <= FrameType.CONTINUATION and on_zero != (stream == 0)
                and ftype != FrameType.WINDOW_UPDATE):
            return count
        if strict and (ftype > FrameType.CONTINUATION or unknown_flags(ftype, data[at + 4])):
            return count
        count += 1
        at += FRAME_HEADER_LENGTH + length
    return count


def _is_run(data: bytes, done: bool, at: int = 0) -> bool:
    """``data`` from ``at`` is a run of strictly plausible frames: ``ONE_SIDE_FRAMES`` of
    them, or (no more bytes will come) at least two that end exactly with the data."""
    count = _frame_chain(data, at, strict=True)
    if count >= ONE_SIDE_FRAMES:
        return True
    if not done or count < 2:
        return False
    for _frame in range(count):
        at += FRAME_HEADER_LENGTH + int.from_bytes(data[at:at + 3], "big")
    return at == len(data)


def _side_from_frames(data: bytes) -> tuple[bool, str] | None:
    """Who sent this run of frames, from what only one side sends, and how that shows:
    ``(True, why)`` for the client (a request's first header is an indexed ``:method``,
    ``:path`` or ``:scheme``, RFC 7541 Appendix A indexes 2-7), ``(False, why)`` for the
    server (PUSH_PROMISE, or a response that starts with an indexed ``:status``, indexes
    8-14); None if the frames do not tell."""
    at = 0
    while at + FRAME_HEADER_LENGTH < len(data):
        length = int.from_bytes(data[at:at + 3], "big")
        ftype, flags = data[at + 3], data[at + 4]
        if ftype == FrameType.PUSH_PROMISE:
            return False, "it pushes (PUSH_PROMISE)"
        if ftype == FrameType.HEADERS:
            first = at + FRAME_HEADER_LENGTH + (1 if flags & PADDED else 0) + (
                5 if flags & PRIORITY_FLAG else 0)
            if first < min(len(data), at + FRAME_HEADER_LENGTH + length):
                index = data[first] & 0x7F if data[first] & 0x80 else 0
                if 2 <= index <= 7:
                    return True, "its first header block is a request"
                if 8 <= index <= 14:
                    return False, "its first header block is a response"
        at += FRAME_HEADER_LENGTH + length
    return None


def one_side_text(side: str) -> str:
    """How a connection is said to miss one side: ``no bytes from the server in the
    capture`` (``side``: ``client`` or ``server``, the side that sent nothing)."""
    return f"no bytes from the {side} in the capture"


def _one_side(client: bytes, server: bytes, client_done: bool, server_done: bool,
              roles_certain: bool) -> Detection | None:
    """One direction is not in the capture (no bytes, and none will come): the other
    is HTTP/2 if it is a run of plausible frames; which side sent it is the
    reassembler's, checked against the first header block when the roles are a guess."""
    if client and not server and server_done:
        labelled_client, data, done = True, client, client_done
    elif server and not client and client_done:
        labelled_client, data, done = False, server, server_done
    else:
        return None
    if not _is_run(data, done):
        return None
    is_client = labelled_client
    told = ""
    if not roles_certain:
        found = _side_from_frames(data)
        if found is not None:
            is_client = found[0]
            told = f" ({found[1]})"
    side = "client" if is_client else "server"
    return Detection(Verdict.HTTP2, Evidence.FRAMES, is_client != labelled_client,
                     0 if is_client else None, None if is_client else 0,
                     reason=f"the {side}'s bytes parse as HTTP/2 frames{told}")


_CANDIDATE = re.compile(rb"(?=\x00[\x00-\x40][\x00-\xff][\x00-\x09])", re.DOTALL)
"""Where a strictly plausible frame header may start: a length of at most 16384 (the
initial SETTINGS_MAX_FRAME_SIZE) and an RFC 9113 type; the rest is checked after."""


def _mid_start(data: bytes, done: bool) -> int | None:
    """Where the first run of plausible frames begins in bytes that may start inside a
    frame (within ``MID_FRAME_SEARCH``), or None."""
    limit = min(len(data) - FRAME_HEADER_LENGTH + 1, MID_FRAME_SEARCH)
    for found in _CANDIDATE.finditer(data, 0, max(limit, 0) + 3):
        at = found.start()
        if at < limit and _is_run(data, done, at):
            return at
    return None


def _mid_frame(client: bytes, server: bytes, client_done: bool, server_done: bool
               ) -> Detection | None:
    """The capture missed the connection's start: a direction holds a run of plausible
    frames, a few bytes in when its first frame was cut. The other direction starts at
    its own run, or is read looking for one. ``NEED_MORE`` while neither has a run and
    ``MID_FRAME_WAIT`` bytes have not come yet."""
    starts: list[int | None] = []
    for data, done in ((client, client_done), (server, server_done)):
        starts.append(_mid_start(data, done) if data else None)
    client_start, server_start = starts
    if client_start is None and server_start is None:
        waiting = any(not done and len(data) < MID_FRAME_WAIT
                      for data, done in ((client, client_done), (server, server_done)))
        return Detection(Verdict.NEED_MORE, reason="looking for a run of frames") if (
            waiting) else None
    return Detection(Verdict.HTTP2, Evidence.FRAMES, False,
                     client_start or 0 if client else None,
                     server_start or 0 if server else None,
                     reason="runs of HTTP/2 frames after the first bytes (the capture "
                     "started mid-connection)",
                     client_resync=bool(client) and client_start != 0,
                     server_resync=bool(server) and server_start != 0)


def _one_side_note(found: Detection, client: bytes, server: bytes, client_done: bool,
                   server_done: bool) -> Detection:
    """Say so when the capture holds no bytes of one side of an HTTP/2 connection."""
    real_client, real_server = (server, client) if found.swapped else (client, server)
    c_done, s_done = (server_done, client_done) if found.swapped else (client_done,
                                                                        server_done)
    if not real_server and s_done and real_client:
        note = one_side_text("server")
    elif not real_client and c_done and real_server:
        note = one_side_text("client")
    else:
        return found
    return replace(found, reason=f"{found.reason}; {note}")


def _not_http2(client: bytes, server: bytes, client_done: bool, server_done: bool
               ) -> Detection:
    """Nothing says HTTP/2: why, and whether ``--port`` is worth a try (the bytes are not
    another protocol, only no evidence of HTTP/2)."""
    data = client or server
    reason = _describe(data)
    if not data:
        return Detection(Verdict.NOT_HTTP2, reason=reason)
    other = _is_other_protocol(data)
    side = ("client" if not server and server_done else
            "server" if not client and client_done else None)
    if side is not None and other:
        reason = f"only the {side}'s side is in the capture: {reason}"
    elif side == "client":
        reason = ("only the client's side is in the capture, and it starts with neither "
                  "the client preface nor a run of HTTP/2 frames")
    elif side == "server":
        reason = ("only the server's side is in the capture, and it starts with neither "
                  "SETTINGS nor a run of HTTP/2 frames")
    return Detection(Verdict.NOT_HTTP2, reason=reason, could_be_http2=not other)


def _is_other_protocol(data: bytes) -> bool:
    """HTTP/1.x or TLS: ``--port`` would not make it HTTP/2."""
    return (_REQUEST_LINE.match(data) is not None or data.startswith(b"HTTP/1.")
            or data[:2] in (b"\x16\x03", b"\x17\x03", b"\x15\x03"))


def _describe(data: bytes) -> str:
    if _REQUEST_LINE.match(data):
        return "HTTP/1.x without an h2c upgrade"
    if data[:3] == b"\x16\x03\x01" or data[:3] == b"\x16\x03\x03":
        return "TLS (encrypted; HTTP/2 inside cannot be seen)"
    if not data:
        return "no payload"
    return "no HTTP/2 preface, upgrade or SETTINGS"


def _request(client: bytes, client_done: bool
             ) -> tuple[dict[str, str], int, int] | Detection | None:
    """An HTTP/1.x request head at the start of ``client``: ``(headers, head end, end of
    the request with its body)``; a ``Detection`` when undecided or hopeless; None when
    ``client`` does not start with a request line."""
    if _REQUEST_LINE.match(client) is None:
        return None
    head_end = _HEADER_END.search(client, 0, MAX_HTTP1_HEAD_BYTES)
    if head_end is None:
        if client_done or len(client) >= MAX_HTTP1_HEAD_BYTES:
            return Detection(Verdict.NOT_HTTP2, reason="HTTP/1.x request head never ends")
        return Detection(Verdict.NEED_MORE, reason="HTTP/1.x request head incomplete")
    headers = _headers(client[:head_end.start()])
    body = headers.get("content-length", "0").strip()
    return headers, head_end.end(), head_end.end() + (int(body) if body.isdigit() else 0)


_MORE = "more"


def _responses(server: bytes, server_done: bool
               ) -> tuple[int, int, dict[str, str]] | str | None:
    """The HTTP/1.x response heads at the start of ``server``, interim 1xx other than
    101 skipped: ``(status, end of the final head, its headers)``; ``_MORE`` while a
    head is incomplete; None when there is no final status line."""
    at = 0
    while True:
        status = _STATUS_LINE.match(server, at)
        if status is None:
            head = server[at:at + 16]
            if not server_done and b"\n" not in head and (
                    head.startswith(b"HTTP/1.") or b"HTTP/1.".startswith(head)):
                return _MORE
            return None
        end = _HEADER_END.search(server, status.start(), status.start() + MAX_HTTP1_HEAD_BYTES)
        if end is None:
            if server_done or len(server) - at >= MAX_HTTP1_HEAD_BYTES:
                return None
            return _MORE
        code = int(status.group(1))
        if 100 <= code < 200 and code != 101:
            at = end.end()
            continue
        return code, end.end(), _headers(server[status.end():end.start()])


def _after_server_heads(found: Detection, server: bytes, server_done: bool) -> Detection:
    """The client spoke HTTP/2 first: where the server's HTTP/2 starts. After its 101
    (an h2c upgrade whose request is not in the capture) or any HTTP/1.1 answer; else
    at its first byte, read looking for a frame header when that is not one."""
    if not server:
        return found
    response = _responses(server, server_done)
    if response == _MORE:
        return Detection(Verdict.NEED_MORE, reason="waiting for the server's HTTP/1.1 head")
    if isinstance(response, tuple):
        code, end, headers = response
        if code == 101 and "h2c" in _tokens(headers.get("upgrade", "")):
            return replace(found, server_start=end, reason=f"{found.reason}; the server's "
                           "101 Switching Protocols to h2c comes first (the upgrade request "
                           "is not in the capture)")
        return replace(found, server_start=end, server_resync=True,
                       reason=f"{found.reason}; the server answers HTTP/1.1 {code} first")
    if not _could_be_frames(server):
        return replace(found, server_resync=True)
    return found


def _h2c(client: bytes, server: bytes, swapped: bool, client_done: bool, server_done: bool
         ) -> Detection | None:
    """Detection for an HTTP/1.1 request followed by HTTP/2 — an ``Upgrade: h2c``
    exchange, or the client preface right after a request — or None."""
    request = _request(client, client_done)
    if not isinstance(request, tuple):
        return request
    headers, head_end, client_start = request
    preface_after = client[client_start:].startswith(PREFACE)
    if "h2c" not in _tokens(headers.get("upgrade", "")):
        if not preface_after:
            return _other_upgrade(headers, client, client_start, server, client_done,
                                  server_done)
        if not server and not server_done:
            return Detection(Verdict.NEED_MORE, reason="waiting for the server's first bytes")
        return _after_server_heads(
            Detection(Verdict.HTTP2, Evidence.PREFACE, swapped, client_start,
                      0 if server else None,
                      reason=f"client connection preface at offset {client_start}, after "
                      "an HTTP/1.1 request without Upgrade: h2c"), server, server_done)
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
    if "chunked" in _tokens(headers.get("transfer-encoding", "")):
        diags.append(Diagnostic(head_end, Severity.WARNING, "chunked request body "
                                "before an h2c upgrade is not followed; HTTP/2 is assumed to "
                                "start right after the request head"))
    # The server may send interim 1xx responses (100 Continue) before the 101.
    response = _responses(server, server_done)
    if response == _MORE:
        return Detection(Verdict.NEED_MORE, reason="waiting for the upgrade response")
    if not isinstance(response, tuple):
        if preface_after:  # the 101 is not in the capture: the preface says it all
            return Detection(Verdict.HTTP2, Evidence.H2C_UPGRADE, swapped, client_start,
                             0 if server else None, settings,
                             "HTTP/1.1 upgrade to h2c, then the client preface (the 101 "
                             "response is not in the capture)", tuple(diags),
                             server_resync=not _could_be_frames(server),
                             upgrade_request=True)
        return Detection(Verdict.NOT_HTTP2, reason="h2c upgrade request without an "
                         "HTTP/1.1 response", diagnostics=tuple(diags))
    code, server_start, _response_headers = response
    if code != 101:
        return Detection(Verdict.NOT_HTTP2, reason=f"h2c upgrade declined with status {code}",
                         diagnostics=tuple(diags))
    if len(client) >= client_start + len(PREFACE) and not preface_after:
        diags.append(Diagnostic(client_start, Severity.ERROR, "after the h2c upgrade the "
                                f"client does not send the connection preface at offset "
                                f"{client_start} (RFC 7540 section 3.5)", len(PREFACE)))
    return Detection(Verdict.HTTP2, Evidence.H2C_UPGRADE, swapped, client_start, server_start,
                     settings, "HTTP/1.1 upgrade to h2c", tuple(diags), upgrade_request=True)


def _other_upgrade(headers: dict[str, str], client: bytes, client_start: int, server: bytes,
                   client_done: bool, server_done: bool) -> Detection | None:
    """A request that is not a clean h2c upgrade but asks for some upgrade (``Upgrade``,
    ``HTTP2-Settings`` or ``Connection: Upgrade``): decided by what follows — the client
    preface, or the server's answer — rather than at once (None: not such a request)."""
    asks = ("upgrade" in headers or "http2-settings" in headers
            or "upgrade" in _tokens(headers.get("connection", "")))
    if not asks:
        return None
    response = _responses(server, server_done)
    if (len(client) - client_start < len(PREFACE) and not client_done
            and _could_be_preface(client[client_start:])
            and (response == _MORE or (response is None and not server_done))):
        return Detection(Verdict.NEED_MORE, reason="waiting for what follows an HTTP/1.1 "
                         "upgrade request")
    if isinstance(response, tuple) and response[0] == 101 and "h2c" in _tokens(
            response[2].get("upgrade", "")):
        return None  # the server's 101 to h2c decides (``_server_upgrade``)
    protocol = headers.get("upgrade", "").strip()
    return Detection(Verdict.NOT_HTTP2, reason=f"HTTP/1.1 upgrade to {protocol}" if protocol
                     else "HTTP/1.x without an h2c upgrade")


def _connect(client: bytes, server: bytes, swapped: bool, client_done: bool,
             server_done: bool) -> Detection | None:
    """An HTTP/1.1 CONNECT (RFC 9110 §9.3.6) answered 2xx: a ``TUNNEL`` from the byte
    after each head (a 2xx answer to CONNECT has no content, RFC 9110 §9.3.6)."""
    line = _CONNECT_LINE.match(client)
    if line is None:
        return None
    request = _request(client, client_done)
    if not isinstance(request, tuple):
        return request
    client_start = request[1]
    target = line.group(1).decode("latin-1")
    response = _responses(server, server_done)
    if response == _MORE:
        return Detection(Verdict.NEED_MORE, reason="waiting for the proxy's answer")
    if not isinstance(response, tuple):
        if server:
            return Detection(Verdict.NOT_HTTP2, reason=f"HTTP/1.1 CONNECT {target} without "
                             "an HTTP/1.1 answer")
        # The proxy's answer is not in the capture: the client's bytes after the request
        # are the tunnel's (a client sends nothing more before the 2xx).
        return Detection(Verdict.TUNNEL, swapped=swapped, client_start=client_start,
                         server_start=0, reason=f"HTTP/1.1 CONNECT {target} (the proxy's "
                         "answer is not in the capture)", tunnel_target=target)
    code, server_start, _response_headers = response
    if not 200 <= code < 300:
        return Detection(Verdict.NOT_HTTP2, reason=f"HTTP/1.1 CONNECT {target} answered "
                         f"{code}")
    return Detection(Verdict.TUNNEL, swapped=swapped, client_start=client_start,
                     server_start=server_start, reason=f"HTTP/1.1 CONNECT {target} answered "
                     f"{code}", tunnel_target=target, tunnel_status=code)


def _server_upgrade(client: bytes, server: bytes, swapped: bool, server_done: bool
                    ) -> Detection | None:
    """The server's ``101 Switching Protocols`` to h2c followed by its SETTINGS, the
    client's upgrade request not in the capture (or not recognisable as one)."""
    if not server.startswith(b"HTTP/1."):
        return None
    response = _responses(server, server_done)
    if not isinstance(response, tuple):
        return None
    code, server_start, headers = response
    if code != 101 or "h2c" not in _tokens(headers.get("upgrade", "")):
        return None
    after = server[server_start:]
    if len(after) < FRAME_HEADER_LENGTH and not server_done:
        return Detection(Verdict.NEED_MORE, reason="waiting for the server's SETTINGS")
    if not _is_settings_header(after):
        return None
    request = _request(client, True)
    client_start = request[2] if isinstance(request, tuple) else 0
    rest = client[client_start:]
    return Detection(Verdict.HTTP2, Evidence.H2C_UPGRADE, swapped, client_start,
                     server_start, reason="the server's 101 Switching Protocols to h2c, "
                     "then its SETTINGS (the upgrade request is not in the capture)",
                     client_resync=not rest.startswith(PREFACE) and not _could_be_frames(rest),
                     upgrade_request=isinstance(request, tuple))


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
