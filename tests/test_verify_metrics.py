"""Streamed agreement metrics against numpy on the whole array (the oracle), chunk size by chunk size.

Tolerance 1e-12 relative: both sides are float64 sums of the same numbers in different orders
(numpy pairwise over everything; polyx pairwise per chunk, then Neumaier across chunks), whose
rounding differs by a few ulps times log(rows); 1e-12 leaves room for that and nothing more.
"""

from __future__ import annotations

import numpy as np
import pytest

from polyx.gates import Gate
from polyx.errors import DataError
from polyx.metrics import AgreementAccumulator, ErrorAccumulator

RELATIVE = 1e-12


def numpy_metrics(prediction: np.ndarray, reference: np.ndarray) -> dict[str, np.ndarray]:
    """The oracle: every metric from whole arrays, numpy's own (pairwise) sums."""
    error = prediction - reference
    residual = (error**2).sum(axis=0)
    return {
        "max_abs": np.abs(error).max(axis=0),
        "mae": np.abs(error).mean(axis=0),
        "rmse": np.sqrt((error**2).mean(axis=0)),
        "r2": 1 - residual / ((reference - reference.mean(axis=0)) ** 2).sum(axis=0),
        "rel_l2": np.sqrt(residual / (reference**2).sum(axis=0)),
    }


def _streamed(prediction: np.ndarray, reference: np.ndarray, chunk: int) -> list:
    accumulator = ErrorAccumulator([f"y{k}" for k in range(prediction.shape[1])])
    lines = np.arange(2, prediction.shape[0] + 2)
    for start in range(0, prediction.shape[0], chunk):
        rows = slice(start, start + chunk)
        accumulator.add(prediction[rows], reference[rows], lines[rows])
    return accumulator.result()


@pytest.mark.parametrize(("rows", "chunk"), [(3_000, 1), (20_000, 7), (200_000, 1000), (200_000, 65_536), (200_000, 300_000)])
def test_streamed_metrics_equal_numpy_on_the_whole_array(rows: int, chunk: int) -> None:
    rng = np.random.default_rng(chunk)
    # An offset reference (mean 1e4, spread 1) is where a naive Σr² − n·mean² loses ~8 digits of R².
    reference = 1e4 + rng.normal(size=(rows, 3)) * [1.0, 1e-2, 10.0]
    prediction = reference + rng.normal(scale=1e-3, size=(rows, 3))
    expected = numpy_metrics(prediction, reference)
    for k, metrics in enumerate(_streamed(prediction, reference, chunk)):
        assert metrics.rows == rows
        for name, values in expected.items():
            assert getattr(metrics, name) == pytest.approx(values[k], rel=RELATIVE), (name, k)
        assert metrics.worst_line == int(np.abs(prediction[:, k] - reference[:, k]).argmax()) + 2


def test_one_minus_r2_is_accurate_when_the_fit_is_nearly_perfect() -> None:
    """R² = 1 − 1e-10 must keep its small part: compare 1 − R² relatively, not R² itself."""
    rng = np.random.default_rng(3)
    reference = rng.normal(size=(50_000, 1))
    prediction = reference + rng.normal(scale=1e-5, size=reference.shape)
    expected = numpy_metrics(prediction, reference)["r2"][0]
    streamed = _streamed(prediction, reference, 4096)[0].r2
    # Residual and total sums each carry ~1e-15 relative rounding; their ratio too, so 1e-12 holds for 1 − R².
    assert 1 - streamed == pytest.approx(1 - expected, rel=RELATIVE)


def test_nonfinite_rows_are_counted_and_left_out() -> None:
    reference = np.arange(10.0).reshape(-1, 1)
    prediction = reference + 0.5
    prediction[3, 0] = np.inf
    prediction[7, 0] = np.nan
    metrics = _streamed(prediction, reference, 4)[0]
    keep = np.isfinite(prediction[:, 0])
    expected = numpy_metrics(prediction[keep], reference[keep])
    assert metrics.nonfinite_rows == 2
    assert metrics.rows == 8
    assert metrics.rmse == pytest.approx(expected["rmse"][0], rel=RELATIVE)
    assert metrics.r2 == pytest.approx(expected["r2"][0], rel=RELATIVE)
    assert Gate("nonfinite_rows", 0).check(metrics.nonfinite_rows, "y0").passed is False


def test_constant_reference_follows_scikit_learn_r2_convention() -> None:
    reference = np.ones((5, 2))
    prediction = reference.copy()
    prediction[0, 1] = 2.0
    exact, off = _streamed(prediction, reference, 2)
    assert (exact.r2, off.r2) == (1.0, 0.0)


def test_zero_reference_makes_relative_l2_undefined_and_its_gate_fail() -> None:
    reference = np.zeros((4, 1))
    metrics = _streamed(reference + 1.0, reference, 3)[0]
    assert metrics.rel_l2 is None
    assert Gate("rel_l2", 10.0).check(metrics.rel_l2, "y0").passed is False


def test_agreement_counts() -> None:
    accumulator = AgreementAccumulator()
    accumulator.add(np.array([0, 1, 2]), np.array([0, 2, 2]))
    accumulator.add(np.array([1]), np.array([1]))
    assert accumulator.result() == {"rows": 4, "agreeing": 3, "rate": 0.75}


@pytest.mark.parametrize(
    ("gate", "value", "passed"),
    [
        (Gate("max_abs", 0.1), 0.1, True),
        (Gate("max_abs", 0.1), 0.1000001, False),
        (Gate("r2", 0.99), 0.99, True),
        (Gate("r2", 0.99), 0.9899, False),
        (Gate("argmax_agreement", 1.0), 1.0, True),
        (Gate("mae", 1.0), None, False),
    ],
)
def test_gate_bounds_are_inclusive(gate: Gate, value: float | None, passed: bool) -> None:
    assert gate.check(value, "y1").passed is passed


def test_gate_rejects_unknown_metric_and_nonfinite_threshold() -> None:
    with pytest.raises(DataError, match="unknown gate metric"):
        Gate("accuracy", 0.5)
    with pytest.raises(DataError, match="not a finite number"):
        Gate("max_abs", float("nan"))
