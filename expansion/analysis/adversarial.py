"""Adversarial directions (Belrose & Rigg): the unit input step the quadratic approximant is most sensitive to.

At a base point x_b the polynomial's quadratic model is q(x_b + s) = q(x_b) + gᵀs + sᵀGs (g the
gradient, G the symmetric matrix of the degree-2 part about x_b, the ``--eig`` matrix when x_b is
the polynomial's centre). For a step of length ε along a unit direction u the change is

    Δ(u) = ε gᵀu + ε² uᵀGu,

and the adversarial direction maximises |Δ(u)| over the unit sphere: a trust-region problem with
an exact solution. Writing A = ε²G = V diag(d) Vᵀ and a = ε g, the maximiser of aᵀu + uᵀAu is
u = (λI − A)⁻¹ a / 2 with λ ≥ max d fixed by ‖u‖ = 1 (a monotone equation, solved by bisection),
or, when a has no component on the top eigenspace and that u is shorter than 1, the "hard case":
u completed by the top eigenvector. The minimiser is the maximiser for (−a, −A); the larger |Δ|
of the two wins. For small ε the answer tends to g/‖g‖, for large ε to the top eigenvector.

The base point is the polynomial's centre, else the Taylor point (``at``), else the Gaussian mean
of a least-squares fit, else the origin.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyx.errors import DataError
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.polynomials.quadratic_form import quadratic_matrices
from polyx.expansion.polynomials.translate import centered_to_powers

__all__ = ["AdversarialStep", "base_point", "local_quadratic", "maximise_on_sphere", "adversarial_steps"]

BISECTION_STEPS = 200


@dataclass(frozen=True)
class AdversarialStep:
    """One output's most sensitive unit direction for a step ε at the base point, and the changes it causes."""

    output: str
    epsilon: float
    point: np.ndarray
    direction: np.ndarray
    quadratic_change: float
    polynomial_change: float


def base_point(polynomial: Polynomial) -> tuple[np.ndarray, str]:
    """Where the step starts, and why there: the centre, the Taylor point, the Gaussian mean, or 0."""
    n = len(polynomial.variables)
    if polynomial.center is not None:
        return np.asarray(polynomial.center, dtype=np.float64), "the polynomial's center"
    method = polynomial.method
    if method.get("name") == "taylor" and method.get("at") is not None:
        return np.asarray(method["at"], dtype=np.float64), "the Taylor point x0"
    gaussian = method.get("gaussian")
    if isinstance(gaussian, dict) and gaussian.get("mean") is not None:
        return np.asarray(gaussian["mean"], dtype=np.float64), "the Gaussian mean"
    return np.zeros(n), "the origin"


def local_quadratic(polynomial: Polynomial, point: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradient (outputs, n) and degree-2 matrix G (outputs, n, n) of the polynomial about ``point``."""
    origin = np.zeros(len(polynomial.variables)) if polynomial.center is None else np.asarray(polynomial.center)
    shift = np.asarray(point, dtype=np.float64) - origin
    coefficients = np.asarray(polynomial.coefficients)
    if np.any(shift != 0):
        try:
            coefficients = centered_to_powers(polynomial.indices, coefficients, -shift)
        except ValueError:
            raise DataError("the polynomial's terms are pruned (not every lower term is listed), so it cannot be "
                            "re-expanded about the base point; use the full artifact from polyx convert") from None
    about = Polynomial(polynomial.variables, polynomial.outputs, None, coefficients, monomials=polynomial.indices)
    gradient = np.zeros((len(about.outputs), len(about.variables)))
    for term in np.flatnonzero(about.term_degrees() == 1):
        gradient[:, int(about.indices[term, 0])] = about.coefficients[:, term]
    return gradient, quadratic_matrices(about)


def maximise_on_sphere(a: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The unit u maximising aᵀu + uᵀ·matrix·u (matrix symmetric): the trust-region solution of the module."""
    values, vectors = np.linalg.eigh(matrix)
    coords = vectors.T @ a
    top = values.max()
    scale = max(float(np.linalg.norm(a)), float(np.abs(values).max()), np.finfo(float).tiny)
    on_top = np.abs(values - top) <= 1e-12 * scale
    if np.linalg.norm(coords[on_top]) <= 1e-12 * scale:
        partial = np.zeros_like(coords)
        rest = ~on_top
        partial[rest] = coords[rest] / (2 * (top - values[rest]))
        length = float(np.linalg.norm(partial))
        if length <= 1.0:
            partial[int(np.flatnonzero(on_top)[0])] = np.sqrt(1.0 - length**2)
            return vectors @ partial
    low, high = top, top + np.linalg.norm(a) / 2 + np.finfo(float).eps * scale

    def excess(lam: float) -> float:
        return float(np.sum(coords**2 / (4 * (lam - values) ** 2)) - 1.0)

    for _ in range(BISECTION_STEPS):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        low, high = (middle, high) if excess(middle) > 0 else (low, middle)
    u = vectors @ (coords / (2 * (high - values)))
    return u / np.linalg.norm(u)


def _change(gradient: np.ndarray, matrix: np.ndarray, u: np.ndarray, epsilon: float) -> float:
    return float(epsilon * gradient @ u + epsilon**2 * u @ matrix @ u)


def adversarial_steps(polynomial: Polynomial, epsilon: float) -> list[AdversarialStep]:
    """Per output: the unit direction with the largest |Δ| of the quadratic model for a step ε, the
    model's Δ and the whole polynomial's change p(x_b + εu) − p(x_b) (equal for degree ≤ 2)."""
    if not np.isfinite(epsilon) or epsilon <= 0:
        raise DataError(f"`epsilon` {epsilon}: the step must be a positive finite number")
    point, _ = base_point(polynomial)
    gradients, matrices = local_quadratic(polynomial, point)
    steps = []
    for o, output in enumerate(polynomial.outputs):
        g, G = gradients[o], matrices[o]
        candidates = [maximise_on_sphere(epsilon * g, epsilon**2 * G), maximise_on_sphere(-epsilon * g, -(epsilon**2) * G)]
        u = max(candidates, key=lambda v: abs(_change(g, G, v, epsilon)))
        before, after = polynomial.evaluate(np.stack([point, point + epsilon * u]))[:, o]
        steps.append(AdversarialStep(output, epsilon, point, u, _change(g, G, u, epsilon), float(after - before)))
    return steps
