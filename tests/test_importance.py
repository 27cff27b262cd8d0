"""Data-aware importance from the polynomial (issue 17, part 2).

Oracles, each computed a different way from the closed forms in polyx.expansion.analysis.importance:
- Shapley and SHAP-interaction values: brute-force enumeration over all subsets of ≤ 5 players, the
  game v(S) = E[f(x_S, X_~S)] evaluated by running the polynomial on mixed points (background rows
  for the empirical model, a tensor Gauss–Hermite rule, exact for these degrees, for the Gaussian);
  to 1e-10;
- variance shares: numpy covariances of each term's contribution on the very rows of the empirical
  model (exact, to 1e-10); the variance and mean of a Gaussian model by Gauss–Hermite (1e-10);
- Sobol indices: a Saltelli/Jansen Monte-Carlo estimate with 200 000 base rows, within 5 standard
  errors of the estimator (its per-row terms' spread / √N).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from polyx.expansion.analysis.importance import (
    importance, shapley_interactions, shapley_values, sobol_indices, term_shares,
)
from polyx.expansion.analysis.input_models import EmpiricalInputs, empirical_marginals, gaussian_marginals
from polyx.expansion.polynomials.polynomial import Polynomial


def _polynomial(n: int, degree: int, seed: int, outputs: int = 1) -> Polynomial:
    exponents = np.array([e for e in np.ndindex(*(degree + 1,) * n) if sum(e) <= degree])
    coefficients = np.random.default_rng(seed).normal(size=(outputs, len(exponents)))
    return Polynomial(tuple(f"x{i + 1}" for i in range(n)), tuple(f"y{k + 1}" for k in range(outputs)),
                      exponents, coefficients)


MU, SD = np.array([1.0, -2.0, 3.0, 0.5, 10.0]), np.array([0.5, 1.0, 2.0, 1.5, 3.0])


def _hermite_points(mean: np.ndarray, std: np.ndarray, nodes: int = 8) -> tuple[np.ndarray, np.ndarray]:
    z, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    grid = np.array(list(itertools.product(range(nodes), repeat=mean.size)))
    return mean + std * z[grid], np.prod(w[grid], axis=1)


def _brute_force(polynomial: Polynomial, x: np.ndarray, background: np.ndarray, weights: np.ndarray):
    """Shapley values and interaction values of one row by enumerating every subset of the n players."""
    n = x.size

    def v(subset: tuple[int, ...]) -> np.ndarray:
        points = background.copy()
        points[:, list(subset)] = x[list(subset)]
        return weights @ polynomial.evaluate(points)

    values = {s: v(s) for k in range(n + 1) for s in itertools.combinations(range(n), k)}
    phi = np.zeros((len(polynomial.outputs), n))
    interactions = np.zeros((len(polynomial.outputs), n, n))
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for k in range(n):
            for s in itertools.combinations(others, k):
                weight = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                phi[:, i] += weight * (values[tuple(sorted(s + (i,)))] - values[s])
        for j in others:
            rest = [m for m in range(n) if m not in (i, j)]
            for k in range(n - 1):
                for s in itertools.combinations(rest, k):
                    weight = math.factorial(k) * math.factorial(n - k - 2) / (2 * math.factorial(n - 1))
                    interactions[:, i, j] += weight * (values[tuple(sorted(s + (i, j)))] - values[tuple(sorted(s + (i,)))]
                                                       - values[tuple(sorted(s + (j,)))] + values[s])
    for i in range(n):
        interactions[:, i, i] = phi[:, i] - interactions[:, i, :].sum(axis=1)
    return phi, interactions


@pytest.mark.parametrize(("n", "degree"), [(3, 3), (5, 3), (4, 4)])
def test_shapley_matches_enumeration_under_the_empirical_distribution(n: int, degree: int) -> None:
    polynomial = _polynomial(n, degree, seed=n + degree, outputs=2)
    rng = np.random.default_rng(1)
    background = MU[:n] + SD[:n] * rng.standard_normal((60, n))
    background[:, 1] += 0.8 * background[:, 0]  # correlated inputs: the empirical model keeps them
    rows = MU[:n] + SD[:n] * rng.standard_normal((3, n))
    model = EmpiricalInputs(background)
    phi, base = shapley_values(polynomial, rows, model)
    interactions = shapley_interactions(polynomial, rows, model)
    weights = np.full(background.shape[0], 1 / background.shape[0])
    for r, x in enumerate(rows):
        expected_phi, expected_interactions = _brute_force(polynomial, x, background, weights)
        scale = max(1.0, np.abs(expected_phi).max())
        np.testing.assert_allclose(phi[r], expected_phi, rtol=0, atol=1e-10 * scale)
        np.testing.assert_allclose(interactions[r], expected_interactions, rtol=0, atol=1e-10 * scale)
    np.testing.assert_allclose(phi.sum(axis=2) + base, polynomial.evaluate(rows), rtol=1e-12)


def test_shapley_matches_enumeration_under_an_independent_gaussian() -> None:
    polynomial = _polynomial(4, 3, seed=7)
    model = gaussian_marginals(MU[:4], SD[:4], 6, "Gaussian")
    points, weights = _hermite_points(MU[:4], SD[:4], nodes=6)
    rows = MU[:4] + SD[:4] * np.random.default_rng(2).standard_normal((2, 4))
    phi, base = shapley_values(polynomial, rows, model)
    interactions = shapley_interactions(polynomial, rows, model)
    assert base[0] == pytest.approx(float(weights @ polynomial.evaluate(points)[:, 0]), rel=1e-10)
    for r, x in enumerate(rows):
        expected_phi, expected_interactions = _brute_force(polynomial, x, points, weights)
        np.testing.assert_allclose(phi[r], expected_phi, rtol=0, atol=1e-10 * np.abs(expected_phi).max())
        np.testing.assert_allclose(interactions[r], expected_interactions, rtol=0, atol=1e-10 * np.abs(expected_phi).max())


def test_term_shares_are_numpy_covariances_on_the_rows() -> None:
    polynomial = _polynomial(3, 4, seed=3, outputs=2)
    rows = MU[:3] + SD[:3] * np.random.default_rng(4).standard_normal((500, 3))
    shares, mean, variance = term_shares(polynomial, EmpiricalInputs(rows))
    values = polynomial.evaluate(rows)
    np.testing.assert_allclose(mean, values.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(variance, values.var(axis=0), rtol=1e-10)
    for output in range(2):
        contributions = polynomial.contributions(rows, output)
        centred = contributions - contributions.mean(axis=0)
        expected = centred.T @ (values[:, output] - values[:, output].mean()) / rows.shape[0] / values[:, output].var()
        np.testing.assert_allclose(shares[output], expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, atol=1e-12)


def test_gaussian_mean_and_variance_are_exact() -> None:
    polynomial = _polynomial(3, 3, seed=5)
    points, weights = _hermite_points(MU[:3], SD[:3])
    values = polynomial.evaluate(points)[:, 0]
    _, mean, variance = term_shares(polynomial, gaussian_marginals(MU[:3], SD[:3], 6, "Gaussian"))
    assert mean[0] == pytest.approx(weights @ values, rel=1e-10)
    assert variance[0] == pytest.approx(weights @ (values - weights @ values) ** 2, rel=1e-10)


def _saltelli(polynomial: Polynomial, sample, n: int, rows: int, seed: int):
    rng = np.random.default_rng(seed)
    a, b = sample(rng, rows), sample(rng, rows)
    fa, fb = polynomial.evaluate(a)[:, 0], polynomial.evaluate(b)[:, 0]
    variance = np.var(np.concatenate([fa, fb]))
    first, total, first_se, total_se = [], [], [], []
    for i in range(n):
        ab = a.copy()
        ab[:, i] = b[:, i]
        fab = polynomial.evaluate(ab)[:, 0]
        s_terms = fb * (fab - fa)  # Saltelli 2010
        t_terms = 0.5 * (fa - fab) ** 2  # Jansen 1999
        first.append(s_terms.mean() / variance)
        total.append(t_terms.mean() / variance)
        first_se.append(s_terms.std() / np.sqrt(rows) / variance)
        total_se.append(t_terms.std() / np.sqrt(rows) / variance)
    return map(np.array, (first, total, first_se, total_se))


def test_sobol_indices_match_a_saltelli_estimate_gaussian() -> None:
    polynomial = _polynomial(4, 3, seed=11)
    first, total = sobol_indices(polynomial, gaussian_marginals(MU[:4], SD[:4], 6, "Gaussian"))
    estimate, estimate_total, se, se_total = _saltelli(
        polynomial, lambda rng, k: MU[:4] + SD[:4] * rng.standard_normal((k, 4)), 4, 200_000, seed=0)
    assert np.all(np.abs(first[0] - estimate) < 5 * se + 1e-3)
    assert np.all(np.abs(total[0] - estimate_total) < 5 * se_total + 1e-3)
    assert np.all(total[0] >= first[0] - 1e-12) and first[0].sum() <= 1 + 1e-12


def test_sobol_indices_of_data_use_its_marginals_and_match_a_saltelli_estimate() -> None:
    polynomial = _polynomial(3, 3, seed=12)
    data = np.random.default_rng(6).uniform(-1, 2, size=(400, 3)) * [1, 2, 0.5]
    first, total = sobol_indices(polynomial, EmpiricalInputs(data))
    marginal = empirical_marginals(data, 6, "marginals")
    np.testing.assert_allclose(sobol_indices(polynomial, marginal)[0], first, rtol=1e-12)

    def resample(rng: np.random.Generator, k: int) -> np.ndarray:  # independent draws of each column
        return np.stack([data[rng.integers(0, data.shape[0], k), j] for j in range(3)], axis=1)

    estimate, estimate_total, se, se_total = _saltelli(polynomial, resample, 3, 200_000, seed=1)
    assert np.all(np.abs(first[0] - estimate) < 5 * se + 1e-3)
    assert np.all(np.abs(total[0] - estimate_total) < 5 * se_total + 1e-3)


def test_additive_polynomial_sobol_first_equals_total_and_shares() -> None:
    # f = 3 x1 + x2² : no interactions, so S_i = ST_i, and they equal the variable shares
    polynomial = Polynomial(("x1", "x2"), ("y",), np.array([[1, 0], [0, 2]]), np.array([[3.0, 1.0]]))
    result = importance(polynomial, gaussian_marginals(np.zeros(2), np.ones(2), 4, "N(0, I)"))
    np.testing.assert_allclose(result.first_order, result.total, atol=1e-14)
    np.testing.assert_allclose(result.first_order[0], [9 / 11, 2 / 11], atol=1e-14)
    np.testing.assert_allclose(result.variable_shares[0], [9 / 11, 2 / 11], atol=1e-14)


def test_variable_shares_are_shapley_effects_by_enumeration() -> None:
    # closed indices Var(E[f | x_S]) by nested Gauss–Hermite rules, then Owen's Shapley effect by enumeration
    n = 3
    polynomial = _polynomial(n, 3, seed=21)
    mean, std = MU[:n], SD[:n]
    z, w = np.polynomial.hermite_e.hermegauss(6)
    w = w / w.sum()

    def closed(subset: tuple[int, ...]) -> float:
        outer = list(itertools.product(range(6), repeat=len(subset)))
        rest = [j for j in range(n) if j not in subset]
        inner = list(itertools.product(range(6), repeat=len(rest)))
        conditional, weights = [], []
        for o in outer:
            points = np.empty((len(inner), n))
            points[:, list(subset)] = mean[list(subset)] + std[list(subset)] * z[list(o)]
            points[:, rest] = mean[rest] + std[rest] * z[np.array(inner, dtype=int).reshape(len(inner), -1)]
            inner_w = np.prod(w[np.array(inner, dtype=int).reshape(len(inner), -1)], axis=1)
            conditional.append(inner_w @ polynomial.evaluate(points)[:, 0])
            weights.append(np.prod(w[list(o)]))
        conditional, weights = np.array(conditional), np.array(weights)
        return float(weights @ (conditional - weights @ conditional) ** 2)

    values = {s: closed(s) for k in range(n + 1) for s in itertools.combinations(range(n), k)}
    expected = np.zeros(n)
    for i in range(n):
        others = [j for j in range(n) if j != i]
        for k in range(n):
            for s in itertools.combinations(others, k):
                weight = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
                expected[i] += weight * (values[tuple(sorted(s + (i,)))] - values[s])
    expected /= values[tuple(range(n))]
    result = importance(polynomial, gaussian_marginals(mean, std, 6, "Gaussian"))
    np.testing.assert_allclose(result.variable_shares[0], expected, rtol=0, atol=1e-10)
    assert np.all(result.first_order[0] <= expected + 1e-12) and np.all(expected <= result.total[0] + 1e-12)


def test_too_many_terms_is_refused_before_any_work() -> None:
    from polyx.errors import DataError
    from polyx.expansion.analysis.importance import MAX_TERMS

    exponents = np.array([e for e in itertools.combinations_with_replacement(range(31), 3)])  # 5,456 degree-3 terms
    rows = np.zeros((exponents.shape[0], 30), dtype=np.int64)
    for r, combo in enumerate(exponents):
        for v in combo:
            if v < 30:
                rows[r, v] += 1
    polynomial = Polynomial(tuple(f"x{i + 1}" for i in range(30)), ("y",), rows, np.ones((1, rows.shape[0])))
    assert polynomial.n_terms > MAX_TERMS
    with pytest.raises(DataError, match="lower `order` or `max_interaction`"):
        importance(polynomial, gaussian_marginals(np.zeros(30), np.ones(30), 6, "N(0, I)"))
