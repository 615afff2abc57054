"""wiretool: show, byte by byte, what protobuf, gRPC, HTTP/2 and HPACK put on the wire.

The package is a library first: decoders in ``wiretool.protobuf``, ``wiretool.http2``
and ``wiretool.capture`` build a model of frozen dataclasses with absolute byte
offsets; ``wiretool.render`` turns that model into text; ``wiretool.cli`` is a thin
Typer layer on top. Heavy imports (protobuf runtime, HTTP/2, captures) happen only
inside the command that needs them.
"""

__version__ = "0.1.0"
