"""``polyx predict``'s library side: a polynomial artifact evaluated on every row of a CSV.

The rows are matched to the polynomial's variables like every other CSV option (by name, else by
position, which the result reports), then streamed to a CSV by ``polyx.expansion.prediction``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence, TextIO

from polyx.expansion.prediction import PredictionResult

__all__ = ["Prediction", "predict"]


@dataclass(frozen=True)
class Prediction:
    """What was written, and the (column, variable) pairs that were matched by position."""

    result: PredictionResult
    matched_by_position: list[tuple[str, str]]


def predict(
    poly: str | Path,
    data: str | Path,
    output: Path | TextIO,
    *,
    contributions: bool = False,
    columns: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    target: str | None = None,
    skip_invalid: bool = False,
) -> Prediction:
    """Load the artifact, choose the CSV's input columns for its variables, and write the predictions."""
    from polyx.expansion.artifact import load_polynomial
    from polyx.expansion.prediction import write_predictions
    from polyx.paths import check_paths
    from polyx.tabular import open_table

    check_paths({"-o": output if isinstance(output, Path) else None}, {"polynomial": poly, "data": data})
    polynomial = load_polynomial(poly)
    table = open_table(data, expected_inputs=len(polynomial.variables), columns=columns or None, exclude=exclude,
                       target=target, variable_names=polynomial.variables, skip_invalid=skip_invalid)
    return Prediction(write_predictions(polynomial, table, output, contributions=contributions), table.matched_by_position)
