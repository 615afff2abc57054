"""Build HTTP/2 + gRPC bytes by hand for synthesized captures (RFC 9113 §4.1 frames,
HPACK by python-hyper's encoder, one encoder per direction as a real peer has)."""

from __future__ import annotations

import gzip
import struct

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, SETTINGS = 0x0, 0x1, 0x4
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1


def frame(ftype: int, flags: int, stream: int, payload: bytes) -> bytes:
    return struct.pack("!I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(
        "!I", stream) + payload


def grpc_message(body: bytes, *, compress: bool = False) -> bytes:
    data = gzip.compress(body) if compress else body
    return bytes([1 if compress else 0]) + struct.pack("!I", len(data)) + data


class Peer:
    def __init__(self) -> None:
        self.encoder = hpack.Encoder()

    def headers(self, stream: int, fields: list[tuple[str, str]], *, end: bool = False) -> bytes:
        return frame(HEADERS, END_HEADERS | (END_STREAM if end else 0), stream,
                     self.encoder.encode(fields))


def unary_exchange(request: bytes, reply: bytes, *, stream: int = 1, gzip_request: bool = False,
                   client: Peer | None = None, server: Peer | None = None,
                   preface: bool = True) -> tuple[bytes, bytes]:
    """(client bytes, server bytes) of one unary gRPC call."""
    client = client or Peer()
    server = server or Peer()
    c = (PREFACE + frame(SETTINGS, 0, 0, b"")) if preface else b""
    fields = [(":method", "POST"), (":scheme", "http"), (":path", "/wiretool.demo.Demo/Unary"),
              (":authority", "x"), ("content-type", "application/grpc+proto"),
              ("te", "trailers")]
    if gzip_request:
        fields.append(("grpc-encoding", "gzip"))
    c += client.headers(stream, fields)
    c += frame(DATA, END_STREAM, stream, grpc_message(request, compress=gzip_request))
    s = frame(SETTINGS, 0, 0, b"") if preface else b""
    s += server.headers(stream, [(":status", "200"), ("content-type", "application/grpc")])
    s += frame(DATA, 0, stream, grpc_message(reply))
    s += server.headers(stream, [("grpc-status", "0"), ("grpc-message", "all%20good")], end=True)
    return c, s
