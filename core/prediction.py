"""``polyx predict``'s library side: a polynomial artifact evaluated on every row of a data file.

The rows are matched to the polynomial's variables like every other data option (by name, else by
position, which the result reports), then streamed to the output by ``polyx.expansion.writers.predictions``
(CSV, Parquet or Arrow by the output's extension). With ``engine="dask"`` every Parquet partition
is evaluated on a Dask worker, which writes its own part of a partitioned Parquet output folder.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence, TextIO

from polyx.errors import DataError
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.writers.predictions import PredictionResult
from polyx.tabular import DataTable

if TYPE_CHECKING:
    from polyx.expansion.analysis.input_models import InputModel

__all__ = ["Prediction", "predict", "predict_partition"]


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
    progress: Callable[[int, "int | None"], None] | None = None,
    engine: str = "local",
    scheduler: str | None = None,
    shap: bool = False,
    background: str | Path | None = None,
    input_model: str = "empirical",
    layer: str | None = None,
) -> Prediction:
    """Load the artifact, choose the data's input columns for its variables, and write the predictions."""
    from polyx.expansion.polynomials.units import artifact_in_raw_units
    from polyx.expansion.writers.predictions import write_predictions
    from polyx.paths import check_paths
    from polyx.tabular import open_table

    if scheduler is not None and engine != "dask":
        raise DataError("`scheduler` names a Dask scheduler; add `engine` dask")
    if engine == "dask" and not isinstance(output, Path):
        raise DataError("`engine` dask writes a folder of Parquet files; give it as `output` FOLDER")
    if engine == "dask":
        _check_new_folder(output)  # type: ignore[arg-type]
    written = output if isinstance(output, Path) and engine != "dask" else None
    if (background is not None or input_model != "empirical") and not shap:
        raise DataError("`background` and `input_model` choose the Shapley values' input model; add `shap`")
    if shap and engine == "dask":
        raise DataError("`shap` runs on the local engine; drop `engine` dask")
    check_paths({"`output`": written}, {"polynomial": poly, "data": data, "`background`": background},
                folders=("data", "`background`"))
    polynomial = artifact_in_raw_units(_load(poly, layer))
    model = _shapley_model(polynomial, Path(background or data), input_model, columns, exclude) if shap else None
    table = open_table(data, expected_inputs=len(polynomial.variables), columns=columns or None, exclude=exclude,
                       target=target, variable_names=polynomial.variables, skip_invalid=skip_invalid)
    if engine == "dask":
        result = _predict_on_dask(polynomial, table, output, contributions, scheduler, progress)  # type: ignore[arg-type]
    else:
        result = write_predictions(polynomial, table, output, contributions=contributions, progress=progress, shap=model)
    return Prediction(result, table.matched_by_position)


def _shapley_model(polynomial: Polynomial, background: Path, kind: str, columns: Sequence[str] | None,
                   exclude: Sequence[str]) -> "InputModel":
    """The background distribution of v(S) = E[f(x_S, X_~S)]: the background file's rows (else the data's own)."""
    from polyx.interpretation import input_model

    return input_model(polynomial, background, kind, columns, exclude)


def _load(poly: str | Path, layer: str | None) -> Polynomial:
    """The artifact, or with ``layer`` one hidden layer's polynomial (from a ``--keep-layers`` file)."""
    from polyx.expansion.writers.artifact import load_polynomial
    from polyx.expansion.methods.hidden_layers import load_layer

    return load_polynomial(poly) if layer is None else load_layer(Path(poly), layer)


def _check_new_folder(output: Path) -> None:
    """The partitioned output is a new folder: an existing one (or file) is never replaced or mixed into."""
    if output.exists():
        raise DataError(f"{output}: already exists; `engine` dask writes a new folder, so remove it or choose another name")
    if not output.parent.is_dir():
        raise DataError(f"{output}: cannot write, folder '{output.parent}' does not exist; create it or choose another path")


def predict_partition(polynomial: Polynomial, table: DataTable, target: str, contributions: bool) -> tuple[int, int]:
    """One partition's predictions written to ``target`` (a Parquet file): the task a Dask worker runs.

    Returns (rows written, invalid rows skipped).
    """
    from polyx.expansion.writers.predictions import write_predictions

    result = write_predictions(polynomial, table, Path(target), contributions=contributions)
    return result.rows, result.invalid_rows


def _predict_on_dask(polynomial: Polynomial, table: DataTable, output: Path, contributions: bool,
                     scheduler: str | None, progress: Callable[[int, int], None] | None) -> PredictionResult:
    """part-NNNNN.parquet per input partition, written into a temporary folder renamed into place at the end,
    so a failed run leaves nothing behind. The folder must be on storage every worker writes to."""
    from polyx.distributed import map_partitions
    from polyx.expansion.writers.predictions import prediction_header
    from polyx.verification import _partitions

    parts = _partitions(table, "predict")
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent))
    try:
        arguments = [(polynomial, part, str(staging.resolve() / f"part-{index:05d}.parquet"), contributions)
                     for index, part in enumerate(parts)]
        counts = map_partitions(predict_partition, arguments, scheduler, progress)
        table.total_rows = sum(rows for rows, _ in counts)
        table.invalid_rows = sum(invalid for _, invalid in counts)
        table._check_not_empty()
        staging.chmod(0o777 & ~_umask())
        staging.rename(output)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return PredictionResult(table.total_rows, table.invalid_rows, len(prediction_header(polynomial, contributions)),
                            table.input_names)


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask
