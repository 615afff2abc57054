"""gRPC over HTTP/2: length-prefixed messages, compression, trailers and status.

* ``messages``: ``GrpcTracker`` follows the frames of one HTTP/2 connection and
  turns the DATA of gRPC streams into ``GrpcMessage`` records (split across DATA
  frame boundaries, decompressed, decoded with ``wiretool.protobuf``) and their
  trailers into ``GrpcStatus`` records;
* ``status``: status code names, ``grpc-message`` percent-decoding, the
  ``google.rpc.Status`` descriptor for ``grpc-status-details-bin``.

Spec: https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md. Frames come
from ``wiretool.http2``; rendering is left to ``wiretool.render``.
"""
