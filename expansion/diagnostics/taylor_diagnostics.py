"""How far a global expansion can be trusted on real data: pre-activation ranges against validity intervals.

nn2poly's polynomial tracks the network only while every pre-activation stays where the order-q
Taylor polynomial tracks its activation (nn2poly plots this in
``plot_taylor_and_activation_potentials``). polyx measures it: per layer, the range the data
reaches, the interval where the Taylor polynomial is within 1% of the activation, the share of
pre-activations outside it, and the R² of the polynomial against the network on the same rows.

"Within 1%" means |T_q(u) − g(u)| ≤ 0.01 · max(|g(u)|, 1): 1% of the activation's value where
|g| ≥ 1, and 0.01 absolute where the activation is smaller than its unit scale (relative error is
meaningless where g crosses 0, as tanh, sin and GELU do at the centre).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from polyx.converters.ir.chain import Activation, Network
from polyx.expansion.methods.activation_fit import PREACTIVATION_CHUNK_ROWS, LayerFit, preactivation_chunks
from polyx.expansion.activations.registry import activation_function, activation_value, taylor_coefficients
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.metrics import ErrorAccumulator

__all__ = [
    "VALIDITY_TOLERANCE",
    "OUTSIDE_WARNING_SHARE",
    "taylor_validity_interval",
    "taylor_intervals",
    "DataScan",
    "scan_rows",
    "layer_report",
    "r2_against_network",
    "coverage_warnings",
]

VALIDITY_TOLERANCE = 0.01
VALIDITY_FLOOR = 1.0
VALIDITY_REACH = 50.0
"""The interval search stops this far from the centre; an interval that reaches it is reported as ±50."""
VALIDITY_STEP = 1e-3
OUTSIDE_WARNING_SHARE = 0.05


def _within_tolerance(activation: Activation, coefficients: np.ndarray, center: float, u: np.ndarray) -> np.ndarray:
    taylor = np.polynomial.polynomial.polyval(u - center, coefficients)
    exact = activation_value(activation, u)
    return np.abs(taylor - exact) <= VALIDITY_TOLERANCE * np.maximum(np.abs(exact), VALIDITY_FLOOR)


@lru_cache(maxsize=256)
def taylor_validity_interval(activation: Activation, center: float, order: int) -> tuple[float, float]:
    """The interval around ``center`` where the order-q Taylor polynomial stays within 1% of g.

    Scanned outwards on a 0.001 grid to the first failure on each side (so a later region where
    the error happens to be small again does not count), then refined by bisection to ~1e-12.
    """
    coefficients = taylor_coefficients(activation, np.array(center), order)
    offsets = np.arange(int(VALIDITY_REACH / VALIDITY_STEP) + 1) * VALIDITY_STEP
    bounds = []
    for sign in (-1.0, 1.0):
        ok = _within_tolerance(activation, coefficients, center, center + sign * offsets)
        failures = np.flatnonzero(~ok)
        if failures.size == 0:
            bounds.append(center + sign * VALIDITY_REACH)
            continue
        inside, outside = offsets[failures[0] - 1], offsets[failures[0]]
        for _ in range(40):
            middle = 0.5 * (inside + outside)
            if _within_tolerance(activation, coefficients, center, np.array([center + sign * middle]))[0]:
                inside = middle
            else:
                outside = middle
        bounds.append(center + sign * inside)
    return float(bounds[0]), float(bounds[1])


def _taylor_interval(activation: Activation, center: float, order: int) -> tuple[float, float] | None:
    """None where no Taylor series exists (a kink at the centre)."""
    if center in activation_function(activation).kinks:
        return None
    return taylor_validity_interval(activation, center, order)


def taylor_intervals(network: Network, taylor_orders: Sequence[int], center: float) -> list[tuple[float, float] | None]:
    """Per layer, the 1% interval of its Taylor polynomial; None for linear layers (exact) and at a kink."""
    return [
        None if activation_function(layer.activation).identity else _taylor_interval(layer.activation, center, int(order))
        for layer, order in zip(network.layers, taylor_orders)
    ]


@dataclass(frozen=True)
class DataScan:
    """What one pass of data rows through the network gives every diagnostic: per layer and neuron
    the pre-activation range, per layer the count of pre-activations outside the Taylor interval
    and outside the fitted intervals (0 where none was given), and the network's outputs (logits
    before a softmax), for the R² of any polynomial on the same rows."""

    rows: int
    low: list[np.ndarray]
    high: list[np.ndarray]
    outside_taylor: list[int]
    outside_fit: list[int]
    outputs: np.ndarray


def scan_rows(
    network: Network,
    inputs: np.ndarray,
    intervals: Sequence[tuple[float, float] | None] | None = None,
    fits: Sequence[LayerFit | None] | None = None,
) -> DataScan:
    """Push the rows through the network once, in chunks, collecting a ``DataScan``."""
    layers = network.layers
    low = [np.full(layer.out_features, np.inf) for layer in layers]
    high = [np.full(layer.out_features, -np.inf) for layer in layers]
    outside_taylor, outside_fit = [0] * len(layers), [0] * len(layers)
    outputs = []
    for chunk in preactivation_chunks(network, inputs):
        for i, u in enumerate(chunk):
            low[i] = np.minimum(low[i], u.min(axis=0, initial=np.inf))
            high[i] = np.maximum(high[i], u.max(axis=0, initial=-np.inf))
            if intervals is not None and intervals[i] is not None:
                outside_taylor[i] += int(np.count_nonzero((u < intervals[i][0]) | (u > intervals[i][1])))
            if fits is not None and fits[i] is not None:
                outside_fit[i] += int(np.count_nonzero((u < fits[i].low) | (u > fits[i].high)))
        outputs.append(activation_value(layers[-1].activation, chunk[-1]))
    stacked = np.concatenate(outputs) if outputs else np.zeros((0, network.output_size))
    return DataScan(int(inputs.shape[0]), low, high, outside_taylor, outside_fit, stacked)


def layer_report(
    network: Network,
    inputs: np.ndarray,
    taylor_orders: Sequence[int],
    center: float,
    fits: Sequence[LayerFit | None] | None = None,
    scan: DataScan | None = None,
) -> list[dict]:
    """One entry per non-linear layer: data range, Taylor 1% interval and the share outside it,
    and with ``fits`` the fitted intervals, the fit's largest error and the share outside them.

    ``scan`` is the rows' pass made with these intervals and fits (made here when not given); a
    scan of the very rows the fits were made from needs no fits: they lie inside by construction.
    Linear layers are left out: both the Taylor and the fitted polynomial of the identity are exact.
    """
    intervals = taylor_intervals(network, taylor_orders, center)
    if scan is None:
        scan = scan_rows(network, inputs, intervals, fits)
    rows = []
    for i, layer in enumerate(network.layers):
        if activation_function(layer.activation).identity:
            continue
        values = scan.rows * layer.out_features
        row = {
            "layer": i + 1,
            "activation": str(layer.activation),
            "neurons": layer.out_features,
            "preactivation_range": [float(scan.low[i].min()), float(scan.high[i].max())],
            "taylor_order": int(taylor_orders[i]),
            "taylor_interval": None if intervals[i] is None else list(intervals[i]),
            "taylor_outside": None if intervals[i] is None else scan.outside_taylor[i] / values,
        }
        if intervals[i] is None:
            row["taylor_note"] = f"{layer.activation} is not analytic at the centre {center:g}"
        if fits is not None and fits[i] is not None:
            fit = fits[i]
            row.update({
                "fit_degree": fit.degree,
                "fit_interval": [float(fit.low.min()), float(fit.high.max())],
                "fit_max_error": fit.max_error(),
                "fit_outside": scan.outside_fit[i] / values,
            })
        rows.append(row)
    return rows


def r2_against_network(
    network: Network, inputs: np.ndarray, polynomial: Polynomial, outputs: np.ndarray | None = None
) -> list[float | None]:
    """R² of the polynomial against the network (its logits before a softmax), per output.

    Computed as ``polyx verify`` computes it (same accumulator), so the two agree on the same
    rows; None when the polynomial overflows on some row (a diverging expansion). ``outputs``
    are the network's values on the rows when a scan already has them; otherwise the network
    runs here, in row chunks that keep its hidden activations small.
    """
    accumulator = ErrorAccumulator(list(polynomial.outputs))
    for start in range(0, inputs.shape[0], PREACTIVATION_CHUNK_ROWS):
        rows = inputs[start : start + PREACTIVATION_CHUNK_ROWS]
        with np.errstate(over="ignore", invalid="ignore"):
            prediction = polynomial.evaluate(rows)
        reference = network.forward(rows, logits=True) if outputs is None else outputs[start : start + rows.shape[0]]
        accumulator.add(prediction, reference, np.arange(start, start + rows.shape[0]) + 2)
    return [metric.r2 if metric.nonfinite_rows == 0 else None for metric in accumulator.result()]


def _interval_text(interval: Sequence[float]) -> str:
    return f"[{interval[0]:.3g}, {interval[1]:.3g}]"


def coverage_warnings(rows: Sequence[dict], data: str, fitted: bool, fit_data: str | None = None) -> list[str]:
    """A warning for each layer where more than 5% of the pre-activations lie outside the region the
    replacing polynomial is good for: the Taylor 1% interval, or the fitted intervals with ``fitted``."""
    warnings = []
    for row in rows:
        where = f"layer {row['layer']} ({row['activation']})"
        if fitted and row.get("fit_outside", 0.0) > OUTSIDE_WARNING_SHARE:
            warnings.append(
                f"{where}: {row['fit_outside']:.1%} of the pre-activations on {data} lie outside the intervals "
                f"fitted on {fit_data}, where the fitted polynomials are unchecked; fit on data that covers these inputs"
            )
        elif not fitted and row["taylor_outside"] is not None and row["taylor_outside"] > OUTSIDE_WARNING_SHARE:
            warnings.append(
                f"{where}: {row['taylor_outside']:.1%} of the pre-activations on {data} lie outside "
                f"{_interval_text(row['taylor_interval'])}, where the order-{row['taylor_order']} Taylor polynomial "
                f"stays within 1% of {row['activation']}; the polynomial can be far from the network there "
                f"(the same rows given as `fit` fit each activation over the data's range instead)"
            )
    return warnings
