"""The HTTP/2 session: one pipeline from a capture or a connection dump to records.

    from wiretool.session import SessionOptions, decode_h2

    with decode_h2("samples/grpc/demo.pcap", SessionOptions(summary=True)) as records:
        for record in records:
            ...  # ConnectionStart, Located (Frame, GrpcMessage...), ConnectionEnd...

Layers, from the input up (each module's docstring says more):

* ``pipeline``: ``decode_h2`` — sniff the input; a capture goes through
  ``wiretool.capture`` into ``capture.CaptureSession`` (and ``gaps``), a dump into
  ``dump.DumpSession``; ``select`` applies the filters and the limit;
* ``tls`` (with ``keys``): ``TlsStage`` — a connection whose first bytes are TLS,
  decrypted with the key logs and the capture's Decryption Secrets Blocks, its
  plaintext given to HTTP/2 as a cleartext connection's bytes are;
* ``connection``: ``ConnectionDecoder`` — HTTP/2, HPACK, gRPC and totals of one
  connection, put together in this one place;
* ``records``, ``summary``, ``options``: the model this package yields and takes;
* ``jobs`` (with ``shard``): a capture file decoded in several processes.

The session creates the caches it passes down (HPACK decodings) and knows no output
format: ``wiretool.render`` turns the records into text. The records' inner kinds
(``Frame``, ``GrpcMessage``...) are re-exported here, so one import is enough.
"""

from wiretool.capture.model import CaptureDiagnostic
from wiretool.grpc.messages import GrpcMessage, GrpcStatus
from wiretool.http2.frames import Frame, H2Diagnostic, Preface
from wiretool.session.options import SessionOptions
from wiretool.session.pipeline import H2Decoding, Source, decode_h2
from wiretool.session.records import (
    ConnectionEnd,
    ConnectionInfo,
    ConnectionStart,
    H2cUpgrade,
    Located,
    SessionRecord,
    record_diagnostics,
    record_has_error,
)
from wiretool.session.summary import StreamRow, Summary, Totals

__all__ = [
    "CaptureDiagnostic",
    "ConnectionEnd",
    "ConnectionInfo",
    "ConnectionStart",
    "Frame",
    "GrpcMessage",
    "GrpcStatus",
    "H2Decoding",
    "H2Diagnostic",
    "H2cUpgrade",
    "Located",
    "Preface",
    "SessionOptions",
    "SessionRecord",
    "Source",
    "StreamRow",
    "Summary",
    "Totals",
    "decode_h2",
    "record_diagnostics",
    "record_has_error",
]
