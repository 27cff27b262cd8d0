"""How far from x0 a local polynomial still tracks the network: the validity radius.

A Taylor polynomial is exact at x0 and drifts away from the network with distance; how fast
depends on the network, so it is measured rather than bounded. Random points are drawn (seeded)
in regions of growing radius r around x0, the network (``Network.forward``) and the polynomial
are compared there, and the validity radius is the largest r up to which the largest error
stays within the tolerance.

The region matches what the polynomial claims to be: a box [x0 − r, x0 + r] for a full
expansion, segments along the axes for the unmixed (diagonal) one, and boxes in K random
coordinates for ``max_interaction`` K, where those polynomials are the Taylor polynomial of the
network restricted to that subspace.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

__all__ = ["DEFAULT_VALIDITY_TOLERANCE", "DEFAULT_VALIDITY_SAMPLES", "VALIDITY_RADII", "Evaluate", "validity_profile"]

DEFAULT_VALIDITY_TOLERANCE = 1e-3
DEFAULT_VALIDITY_SAMPLES = 16
VALIDITY_RADII = 10.0 ** np.arange(-4.0, 1.0 + 1e-9, 0.25)

Evaluate = Callable[[np.ndarray], np.ndarray]
"""Rows of inputs -> (rows, outputs) values: the network or a polynomial."""


def _offsets(rng: np.random.Generator, n_vars: int, samples: int, coordinates: int | None) -> np.ndarray:
    """Unit-box offsets in [−1, 1]^n, moving only ``coordinates`` random coordinates per point when set."""
    if coordinates is None or coordinates >= n_vars:
        return rng.uniform(-1.0, 1.0, size=(samples, n_vars))
    offsets = np.zeros((samples, n_vars))
    for row in range(samples):
        chosen = rng.choice(n_vars, size=coordinates, replace=False)
        offsets[row, chosen] = rng.uniform(-1.0, 1.0, size=coordinates)
    return offsets


def validity_profile(
    network: Evaluate,
    polynomial: Evaluate,
    point: np.ndarray,
    *,
    tolerance: float = DEFAULT_VALIDITY_TOLERANCE,
    samples: int = DEFAULT_VALIDITY_SAMPLES,
    seed: int = 0,
    coordinates: int | None = None,
) -> dict:
    """Largest |network − polynomial| per radius and the radius where it stays ≤ tolerance.

    The tolerance is relative to the outputs' size at x0: an error counts as within it when it is
    ≤ tolerance × max(1, max |network(x0)|). ``coordinates`` limits the moved coordinates per
    point (1 for the diagonal expansion, K for ``max_interaction`` K). Non-finite errors (an
    overflowing polynomial far out) count as failures and are written as null.
    """
    point = np.asarray(point, dtype=np.float64)
    rng = np.random.default_rng(seed)
    offsets = [_offsets(rng, point.size, samples, coordinates) for _ in VALIDITY_RADII]
    x = np.vstack([point[None, :] + radius * offset for radius, offset in zip(VALIDITY_RADII, offsets)])
    x = np.vstack([point[None, :], x])
    with np.errstate(all="ignore"):
        reference = network(x)
        errors = np.abs(reference - polynomial(x)).max(axis=1)
    scale = max(1.0, float(np.abs(reference[0]).max()))
    per_radius = errors[1:].reshape(len(VALIDITY_RADII), samples).max(axis=1)
    per_radius = np.where(np.isfinite(errors[1:]).reshape(len(VALIDITY_RADII), samples).all(axis=1), per_radius, np.inf)
    within = per_radius <= tolerance * scale
    failing = np.flatnonzero(~within)
    last = int(failing[0]) if failing.size else len(VALIDITY_RADII)
    return {
        "tolerance": tolerance,
        "scale": scale,
        "criterion": "max over outputs and samples of |network - polynomial| <= tolerance * scale, "
                     "scale = max(1, max |network(x0)|)",
        "region": _region_name(coordinates, point.size),
        "samples_per_radius": samples,
        "seed": seed,
        "error_at_reference": float(errors[0]) if np.isfinite(errors[0]) else None,
        "radii": [float(r) for r in VALIDITY_RADII],
        "max_error": [float(e) if np.isfinite(e) else None for e in per_radius],
        "radius": float(VALIDITY_RADII[last - 1]) if last > 0 else 0.0,
        "beyond_tested": bool(last == len(VALIDITY_RADII)),
    }


def _region_name(coordinates: int | None, n_vars: int) -> str:
    if coordinates is None or coordinates >= n_vars:
        return "box |x - x0|_inf <= r"
    if coordinates == 1:
        return "segments along each axis, |x_i - x0_i| <= r"
    return f"boxes in {coordinates} random coordinates, |x - x0|_inf <= r"
