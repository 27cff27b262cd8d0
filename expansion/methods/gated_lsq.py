"""Closed-form least squares for a gated layer: the best polynomial of degree ≤ n under a Gaussian.

The layer is y = W2 (g(V x + c) ⊙ (W1 x + b1)) + b2 (GLU: g = sigmoid, SwiGLU: silu, GEGLU: gelu or
gelu_tanh, bilinear: linear). Unit h is y_h = g(u_h) t_h with two Gaussian projections
u = v_h·x + c_h ~ N(m, s²) and t = w1_h·x + b1_h ~ N(m_t, ·). Write ζ = (u − m)/s and regress t on u:

    t = m_t + p ζ + r,   p = Cov(t, u)/s,   r = t − m_t − (Cov(t, u)/s²)(u − m),

where the residual r is a linear form in x independent of u, with variance q². Under x ~ N(μ, Σ)
(ζ, r/q) are two independent standard normals, and the degree-≤n projection of y_h onto
polynomials in x is its projection onto polynomials in (ζ, r), whose Hermite coefficients are
E[g(u)(m_t + pζ + r) He_i(ζ) He_j(r/q)]: zero for j ≥ 2, and with c_i = E[g(u) He_i(ζ)] (the 1-D
coefficients every hidden-layer closed form uses, ``hermite_coefficients``) and
ζ He_i = He_{i+1} + i He_{i−1},

    P_n y_h = Σ_{i≤n} (a_i/i!) He_i(ζ) + r · Σ_{i≤n−1} (c_i/i!) He_i(ζ),   a_i = m_t c_i + p (c_{i+1} + i c_{i−1}).

So no 2-D integral is needed for the coefficients: they are exact combinations of c_0 … c_{n+1}
(closed forms for linear and gelu, the panel quadrature of ``gaussian_moments`` otherwise, 1e-10
relative up to degree ~10). Both univariate series are re-expanded in powers of (u − m) and
composed with the linear forms u − m and r by the propagation kernel (``PolyBatch``): the first
is the hidden-layer fast path, the second one contracted product with W2. The result is in
powers of (x − μ), multiplied out into powers of x by the rule of ``least_squares`` (CENTERING_DIGITS).

R² is analytic (``gated_covariance``): Var(P_n y) is a finite Wick sum over the chaos orders
1 … n, Var y a certified Mehler-type series or a conditioned 2-D quadrature per pair.

A singular Σ is handled as in ``least_squares``: V and W1 are composed with the projection onto
the Gaussian's support, so the polynomial is constant along the directions that never vary.
"""

from __future__ import annotations


import numpy as np

from polyx.converters.ir.chain import Activation
from polyx.errors import DataError
from polyx.expansion.activations.registry import activation_function
from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.kernel.batch import PolyBatch
from polyx.expansion.kernel.budget import DEFAULT_MAX_MEMORY, check_expansion_memory
from polyx.expansion.methods.gated_covariance import gated_covariance, gated_explained_variance
from polyx.expansion.methods.gated_units import GatedUnits, gated_hermite_coefficients, gated_units
from polyx.expansion.methods.gaussian_input import gaussian_input
from polyx.expansion.methods.least_squares import (
    CENTERING_DIGITS,
    _multiplied_out,
    _r_squared,
    digits_at_risk,
    hermite_to_power_series,
)
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.kernel.space import MonomialSpace

__all__ = ["gated_lsq", "as_activation", "checked_matrix"]


def as_activation(activation: str | Activation) -> Activation:
    """An Activation spec from a registry name (or a spec), checked against the registry so an
    unknown name fails here with the list of known ones."""
    spec = Activation.of(activation) if isinstance(activation, str) else activation
    activation_function(spec)
    return spec


def checked_matrix(value: object, name: str, shape: tuple[int | None, ...]) -> np.ndarray:
    """``value`` as a finite float64 array of ``shape`` (None: any size), or one DataError line."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be an array of numbers") from None
    if array.ndim != len(shape) or any(want is not None and got != want for got, want in zip(array.shape, shape)):
        expected = "x".join("?" if want is None else str(want) for want in shape)
        raise DataError(f"{name} has shape {'x'.join(map(str, array.shape)) or 'scalar'}, expected {expected}")
    if not np.all(np.isfinite(array)):
        raise DataError(f"{name} holds a NaN or infinite value")
    return array


def _added(left: PolyBatch, right: PolyBatch) -> PolyBatch:
    """Blockwise sum of two batches over the same space and batch size."""
    blocks = [a if b is None else b if a is None else a + b for a, b in zip(left.blocks, right.blocks)]
    return PolyBatch(left.space, blocks, left.batch)


def gated_projection(units: GatedUnits, w2: np.ndarray, b2: np.ndarray, order: int, max_memory: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """(monomials marked for ``Polynomial``, coefficients (o, terms)) of W2 P_n(y) + b2 in powers of
    (x − μ), graded order."""
    hidden, n_vars = units.gate_form.shape
    check_expansion_memory(n_vars, order, [hidden, w2.shape[0]], max_memory)
    a, b, _ = gated_hermite_coefficients(units, order)
    space = MonomialSpace(n_vars, order)
    zeros = np.zeros(hidden)
    gate = PolyBatch.affine_inputs(space, units.gate_form, zeros)
    out = gate.compose_contracted(hermite_to_power_series(a, units.mean, units.std, units.mean), w2, order)
    if order >= 1:
        factor = gate.compose(hermite_to_power_series(b, units.mean, units.std, units.mean), order - 1)
        residual = PolyBatch.affine_inputs(space, units.residual_form, zeros).without_constant()
        out = _added(out, factor.contracted_product(residual, w2, order))
    out.blocks[0] = (np.zeros((1, w2.shape[0])) if out.blocks[0] is None else out.blocks[0]) + b2[None, :]
    return sparse.marked(space.monomials(order)), out.to_dense(order)


def gated_lsq(
    w1: object,
    b1: object | None,
    v: object,
    c: object | None,
    w2: object,
    b2: object | None,
    gate: str | Activation,
    mean: object,
    cov: object,
    order: int = 2,
    variables: tuple[str, ...] | None = None,
    outputs: tuple[str, ...] | None = None,
    centered: bool | None = None,
    max_memory: int = DEFAULT_MAX_MEMORY,
) -> Polynomial:
    """The least-squares polynomial of degree ≤ ``order`` of y = W2 (g(V x + c) ⊙ (W1 x + b1)) + b2
    under x ~ N(mean, cov), with the analytic R² per output: Belrose & Rigg's closed form for gated
    layers, so GLU, SwiGLU, GEGLU and bilinear blocks get the exact projection instead of a fit.

    ``w1``, ``v``: (H, d); ``w2``: (o, H); biases (H,), (H,), (o,) or None for zeros; ``gate`` a
    registry name ("sigmoid", "silu", "gelu", "gelu_tanh", "linear", or any other registered
    activation) or an Activation. ``cov`` may be singular (see ``gaussian_input``). Returns a
    Polynomial in graded monomial order, in powers of x (``center`` None) unless ``centered`` (or,
    when None, unless multiplying out risks more than CENTERING_DIGITS digits: then powers of
    x − mean, ``center`` = mean). ``diagnostics`` holds ``r2`` (list per output), ``output_variance``,
    ``explained_variance``, ``pair_integrals`` (pairs whose Var y needed the 2-D quadrature) and
    ``warnings`` (a singular covariance).
    """

    spec = as_activation(gate)
    w1 = checked_matrix(w1, "W1", (None, None))
    hidden, n_vars = w1.shape
    v = checked_matrix(v, "V (the gate's weight)", (hidden, n_vars))
    w2 = checked_matrix(w2, "W2", (None, hidden))
    b1 = np.zeros(hidden) if b1 is None else checked_matrix(b1, "b1", (hidden,))
    c = np.zeros(hidden) if c is None else checked_matrix(c, "c (the gate's bias)", (hidden,))
    b2 = np.zeros(w2.shape[0]) if b2 is None else checked_matrix(b2, "b2", (w2.shape[0],))
    if order < 0:
        raise DataError(f"order must be ≥ 0, got {order}")
    variables = tuple(variables) if variables else tuple(f"x{i + 1}" for i in range(n_vars))
    outputs = tuple(outputs) if outputs else tuple(f"y{j + 1}" for j in range(w2.shape[0]))
    model = gaussian_input(variables, mean, cov, source="the gated layer's Gaussian")
    units = gated_units(spec, model, v, c, w1, b1)
    exponents, coefficients = gated_projection(units, w2, b2, order, max_memory)
    explained = gated_explained_variance(units, w2, order)
    covariance, integrated = gated_covariance(units)
    total = np.einsum("ok,kl,ol->o", w2, covariance, w2)
    ratio, digits = digits_at_risk(model, order)
    centred = digits > CENTERING_DIGITS if centered is None else bool(centered)
    diagnostics = {
        "r2": _r_squared(explained, total),
        "r2_kind": "analytic",
        "output_variance": total.tolist(),
        "explained_variance": explained.tolist(),
        "gated_units": int(hidden),
        "pair_integrals": int(integrated),
        "centering": {"mean_over_std": ratio, "digits_at_risk": digits, "limit": CENTERING_DIGITS},
    }
    if model.warnings:
        diagnostics["warnings"] = list(model.warnings)
    method = {"name": "lsq", "order": order, "solution": "closed-form", "stage": "gated", "gate": str(spec),
              "input_model": "gaussian", "centered": centred,
              "gaussian": {"mean": model.mean.tolist(), "cov": model.cov.tolist()}}
    polynomial = Polynomial(variables, outputs, exponents, coefficients, center=model.mean, method=method,
                            diagnostics=diagnostics)
    return polynomial if centred else _multiplied_out(polynomial)
