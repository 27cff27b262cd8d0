"""Closed-form least squares (Belrose & Rigg): the best polynomial of degree ≤ n under a Gaussian.

For one hidden layer f(x) = W2 g(W1 x + b1) + b2 and x ~ N(μ, Σ), each pre-activation u_k is
Gaussian with mean m_k and standard deviation s_k, and the least-squares projection of f onto
polynomials of degree ≤ n is, neuron by neuron,

    P_n f(x) = b2 + W2 [ Σ_{j≤n} (c_kj / j!) He_j((u_k − m_k)/s_k) ]_k,   c_kj = E[g(u_k) He_j(Z)].

Each neuron's polynomial is re-expanded in powers of (u − u0), u0 its constant term in the
engine, and the one propagation engine does the rest (the first-layer fast path: no neuron's
polynomial in x is ever stored). Purely linear layers are folded first; a network with two or
more non-linear layers has no closed form and gets the Monte-Carlo fit (``monte_carlo``).

Both solutions are computed about the Gaussian's mean, in powers of (x − μ), where the
polynomial is well conditioned. The artifact is multiplied out into powers of x unless that would
put more than CENTERING_DIGITS decimal digits at risk: a polynomial that is O(1) within a few σ of
μ has power-of-x coefficients that cancel by about (1 + r)^Q when evaluated there, r the largest
|μ_i|/σ_i (inputs 200σ from 0 at Q = 6 lose ~14 digits). It then stays centred (``center`` = μ).

R² is analytic: with ρ the pre-activation correlations, E[He_j(z_k)He_i(z_l)] = δ_ij j! ρ_kl^j, so
Var(P_n f)_o = Σ_{j=1..n} (1/j!) Σ_{k,l} W2[o,k] W2[o,l] ρ_kl^j c_kj c_lj, and Var f is the same
sum over all j (``activation_covariance``).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from polyx.converters.ir.graph import Concat, Graph, Input, Linear
from polyx.converters.ir.chain import LINEAR, DenseLayer, Network
from polyx.errors import MethodError
from polyx.expansion.activations.covariance import activation_covariance, correlations
from polyx.expansion.activations.registry import activation_function
from polyx.expansion.kernel.budget import DEFAULT_MAX_MEMORY, check_expansion_memory, check_order
from polyx.expansion.methods.gaussian_input import GaussianInput, gaussian_input
from polyx.expansion.activations.gaussian_moments import hermite_coefficients
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.engine.chain import Propagation, batch_to_polynomial, propagate
from polyx.expansion.polynomials.quadratic import lsq_parts, uses_quadratic_path
from polyx.expansion.polynomials.quadratic_polynomial import multiplied_out as quadratic_multiplied_out
from polyx.expansion.polynomials.quadratic_polynomial import polynomial_from_parts
from polyx.expansion.activations.series import shift_series
from polyx.expansion.polynomials.translate import centered_to_powers

__all__ = [
    "fold_linear_layers",
    "hidden_layer_form",
    "hermite_to_power_series",
    "explained_variance",
    "expand_lsq",
]


def fold_linear_layers(layers: Sequence[DenseLayer]) -> list[DenseLayer]:
    """Merge every linear layer into the layer after it (W = W2 W1, b = W2 b1 + b2), so that only
    the last layer may be linear: the shape the closed form is stated for."""
    folded: list[DenseLayer] = []
    for layer in layers:
        if folded and activation_function(folded[-1].activation).identity:
            previous = folded.pop()
            layer = DenseLayer(layer.weight @ previous.weight, layer.weight @ previous.bias + layer.bias, layer.activation)
        folded.append(layer)
    return folded


def hidden_layer_form(network: Network) -> tuple[DenseLayer, DenseLayer] | None:
    """(hidden, output) when the network is W2 g(W1 x + b1) + b2 after folding, else None.

    A single non-linear layer is its own hidden layer with an identity output; an affine network
    is a linear 'hidden' layer (its projection is itself).
    """
    if isinstance(network, Graph):
        return None
    layers = fold_linear_layers(network.layers)
    if len(layers) == 2 and activation_function(layers[1].activation).identity:
        return layers[0], layers[1]
    if len(layers) == 1:
        width = layers[0].out_features
        return layers[0], DenseLayer(np.eye(width), np.zeros(width), LINEAR)
    return None


def _hermite_monomials(degree: int) -> np.ndarray:
    """table[j, i]: the coefficient of z^i in He_j(z) (numpy's HermiteE basis conversion)."""
    table = np.zeros((degree + 1, degree + 1))
    for j, unit in enumerate(np.eye(degree + 1)):
        power = np.polynomial.hermite_e.herme2poly(unit[: j + 1])
        table[j, : power.size] = power
    return table


def hermite_to_power_series(coefficients: np.ndarray, mean: np.ndarray, std: np.ndarray, center: np.ndarray
                            ) -> np.ndarray:
    """Σ_j (c_j/j!) He_j((u − m)/s) rewritten as Σ_k a_k (u − center)^k, per neuron (rows).

    In z the polynomial has power coefficients b = (c/j!)·He table; with t = u − center,
    z = d + t/s for d = (center − m)/s, so a_k = [shift of b by d]_k / s^k. A neuron with s = 0
    is the constant c_0.
    """
    degree = coefficients.shape[1] - 1
    factorials = np.array([math.factorial(j) for j in range(degree + 1)], dtype=np.float64)
    powers_of_z = (coefficients / factorials) @ _hermite_monomials(degree)
    spread = std > 0
    safe = np.where(spread, std, 1.0)
    shifted = shift_series(powers_of_z, np.where(spread, (center - mean) / safe, 0.0), degree)
    out = shifted / safe[:, None] ** np.arange(degree + 1)
    out[~spread] = 0.0
    out[~spread, 0] = coefficients[~spread, 0]
    return out


def explained_variance(weight: np.ndarray, coefficients: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Var(P_n f)_o = Σ_{j=1..n} (1/j!) Σ_{k,l} W[o,k] W[o,l] ρ_kl^j c_kj c_lj."""
    total = np.zeros(weight.shape[0])
    power = np.ones_like(rho)
    for j in range(1, coefficients.shape[1]):
        power = power * rho
        scaled = weight * coefficients[:, j]
        total += np.einsum("ok,kl,ol->o", scaled, power, scaled) / math.factorial(j)
    return total


def _r_squared(explained: np.ndarray, total: np.ndarray) -> list[float | None]:
    """Var(P f)/Var f per output; 1 for an output that does not vary at all, None if undefined."""
    out: list[float | None] = []
    for part, whole in zip(explained, total):
        out.append(1.0 if whole <= 0 and part <= 0 else (float(part / whole) if whole > 0 else None))
    return out


def _closed_form(network: Network, order: int, model: GaussianInput, hidden: DenseLayer, output: DenseLayer,
                 max_memory: int) -> Polynomial:
    """The projected polynomial in powers of (x − μ), with the analytic R² and the variances behind
    it as diagnostics. Expanded about μ, each neuron's Hermite series is re-centred at its own mean
    m_k (no shift at all), so no digits are lost to the position of the Gaussian. The memory guard
    runs before the Hermite tables are built."""
    check_expansion_memory(network.input_size, order, [hidden.out_features, output.out_features], max_memory)
    weight, bias = model.onto_support(hidden.weight, hidden.bias)
    layer = DenseLayer(weight, bias, hidden.activation)
    mean = weight @ model.mean + bias
    cov = weight @ model.cov @ weight.T
    std = np.sqrt(np.maximum(np.diag(cov), 0.0))
    coefficients = hermite_coefficients(hidden.activation, mean, std, order)

    def projection(_index: int, _layer: DenseLayer, center: np.ndarray) -> np.ndarray:
        return hermite_to_power_series(coefficients, mean, std, center)

    explained = explained_variance(output.weight, coefficients, correlations(cov, std))
    total = np.einsum("ok,kl,ol->o", output.weight, activation_covariance(hidden.activation, mean, cov), output.weight)
    diagnostics = {
        "r2": _r_squared(explained, total),
        "r2_kind": "analytic",
        "output_variance": total.tolist(),
        "explained_variance": explained.tolist(),
        "hidden_neurons": int(hidden.out_features),
        "preactivation_std_range": [float(std.min()), float(std.max())],
    }
    if uses_quadratic_path(order, network.input_size):
        parts = lsq_parts(weight, projection(0, layer, mean), output, max_memory)
        return polynomial_from_parts(parts, network.variable_names, network.output_names, model.mean, {}, diagnostics)
    folded = Network((layer, output), input_shape=(network.input_size,))
    plan = Propagation(order=order, degrees=[order, order], expanded=[True, False], shift=model.mean,
                       max_memory=max_memory)
    batch = propagate(folded, plan, projection)
    return batch_to_polynomial(network, batch, order, {}, diagnostics, center=model.mean)


CENTERING_DIGITS = 3.0
"""Multiplying out may magnify rounding by at most 10^3 (three digits of float64's sixteen)."""


def digits_at_risk(model: GaussianInput, order: int) -> tuple[float, float]:
    """(r, Q·log10(1 + r)): r the largest |μ_i|/σ_i over the inputs that vary, and the decimal digits
    that multiplying a polynomial about μ out into powers of x may cost where the Gaussian lives."""
    std = np.sqrt(np.maximum(np.diag(model.cov), 0.0))
    varying = std > 0
    ratio = float(np.max(np.abs(model.mean[varying]) / std[varying], initial=0.0))
    return ratio, order * math.log10(1.0 + ratio)


def _multiplied_out(polynomial: Polynomial) -> Polynomial:
    """The same polynomial in powers of x (``center`` None)."""
    if polynomial.degree == 2 and uses_quadratic_path(2, len(polynomial.variables)):
        return quadratic_multiplied_out(polynomial)
    coefficients = polynomial.coefficients
    if np.any(polynomial.center):
        coefficients = centered_to_powers(polynomial.indices, coefficients, polynomial.center)
    return Polynomial(polynomial.variables, polynomial.outputs, None, coefficients,
                      method=polynomial.method, diagnostics=polynomial.diagnostics, monomials=polynomial.indices)


INPUT_MODELS = {"standard": "N(0, I)", "gaussian": "gaussian", "data": "fitted to data"}


def _empirical(network: Network, order: int, model: GaussianInput, data: np.ndarray | None, samples: int | None,
               seed: int, check_samples: int, max_memory: int, method: dict) -> tuple[Polynomial, list[str]]:
    """The Monte-Carlo fit; its settings go into ``method``, and the warning that labels it empirical."""
    from polyx.expansion.methods.monte_carlo import fit_empirical

    polynomial, fit = fit_empirical(network, order, model, data if model.kind == "data" else None, samples, seed,
                                    max_memory)
    method.update(fit)
    if isinstance(network, Graph):
        stages = sum(not isinstance(node, (Input, Linear, Concat)) for node in network.nodes)
        shape = f"the graph has {stages} non-linear nodes in a form without a closed form"
    else:
        layers = sum(not activation_function(layer.activation).identity for layer in fold_linear_layers(network.layers))
        shape = f"the network has {layers} non-linear layers, so there is no closed form"
    scores = ", ".join(f"{r:.6g}" for r in polynomial.diagnostics["r2"] if r is not None)
    notes = [f"empirical fit: {shape}; this is "
             f"Monte-Carlo least squares on {fit['samples']} {fit['fitted_on']}, "
             f"held-out R² {scores}"]
    if check_samples:
        notes.append("`check_samples` checks the analytic R² of the closed form; the empirical fit reports a held-out R²")
    if samples is not None and fit["fitted_on"] == "data rows":
        notes.append("`samples` is for draws from a Gaussian; with `data` the fit uses the data rows")
    return polynomial, notes


def _closed_form_checks(network: Network, polynomial: Polynomial, model: GaussianInput, samples: int | None,
                        seed: int, check_samples: int, max_memory: int) -> tuple[dict, list[str]]:
    """The optional Monte-Carlo check of the analytic R² (for the diagnostics), and notes on the options."""
    notes, extra = [], {}
    if samples is not None:
        notes.append("`samples` is for the empirical fit of deeper networks; this one has a closed form")
    if check_samples:
        from polyx.expansion.methods.monte_carlo import check_r_squared

        check = check_r_squared(network, polynomial, model, check_samples, seed, max_memory)
        notes += check.pop("warnings")
        extra["r2_check"] = check
    return extra, notes


def expand_lsq(
    network: Network,
    order: int = 2,
    mean: object | None = None,
    cov: object | None = None,
    data: np.ndarray | None = None,
    samples: int | None = None,
    seed: int = 0,
    check_samples: int = 0,
    input_source: str | None = None,
    input_names: Sequence[str] | None = None,
    max_memory: int = DEFAULT_MAX_MEMORY,
    centered: bool | None = None,
    stage: tuple[str, Callable[..., Polynomial]] | None = None,
) -> Polynomial:
    """The least-squares polynomial of degree ≤ ``order`` of the network under a Gaussian input.

    ``stage`` (name, function) is the closed form of a graph's one non-linear stage
    (``polyx.expansion.methods.graph_lsq``: gated, residual), which replaces the Monte-Carlo fit.

    The Gaussian is (mean, cov) when given, else fitted to the ``data`` rows, else N(0, I). One
    hidden layer (after folding linear layers): the closed form, with analytic R². Deeper: a
    Monte-Carlo least-squares fit on ``samples`` draws (or on the ``data`` rows), labelled
    empirical, with held-out R². ``input_names`` (the CSV's columns) name inputs in messages.
    ``centered`` writes powers of (x − μ) (True) or of x (False); None (default) multiplies out
    unless that risks more than CENTERING_DIGITS digits (see the module).
    """
    if order < 0:
        raise MethodError(f"`order` must be ≥ 0, got {order}")
    check_order(order)  # first: the Hermite tables and the Monte-Carlo basis are sized by the order
    model = gaussian_input(input_names or network.variable_names, mean, cov, data, input_source)
    form = hidden_layer_form(network)
    ratio, digits = digits_at_risk(model, order)
    centred = digits > CENTERING_DIGITS if centered is None else bool(centered)
    method: dict = {"name": "lsq", "order": order, "solution": "closed-form" if form or stage else "empirical",
                    "input_model": INPUT_MODELS[model.kind], "centered": centred}
    if input_source:
        method["input_source"] = input_source
    extra: dict = {}
    if stage is not None:
        method["stage"] = stage[0]
        polynomial = stage[1](order, model.mean, model.cov, network.variable_names, network.output_names,
                              max_memory=max_memory)
        polynomial.diagnostics.pop("warnings", None)  # the Gaussian's own warnings are added below once
        extra, notes = _closed_form_checks(network, polynomial, model, samples, seed, check_samples, max_memory)
    elif form is None:
        polynomial, notes = _empirical(network, order, model, data, samples, seed, check_samples, max_memory, method)
    else:
        polynomial = _closed_form(network, order, model, form[0], form[1], max_memory)
        extra, notes = _closed_form_checks(network, polynomial, model, samples, seed, check_samples, max_memory)
    if not centred:
        polynomial = _multiplied_out(polynomial)
    method["gaussian"] = {"mean": model.mean.tolist(), "cov": model.cov.tolist()}
    diagnostics = {**polynomial.diagnostics, **extra,
                   "centering": {"mean_over_std": ratio, "digits_at_risk": digits, "limit": CENTERING_DIGITS}}
    warnings = model.warnings + notes + diagnostics.pop("warnings", [])
    if not centred and digits > CENTERING_DIGITS:
        warnings.append(f"the inputs' mean is {ratio:.3g} standard deviations from 0: in powers of x about "
                        f"{digits:.1f} of float64's 16 digits may cancel; centered=True keeps powers of (x − mean)")
    if network.output_activation is not None:
        method["output_space"] = "logits"
        warnings.append(f"the network ends in a {network.output_activation}: the polynomial approximates the logits (its input)")
    if warnings:
        diagnostics["warnings"] = warnings
    return polynomial.relabelled(method=method, diagnostics=diagnostics)
