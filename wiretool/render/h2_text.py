"""What the ``h2-frames`` views share: the roles of their text and the rich styles of
those roles (``STYLES``), and how a connection is named in every heading
(``connection_title``, ``connection_line``: the one place for it). The frame view
(``render.h2_table``) and the summary (``render.h2_summary``) both use it. Every wire
value here goes through ``render.escape``.
"""

from __future__ import annotations

from wiretool.render.escape import escape_bytes
from wiretool.session.records import ConnectionEnd, ConnectionInfo
from wiretool.tls.keylog import KeySource
from wiretool.tls.model import TlsSummary

STYLES = {
    "heading": "bold", "rule": "dim", "dim": "dim", "columns": "bold",
    "client": "cyan", "server": "yellow",
    "DATA": "green", "HEADERS": "bold blue", "PUSH_PROMISE": "bold blue",
    "CONTINUATION": "blue", "SETTINGS": "magenta", "PREFACE": "magenta",
    "PING": "dim", "WINDOW_UPDATE": "dim", "PRIORITY": "dim", "PRIORITY_UPDATE": "dim",
    "RST_STREAM": "bold red", "GOAWAY": "bold red", "UNKNOWN": "red",
    "name": "bold", "grpc": "bold cyan", "field": "cyan",
    "ok": "bold green", "fail": "bold red", "warn": "yellow",
    "error": "bold red", "warning": "yellow", "info": "dim",
}
"""The roles of the views' text and their rich style names (``layout.Styles``)."""


def connection_title(conn: ConnectionInfo) -> str:
    """How a connection is named in every heading: ``connection N: client → server``
    (N is Wireshark's ``tcp.stream`` + 1), then the tunnels its packets came through when
    there are any (``over vlan 100 / ipv4 / gre / erspan-ii / eth / ipv4``), and the
    CONNECT tunnel it runs in (``inside CONNECT host:443``)."""
    title = str(conn)
    if conn.path is not None and not conn.path.plain:
        title += f" over {conn.path}"
    if conn.inside is not None:
        title += f", inside {conn.inside}"
    return title


def one_side(end: ConnectionEnd) -> str:
    """``; no bytes from the server in the capture`` when an HTTP/2 connection's capture
    holds one side only (else nothing)."""
    from wiretool.http2.detect import one_side_text

    if end.client_bytes and not end.server_bytes:
        return "; " + one_side_text("server")
    if end.server_bytes and not end.client_bytes:
        return "; " + one_side_text("client")
    return ""


def carrier_text(reason: str) -> str:
    """The verdict of a connection that carries a CONNECT tunnel."""
    return f"{reason}: a tunnel, read as the connection inside it"


def tls_text(tls: TlsSummary) -> str:
    """What a TLS connection's handshake says, for its connection line (frame list and
    ``--summary``): ``TLS 1.3 TLS_AES_128_GCM_SHA256, SNI api.example, ALPN h2,
    decrypted (key log)``."""
    parts = [f"{tls.version} {tls.cipher_suite}" if tls.version is not None
             else "TLS (no ServerHello)"]
    if tls.sni is not None:
        parts.append(f"SNI {escape_bytes(tls.sni.encode())}")
    offered = escape_bytes(", ".join(tls.offered_alpn).encode())
    if tls.alpn is not None:
        parts.append(f"ALPN {escape_bytes(tls.alpn.encode())}")
    elif tls.decrypted or tls.version is None or tls.version != "TLS 1.3":
        parts.append(f"no ALPN (offered: {offered})" if offered else "no ALPN")
    else:  # TLS 1.3 says it in EncryptedExtensions
        parts.append(f"ALPN encrypted (offered: {offered})" if offered else "no ALPN offered")
    if tls.decrypted:
        parts.append("decrypted (" + ("Decryption Secrets Block" if tls.key_source is
                                      KeySource.DSB else "key log") + ")")
    else:
        parts.append("not decrypted")
    return ", ".join(parts)


def connection_line(conn: ConnectionInfo, verdict: str) -> str:
    """``connection N: client → server  [TLS ...; ]verdict``."""
    if conn.tls is None:
        return f"{connection_title(conn)}  {verdict}"
    return f"{connection_title(conn)}  {tls_text(conn.tls)}; {verdict}"
