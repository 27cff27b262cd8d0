"""The polynomial kernel against SymPy's expand-and-truncate, binomial counts and nn2poly's order.

Tolerance: 1e-12 relative to the largest coefficient involved. The kernel and SymPy add the same
float64 products in different orders, so they agree to a few ulps of the largest term.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyx.errors import OrderTooLargeError
from polyx.expansion.batch import PolyBatch
from polyx.expansion.budget import parse_memory
from polyx.expansion.polynomial import labels_to_exponents
from polyx.expansion.space import MonomialSpace

ANCHORS = Path(__file__).parent / "data" / "anchors" / "nn2poly" / "cases"
RELATIVE = 1e-12


def _symbols(n: int) -> list[sp.Symbol]:
    return list(sp.symbols(f"x1:{n + 1}"))


def _to_sympy(space: MonomialSpace, coefficients: np.ndarray) -> sp.Expr:
    xs = _symbols(space.n_vars)
    return sp.Add(*[
        sp.Float(float(c), 30) * sp.Mul(*[x**int(e) for x, e in zip(xs, row)])
        for c, row in zip(coefficients, space.all_exponents()) if c != 0
    ])


def _from_sympy(space: MonomialSpace, expr: sp.Expr, keep: int) -> np.ndarray:
    """Coefficients of expr in the space, dropping terms above degree ``keep`` and outside the space."""
    xs = _symbols(space.n_vars)
    out = np.zeros(space.n_terms)
    for powers, coefficient in sp.Poly(sp.expand(expr), *xs).terms():
        if sum(powers) <= keep:
            index = space.index(np.array([powers]))[0]
            if index >= 0:
                out[index] += float(coefficient)
    return out


def _truncate(expr: sp.Expr, n: int, keep: int) -> sp.Expr:
    """SymPy's expansion with every term of total degree above ``keep`` dropped."""
    poly = sp.Poly(sp.expand(expr), *_symbols(n))
    return sum((c * sp.Mul(*[x**p for x, p in zip(_symbols(n), powers)])
                for powers, c in poly.terms() if sum(powers) <= keep), sp.Integer(0))


def _assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    scale = max(1.0, float(np.abs(expected).max()))
    assert np.abs(actual - expected).max() <= RELATIVE * scale


@st.composite
def spaces_and_polys(draw, with_constant: bool = True):
    n = draw(st.integers(1, 4))
    order = draw(st.integers(1, 6))
    interaction = draw(st.sampled_from([None, 1, 2]))
    space = MonomialSpace(n, order, interaction)
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    polys = []
    for _ in range(2):
        coefficients = np.round(rng.normal(size=space.n_terms), 3)
        coefficients[rng.random(space.n_terms) < 0.5] = 0.0
        if not with_constant:
            coefficients[0] = 0.0
        polys.append(coefficients)
    return space, polys, rng


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spaces_and_polys(), st.integers(0, 6))
def test_truncated_product_equals_sympy(case, cut) -> None:
    space, (a, b), _ = case
    keep = min(cut, space.order)
    product = PolyBatch.from_dense(space, a[None]).times(PolyBatch.from_dense(space, b[None]), keep)
    expected = _from_sympy(space, _to_sympy(space, a) * _to_sympy(space, b), keep)
    _assert_close(product.to_dense()[0], expected)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spaces_and_polys(with_constant=False), st.integers(0, 8))
def test_composition_with_series_equals_sympy(case, top) -> None:
    space, (a, _), rng = case
    series = np.round(rng.normal(size=top + 1), 3)
    result = PolyBatch.from_dense(space, a[None]).compose(series[None])
    inner = _to_sympy(space, a)
    total, power = sp.Integer(0), sp.Integer(1)
    for c in series:
        total += float(c) * power
        power = _truncate(power * inner, space.n_vars, space.order)
    expected = _from_sympy(space, total, space.order)
    _assert_close(result.to_dense()[0], expected)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spaces_and_polys(), st.integers(2, 5))
def test_powers_equal_sympy(case, power) -> None:
    space, (a, _), _ = case
    poly = PolyBatch.from_dense(space, a[None])
    result, expected = poly, _to_sympy(space, a)
    for _ in range(power - 1):
        result = result.times(poly)
        expected = _truncate(expected * _to_sympy(space, a), space.n_vars, space.order)
    _assert_close(result.to_dense()[0], _from_sympy(space, expected, space.order))


def test_linear_form_fast_path_and_contraction_match_products() -> None:
    rng = np.random.default_rng(7)
    space = MonomialSpace(3, 5)
    linear = PolyBatch.affine_inputs(space, rng.normal(size=(6, 3)), np.zeros(6)).without_constant()
    series = rng.normal(size=(6, 7))
    weight = rng.normal(size=(2, 6))
    by_powers = np.zeros((6, space.n_terms))
    power = PolyBatch.constant(space, np.ones(6))
    for k in range(series.shape[1]):
        by_powers += series[:, k : k + 1] * power.to_dense()
        power = power.times(linear)
    _assert_close(linear.compose(series).to_dense(), by_powers)
    _assert_close(linear.compose_contracted(series, weight).to_dense(), weight @ by_powers)
    dense = PolyBatch.from_dense(space, by_powers).without_constant()
    _assert_close(dense.compose_contracted(series, weight).to_dense(), weight @ dense.compose(series).to_dense())


@pytest.mark.parametrize("n,order", [(1, 10), (2, 7), (5, 4), (13, 3), (50, 2)])
def test_block_sizes_are_binomial_counts(n: int, order: int) -> None:
    space = MonomialSpace(n, order)
    assert list(space.sizes) == [math.comb(n + d - 1, d) for d in range(order + 1)]
    assert space.n_terms == math.comb(n + order, order)
    exponents = space.all_exponents()
    assert len({tuple(row) for row in exponents}) == space.n_terms
    assert (space.index(exponents) == np.arange(space.n_terms)).all()


def test_interaction_limit_keeps_exactly_the_monomials_with_few_variables() -> None:
    full, limited = MonomialSpace(5, 4), MonomialSpace(5, 4, max_interaction=2)
    expected = [row for row in full.all_exponents().tolist() if sum(1 for e in row if e) <= 2]
    assert limited.all_exponents().tolist() == expected


@pytest.mark.parametrize("path", sorted(ANCHORS.glob("case*.json")), ids=lambda p: p.stem)
def test_monomial_order_is_nn2polys(path: Path) -> None:
    case = json.loads(path.read_text())
    labels = case["output"]["labels"]
    n = case["n_inputs"]
    degree = max(len(label) if label != [0] else 0 for label in labels)
    space = MonomialSpace(n, degree)
    assert space.all_exponents().tolist() == labels_to_exponents(labels, n).tolist()


def test_strict_graded_check_agrees_with_sorting() -> None:
    from polyx.expansion.exponents import graded_order, is_strictly_graded

    exponents = MonomialSpace(4, 3).all_exponents()
    assert is_strictly_graded(exponents)
    rng = np.random.default_rng(3)
    for _ in range(20):
        rows = exponents[rng.choice(len(exponents), size=12, replace=True)]
        ordered = rows[graded_order(rows)]
        distinct = len({tuple(r) for r in rows.tolist()}) == len(rows)
        assert is_strictly_graded(rows) == (distinct and (ordered == rows).all())


@pytest.mark.parametrize(
    ("text", "size"),
    [("4GB", 4 * 10**9), ("512MiB", 512 * 2**20), ("2e9", 2 * 10**9), (" 1.5 GiB ", 3 * 2**29), (".5kb", 500)],
)
def test_memory_sizes_parse(text: str, size: int) -> None:
    assert parse_memory(text) == size


@pytest.mark.parametrize("text", ["e", ".", "1.2.3GB", "1e400", "1e400GB", "0", "0.5B", "-1GB", "4 GBs", "", "nan"])
def test_bad_memory_sizes_are_one_clear_error(text: str) -> None:
    with pytest.raises(OrderTooLargeError, match=r"--max-memory '.*' is not a size; write it like 4GB"):
        parse_memory(text)


@pytest.mark.parametrize("order", [1, 3])
def test_softmax_of_a_batch_equals_sympys_series(order: int) -> None:
    """The softmax of three logit polynomials in two variables, truncated at the space's order,
    against SymPy's series of exp(z_j)/Σ exp(z_i) in t for x → t·x (30-digit evaluation)."""
    from polyx.expansion.softmax_series import softmax_of_series

    space = MonomialSpace(2, order)
    logits = np.round(np.random.default_rng(5).normal(size=(3, space.n_terms)), 3)
    result = softmax_of_series(PolyBatch.from_dense(space, logits)).to_dense()
    t = sp.Symbol("t")
    xs = _symbols(2)
    scaled = [_to_sympy(space, row).subs({x: t * x for x in xs}, simultaneous=True) for row in logits]
    exponentials = [sp.exp(z) for z in scaled]
    for j in range(3):
        series = sp.series(exponentials[j] / sum(exponentials), t, 0, order + 1).removeO().subs(t, 1)
        _assert_close(result[j], _from_sympy(space, sp.N(series, 30), order))
