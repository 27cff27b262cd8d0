"""Which inputs matter, from the polynomial itself, exactly: variance shares, Sobol indices, Shapley values.

A coefficient's size says little on its own: c·x1³ matters only as much as x1³ varies on the
inputs the model sees, terms that share inputs are correlated, and a variable's importance is
spread over every term it enters. Under an input model (``input_models``) everything below is a
finite sum of moments, so it is exact, not sampled:

- term shares: Cov(c_t m_t, f) / Var f, which sum to 1 over the terms (any input model);
- Sobol indices (independent inputs): first order Var(E[f | x_i]) / Var f and total
  E[Var(f | x_{~i})] / Var f, from the univariate polynomial E[f | x_i] and the polynomial
  E[f | x_{~i}] (x_i integrated out term by term);
- Shapley values of the interventional game v(S) = E[f(x_S, X_{~S})] per row: v is linear in
  the terms, and for one term c·Π_{j∈T}(x_j − μ_j)^{e_j} the game is Π_{j∈S∩T}(x_j − μ_j)^{e_j} ·
  E[Π_{j∈T\\S}(X_j − μ_j)^{e_j}], which only depends on S ∩ T: the Shapley sum runs over the
  2^|T| subsets of the term's own variables (|T| ≤ the degree), with the weights of |T| players;
- each variable's share: its Shapley effect Σ_{u ∋ i} V_u/|u| (V_u the ANOVA component variances,
  independent inputs), which sums to 1 and lies between the first-order and total indices;
- pairwise Shapley interaction values (Lundberg et al. 2020's SHAP interaction values) the same
  way, with the diagonal the Shapley value minus its row's interactions.

The polynomial is first moved to the model's centre (an exact change of variables), so that the
moments are central and small.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.analysis.input_models import InputModel
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.polynomials.units import Standardization, raw_to_standardized

__all__ = ["Importance", "importance", "term_shares", "sobol_indices", "shapley_values", "shapley_interactions",
           "variable_shares"]


def _centred(polynomial: Polynomial, model: InputModel) -> tuple[np.ndarray, np.ndarray]:
    """Exponents and coefficients (outputs, terms) of the polynomial in powers of x − model.center."""
    moved = raw_to_standardized(polynomial, Standardization(model.center, np.ones_like(model.center)))
    return np.asarray(moved.exponents, dtype=np.int64), np.asarray(moved.coefficients)


def _term_covariance(exponents: np.ndarray, model: InputModel) -> tuple[np.ndarray, np.ndarray]:
    """E[m_t] and Cov(m_t, m_s) of the centred monomials under the model (pairs in row blocks)."""
    means = model.moments(exponents)
    terms = exponents.shape[0]
    gram = np.empty((terms, terms))
    block = max(1, 2_000_000 // max(terms * exponents.shape[1], 1))
    for start in range(0, terms, block):
        stop = min(start + block, terms)
        pairs = (exponents[start:stop, None, :] + exponents[None, :, :]).reshape(-1, exponents.shape[1])
        gram[start:stop] = model.moments(pairs).reshape(stop - start, terms)
    return means, gram - np.outer(means, means)


def term_shares(polynomial: Polynomial, model: InputModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each term's share of each output's variance, Cov(c_t m_t, f)/Var f (outputs, terms), summing
    to 1 per output; also E[f] and Var f (outputs,). Terms are the polynomial's own (in powers of x).

    A term's share is the same whether written around 0 or the means only when the variables are
    centred; the shares here are of the terms as the user reads them (powers of x), computed
    exactly through the centred form, so they are the covariances of the user's terms.
    """
    exponents = np.asarray(polynomial.exponents, dtype=np.int64)
    coefficients = _raw_coefficients(polynomial)
    # each of the user's monomials x^e_t as a polynomial in y = x − μ (rows of B), exactly:
    # then E[m] = B E[y-monomials] and Cov(m) = B Cov(y-monomials) Bᵀ, with no large raw moments cancelling
    basis = _shifted_basis(exponents, model.center)
    centred_means, centred_covariance = _term_covariance(exponents, model)
    means, covariance = basis @ centred_means, basis @ centred_covariance @ basis.T
    shares = np.zeros(coefficients.shape)
    variance = np.einsum("ot,ts,os->o", coefficients, covariance, coefficients)
    for output, c in enumerate(coefficients):
        if variance[output] > 0:
            shares[output] = c * (covariance @ c) / variance[output]
    return shares, coefficients @ means, variance


def _shifted_basis(exponents: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Row t: the coefficients of x^e_t = (y + μ)^e_t in powers of y (terms × terms)."""
    from polyx.errors import DataError
    from polyx.expansion.polynomials.translate import centered_to_powers

    try:
        return centered_to_powers(sparse.from_exponents(exponents), np.eye(exponents.shape[0]),
                                  -np.asarray(center, dtype=np.float64))
    except ValueError:
        raise DataError("this polynomial's terms are not closed under division (it was pruned); importance needs the "
                        "unpruned artifact") from None


def _raw_coefficients(polynomial: Polynomial) -> np.ndarray:
    if polynomial.center is None or not np.any(polynomial.center):
        return np.asarray(polynomial.coefficients, dtype=np.float64)
    zero = np.zeros(len(polynomial.variables))
    return np.asarray(raw_to_standardized(polynomial, Standardization(zero, np.ones_like(zero))).coefficients)


def variable_shares(polynomial: Polynomial, model: InputModel) -> np.ndarray:
    """Each variable's share of the variance (outputs, variables): its Shapley effect (Owen 2014) under the
    product of the model's marginals, Σ_{u ∋ i} V_u / |u| over the ANOVA components u; they sum to 1.

    Only variable sets below some term's own set have a component, so the closed indices
    Var(E[f | x_S]) are computed for those S alone and turned into V_u by Möbius inversion.
    """
    exponents, coefficients = _centred(polynomial, model)
    independent = model.marginals(2 * int(exponents.sum(axis=1).max(initial=0)))
    sets: set[frozenset[int]] = set()
    for row in exponents:
        variables = [int(v) for v in np.flatnonzero(row)]
        for k in range(1, len(variables) + 1):
            sets.update(frozenset(c) for c in itertools.combinations(variables, k))
    closed = {frozenset(): np.zeros(coefficients.shape[0])}
    for subset in sets:
        inside = np.zeros(exponents.shape[1], dtype=bool)
        inside[list(subset)] = True
        kept = np.where(inside, exponents, 0)
        factors = independent.moments(np.where(inside, 0, exponents))
        closed[subset] = _variance(kept, coefficients * factors, independent)
    effects = np.zeros((coefficients.shape[0], exponents.shape[1]))
    for subset in sets:
        component = sum((-1) ** (len(subset) - k) * closed[frozenset(c)]
                        for k in range(len(subset) + 1) for c in itertools.combinations(sorted(subset), k))
        for variable in subset:
            effects[:, variable] += component / len(subset)
    total = closed.get(frozenset(range(exponents.shape[1])), _variance(exponents, coefficients, independent))
    return effects / np.where(total > 0, total, np.inf)[:, None]


def sobol_indices(polynomial: Polynomial, model: InputModel) -> tuple[np.ndarray, np.ndarray]:
    """First-order and total Sobol indices (outputs, variables) under the product of the model's marginals.

    E[f | x_i] keeps the terms' x_i powers and integrates the rest; E[f | x_{~i}] integrates x_i out;
    their variances (exact, from the marginal moments) over Var f give S_i and 1 − ST_i.
    """
    exponents, coefficients = _centred(polynomial, model)
    independent = model.marginals(2 * int(exponents.sum(axis=1).max(initial=0)))
    variance = _variance(exponents, coefficients, independent)
    n = exponents.shape[1]
    first, total = np.zeros((coefficients.shape[0], n)), np.zeros((coefficients.shape[0], n))
    for i in range(n):
        kept = np.zeros_like(exponents)
        kept[:, i] = exponents[:, i]
        first[:, i] = _variance(kept, coefficients * _others(exponents, independent, i, keep=True), independent)
        dropped = exponents.copy()
        dropped[:, i] = 0
        total[:, i] = variance - _variance(dropped, coefficients * _others(exponents, independent, i, keep=False), independent)
    safe = np.where(variance > 0, variance, np.inf)[:, None]
    return first / safe, total / safe


def _others(exponents: np.ndarray, model: InputModel, i: int, keep: bool) -> np.ndarray:
    """Per term, the expectation of the factors integrated out: all but x_i (keep) or x_i alone."""
    integrated = exponents.copy()
    if keep:
        integrated[:, i] = 0
    else:
        integrated[:, np.arange(exponents.shape[1]) != i] = 0
    return model.moments(integrated)


def _variance(exponents: np.ndarray, coefficients: np.ndarray, model: InputModel) -> np.ndarray:
    """Var of Σ_t c_t m_t per output, repeated exponent rows merged first."""
    unique, inverse = np.unique(exponents, axis=0, return_inverse=True)
    merged = np.zeros((coefficients.shape[0], unique.shape[0]))
    np.add.at(merged.T, inverse.reshape(-1), coefficients.T)
    _, covariance = _term_covariance(unique, model)
    return np.einsum("ot,ts,os->o", merged, covariance, merged)


def _term_games(exponents: np.ndarray, coefficients: np.ndarray, rows: np.ndarray, model: InputModel):
    """For every non-constant term: its variables T, and v_t(S) for every subset S ⊆ T (bit masks) at each row,
    as an array (subsets, rows) times the coefficients (outputs,)."""
    centred = np.asarray(rows, dtype=np.float64) - model.center
    for term in range(exponents.shape[0]):
        variables = np.flatnonzero(exponents[term])
        if not variables.size or not np.any(coefficients[:, term]):
            continue
        k = variables.size
        powers = centred[:, variables] ** exponents[term, variables]  # (rows, k)
        rest = np.zeros((1 << k, exponents.shape[1]), dtype=np.int64)
        values = np.empty((1 << k, rows.shape[0]))
        for mask in range(1 << k):
            inside = np.array([(mask >> b) & 1 for b in range(k)], dtype=bool)
            rest[mask, variables[~inside]] = exponents[term, variables[~inside]]
            values[mask] = np.prod(powers[:, inside], axis=1)
        values *= model.moments(rest)[:, None]
        yield variables, values, coefficients[:, term]


def shapley_values(polynomial: Polynomial, rows: np.ndarray, model: InputModel) -> tuple[np.ndarray, np.ndarray]:
    """Exact Shapley values (rows, outputs, variables) of v(S) = E[f(x_S, X_{~S})] under the model,
    and the base value E[f] (outputs,): each row's values sum to f(x) − E[f]."""
    exponents, coefficients = _centred(polynomial, model)
    rows = np.atleast_2d(np.asarray(rows, dtype=np.float64))
    out = np.zeros((rows.shape[0], coefficients.shape[0], exponents.shape[1]))
    for variables, values, c in _term_games(exponents, coefficients, rows, model):
        k = variables.size
        for b, variable in enumerate(variables):
            phi = np.zeros(rows.shape[0])
            for mask in range(1 << k):
                if mask >> b & 1:
                    continue
                size = bin(mask).count("1")
                weight = math.factorial(size) * math.factorial(k - size - 1) / math.factorial(k)
                phi += weight * (values[mask | 1 << b] - values[mask])
            out[:, :, variable] += phi[:, None] * c[None, :]
    return out, coefficients @ model.moments(exponents)


def shapley_interactions(polynomial: Polynomial, rows: np.ndarray, model: InputModel) -> np.ndarray:
    """SHAP interaction values (rows, outputs, variables, variables): off the diagonal
    Σ_S |S|!(M−|S|−2)!/(2(M−1)!) [v(S∪ij) − v(S∪i) − v(S∪j) + v(S)], on it the Shapley value minus the
    row's off-diagonal entries; each row's matrix sums to f(x) − E[f]."""
    exponents, coefficients = _centred(polynomial, model)
    rows = np.atleast_2d(np.asarray(rows, dtype=np.float64))
    n = exponents.shape[1]
    out = np.zeros((rows.shape[0], coefficients.shape[0], n, n))
    for variables, values, c in _term_games(exponents, coefficients, rows, model):
        k = variables.size
        for a in range(k):
            for b in range(a + 1, k):
                both = 1 << a | 1 << b
                value = np.zeros(rows.shape[0])
                for mask in range(1 << k):
                    if mask & both:
                        continue
                    size = bin(mask).count("1")
                    weight = math.factorial(size) * math.factorial(k - size - 2) / (2 * math.factorial(k - 1))
                    value += weight * (values[mask | both] - values[mask | 1 << a] - values[mask | 1 << b] + values[mask])
                i, j = variables[a], variables[b]
                out[:, :, i, j] += value[:, None] * c[None, :]
                out[:, :, j, i] += value[:, None] * c[None, :]
    phi, _ = shapley_values(polynomial, rows, model)
    diagonal = np.arange(n)
    out[:, :, diagonal, diagonal] = phi - out.sum(axis=3)
    return out


@dataclass(frozen=True)
class Importance:
    """Everything ``polyx show --importance`` reports, per output."""

    model: str
    mean: np.ndarray
    variance: np.ndarray
    term_shares: np.ndarray
    variable_shares: np.ndarray
    first_order: np.ndarray
    total: np.ndarray
    sobol_model: str

    def to_json(self, polynomial: Polynomial) -> dict:
        """JSON-ready: one block per output with its terms' and variables' shares and Sobol indices."""
        names = polynomial.term_names()
        outputs = []
        for o, output in enumerate(polynomial.outputs):
            outputs.append({
                "output": output, "mean": float(self.mean[o]), "variance": float(self.variance[o]),
                "variables": [
                    {"variable": v, "variance_share": float(self.variable_shares[o, i]),
                     "sobol_first": float(self.first_order[o, i]), "sobol_total": float(self.total[o, i])}
                    for i, v in enumerate(polynomial.variables)],
                "terms": [{"term": names[t], "coefficient": float(polynomial.coefficients[o, t]),
                           "variance_share": float(self.term_shares[o, t])} for t in range(len(names))],
            })
        return {"input_model": self.model, "sobol_input_model": self.sobol_model, "outputs": outputs}


MAX_TERMS = 3000
"""Largest polynomial importance is computed for: the term covariances are terms² numbers (72 MB at 3,000
terms), and the Shapley effects need one such variance per variable set of the terms."""


def importance(polynomial: Polynomial, model: InputModel) -> Importance:
    """Term and variable variance shares under ``model``, Sobol indices under its marginals."""
    from polyx.errors import DataError

    if polynomial.n_terms > MAX_TERMS:
        raise DataError(f"importance covers polynomials of up to {MAX_TERMS} terms (it forms every pair of terms); "
                        f"this one has {polynomial.n_terms}: convert with a lower `order` or `max_interaction`")
    shares, mean, variance = term_shares(polynomial, model)
    first, total = sobol_indices(polynomial, model)
    sobol_model = model.description if model.independent else "the product of the data's marginal distributions"
    return Importance(model.description, mean, variance, shares, variable_shares(polynomial, model), first, total,
                      sobol_model)
