"""Protobuf on the wire: the decoder (``wire``: the walk, kind inference and JSON run in
the native core, ``native``), the model it builds (``model``), gRPC and delimited
framing (``framing``), schemas (``schema``, ``annotate``), the runtime's printers
(``runtime``), and protobuf-against-JSON sizes (``sizes``). Knows nothing of HTTP/2.
"""
