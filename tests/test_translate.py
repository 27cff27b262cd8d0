"""Re-expanding a polynomial in powers of (x − x0) into powers of x, against SymPy's expand.

The term sets are the ones polyx writes: every monomial up to Q, those with at most K variables,
and pure powers (the unmixed Taylor mode), in a shuffled row order. Tolerance: 1e-12 relative to the largest coefficient
of the SymPy result (both sides add the same float64 products in different orders).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.kernel.space import MonomialSpace
from polyx.expansion.polynomials.translate import centered_to_powers

RELATIVE = 1e-12


def _pure_powers(n_vars: int, order: int) -> np.ndarray:
    rows = [np.zeros(n_vars, dtype=np.int64)]
    for degree in range(1, order + 1):
        rows += [degree * np.eye(n_vars, dtype=np.int64)[v] for v in range(n_vars)]
    return np.array(rows)


TERM_SETS = {
    "complete-3-vars-order-5": MonomialSpace(3, 5).all_exponents(),
    "at-most-2-of-4-vars-order-4": MonomialSpace(4, 4, max_interaction=2).all_exponents(),
    "pure-powers-5-vars-order-6": _pure_powers(5, 6),
    "complete-1-var-order-9": MonomialSpace(1, 9).all_exponents(),
}


@pytest.mark.parametrize("name", TERM_SETS)
def test_multiplied_out_equals_sympys_expansion(name: str) -> None:
    rng = np.random.default_rng(len(name))
    exponents = TERM_SETS[name][rng.permutation(len(TERM_SETS[name]))]
    n_vars = exponents.shape[1]
    coefficients = np.round(rng.normal(size=(2, exponents.shape[0])), 3)
    center = np.round(rng.normal(size=n_vars), 2)
    center[0] = 0.0
    xs = sp.symbols(f"x1:{n_vars + 1}")
    result = centered_to_powers(sparse.from_exponents(exponents), coefficients, center)
    index = {tuple(row): t for t, row in enumerate(exponents.tolist())}
    for output in range(2):
        shifted = sp.expand(sum(
            sp.Rational(str(c)) * sp.Mul(*[(x - sp.Rational(str(m))) ** int(e) for x, m, e in zip(xs, center, row)])
            for c, row in zip(coefficients[output], exponents.tolist())
        ))
        expected = np.zeros(exponents.shape[0])
        for powers, value in sp.Poly(shifted, *xs).terms():
            expected[index[powers]] = float(value)
        assert np.abs(result[output] - expected).max() <= RELATIVE * np.abs(expected).max()


def test_a_set_not_closed_under_division_is_refused() -> None:
    exponents = np.array([[0, 0], [1, 0], [1, 1]])
    with pytest.raises(ValueError, match="not closed under division"):
        centered_to_powers(sparse.from_exponents(exponents), np.ones((1, 3)), np.array([0.5, 0.5]))


def test_repeated_rows_are_refused() -> None:
    exponents = np.array([[0, 0], [1, 0], [1, 0]])
    with pytest.raises(ValueError, match="repeat"):
        centered_to_powers(sparse.from_exponents(exponents), np.ones((1, 3)), np.array([0.5, 0.0]))


def test_a_zero_center_changes_nothing() -> None:
    exponents = TERM_SETS["complete-3-vars-order-5"]
    coefficients = np.random.default_rng(1).normal(size=(1, exponents.shape[0]))
    assert np.array_equal(centered_to_powers(sparse.from_exponents(exponents), coefficients, np.zeros(3)), coefficients)
