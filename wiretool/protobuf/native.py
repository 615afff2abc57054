"""The native core (Rust, ``wiretool._core``) behind one interface.

The core walks the bytes, scores every reading of every length-delimited payload,
decides per field path and writes the FIELD objects of ``decode --format json``
directly; this module is the only one that talks to it. It offers what
``wire.py``'s pure-Python ``_Reader`` offers - ``gather()``, ``faults``,
``diagnostics``, ``fields(index)`` - so ``wire.decode_stream`` and friends run on
either engine, plus what only the core can do:

* ``NativeFields.write_json(write)``: a message's fields as JSON text, written in
  chunks without building a Python object per field (``render/protobuf_json.py``);
* ``NativeFields.annotated(descriptor, found)``: the fields read with a schema
  (names, declared types, display values) by the core itself
  (``annotate.AnnotatedView``), so ``--proto`` decodes at the core's speed too.

Which engine runs: ``wire.decode(..., engine=...)``; ``auto`` (the default) takes
the core when it is built and the hints are a schema's (``DescriptorHints``), or
what the ``WIRETOOL_ENGINE`` environment variable says (``native`` or ``python``).
The Python implementation in ``wire.py``/``infer.py`` is the reference: the tests
compare the two on every input they have, and new inference rules are prototyped
there before they are ported to ``core/src/rules.rs``.

The schema reaches the core as tables (``schema_table``): per message type, per
field number, the reading a length-delimited payload must have and what
``annotate`` would attach. The extension is imported on first use only, so a
command that never decodes protobuf pays nothing for it at start-up.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wiretool.errors import Diagnostic, Severity
from wiretool.protobuf.model import Field, Kind, KindHints, PackedType, SchemaInfo, WireType

if TYPE_CHECKING:
    from google.protobuf.descriptor import Descriptor

    from wiretool import _core
    from wiretool.protobuf.wire import Region

ENGINE_VARIABLE = "WIRETOOL_ENGINE"
"""Environment variable choosing the engine of ``engine="auto"``: native or python."""
ENGINES = ("auto", "native", "python")

_SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)
_KIND_CODES = {kind: code for code, kind in enumerate(Kind)}
# Reading numbers of the core (``rules.rs``: message, string, packed varint/fixed32/
# fixed64, bytes) by the key of ``wire._hint_key``.
_READING_CODES = {"message": 0, "string": 1, "packed:varint": 2, "packed:fixed32": 3,
                  "packed:fixed64": 4, "bytes": 5}


class NativeUnavailable(RuntimeError):
    """``engine="native"`` was asked for and the core cannot serve it."""


@functools.cache
def _core_module() -> Any:
    """The extension, or None when it is not built (a source tree without an install).

    ``pip install .`` puts it in site-packages; a source checkout imported from its
    root (``pytest`` there, after that install) has the Python files but not the
    compiled module, which is then loaded from the installed distribution.
    """
    try:
        from wiretool import _core as core
    except ImportError:
        return _installed_core()
    return core


def _installed_core() -> Any:
    import importlib.metadata
    import importlib.util
    import sys

    # Every installed copy's record (a source tree may hold stale metadata of its own).
    files = [file for dist in importlib.metadata.distributions(name="wiretool")
             for file in dist.files or ()]
    for file in files:
        if file.parts[:1] == ("wiretool",) and file.name.startswith("_core."):
            if file.suffix not in (".so", ".pyd"):
                continue
            spec = importlib.util.spec_from_file_location("wiretool._core", file.locate())
            if spec is None or spec.loader is None:
                continue
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            sys.modules["wiretool._core"] = module
            return module
    return None


def wants_native(engine: str, hints: KindHints | None) -> bool:
    """Whether a decode with these options runs on the core (see the module docstring)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (one of {', '.join(ENGINES)})")
    if engine == "auto":
        engine = os.environ.get(ENGINE_VARIABLE, "auto") or "auto"
        if engine not in ENGINES:
            engine = "auto"
    if engine == "python":
        return False
    supported = hints is None or _descriptor_of(hints) is not None
    if engine == "native":
        if _core_module() is None:
            raise NativeUnavailable("the native core is not built (pip install . builds it)")
        if not supported:
            raise NativeUnavailable("the native core takes schema hints as DescriptorHints only")
        return True
    return supported and _core_module() is not None


def _descriptor_of(hints: KindHints) -> Descriptor | None:
    from wiretool.protobuf.annotate import DescriptorHints

    return hints.descriptor if isinstance(hints, DescriptorHints) else None


@dataclass(frozen=True, slots=True)
class NativeFault:
    """Where pass 1 stopped a region (``wire._Fault``'s fields that callers read)."""

    offset: int
    """Where the problem is."""
    resume: int
    """Where the unparsed tail starts."""
    message: str


def _diagnostics(found: Sequence[tuple[int, int, str, int]]) -> list[Diagnostic]:
    return [Diagnostic(offset, _SEVERITIES[severity], message, length)
            for offset, severity, message, length in found]


class NativeReader:
    """``wire._Reader``'s interface, run by the core: the two passes over a set of
    regions that share one classification."""

    def __init__(self, regions: list[Region], hints: KindHints | None, max_depth: int) -> None:
        core = _core_module()
        if core is None:
            raise NativeUnavailable("the native core is not built (pip install . builds it)")
        self.regions = regions
        self.hints = hints
        self.max_depth = max_depth
        self.diagnostics: list[Diagnostic] = []
        self.faults: list[NativeFault | None] = []
        self.descriptor = _descriptor_of(hints) if hints is not None else None
        table = schema_table(self.descriptor) if self.descriptor is not None else None
        self._reader: _core.Reader = core.Reader(
            [(_as_bytes(r.buffer), r.start, r.end) for r in regions],
            max(0, min(max_depth, 0xFFFFFFFF)), table, _MODEL)

    def gather(self) -> None:
        """Pass 1 over every region."""
        self.faults = [None if fault is None else NativeFault(*fault)
                       for fault in self._reader.gather()]
        self._take()

    def _take(self) -> None:
        self.diagnostics.extend(_diagnostics(self._reader.take_diagnostics()))

    def fields(self, index: int) -> Iterator[Field]:
        """The top-level fields of region ``index``, built one at a time."""
        for field in self._reader.fields(index, False):
            self._take()
            yield field
        self._take()

    def region(self, index: int, on_done: Callable[[], None]) -> NativeFields:
        """The fields of region ``index`` as an iterable that can also write its JSON;
        ``on_done`` runs once they have been consumed (either way)."""
        return NativeFields(self, index, on_done)


class NativeFields:
    """The top-level fields of one message: iterate them (model ``Field``s), or have
    the core write their JSON (``write_json``), once."""

    def __init__(self, reader: NativeReader, index: int, on_done: Callable[[], None],
                 annotate: bool = False, found: list[Diagnostic] | None = None) -> None:
        self._reader = reader
        self._index = index
        self._on_done = on_done
        self._annotate = annotate
        self._found = found

    def __iter__(self) -> Iterator[Field]:
        reader = self._reader
        for field in reader._reader.fields(self._index, self._annotate):
            reader._take()
            yield field
        self._done()

    def write_json(self, write: Callable[[bytes], object]) -> None:
        """Write the FIELD objects (comma-separated, the content of the message's
        ``"fields"`` list) through ``write``, in chunks of about 256 KiB."""
        self._reader._reader.write_json(self._index, write, self._annotate)
        self._done()

    @property
    def size_bytes(self) -> int:
        """Bytes of the message the fields are read from."""
        region = self._reader.regions[self._index]
        return max(0, region.end - region.start)

    def write_json_stdout(self) -> None:
        """``write_json`` straight to file descriptor 1, the process's standard output
        (flush what Python wrote there first): no Python object per chunk."""
        self._reader._reader.write_json_stdout(self._index, self._annotate)
        self._done()

    def _done(self) -> None:
        self._reader._take()
        if self._found is not None:
            self._found.extend(_diagnostics(self._reader._reader.take_annotation_diagnostics()))
        self._on_done()

    def annotated(self, descriptor: Descriptor, found: list[Diagnostic]) -> NativeFields | None:
        """The same fields read as ``descriptor`` by the core (``annotate``'s rules),
        their schema contradictions added to ``found``; None when the decode was not
        given that descriptor's hints (then annotate in Python)."""
        own = self._reader.descriptor
        if own is None or (own is not descriptor and own.full_name != descriptor.full_name):
            return None
        return NativeFields(self._reader, self._index, self._on_done, True, found)


def _as_bytes(buffer: bytes) -> bytes:
    return buffer if type(buffer) is bytes else bytes(buffer)


_MODEL = (Field, SchemaInfo, tuple(WireType), tuple(Kind), tuple(PackedType))
"""What the core builds the model with: ``Field``, ``SchemaInfo``, and the enum
members by number (wire types) or declaration order (kinds, packed types)."""

SchemaTable = list[list[tuple[Any, ...]]]


@functools.lru_cache(maxsize=64)
def schema_table(root: Descriptor) -> SchemaTable:
    """The message types reachable from ``root`` (root first) as the core reads them:
    per field ``(number, name, declared type, JSON name, oneof, expected kind code per
    wire type 0-5 (-1: contradicts), forced LEN reading (-1: none), FieldDescriptor
    type, declared wire type, enum names by number, message type index (-1))``.

    Built from ``annotate``'s own functions, so both engines read a schema alike.
    Kept for the last 64 descriptors (descriptors are immutable; a gRPC capture
    decodes every message of a method with the same one).
    """
    from google.protobuf.descriptor import FieldDescriptor

    from wiretool.protobuf import annotate
    from wiretool.protobuf.wire import _hint_key

    types = [root]
    index = {root.full_name: 0}
    table: SchemaTable = []
    while len(table) < len(types):
        descriptor = types[len(table)]
        hints = annotate.DescriptorHints(descriptor)
        rows: list[tuple[Any, ...]] = []
        for fd in descriptor.fields:
            child = -1
            if fd.message_type is not None:
                child = index.setdefault(fd.message_type.full_name, len(types))
                if child == len(types):
                    types.append(fd.message_type)
            expected = []
            for wire_type in WireType:
                kind = annotate.expected_kind(fd, wire_type)
                expected.append(-1 if kind is None else _KIND_CODES[kind])
            forced = _hint_key(hints.kind_for(fd.number, WireType.LEN))
            enum_names = None
            if fd.type == FieldDescriptor.TYPE_ENUM and fd.enum_type is not None:
                enum_names = {number: str(value.name)
                              for number, value in fd.enum_type.values_by_number.items()}
            rows.append((fd.number, fd.name, annotate.type_name(fd), fd.json_name,
                         annotate.oneof_name(fd), expected,
                         -1 if forced is None else _READING_CODES[forced], fd.type,
                         int(annotate.declared_wire_type(fd)), enum_names, child))
        table.append(rows)
    return table
