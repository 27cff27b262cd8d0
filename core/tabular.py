"""CSV input for every command that reads data: column selection, validation, bounded-memory chunks.

One reader serves ``verify``, ``predict``, ``convert --data/--fit`` and the reference-point
options, so a malformed value, a NaN or a missing column produces the same message everywhere:
the file, the line, the column, and what to do.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from polyx.errors import DataError

__all__ = ["CsvTable", "open_table", "read_table"]

DEFAULT_CHUNK_ROWS = 65_536


@dataclass
class CsvTable:
    """A CSV file with its input (and optional target) columns chosen; iterate it in chunks.

    ``invalid_rows`` counts the rows dropped for NaN/Inf when ``skip_invalid`` is set; it is
    complete once iteration has finished. ``variables`` are the names the input columns stand
    for (a polynomial's variables), when the reader was given them.
    """

    path: Path
    header: list[str]
    input_columns: list[int]
    target_column: int | None = None
    skip_invalid: bool = False
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    variables: tuple[str, ...] = ()
    invalid_rows: int = field(default=0, init=False)
    total_rows: int = field(default=0, init=False)
    bytes_read: int = field(default=0, init=False)

    @property
    def input_names(self) -> list[str]:
        """Names of the input columns, in the order the model receives them."""
        return [self.header[i] for i in self.input_columns]

    @property
    def matched_by_position(self) -> list[tuple[str, str]]:
        """(column, variable) for every input column standing for a variable of another name.

        Columns named like the variables are matched by name; otherwise they are taken in order,
        which is right only if the file's order is the model's: every command tells the user.
        """
        return [(column, variable) for column, variable in zip(self.input_names, self.variables) if column != variable]

    def chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """Yield (inputs, target) float64 blocks of at most ``chunk_rows`` valid rows."""
        for inputs, target, _ in self.numbered_chunks():
            yield inputs, target

    def numbered_chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray | None, np.ndarray]]:
        """Like ``chunks``, plus each row's line number in the file, so later checks can name the line.

        ``bytes_read`` grows as the file is consumed (against ``path.stat().st_size`` it drives a
        progress bar).
        """
        self.invalid_rows = 0
        self.total_rows = 0
        self.bytes_read = 0
        with self.path.open("rb") as stream:
            self.bytes_read = len(next(stream))
            line_number = 2
            while True:
                raw = list(itertools.islice(stream, self.chunk_rows))
                if not raw:
                    break
                lines = _decoded_lines(self.path, raw, self.bytes_read)
                self.bytes_read += sum(map(len, raw))
                numbers = [line_number + i for i, line in enumerate(lines) if line.strip()]
                line_number += len(lines)
                if numbers:
                    data = [line for line in lines if line.strip()] if len(numbers) < len(lines) else lines
                    yield self._split(self._parse(data, numbers), numbers)
        if self.total_rows == 0:
            if self.invalid_rows:
                raise DataError(
                    f"{self.path}: all {self.invalid_rows} data rows hold NaN or Inf in a used column; "
                    "nothing is left to check, clean the data"
                )
            raise DataError(f"{self.path}: no data rows after the header; give a CSV with at least one row")

    def _parse(self, lines: list[str], numbers: list[int]) -> np.ndarray:
        """Fast C parse; on failure, a row-by-row pass finds the exact line and column to report."""
        try:
            block = np.loadtxt(lines, delimiter=",", dtype=np.float64, ndmin=2, quotechar='"')
            if block.shape == (len(lines), len(self.header)):
                return block
        except ValueError:
            pass
        self._locate_bad_value(lines, numbers)
        raise DataError(f"{self.path}, lines {numbers[0]}-{numbers[-1]}: cannot be read as numbers")

    def _locate_bad_value(self, lines: list[str], numbers: list[int]) -> None:
        width = len(self.header)
        for number, row in zip(numbers, csv.reader(lines)):
            if len(row) != width:
                raise DataError(
                    f"{self.path}, line {number}: {len(row)} fields but the header has {width}; "
                    "fix the row or the header"
                )
            for column, text in enumerate(row):
                try:
                    float(text)
                except ValueError:
                    raise DataError(
                        f"{self.path}, line {number}, column '{self.header[column]}': "
                        f"'{text}' is not a number; fix the value or drop the row"
                    ) from None

    def _split(self, block: np.ndarray, numbers: list[int]) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        used = self.input_columns + ([self.target_column] if self.target_column is not None else [])
        lines = np.asarray(numbers, dtype=np.int64)
        finite = np.isfinite(block[:, used]).all(axis=1)
        if not finite.all():
            if not self.skip_invalid:
                offset = int(np.flatnonzero(~finite)[0])
                column = next(c for c in used if not np.isfinite(block[offset, c]))
                raise DataError(
                    f"{self.path}, line {numbers[offset]}, column '{self.header[column]}': "
                    f"{block[offset, column]} is not a finite number; clean the data or pass --skip-invalid"
                )
            self.invalid_rows += int((~finite).sum())
            block = block[finite]
            lines = lines[finite]
        self.total_rows += block.shape[0]
        target = block[:, self.target_column] if self.target_column is not None else None
        return block[:, self.input_columns], target, lines

    def read(self) -> tuple[np.ndarray, np.ndarray | None]:
        """All valid rows at once: (inputs, target); for data sets that fit in memory."""
        parts = list(self.chunks())
        inputs = np.concatenate([p[0] for p in parts])
        target = np.concatenate([p[1] for p in parts]) if self.target_column is not None else None
        return inputs, target


def _not_utf8(path: Path, byte: int) -> DataError:
    return DataError(f"{path}: not UTF-8 text (byte {byte}); save the CSV as UTF-8")


def _decoded_lines(path: Path, raw: list[bytes], offset: int) -> list[str]:
    """Lines read as bytes (so progress counts bytes, as the file size does), decoded as UTF-8.

    The chunk is decoded in one piece, so an error names its byte offset in the file; lines are
    then split where the bytes were (a multi-byte character never contains a newline byte).
    """
    try:
        text = b"".join(raw).decode("utf-8")
    except UnicodeDecodeError as error:
        raise _not_utf8(path, offset + error.start) from None
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _read_header(path: Path) -> list[str]:
    from polyx.paths import require_input

    require_input(path, "data")
    if not path.is_file():
        raise DataError(f"{path}: no such data file; check the path")
    with path.open("rb") as stream:
        raw = stream.readline()
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    first = _decoded_lines(path, [raw[bom:]], bom)[0] if raw[bom:] else ""
    if not first.strip():
        raise DataError(f"{path}: the file is empty; a CSV with a header row and data rows is expected")
    header = [name.strip() for name in next(csv.reader(io.StringIO(first)))]
    if len(set(header)) != len(header):
        duplicated = sorted({name for name in header if header.count(name) > 1})
        raise DataError(f"{path}: duplicate column names {duplicated}; rename them")
    return header


def _column_index(path: Path, header: list[str], name: str, option: str) -> int:
    if name not in header:
        raise DataError(f"{path}: {option} column '{name}' not found; the columns are {', '.join(header)}")
    return header.index(name)


def open_table(
    path: str | Path,
    *,
    expected_inputs: int | None = None,
    columns: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    target: str | None = None,
    variable_names: Sequence[str] | None = None,
    skip_invalid: bool = False,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> CsvTable:
    """Choose the input columns of a CSV and check them against what the model expects.

    Inputs are ``columns`` in that order if given; else the columns named like the polynomial's
    variables when all of them are present and none is excluded; else every column but ``target``
    and ``exclude``. An excluded column is never an input: naming it in ``columns`` too is an error.
    """
    path = Path(path)
    header = _read_header(path)
    target_index = _column_index(path, header, target, "--target") if target is not None else None
    for name in exclude:
        _column_index(path, header, name, "--exclude")
    skipped = set(exclude) | ({target} if target else set())
    if columns:
        twice = [name for i, name in enumerate(columns) if name in columns[:i]]
        if twice:
            raise DataError(f"{path}: column '{twice[0]}' is given twice to --columns; each input needs its own column")
        both = [name for name in columns if name in set(exclude)]
        if both:
            raise DataError(f"{path}: column '{both[0]}' is given to both --columns and --exclude; keep it in one of them")
        chosen = [_column_index(path, header, name, "--columns") for name in columns]
    elif variable_names and all(name in header for name in variable_names) and not skipped & set(variable_names):
        chosen = [header.index(name) for name in variable_names]
    else:
        chosen = [i for i, name in enumerate(header) if name not in skipped]
    if not chosen:
        raise DataError(f"{path}: no input columns are left after --exclude/--target (the columns are "
                        f"{', '.join(header)}); exclude fewer columns")
    if expected_inputs is not None and len(chosen) != expected_inputs:
        found = ", ".join(header[i] for i in chosen)
        removed = sorted(skipped & set(variable_names or ()))
        why = f"; {', '.join(removed)}, named like the model's inputs, {'is' if len(removed) == 1 else 'are'} excluded" if removed else ""
        raise DataError(
            f"{path}: the model expects {expected_inputs} input columns but found {len(chosen)} ({found}){why}; "
            "choose them with --columns or drop extras with --exclude/--target"
        )
    return CsvTable(path, header, chosen, target_index, skip_invalid, chunk_rows, tuple(variable_names or ()))


def read_table(path: str | Path, **options: object) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Read a whole CSV: (inputs, target, input names). Options as for ``open_table``."""
    table = open_table(path, **options)  # type: ignore[arg-type]
    inputs, target = table.read()
    return inputs, target, table.input_names
