"""TLS: key logs, records, handshake and decryption; decrypted bytes of each direction.

Sans-IO, between the TCP byte streams of ``wiretool.capture`` and the HTTP/2 layer:

* ``keylog.py``      :class:`KeyLog`: NSS key log files and pcapng Decryption Secrets
                     Blocks, merged, looked up by client random
* ``records.py``     :class:`RecordReader`: one direction's bytes -> TLS records (gaps,
                     resynchronisation)
* ``handshake.py``   handshake messages split and the hellos parsed
* ``keyschedule.py`` the TLS 1.2 PRF and key block, the TLS 1.3 key schedule
* ``protection.py``  record decryption (AES-GCM, ChaCha20-Poly1305, AES-CBC + HMAC)
* ``connection.py``  :class:`TlsConnection`: both directions in, events out
* ``model.py``       the events: :class:`TlsSummary`, :class:`TlsPlaintext`, ...
* ``detect.py``      :func:`detect_tls`: is a connection TLS, and who is the client
* ``locate.py``      :class:`RecordLocator`: from a decrypted offset (a frame) back to
                     its TLS record
* ``suites.py``      cipher suite names and parameters; ``constants.py`` the rest of
                     the TLS vocabulary

Typical use, per TCP connection::

    keys = KeyLog()
    keys.add_file("keys.log")
    tls = TlsConnection(keys)
    for event in tls.feed(Direction.CLIENT, data):   # and tls.gap(...), tls.close()
        if isinstance(event, TlsPlaintext):
            ...  # event.data: decrypted bytes of event.direction, at event.offset
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wiretool.tls.connection import TlsConnection
    from wiretool.tls.detect import TlsDetection, TlsVerdict, detect_tls
    from wiretool.tls.keylog import KeyLog, KeyLogDiagnostic, KeySource, Label, Secret
    from wiretool.tls.locate import RecordLocator
    from wiretool.tls.model import (
        RecordStatus,
        TlsDiagnostic,
        TlsEvent,
        TlsHandshakeMessage,
        TlsPlaintext,
        TlsPlaintextGap,
        TlsProblem,
        TlsRecord,
        TlsSummary,
        stream_span,
    )
    from wiretool.tls.suites import suite_name

_HOMES = {
    "TlsConnection": "connection",
    "TlsDetection": "detect", "TlsVerdict": "detect", "detect_tls": "detect",
    "KeyLog": "keylog", "KeyLogDiagnostic": "keylog", "KeySource": "keylog", "Label": "keylog",
    "Secret": "keylog",
    "RecordLocator": "locate",
    "RecordStatus": "model", "TlsDiagnostic": "model", "TlsEvent": "model",
    "TlsHandshakeMessage": "model", "TlsPlaintext": "model", "TlsPlaintextGap": "model",
    "TlsProblem": "model", "TlsRecord": "model", "TlsSummary": "model", "stream_span": "model",
    "suite_name": "suites",
}
"""Where each public name lives: imported on first use, so that a capture without TLS
(which only asks ``detect``) does not load the ciphers (``cryptography``)."""


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "KeyLog",
    "KeyLogDiagnostic",
    "KeySource",
    "Label",
    "RecordLocator",
    "RecordStatus",
    "Secret",
    "TlsConnection",
    "TlsDetection",
    "TlsDiagnostic",
    "TlsEvent",
    "TlsHandshakeMessage",
    "TlsPlaintext",
    "TlsPlaintextGap",
    "TlsProblem",
    "TlsRecord",
    "TlsSummary",
    "TlsVerdict",
    "detect_tls",
    "stream_span",
    "suite_name",
]
