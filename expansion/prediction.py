"""``polyx predict``: a polynomial's outputs (and each term's contribution) for every CSV row.

Rows stream through in chunks from the reader to the writer, so a file of any length needs
memory for one chunk only. Numbers are written with Python's shortest round-trip repr, so the
CSV holds exactly the float64 values polyx computed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, TextIO

import numpy as np

from polyx.expansion.polynomial import Polynomial
from polyx.files import open_atomic
from polyx.tabular import DataTable

__all__ = ["PredictionResult", "prediction_header", "write_predictions"]

BLOCK_ELEMENTS = 1 << 20


@dataclass(frozen=True)
class PredictionResult:
    """What was written: rows, rows skipped as invalid, columns, and the CSV columns used as inputs."""

    rows: int
    invalid_rows: int
    columns: int
    input_columns: list[str]


def prediction_header(poly: Polynomial, contributions: bool) -> list[str]:
    """Output names, then (with contributions) ``output:term`` for every term of every output.

    Terms are named in ASCII (``x1^2*x3``) so spreadsheet and dataframe tools read the header.
    """
    header = list(poly.outputs)
    if contributions:
        terms = poly.term_names(ascii=True)
        header += [f"{output}:{term}" for output in poly.outputs for term in terms]
    return header


def write_predictions(
    poly: Polynomial, table: DataTable, target: Path | TextIO, *, contributions: bool = False
) -> PredictionResult:
    """Write the prediction CSV to a stream, or atomically to a file path (no half file on failure)."""
    if isinstance(target, Path):
        with open_atomic(target) as stream:
            return _write(poly, table, stream, contributions)
    return _write(poly, table, target, contributions)


def _write(poly: Polynomial, table: DataTable, stream: TextIO, contributions: bool) -> PredictionResult:
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(prediction_header(poly, contributions))
    stream.write(header.getvalue())
    width = len(poly.outputs) * (1 + (poly.n_terms if contributions else 0))
    for block in _blocks(poly, table, contributions, max(1, BLOCK_ELEMENTS // width)):
        stream.write("".join(",".join(map(repr, row)) + "\n" for row in block.tolist()))
    return PredictionResult(table.total_rows, table.invalid_rows, width, table.input_names)


def _blocks(poly: Polynomial, table: DataTable, contributions: bool, rows: int) -> Iterator[np.ndarray]:
    for inputs, _ in table.chunks():
        for start in range(0, inputs.shape[0], rows):
            x = inputs[start : start + rows]
            if not contributions:
                yield poly.evaluate(x)
                continue
            monomials = poly.monomials(x)
            yield np.concatenate([poly.evaluate(x)] + [monomials * c for c in poly.coefficients], axis=1)
