"""The unmixed (diagonal) Taylor expansion: one univariate series per input direction, all at once.

Along direction i the network restricted to the line x0 + t·e_i is a function of t alone, and its
Taylor series in t holds exactly the pure partials ∂^k f/∂x_i^k (x0) / k!. Carrying that series
for every neuron and every direction is exact, because the univariate series of a hidden unit
along e_i already contains everything the unit's cross terms with other units contribute along
that line (HOPE's unmixed mode keeps only ∂^k/∂h^k per unit and is wrong past one hidden layer).

Every neuron's series is a constant shared by all directions (its value at x0) plus an array
(degree, neurons, directions) of the coefficients of t^1 … t^Q. An affine layer is one matrix
product over all degrees and directions; an activation is a truncated univariate Horner
composition with the neuron's own series at its value. Directions are independent, so they are
processed in chunks that bound memory. The cost per layer is about neurons² × directions × Q
multiply-adds for the products (HOPE's is neurons² × Q): that is the price of being exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from polyx.converters.ir.graph import is_structured
from polyx.converters.ir.chain import Network
from polyx.expansion.engine.chain import NeuronSeries
from polyx.expansion.activations.series import shift_series
from polyx.expansion.kernel import monomials as sparse
from polyx.progress import report

__all__ = ["UnivariateBatch", "propagate_unmixed", "unmixed_to_powers", "diagonal_monomials"]

CHUNK_BYTES = 4 * 2**20

@dataclass
class UnivariateBatch:
    """``batch`` truncated series in t, one per direction: value + Σ_k terms[:, k−1] t^k, k ≤ order.

    ``constant`` (batch,) is shared by every direction; ``terms`` is (batch, degree, directions)
    with degree ≤ order (a first layer's pre-activation has degree 1). Features come first so that
    a linear map is one matrix product on a free reshape, with no transposed copies. The same
    small interface as the multivariate ``PolyBatch`` (constant_term, without_constant,
    linear_map, compose, times), so the softmax series and the graph rules are written once for both.
    """

    constant: np.ndarray
    terms: np.ndarray
    order: int

    @property
    def batch(self) -> int:
        """Number of series per direction."""
        return int(self.constant.shape[0])

    @property
    def directions(self) -> int:
        """Number of input directions carried."""
        return int(self.terms.shape[2])

    @property
    def degree(self) -> int:
        """Highest power of t stored."""
        return int(self.terms.shape[1])

    def constant_term(self) -> np.ndarray:
        """Each series' value at t = 0, shape (batch,)."""
        return self.constant.copy()

    def without_constant(self) -> "UnivariateBatch":
        """The same series with their values removed (what a Taylor step substitutes)."""
        return UnivariateBatch(np.zeros(self.batch), self.terms, self.order)

    def linear_map(self, weight: np.ndarray, bias: np.ndarray | None = None) -> "UnivariateBatch":
        """``weight @ self + bias``: one matrix product for every degree and direction at once."""
        if not is_structured(weight):
            weight = np.asarray(weight, dtype=np.float64)
        batch, degree, directions = self.terms.shape
        terms = np.asarray(weight @ self.terms.reshape(batch, degree * directions))
        constant = weight @ self.constant
        if bias is not None:
            constant = constant + np.asarray(bias, dtype=np.float64)
        return UnivariateBatch(constant, terms.reshape(weight.shape[0], degree, directions), self.order)

    def same_polynomials(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """For index pairs (first[k], second[k]): True where the two series are identical."""
        same = self.constant[first] == self.constant[second]
        return same & np.all(self.terms[first] == self.terms[second], axis=(1, 2))

    @classmethod
    def concatenated(cls, parts: list["UnivariateBatch"]) -> "UnivariateBatch":
        """The series of ``parts`` side by side (one batch after the other), same directions."""
        degree = max(part.degree for part in parts)
        terms = [np.concatenate([part.terms, np.zeros((part.batch, degree - part.degree, part.directions))], axis=1)
                 for part in parts]
        return cls(np.concatenate([part.constant for part in parts]), np.concatenate(terms, axis=0), parts[0].order)

    def times(self, other: "UnivariateBatch", max_degree: int | None = None) -> "UnivariateBatch":
        """The truncated Cauchy product of each series with its partner in ``other``."""
        cap = self.order if max_degree is None else min(max_degree, self.order)
        top = min(cap, self.degree + other.degree)
        out = np.zeros((self.batch, top, self.directions))
        for j in range(1, top + 1):
            target = out[:, j - 1]
            for a in range(0, j + 1):
                left = self._coefficient(a)
                right = other._coefficient(j - a)
                if left is not None and right is not None:
                    target += left * right
        return UnivariateBatch(self.constant * other.constant, out, self.order)

    def _coefficient(self, k: int) -> np.ndarray | None:
        """Coefficient k as an array broadcastable to (batch, directions), None when it is zero."""
        if k == 0:
            return self.constant[:, None]
        return self.terms[:, k - 1] if k <= self.degree else None

    def compose(self, coefficients: np.ndarray, max_degree: int | None = None) -> "UnivariateBatch":
        """Σ_k c_k · self^k for each series with its own c (batch, K+1); ``self`` has no constant.

        Truncated Horner, r_k = c_k + self · r_{k+1} with r_k needed only to degree Q − k, costs
        about Q³/6 elementwise multiply-adds; a linear series (a first layer) costs Q.
        """
        if np.any(self.constant):
            raise ValueError("compose needs series without a constant term")
        coefficients = np.asarray(coefficients, dtype=np.float64)
        top = self.order if max_degree is None else min(max_degree, self.order)
        last = min(coefficients.shape[1] - 1, top)
        if self.degree == 1:
            return self._compose_linear(coefficients, last)
        # Horner runs degree-major, (degree, batch, directions), so every step works on contiguous slices
        own = np.ascontiguousarray(self.terms.transpose(1, 0, 2))
        constant, terms = coefficients[:, last].copy(), np.zeros((0, self.batch, self.directions))
        scratch = np.empty((self.batch, self.directions))
        for k in range(last - 1, -1, -1):
            terms = _times_truncated(own, constant, terms, top - k, scratch)
            constant = coefficients[:, k].copy()
        return UnivariateBatch(constant, terms.transpose(1, 0, 2), self.order)

    def _compose_linear(self, coefficients: np.ndarray, top: int) -> "UnivariateBatch":
        """Σ_k c_k (v t)^k = Σ_k c_k v^k t^k: the series of a first-layer neuron along each axis."""
        linear = self.terms[:, 0]
        terms = np.empty((self.batch, top, self.directions))
        power = np.ones_like(linear)
        for k in range(1, top + 1):
            power = power * linear
            np.multiply(power, coefficients[:, k, None], out=terms[:, k - 1])
        return UnivariateBatch(coefficients[:, 0].copy(), terms, self.order)

    def by_axis(self, order: int) -> np.ndarray:
        """The coefficients as (batch, directions, order), zeros above the stored degree."""
        out = np.zeros((self.batch, self.directions, order))
        degree = min(self.degree, order)
        out[:, :, :degree] = self.terms[:, :degree].transpose(0, 2, 1)
        return out


def _times_truncated(own: np.ndarray, constant: np.ndarray, terms: np.ndarray, degree: int,
                     scratch: np.ndarray) -> np.ndarray:
    """Coefficients 1 … degree of s × (constant + terms) for a series s without constant term, all
    degree-major: ``own`` (degree_s, batch, directions), ``terms`` (degree_r, batch, directions)."""
    out = np.zeros((degree,) + own.shape[1:])
    for j in range(1, degree + 1):
        target = out[j - 1]
        if j <= own.shape[0]:
            np.multiply(own[j - 1], constant[:, None], out=target)
        for a in range(max(1, j - terms.shape[0]), min(j - 1, own.shape[0]) + 1):
            np.multiply(own[a - 1], terms[j - a - 1], out=scratch)
            target += scratch
    return out


def _chunk_directions(network: Network, order: int) -> int:
    widest = max(layer.out_features for layer in network.layers)
    return max(1, CHUNK_BYTES // (8 * max(order, 1) * widest))


def propagate_unmixed(
    network: Network, point: np.ndarray, order: int, layer_series: NeuronSeries,
    expanded: list[bool], finish: Callable[[UnivariateBatch], UnivariateBatch] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Outputs' series along every input axis at ``point``: (constant (outputs,), terms (outputs, inputs, Q)).

    ``expanded[l]`` False means layer l's activation is the identity. ``finish`` maps the output
    layer's series (a softmax, say) before they are collected.
    """
    point = np.asarray(point, dtype=np.float64)
    first = network.layers[0]
    chunk = _chunk_directions(network, order)
    constant, parts = None, []
    for start in range(0, network.input_size, chunk):
        stop = min(start + chunk, network.input_size)
        axes = np.ascontiguousarray(first.weight[:, None, start:stop][:, :order])
        current = UnivariateBatch(first.weight @ point + first.bias, axes, order)
        for index, layer in enumerate(network.layers):
            if index > 0:
                current = current.linear_map(layer.weight, layer.bias)
            if expanded[index]:
                series = layer_series(index, layer, current.constant_term())
                current = current.without_constant().compose(series)
        if finish is not None:
            current = finish(current)
        constant = current.constant
        parts.append(current.by_axis(order))
        report("inputs", stop, network.input_size)
    return constant, np.concatenate(parts, axis=1)


def unmixed_to_powers(constant: np.ndarray, terms: np.ndarray, point: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Σ_i Σ_k a_ik (x_i − x0_i)^k rewritten as C + Σ_i Σ_k b_ik x_i^k (same shapes as given).

    Each direction is a univariate shift (``shift_series`` with d = −x0_i); the constants the
    directions leave behind are summed into C.
    """
    outputs, directions, order = terms.shape
    padded = np.concatenate([np.zeros((outputs, directions, 1)), terms], axis=2)
    shifted = shift_series(padded, -np.asarray(point, dtype=np.float64)[None, :], order)
    return constant + shifted[:, :, 0].sum(axis=1), shifted[:, :, 1:]


def diagonal_monomials(n_vars: int, order: int) -> np.ndarray:
    """The constant and every pure power x_i^k, k ≤ order, in graded order, as the sparse index table
    (1 + n·Q, Q) marked for ``Polynomial``: x_i^k is i repeated k times, so 784 inputs at order 10
    take 7,841 × 10 indices, not 7,841 × 784 exponents."""
    table = np.full((1 + n_vars * order, order), sparse.PAD, dtype=sparse.INDEX_DTYPE)
    rows = np.arange(n_vars, dtype=sparse.INDEX_DTYPE)
    for k in range(1, order + 1):
        table[1 + (k - 1) * n_vars : 1 + k * n_vars, :k] = rows[:, None]
    return sparse.marked(table)
