"""Load protobuf schemas: ``.proto`` files or descriptor sets -> a descriptor pool.

Two sources, combinable:

* ``.proto`` files (``--proto``, with ``-I/--proto-path`` for imports), compiled
  at run time by the ``protoc`` that grpcio-tools bundles as a library. The
  well-known types (``google/protobuf/*.proto``) are always on the import path.
  grpcio-tools is heavy, so it is imported only when a ``.proto`` is given.
* ``FileDescriptorSet`` files (``--descriptor-set``), as written by
  ``protoc -o out.pb --include_imports`` or ``buf build -o out.pb``.

The result is a :class:`Schema`: a private descriptor pool plus lookups for a
message type (``--type``) and a gRPC method (``/package.Service/Method``).

This module reads the files it is told to read and nothing else. It does not
decode any payload (``wire.py``), attach schema names to a decode
(``annotate.py``) or print anything (the CLI turns :class:`SchemaError` into a
message and exit code 2).
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor import Descriptor, FileDescriptor
from google.protobuf.message import DecodeError

from wiretool.errors import WiretoolError

WELL_KNOWN_PREFIX = "google/protobuf/"


class SchemaError(WiretoolError):
    """A schema cannot be loaded, or a type or method is not in it (exit code 2)."""


@dataclass(frozen=True, slots=True)
class CompileProblem:
    """One message of the ``.proto`` compiler, located where it can be."""

    file: str
    """The file the compiler complains about, as the compiler names it."""
    line: int | None
    """1-based line, when the compiler gives one."""
    column: int | None
    """1-based column, when the compiler gives one."""
    message: str
    """The compiler's own words."""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


class ProtoCompileError(SchemaError):
    """``protoc`` rejected the ``.proto`` files; ``problems`` says where and why."""

    def __init__(self, problems: Sequence[CompileProblem], raw: str) -> None:
        self.problems = tuple(problems)
        """Every problem the compiler reported, in its order."""
        self.raw = raw
        """The compiler's complete stderr output."""
        lines = [str(p) for p in self.problems] or [raw.strip() or "unknown compiler error"]
        super().__init__("cannot compile .proto files:\n  " + "\n  ".join(lines))


@dataclass(frozen=True, slots=True)
class MethodTypes:
    """The request and response message types of one gRPC method."""

    path: str
    """``/package.Service/Method`` as it appears in the ``:path`` header."""
    input: Descriptor
    """The request message type."""
    output: Descriptor
    """The response message type."""
    client_streaming: bool
    server_streaming: bool


@dataclass(frozen=True)
class Schema:
    """A loaded set of ``.proto`` files, ready for type and method lookups."""

    pool: descriptor_pool.DescriptorPool
    """A private pool (never the process-wide default) holding every loaded file."""
    files: tuple[str, ...]
    """Names of every file in the pool, dependencies first."""
    roots: tuple[str, ...]
    """Names of the files the user asked for (not pulled in as imports)."""

    # -- message types ---------------------------------------------------------------

    def message_names(self, *, roots_only: bool = False, nested: bool = True) -> list[str]:
        """Full names of the message types, in file and declaration order."""
        names: list[str] = []
        for name in self.roots if roots_only else self.files:
            fd = self.pool.FindFileByName(name)
            for desc in fd.message_types_by_name.values():
                names.extend(_walk_names(desc) if nested else [desc.full_name])
        return names

    def resolve_type(self, name: str | None) -> Descriptor:
        """The message type called ``name`` (a leading dot is allowed).

        Without a name, the single top-level message of the user's files; when
        there are several (or none) a SchemaError lists the candidates. An unknown
        name gives a SchemaError listing close matches.
        """
        if name is None or name == "":
            candidates = self.message_names(roots_only=True, nested=False)
            if len(candidates) == 1:
                return self.pool.FindMessageTypeByName(candidates[0])
            if not candidates:
                raise SchemaError("the schema defines no message type; nothing to decode with")
            raise SchemaError(
                "the schema has several top-level messages; choose one with --type:\n  "
                + "\n  ".join(candidates)
            )
        full = name.lstrip(".")
        try:
            return self.pool.FindMessageTypeByName(full)
        except KeyError:
            pass
        everything = self.message_names()
        # Accept an unambiguous short name ("Item" for "demo.Item").
        short = [n for n in everything if n == full or n.endswith("." + full)]
        if len(short) == 1:
            return self.pool.FindMessageTypeByName(short[0])
        raise SchemaError(_unknown("message type", full, everything, short))

    # -- gRPC methods ----------------------------------------------------------------

    def method_names(self) -> list[str]:
        """Every method as ``/package.Service/Method``."""
        paths: list[str] = []
        for name in self.files:
            fd = self.pool.FindFileByName(name)
            for service in fd.services_by_name.values():
                paths.extend(f"/{service.full_name}/{m.name}" for m in service.methods)
        return paths

    def method(self, path: str) -> MethodTypes:
        """Request and response types of ``/package.Service/Method`` (a gRPC ``:path``)."""
        match = re.fullmatch(r"/?([A-Za-z_][\w.]*)/(\w+)", path)
        if match is None:
            raise SchemaError(
                f"not a gRPC method path: {path!r} (expected /package.Service/Method)"
            )
        service_name, method_name = match.groups()
        try:
            service = self.pool.FindServiceByName(service_name)
        except KeyError:
            raise SchemaError(
                _unknown("gRPC method", f"/{service_name}/{method_name}", self.method_names())
            ) from None
        found = service.methods_by_name.get(method_name)
        if found is None:
            raise SchemaError(
                _unknown("gRPC method", f"/{service_name}/{method_name}", self.method_names())
            )
        return MethodTypes(
            path=f"/{service.full_name}/{found.name}",
            input=found.input_type,
            output=found.output_type,
            client_streaming=bool(getattr(found, "client_streaming", False)),
            server_streaming=bool(getattr(found, "server_streaming", False)),
        )


def load_schema(
    protos: Sequence[str | os.PathLike[str]] = (),
    proto_paths: Sequence[str | os.PathLike[str]] = (),
    descriptor_sets: Sequence[str | os.PathLike[str]] = (),
) -> Schema:
    """Compile ``protos`` and read ``descriptor_sets`` into one :class:`Schema`.

    Raises ProtoCompileError for a broken ``.proto`` and SchemaError for an
    unreadable or invalid descriptor set, or when both sources define the same
    file differently.
    """
    if not protos and not descriptor_sets:
        raise SchemaError("no schema given (use --proto FILE or --descriptor-set FILE)")
    files: list[descriptor_pb2.FileDescriptorProto] = []
    roots: list[str] = []
    for path in descriptor_sets:
        fds = read_descriptor_set(path)
        files.extend(fds.file)
        # A set holds its roots last; without source info, every file it holds is a root
        # unless it is a well-known type.
        roots.extend(f.name for f in fds.file if not f.name.startswith(WELL_KNOWN_PREFIX))
    if protos:
        fds, names = compile_protos(protos, proto_paths)
        files.extend(fds.file)
        roots.extend(names)
    return build_schema(files, roots)


def read_descriptor_set(path: str | os.PathLike[str]) -> descriptor_pb2.FileDescriptorSet:
    """Parse a serialized ``FileDescriptorSet`` file."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise SchemaError(f"cannot read descriptor set {path}: {exc.strerror or exc}") from None
    fds = descriptor_pb2.FileDescriptorSet()
    try:
        fds.ParseFromString(data)
    except DecodeError as exc:
        raise SchemaError(f"{path} is not a FileDescriptorSet: {exc}") from None
    if not fds.file:
        raise SchemaError(
            f"{path} holds no file descriptors (write it with protoc -o FILE --include_imports)"
        )
    return fds


def build_schema(
    files: Iterable[descriptor_pb2.FileDescriptorProto], roots: Iterable[str]
) -> Schema:
    """A :class:`Schema` from file descriptors in any order (dependencies are sorted first).

    Well-known types missing from ``files`` are taken from the protobuf runtime.
    """
    by_name: dict[str, descriptor_pb2.FileDescriptorProto] = {}
    for fdp in files:
        known = by_name.get(fdp.name)
        if known is not None and known != fdp:
            if fdp.name.startswith(WELL_KNOWN_PREFIX):
                continue  # two copies of a well-known type from different protoc versions
            raise SchemaError(f"{fdp.name} is defined twice, differently")
        by_name[fdp.name] = fdp
    pool = descriptor_pool.DescriptorPool()
    order: list[str] = []
    visiting: set[str] = set()

    def add(name: str, needed_by: str | None) -> None:
        if name in order:
            return
        if name in visiting:
            raise SchemaError(f"import cycle through {name}")
        fdp = by_name.get(name)
        if fdp is None:
            fdp = _well_known(name)
            if fdp is None:
                who = f" (imported by {needed_by})" if needed_by else ""
                raise SchemaError(
                    f"{name}{who} is missing from the descriptor set "
                    "(write it with protoc --include_imports)"
                )
        visiting.add(name)
        for dep in fdp.dependency:
            add(dep, name)
        visiting.discard(name)
        try:
            pool.Add(fdp)
        except (TypeError, ValueError) as exc:
            raise SchemaError(f"invalid file descriptor {name}: {exc}") from None
        order.append(name)

    for name in by_name:
        add(name, None)
    root_names = tuple(dict.fromkeys(r for r in roots if r in order))
    return Schema(pool=pool, files=tuple(order), roots=root_names or tuple(order))


# -- compiling .proto files -------------------------------------------------------------

_PROTOC_LOCK = threading.Lock()
# "file.proto:12:5: message" (protoc's usual form) or "file.proto: message".
_PROBLEM = re.compile(r"^(?P<file>[^:\n]+?):(?:(?P<line>\d+):(?P<col>\d+):)?\s*(?P<msg>.*)$")


def well_known_include() -> str:
    """The directory holding ``google/protobuf/*.proto`` as shipped with grpcio-tools."""
    spec = importlib.util.find_spec("grpc_tools")  # locates the package without loading it
    if spec is None or spec.origin is None:
        raise SchemaError(
            "compiling .proto files needs grpcio-tools (pip install grpcio-tools), "
            "or pass a descriptor set with --descriptor-set"
        )
    return str(Path(spec.origin).parent / "_proto")


def compile_protos(
    protos: Sequence[str | os.PathLike[str]], proto_paths: Sequence[str | os.PathLike[str]] = ()
) -> tuple[descriptor_pb2.FileDescriptorSet, list[str]]:
    """Compile ``.proto`` files with the bundled protoc; return the set and the root names.

    Each file must lie under one of ``proto_paths``; when it does not (or none is
    given) its own directory is added, so ``--proto dir/x.proto`` just works.
    Raises ProtoCompileError with file, line and column of every problem.
    """
    try:
        from grpc_tools import protoc  # type: ignore[import-untyped]  # heavy: lazily
    except ImportError:  # pragma: no cover - grpcio-tools is a dependency
        raise SchemaError(
            "compiling .proto files needs grpcio-tools (pip install grpcio-tools), "
            "or pass a descriptor set with --descriptor-set"
        ) from None
    includes = [Path(p).resolve() for p in proto_paths]
    for p in includes:
        if not p.is_dir():
            raise SchemaError(f"--proto-path {p}: not a directory")
    names: list[str] = []
    for proto in protos:
        path = _proto_file(proto, includes)
        home = next((inc for inc in includes if path.is_relative_to(inc)), None)
        if home is None:
            home = path.parent
            includes.append(home)
        names.append(path.relative_to(home).as_posix())
    args = ["protoc", *(f"-I{inc}" for inc in dict.fromkeys(includes))]
    args.append(f"-I{well_known_include()}")
    with tempfile.TemporaryDirectory(prefix="wiretool-") as tmp:
        out = Path(tmp) / "schema.pb"
        args += ["--include_imports", f"--descriptor_set_out={out}", *names]
        code, stderr = _run_capturing_stderr(lambda: int(protoc.main(args)), Path(tmp) / "err")
        if code != 0 or not out.exists():
            # protoc names files by their resolved path; show them as the user wrote them.
            for proto in protos:
                stderr = stderr.replace(str(Path(proto).resolve()), str(proto))
            raise ProtoCompileError(parse_compiler_output(stderr), stderr)
        data = out.read_bytes()
    fds = descriptor_pb2.FileDescriptorSet()
    fds.ParseFromString(data)
    return fds, names


def _proto_file(proto: str | os.PathLike[str], includes: Sequence[Path]) -> Path:
    """The ``.proto`` file ``--proto`` names: a path, or as protoc reads it, a path under
    one of the ``-I`` directories (``-I api --proto v1/order.proto``). A directory or a
    compiled descriptor set is refused with what to give instead."""
    given = Path(proto)
    candidates = [given] + ([inc / given for inc in includes] if not given.is_absolute() else [])
    path = next((c for c in candidates if c.is_file()), None)
    if path is None:
        if given.is_dir():
            raise SchemaError(f"{proto} is a directory: give its .proto files (--proto "
                              f"{given / 'x.proto'}), and -I {proto} to import from it")
        where = (" (nor under " + ", ".join(f"-I {inc}" for inc in includes) + ")"
                 if includes and not given.is_absolute() else "")
        raise SchemaError(f"cannot read {proto}: no such file{where}")
    try:
        head = path.read_bytes()[:4096]
    except OSError as error:
        raise SchemaError(f"cannot read {proto}: {error.strerror or error}") from None
    if b"\0" in head or not _is_utf8(head):
        if _is_descriptor_set(path):
            raise SchemaError(f"{proto} is a compiled descriptor set, not a .proto file: "
                              f"pass it with --descriptor-set {proto}")
        raise SchemaError(f"{proto} is not a .proto file (binary data)")
    return path.resolve()


def _is_utf8(head: bytes) -> bool:
    """``head`` (the first bytes of a file) is UTF-8, but for a character cut at its end."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3
    return True


def _is_descriptor_set(path: Path) -> bool:
    fds = descriptor_pb2.FileDescriptorSet()
    try:
        fds.ParseFromString(path.read_bytes())
    except Exception:  # the runtime's DecodeError, or anything a hostile file provokes
        return False
    return len(fds.file) > 0 and all(f.name for f in fds.file)


_PROTOC_LOG = re.compile(r"^(protoc: )?[IWEF]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] ")
"""The prefix of a line of protoc's own log (absl): ``protoc: W0000 00:00:17.9 19656
parser.cc:659] ``."""


def parse_compiler_output(stderr: str) -> list[CompileProblem]:
    """Split protoc's stderr into located problems (lines it cannot place are kept whole;
    protoc's log-system notice goes, and its log lines keep only their message)."""
    problems: list[CompileProblem] = []
    for line in stderr.splitlines():
        if not line.strip() or line.startswith("WARNING: All log messages before absl::"):
            continue
        line = _PROTOC_LOG.sub("", line)
        match = _PROBLEM.match(line)
        if match is None or " " in match.group("file").strip():
            problems.append(CompileProblem(file="protoc", line=None, column=None, message=line))
            continue
        problems.append(
            CompileProblem(
                file=match.group("file"),
                line=int(match.group("line")) if match.group("line") else None,
                column=int(match.group("col")) if match.group("col") else None,
                message=match.group("msg").strip(),
            )
        )
    return problems


def _run_capturing_stderr(call: Callable[[], int], path: Path) -> tuple[int, str]:
    """Run ``call`` with file descriptor 2 pointed at ``path``; return its code and output.

    The bundled protoc is native code writing to fd 2 directly, so redirecting
    ``sys.stderr`` would not catch it. The lock keeps two threads from swapping fd 2
    at once.
    """
    with _PROTOC_LOCK, open(path, "w+b") as sink:
        saved = os.dup(2)
        try:
            os.dup2(sink.fileno(), 2)
            code = call()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        return code, sink.read().decode("utf-8", errors="replace")


# -- helpers ----------------------------------------------------------------------------


def _walk_names(desc: Descriptor) -> list[str]:
    names = [desc.full_name]
    for nested in desc.nested_types:
        if nested.GetOptions().map_entry:
            continue
        names.extend(_walk_names(nested))
    return names


def _well_known(name: str) -> descriptor_pb2.FileDescriptorProto | None:
    """A well-known type's descriptor from the protobuf runtime, when ``name`` is one."""
    if not name.startswith(WELL_KNOWN_PREFIX):
        return None
    try:
        fd: FileDescriptor = descriptor_pool.Default().FindFileByName(name)
    except KeyError:
        _import_well_known()
        try:
            fd = descriptor_pool.Default().FindFileByName(name)
        except KeyError:
            return None
    fdp = descriptor_pb2.FileDescriptorProto()
    fd.CopyToProto(fdp)
    return fdp


def _import_well_known() -> None:
    # Importing the generated modules registers their files in the default pool.
    from google.protobuf import (  # noqa: F401
        any_pb2,
        api_pb2,
        duration_pb2,
        empty_pb2,
        field_mask_pb2,
        source_context_pb2,
        struct_pb2,
        timestamp_pb2,
        type_pb2,
        wrappers_pb2,
    )


def _unknown(what: str, name: str, known: Sequence[str], partial: Sequence[str] = ()) -> str:
    close = list(partial) or difflib.get_close_matches(name, known, n=5, cutoff=0.5)
    if not close:
        # Compare short names too: "Itme" should find "demo.Item".
        shorts = {k.rsplit(".", 1)[-1].rsplit("/", 1)[-1]: k for k in known}
        tail = name.rsplit(".", 1)[-1].rsplit("/", 1)[-1]
        close = [shorts[s] for s in difflib.get_close_matches(tail, list(shorts), n=5, cutoff=0.6)]
    message = f"unknown {what} {name!r}"
    if close:
        return message + "; did you mean: " + ", ".join(close) + "?"
    if known:
        listed = ", ".join(known[:10]) + (" ..." if len(known) > 10 else "")
        return message + "; the schema has: " + listed
    return message + "; the schema defines none"
