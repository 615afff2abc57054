"""The package layout docs/library.md describes ("Layout"), checked.

Every ``import`` statement of every module counts: at the top, inside functions (the
lazy imports that keep start-up cheap) and under ``TYPE_CHECKING``. Two rules:

* no import cycle between modules (a cycle makes the order of imports matter and
  the layers meaningless);
* each package imports only the packages below it: ``capture`` knows no protocol
  above TCP, the protocol packages know no session, renderer or CLI, the session
  knows no renderer or CLI, the renderers know no CLI.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "wiretool"

FORBIDDEN: dict[str, set[str]] = {
    "capture": {"http2", "grpc", "protobuf", "tls", "session", "render", "cli"},
    "inputs": {"http2", "grpc", "protobuf", "tls", "session", "render", "cli"},
    "tls": {"http2", "grpc", "protobuf", "session", "render", "cli"},
    "http2": {"grpc", "protobuf", "tls", "session", "render", "cli"},
    "grpc": {"tls", "session", "render", "cli"},
    "protobuf": {"capture", "http2", "grpc", "tls", "session", "render", "cli"},
    "session": {"render", "cli"},
    "render": {"cli", "inputs"},
}
"""Package -> the packages of wiretool it must not import."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Module -> the wiretool modules it imports (a package import counts as the
    package's ``__init__``; ``from package import module`` as the module)."""
    modules = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [t if t in modules else node.module for t in targets]
            else:
                continue
            found.update(t for t in targets if t in modules and t != name)
        graph[name] = found
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return out


def test_no_module_import_cycle() -> None:
    graph = _imports()
    assert len(graph) > 50
    assert _cycles(graph) == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_each_package_imports_only_the_layers_below_it(package: str) -> None:
    wrong = []
    for module, targets in _imports().items():
        if module.split(".")[1:2] != [package]:
            continue
        for target in targets:
            if target.split(".")[1:2] and target.split(".")[1] in FORBIDDEN[package]:
                wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
