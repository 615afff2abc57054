"""TLS keys of a capture session: key logs, Decryption Secrets Blocks, the fallback.

:class:`SessionKeys` holds the secrets one decoding decrypts with — the key logs given
(``SessionOptions.keylogs``), the capture's own pcapng Decryption Secrets Blocks as they
are read (:func:`capture_events` reads a capture with them), and the fallback key log
the CLI passes from ``SSLKEYLOGFILE`` (used only when nothing else is) — and looks
nothing up itself: ``TlsConnection`` does, by client random, when a connection needs
its keys (``session/tls.py``). Parsing is ``wiretool.tls.keylog``'s.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import BinaryIO

from wiretool.capture.model import CaptureDiagnostic, DecryptionSecrets, TcpEvent
from wiretool.capture.pcap import CaptureParser
from wiretool.errors import InputError, Severity
from wiretool.tls.keylog import DSB_TYPE_TLS_KEY_LOG, KeyLog, KeyLogDiagnostic


class SessionKeys:
    """The TLS secrets of one decoding: key logs, the capture's Decryption Secrets Blocks,
    and the fallback key log.

    ``keys`` is what every connection looks its client random up in; blocks are added as
    the capture is read (:meth:`add_blocks`), so a block read before a connection's
    handshake serves it. ``problems`` are the key logs' warnings (line numbers), for the
    caller to show once; a block's problems come out of :func:`capture_events` as
    capture diagnostics instead (they have a file offset).
    """

    def __init__(self, keylogs: tuple[str | os.PathLike[str], ...] = (),
                 fallback: str | os.PathLike[str] | None = None) -> None:
        """Read ``keylogs`` (``InputError`` if one cannot be read) and, when there is
        none, ``fallback`` (kept aside until :meth:`start` decides)."""
        self.keys = KeyLog()
        self.problems: list[KeyLogDiagnostic] = []
        for path in keylogs:
            self.problems += self.keys.add_file(path)
        self.fallback_path = None if keylogs else fallback
        """The fallback key log, if it may be used."""
        self.fallback_used = False
        """The fallback's secrets were taken (no block came before the first packet)."""
        self.blocks = 0
        """TLS key log Decryption Secrets Blocks read so far."""
        self._fallback: KeyLog | None = None
        self._started = False
        if self.fallback_path is not None:
            fallback_keys = KeyLog()
            try:
                self.problems += fallback_keys.add_file(self.fallback_path)
            except InputError as error:
                self.problems.append(KeyLogDiagnostic(
                    0, Severity.WARNING, f"{error.message} (SSLKEYLOGFILE); TLS is not "
                    "decrypted with it", 0, os.fspath(self.fallback_path), 0))
            else:
                self._fallback = fallback_keys

    def add_blocks(self, blocks: list[DecryptionSecrets]) -> list[CaptureDiagnostic]:
        """Take the secrets of Decryption Secrets Blocks just read; their problems, as
        capture diagnostics (file offsets)."""
        out: list[CaptureDiagnostic] = []
        for block in blocks:
            if block.secrets_type == DSB_TYPE_TLS_KEY_LOG:
                self.blocks += 1
            for problem in self.keys.add_secrets_block(block):
                out.append(CaptureDiagnostic(problem.offset, problem.severity, problem.message,
                                             problem.length))
        return out

    def start(self) -> None:
        """The capture's first TCP packet: from now on the keys are what they are, save
        for blocks read later. The fallback counts only if no block came before."""
        if self._started:
            return
        self._started = True
        if self._fallback is not None and not self.blocks:
            self.keys.merge(self._fallback)
            self.fallback_used = True
        self._fallback = None


def capture_events(file: BinaryIO, keys: SessionKeys, *, chunk_size: int = 1 << 16,
                   parser: CaptureParser | None = None) -> Iterator[TcpEvent]:
    """``follow_tcp`` of a capture file, its Decryption Secrets Blocks taken into ``keys``
    on the way (a block's problems are yielded as capture diagnostics). ``parser``: the
    capture parser to read with (made with ``report_secrets=True``; a caller that
    counts its packets passes its own)."""
    from wiretool.capture import follow_tcp

    if parser is None:
        parser = CaptureParser(report_secrets=True)
    take = parser.take_secrets
    for event in follow_tcp(file, chunk_size=chunk_size, parser=parser):
        blocks = take()
        if blocks:
            yield from keys.add_blocks(blocks)
        if type(event) is not CaptureDiagnostic:
            keys.start()
        yield event
