"""Least squares under a Gaussian mixture: still a closed form, because the normal equations are
linear in the expectation.

The lsq polynomial P minimises E[(f − P)²]; its coefficients a solve G a = b with the Gram matrix
G = E[m mᵀ] and the moment vector b = E[m f] over the monomials m of degree ≤ Q. Under a mixture
Σ_c w_c N(μ_c, Σ_c) both are weighted sums of the components' expectations:

    G = Σ_c w_c G_c,   b = Σ_c w_c b_c.

Each component's b_c needs no new integral: its own lsq polynomial P_c (the single-Gaussian
closed form, a_c its coefficients) satisfies E_c[m (f − P_c)] = 0 for every m, so b_c = G_c a_c.
And G_c holds Gaussian moments of monomials of degree ≤ 2Q, exact by Stein's recursion
E[y_i y^α] = δ_i E[y^α] + Σ_j Σ_ij α_j E[y^(α − e_j)]. Everything is computed in the standardised
coordinates y = (x − μ̄)/s of the mixture (μ̄ its mean, s its standard deviations), where G is
well conditioned, and the result is written about μ̄.

A network without a single-Gaussian closed form (two non-linear layers or more) gets the
Monte-Carlo fit on draws from the mixture instead, labelled empirical as usual.
``fit_mixture`` fits k components to data rows by EM (plain numpy, seeded, k-means++ start).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from polyx.errors import DataError
from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.kernel.space import MonomialSpace
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.polynomials.translate import centered_to_powers

__all__ = [
    "GaussianMixture", "mixture_from_spec", "fit_mixture", "sample_mixture", "gaussian_monomial_moments",
    "expand_lsq_mixture", "lsq_with_mixture", "EM_ITERATIONS", "EM_TOLERANCE",
]

EM_ITERATIONS = 500
"""EM stops after this many iterations at most (a well-separated mixture converges in tens)."""

EM_TOLERANCE = 1e-10
"""EM stops when the mean log-likelihood per row improves by less than this."""

COVARIANCE_FLOOR = 1e-9
"""EM adds this fraction of each column's variance to every component's covariance, so a component
that collapses onto a few rows keeps an invertible covariance."""


@dataclass(frozen=True)
class GaussianMixture:
    """Σ_c weights[c] N(means[c], covs[c]); weights sum to 1."""

    weights: np.ndarray
    means: np.ndarray
    covs: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """The mixture's mean Σ w_c μ_c."""
        return self.weights @ self.means

    @property
    def cov(self) -> np.ndarray:
        """The mixture's covariance Σ w_c (Σ_c + μ_c μ_cᵀ) − μ̄ μ̄ᵀ."""
        centred = self.means - self.mean
        return np.einsum("c,cij->ij", self.weights, self.covs) + np.einsum("c,ci,cj->ij", self.weights, centred, centred)

    def as_json(self) -> dict:
        """The mixture as a Gaussian spec file holds it (recorded in the artifact's method)."""
        return {"weights": self.weights.tolist(), "means": self.means.tolist(), "covs": self.covs.tolist()}


def mixture_from_spec(weights: Any, means: Any, covs: Any, names: Sequence[str], source: str) -> GaussianMixture:
    """Check a mixture given as lists: shapes against the inputs, finite numbers, weights ≥ 0 summing
    to 1 (to 1e-9; they are then normalised), each covariance symmetric positive semi-definite."""
    n = len(names)
    try:
        weights = np.asarray(weights, dtype=np.float64).reshape(-1)
        means = np.asarray(means, dtype=np.float64)
        covs = np.asarray(covs, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{source}: weights, means and covs must be a list, a list of lists and a list of matrices") from None
    k = weights.size
    if k == 0:
        raise DataError(f"{source}: the mixture has no components; give at least one weight")
    if means.shape != (k, n):
        raise DataError(f"{source}: 'means' is {'x'.join(map(str, means.shape))}, expected {k}x{n} "
                        f"({k} components, inputs {', '.join(names)})")
    if covs.shape != (k, n, n):
        raise DataError(f"{source}: 'covs' is {'x'.join(map(str, covs.shape))}, expected {k}x{n}x{n}")
    if not (np.isfinite(weights).all() and np.isfinite(means).all() and np.isfinite(covs).all()):
        raise DataError(f"{source}: the mixture's weights, means and covariances must be finite numbers")
    if (weights < 0).any() or abs(weights.sum() - 1.0) > 1e-9:
        raise DataError(f"{source}: the weights must be ≥ 0 and sum to 1 (they sum to {weights.sum():.12g})")
    for c, cov in enumerate(covs):
        scale = max(float(np.abs(cov).max()), np.finfo(float).tiny)
        if np.abs(cov - cov.T).max() > 1e-10 * scale:
            raise DataError(f"{source}: covs[{c}] is not symmetric; cov[i][j] must equal cov[j][i]")
        if np.linalg.eigvalsh(0.5 * (cov + cov.T))[0] < -1e-8 * scale:
            raise DataError(f"{source}: covs[{c}] is not positive semi-definite; give a valid covariance")
    covs = 0.5 * (covs + np.swapaxes(covs, 1, 2))
    return GaussianMixture(weights / weights.sum(), means, covs)


def _log_densities(rows: np.ndarray, mixture: GaussianMixture) -> np.ndarray:
    """log(w_c N(x; μ_c, Σ_c)) per row and component, through Cholesky factors."""
    n = rows.shape[1]
    out = np.empty((rows.shape[0], mixture.weights.size))
    for c, (weight, mean, cov) in enumerate(zip(mixture.weights, mixture.means, mixture.covs)):
        factor = np.linalg.cholesky(cov)
        z = np.linalg.solve(factor, (rows - mean).T)
        out[:, c] = (np.log(weight) - 0.5 * (z * z).sum(axis=0) - np.log(np.diag(factor)).sum()
                     - 0.5 * n * np.log(2 * np.pi))
    return out


def fit_mixture(rows: np.ndarray, components: int, seed: int, source: str) -> GaussianMixture:
    """A k-component Gaussian mixture fitted to data rows by EM (maximum likelihood, full covariances).

    Seeded k-means++ picks the starting means, so the same data, k and seed give the same mixture.
    Each covariance gets COVARIANCE_FLOOR of the columns' variances added, so no component can
    collapse onto a single row.
    """
    rows = np.asarray(rows, dtype=np.float64)
    count, n = rows.shape
    if count < 2 * components:
        raise DataError(f"{source}: {count} data rows for a {components}-component mixture; give at least {2 * components} rows")
    rng = np.random.default_rng(seed)
    floor = COVARIANCE_FLOOR * np.diag(np.atleast_2d(np.cov(rows, rowvar=False))) + np.finfo(float).tiny
    means = [rows[rng.integers(count)]]
    for _ in range(1, components):
        distance = np.min([((rows - m) ** 2).sum(axis=1) for m in means], axis=0)
        total = distance.sum()
        means.append(rows[rng.choice(count, p=distance / total)] if total > 0 else rows[rng.integers(count)])
    base = np.atleast_2d(np.cov(rows, rowvar=False)) + np.diag(floor)
    mixture = GaussianMixture(np.full(components, 1.0 / components), np.array(means), np.repeat(base[None], components, 0))
    previous = -np.inf
    for _ in range(EM_ITERATIONS):
        log_p = _log_densities(rows, mixture)
        top = log_p.max(axis=1, keepdims=True)
        log_total = top + np.log(np.exp(log_p - top).sum(axis=1, keepdims=True))
        responsibility = np.exp(log_p - log_total)
        likelihood = float(log_total.mean())
        mass = responsibility.sum(axis=0) + np.finfo(float).tiny
        means = (responsibility.T @ rows) / mass[:, None]
        covs = np.empty((components, n, n))
        for c in range(components):
            centred = rows - means[c]
            covs[c] = (responsibility[:, c, None] * centred).T @ centred / mass[c] + np.diag(floor)
        mixture = GaussianMixture(mass / mass.sum(), means, 0.5 * (covs + np.swapaxes(covs, 1, 2)))
        if likelihood - previous < EM_TOLERANCE:
            break
        previous = likelihood
    return mixture


def sample_mixture(mixture: GaussianMixture, rows: int, rng: np.random.Generator) -> np.ndarray:
    """``rows`` draws from the mixture: component counts multinomial, then each component's Gaussian."""
    counts = rng.multinomial(rows, mixture.weights)
    parts = [rng.multivariate_normal(mean, cov, size=count, method="eigh")
             for mean, cov, count in zip(mixture.means, mixture.covs, counts) if count]
    draws = np.concatenate(parts)
    return draws[rng.permutation(rows)]


def _full_exponents(n: int, degree: int) -> np.ndarray:
    """Every exponent row of total degree ≤ ``degree`` in n variables, graded: the kernel's space as
    dense rows, which the moment recursion keys by tuple (n is small here: the Gram matrix is
    terms × terms)."""
    return MonomialSpace(n, degree).all_exponents()


def gaussian_monomial_moments(mean: np.ndarray, cov: np.ndarray, degree: int) -> dict[tuple[int, ...], float]:
    """E[y^γ] for y ~ N(mean, cov) and every |γ| ≤ degree, exactly, by Stein's recursion
    E[y_i y^α] = mean_i E[y^α] + Σ_j cov_ij α_j E[y^(α − e_j)]."""
    n = mean.size
    moments: dict[tuple[int, ...], float] = {(0,) * n: 1.0}
    for gamma in map(tuple, _full_exponents(n, degree)[1:].tolist()):
        i = next(v for v, power in enumerate(gamma) if power)
        alpha = gamma[:i] + (gamma[i] - 1,) + gamma[i + 1:]
        value = mean[i] * moments[alpha]
        for j, power in enumerate(alpha):
            if power and cov[i, j]:
                value += cov[i, j] * power * moments[alpha[:j] + (power - 1,) + alpha[j + 1:]]
        moments[gamma] = value
    return moments


def _gram(exponents: np.ndarray, moments: dict[tuple[int, ...], float]) -> np.ndarray:
    """G[s, t] = E[y^(β_s + β_t)]."""
    sums = exponents[:, None, :] + exponents[None, :, :]
    keys = list(map(tuple, sums.reshape(-1, exponents.shape[1]).tolist()))
    return np.array([moments[key] for key in keys]).reshape(len(exponents), len(exponents))


def _coefficients_on(poly: Polynomial, terms: np.ndarray) -> np.ndarray:
    """The polynomial's coefficients placed on the sparse rows ``terms`` (a term it lacks is 0)."""
    out = np.zeros((len(poly.outputs), terms.shape[0]))
    out[:, sparse.RowIndex(terms).find(poly.indices)] = poly.coefficients
    return out


def _solve(gram: np.ndarray, moments: np.ndarray) -> np.ndarray:
    """a with G a = b: Cholesky when G is positive definite, else the least-norm solution (a mixture
    whose components all live on one lower-dimensional support)."""
    import scipy.linalg

    try:
        return scipy.linalg.solve(gram, moments, assume_a="pos")
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
        return np.linalg.lstsq(gram, moments, rcond=None)[0]


def expand_lsq_mixture(
    network: Any,
    order: int,
    mixture: GaussianMixture,
    component_fit: Callable[[np.ndarray, np.ndarray], Polynomial],
) -> tuple[Polynomial, dict]:
    """The mixture's lsq polynomial about the mixture mean, and its diagnostics (analytic R² when
    every component reports its output variance).

    ``component_fit(mean, cov)`` is the single-Gaussian closed-form lsq polynomial of one
    component (``expand_lsq(..., centered=True)``); a network without one is fitted on draws
    instead (``lsq_with_mixture``).
    """
    n = mixture.means.shape[1]
    center = mixture.mean
    scale = np.sqrt(np.maximum(np.diag(mixture.cov), 0.0))
    scale = np.where(scale > 0, scale, 1.0)
    exponents = _full_exponents(n, order)
    terms = sparse.from_exponents(exponents)
    scaling = np.prod(scale[None, :] ** exponents, axis=1)  # y^β = (x − μ̄)^β / s^β
    outputs = network.output_size
    gram = np.zeros((len(exponents), len(exponents)))
    moments = np.zeros((len(exponents), outputs))
    mean_f = np.zeros(outputs)
    second_f = np.zeros(outputs)
    variances_known = True
    warnings: list[str] = []
    for weight, mean, cov in zip(mixture.weights, mixture.means, mixture.covs):
        component = component_fit(mean, cov)
        own_center = component.center if component.center is not None else np.zeros(n)
        shifted = centered_to_powers(terms, _coefficients_on(component, terms), own_center - center)
        in_y = shifted * scaling  # coefficients of powers of y
        component_moments = gaussian_monomial_moments((mean - center) / scale, cov / np.outer(scale, scale), 2 * order)
        gram_c = _gram(exponents, component_moments)
        gram += weight * gram_c
        moments += weight * (gram_c @ in_y.T)
        first = np.array([component_moments[tuple(row)] for row in exponents.tolist()])
        e_f = in_y @ first  # E_c[f] = E_c[P_c f] (the constant is one of the monomials)
        variance = component.diagnostics.get("output_variance")
        if variance is None:
            variances_known = False
        else:
            mean_f += weight * e_f
            second_f += weight * (np.asarray(variance) + e_f ** 2)
        warnings += [w for w in component.diagnostics.get("warnings", []) if w not in warnings]
    solution = _solve(gram, moments)  # (terms, outputs), powers of y
    diagnostics: dict = {"components": int(mixture.weights.size), "gram_condition": float(np.linalg.cond(gram))}
    if variances_known:
        first_mix = gram[0]  # E_mix[y^β]: the row of the constant monomial
        explained = np.einsum("to,ts,so->o", solution, gram, solution) - (first_mix @ solution) ** 2
        total = second_f - mean_f ** 2
        diagnostics["r2"] = [float(e / t) if t > 0 else 1.0 for e, t in zip(explained, total)]
        diagnostics["r2_kind"] = "analytic"
        diagnostics["output_variance"] = total.tolist()
        diagnostics["explained_variance"] = explained.tolist()
    if warnings:
        diagnostics["warnings"] = warnings
    coefficients = solution.T / scaling
    poly = Polynomial(tuple(network.variable_names), tuple(network.output_names), None, coefficients, center=center,
                      monomials=terms)
    return poly, diagnostics


def _has_closed_form(network: Any, stage: object) -> bool:
    from polyx.expansion.methods.least_squares import hidden_layer_form

    return stage is not None or hidden_layer_form(network) is not None


def lsq_with_mixture(
    network: Any,
    order: int,
    mixture: GaussianMixture | None = None,
    components: int | None = None,
    data: np.ndarray | None = None,
    samples: int | None = None,
    seed: int = 0,
    check_samples: int = 0,
    input_source: str | None = None,
    input_names: Sequence[str] | None = None,
    stage: tuple[str, Callable[..., Polynomial]] | None = None,
    **parameters: Any,
) -> Polynomial:
    """The lsq method under a Gaussian mixture: ``mixture`` given, or one of ``components`` Gaussians fitted to ``data``.

    One hidden layer (or a graph stage with a closed form): the exact mixture closed form
    (``expand_lsq_mixture``). Deeper: the Monte-Carlo fit, on the data rows when the mixture was
    fitted to data, else on ``samples`` draws from the mixture.
    """
    from polyx.expansion.methods.gaussian_input import gaussian_input
    from polyx.expansion.methods.least_squares import (
        CENTERING_DIGITS, _multiplied_out, digits_at_risk, expand_lsq,
    )
    from polyx.expansion.methods.monte_carlo import DEFAULT_SAMPLES_PER_TERM, MIN_DEFAULT_SAMPLES
    from polyx.expansion.kernel.space import count_terms

    names = list(input_names or network.variable_names)
    source = input_source or ("the data" if data is not None else "the mixture")
    fitted = mixture is None
    if fitted:
        if data is None or components is None:
            raise DataError("`components` k fits a k-component mixture to `data`; give `data` (or a ready Gaussian mixture)")
        mixture = fit_mixture(data, components, seed, source)
    centered = parameters.pop("centered", None)
    common = {"input_names": input_names, **parameters}
    notes: list[str] = []
    if not _has_closed_form(network, stage):
        if fitted:
            rows = data
            notes.append("the network has no closed form: the empirical fit uses the data rows, not the fitted mixture")
        else:
            terms = count_terms(len(names), order)
            rows = sample_mixture(mixture, samples or max(DEFAULT_SAMPLES_PER_TERM * terms, MIN_DEFAULT_SAMPLES),
                                  np.random.default_rng(seed))
        poly = expand_lsq(network, order, data=rows, seed=seed, check_samples=check_samples, input_source=source,
                          centered=centered, stage=stage, **common)
        method = {**poly.method, "input_model": "gaussian mixture", "mixture": mixture.as_json()}
        diagnostics = {**poly.diagnostics}
        diagnostics["warnings"] = diagnostics.get("warnings", []) + notes
        return poly.relabelled(method=method, diagnostics=diagnostics)

    def component_fit(mean: np.ndarray, cov: np.ndarray) -> Polynomial:
        return expand_lsq(network, order, mean=mean, cov=cov, centered=True, stage=stage, input_source=source, **common)

    poly, diagnostics = expand_lsq_mixture(network, order, mixture, component_fit)
    model = gaussian_input(names, mixture.mean, mixture.cov, source=source)
    ratio, digits = digits_at_risk(model, order)
    centred = digits > CENTERING_DIGITS if centered is None else bool(centered)
    if not centred:
        poly = _multiplied_out(poly)
    if samples is not None:
        notes.append("`samples` is for the empirical fit of deeper networks; this one has a closed form")
    if check_samples:
        notes.append("`check_samples` checks a single Gaussian's R²; the mixture's R² is analytic")
    method: dict = {"name": "lsq", "order": order, "solution": "closed-form",
                    "input_model": "gaussian mixture fitted to data" if fitted else "gaussian mixture",
                    "centered": centred, "input_source": source, "components": int(mixture.weights.size)}
    if fitted:
        method["seed"] = seed
    if stage is not None:
        method["stage"] = stage[0]
    method["mixture"] = mixture.as_json()
    diagnostics["centering"] = {"mean_over_std": ratio, "digits_at_risk": digits, "limit": CENTERING_DIGITS}
    warnings = diagnostics.pop("warnings", []) + notes
    if network.output_activation is not None:
        method["output_space"] = "logits"
    if warnings:
        diagnostics["warnings"] = warnings
    return poly.relabelled(method=method, diagnostics=diagnostics)
