"""The local expansion (HOPE's goal, done exactly): the Taylor polynomial of the network at a point x0.

Truncated Taylor series are pushed forward from x0: each neuron's activation is replaced by its
own Taylor series around its value u_k(x0), and the centred pre-activation it is composed with
has no constant term, so truncating at Q loses nothing. The result is the true Taylor
polynomial: every partial derivative of every output up to order Q, for any depth. (HOPE's
published code carries only ∂^k y/∂h^k through each layer and is wrong past one hidden layer,
``notes/methods.md``.) A softmax output is expanded exactly from its logits' series.

``terms="diagonal"`` keeps only the pure powers ∂^k/∂x_i^k (one univariate series per input
direction, ``unmixed.py``) for image-sized inputs; ``max_interaction`` K keeps the monomials in at
most K distinct inputs, exactly, in a smaller monomial space.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from polyx.converters.ir.graph import Graph
from polyx.converters.ir.chain import DenseLayer, Network
from polyx.errors import DataError, MethodError, OrderTooLargeError
from polyx.expansion.activations.registry import activation_function, taylor_coefficients
from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.kernel.budget import DEFAULT_MAX_MEMORY, format_bytes
from polyx.expansion.methods.graph_taylor import graph_kinks, graph_taylor_all, graph_taylor_diagonal
from polyx.expansion.diagnostics.kinks import KinkDistance, nearest_kink, preactivations_at, refuse_kinks
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.engine.chain import NeuronSeries, Propagation, propagate
from polyx.expansion.polynomials.quadratic import QuadraticParts, uses_quadratic_path
from polyx.expansion.polynomials.quadratic_polynomial import taylor_terms
from polyx.expansion.methods.softmax_series import softmax_of_series
from polyx.expansion.diagnostics.convergence import convergence_warnings, derivative_ratios
from polyx.expansion.polynomials.translate import centered_to_powers
from polyx.expansion.engine.unmixed import diagonal_monomials, propagate_unmixed, unmixed_to_powers
from polyx.expansion.diagnostics.validity import (
    DEFAULT_VALIDITY_SAMPLES,
    DEFAULT_VALIDITY_TOLERANCE,
    VALIDITY_RADII,
    Evaluate,
    validity_profile,
)

__all__ = ["TERMS", "expand_local", "reference_point"]

TERMS = ("all", "diagonal")


def reference_point(network: Network, at: Sequence[float] | np.ndarray | None) -> np.ndarray:
    """x0 as float64, one finite value per (flattened) input, or a one-line error saying what to give."""
    if at is None:
        raise MethodError(
            "the taylor method expands the network at a reference point x0 and none was given; "
            "pass `at`, one value per input, e.g. at=[0.5, -0.2]"
        )
    try:
        point = np.asarray(at, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise DataError(f"the reference point {at!r} is not a list of numbers; give one number per input") from None
    if point.size != network.input_size:
        names = ", ".join(network.variable_names) if network.input_size <= 10 else f"x1 … x{network.input_size}"
        raise DataError(
            f"the reference point has {point.size} values but the model has {network.input_size} inputs "
            f"({names}); give one value per input"
        )
    if not np.all(np.isfinite(point)):
        raise DataError("the reference point holds NaN or infinity; give finite numbers")
    return point


def _check_options(order: int, terms: str, max_interaction: int | None, tolerance: float) -> None:
    if order < 0:
        raise MethodError(f"`order` must be ≥ 0, got {order}")
    if terms not in TERMS:
        raise MethodError(f"`terms` must be one of {', '.join(TERMS)}, got '{terms}'")
    if max_interaction is not None and max_interaction < 1:
        raise MethodError(f"`max_interaction` must be ≥ 1, got {max_interaction}")
    if terms == "diagonal" and max_interaction not in (None, 1):
        raise MethodError(
            "`terms` diagonal keeps only pure powers (one input per term); drop `max_interaction`, "
            "or use `terms` all with `max_interaction` K"
        )
    if not tolerance > 0:
        raise MethodError(f"`validity_tolerance` must be > 0, got {tolerance}")


def _neuron_series(order: int) -> NeuronSeries:
    """Each neuron's Taylor series around its own value; trailing zero columns dropped (ReLU's are affine)."""

    def series(index: int, layer: DenseLayer, values: np.ndarray) -> np.ndarray:
        coefficients = taylor_coefficients(layer.activation, values, order)
        used = np.flatnonzero(np.any(coefficients != 0.0, axis=0))
        return coefficients[:, : (used[-1] + 1 if used.size else 1)]

    return series


def _expand_all(
    network: Network, point: np.ndarray, order: int, expanded: list[bool], softmax: bool,
    max_interaction: int | None, max_memory: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Monomials (the space's sparse rows, marked for ``Polynomial``) and coefficients in powers of
    (x − x0) of the full (or interaction-limited) expansion."""
    if isinstance(network, Graph):
        return graph_taylor_all(network, point, order, softmax, max_interaction, max_memory)
    plan = Propagation(
        order=order, degrees=[order] * len(network.layers), expanded=expanded, shift=point,
        max_interaction=max_interaction, max_memory=max_memory,
    )
    try:
        outputs = propagate(network, plan, _neuron_series(order))
    except OrderTooLargeError as error:
        if max_interaction is not None:
            raise
        raise OrderTooLargeError(f"{error}; `terms` diagonal keeps only the pure powers (1 + n·Q terms)") from None
    if softmax:
        outputs = softmax_of_series(outputs)
    return sparse.marked(outputs.space.monomials()), outputs.to_dense()


def _expand_diagonal(
    network: Network, point: np.ndarray, order: int, expanded: list[bool], softmax: bool, max_memory: int,
) -> tuple[np.ndarray, np.ndarray]:
    """f(x0) and the per-axis coefficients (outputs, inputs, Q) of the pure powers of (x − x0)."""
    rows = 1 + network.input_size * order
    need = rows * network.input_size * 8
    if need > max_memory:
        raise OrderTooLargeError(
            f"the diagonal expansion lists {rows:,} terms of {network.input_size:,} exponents each "
            f"({format_bytes(need)}), over the `max_memory` limit; lower `order` or raise `max_memory`"
        )
    if isinstance(network, Graph):
        return graph_taylor_diagonal(network, point, order, softmax)
    finish = softmax_of_series if softmax else None
    return propagate_unmixed(network, point, order, _neuron_series(order), expanded, finish)


def _expand(
    network: Network, point: np.ndarray, order: int, terms: str, softmax: bool, centered: bool,
    max_interaction: int | None, max_memory: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Evaluate | None, QuadraticParts | None]:
    """Monomials (sparse rows marked for ``Polynomial``), coefficients (read-only, in the written form),
    f(x0), a direct evaluator for the diagonal form (None: ``Polynomial.evaluate`` serves), and the
    matrices of a quadratic built on the matrix path (else None)."""
    expanded = [] if isinstance(network, Graph) else [not activation_function(layer.activation).identity for layer in network.layers]
    evaluate, parts = None, None
    if terms == "diagonal":
        value, axis_terms = _expand_diagonal(network, point, order, expanded, softmax, max_memory)
        constant = value
        if not centered:
            constant, axis_terms = unmixed_to_powers(value, axis_terms, point)
        coefficients = np.hstack([constant[:, None], axis_terms.transpose(0, 2, 1).reshape(constant.size, -1)])
        monomials = diagonal_monomials(network.input_size, order)
        evaluate = _diagonal_evaluator(constant, axis_terms, point if centered else np.zeros_like(point))
    elif (not softmax and max_interaction is None and not isinstance(network, Graph)
          and uses_quadratic_path(order, network.input_size)):
        monomials, coefficients, value, parts = taylor_terms(network, point, centered, max_memory)
    else:
        monomials, coefficients = _expand_all(network, point, order, expanded, softmax, max_interaction, max_memory)
        value = coefficients[:, 0].copy()
        if not centered:
            coefficients = centered_to_powers(monomials, coefficients, point)
    for fresh in (monomials, coefficients):
        fresh.setflags(write=False)
    return monomials, coefficients, value, evaluate, parts


def _kinks(network: Network, point: np.ndarray) -> KinkDistance | None:
    """Refuse a neuron sitting exactly on a kink; else the nearest kink, or None when no activation has one."""
    if isinstance(network, Graph):
        return graph_kinks(network, point)
    if not any(activation_function(layer.activation).kinks for layer in network.layers):
        return None
    preactivations = preactivations_at(network, point)
    refuse_kinks(network, preactivations)
    return nearest_kink(network, point, preactivations)


def _exactness(terms: str, max_interaction: int | None) -> str:
    if terms == "diagonal":
        return "every pure partial derivative d^k/dx_i^k up to the order, at x0"
    limit = f", in the monomials of at most {max_interaction} inputs" if max_interaction else ""
    return f"every partial derivative up to the order, at x0{limit}"


def _diagonal_evaluator(constant: np.ndarray, terms: np.ndarray, origin: np.ndarray) -> Evaluate:
    """Evaluate C + Σ_i Σ_k b_ik z_i^k with z = x − origin directly: one product per power, any input size."""

    def evaluate(x: np.ndarray) -> np.ndarray:
        z = np.asarray(x, dtype=np.float64) - origin
        out = np.broadcast_to(constant, (z.shape[0], constant.size)).copy()
        power = np.ones_like(z)
        for k in range(terms.shape[2]):
            power = power * z
            out += power @ terms[:, :, k].T
        return out

    return evaluate


def _kink_warning(kinks: KinkDistance, network: Network, softmax: bool) -> str:
    """``softmax``: the output is expanded as probabilities, which curve even over affine logits."""
    names = ", ".join(kinks.activations)
    affine = not softmax and kinks.exact and "max-pool" not in kinks.activations and not isinstance(network, Graph) and all(
        activation_function(layer.activation).piecewise_linear for layer in network.layers)
    how = "" if kinks.exact else "; a first-order estimate, since an earlier layer is smooth"
    unit = f"node {kinks.layer}, feature {kinks.neuron}" if isinstance(network, Graph) else \
        f"layer {kinks.layer}, neuron {kinks.neuron}"
    where = (f"the nearest sign change of a pre-activation is {kinks.distance:.4g} from x0 "
             f"({unit}{how})")
    if affine:
        return (f"{names} is piecewise linear: the Taylor polynomial is the network's local affine map (no terms "
                f"above degree 1) and equals the network only near x0; {where}")
    return (f"{names} has a kink at 0: each neuron is expanded on the side it sits on, so the polynomial follows "
            f"the network only until a pre-activation changes sign; {where}")


def expand_local(
    network: Network,
    order: int = 2,
    at: Sequence[float] | np.ndarray | None = None,
    centered: bool = False,
    logits: bool = False,
    terms: str = "all",
    max_interaction: int | None = None,
    validity_tolerance: float | None = None,
    validity_samples: int = DEFAULT_VALIDITY_SAMPLES,
    seed: int = 0,
    at_source: str | None = None,
    max_memory: int = DEFAULT_MAX_MEMORY,
) -> Polynomial:
    """The Taylor polynomial of the network at ``at`` up to total degree ``order``, exact.

    Written in powers of x (multiplied out) unless ``centered``, which keeps powers of (x − x0)
    and records x0 as the polynomial's ``center``. A softmax network is expanded in its
    probabilities unless ``logits``; a log-softmax network in its logits. The diagnostics hold the network's value at x0, the validity
    radius (``validity_samples`` points per radius, seeded; 0 skips it) and, for ReLU-like
    activations, the distance to the nearest kink. ``at_source`` (a CSV row, say) is recorded
    beside x0.
    """
    point = reference_point(network, at)
    tolerance = DEFAULT_VALIDITY_TOLERANCE if validity_tolerance is None else float(validity_tolerance)
    _check_options(order, terms, max_interaction, tolerance)
    kinks = _kinks(network, point)
    has_softmax = network.output_activation is not None
    softmax = network.output_activation == "softmax" and not logits
    monomials, coefficients, value, evaluate, parts = _expand(
        network, point, order, terms, softmax, centered, max_interaction, max_memory
    )
    method: dict = {"name": "taylor", "order": order, "at": point.tolist(), "centered": centered, "terms": terms,
                    "max_interaction": max_interaction}
    if at_source is not None:
        method["at_source"] = at_source
    if has_softmax:
        method["output_space"] = "probabilities" if softmax else "logits"
    polynomial = Polynomial(
        network.variable_names, network.output_names, monomials, coefficients, point if centered else None, method
    )
    if parts is not None:
        polynomial.__dict__["quadratic"] = parts  # the matrices it was written from, in its own powers
    diagnostics: dict = {"value_at_reference": value.tolist(), "exact": _exactness(terms, max_interaction)}
    warnings = ["the network has no softmax output: `logits` changes nothing"] if logits and not has_softmax else []
    if network.output_activation == "log_softmax" and not logits:
        warnings.append("the network ends in a log_softmax: the polynomial is the Taylor polynomial of its logits "
                        "(export re-applies the log-softmax)")
    if kinks is not None:
        diagnostics["kinks"] = kinks.to_json()
        warnings.append(_kink_warning(kinks, network, softmax))
    if validity_samples > 0:
        diagnostics["validity"] = validity_profile(
            lambda x: network.forward(x, logits=not softmax), evaluate or polynomial.evaluate, point,
            tolerance=tolerance, samples=validity_samples, seed=seed,
            coordinates=1 if terms == "diagonal" else max_interaction,
        )
        if diagnostics["validity"]["radius"] == 0.0:
            warnings.append(
                f"the polynomial misses the network by more than the tolerance ({tolerance:g}) already "
                f"{VALIDITY_RADII[0]:g} from x0; raise `order` or check the reference point"
            )
    convergence = derivative_ratios(polynomial)
    if convergence is not None:
        diagnostics["convergence"] = convergence
        warnings += convergence_warnings(convergence)
    if warnings:
        diagnostics["warnings"] = warnings
    return polynomial.relabelled(diagnostics=diagnostics)
