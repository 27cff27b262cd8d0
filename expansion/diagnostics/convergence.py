"""Convergence diagnostics of a local Taylor expansion (HOPE, Table II).

A Taylor polynomial of order q is a useful summary only if its terms shrink with the order. HOPE
reads this from the derivatives at the reference point: per output, the largest k-th order partial
derivative |∂^α f(x0)| over |α| = k, divided by the largest first-order one. Ratios that keep
growing with k say the series is not converging at the scale of the inputs (raise the order with
care, or move the reference point).

The partial derivative of the term c_α (x − x0)^α is α! c_α with α! = Π_i α_i! (for one input,
k! c_k). A polynomial written in powers of x is first re-centred at x0 (exactly: the same
triangular map that multiplies a centred one out, with the opposite shift).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from polyx.expansion.methods.records import method_record
from polyx.expansion.polynomials.polynomial import DENSE_EXPONENT_LIMIT, Polynomial
from polyx.expansion.polynomials.translate import centered_to_powers

__all__ = ["derivative_ratios", "convergence_warnings", "reference_point_of"]


def reference_point_of(polynomial: Polynomial) -> np.ndarray | None:
    """x0 of a Taylor polynomial: its centre, or the ``at`` its method recorded; None for other methods."""
    method = method_record(polynomial)
    if method.name != "taylor":
        return None
    if polynomial.center is not None:
        return np.asarray(polynomial.center, dtype=np.float64)
    return None if method.at is None else np.asarray(method.at, dtype=np.float64)


def _centred_coefficients(polynomial: Polynomial, point: np.ndarray) -> np.ndarray | None:
    """The coefficients in powers of (x − x0); None for a polynomial past DENSE_EXPONENT_LIMIT written in
    powers of x (an image-size expansion), where the report has never been made, so that artifacts
    stay as they were (re-centring itself works on the sparse terms at any size)."""
    if polynomial.center is not None:
        return np.asarray(polynomial.coefficients)
    if polynomial.n_terms * len(polynomial.variables) > DENSE_EXPONENT_LIMIT:
        return None
    return centered_to_powers(polynomial.indices, np.asarray(polynomial.coefficients), -point)


def _factorials(indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(α! = Π_i α_i!, |α|) per term from its sorted variable indices (−1 padding): along a run of
    equal indices the running count m multiplies in 1·2·…·m, so the product is Π_i α_i!."""
    indices = np.asarray(indices)
    weights = np.ones(indices.shape[0])
    run = np.zeros(indices.shape[0])
    for column in range(indices.shape[1]):
        present = indices[:, column] >= 0
        same = present & (column > 0) & (indices[:, column] == indices[:, max(column - 1, 0)])
        run = np.where(same, run + 1.0, np.where(present, 1.0, 0.0))
        weights = weights * np.where(present, run, 1.0)
    return weights, (indices >= 0).sum(axis=1)


def derivative_ratios(polynomial: Polynomial) -> dict[str, Any] | None:
    """Per output and order k = 1 … q: the largest |∂^α f(x0)| with |α| = k, and its ratio to order 1's.

    None for a polynomial that is not a Taylor expansion (or has no order-1 terms). A ratio is None
    where the first-order derivatives are all zero (x0 a stationary point).
    """
    point = reference_point_of(polynomial)
    if point is None or polynomial.degree < 1:
        return None
    coefficients = _centred_coefficients(polynomial, point)
    if coefficients is None:
        return None
    weights, degrees = _factorials(polynomial.indices)
    derivatives = np.abs(coefficients) * weights
    orders = list(range(1, polynomial.degree + 1))
    largest, ratios = {}, {}
    for o, output in enumerate(polynomial.outputs):
        values = [float(derivatives[o, degrees == k].max(initial=0.0)) for k in orders]
        largest[output] = values
        ratios[output] = [None if values[0] == 0 else v / values[0] for v in values]
    growing = [output for output in polynomial.outputs if _grows(ratios[output])]
    return {"orders": orders, "largest_derivative": largest, "ratio_to_first": ratios, "growing": growing}


def _grows(ratios: list[float | None]) -> bool:
    """The top order's ratio is above 1 and above the order before it: the derivatives are still growing."""
    if len(ratios) < 2 or ratios[-1] is None or ratios[-2] is None:
        return False
    return ratios[-1] > 1.0 and ratios[-1] > ratios[-2]


def convergence_warnings(report: dict[str, Any] | None) -> list[str]:
    """One warning naming the outputs whose derivative ratios grow with the order."""
    if not report or not report["growing"]:
        return []
    q = report["orders"][-1]
    shown = ", ".join(f"{name} {report['ratio_to_first'][name][-1]:.3g}" for name in report["growing"])
    return [f"the largest order-{q} derivative is larger than the first order's and still growing (ratio {shown}): "
            "the Taylor series may not converge at the inputs' scale; check the validity radius before trusting far points"]
