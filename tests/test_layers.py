"""The import layers of polyx, read from the source (every import, also inside functions).

Layers run one way: the CLI → the commands' library side (core's conversion, verification,
prediction, plots, demo, api, distributed, reference, junit, gates) → loaders, methods and writers
(converters/, expansion/) → the IR and the activation registry → errors, files, names, paths,
progress. Imports only needed for type hints (under ``TYPE_CHECKING``) are not edges.

``KNOWN_CYCLES`` lists the cycles that remain between modules of one folder (each one a pair of
modules that call each other); the test fails when a new cycle appears or a listed one grows.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"core": "polyx", "cli": "polyx.cli", "converters": "polyx.converters", "expansion": "polyx.expansion"}
COMMANDS_LIBRARY = {f"polyx.{name}" for name in ("conversion", "verification", "prediction", "plots", "demo", "api",
                                                   "distributed", "reference", "junit", "gates")}
KNOWN_CYCLES = [
]


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


def _runtime_imports(tree: ast.AST) -> list[str]:
    """Every ``from polyx… import …`` outside ``if TYPE_CHECKING:`` blocks."""
    names: list[str] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("polyx"):
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def _edges() -> dict[str, set[str]]:
    modules = _modules()
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        for target in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            if target in modules and target != name:
                edges[name].add(target)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative over a small graph)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    counter = [0]

    def connect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(_modules()):
        if node not in index:
            connect(node)
    return found


def test_no_new_import_cycles() -> None:
    for cycle in _cycles(_edges()):
        assert any(cycle <= known for known in KNOWN_CYCLES), f"new import cycle: {sorted(cycle)}"


def test_the_ir_does_not_cycle_with_the_activation_registry() -> None:
    edges = _edges()
    assert "polyx.converters.ir.chain" not in edges["polyx.expansion.activations.registry"]
    assert "polyx.converters.ir.graph" not in edges["polyx.expansion.activations.registry"]


def test_nothing_below_the_cli_imports_it() -> None:
    for module, targets in _edges().items():
        if not module.startswith("polyx.cli"):
            assert not any(target.startswith("polyx.cli") for target in targets), module


def test_loaders_and_methods_do_not_import_the_commands_library() -> None:
    for module, targets in _edges().items():
        if module.startswith(("polyx.converters", "polyx.expansion")):
            assert not targets & COMMANDS_LIBRARY, (module, sorted(targets & COMMANDS_LIBRARY))


def test_no_module_is_imported_by_a_name_string() -> None:
    """``importlib.import_module`` hides an edge from this test (the op registry once loaded its
    families that way, a cycle in disguise); only the package root's lazy public API may use it."""
    for name, path in _modules().items():
        if name == "polyx":
            continue
        calls = [node for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(node, ast.Call) and "import_module" in ast.unparse(node.func)]
        assert not calls, name
