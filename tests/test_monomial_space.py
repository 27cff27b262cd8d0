"""The kernel's monomial space as sparse index rows, against itertools and exact integer arithmetic:
its blocks, parents, multinomials and lookups; and the evaluation plan read from its rows by hash
against the general closure-and-sort path. No polyx code is used to make the expected values."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.kernel.evaluation import plan_from_indices
from polyx.expansion.kernel.space import MonomialSpace
from polyx.expansion.engine.unmixed import diagonal_monomials
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.polynomials.units import _powers

SPACES = [(1, 6, None), (3, 4, None), (5, 4, 2), (4, 5, 1), (6, 3, 3), (12, 3, None), (2, 0, None)]


@pytest.mark.parametrize(("n", "order", "interaction"), SPACES)
def test_blocks_are_the_ascending_multisets(n: int, order: int, interaction: int | None) -> None:
    """Block d is every multiset of d variable indices (at most ``interaction`` distinct), in the
    order itertools lists them (ascending rows: nn2poly's), each d indices wide."""
    space = MonomialSpace(n, order, interaction)
    for degree in range(order + 1):
        expected = [row for row in itertools.combinations_with_replacement(range(n), degree)
                    if interaction is None or len(set(row)) <= interaction]
        block = space.labels(degree)
        assert block.shape == (len(expected), degree)
        assert [tuple(row) for row in block.tolist()] == expected
        if degree:
            parent, variable = space.parents(degree)
            below = {row: i for i, row in enumerate(map(tuple, space.labels(degree - 1).tolist()))}
            assert parent.tolist() == [below[row[1:]] for row in expected]
            assert variable.tolist() == [row[0] for row in expected]
            multinomial = [math.factorial(degree) // math.prod(math.factorial(row.count(v)) for v in set(row))
                           for row in expected]
            assert space.multinomials(degree).tolist() == multinomial
    table = space.monomials()
    assert sparse.to_lists(table) == [list(row) for d in range(order + 1) for row in map(tuple, space.labels(d).tolist())]
    assert np.array_equal(space.index(table[::-1]), np.arange(space.n_terms)[::-1])


@pytest.mark.parametrize("n", [1, 2, 7, 64])
def test_the_quadratic_table_is_the_order_2_space(n: int) -> None:
    assert np.array_equal(sparse.quadratic_table(n), MonomialSpace(n, 2).monomials())


def test_a_monomial_outside_the_space_has_no_index() -> None:
    """Rows with three distinct variables (limit 2) or above the order are -1; the others sit where
    itertools lists them, whatever the order of their indices."""
    space = MonomialSpace(4, 3, max_interaction=2)
    listed = [row for d in range(4) for row in itertools.combinations_with_replacement(range(4), d) if len(set(row)) <= 2]
    queries = [[0, 1, 2], [0, 0, 0, 0], [3, 3], [2, 1, 2]]
    expected = [-1, -1, listed.index((3, 3)), listed.index((1, 2, 2))]
    padded = np.full((4, 4), -1)
    for row, query in enumerate(queries):
        padded[row, : len(query)] = query
    assert space.index(padded).tolist() == expected


def _same_plan(a, b) -> None:
    assert np.array_equal(a.closure, b.closure) and np.array_equal(a.listed, b.listed)
    assert (a.linear_block, a.built_rows, len(a.steps)) == (b.linear_block, b.built_rows, len(b.steps))
    for s, t in zip(a.steps, b.steps):
        assert (s.target, s.var, s.leaf) == (t.target, t.var, t.leaf)
        assert s.parents == t.parents if isinstance(s.parents, slice) else np.array_equal(s.parents, t.parents)


@pytest.mark.parametrize("case", ["complete", "interaction", "diagonal", "pruned", "no-constant", "constant"])
def test_plan_from_hashes_equals_the_general_plan(case: int) -> None:
    """A graded table closed under parents is planned from its own rows by hash; anything else
    (a pruned table, one without the constant) falls back; both give the general path's plan."""
    rng = np.random.default_rng(7)
    n, table = 6, MonomialSpace(6, 4).monomials()
    if case == "interaction":
        table = MonomialSpace(6, 4, max_interaction=2).monomials()
    elif case == "diagonal":
        n, table = 40, np.asarray(diagonal_monomials(40, 5))
    elif case == "pruned":
        table = table[np.sort(rng.choice(len(table), 90, replace=False))]
    elif case == "no-constant":
        table = table[1:]
    elif case == "constant":
        table = table[:1, :0]
    _same_plan(plan_from_indices(table, n, graded=True), plan_from_indices(table, n))


def test_unit_scaling_from_sparse_rows_equals_dense_powers() -> None:
    """Π_i σ_i^{e_i} per term, read from the sparse rows (``units._powers``), against numpy powers of
    the dense exponent table: equal to the last bit (both multiply σ_i^{e_i} in variable order)."""
    rng = np.random.default_rng(3)
    for n, order in [(3, 7), (5, 5), (10, 4)]:
        table = MonomialSpace(n, order).monomials()
        poly = Polynomial([f"x{i}" for i in range(n)], ["y"], None, np.zeros((1, len(table))), monomials=table)
        scale = rng.uniform(0.01, 100, size=n)
        dense = np.prod(scale[None, :] ** sparse.to_exponents(table, n), axis=1)
        assert np.array_equal(_powers(poly, scale), dense)
