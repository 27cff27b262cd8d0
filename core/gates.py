"""Pass/fail thresholds on verification metrics: what turns a report into an exit code for CI.

A gate names a metric and a bound; upper bounds for error sizes, lower bounds for R² and argmax
agreement. Every output is checked against every per-output gate, and every output also carries
an implicit ``nonfinite_rows <= 0`` gate: a polynomial that overflows where the network does not
has failed, whatever else was asked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from polyx.errors import DataError

__all__ = ["Gate", "GateResult", "GateMetric", "GATE_METRICS", "FINITE_GATE"]


class GateMetric(NamedTuple):
    """How a metric is bounded, the command-line option that sets the bound, and what it measures."""

    operator: str
    option: str | None
    description: str


GATE_METRICS: dict[str, GateMetric] = {
    "max_abs": GateMetric("<=", "--max-abs", "maximum absolute error of an output"),
    "mae": GateMetric("<=", "--max-mae", "mean absolute error of an output"),
    "rmse": GateMetric("<=", "--max-rmse", "root mean squared error of an output"),
    "rel_l2": GateMetric("<=", "--max-rel-l2", "relative L2 error ||poly - net|| / ||net|| of an output"),
    "r2": GateMetric(">=", "--min-r2", "R² of an output (polynomial against network)"),
    "argmax_agreement": GateMetric(">=", "--min-argmax-agreement", "share of rows where both models pick the same class"),
    "nonfinite_rows": GateMetric("<=", None, "number of rows where either side is NaN or Inf"),
}


@dataclass(frozen=True)
class Gate:
    """One threshold; ``argmax_agreement`` is checked once per model, the others once per output."""

    metric: str
    threshold: float

    def __post_init__(self) -> None:
        if self.metric not in GATE_METRICS:
            raise DataError(f"unknown gate metric '{self.metric}'; choose one of {', '.join(GATE_METRICS)}")
        if not math.isfinite(self.threshold):
            raise DataError(f"gate {self.metric}: threshold {self.threshold} is not a finite number")

    @property
    def operator(self) -> str:
        """``<=`` for an upper bound, ``>=`` for a lower bound."""
        return GATE_METRICS[self.metric].operator

    @property
    def per_output(self) -> bool:
        """Whether this gate is checked for each output separately."""
        return self.metric != "argmax_agreement"

    def check(self, value: float | None, output: str | None) -> "GateResult":
        """Apply the bound to a measured value; an undefined value (None) fails."""
        if value is None:
            passed = False
        elif self.operator == "<=":
            passed = value <= self.threshold
        else:
            passed = value >= self.threshold
        return GateResult(self.metric, output, self.operator, self.threshold, value, passed)


FINITE_GATE = Gate("nonfinite_rows", 0.0)


@dataclass(frozen=True)
class GateResult:
    """A gate applied to one output (``output`` is None for a whole-model gate)."""

    metric: str
    output: str | None
    operator: str
    threshold: float
    value: float | None
    passed: bool

    @property
    def label(self) -> str:
        """``r2 >= 0.99`` — how the gate reads in tables and JUnit test names."""
        return f"{self.metric} {self.operator} {self.threshold:g}"

    def describe(self) -> str:
        """One line: the measured value against the bound, and the verdict."""
        shown = "undefined" if self.value is None else f"{self.value:.6g}"
        where = f"{self.output}: " if self.output else ""
        verdict = "passed" if self.passed else "FAILED"
        return f"{where}{self.metric} = {shown} (gate {self.operator} {self.threshold:g}) {verdict}"

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {
            "metric": self.metric,
            "output": self.output,
            "operator": self.operator,
            "threshold": self.threshold,
            "value": self.value,
            "passed": self.passed,
        }
