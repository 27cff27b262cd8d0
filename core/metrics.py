"""Agreement metrics accumulated over streamed chunks, equal to the whole-array computation.

``polyx verify`` never holds a whole data file in memory, yet CI gates compare its numbers with
thresholds, so the streamed result must be the number numpy would give on the full array: chunk
sums are pairwise (numpy), carried across chunks with Neumaier compensation, and the reference
variance is merged with Chan's parallel formula instead of the cancelling Σr² − n·mean².

Accumulators also ``merge``: partitions evaluated on different machines (``--engine dask``) are
folded together in dataset order with the same compensated sums and Chan's formula, so the
merged result equals the single-pass one to rounding (tests hold it to 1e-12), and the worst
row is the same row (ties go to the earlier row in both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ErrorMetrics", "ErrorAccumulator", "AgreementAccumulator"]


class _CompensatedSum:
    """A vector of running sums with Neumaier's compensation: error independent of chunk count."""

    def __init__(self, width: int) -> None:
        self.total = np.zeros(width)
        self.compensation = np.zeros(width)

    def add(self, values: np.ndarray) -> None:
        """Add one partial sum per column."""
        total = self.total + values
        big = np.abs(self.total) >= np.abs(values)
        self.compensation += np.where(big, (self.total - total) + values, (values - total) + self.total)
        self.total = total

    def value(self) -> np.ndarray:
        """The compensated sums."""
        return self.total + self.compensation

    def merge(self, other: "_CompensatedSum") -> None:
        """Add another compensated sum: its total through the compensated add, its compensation as is."""
        compensation = other.compensation.copy()
        self.add(other.total)
        self.compensation += compensation


@dataclass(frozen=True)
class ErrorMetrics:
    """How far predictions are from a reference, for one output column.

    ``r2`` follows scikit-learn when the reference is constant (1 if the match is exact, else 0);
    ``rel_l2`` is None when the reference is all zeros and the error is not. Rows where either
    side is NaN/Inf are left out of every metric and counted in ``nonfinite_rows``.
    """

    name: str
    rows: int
    max_abs: float | None
    worst_line: int | None
    mae: float | None
    rmse: float | None
    r2: float | None
    rel_l2: float | None
    nonfinite_rows: int

    def to_dict(self) -> dict:
        """JSON-ready form (the report's per-output block)."""
        return dict(self.__dict__)


class ErrorAccumulator:
    """Streams (prediction, reference) chunks of shape (rows, outputs) into ErrorMetrics per output."""

    def __init__(self, names: list[str]) -> None:
        width = len(names)
        self.names = list(names)
        self.count = np.zeros(width, dtype=np.int64)
        self.nonfinite = np.zeros(width, dtype=np.int64)
        self.max_abs = np.full(width, -1.0)
        self.worst_line = np.zeros(width, dtype=np.int64)
        self.sum_abs = _CompensatedSum(width)
        self.sum_sq = _CompensatedSum(width)
        self.sum_ref_sq = _CompensatedSum(width)
        self.ref_mean = np.zeros(width)
        self.ref_m2 = _CompensatedSum(width)

    def add(self, prediction: np.ndarray, reference: np.ndarray, lines: np.ndarray) -> None:
        """Fold in one chunk; ``lines`` gives each row's line in the data file (for the worst row)."""
        error = prediction - reference
        finite = np.isfinite(prediction) & np.isfinite(reference)
        all_finite = bool(finite.all())
        if not all_finite:
            self.nonfinite += (~finite).sum(axis=0)
            error = np.where(finite, error, 0.0)
            reference = np.where(finite, reference, 0.0)
        counts = finite.sum(axis=0) if not all_finite else np.full(error.shape[1], error.shape[0])
        absolute = np.abs(error)
        if absolute.shape[0]:
            worst = absolute.argmax(axis=0)
            worst_values = absolute[worst, np.arange(absolute.shape[1])]
            better = worst_values > self.max_abs
            self.max_abs = np.where(better, worst_values, self.max_abs)
            self.worst_line = np.where(better, lines[worst], self.worst_line)
        self.sum_abs.add(absolute.sum(axis=0))
        self.sum_sq.add(np.square(error).sum(axis=0))
        self.sum_ref_sq.add(np.square(reference).sum(axis=0))
        self._merge_variance(reference, finite, counts, all_finite)

    def _merge_variance(self, reference: np.ndarray, finite: np.ndarray, counts: np.ndarray, all_finite: bool) -> None:
        """Chan et al.'s pairwise update of the reference mean and sum of squared deviations."""
        safe = np.maximum(counts, 1)
        chunk_mean = reference.sum(axis=0) / safe
        deviation = reference - chunk_mean
        if not all_finite:
            deviation = np.where(finite, deviation, 0.0)
        chunk_m2 = np.square(deviation).sum(axis=0)
        total = self.count + counts
        delta = chunk_mean - self.ref_mean
        weight = np.where(total > 0, counts / np.maximum(total, 1), 0.0)
        self.ref_m2.add(chunk_m2 + np.square(delta) * self.count * weight)
        self.ref_mean = self.ref_mean + delta * weight
        self.count = total

    def merge(self, other: "ErrorAccumulator") -> None:
        """Fold in an accumulator of the rows that come after this one's (a later partition)."""
        if other.names != self.names:
            raise ValueError(f"cannot merge metrics of outputs {other.names} into {self.names}")
        better = other.max_abs > self.max_abs
        self.max_abs = np.where(better, other.max_abs, self.max_abs)
        self.worst_line = np.where(better, other.worst_line, self.worst_line)
        self.nonfinite = self.nonfinite + other.nonfinite
        self.sum_abs.merge(other.sum_abs)
        self.sum_sq.merge(other.sum_sq)
        self.sum_ref_sq.merge(other.sum_ref_sq)
        total = self.count + other.count
        delta = other.ref_mean - self.ref_mean
        weight = np.where(total > 0, other.count / np.maximum(total, 1), 0.0)
        self.ref_m2.merge(other.ref_m2)
        self.ref_m2.add(np.square(delta) * self.count * weight)
        self.ref_mean = self.ref_mean + delta * weight
        self.count = total

    def result(self) -> list[ErrorMetrics]:
        """The metrics per output, from the sums so far."""
        sum_abs, sum_sq = self.sum_abs.value(), self.sum_sq.value()
        sum_ref_sq, ref_m2 = self.sum_ref_sq.value(), self.ref_m2.value()
        metrics = []
        for k, name in enumerate(self.names):
            rows = int(self.count[k])
            if rows == 0:
                metrics.append(ErrorMetrics(name, 0, None, None, None, None, None, None, int(self.nonfinite[k])))
                continue
            metrics.append(
                ErrorMetrics(
                    name=name,
                    rows=rows,
                    max_abs=_finite(self.max_abs[k]),
                    worst_line=int(self.worst_line[k]),
                    mae=_finite(sum_abs[k] / rows),
                    rmse=_finite(np.sqrt(sum_sq[k] / rows)),
                    r2=_finite(_r2(sum_sq[k], ref_m2[k])),
                    rel_l2=_finite(_relative_l2(sum_sq[k], sum_ref_sq[k])),
                    nonfinite_rows=int(self.nonfinite[k]),
                )
            )
        return metrics


def _finite(value: float | None) -> float | None:
    """A metric as a Python float, or None when it is NaN/Inf (JSON and gates need a number or nothing)."""
    return float(value) if value is not None and np.isfinite(value) else None


def _r2(residual: float, total: float) -> float:
    if total > 0:
        return float(1.0 - residual / total)
    return 1.0 if residual == 0 else 0.0


def _relative_l2(residual: float, reference: float) -> float | None:
    if reference > 0:
        return float(np.sqrt(residual / reference))
    return 0.0 if residual == 0 else None


class AgreementAccumulator:
    """Counts rows where two label vectors agree (argmax agreement, or accuracy against a target)."""

    def __init__(self) -> None:
        self.rows = 0
        self.agreeing = 0

    def add(self, labels: np.ndarray, reference: np.ndarray) -> None:
        """Fold in one chunk of integer labels."""
        self.rows += int(labels.shape[0])
        self.agreeing += int(np.count_nonzero(labels == reference))

    def merge(self, other: "AgreementAccumulator") -> None:
        """Fold in the counts of another partition."""
        self.rows += other.rows
        self.agreeing += other.agreeing

    def result(self) -> dict:
        """``{"rows", "agreeing", "rate"}``; rate is None for no rows."""
        rate = self.agreeing / self.rows if self.rows else None
        return {"rows": self.rows, "agreeing": self.agreeing, "rate": rate}
