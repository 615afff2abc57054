"""A one-connection HTTP/1.1 -> h2c upgrade server (RFC 7540 section 3.2), built on h2.

Used by make_nghttp2_h2c.sh because nghttpd --no-tls does not answer upgrades.
Usage: python h2c_upgrade_server.py PORT  (serves one connection, then exits).
"""

from __future__ import annotations

import socket
import sys

import h2.config
import h2.connection
import h2.events


def main() -> None:
    port = int(sys.argv[1])
    with socket.create_server(("127.0.0.1", port)) as listener:
        sock, _ = listener.accept()
    with sock:
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(65536)
        request, _, rest = head.partition(b"\r\n\r\n")
        fields = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(b":") for line in request.split(b"\r\n")[1:])
        )
        sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
                     b"Upgrade: h2c\r\n\r\n")
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_upgrade_connection(fields[b"http2-settings"])
        body = b"hello after h2c upgrade\n"
        # The upgrade request is stream 1, half-closed (remote): answer it.
        conn.send_headers(1, [(":status", "200"), ("content-length", str(len(body))),
                              ("content-type", "text/plain")])
        conn.send_data(1, body, end_stream=True)
        sock.sendall(conn.data_to_send())
        data = rest
        while True:
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ConnectionTerminated):
                    sock.sendall(conn.data_to_send())
                    return
            sock.sendall(conn.data_to_send())
            data = sock.recv(65536)
            if not data:
                return


if __name__ == "__main__":
    main()
