"""The import layers of polyx, read from the source (every import, also inside functions).

Layers run one way: the CLI → the commands' library side (core's conversion, verification,
prediction, plots, demo, api, ...) → loaders, methods, analyses and writers (converters/,
expansion/) → the polynomial, the kernel and the IR → the activation registry → errors, files,
paths, names, progress, data tables and metrics. Imports only needed for type hints (under
``TYPE_CHECKING``) are not edges. There is no import cycle anywhere, and no module is imported by
a name string below the package root.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"core": "polyx", "cli": "polyx.cli", "converters": "polyx.converters", "expansion": "polyx.expansion"}
COMMANDS_LIBRARY = {f"polyx.{name}" for name in ("conversion", "verification", "prediction", "plots", "demo", "api",
                                                   "distributed", "reference", "junit", "gates")}


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


def test_no_import_cycles() -> None:
    cycles = [sorted(cycle) for cycle in _cycles(_edges())]
    assert not cycles, f"import cycles: {cycles}"


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


LAYERS = [
    ("files and errors", ("polyx", "polyx.errors", "polyx.files", "polyx.paths", "polyx.names", "polyx.interrupts",
                          "polyx.progress", "polyx.native_files", "polyx.tabular", "polyx.metrics")),
    ("activations", ("polyx.expansion.activations",)),
    ("polynomial, kernel, IR", ("polyx.expansion.kernel", "polyx.expansion.polynomials", "polyx.converters.ir")),
    ("methods, writers, loaders", ("polyx.expansion", "polyx.converters")),
    ("commands' library side", ("polyx.",)),
    ("cli", ("polyx.cli",)),
]
"""The layers from the bottom up, each a list of module-name prefixes (the longest matching prefix
decides, so ``polyx.expansion.kernel`` is below ``polyx.expansion``). The bottom holds what every
layer may use: errors, atomic files and input checks, names, interrupts, progress, streaming data
tables and the compensated metrics (plain numerics and I/O, no model or polynomial knowledge)."""


def _layer(module: str) -> int:
    best, level = -1, 0
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix if prefix.endswith(".") else prefix + ".")) and len(prefix) > best:
                best, level = len(prefix), index
    return level


def test_imports_run_one_way_down_the_layers() -> None:
    """cli → commands' library side → {methods, writers, loaders} → {polynomial, kernel, IR} →
    activations → {files, errors}: nothing imports a module of a higher layer."""
    upward = sorted(f"{module} ({LAYERS[_layer(module)][0]}) imports {target} ({LAYERS[_layer(target)][0]})"
                    for module, targets in _edges().items() for target in targets if _layer(target) > _layer(module))
    assert not upward, "\n".join(upward)
