"""Everything known about an activation lives in its registry entry, read from the source.

The registry (``expansion/activations/registry.py``) is the one place that names an activation's
numerics: value, series, kinks, piecewise-linear form, Gaussian expectations, how the ONNX region
identifier fits its parameters. A side table or a branch keyed by an activation's name anywhere
else (``name in {"relu", "leaky_relu"}``, ``name == "linear"``, ``{"relu": …}``) is a second place
to update when an activation is added, so this test reads every module of the package (ast) and
fails on a set/list/tuple/dict literal holding, or a comparison against, a string equal to a
registered activation name. How an activation is *spelled* is a separate concern and keeps its
own table: ``ALLOWED`` lists each such place with the reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

from polyx.expansion.activations.registry import ACTIVATIONS

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("expansion", "converters", "core", "cli")
REGISTRY = Path("expansion/activations/registry.py")

# (module, enclosing scope) -> why naming activations there is spelling or output handling, not numerics.
# Scope "*" is the whole module; otherwise the enclosing class.function or module-level assignment.
ALLOWED: dict[tuple[str, str], str] = {
    ("converters/onnx/activations.py", "*"):
        "the ONNX handlers: each maps an op type (and Gelu's approximate='tanh') to a canonical name",
    ("converters/onnx/elementwise.py", "_gelu"):
        "evaluating ONNX Gelu inside a region: its approximate='tanh' attribute picks the spelling",
    ("converters/formats/weight_list.py", "ACTIVATION_ALIASES"):
        "a weight list's other spellings (identity, swish, logistic) of canonical names",
    ("core/reference.py", "_final_sigmoid"):
        "the network's output layer: a binary classifier's file ends in Sigmoid (an output kind, like softmax)",
    ("core/reference.py", "ReferenceNetwork.__init__"):
        "the network's output layer: a sigmoid output over several outputs is a gate, not a classifier",
    ("core/verification.py", "comparison_plan"):
        "the network's output layer: a sigmoid classifier is compared as probabilities, not logits",
    ("core/verification.py", "_notes"):
        "the network's output layer: the ONNX op that closes it, named in a note",
    ("expansion/writers/artifact.py", "checked_polynomial"):
        "the output kinds an artifact may record (softmax, log_softmax, sigmoid)",
    ("expansion/methods/sigmoid_output.py", "ends_in_sigmoid"):
        "the network's output layer: a final sigmoid is fitted in logit space (an output kind, like softmax)",
}


def _modules() -> list[Path]:
    return sorted(path.relative_to(ROOT) for folder in SCANNED for path in (ROOT / folder).rglob("*.py"))


def _names(node: ast.AST | None) -> set[str]:
    return {node.value} & set(ACTIVATIONS) if isinstance(node, ast.Constant) and isinstance(node.value, str) else set()


def _named_in(node: ast.AST) -> set[str]:
    """Activation names held directly by a literal collection or compared in a comparison."""
    if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
        return set().union(*(_names(element) for element in node.elts))
    if isinstance(node, ast.Dict):
        return set().union(*(_names(element) for element in (*node.keys, *node.values)))
    if isinstance(node, ast.Compare):
        return set().union(*(_names(operand) for operand in (node.left, *node.comparators)))
    return set()


def _scopes(tree: ast.AST) -> dict[ast.AST, str]:
    """Each node's enclosing function, class or module-level assignment target (the allow-list key)."""
    owner: dict[ast.AST, str] = {}

    def visit(node: ast.AST, scope: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            scope = node.name if scope == "<module>" else f"{scope}.{node.name}"
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and scope == "<module>":
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            scope = ",".join(ast.unparse(target) for target in targets)
            if scope == "__all__":
                return  # the names a module exports (a function called sigmoid), not data
        owner[node] = scope
        for child in ast.iter_child_nodes(node):
            visit(child, scope)

    visit(tree, "<module>")
    return owner


def activation_name_tables() -> list[tuple[str, str, int, set[str]]]:
    """(module, scope, line, names) for every literal or comparison naming an activation outside the registry."""
    found = []
    for path in _modules():
        if path == REGISTRY:
            continue
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        for node, scope in _scopes(tree).items():
            names = _named_in(node)
            if names:
                found.append((path.as_posix(), scope, node.lineno, names))
    return found


def test_no_module_keys_numerics_by_activation_name() -> None:
    offending = [
        f"{module}:{line} ({scope}) names {sorted(names)}"
        for module, scope, line, names in activation_name_tables()
        if (module, scope) not in ALLOWED and (module, "*") not in ALLOWED
    ]
    assert not offending, "ask the registry entry instead of comparing names:\n" + "\n".join(offending)


def test_every_allowed_place_still_names_an_activation() -> None:
    """A stale allow-list entry would silently allow a future side table there."""
    found = activation_name_tables()
    used = {(module, scope) for module, scope, _, _ in found} | {(module, "*") for module, _, _, _ in found}
    assert set(ALLOWED) <= used, sorted(set(ALLOWED) - used)


def test_the_scan_finds_a_side_table(tmp_path) -> None:
    """The detector itself: each kind of side table is seen, a plain call with a name is not."""
    source = (
        'PIECEWISE = frozenset({"relu", "leaky_relu"})\n'
        'FORMS = {"gelu": 1}\n'
        'def f(spec):\n'
        '    return spec.name == "linear" or spec.name in ("sin",)\n'
        'SPEC = Activation.of("tanh")\n'
    )
    tree = ast.parse(source)
    hits = sorted((scope, sorted(_named_in(node))) for node, scope in _scopes(tree).items() if _named_in(node))
    assert hits == [("FORMS", ["gelu"]), ("PIECEWISE", ["leaky_relu", "relu"]), ("f", ["linear"]), ("f", ["sin"])]
