"""Sparse monomials (expansion/kernel/monomials.py) against dense exponent rows ordered and named by
Python (tests/oracles.py: the conventions the nn2poly anchors pin down): same order, same names,
exact round trips; and Polynomial built either way is the same polynomial."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.polynomials.polynomial import Polynomial
from oracles import exponent_names, graded_order

tables = st.integers(1, 5).flatmap(
    lambda n: st.lists(st.lists(st.integers(0, 4), min_size=n, max_size=n), min_size=1, max_size=25, unique_by=tuple)
)


@settings(max_examples=150, deadline=None)
@given(tables)
def test_sparse_table_follows_the_dense_conventions(rows: list[list[int]]) -> None:
    exponents = np.array(rows, dtype=np.int64)
    n = exponents.shape[1]
    indices = sparse.from_exponents(exponents)
    assert np.array_equal(sparse.to_exponents(indices, n), exponents)
    assert np.array_equal(sparse.degrees(indices), exponents.sum(axis=1))
    assert np.array_equal(sparse.graded_order(indices), graded_order(exponents))
    names = [f"v{i}" for i in range(n)]
    assert sparse.names(indices, names) == exponent_names(exponents, names)
    assert sparse.names(indices, names, ascii=True) == exponent_names(exponents, names, ascii=True)
    assert sparse.factors(indices) == [[(v, p) for v, p in enumerate(row) if p] for row in exponents.tolist()]
    ordered = indices[sparse.graded_order(indices)]
    assert sparse.is_strictly_graded(ordered) and (len(rows) < 2 or not sparse.is_strictly_graded(ordered[::-1]))
    assert np.array_equal(sparse.unique_rows(np.concatenate([indices, indices])), ordered)
    assert sparse.duplicate_rows(np.concatenate([indices, indices[:1]])).tolist() == [len(rows)]
    lists = sparse.to_lists(indices)
    assert all(sorted(term) == term and len(term) == d for term, d in zip(lists, exponents.sum(axis=1)))
    assert np.array_equal(sparse.from_lists(lists)[:, : indices.shape[1]], indices)
    found = sparse.RowIndex(indices).find(indices[::-1])
    assert np.array_equal(found, np.arange(len(rows))[::-1])


@settings(max_examples=60, deadline=None)
@given(tables, st.integers(0, 2**32 - 1))
def test_polynomial_from_either_form_is_the_same(rows: list[list[int]], seed: int) -> None:
    exponents = np.array(rows, dtype=np.int64)
    n = exponents.shape[1]
    rng = np.random.default_rng(seed)
    coefficients = rng.normal(size=(2, len(rows)))
    names, outputs = tuple(f"v{i}" for i in range(n)), ("a", "b")
    dense = Polynomial(names, outputs, exponents, coefficients)
    shuffled = rng.permutation(len(rows))
    from_sparse = Polynomial(names, outputs, None, coefficients[:, shuffled],
                             monomials=sparse.from_exponents(exponents[shuffled]))
    assert np.array_equal(dense.indices, from_sparse.indices)
    assert np.array_equal(dense.coefficients, from_sparse.coefficients)
    assert np.array_equal(dense.exponents, exponents[graded_order(exponents)])
    x = rng.normal(size=(9, n))
    direct = np.prod(x[:, None, :] ** dense.exponents[None], axis=2) @ dense.coefficients.T
    assert np.allclose(from_sparse.evaluate(x), direct, rtol=1e-12, atol=1e-12 * max(1.0, np.abs(direct).max()))
    assert dense.labels() == [[i + 1 for i in np.repeat(np.arange(n), row)] or [0] for row in dense.exponents.tolist()]
