"""Activations replaced by least-squares polynomials over the range the data actually reaches.

nn2poly's Taylor polynomial at a fixed centre tracks the activation only near that centre, so it
needs weight constraints, and it does not exist for ReLU. ``polyx convert --fit DATA.csv`` instead
gives every neuron its own polynomial: the least-squares fit of degree q to the activation at N
Chebyshev points of the first kind on the interval [lo, hi] that the neuron's pre-activation spans
on the data, widened by a margin. At those points the Chebyshev polynomials are discretely
orthogonal, so the least-squares coefficients are plain sums (no linear system to solve, no
ill-conditioned Vandermonde matrix); the engine then asks for each fit in powers of (u − u0),
which are its derivatives at u0, computed stably in the Chebyshev basis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
from numpy.polynomial import chebyshev

from polyx.converters.ir.chain import Activation, Network
from polyx.errors import DataError
from polyx.expansion.activations.registry import activation_function, activation_value

__all__ = [
    "DEFAULT_FIT_MARGIN",
    "PREACTIVATION_CHUNK_ROWS",
    "LayerFit",
    "as_network_inputs",
    "chebyshev_least_squares",
    "fit_layers",
    "preactivation_chunks",
]

DEFAULT_FIT_MARGIN = 0.05
"""Each fit interval is the data's [lo, hi] widened by this fraction of hi − lo on both sides."""

MIN_HALF_WIDTH = 1e-3
"""Smallest half-width of a fit interval, relative to max(1, |midpoint|): a neuron whose
pre-activation is (nearly) constant on the data still gets a usable, well-scaled interval."""

CHOP_TOLERANCE = 1e-14
"""Chebyshev coefficients below this fraction of a neuron's largest one are rounding noise (an
exactly linear piece of ReLU gives ~1e-17): they are set to 0 so the conversion to powers of
(u − u0), which divides by half-width^k, does not amplify them."""

PREACTIVATION_CHUNK_ROWS = 8_192
"""Rows pushed through the network at a time when scanning data: bounded memory for any CSV."""
ERROR_GRID_POINTS = 1_001


def as_network_inputs(inputs: np.ndarray, network: Network, what: str) -> np.ndarray:
    """Rows of network inputs as a float64 (rows, input_size) array, or a DataError naming ``what``."""
    array = np.asarray(inputs, dtype=np.float64)
    if array.ndim < 1 or array.size == 0 or array.size % network.input_size:
        raise DataError(
            f"{what}: expected rows of {network.input_size} input values, got an array of shape {array.shape}"
        )
    array = array.reshape(-1, network.input_size)
    if not np.all(np.isfinite(array)):
        raise DataError(f"{what}: the inputs hold NaN or Inf; clean the data first")
    return array


def preactivation_chunks(network: Network, inputs: np.ndarray, chunk_rows: int = PREACTIVATION_CHUNK_ROWS
                         ) -> Iterator[list[np.ndarray]]:
    """Every layer's pre-activations (rows, width) for successive row chunks of ``inputs``.

    The exact network (float64) is what both the fit intervals and the diagnostics are about;
    chunking keeps memory at a few MB per layer whatever the size of the data.
    """
    for start in range(0, inputs.shape[0], chunk_rows):
        h = inputs[start : start + chunk_rows]
        values = []
        for layer in network.layers:
            u = layer.preactivation(h)
            values.append(u)
            h = activation_value(layer.activation, u)
        yield values


@dataclass(frozen=True)
class LayerFit:
    """One layer's fitted activation polynomials: neuron j uses Σ_k c[j, k] T_k((u − mid_j) / half_j)."""

    activation: Activation
    low: np.ndarray
    high: np.ndarray
    chebyshev: np.ndarray

    @property
    def degree(self) -> int:
        """The degree q of every neuron's polynomial."""
        return int(self.chebyshev.shape[1] - 1)

    @property
    def _middle(self) -> np.ndarray:
        return 0.5 * (self.low + self.high)

    @property
    def _half(self) -> np.ndarray:
        return 0.5 * (self.high - self.low)

    def values(self, u: np.ndarray) -> np.ndarray:
        """Each neuron's polynomial at pre-activations ``u`` (rows, neurons)."""
        scaled = (np.asarray(u, dtype=np.float64) - self._middle) / self._half
        return chebyshev.chebval(scaled, self.chebyshev.T, tensor=False)

    def series_at(self, centers: np.ndarray, order: int) -> np.ndarray:
        """Coefficients (neurons, order + 1) of each polynomial in powers of (u − centers[j]).

        The k-th is p^(k)(u0) / k!: Chebyshev derivatives evaluated at the scaled point, divided by
        k! · half^k; every term up to q reaches the constant, as nn2poly's intercept does.
        """
        scaled = (np.asarray(centers, dtype=np.float64) - self._middle) / self._half
        derivative = self.chebyshev.T
        out = np.zeros((self.chebyshev.shape[0], order + 1))
        for k in range(min(order, self.degree) + 1):
            out[:, k] = chebyshev.chebval(scaled, derivative, tensor=False) / (math.factorial(k) * self._half**k)
            derivative = chebyshev.chebder(derivative)
        return out

    def max_error(self) -> float:
        """Largest |polynomial − activation| over every neuron's interval, on a fine uniform grid."""
        grid = np.linspace(-1.0, 1.0, ERROR_GRID_POINTS)[:, None]
        u = self._middle + self._half * grid
        return float(np.max(np.abs(self.values(u) - activation_value(self.activation, u))))


def chebyshev_least_squares(activation: Activation, low: np.ndarray, high: np.ndarray, degree: int) -> np.ndarray:
    """Chebyshev coefficients (neurons, degree + 1) of the least-squares fit at Chebyshev points.

    N = max(64, 4(q + 1)) points s_i = cos(π(i + ½)/N) per interval. Discrete orthogonality of
    T_0 … T_{N−1} there makes the least-squares solution c_k = (2/N) Σ_i g(u_i) T_k(s_i)
    (c_0 with 1/N): the degree-q truncation of the interpolant, close to the best uniform fit.
    """
    nodes = max(64, 4 * (degree + 1))
    theta = np.pi * (np.arange(nodes) + 0.5) / nodes
    middle, half = 0.5 * (low + high), 0.5 * (high - low)
    samples = activation_value(activation, middle[:, None] + half[:, None] * np.cos(theta)[None, :])
    basis = np.cos(np.outer(np.arange(degree + 1), theta))
    coefficients = samples @ basis.T * (2.0 / nodes)
    coefficients[:, 0] *= 0.5
    scale = np.abs(coefficients).max(axis=1, keepdims=True)
    coefficients[np.abs(coefficients) <= CHOP_TOLERANCE * scale] = 0.0
    return coefficients


def fit_layers(
    network: Network, low: Sequence[np.ndarray], high: Sequence[np.ndarray], degrees: Sequence[int],
    margin: float = DEFAULT_FIT_MARGIN,
) -> list[LayerFit | None]:
    """Per layer, every neuron's fitted activation polynomial (None for linear layers, which are exact).

    ``low``/``high`` are each neuron's pre-activation range on the fit rows (a data scan of the
    exact network). The interval of neuron j is [lo_j − m·w_j, hi_j + m·w_j], w_j = hi_j − lo_j,
    with half-width at least MIN_HALF_WIDTH·max(1, |mid|), and never narrower than [lo_j, hi_j]
    after rounding: the fit rows lie inside their own intervals.
    """
    if not (np.isfinite(margin) and margin >= 0):
        raise DataError(f"the fit margin must be a number ≥ 0, got {margin}")
    fits: list[LayerFit | None] = []
    for layer, degree, lo, hi in zip(network.layers, degrees, low, high):
        if activation_function(layer.activation).identity:
            fits.append(None)
            continue
        width = hi - lo
        middle = 0.5 * (lo + hi)
        half = np.maximum(0.5 * width + margin * width, MIN_HALF_WIDTH * np.maximum(1.0, np.abs(middle)))
        start, stop = np.minimum(middle - half, lo), np.maximum(middle + half, hi)
        fits.append(LayerFit(layer.activation, start, stop, chebyshev_least_squares(layer.activation, start, stop, degree)))
    return fits
