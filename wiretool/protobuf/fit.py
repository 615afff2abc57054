"""Which message types of a schema read these bytes completely.

``decode --proto FILE`` without ``--type``, when FILE declares several top-level
messages: each is tried, and a type *fits* when, read as it, the input decodes
with no error (no truncated field, no stray bytes, nothing left unparsed), every
field at every depth is one the schema declares, and nothing contradicts the
schema (a declared ``double`` sent as a varint, a declared message whose bytes do
not parse). When exactly one type fits, it is the answer; otherwise the user
chooses. Warnings (a declared ``int32`` beyond 32 bits, read as protobuf parsers
read it) do not disqualify a type.

Decoding is ``wire.decode_stream``'s and reading with a schema ``annotate``'s;
this module only asks them, once per candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from google.protobuf.descriptor import Descriptor

from wiretool.errors import Severity
from wiretool.protobuf.annotate import AnnotatedView, DescriptorHints
from wiretool.protobuf.model import Field, Kind


def fitting_types(data: bytes, candidates: Sequence[Descriptor], *, start: int = 0,
                  framing: str = "auto", max_depth: int = 100,
                  max_message_size: int = 64 * 1024 * 1024) -> list[Descriptor]:
    """The types of ``candidates`` that read ``data`` completely (see the module
    docstring), in the order given. The arguments after ``candidates`` are
    ``decode_stream``'s."""
    from wiretool.protobuf.wire import decode_stream

    fitting: list[Descriptor] = []
    for descriptor in candidates:
        view = AnnotatedView(
            decode_stream(data, start=start, framing=framing, max_depth=max_depth,
                          max_message_size=max_message_size,
                          hints=DescriptorHints(descriptor)),
            descriptor)
        if reads_completely(view):
            fitting.append(descriptor)
    return fitting


def reads_completely(view: AnnotatedView) -> bool:
    """Every message of ``view`` read to its end with known fields only, and no error."""
    for message, fields in view.parts():
        if message.unparsed is not None or not _all_known(fields):
            return False
    if view.trailing is not None:
        return False
    return not any(d.severity is Severity.ERROR for d in view.diagnostics)


def _all_known(fields: Iterable[Field]) -> bool:
    for field in fields:
        if field.schema is None:
            return False
        if field.kind in (Kind.MESSAGE, Kind.GROUP) and not _all_known(field.fields):
            return False
    return True
