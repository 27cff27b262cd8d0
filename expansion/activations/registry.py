"""Every activation polyx understands, in one registry: everything known about each one.

An entry holds the activation's values, its Taylor series, its kinks, whether it is the identity
or piecewise linear, its Gaussian expectations in closed form where they exist, and how the ONNX
region identifier fits its parameters. Converters resolve the many ONNX spellings of an activation
to one of these canonical names; ``Network.forward``, every expansion method and the identifier
ask the entry (never compare names), so an activation's numerics are added in exactly one place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from polyx.expansion.activations.special import expit, ndtr

from polyx.errors import MethodError
from polyx.expansion.activations import gaussian_closed_forms as gaussian
from polyx.expansion.activations import series

__all__ = [
    "Activation",
    "ActivationFunction",
    "LinearParameters",
    "ACTIVATIONS",
    "activation_function",
    "activation_value",
    "taylor_coefficients",
    "non_analytic_points",
]

@dataclass(frozen=True)
class Activation:
    """A canonical activation name plus its parameters (e.g. ``elu`` with ``alpha``).

    Names are the keys of ``polyx.expansion.activations.registry.ACTIVATIONS``; parameters are stored
    as a sorted tuple of pairs so that the spec stays hashable and comparable.
    """

    name: str
    params: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, name: str, **params: float) -> "Activation":
        """Build a spec from keyword parameters, in canonical (sorted) order."""
        return cls(name, tuple(sorted((key, float(value)) for key, value in params.items())))

    @property
    def kwargs(self) -> dict[str, float]:
        """Parameters as keyword arguments for the activation functions."""
        return dict(self.params)

    def __str__(self) -> str:
        if not self.params:
            return self.name
        inner = ", ".join(f"{key}={value:g}" for key, value in self.params)
        return f"{self.name}({inner})"


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_GAMMA = 1.0507009873554804934193349852946
GELU_TANH_SCALE = math.sqrt(2.0 / math.pi)
GELU_TANH_CUBIC = 0.044715


@dataclass(frozen=True)
class LinearParameters:
    """How the ONNX region identifier fits an activation whose parameters enter linearly.

    ``act(u)`` with any parameters is a combination of the columns of ``basis(u)`` (shape
    u.shape + (m,)); ``read(weights)`` turns the least-squares weights of those columns back into
    (parameters, mirrored), ``mirrored`` meaning the fit holds for act(−u) (a kink read with its
    steeper side above). The weights also carry the outer scale p, which the identifier refits.
    """

    basis: Callable[[np.ndarray], np.ndarray]
    read: Callable[[np.ndarray], tuple[dict[str, float], bool]]


@dataclass(frozen=True)
class ActivationFunction:
    """Everything polyx knows about one activation; every module asks this entry, not the name.

    ``series(centers, order, **params)`` returns normalised coefficients f^(k)(c)/k! with shape
    centers.shape + (order + 1,). ``kinks`` lists the points where the function is not analytic
    (ReLU's 0): a series there does not exist and asking for one is an error.
    """

    name: str
    value: Callable[..., np.ndarray]
    series: Callable[..., np.ndarray]
    kinks: tuple[float, ...] = ()
    defaults: tuple[tuple[str, float], ...] = ()
    candidate: bool = True
    """False for functions that stand for part of an op (a normalisation's power), never for an
    activation the loader should recognise in an elementwise region."""
    identity: bool = False
    """g(u) = u: a layer with it is affine, exact in every method and never expanded."""
    piecewise_linear: bool = False
    """Affine between its kinks (identity, ReLU, leaky ReLU): a local Taylor polynomial is the
    network's affine map there, and the distance to the nearest kink is exact through it."""
    positively_homogeneous: bool = False
    """g(c·u) = c·g(u) for c > 0: the region identifier moves an inner scale |k| into the outer p."""
    gaussian_coefficients: Callable[..., np.ndarray] | None = None
    """Closed-form Hermite coefficients ``(mean, std, degree, **params)`` -> c_0 … c_degree with
    c_j = E[g(mean + std·Z) He_j(Z)] (std > 0); None: panel quadrature (``gaussian_moments``)."""
    gaussian_expectation: Callable[..., np.ndarray] | None = None
    """Closed-form E[g(mean + std·Z)] ``(mean, std, **params)`` where only the expectation has one
    (ELU); None: c_0 of ``gaussian_coefficients`` or quadrature."""
    gaussian_covariance: Callable[..., np.ndarray] | None = None
    """Closed-form (H, H) Cov(g(u_k), g(u_l)) ``(mean, cov, **params)`` for u ~ N(mean, cov); None:
    the certified Mehler series and pair integrals (``covariance``)."""
    inner_fit: bool = True
    """Whether the region identifier tries p·act(k·t + s) + q for this activation: False where no
    inner map is needed (identity) or another entry's fit covers it (selu = γ·elu)."""
    linear_parameters: LinearParameters | None = None
    """How the identifier fits parameters entering linearly; None: fitted with default parameters."""


def _identity_series(center: np.ndarray, order: int) -> np.ndarray:
    center = np.asarray(center, dtype=np.float64)
    out = np.zeros(center.shape + (order + 1,))
    out[..., 0] = center
    if order >= 1:
        out[..., 1] = 1.0
    return out


def _piecewise_linear_series(center: np.ndarray, order: int, slope_below: float) -> np.ndarray:
    center = np.asarray(center, dtype=np.float64)
    slope = np.where(center > 0, 1.0, slope_below)
    out = np.zeros(center.shape + (order + 1,))
    out[..., 0] = slope * center
    if order >= 1:
        out[..., 1] = slope
    return out


def _elu_series(center: np.ndarray, order: int, alpha: float = 1.0) -> np.ndarray:
    """The branch each centre is on. The exponential branch is evaluated at min(c, 0), so a large
    positive centre cannot overflow, and its value is α·expm1(c), which keeps its digits near 0."""
    center = np.asarray(center, dtype=np.float64)
    negative = np.minimum(center, 0.0)
    below = alpha * series.exp_series(negative, order)
    below[..., 0] = alpha * np.expm1(negative)
    return np.where((center > 0)[..., None], _identity_series(center, order), below)


def _times_identity(inner: np.ndarray, center: np.ndarray) -> np.ndarray:
    """(c + t) · s(t) for a series s: degree k takes c·s_k + s_{k-1}."""
    out = np.asarray(center, dtype=np.float64)[..., None] * inner
    out[..., 1:] += inner[..., :-1]
    return out


def _silu_series(center: np.ndarray, order: int) -> np.ndarray:
    return _times_identity(series.sigmoid_series(center, order), center)


def _gelu_series(center: np.ndarray, order: int) -> np.ndarray:
    return _times_identity(series.normal_cdf_series(center, order), center)


def _gelu_tanh_series(center: np.ndarray, order: int) -> np.ndarray:
    center = np.asarray(center, dtype=np.float64)
    inner = np.zeros(center.shape + (order + 1,))
    cubic = np.stack([center**3, 3 * center**2, 3 * center, np.ones_like(center)], axis=-1)
    inner[..., : min(order, 3) + 1] = GELU_TANH_CUBIC * cubic[..., : min(order, 3) + 1]
    inner[..., 0] += center
    if order >= 1:
        inner[..., 1] += 1.0
    half_one_plus_tanh = 0.5 * series.tanh_of_series(GELU_TANH_SCALE * inner)
    half_one_plus_tanh[..., 0] += 0.5
    return _times_identity(half_one_plus_tanh, center)


def _power_series(center: np.ndarray, order: int, exponent: float = 1.0, shift: float = 0.0) -> np.ndarray:
    """(c + s + t)^p in powers of t: a_0 = (c + s)^p, a_k = a_{k−1} · (p − k + 1) / (k · (c + s)).

    Defined where c + s > 0 (a normalisation's variance plus ε); elsewhere only a non-negative
    integer power has a series, and asking for another is an error.
    """
    center = np.asarray(center, dtype=np.float64)
    base = center + shift
    if not float(exponent).is_integer() or exponent < 0:
        if np.any(base <= 0):
            raise MethodError(f"(u + {shift:g})^{exponent:g} has no Taylor series where u + {shift:g} ≤ 0 "
                              f"(smallest u + {shift:g} here: {float(base.min()):.3g})")
    out = np.zeros(center.shape + (order + 1,))
    out[..., 0] = base**exponent
    for k in range(1, order + 1):
        if float(exponent).is_integer() and exponent >= 0 and k > exponent:
            break
        out[..., k] = math.comb(int(exponent), k) * base ** (exponent - k) if float(exponent).is_integer() \
            and exponent >= 0 else out[..., k - 1] * (exponent - k + 1) / (k * base)
    return out


def _gelu_tanh_value(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(GELU_TANH_SCALE * (x + GELU_TANH_CUBIC * x**3)))


def _elu_value(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, or 0 for a degenerate fit (which then fails the identifier's pointwise check)."""
    return float(numerator / denominator) if denominator != 0.0 else 0.0


def _elu_basis(u: np.ndarray) -> np.ndarray:
    return np.stack([np.maximum(u, 0.0), np.expm1(np.minimum(u, 0.0))], axis=-1)


def _elu_read(weights: np.ndarray) -> tuple[dict[str, float], bool]:
    return {"alpha": _ratio(weights[1], weights[0])}, False


def _leaky_basis(u: np.ndarray) -> np.ndarray:
    return np.stack([np.maximum(u, 0.0), np.minimum(u, 0.0)], axis=-1)


def _leaky_read(weights: np.ndarray) -> tuple[dict[str, float], bool]:
    """A kink with slopes (a above, b below); read with the steeper side above so that |alpha| ≤ 1."""
    above, below = weights[0], weights[1]
    if abs(below) > abs(above):
        return {"alpha": _ratio(above, below)}, True
    return {"alpha": _ratio(below, above)}, False


def _selu_expectation(mean: np.ndarray, std: np.ndarray, alpha: float = SELU_ALPHA, gamma: float = SELU_GAMMA
                      ) -> np.ndarray:
    return gamma * gaussian.elu_expectation(mean, std, alpha)


ACTIVATIONS: dict[str, ActivationFunction] = {
    function.name: function
    for function in (
        ActivationFunction(
            "linear",
            lambda x: x,
            _identity_series,
            identity=True,
            piecewise_linear=True,
            positively_homogeneous=True,
            gaussian_coefficients=gaussian.identity_coefficients,
            gaussian_covariance=gaussian.identity_covariance,
            inner_fit=False,
        ),
        ActivationFunction("tanh", np.tanh, series.tanh_series),
        ActivationFunction("sigmoid", expit, series.sigmoid_series),
        ActivationFunction("softplus", lambda x: np.logaddexp(0.0, x), series.softplus_series),
        ActivationFunction(
            "sin",
            np.sin,
            series.sin_series,
            gaussian_coefficients=gaussian.sin_coefficients,
            gaussian_covariance=gaussian.sin_covariance,
        ),
        ActivationFunction("silu", lambda x: x * expit(x), _silu_series),
        ActivationFunction("gelu", lambda x: x * ndtr(x), _gelu_series, gaussian_coefficients=gaussian.gelu_coefficients),
        ActivationFunction("gelu_tanh", _gelu_tanh_value, _gelu_tanh_series),
        ActivationFunction(
            "relu",
            lambda x: np.maximum(x, 0.0),
            lambda c, order: _piecewise_linear_series(c, order, 0.0),
            kinks=(0.0,),
            piecewise_linear=True,
            positively_homogeneous=True,
            gaussian_coefficients=gaussian.relu_coefficients,
        ),
        ActivationFunction(
            "leaky_relu",
            lambda x, alpha=0.01: np.where(x >= 0, x, alpha * x),
            lambda c, order, alpha=0.01: _piecewise_linear_series(c, order, alpha),
            kinks=(0.0,),
            defaults=(("alpha", 0.01),),
            piecewise_linear=True,
            positively_homogeneous=True,
            gaussian_coefficients=gaussian.leaky_relu_coefficients,
            linear_parameters=LinearParameters(_leaky_basis, _leaky_read),
        ),
        ActivationFunction(
            "elu",
            _elu_value,
            _elu_series,
            kinks=(0.0,),
            defaults=(("alpha", 1.0),),
            gaussian_expectation=gaussian.elu_expectation,
            linear_parameters=LinearParameters(_elu_basis, _elu_read),
        ),
        ActivationFunction(
            "power",
            lambda x, exponent=1.0, shift=0.0: np.power(x + shift, exponent),
            _power_series,
            defaults=(("exponent", 1.0), ("shift", 0.0)),
            candidate=False,
        ),
        ActivationFunction(
            "selu",
            lambda x, alpha=SELU_ALPHA, gamma=SELU_GAMMA: gamma * _elu_value(x, alpha),
            lambda c, order, alpha=SELU_ALPHA, gamma=SELU_GAMMA: gamma * _elu_series(c, order, alpha),
            kinks=(0.0,),
            defaults=(("alpha", SELU_ALPHA), ("gamma", SELU_GAMMA)),
            gaussian_expectation=_selu_expectation,
            inner_fit=False,
        ),
    )
}


def activation_function(spec: Activation) -> ActivationFunction:
    """Look up the numerics of an activation spec, or say which names exist."""
    try:
        return ACTIVATIONS[spec.name]
    except KeyError:
        known = ", ".join(sorted(ACTIVATIONS))
        raise MethodError(f"unknown activation '{spec.name}'; polyx knows: {known}") from None


def activation_value(spec: Activation, x: np.ndarray) -> np.ndarray:
    """Apply the activation elementwise in float64."""
    return activation_function(spec).value(np.asarray(x, dtype=np.float64), **spec.kwargs)


def non_analytic_points(spec: Activation, centers: np.ndarray) -> np.ndarray:
    """Boolean mask of the centers where the activation has a kink (no Taylor series exists)."""
    centers = np.asarray(centers, dtype=np.float64)
    mask = np.zeros(centers.shape, dtype=bool)
    for kink in activation_function(spec).kinks:
        mask |= centers == kink
    return mask


def taylor_coefficients(spec: Activation, centers: np.ndarray, order: int) -> np.ndarray:
    """Normalised Taylor coefficients f^(k)(c)/k!, k ≤ order, at every center (shape centers.shape + (order+1,)).

    Raises MethodError at a kink, where no Taylor series exists.
    """
    centers = np.asarray(centers, dtype=np.float64)
    if non_analytic_points(spec, centers).any():
        raise MethodError(
            f"activation '{spec}' is not analytic at {activation_function(spec).kinks[0]:g}, "
            "so it has no Taylor series there"
        )
    return activation_function(spec).series(centers, order, **spec.kwargs)
