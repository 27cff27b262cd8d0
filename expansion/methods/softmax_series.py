"""The exact truncated series of a softmax output, from the series of its logits.

p_j = exp(z_j) / Σ_i exp(z_i) is built from the same truncated arithmetic as the layers: each
exp(z_j) is a composition with the exponential series around the logit's own value, their sum is
an affine map, 1/Σ is a composition with the reciprocal series around the sum's value, and the
probabilities are one truncated product. Because each step substitutes a series without a
constant term, truncating at Q keeps every coefficient exact.

Written once for any batch of series with ``order``, ``constant_term``, ``without_constant``,
``linear_map``, ``compose`` and ``times`` (the multivariate ``PolyBatch`` and the per-direction
``UnivariateBatch``).
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np

from polyx.expansion.activations.series import exp_series

__all__ = ["softmax_of_series", "reciprocal_series"]

Batch = TypeVar("Batch")


def reciprocal_series(center: np.ndarray, order: int) -> np.ndarray:
    r"""1/(c + t) = Σ_k (−1)^k t^k / c^{k+1}, shape center.shape + (order + 1,)."""
    center = np.asarray(center, dtype=np.float64)
    k = np.arange(order + 1)
    return (-1.0) ** k / center[..., None] ** (k + 1)


def softmax_of_series(logits: Batch) -> Batch:
    """The softmax of a batch of logit series, as a batch of the same size, to the batch's order.

    The exponentials are taken around z_j(x0) − max_i z_i(x0), which leaves the softmax unchanged
    and keeps every exponential ≤ 1, so large logits cannot overflow.
    """
    order = logits.order
    values = logits.constant_term()
    increments = logits.without_constant()
    exponentials = increments.compose(exp_series(values - values.max(), order))
    total = exponentials.linear_map(np.ones((1, values.size)))
    inverse = total.without_constant().compose(reciprocal_series(total.constant_term(), order))
    return exponentials.times(inverse.linear_map(np.ones((values.size, 1))))
