"""The polynomial kernel against SymPy's expand-and-truncate, binomial counts and nn2poly's order.

Every product test runs both product paths of PolyBatch (the gather of all pairs, and the
row-by-row scatter), forced by patching the choice between them; random blocks are left out
(None), as the engine leaves the degrees a polynomial does not reach.
Tolerance: 1e-12 relative to the largest coefficient involved. The kernel and SymPy add the same
float64 products in different orders, so they agree to a few ulps of the largest term.
"""

from __future__ import annotations

import json
import math
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from unittest import mock

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyx.errors import OrderTooLargeError
from polyx.expansion.kernel.batch import PolyBatch
from polyx.expansion.kernel.budget import parse_memory
from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.kernel.exponents import labels_to_exponents
from polyx.expansion.kernel.space import MonomialSpace

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
            index = space.index(sparse.from_exponents(np.array([powers])))[0]
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


PATHS = pytest.mark.parametrize("gather", [True, False], ids=["gather", "row-scatter"])


@contextmanager
def product_path(gather: bool) -> Iterator[None]:
    """Force PolyBatch's block products through one path, and check that path ran."""
    method = "_gathered_block" if gather else "_block_product"
    original = getattr(PolyBatch, method)
    calls = []

    def counted(self, *args):
        calls.append(1)
        return original(self, *args)

    with mock.patch.object(PolyBatch, "_prefer_gather", lambda self, *args: gather), \
            mock.patch.object(PolyBatch, method, counted):
        yield
    assert calls, f"the {method} path never ran"


def _batch(space: MonomialSpace, coefficients: np.ndarray) -> PolyBatch:
    """One polynomial as a batch, an all-zero degree block stored as None (as the engine does)."""
    batch = PolyBatch.from_dense(space, coefficients[None])
    batch.blocks = [None if not np.any(block) else block for block in batch.blocks]
    return batch


@st.composite
def spaces_and_polys(draw, with_constant: bool = True):
    n = draw(st.integers(1, 4))
    order = draw(st.integers(2, 6))
    interaction = draw(st.sampled_from([None, 2]))
    space = MonomialSpace(n, order, interaction)
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    polys = []
    for _ in range(2):
        coefficients = np.round(rng.normal(size=space.n_terms), 3)
        coefficients[rng.random(space.n_terms) < 0.3] = 0.0
        for degree in range(2, order + 1):
            if rng.random() < 0.25:
                coefficients[space.offsets[degree] : space.offsets[degree + 1]] = 0.0
        coefficients[[space.offsets[1], space.offsets[2]]] = 1.0
        if not with_constant:
            coefficients[0] = 0.0
        polys.append(coefficients)
    return space, polys, rng


@PATHS
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=spaces_and_polys(), cut=st.integers(2, 6))
def test_truncated_product_equals_sympy(gather, case, cut) -> None:
    space, (a, b), _ = case
    keep = min(cut, space.order)
    with product_path(gather):
        product = _batch(space, a).times(_batch(space, b), keep)
    expected = _from_sympy(space, _to_sympy(space, a) * _to_sympy(space, b), keep)
    _assert_close(product.to_dense()[0], expected)


def _composed(space: MonomialSpace, inner: sp.Expr, series: np.ndarray) -> sp.Expr:
    """Σ_k c_k inner^k with every power truncated at the space's order, by SymPy."""
    total, power = sp.Integer(0), sp.Integer(1)
    for c in series:
        total += float(c) * power
        power = _truncate(power * inner, space.n_vars, space.order)
    return total


@PATHS
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=spaces_and_polys(with_constant=False), top=st.integers(2, 8))
def test_composition_with_series_equals_sympy(gather, case, top) -> None:
    space, (a, _), rng = case
    series = np.round(rng.normal(size=top + 1), 3)
    with product_path(gather):
        result = _batch(space, a).compose(series[None])
    expected = _from_sympy(space, _composed(space, _to_sympy(space, a), series), space.order)
    _assert_close(result.to_dense()[0], expected)


@PATHS
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=spaces_and_polys(), power=st.integers(2, 5))
def test_powers_equal_sympy(gather, case, power) -> None:
    space, (a, _), _ = case
    poly = _batch(space, a)
    result, expected = poly, _to_sympy(space, a)
    with product_path(gather):
        for _ in range(power - 1):
            result = result.times(poly)
    for _ in range(power - 1):
        expected = _truncate(expected * _to_sympy(space, a), space.n_vars, space.order)
    _assert_close(result.to_dense()[0], _from_sympy(space, expected, space.order))


@PATHS
@pytest.mark.parametrize("first_layer", [True, False], ids=["linear-form", "dense"])
def test_composition_and_its_contraction_equal_sympy(gather: bool, first_layer: bool) -> None:
    """compose (and its linear-form fast path) and compose_contracted (the last Horner step as a
    contracted product) against SymPy composing and summing with the output weights."""
    rng = np.random.default_rng(7)
    space = MonomialSpace(3, 4)
    if first_layer:
        inner = PolyBatch.affine_inputs(space, np.round(rng.normal(size=(3, 3)), 3), np.zeros(3)).without_constant()
    else:
        dense = np.round(rng.normal(size=(3, space.n_terms)), 3)
        dense[:, 0] = 0.0
        inner = PolyBatch.from_dense(space, dense)
    series = np.round(rng.normal(size=(3, 6)), 3)
    weight = np.round(rng.normal(size=(2, 3)), 3)
    inners = [_to_sympy(space, row) for row in inner.to_dense()]
    composed = [_from_sympy(space, _composed(space, e, c), space.order) for e, c in zip(inners, series)]
    with product_path(gather) if not first_layer else mock.patch.object(PolyBatch, "_prefer_gather", lambda *a: gather):
        _assert_close(inner.compose(series).to_dense(), np.array(composed))
        _assert_close(inner.compose_contracted(series, weight).to_dense(), weight @ np.array(composed))


@pytest.mark.parametrize("n,order", [(1, 10), (2, 7), (5, 4), (13, 3), (50, 2)])
def test_block_sizes_are_binomial_counts(n: int, order: int) -> None:
    space = MonomialSpace(n, order)
    assert list(space.sizes) == [math.comb(n + d - 1, d) for d in range(order + 1)]
    assert space.n_terms == math.comb(n + order, order)
    exponents = space.all_exponents()
    assert len({tuple(row) for row in exponents}) == space.n_terms
    assert (space.index(sparse.from_exponents(exponents)) == np.arange(space.n_terms)).all()
    assert (space.index(space.monomials()[::-1]) == np.arange(space.n_terms)[::-1]).all()


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


def test_strict_graded_check_agrees_with_python_sorting() -> None:
    """Oracle: Python's sorted with the graded key (degree, then descending lexicographic)."""
    exponents = MonomialSpace(4, 3).all_exponents()
    assert sparse.is_strictly_graded(sparse.from_exponents(exponents))
    rng = np.random.default_rng(3)
    for size in [12] * 20 + [3] * 20:
        rows = exponents[rng.choice(len(exponents), size=size, replace=True)].tolist()
        ordered = sorted(rows, key=lambda e: (sum(e), [-v for v in e]))
        distinct = len({tuple(r) for r in rows}) == len(rows)
        assert sparse.is_strictly_graded(sparse.from_exponents(np.array(rows))) == (distinct and ordered == rows)


@pytest.mark.parametrize(
    ("text", "size"),
    [("4GB", 4 * 10**9), ("512MiB", 512 * 2**20), ("2e9", 2 * 10**9), (" 1.5 GiB ", 3 * 2**29), (".5kb", 500)],
)
def test_memory_sizes_parse(text: str, size: int) -> None:
    assert parse_memory(text) == size


@pytest.mark.parametrize("text", ["e", ".", "1.2.3GB", "1e400", "1e400GB", "0", "0.5B", "-1GB", "4 GBs", "", "nan"])
def test_bad_memory_sizes_are_one_clear_error(text: str) -> None:
    with pytest.raises(OrderTooLargeError, match=r"`max_memory` '.*' is not a size; write it like 4GB"):
        parse_memory(text)


@pytest.mark.parametrize("order", [1, 3])
def test_softmax_of_a_batch_equals_sympys_derivatives(order: int) -> None:
    """The softmax of three logit polynomials in two variables, truncated at the space's order,
    against Taylor's formula: coefficient of x^α = ∂^α softmax_j(0) / α!, by SymPy."""
    from polyx.expansion.methods.softmax_series import softmax_of_series

    space = MonomialSpace(2, order)
    logits = np.round(np.random.default_rng(5).normal(size=(3, space.n_terms)), 3)
    result = softmax_of_series(PolyBatch.from_dense(space, logits)).to_dense()
    xs = _symbols(2)
    exponentials = [sp.exp(_to_sympy(space, row)) for row in logits]
    origin = {x: 0 for x in xs}
    for j in range(3):
        softmax = exponentials[j] / sum(exponentials)
        derivatives = {(0, 0): softmax}
        expected = []
        for a, b in space.all_exponents().tolist():
            if (a, b) not in derivatives:
                derivatives[(a, b)] = sp.diff(derivatives[(a - 1, b)], xs[0]) if a else sp.diff(derivatives[(a, b - 1)], xs[1])
            value = derivatives[(a, b)].subs(origin).evalf(30)
            expected.append(float(value) / (math.factorial(a) * math.factorial(b)))
        _assert_close(result[j], np.array(expected))
