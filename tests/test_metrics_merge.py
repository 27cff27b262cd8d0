"""Merged accumulators (partitions evaluated apart, then folded together) against one pass over all rows.

The oracles: the single-pass accumulator, and numpy on the whole array. Tolerance 1e-12 relative,
as in test_verify_metrics.py: the same float64 numbers summed in a different grouping. Counts, the
worst row and the agreement counts must be equal exactly. A reference with a large mean and a
small spread is included: there a naive Σr² − n·mean² merge loses every digit of R².
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from polyx.metrics import AgreementAccumulator, ErrorAccumulator
from test_verify_metrics import numpy_metrics

RELATIVE = 1e-12
NAMES = ["a", "b"]


def _data(seed: int, rows: int = 3000, offset: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    reference = offset + rng.normal(size=(rows, 2))
    prediction = reference + rng.normal(scale=1e-3, size=(rows, 2))
    return prediction, reference


def _accumulate(prediction: np.ndarray, reference: np.ndarray, start: int, stop: int, chunk: int = 256) -> ErrorAccumulator:
    accumulator = ErrorAccumulator(NAMES)
    lines = np.arange(1, prediction.shape[0] + 1)
    for first in range(start, stop, chunk):
        rows = slice(first, min(first + chunk, stop))
        accumulator.add(prediction[rows], reference[rows], lines[rows])
    return accumulator


def _fields(accumulator: ErrorAccumulator) -> list[dict]:
    return [metrics.to_dict() for metrics in accumulator.result()]


def _assert_same(merged: list[dict], single: list[dict]) -> None:
    for got, expected in zip(merged, single):
        for key in ("rows", "worst_line", "nonfinite_rows", "name"):
            assert got[key] == expected[key], key
        for key in ("max_abs", "mae", "rmse", "r2", "rel_l2"):
            assert got[key] == pytest.approx(expected[key], rel=RELATIVE), key


@pytest.mark.parametrize("offset", [0.0, 1e6])
@pytest.mark.parametrize("cuts", [[1500], [1, 2999], [700, 701, 2100], [0, 0, 3000], [10, 900, 1800, 2500]])
def test_merging_partitions_in_order_equals_one_pass_and_numpy(cuts: list[int], offset: float) -> None:
    prediction, reference = _data(1, offset=offset)
    bounds = [0, *cuts, prediction.shape[0]]
    parts = [_accumulate(prediction, reference, a, b) for a, b in zip(bounds[:-1], bounds[1:])]
    merged = parts[0]
    for part in parts[1:]:
        merged.merge(part)
    single = _fields(_accumulate(prediction, reference, 0, prediction.shape[0]))
    _assert_same(_fields(merged), single)
    expected = numpy_metrics(prediction, reference)
    for k, metrics in enumerate(_fields(merged)):
        for name in ("max_abs", "mae", "rmse", "r2", "rel_l2"):
            assert metrics[name] == pytest.approx(expected[name][k], rel=RELATIVE), name


def test_merge_is_associative() -> None:
    """(A+B)+C and A+(B+C) give the one-pass result: a tree reduction may group partitions any way."""
    prediction, reference = _data(2, offset=50.0)
    bounds = [0, 800, 1900, 3000]

    def part(i: int) -> ErrorAccumulator:
        return _accumulate(prediction, reference, bounds[i], bounds[i + 1])

    left = part(0)
    left.merge(part(1))
    left.merge(part(2))
    right_tail = part(1)
    right_tail.merge(part(2))
    right = part(0)
    right.merge(right_tail)
    single = _fields(_accumulate(prediction, reference, 0, 3000))
    _assert_same(_fields(left), single)
    _assert_same(_fields(right), single)


def test_the_worst_row_is_the_earlier_one_on_a_tie_across_partitions() -> None:
    reference = np.zeros((10, 2))
    prediction = np.zeros((10, 2))
    prediction[[2, 7], 0] = 5.0
    prediction[[3, 8], 1] = -5.0
    first, second = _accumulate(prediction, reference, 0, 5, 2), _accumulate(prediction, reference, 5, 10, 2)
    first.merge(second)
    assert [m.worst_line for m in first.result()] == [3, 4]


def test_nonfinite_rows_and_empty_partitions_merge() -> None:
    prediction, reference = _data(3, rows=400)
    prediction[[5, 305], 1] = np.inf
    empty = ErrorAccumulator(NAMES)
    merged = ErrorAccumulator(NAMES)
    for part in (empty, _accumulate(prediction, reference, 0, 200), ErrorAccumulator(NAMES),
                 _accumulate(prediction, reference, 200, 400)):
        merged.merge(part)
    _assert_same(_fields(merged), _fields(_accumulate(prediction, reference, 0, 400)))
    assert [m.nonfinite_rows for m in merged.result()] == [0, 2]


def test_agreement_counts_add() -> None:
    rng = np.random.default_rng(4)
    labels, reference = rng.integers(0, 3, 1000), rng.integers(0, 3, 1000)
    parts = []
    for start, stop in itertools.pairwise([0, 10, 600, 1000]):
        part = AgreementAccumulator()
        part.add(labels[start:stop], reference[start:stop])
        parts.append(part)
    merged = parts[0]
    for part in parts[1:]:
        merged.merge(part)
    assert merged.result() == {"rows": 1000, "agreeing": int((labels == reference).sum()),
                               "rate": float((labels == reference).mean())}
