"""TLS secrets from NSS key log files and pcapng Decryption Secrets Blocks.

The NSS key log format (what ``SSLKEYLOGFILE`` makes curl, Firefox, Chrome, OpenSSL,
Go's ``crypto/tls`` and Python's ``ssl`` write; described in
https://datatracker.ietf.org/doc/draft-ietf-tls-keylogfile/) is one secret per line::

    CLIENT_RANDOM <client random, 64 hex digits> <master secret, 96 hex digits>
    CLIENT_HANDSHAKE_TRAFFIC_SECRET <client random> <secret, Hash.length bytes in hex>
    ...

``#`` starts a comment; blank lines are allowed; a malformed line is a warning that
names its line number, and the other lines still count. A pcapng Decryption Secrets
Block of type ``TLSK`` (pcapng draft §4.7) holds the same text, so both go through
one parser.

:class:`KeyLog` merges any number of key logs and blocks and looks secrets up by
client random (the 32 bytes of the ClientHello); every :class:`Secret` remembers
where it came from (``keylog`` or ``dsb``, the file or block, the line).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from wiretool.errors import Diagnostic, InputError, Severity

if TYPE_CHECKING:
    from wiretool.capture.model import DecryptionSecrets


class KeySource(StrEnum):
    """Where a secret came from."""

    KEYLOG = "keylog"
    """A key log file (``--keylog FILE``, ``SSLKEYLOGFILE``)."""
    DSB = "dsb"
    """A Decryption Secrets Block inside the pcapng capture."""


class Label(StrEnum):
    """The key log labels that carry secrets we use."""

    CLIENT_RANDOM = "CLIENT_RANDOM"
    """TLS 1.2 and earlier: the 48-byte master secret."""
    CLIENT_EARLY_TRAFFIC_SECRET = "CLIENT_EARLY_TRAFFIC_SECRET"
    CLIENT_HANDSHAKE_TRAFFIC_SECRET = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
    SERVER_HANDSHAKE_TRAFFIC_SECRET = "SERVER_HANDSHAKE_TRAFFIC_SECRET"
    CLIENT_TRAFFIC_SECRET_0 = "CLIENT_TRAFFIC_SECRET_0"
    SERVER_TRAFFIC_SECRET_0 = "SERVER_TRAFFIC_SECRET_0"


_UNUSED_LABELS = frozenset({"EXPORTER_SECRET", "EARLY_EXPORTER_SECRET", "RSA",
                            "ECH_SECRET", "ECH_CONFIG", "CLIENT_TRAFFIC_SECRET_N",
                            "SERVER_TRAFFIC_SECRET_N"})
"""Labels stacks write that carry nothing decryption needs here: exporter secrets
(RFC 8446 §7.5), Encrypted Client Hello secrets, NSS's ``RSA`` lines (the premaster
secret by encrypted-premaster prefix; the ``CLIENT_RANDOM`` line of the same connection
gives its master secret), and the ``*_TRAFFIC_SECRET_N`` lines OpenSSL writes after each
KeyUpdate (wiretool derives the next secret itself, RFC 8446 §7.2; see
samples/tls/keyupdate.keys). Accepted silently."""

MASTER_SECRET_LENGTH = 48
"""RFC 5246 §8.1."""
_TLS13_SECRET_LENGTHS = frozenset({32, 48})
"""Hash.length of the TLS 1.3 suites: SHA-256 and SHA-384."""
DSB_TYPE_TLS_KEY_LOG = 0x544C534B
"""Decryption Secrets Block type ``TLSK``: the NSS key log format (pcapng draft §4.7)."""


@dataclass(frozen=True, slots=True)
class Secret:
    """One secret of one connection, from one line."""

    label: str
    """A :class:`Label` value."""
    client_random: bytes
    """The 32-byte ClientHello.random it belongs to."""
    value: bytes
    source: KeySource
    origin: str
    """The key log's name, or ``decryption secrets block at offset N``."""
    line: int
    """1-based line number in the key log or block."""

    def where(self) -> str:
        return f"{self.origin} line {self.line}"


@dataclass(frozen=True, slots=True)
class KeyLogDiagnostic(Diagnostic):
    """A problem in a key log; ``offset`` is the byte offset of the line in its file or
    block (for a block, in the capture file)."""

    origin: str = ""
    line: int = 0
    """1-based line number."""


def client_random_text(client_random: bytes) -> str:
    """The short form diagnostics use: ``ab12cd34…`` (the first 8 hex digits)."""
    return client_random[:4].hex() + "…"


class KeyLog:
    """Secrets merged from key logs and Decryption Secrets Blocks, by client random.

    The first secret given for a (label, client random) wins; a later line repeating it
    is ignored, one contradicting it is a warning. Secrets may be added at any time
    (blocks appear as the capture is read); connections look them up when they need
    them.
    """

    def __init__(self) -> None:
        self._secrets: dict[bytes, dict[str, Secret]] = {}
        self.origins: list[str] = []
        """Names of the key logs and blocks added, in order."""

    def __len__(self) -> int:
        """How many client randoms have at least one secret."""
        return len(self._secrets)

    def __contains__(self, client_random: object) -> bool:
        return client_random in self._secrets

    def lookup(self, client_random: bytes) -> Mapping[str, Secret]:
        """The secrets of one connection by label (empty when there are none)."""
        return self._secrets.get(client_random, {})

    def merge(self, other: KeyLog) -> None:
        """Take ``other``'s secrets for the (label, client random) pairs this one lacks."""
        for client_random, secrets in other._secrets.items():
            mine = self._secrets.setdefault(client_random, {})
            for label, secret in secrets.items():
                mine.setdefault(label, secret)
        self.origins += other.origins

    def add_file(self, path: str | os.PathLike[str]) -> list[KeyLogDiagnostic]:
        """Read a key log file; its problems come back as warnings. An unreadable file
        raises ``InputError``."""
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise InputError(f"cannot read key log {os.fspath(path)}: "
                             f"{error.strerror or error}") from error
        return self.add_text(data, origin=os.fspath(path))

    def add_secrets_block(self, block: DecryptionSecrets) -> list[KeyLogDiagnostic]:
        """Take the secrets of a pcapng Decryption Secrets Block. Blocks of other types
        (WireGuard, ZigBee, SSH...) give one ``INFO`` note and no secrets."""
        origin = f"decryption secrets block at offset {block.offset}"
        if block.secrets_type != DSB_TYPE_TLS_KEY_LOG:
            return [KeyLogDiagnostic(
                block.offset, Severity.INFO,
                f"{origin}: secrets type {block.secrets_type:#010x} is not a TLS key log; "
                "ignored", 0, origin, 0)]
        return self.add_text(block.data, origin=origin, source=KeySource.DSB,
                             base_offset=block.data_offset)

    def add_text(self, text: bytes | str, *, origin: str,
                 source: KeySource = KeySource.KEYLOG,
                 base_offset: int = 0) -> list[KeyLogDiagnostic]:
        """Parse key log text (``origin`` names it in diagnostics; ``base_offset`` is the
        offset of its first byte, for diagnostics)."""
        data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
        self.origins.append(origin)
        diagnostics: list[KeyLogDiagnostic] = []
        unknown: set[str] = set()
        at = 0
        for number, raw in enumerate(data.split(b"\n"), start=1):
            offset = base_offset + at
            at += len(raw) + 1
            line = raw.rstrip(b"\r").strip()
            if not line or line.startswith(b"#"):
                continue
            problem = self._add_line(line, number, origin, source, unknown)
            if problem is not None:
                diagnostics.append(KeyLogDiagnostic(
                    offset, Severity.WARNING, f"{origin} line {number}: {problem}",
                    len(raw), origin, number))
        return diagnostics

    def _add_line(self, line: bytes, number: int, origin: str, source: KeySource,
                  unknown: set[str]) -> str | None:
        """Add one line; return what is wrong with it, or None."""
        fields = line.split()
        try:
            label = fields[0].decode("ascii")
        except UnicodeDecodeError:
            return "not a key log line (not ASCII); skipped"
        if label in _UNUSED_LABELS:
            return None
        if label not in Label.__members__:
            if label in unknown:
                return None
            unknown.add(label)
            return (f"unknown label {label[:40]!r}; this line and later ones with the same "
                    "label are skipped")
        if len(fields) != 3:
            return (f"expected '{label} <client random> <secret>' (3 fields), found "
                    f"{len(fields)}; skipped")
        try:
            client_random = bytes.fromhex(fields[1].decode("ascii"))
            value = bytes.fromhex(fields[2].decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            return "the client random and the secret must be hex digits; skipped"
        if len(client_random) != 32:
            return (f"the client random has {len(client_random)} bytes, expected 32; "
                    "skipped")
        if label == Label.CLIENT_RANDOM:
            if len(value) != MASTER_SECRET_LENGTH:
                return (f"the master secret has {len(value)} bytes, expected "
                        f"{MASTER_SECRET_LENGTH}; skipped")
        elif len(value) not in _TLS13_SECRET_LENGTHS:
            return f"the secret has {len(value)} bytes, expected 32 or 48; skipped"
        secrets = self._secrets.setdefault(client_random, {})
        known = secrets.get(label)
        if known is not None:
            if known.value != value:
                return (f"{label} for client random {client_random_text(client_random)} "
                        f"contradicts {known.where()}; the first one is kept")
            return None
        secrets[label] = Secret(label, client_random, value, source, origin, number)
        return None
