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

__all__ = ["Gate", "GateResult", "GateMetric", "GATE_METRICS", "FINITE_GATE", "DEFAULT_GATE", "DEFAULT_MIN_R2", "gates_or_default"]


class GateMetric(NamedTuple):
    """How a metric is bounded, whether the user sets the bound (``verify``'s options, see
    ``polyx.cli.commands.verify.GATE_FLAGS``), and what it measures."""

    operator: str
    user_set: bool
    description: str


GATE_METRICS: dict[str, GateMetric] = {
    "max_abs": GateMetric("<=", True, "maximum absolute error of an output"),
    "mae": GateMetric("<=", True, "mean absolute error of an output"),
    "rmse": GateMetric("<=", True, "root mean squared error of an output"),
    "rel_l2": GateMetric("<=", True, "relative L2 error ||poly - net|| / ||net|| of an output"),
    "r2": GateMetric(">=", True, "R² of an output (polynomial against network)"),
    "argmax_agreement": GateMetric(">=", True, "share of rows where both models pick the same class"),
    "nonfinite_rows": GateMetric("<=", False, "number of rows where either side is NaN or Inf"),
}


@dataclass(frozen=True)
class Gate:
    """One threshold; ``argmax_agreement`` is checked once per model, the others once per output."""

    metric: str
    threshold: float
    default: bool = False

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
        return GateResult(self.metric, output, self.operator, self.threshold, value, passed, self.default)


FINITE_GATE = Gate("nonfinite_rows", 0.0)

DEFAULT_MIN_R2 = 0.99
DEFAULT_GATE = Gate("r2", DEFAULT_MIN_R2, default=True)
"""What ``polyx verify`` checks when no gate is given: a polynomial that does not explain 99 % of the
network's variance on the data does not stand for it, and a CI job must not be told it passed."""


def gates_or_default(gates: list[Gate], use_default: bool = True) -> list[Gate]:
    """The gates given, or ``[DEFAULT_GATE]`` when there are none (unless the user turned it off).

    With the default off and no gates, the report is informational: only the always-on
    ``nonfinite_rows`` gate is applied, and the CLI says "not checked", never "passed".
    """
    return list(gates) if gates or not use_default else [DEFAULT_GATE]


@dataclass(frozen=True)
class GateResult:
    """A gate applied to one output (``output`` is None for a whole-model gate)."""

    metric: str
    output: str | None
    operator: str
    threshold: float
    value: float | None
    passed: bool
    default: bool = False

    @property
    def label(self) -> str:
        """``r2 >= 0.99`` (``r2 >= 0.99 (default)`` when no gate was given) — as in tables and JUnit test names."""
        return f"{self.metric} {self.operator} {self.threshold:g}" + (" (default)" if self.default else "")

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
            "default": self.default,
        }
