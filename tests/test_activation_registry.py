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
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from polyx.converters.ir.chain import Activation
from polyx.expansion.activations.covariance import activation_covariance
from polyx.expansion.activations.gaussian_moments import gaussian_expectation, hermite_coefficients, quadrature_coefficients
from polyx.expansion.activations.registry import ACTIVATIONS, activation_value

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
    ("expansion/writers/artifact_content.py", "checked_polynomial"):
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


# Each field of an entry is a claim about the function; these check the claims for every entry,
# so a new entry with a wrong flag or a wrong closed form fails here.
GRID = np.linspace(-6.0, 6.0, 1201)
GAUSSIANS = (np.array([-1.3, -0.2, 0.0, 0.4, 2.5]), np.array([0.3, 1.0, 2.2, 0.7, 4.0]))


def _entries(field: str) -> list[str]:
    return [name for name, function in ACTIVATIONS.items() if getattr(function, field)]


def _values(name: str, u: np.ndarray) -> np.ndarray:
    return activation_value(Activation.of(name, **dict(ACTIVATIONS[name].defaults)), u)


@pytest.mark.parametrize("name", _entries("identity"))
def test_identity_entries_are_the_identity(name: str) -> None:
    np.testing.assert_array_equal(_values(name, GRID), GRID)


@pytest.mark.parametrize("name", _entries("piecewise_linear"))
def test_piecewise_linear_entries_are_affine_between_their_kinks(name: str) -> None:
    """Second differences vanish (to rounding) on every grid triple that does not straddle a kink."""
    values = _values(name, GRID)
    kinks = np.array(ACTIVATIONS[name].kinks)
    straddles = np.array([np.any((left < kinks) & (kinks < right)) for left, right in zip(GRID[:-2], GRID[2:])], dtype=bool)
    second = values[:-2] - 2 * values[1:-1] + values[2:]
    assert np.abs(second[~straddles]).max() <= 1e-12
    assert straddles.any() == bool(kinks.size)


@pytest.mark.parametrize("name", _entries("positively_homogeneous"))
def test_positively_homogeneous_entries_scale(name: str) -> None:
    for c in (0.5, 3.0):
        np.testing.assert_allclose(_values(name, c * GRID), c * _values(name, GRID), rtol=1e-15, atol=1e-15)


@pytest.mark.parametrize("name", _entries("gaussian_coefficients"))
def test_closed_hermite_coefficients_match_panel_quadrature(name: str) -> None:
    """The closed form against the generic path every other activation takes (1e-10 relative)."""
    spec = Activation.of(name, **dict(ACTIVATIONS[name].defaults))
    mean, std = GAUSSIANS
    closed = hermite_coefficients(spec, mean, std, 5)
    generic = quadrature_coefficients(spec, mean, std, 5)
    assert np.all(np.abs(closed - generic) <= 1e-10 * np.abs(generic).max(axis=1, keepdims=True))


@pytest.mark.parametrize("name", _entries("gaussian_expectation"))
def test_closed_expectations_match_panel_quadrature(name: str) -> None:
    spec = Activation.of(name, **dict(ACTIVATIONS[name].defaults))
    mean, std = GAUSSIANS
    np.testing.assert_allclose(gaussian_expectation(spec, mean, std), quadrature_coefficients(spec, mean, std, 0)[:, 0],
                               rtol=1e-10)


@pytest.mark.parametrize("name", _entries("gaussian_covariance"))
def test_closed_covariances_match_the_certified_series(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The closed form against the Mehler series and pair integrals (the entry without it); 1e-10 of the scale."""
    spec = Activation.of(name, **dict(ACTIVATIONS[name].defaults))
    mean = np.array([0.3, -0.5, 1.1])
    root = np.array([[0.9, 0.0, 0.0], [0.4, 0.7, 0.0], [-0.3, 0.5, 0.6]])
    cov = root @ root.T
    closed = activation_covariance(spec, mean, cov)
    monkeypatch.setitem(ACTIVATIONS, name, dataclasses.replace(ACTIVATIONS[name], gaussian_covariance=None))
    generic = activation_covariance(spec, mean, cov)
    assert np.abs(closed - generic).max() <= 1e-10 * np.abs(generic).max()


@pytest.mark.parametrize("name", [name for name, function in ACTIVATIONS.items() if function.linear_parameters])
def test_linear_parameters_are_read_back_from_the_basis(name: str) -> None:
    fit = ACTIVATIONS[name].linear_parameters
    for alpha in (dict(ACTIVATIONS[name].defaults)["alpha"], 0.35):
        values = activation_value(Activation.of(name, alpha=alpha), GRID)
        weights, *_ = np.linalg.lstsq(fit.basis(GRID), values, rcond=None)
        assert np.abs(fit.basis(GRID) @ weights - values).max() <= 1e-12
        params, mirrored = fit.read(weights)
        assert not mirrored and params == pytest.approx({"alpha": alpha}, rel=1e-12)


@pytest.mark.parametrize("name", [name for name, f in ACTIVATIONS.items() if not f.inner_fit and not f.identity])
def test_an_entry_left_out_of_the_inner_fit_is_covered_by_another_family(name: str) -> None:
    """selu(α, γ) = γ·elu(α): another entry's parameter basis spans it, so the region identifier finds it."""
    values = _values(name, GRID)
    spans = [np.abs(basis @ np.linalg.lstsq(basis, values, rcond=None)[0] - values).max() <= 1e-12
             for function in ACTIVATIONS.values() if function.linear_parameters and function.name != name
             for basis in [function.linear_parameters.basis(GRID)]]
    assert any(spans)
