"""The Polynomial object: evaluation, labels, pruning, names.

Oracles: nn2poly's own output (labels, and its polynomial evaluated in R at 20 points, copied
from the anchors into tests/data/polynomial), exact integer arithmetic in Python, and SymPy.
"""

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from oracles import graded_order
from polyx.errors import DataError
from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.kernel.evaluation import MAX_CHUNK_ROWS
from polyx.expansion.kernel.exponents import exponents_to_labels, labels_to_exponents
from polyx.expansion.polynomials.polynomial import Polynomial

CASES = sorted((Path(__file__).parent / "data" / "polynomial").glob("case*.json"))


def _case(path: Path) -> dict:
    return json.loads(path.read_text())


def _names(n: int, prefix: str = "x") -> tuple[str, ...]:
    return tuple(f"{prefix}{i + 1}" for i in range(n))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_nn2poly_labels_are_graded_order_and_round_trip(path: Path) -> None:
    case = _case(path)
    labels = case["output"]["labels"]
    exponents = labels_to_exponents(labels, case["n_inputs"])
    assert np.array_equal(graded_order(exponents), np.arange(len(labels)))
    assert exponents_to_labels(exponents) == labels


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_evaluate_matches_nn2poly_predict(path: Path) -> None:
    case = _case(path)
    poly = Polynomial.from_nn2poly(case["output"]["labels"], case["output"]["values"])
    assert poly.labels() == case["output"]["labels"]
    expected = np.array(case["predict_nn2poly"])
    # R sums the same float64 terms in another order: rounding differs by a few ulps of the
    # largest term, so 1e-12 relative to the largest |term| at the point is a tight bound.
    scale = np.abs(poly.contributions(np.array(case["X"]), 0)).max()
    assert np.abs(poly.evaluate(np.array(case["X"])) - expected).max() <= 1e-12 * max(scale, 1.0)


def _full_exponents(n: int, order: int) -> np.ndarray:
    rows = np.array([e for e in itertools.product(range(order + 1), repeat=n) if sum(e) <= order])
    return rows[graded_order(rows)]


def _exact_values(x: np.ndarray, exponents: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """Python integers: no rounding at all."""
    out = []
    for row in x.astype(int).tolist():
        monomials = [int(np.prod([v**p for v, p in zip(row, e)], dtype=object)) for e in exponents.tolist()]
        out.append([sum(int(c) * m for c, m in zip(coefs, monomials)) for coefs in coefficients.astype(int).tolist()])
    return np.array(out, dtype=float)


exponent_sets = st.integers(1, 4).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, 3), min_size=n, max_size=n), min_size=1, max_size=25, unique_by=tuple)
)


@settings(max_examples=60, deadline=None)
@given(exponent_sets, st.integers(0, 10_000), st.booleans())
def test_evaluate_any_term_set_exactly(rows: list[list[int]], seed: int, centred: bool) -> None:
    """Pruned term sets need hidden parent monomials; integer data makes every product exact."""
    rng = np.random.default_rng(seed)
    exponents = np.array(rows)
    n = exponents.shape[1]
    coefficients = rng.integers(-9, 10, size=(2, len(rows)))
    center = rng.integers(-2, 3, size=n) if centred else None
    poly = Polynomial(_names(n), ("y1", "y2"), exponents, coefficients, center=center)
    x = rng.integers(-4, 5, size=(37, n))
    shifted = x - center if centred else x
    order = graded_order(exponents)
    expected = _exact_values(shifted, exponents[order], coefficients[:, order])
    assert np.array_equal(poly.evaluate(x), expected)
    assert np.array_equal(poly.monomials(x) @ poly.coefficients.T, expected)


def test_evaluate_many_rows_in_chunks_matches_sympy() -> None:
    """More rows than one chunk, n = 5, order 3; SymPy evaluates the same expression term by term."""
    rng = np.random.default_rng(7)
    exponents = _full_exponents(5, 3)
    coefficients = rng.normal(size=(1, len(exponents)))
    poly = Polynomial(_names(5), ("y1",), exponents, coefficients)
    symbols = sympy.symbols("x1:6")
    expression = sum(
        float(c) * sympy.Mul(*[s**int(p) for s, p in zip(symbols, e)]) for c, e in zip(coefficients[0], exponents)
    )
    function = sympy.lambdify(symbols, expression, "math")
    x = rng.uniform(-1, 1, size=(2 * MAX_CHUNK_ROWS + 5, 5))
    expected = np.array([function(*row) for row in x])
    # Same float64 terms summed in a different order: 1e-13 relative to the sum of |terms|.
    scale = np.abs(poly.contributions(x)).sum(axis=1)
    assert np.all(np.abs(poly.evaluate(x)[:, 0] - expected) <= 1e-13 * scale)


def test_constructor_sorts_terms_into_graded_order() -> None:
    poly = Polynomial(("x1", "x2"), ("y1",), [[0, 2], [1, 0], [0, 0]], [[3.0, 2.0, 1.0]])
    assert poly.exponents.tolist() == [[0, 0], [1, 0], [0, 2]]
    assert poly.coefficients.tolist() == [[1.0, 2.0, 3.0]]
    assert poly.term_names() == ["1", "x1", "x2²"]
    assert poly.term_names(ascii=True) == ["1", "x1", "x2^2"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"exponents": [[1, 0], [1, 0]], "coefficients": [[1.0, 2.0]]}, "polynomial lists the term x1 twice"),
        ({"exponents": [[-1, 0]], "coefficients": [[1.0]]}, "exponents must be non-negative"),
        ({"exponents": [[1, 0]], "coefficients": [[1.0, 2.0]]}, "1 terms but 2 coefficients"),
        ({"exponents": [[1, 0]], "coefficients": [[1.0]], "center": [0.0]}, "center has 1 values for 2 variables"),
        ({"exponents": [[1, 0]], "coefficients": [[1.0]], "variables": ("a", "a")}, "duplicate variable names"),
    ],
)
def test_constructor_refuses_ambiguous_polynomials(kwargs: dict, message: str) -> None:
    arguments = {"variables": ("x1", "x2"), "outputs": ("y1",), **kwargs}
    with pytest.raises(DataError, match=message):
        Polynomial(**arguments)


def test_evaluate_refuses_wrong_column_count() -> None:
    poly = Polynomial(("x1", "x2"), ("y1",), [[1, 0]], [[1.0]])
    with pytest.raises(DataError, match=r"2 variables \(x1, x2\) but the data has 3 columns"):
        poly.evaluate(np.zeros((4, 3)))


def test_labels_refuse_indices_beyond_the_variables() -> None:
    with pytest.raises(DataError, match=r"label \[1, 3\] \(term 2\) is not an nn2poly label for 2 variables"):
        labels_to_exponents([[0], [1, 3]], 2)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.tuples(st.just(n), st.lists(st.lists(st.integers(1, n), max_size=5)))))
def test_labels_round_trip(data: tuple[int, list[list[int]]]) -> None:
    n, labels = data
    canonical = [sorted(label) or [0] for label in labels]
    exponents = labels_to_exponents(canonical, n)
    assert exponents_to_labels(exponents) == canonical
    assert exponents.sum(axis=1).tolist() == [len(label) if label != [0] else 0 for label in canonical]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 2.0), st.integers(0, 12))
def test_pruning_keeps_exactly_the_terms_asked_for(seed: int, threshold: float, top: int) -> None:
    rng = np.random.default_rng(seed)
    exponents = _full_exponents(3, 3)
    coefficients = rng.normal(size=(2, len(exponents)))
    poly = Polynomial(_names(3), ("y1", "y2"), exponents, coefficients, method={"name": "manual"})
    kept = poly.pruned(threshold)
    expected = [e for e, c in zip(exponents.tolist(), coefficients.T) if np.abs(c).max() >= threshold]
    assert kept.exponents.tolist() == expected
    assert kept.method == {"name": "manual"}
    ranked = poly.pruned(top=top)
    largest = {tuple(exponents[i]) for k in range(2) for i in np.argsort(-np.abs(coefficients[k]))[:top]}
    assert {tuple(e) for e in ranked.exponents.tolist()} == largest
    x = rng.normal(size=(5, 3))
    dropped = poly.evaluate(x) - ranked.evaluate(x)
    rest = np.ones(poly.n_terms, dtype=bool)
    rest[[i for i, e in enumerate(exponents.tolist()) if tuple(e) in largest]] = False
    assert np.allclose(dropped, poly.monomials(x)[:, rest] @ coefficients[:, rest].T, rtol=0, atol=1e-12)


def test_top_terms_orders_by_magnitude_then_term_order() -> None:
    poly = Polynomial(("x1",), ("y1",), [[0], [1], [2], [3]], [[0.5, -2.0, 2.0, 1.0]])
    assert poly.top_terms(3).tolist() == [1, 2, 3]


def test_scattered_parents_and_repeated_leaf_variables() -> None:
    """x1²x2 and x1x3² are leaves of x1 with scattered parents (x1x2, x3²); x1³x2³x3, another leaf
    of x1, needs a chain of hidden parents."""
    exponents = [[1, 0, 2], [2, 1, 0], [3, 3, 1]]
    poly = Polynomial(("x1", "x2", "x3"), ("y1",), exponents, [[2, -3, 5]])
    plan = poly._plan
    assert any(not isinstance(step.parents, slice) for step in plan.steps)
    leaf_vars = [step.var for step in plan.steps if step.leaf]
    assert len(leaf_vars) > len(set(leaf_vars)) and plan.n_monomials == 13
    x = np.array([[2, -1, 3], [0.5, 4, -2]])
    expected = [2 * a * c**2 - 3 * a**2 * b + 5 * a**3 * b**3 * c for a, b, c in x.tolist()]
    assert poly.evaluate(x)[:, 0].tolist() == expected


def test_relabelled_shares_terms_and_checks_names() -> None:
    poly = Polynomial(("a", "b"), ("y",), [[0, 0], [1, 0], [0, 1]], [[1.0, 2.0, 3.0]])
    renamed = poly.relabelled(variables=("u", "v"), provenance={"source": "m.onnx"})
    assert renamed.variables == ("u", "v") and renamed.provenance == {"source": "m.onnx"}
    assert renamed.coefficients is poly.coefficients and poly.variables == ("a", "b")
    with pytest.raises(DataError, match="duplicate variable names"):
        poly.relabelled(variables=("u", "u"))
    with pytest.raises(ValueError, match="names and metadata only"):
        poly.relabelled(coefficients=[[0.0, 0.0, 0.0]])


def test_relabelling_keeps_the_evaluation_plan() -> None:
    """The plan depends on the exponents only, which relabelling shares: it is not built again
    (0.6–1 s for 230k terms). The reused plan still gives 1 + 2a + 3b (exact in float64 here)."""
    poly = Polynomial(("a", "b"), ("y",), [[0, 0], [1, 0], [0, 1]], [[1.0, 2.0, 3.0]])
    plan = poly._plan
    renamed = poly.relabelled(variables=("u", "v"), diagnostics={"note": "x"})
    assert renamed._plan is plan
    assert renamed.evaluate(np.array([[0.5, -2.0]]))[:, 0].tolist() == [1.0 + 1.0 - 6.0]


def test_local_expansion_hands_back_the_plan_its_validity_check_built() -> None:
    from polyx.converters.ir.chain import Activation, DenseLayer, Network
    from polyx.expansion.methods.expand import expand

    network = Network((DenseLayer(np.array([[0.5, -1.0]]), np.array([0.2]), Activation("tanh")),
                       DenseLayer(np.array([[2.0]]), np.array([0.0]))))
    polynomial = expand(network, "taylor", 3, at=[0.1, 0.3])
    assert "_plan" in polynomial.__dict__


@pytest.mark.parametrize("power", [3, 300])
def test_pruned_high_powers_evaluate_exactly(power: int) -> None:
    """Hidden parents are found for exponents above and below 255 (two lookup paths)."""
    poly = Polynomial(("a", "b"), ("y",), [[power, 0], [1, 1]], [[1.0, 2.0]])
    x = np.array([[1.001, 3.0], [-0.999, 0.5]])
    expected = x[:, 0] ** power + 2.0 * x[:, 0] * x[:, 1]
    assert np.allclose(poly.evaluate(x)[:, 0], expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("largest", [3, 300])
def test_row_index_finds_rows_like_a_dictionary(largest: int) -> None:
    """Against a Python dict of tuples: present rows give their first index, absent ones -1, for
    small powers and for powers up to 300 (rows of degree up to 1,200), queries wider than the
    table included."""
    rng = np.random.default_rng(largest)
    table = rng.integers(0, largest + 1, size=(200, 4))
    queries = np.vstack([table[rng.integers(0, 200, 50)], rng.integers(0, largest + 1, size=(50, 4)), [[256, 0, 0, 0]]])
    first: dict = {}
    for row, key in enumerate(map(tuple, table.tolist())):
        first.setdefault(key, row)
    expected = [first.get(tuple(row), -1) for row in queries.tolist()]
    assert sparse.RowIndex(sparse.from_exponents(table)).find(sparse.from_exponents(queries)).tolist() == expected
