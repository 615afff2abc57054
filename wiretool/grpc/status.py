"""gRPC status codes, ``grpc-message`` percent-decoding, and ``google.rpc.Status``.

* :data:`STATUS_NAMES`: the codes of https://github.com/grpc/grpc/blob/master/doc/statuscodes.md.
* :func:`percent_decode`: ``grpc-message`` is percent-encoded UTF-8
  (PROTOCOL-HTTP2.md, "Responses": "Percent-Encoded"); a malformed escape is kept
  as sent, as the spec asks of receivers.
* :func:`rpc_status_descriptor`: ``grpc-status-details-bin`` carries a serialized
  ``google.rpc.Status``. Its ``.proto`` (googleapis ``google/rpc/status.proto``)
  does not ship with the protobuf package, so a minimal descriptor for it is
  built here, in code, from the three fields that file declares
  (``int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3;``)
  in a private descriptor pool. The trailer is then decoded with ``decode``'s
  engine and annotated with it, so the fields get their names.

Nothing here reads HTTP/2; ``wiretool.grpc.messages`` uses these helpers.
"""

from __future__ import annotations

import base64
import binascii
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from google.protobuf.descriptor import Descriptor
    from google.protobuf.descriptor_pool import DescriptorPool

STATUS_NAMES: dict[int, str] = {
    0: "OK",
    1: "CANCELLED",
    2: "UNKNOWN",
    3: "INVALID_ARGUMENT",
    4: "DEADLINE_EXCEEDED",
    5: "NOT_FOUND",
    6: "ALREADY_EXISTS",
    7: "PERMISSION_DENIED",
    8: "RESOURCE_EXHAUSTED",
    9: "FAILED_PRECONDITION",
    10: "ABORTED",
    11: "OUT_OF_RANGE",
    12: "UNIMPLEMENTED",
    13: "INTERNAL",
    14: "UNAVAILABLE",
    15: "DATA_LOSS",
    16: "UNAUTHENTICATED",
}


def status_name(code: int | None) -> str | None:
    """``INVALID_ARGUMENT`` for 3; ``None`` for a code gRPC does not define."""
    return None if code is None else STATUS_NAMES.get(code)


def parse_status(value: bytes) -> int | None:
    """The integer of a ``grpc-status`` value, or ``None`` when it is not one."""
    text = value.strip()
    return int(text) if text.isdigit() and len(text) <= 9 else None


def percent_decode(value: bytes) -> str:
    """PROTOCOL-HTTP2.md: ``grpc-message`` is UTF-8 with ``%XX`` escapes.

    Invalid escapes are left as they are and invalid UTF-8 is replaced, because a
    receiver must not fail on a bad message (it is for humans).
    """
    out = bytearray()
    at = 0
    while at < len(value):
        byte = value[at]
        if byte == 0x25 and _is_hex(value[at + 1 : at + 3]):
            out.append(int(value[at + 1 : at + 3], 16))
            at += 3
            continue
        out.append(byte)
        at += 1
    return out.decode("utf-8", errors="replace")


def _is_hex(pair: bytes) -> bool:
    return len(pair) == 2 and all(b in b"0123456789abcdefABCDEF" for b in pair)


def decode_binary_header(value: bytes) -> bytes | None:
    """A ``-bin`` metadata value: base64, padded or not (PROTOCOL-HTTP2.md, "Binary-Header").

    A value starting with a NUL octet is grpc-core's "true binary" metadata: the raw
    bytes follow the NUL. Peers that both announce the (unregistered) setting 0xFE03
    = 1 send it instead of base64 (grpc-core ``GRPC_ARG_HTTP2_ENABLE_TRUE_BINARY``);
    grpcio does so by default, as the bundled sample shows.
    """
    if value[:1] == b"\x00":
        return value[1:]
    text = value.strip()
    try:
        return base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


@cache
def _pool() -> DescriptorPool:
    from google.protobuf import any_pb2, descriptor_pb2, descriptor_pool

    pool = descriptor_pool.DescriptorPool()
    any_file = descriptor_pb2.FileDescriptorProto()
    any_pb2.DESCRIPTOR.CopyToProto(any_file)
    pool.Add(any_file)
    label = descriptor_pb2.FieldDescriptorProto
    status_file = descriptor_pb2.FileDescriptorProto(
        name="google/rpc/status.proto",
        package="google.rpc",
        syntax="proto3",
        dependency=["google/protobuf/any.proto"],
    )
    message = status_file.message_type.add(name="Status")
    message.field.add(name="code", number=1, type=label.TYPE_INT32,
                      label=label.LABEL_OPTIONAL, json_name="code")
    message.field.add(name="message", number=2, type=label.TYPE_STRING,
                      label=label.LABEL_OPTIONAL, json_name="message")
    message.field.add(name="details", number=3, type=label.TYPE_MESSAGE,
                      label=label.LABEL_REPEATED, type_name=".google.protobuf.Any",
                      json_name="details")
    pool.Add(status_file)
    return pool


def rpc_status_descriptor() -> Descriptor:
    """The minimal ``google.rpc.Status`` descriptor (see the module docstring)."""
    return _pool().FindMessageTypeByName("google.rpc.Status")
