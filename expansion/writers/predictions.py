"""``polyx predict``: a polynomial's outputs (and each term's contribution) for every data row.

Rows stream through in chunks from the reader to the writer, so a file of any length needs
memory for one chunk only. The output format follows the output's extension: ``.parquet``/``.pq``
write Parquet, ``.arrow``/``.feather``/``.ipc`` an Arrow IPC file, anything else (and stdout) CSV.
CSV numbers are written with Python's shortest round-trip repr and Parquet/Arrow hold float64,
so every format holds exactly the values polyx computed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, TextIO

import numpy as np

from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.files import open_atomic
from polyx.tabular import DataTable

if TYPE_CHECKING:
    from polyx.expansion.analysis.input_models import InputModel

__all__ = ["PredictionResult", "prediction_header", "write_predictions", "output_format", "prediction_blocks"]

BLOCK_ELEMENTS = 1 << 20
_BINARY_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".arrow": "arrow", ".feather": "arrow", ".ipc": "arrow"}
Progress = Callable[[int, "int | None"], None]


def output_format(path: Path | None) -> str:
    """csv, parquet or arrow, from the output file's extension (stdout is CSV)."""
    return "csv" if path is None else _BINARY_FORMATS.get(path.suffix.lower(), "csv")


@dataclass(frozen=True)
class PredictionResult:
    """What was written: rows, rows skipped as invalid, columns, and the CSV columns used as inputs."""

    rows: int
    invalid_rows: int
    columns: int
    input_columns: list[str]


def prediction_header(poly: Polynomial, contributions: bool, shap: bool = False) -> list[str]:
    """Output names, then (with contributions) ``output:term`` for every term of every output, then
    (with shap) ``output:shap:variable`` for every variable and ``output:shap_base``.

    Terms are named in ASCII (``x1^2*x3``) so spreadsheet and dataframe tools read the header.
    """
    header = list(poly.outputs)
    if contributions:
        terms = poly.term_names(ascii=True)
        header += [f"{output}:{term}" for output in poly.outputs for term in terms]
    if shap:
        header += [f"{output}:shap:{variable}" for output in poly.outputs for variable in poly.variables]
        header += [f"{output}:shap_base" for output in poly.outputs]
    return header


def write_predictions(
    poly: Polynomial,
    table: DataTable,
    target: Path | TextIO,
    *,
    contributions: bool = False,
    progress: Progress | None = None,
    shap: "InputModel | None" = None,
) -> PredictionResult:
    """Write the predictions to a stream (CSV), or atomically to a file path (no half file on failure)
    in the format its extension names."""
    blocks = prediction_blocks(poly, table, contributions, progress, shap)
    header = prediction_header(poly, contributions, shap is not None)
    if not isinstance(target, Path):
        _write_csv(header, blocks, target)
    elif output_format(target) == "csv":
        with open_atomic(target) as stream:
            _write_csv(header, blocks, stream)
    else:
        with open_atomic(target, "wb") as stream:
            write_arrow(header, blocks, stream, output_format(target))
    return PredictionResult(table.total_rows, table.invalid_rows, len(header), table.input_names)


def _write_csv(header: list[str], blocks: Iterator[np.ndarray], stream: TextIO) -> None:
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(header)
    stream.write(line.getvalue())
    for block in blocks:
        stream.write("".join(",".join(map(repr, row)) + "\n" for row in block.tolist()))


def write_arrow(header: list[str], blocks: Iterator[np.ndarray], stream: object, format: str) -> None:
    """Stream float64 blocks into a Parquet file or an Arrow IPC file, one row group/batch per block."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(name, pa.float64()) for name in header])
    writer = pq.ParquetWriter(stream, schema) if format == "parquet" else pa.ipc.new_file(stream, schema)
    with writer:
        for block in blocks:
            columns = [pa.array(block[:, k]) for k in range(block.shape[1])]
            writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=schema))


def prediction_blocks(poly: Polynomial, table: DataTable, contributions: bool,
                      progress: Progress | None = None, shap: "InputModel | None" = None) -> Iterator[np.ndarray]:
    """The output rows, in blocks of about ``BLOCK_ELEMENTS`` numbers, as the table's chunks arrive."""
    width = len(poly.outputs) * (1 + (poly.n_terms if contributions else 0) + (len(poly.variables) + 1 if shap else 0))
    rows = max(1, BLOCK_ELEMENTS // width)
    total = table.progress_total if progress is not None else None
    for block in _blocks(poly, table, contributions, rows, shap):
        yield block
        if progress is not None:
            progress(table.progress_done, total)


def _blocks(poly: Polynomial, table: DataTable, contributions: bool, rows: int,
            shap: "InputModel | None" = None) -> Iterator[np.ndarray]:
    for inputs, _ in table.chunks():
        for start in range(0, inputs.shape[0], rows):
            x = inputs[start : start + rows]
            parts = [poly.evaluate(x)]
            if contributions:
                monomials = poly.monomials(x)
                parts += [monomials * c for c in poly.coefficients]
            if shap is not None:
                parts += _shapley_columns(poly, x, shap)
            yield parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)


def _shapley_columns(poly: Polynomial, x: np.ndarray, model: "InputModel") -> list[np.ndarray]:
    """The rows' exact Shapley values per output and variable (``polyx.expansion.analysis.importance``), then the base values."""
    from polyx.expansion.analysis.importance import shapley_values

    phi, base = shapley_values(poly, x, model)
    return [phi.reshape(x.shape[0], -1), np.broadcast_to(base, (x.shape[0], base.size))]
