"""A small HTTP/2 server over TLS 1.2 with the suites nghttpd refuses for h2.

nghttpd (like every RFC 9113 §9.2.2 server) rejects the CBC and RSA key exchange
suites that HTTP/2 blocklists, but older stacks still negotiate them, so
samples/tls/make_captures.py serves them with Python's ``ssl`` and the python-hyper
``h2`` library instead. Every GET is answered with ``200`` and a body naming the
path; with ``--no-etm`` the server refuses encrypt-then-MAC (RFC 7366), so CBC
records are MAC-then-encrypt.

    python samples/tls/h2_tls_server.py PORT CERT KEY CIPHERS [--no-etm]
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import threading

import h2.config
import h2.connection
import h2.events

OP_NO_ENCRYPT_THEN_MAC = 1 << 19
"""OpenSSL 3.0's SSL_OP_NO_ENCRYPT_THEN_MAC (Python's ssl module has no name for it)."""


def serve(conn: ssl.SSLSocket) -> None:
    h2conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    h2conn.initiate_connection()
    conn.sendall(h2conn.data_to_send())
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            for event in h2conn.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    path = dict(event.headers).get(b":path", b"/").decode()
                    body = (f"hello from the python h2 server: {path}\n" * 40).encode()
                    h2conn.send_headers(event.stream_id, [
                        (":status", "200"), ("content-type", "text/plain"),
                        ("content-length", str(len(body))), ("server", "h2-tls-sample")])
                    h2conn.send_data(event.stream_id, body, end_stream=True)
                elif isinstance(event, h2.events.ConnectionTerminated):
                    return
            conn.sendall(h2conn.data_to_send())
    except (OSError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(OSError):
            conn.close()


def main() -> None:
    port, cert, key, ciphers = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    context.set_ciphers(ciphers)
    context.set_alpn_protocols(["h2"])
    if "--no-etm" in sys.argv:
        context.options |= OP_NO_ENCRYPT_THEN_MAC
    listener = socket.create_server(("127.0.0.1", port))
    print("ready", flush=True)
    while True:
        raw, _ = listener.accept()
        try:
            conn = context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            continue
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
