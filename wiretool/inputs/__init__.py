"""Turn what the user gave into bytes: one place that reads and sniffs every input.

* ``text``: one blob for ``decode`` and ``compare-json`` — raw binary, hex text, an
  ``xxd`` or ``hexdump -C`` dump, base64 (``decode_input``), and the incremental
  reading of hex text dumps (``iter_text_dump``);
* ``streams``: byte-stream inputs for ``h2-frames`` — is it a pcap/pcapng capture,
  tshark follow output, hex text or raw binary (``sniff_stream``), and the pieces of a
  connection dump read as they arrive (``iter_dump_chunks``);
* ``follow``: the ``tshark -q -z follow,tcp,raw,N`` format.

This package reads files and standard input and nothing else; it knows nothing of
protobuf, HTTP/2 or gRPC (captures are read by ``wiretool.capture``).
"""

from wiretool.inputs.text import (
    DecodedInput,
    InputFormat,
    decode_input,
    detect_text_dump,
    iter_text_dump,
    read_source,
)

__all__ = [
    "DecodedInput",
    "InputFormat",
    "decode_input",
    "detect_text_dump",
    "iter_text_dump",
    "read_source",
]
