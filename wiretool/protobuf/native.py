"""The native core (Rust, ``wiretool._core``) behind one interface.

The core walks the bytes, scores every reading of every length-delimited payload,
decides per field path and builds the fields - as the public model's ``Field``
tuples, or as the FIELD objects of ``decode --format json`` written directly. This
module is the only one that talks to it; ``wire.py`` offers the public functions:

* ``NativeReader``: the two passes over a set of regions that share one
  classification - ``gather()``, ``faults``, ``diagnostics``, ``fields(index)``;
* ``NativeFields.write_json(write)``: a message's fields as JSON text, written in
  chunks without building a Python object per field (``render/protobuf_json.py``);
* ``NativeFields.annotated(descriptor, found)``: the fields read with a schema
  (names, declared types, display values) by the core itself
  (``annotate.AnnotatedView``), so ``--proto`` decodes at the core's speed too;
* ``read_varint``: the core's varint reader, for framing.

The schema reaches the core as tables (``schema_table``): per message type, per
field number, the reading a length-delimited payload must have and what
``annotate`` would attach. The extension is imported on first use only, so a
command that never decodes protobuf pays nothing for it at start-up.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from wiretool.errors import Diagnostic, Severity
from wiretool.protobuf.model import Field, Kind, PackedType, Region, SchemaInfo, WireType

if TYPE_CHECKING:
    from google.protobuf.descriptor import Descriptor

    from wiretool import _core
    from wiretool.protobuf.annotate import DescriptorHints

THREADS = True
"""Whether the core may use a second thread on a long message where the machine has
two CPUs: pass 1 scores the two halves of a message of 256 KiB or more apart, and
pass 2 has its JSON text formatted on the other thread from 64 KiB (``engine.rs``,
``pipeline.rs``): the same results, to the byte. The tests set it False to compare
with the one-thread reference."""

_SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)
_KIND_CODES = {kind: code for code, kind in enumerate(Kind)}
# Reading numbers of the core (``rules.rs``: message, string, packed varint/fixed32/
# fixed64, bytes) by the kind a schema gives a length-delimited field (both enums are
# ``str``s, and "varint" is in both: looked up apart).
_KIND_READINGS = {Kind.MESSAGE: 0, Kind.STRING: 1, Kind.BYTES: 5}
_PACKED_READINGS = {PackedType.VARINT: 2, PackedType.FIXED32: 3, PackedType.FIXED64: 4}


def _reading_code(declared: Kind | PackedType | None) -> int:
    """The core's reading number for a declared LEN reading; -1 for none."""
    if isinstance(declared, PackedType):
        return _PACKED_READINGS[declared]
    return _KIND_READINGS.get(declared, -1) if declared is not None else -1


@functools.cache
def _core_module() -> Any:
    """The extension. ``pip install .`` puts it in site-packages; a source checkout
    imported from its root (``pytest`` there, after that install) has the Python
    files but not the compiled module, which is then loaded from the installed
    distribution. Neither: an ImportError that says how to build it.
    """
    try:
        from wiretool import _core as core
    except ImportError:
        core = _installed_core()
        if core is None:
            raise ImportError("wiretool's native core (wiretool._core) is not built: "
                              "`pip install .` builds it (see README, Development)") from None
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


def read_varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    """``(value, next_offset)`` of the varint at ``pos`` (before ``end``); ValueError
    when it is truncated or longer than 10 bytes. Wider than 64 bits: truncated."""
    value, after = _core_module().read_varint(_as_bytes(buf), pos, end)
    return int(value), int(after)


@dataclass(frozen=True, slots=True)
class NativeFault:
    """Where pass 1 stopped a region."""

    offset: int
    """Where the problem is."""
    resume: int
    """Where the unparsed tail starts."""
    message: str


def _diagnostics(found: Sequence[tuple[int, int, str, int]]) -> list[Diagnostic]:
    return [Diagnostic(offset, _SEVERITIES[severity], message, length)
            for offset, severity, message, length in found]


class NativeReader:
    """The two passes over a set of regions that share one classification; ``hints``:
    what a schema says of the regions' message type."""

    def __init__(self, regions: list[Region], hints: DescriptorHints | None,
                 max_depth: int) -> None:
        core = _core_module()
        self.regions = regions
        self.hints = hints
        self.max_depth = max_depth
        self.diagnostics: list[Diagnostic] = []
        self.faults: list[NativeFault | None] = []
        self.descriptor = hints.descriptor if hints is not None else None
        table = schema_table(self.descriptor) if self.descriptor is not None else None
        self._reader: _core.Reader = core.Reader(
            [(_as_bytes(r.buffer), r.start, r.end) for r in regions],
            max(0, min(max_depth, 0xFFFFFFFF)), table, _MODEL, THREADS)

    def gather(self) -> None:
        """Pass 1 over every region."""
        self.faults = [None if fault is None else NativeFault(*fault)
                       for fault in self._reader.gather()]
        self._take()
        if self.hints is not None and self.hints.any_pool is not None:
            self._unpack_anys(self.hints.descriptor, self.hints.any_pool)

    def _unpack_anys(self, root: Descriptor, pool: Any) -> None:
        """Tell the core the types the type URLs pass 1 met name in ``pool`` (a
        ``google.protobuf.Any`` holding one has its value read as it in pass 2)."""
        urls = self._reader.type_urls()
        table, index = _tables(root, ())
        if not urls or ANY_TYPE not in index:
            return
        from wiretool.protobuf.annotate import any_type

        named = [any_type(url.decode("ascii", "replace"), pool) for url in urls]
        held = tuple(dict.fromkeys(d for d in named if d is not None))
        table, index = _tables(root, held)
        self._reader.set_any_types(
            table, index[ANY_TYPE], [(index[d.full_name], d.full_name) for d in held],
            [-1 if d is None else index[d.full_name] for d in named])

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
        ``"fields"`` list) through ``write``, in chunks of about 64 KiB."""
        self._reader._reader.write_json(self._index, write, self._annotate, THREADS)
        self._done()

    @property
    def size_bytes(self) -> int:
        """Bytes of the message the fields are read from."""
        region = self._reader.regions[self._index]
        return max(0, region.end - region.start)

    def write_json_stdout(self) -> None:
        """``write_json`` straight to file descriptor 1, the process's standard output
        (flush what Python wrote there first): no Python object per chunk."""
        self._reader._reader.write_json_stdout(self._index, self._annotate, THREADS)
        self._done()

    def _done(self) -> None:
        self._reader._take()
        if self._found is not None:
            self._found.extend(_diagnostics(self._reader._reader.take_annotation_diagnostics()))
        self._on_done()

    def annotated(self, descriptor: Descriptor, found: list[Diagnostic],
                  any_pool: Any = None) -> NativeFields | None:
        """The same fields read as ``descriptor`` by the core (``annotate``'s rules),
        their schema contradictions added to ``found``; None when the decode was not
        given that descriptor's hints, Anys unpacked from ``any_pool`` (then annotate
        in Python)."""
        own = self._reader.descriptor
        if own is None or (own is not descriptor and own.full_name != descriptor.full_name):
            return None
        hints = self._reader.hints
        if hints is None or hints.any_pool is not any_pool:
            return None
        return NativeFields(self._reader, self._index, self._on_done, True, found)


def _as_bytes(buffer: bytes) -> bytes:
    return buffer if type(buffer) is bytes else bytes(buffer)


_MODEL = (Field, SchemaInfo, tuple(WireType), tuple(Kind), tuple(PackedType))
"""What the core builds the model with: ``Field``, ``SchemaInfo``, and the enum
members by number (wire types) or declaration order (kinds, packed types)."""

SchemaTable = list[list[tuple[Any, ...]]]


ANY_TYPE = "google.protobuf.Any"


def schema_table(root: Descriptor) -> SchemaTable:
    """The tables of ``root`` and the types below it (see ``_tables``)."""
    return _tables(root, ())[0]


@functools.lru_cache(maxsize=64)
def _tables(root: Descriptor, held: tuple[Descriptor, ...]) -> tuple[SchemaTable, dict[str, int]]:
    """The message types reachable from ``root`` (root first) as the core reads them:
    per field ``(number, name, declared type, JSON name, oneof, expected kind code per
    wire type 0-5 (-1: contradicts), forced LEN reading (-1: none), FieldDescriptor
    type, declared wire type, enum names by number, message type index (-1))``.

    ``held``: types google.protobuf.Anys hold, added (with the types below them) after
    those; the second item is every type's index by full name. Built from ``annotate``'s
    own functions, so the core and ``annotate`` read a schema alike. Kept for the last
    64 calls (descriptors are immutable; a gRPC capture decodes every message of a
    method with the same one).
    """
    from google.protobuf.descriptor import FieldDescriptor

    from wiretool.protobuf import annotate

    types = [root]
    index = {root.full_name: 0}
    table: SchemaTable = []
    waiting = list(held)
    while len(table) < len(types) or waiting:
        if len(table) == len(types):  # root's types done: the next type an Any holds
            descriptor = waiting.pop(0)
            if descriptor.full_name in index:
                continue
            index[descriptor.full_name] = len(types)
            types.append(descriptor)
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
            forced = hints.kind_for(fd.number, WireType.LEN)
            enum_names = None
            if fd.type == FieldDescriptor.TYPE_ENUM and fd.enum_type is not None:
                enum_names = {number: str(value.name)
                              for number, value in fd.enum_type.values_by_number.items()}
            rows.append((fd.number, fd.name, annotate.type_name(fd), fd.json_name,
                         annotate.oneof_name(fd), expected,
                         _reading_code(forced), fd.type,
                         int(annotate.declared_wire_type(fd)), enum_names, child))
        table.append(rows)
    return table, index
