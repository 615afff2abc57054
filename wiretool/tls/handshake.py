"""Handshake messages: split out of the handshake byte stream, and the hellos parsed.

``HandshakeBuffer`` joins the handshake content of one direction (cleartext records,
or decrypted ones) and returns whole messages (RFC 8446 §4: a 1-byte type, a 3-byte
length, the body), whether a message spans records or a record holds several.

``parse_client_hello``, ``parse_server_hello``, ``parse_encrypted_extensions`` and
``parse_key_update`` read what decryption and the summary need (RFC 8446 §4.1.2,
§4.1.3, §4.3.1, §4.6.3; RFC 5246 §7.4.1): randoms, cipher suites, versions, server
name (RFC 6066 §3), ALPN (RFC 7301 §3.1), extended master secret (RFC 7627),
encrypt-then-MAC (RFC 7366), early data and pre-shared keys. A message that breaks
the grammar raises :class:`HandshakeError` (with the offset inside the body), which
``connection.py`` turns into a diagnostic; nothing else here raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from wiretool.tls.constants import (
    HELLO_RETRY_REQUEST_RANDOM,
    MAX_HANDSHAKE_MESSAGE_LENGTH,
    Extension,
)


class HandshakeError(Exception):
    """A handshake message that breaks the grammar (internal: becomes a diagnostic)."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        """Offset inside the message body."""


class Message(NamedTuple):
    msg_type: int
    body: bytes
    record_offset: int
    """The record that held the message's first byte."""
    length: int
    """The declared body length (``body`` is empty when the message was too long to keep)."""


class HandshakeBuffer:
    """Handshake messages of one direction, from fragments in any split."""

    def __init__(self) -> None:
        self._buf = b""
        self._first_record: int | None = None  # record of the first buffered byte
        self._skip = 0  # body bytes of an over-long message still to drop
        self._skip_message: tuple[int, int, int] | None = None

    @property
    def pending(self) -> int:
        """Bytes of an incomplete message held."""
        return len(self._buf)

    def clear(self) -> int:
        """Drop an incomplete message (a gap, a key change); return its buffered size."""
        dropped = len(self._buf)
        self._buf = b""
        self._first_record = None
        self._skip = 0
        self._skip_message = None
        return dropped

    def add(self, fragment: bytes, record_offset: int) -> list[Message]:
        out: list[Message] = []
        if self._skip:
            taken = min(self._skip, len(fragment))
            self._skip -= taken
            fragment = fragment[taken:]
            if not self._skip and self._skip_message is not None:
                msg_type, first, length = self._skip_message
                out.append(Message(msg_type, b"", first, length))
                self._skip_message = None
        if not fragment:
            return out
        if not self._buf:
            self._first_record = record_offset
            buf = fragment
        else:
            buf = self._buf + fragment
        pos = 0
        while pos + 4 <= len(buf):
            first = self._first_record if pos == 0 and self._first_record is not None \
                else record_offset
            msg_type = buf[pos]
            length = int.from_bytes(buf[pos + 1:pos + 4], "big")
            if length > MAX_HANDSHAKE_MESSAGE_LENGTH:
                available = len(buf) - pos - 4
                if available >= length:
                    out.append(Message(msg_type, b"", first, length))
                    pos += 4 + length
                    continue
                self._skip = length - available
                self._skip_message = (msg_type, first, length)
                pos = len(buf)
                break
            if pos + 4 + length > len(buf):
                break
            out.append(Message(msg_type, buf[pos + 4:pos + 4 + length], first, length))
            pos += 4 + length
        self._buf = buf[pos:]
        if self._buf and pos:
            self._first_record = record_offset
        elif not self._buf:
            self._first_record = None
        return out


class _Reader:
    """Bounds-checked reads from a message body (raises ``HandshakeError``)."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, count: int, what: str) -> bytes:
        end = self.pos + count
        if end > len(self.data):
            raise HandshakeError(f"{what} runs past the end of the message", self.pos)
        value = self.data[self.pos:end]
        self.pos = end
        return value

    def uint(self, size: int, what: str) -> int:
        return int.from_bytes(self.take(size, what), "big")

    def vector(self, length_size: int, what: str) -> bytes:
        return self.take(self.uint(length_size, f"length of {what}"), what)

    @property
    def left(self) -> int:
        return len(self.data) - self.pos


def _extensions(reader: _Reader) -> dict[int, bytes]:
    """The extensions block (RFC 8446 §4.2); absent in old hellos."""
    if reader.left == 0:
        return {}
    block = _Reader(reader.vector(2, "extensions"))
    base = reader.pos - len(block.data)
    found: dict[int, bytes] = {}
    while block.left:
        try:
            ext_type = block.uint(2, "extension type")
            found.setdefault(ext_type, block.vector(2, f"extension {ext_type}"))
        except HandshakeError as error:
            raise HandshakeError(error.message, base + error.offset) from None
    return found


def _alpn_list(data: bytes) -> tuple[str, ...]:
    """ProtocolNameList (RFC 7301 §3.1)."""
    reader = _Reader(data)
    names = _Reader(reader.vector(2, "ALPN protocol name list"))
    out: list[str] = []
    while names.left:
        out.append(names.vector(1, "ALPN protocol name").decode("ascii", "backslashreplace"))
    return tuple(out)


def _server_name(data: bytes) -> str | None:
    """The host_name of a ServerNameList (RFC 6066 §3)."""
    reader = _Reader(data)
    names = _Reader(reader.vector(2, "server name list"))
    while names.left:
        name_type = names.uint(1, "server name type")
        name = names.vector(2, "server name")
        if name_type == 0:  # host_name
            return name.decode("ascii", "backslashreplace")
    return None


@dataclass(frozen=True, slots=True)
class ClientHello:
    """What we read of a ClientHello (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2)."""

    legacy_version: int
    random: bytes
    session_id: bytes
    cipher_suites: tuple[int, ...]
    sni: str | None
    alpn: tuple[str, ...]
    supported_versions: tuple[int, ...]
    extended_master_secret: bool
    encrypt_then_mac: bool
    early_data: bool
    """The client sends 0-RTT data (RFC 8446 §4.2.10)."""
    session_ticket: bool
    """A non-empty SessionTicket extension (RFC 5077): a resumption attempt."""
    extensions: tuple[int, ...]


def parse_client_hello(body: bytes) -> ClientHello:
    reader = _Reader(body)
    legacy_version = reader.uint(2, "legacy_version")
    random = reader.take(32, "random")
    session_id = reader.vector(1, "legacy_session_id")
    suites_data = reader.vector(2, "cipher_suites")
    if len(suites_data) % 2:
        raise HandshakeError("cipher_suites has an odd length", reader.pos)
    suites = tuple(int.from_bytes(suites_data[i:i + 2], "big")
                   for i in range(0, len(suites_data), 2))
    reader.vector(1, "legacy_compression_methods")
    extensions = _extensions(reader)
    sni = alpn = None
    try:
        if extensions.get(Extension.SERVER_NAME):
            sni = _server_name(extensions[Extension.SERVER_NAME])
        if Extension.APPLICATION_LAYER_PROTOCOL_NEGOTIATION in extensions:
            alpn = _alpn_list(extensions[Extension.APPLICATION_LAYER_PROTOCOL_NEGOTIATION])
        versions: tuple[int, ...] = ()
        if Extension.SUPPORTED_VERSIONS in extensions:
            data = _Reader(extensions[Extension.SUPPORTED_VERSIONS])
            listed = data.vector(1, "supported_versions")
            versions = tuple(int.from_bytes(listed[i:i + 2], "big")
                             for i in range(0, len(listed) - 1, 2))
    except HandshakeError as error:
        raise HandshakeError(f"ClientHello extension: {error.message}", 0) from None
    return ClientHello(
        legacy_version, random, session_id, suites, sni, alpn or (), versions,
        Extension.EXTENDED_MASTER_SECRET in extensions,
        Extension.ENCRYPT_THEN_MAC in extensions,
        Extension.EARLY_DATA in extensions,
        bool(extensions.get(Extension.SESSION_TICKET)),
        tuple(extensions),
    )


@dataclass(frozen=True, slots=True)
class ServerHello:
    """What we read of a ServerHello or HelloRetryRequest (RFC 8446 §4.1.3-4.1.4)."""

    legacy_version: int
    random: bytes
    session_id: bytes
    cipher_suite: int
    selected_version: int | None
    """supported_versions of the ServerHello: the negotiated version in TLS 1.3."""
    alpn: str | None
    extended_master_secret: bool
    encrypt_then_mac: bool
    pre_shared_key: bool
    """TLS 1.3: the server accepted a PSK (resumption)."""
    is_retry: bool
    """A HelloRetryRequest: the random is SHA-256("HelloRetryRequest")."""

    @property
    def version(self) -> int:
        return self.selected_version or self.legacy_version


def parse_server_hello(body: bytes) -> ServerHello:
    reader = _Reader(body)
    legacy_version = reader.uint(2, "legacy_version")
    random = reader.take(32, "random")
    session_id = reader.vector(1, "legacy_session_id_echo")
    suite = reader.uint(2, "cipher_suite")
    reader.uint(1, "legacy_compression_method")
    extensions = _extensions(reader)
    selected = None
    alpn = None
    try:
        if Extension.SUPPORTED_VERSIONS in extensions:
            selected = _Reader(extensions[Extension.SUPPORTED_VERSIONS]).uint(
                2, "selected_version")
        if Extension.APPLICATION_LAYER_PROTOCOL_NEGOTIATION in extensions:
            names = _alpn_list(extensions[Extension.APPLICATION_LAYER_PROTOCOL_NEGOTIATION])
            alpn = names[0] if names else None
    except HandshakeError as error:
        raise HandshakeError(f"ServerHello extension: {error.message}", 0) from None
    return ServerHello(legacy_version, random, session_id, suite, selected, alpn,
                       Extension.EXTENDED_MASTER_SECRET in extensions,
                       Extension.ENCRYPT_THEN_MAC in extensions,
                       Extension.PRE_SHARED_KEY in extensions,
                       random == HELLO_RETRY_REQUEST_RANDOM)


@dataclass(frozen=True, slots=True)
class EncryptedExtensions:
    """RFC 8446 §4.3.1: the server's extensions that are not in the ServerHello."""

    alpn: str | None
    early_data: bool
    """The server accepted 0-RTT data."""


def parse_encrypted_extensions(body: bytes) -> EncryptedExtensions:
    extensions = _extensions(_Reader(body))
    alpn = None
    if Extension.APPLICATION_LAYER_PROTOCOL_NEGOTIATION in extensions:
        names = _alpn_list(extensions[Extension.APPLICATION_LAYER_PROTOCOL_NEGOTIATION])
        alpn = names[0] if names else None
    return EncryptedExtensions(alpn, Extension.EARLY_DATA in extensions)


def parse_key_update(body: bytes) -> bool:
    """KeyUpdate (RFC 8446 §4.6.3): True when the sender asks the peer to update too."""
    if len(body) != 1 or body[0] > 1:
        raise HandshakeError(f"KeyUpdate must hold one byte, 0 or 1; it has {body.hex()!r}", 0)
    return body[0] == 1
