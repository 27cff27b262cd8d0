"""Data input for every command that reads rows: column selection, validation, bounded-memory chunks.

One reader serves ``verify``, ``predict``, ``convert --data/--fit`` and the reference-point
options, so a malformed value, a NaN or a missing column produces the same message everywhere:
the file, the line (CSV) or row (Parquet, Arrow), the column, and what to do.

The format is read from the file's first bytes, never from its name: Parquet starts with
``PAR1``, an Arrow IPC file (Feather v2) with ``ARROW1``, an Arrow IPC stream with the
continuation marker ``FF FF FF FF``; anything else is read as CSV. A folder or a glob of Parquet
files is one dataset, its files read in sorted order. Every format is streamed: CSV in blocks of
lines, Parquet by record batches within row groups, Arrow by record batches, so memory holds
one chunk whatever the size of the data.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import glob
import io
import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

from polyx.errors import DataError

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["DataTable", "CsvTable", "ArrowTable", "DataSource", "resolve_data_path", "open_table", "read_table"]

DEFAULT_CHUNK_ROWS = 65_536
FORMATS = ("csv", "parquet", "arrow-file", "arrow-stream")
_MAGIC = ((b"PAR1", "parquet"), (b"ARROW1", "arrow-file"), (b"\xff\xff\xff\xff", "arrow-stream"))
_GLOB_CHARACTERS = set("*?[")


@dataclass(frozen=True)
class DataSource:
    """Where rows come from: the path as given, the format its bytes say, and the files in read order.

    A single file is one file; a folder or a glob of Parquet files is one dataset whose files are
    read in sorted path order, so row numbers (and a report's worst row) are reproducible.
    """

    path: Path
    format: str
    files: tuple[Path, ...]


def sniff_format(path: Path) -> str:
    """The format a file's first bytes announce (CSV when none does): names and extensions lie."""
    try:
        with path.open("rb") as stream:
            head = stream.read(8)
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror or error}); check the path and its permissions") from None
    if head.startswith(b"FEA1"):
        raise DataError(f"{path}: a Feather v1 file, which polyx does not read; save it again as Feather v2 or Parquet")
    return next((name for magic, name in _MAGIC if head.startswith(magic)), "csv")


def _dataset_files(path: Path) -> list[Path]:
    """The data files of a folder, recursively (Hive ``key=value`` folders included), in sorted order.

    Names starting with ``_`` or ``.`` are skipped: Spark's ``_SUCCESS``, ``_metadata`` and
    hidden files are bookkeeping, not rows.
    """
    return sorted(
        file for file in path.rglob("*")
        if file.is_file() and not any(part.startswith(("_", ".")) for part in file.relative_to(path).parts)
    )


def resolve_data_path(path: str | Path) -> DataSource:
    """The one place a data argument becomes files: a regular file, a folder of Parquet files, or a glob.

    Every command that reads rows goes through here, so what counts as data (and every message
    about a path that is not) is the same everywhere. Anything that is not a regular file, a
    folder or a glob matching files (a FIFO, a device) is refused: it cannot be read twice.
    """
    path = Path(path)
    if path.is_dir():
        files, where = _dataset_files(path), f"the folder {path}"
    elif path.exists():
        if not path.is_file():
            raise DataError(f"{path}: not a regular file; save the data to a file and pass its path")
        return DataSource(path, sniff_format(path), (path,))
    elif _GLOB_CHARACTERS & set(str(path)):
        files, where = sorted(Path(name) for name in glob.glob(str(path), recursive=True) if Path(name).is_file()), f"the pattern {path}"
    else:
        raise DataError(f"{path}: no such data file; check the path")
    if not files:
        raise DataError(f"{path}: no data files in {where}; a folder or glob must hold Parquet files")
    if len(files) == 1 and not path.is_dir():
        return DataSource(path, sniff_format(files[0]), (files[0],))
    for file in files:
        if sniff_format(file) != "parquet":
            raise DataError(
                f"{file}: part of {where} but not a Parquet file; a folder or glob is read as one Parquet "
                "dataset, so move other files out of it"
            )
    return DataSource(path, "parquet", tuple(files))


@dataclass
class DataTable:
    """Rows of a data file with their input (and optional target) columns chosen; iterate in chunks.

    ``invalid_rows`` counts the rows dropped for NaN/Inf when ``skip_invalid`` is set; it is
    complete once iteration has finished. ``variables`` are the names the input columns stand
    for (a polynomial's variables), when the reader was given them. Row numbers (``lines``) are
    the CSV line, or the 1-based row of a Parquet/Arrow dataset.
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

    format = "csv"
    progress_unit = "bytes"

    @property
    def input_names(self) -> list[str]:
        """Names of the input columns, in the order the model receives them."""
        return [self.header[i] for i in self.input_columns]

    @property
    def used_columns(self) -> list[int]:
        """The columns read: the inputs, then the target if there is one."""
        return self.input_columns + ([self.target_column] if self.target_column is not None else [])

    @property
    def matched_by_position(self) -> list[tuple[str, str]]:
        """(column, variable) for every input column standing for a variable of another name.

        Columns named like the variables are matched by name; otherwise they are taken in order,
        which is right only if the file's order is the model's: every command tells the user.
        """
        return [(column, variable) for column, variable in zip(self.input_names, self.variables) if column != variable]

    @property
    def progress_total(self) -> int | None:
        """The size a progress bar fills up to, in ``progress_unit`` (None when unknown)."""
        return None

    @property
    def progress_done(self) -> int:
        """How much of ``progress_total`` has been read."""
        return 0

    def where(self, line: int) -> str:
        """'FILE, line N' (or 'row N'): how messages point at one row."""
        return f"{self.path}, line {line}"

    def chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """Yield (inputs, target) float64 blocks of at most ``chunk_rows`` valid rows."""
        for inputs, target, _ in self.numbered_chunks():
            yield inputs, target

    def numbered_chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray | None, np.ndarray]]:
        """Like ``chunks``, plus each row's number (CSV line or dataset row), so later checks can name it."""
        raise NotImplementedError

    def _split(self, block: np.ndarray, lines: np.ndarray,
               missing: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """(inputs, target, lines) of a block holding ``used_columns`` in order; NaN/Inf refused or dropped.

        ``missing`` marks the cells that were null in the file (read as NaN), so the message says so.
        """
        used = self.used_columns
        finite = np.isfinite(block).all(axis=1)
        if not finite.all():
            if not self.skip_invalid:
                offset = int(np.flatnonzero(~finite)[0])
                column = next(c for c in range(block.shape[1]) if not np.isfinite(block[offset, c]))
                value = "a missing value (null)" if missing is not None and missing[offset, column] else block[offset, column]
                raise DataError(
                    f"{self.where(int(lines[offset]))}, column '{self.header[used[column]]}': "
                    f"{value} is not a finite number; clean the data or pass `skip_invalid`"
                )
            self.invalid_rows += int((~finite).sum())
            block = block[finite]
            lines = lines[finite]
        self.total_rows += block.shape[0]
        width = len(self.input_columns)
        target = block[:, width] if self.target_column is not None else None
        return block[:, :width], target, lines

    def _check_not_empty(self) -> None:
        if self.total_rows == 0:
            if self.invalid_rows:
                raise DataError(
                    f"{self.path}: all {self.invalid_rows} data rows hold NaN or Inf in a used column; "
                    "nothing is left to check, clean the data"
                )
            raise DataError(f"{self.path}: no data rows after the header; give a file with at least one row")

    def read(self) -> tuple[np.ndarray, np.ndarray | None]:
        """All valid rows at once: (inputs, target); for data sets that fit in memory.

        Always C-ordered, whatever the chunks were, so a mean over the rows sums in the same order
        (and gives the same last bit) for every format.
        """
        parts = list(self.chunks())
        inputs = np.ascontiguousarray(parts[0][0] if len(parts) == 1 else np.concatenate([p[0] for p in parts]))
        target = np.concatenate([p[1] for p in parts]) if self.target_column is not None else None
        return inputs, target


@dataclass
class CsvTable(DataTable):
    """A CSV file, read in blocks of lines; progress is counted in bytes against the file size."""

    bytes_read: int = field(default=0, init=False)

    @property
    def progress_total(self) -> int | None:
        """The file size in bytes."""
        return self.path.stat().st_size

    @property
    def progress_done(self) -> int:
        """Bytes consumed so far."""
        return self.bytes_read

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
                    block = self._parse(data, numbers)
                    if self.used_columns != list(range(block.shape[1])):
                        block = block[:, self.used_columns]  # a copy: only when some columns are left out or reordered
                    yield self._split(block, np.asarray(numbers, dtype=np.int64))
        self._check_not_empty()

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


@dataclass
class ArrowTable(DataTable):
    """A Parquet file or dataset, or an Arrow IPC file/stream, read by record batches through pyarrow.

    Only the used columns are read. Row numbers run over the whole dataset from ``first_row + 1``
    (a partition handed to a worker keeps its place in the dataset), and messages name the file
    and its own row. Progress is counted in rows when the files say how many they hold.
    """

    source: DataSource = field(default=None)  # type: ignore[assignment]
    first_row: int = 0
    require_rows: bool = True
    rows_read: int = field(default=0, init=False)
    _starts: list[tuple[int, Path]] = field(default_factory=list, init=False, repr=False)

    progress_unit = "rows"

    @property
    def format(self) -> str:  # type: ignore[override]
        """parquet, arrow-file or arrow-stream."""
        return self.source.format

    @property
    def progress_total(self) -> int | None:
        """Rows in the dataset, from the Parquet footers or the Arrow file's batches (None for a stream)."""
        if self.format == "arrow-stream":
            return None
        return sum(_row_count(file, self.format) for file in self.source.files)

    @property
    def progress_done(self) -> int:
        """Rows read so far."""
        return self.rows_read

    def where(self, line: int) -> str:
        """'FILE, row N', N counted within the file that holds the dataset's row ``line``."""
        index = bisect.bisect_left([start for start, _ in self._starts], line) - 1
        start, file = self._starts[max(index, 0)] if self._starts else (self.first_row, self.path)
        return f"{file}, row {line - start}"

    def partitions(self) -> list["ArrowTable"]:
        """One table per Parquet file, each knowing where its rows start: the units a cluster works on.

        Files are read by absolute path (a worker's working folder is not ours); messages still name
        them as the user did.
        A partition may hold no valid rows; whether the whole dataset does is checked after merging.
        """
        tables, start = [], self.first_row
        for file in self.source.files:
            resolved = file.resolve()
            part = replace(self, path=file, source=DataSource(file, self.format, (resolved,)), first_row=start,
                           require_rows=False)
            tables.append(part)
            start += _row_count(file, self.format)
        return tables

    def numbered_chunks(self) -> Iterator[tuple[np.ndarray, np.ndarray | None, np.ndarray]]:
        """Like ``chunks``, plus each row's 1-based number in the dataset."""
        self.invalid_rows = 0
        self.total_rows = 0
        self.rows_read = 0
        self._starts = []
        names = [self.header[i] for i in self.used_columns]
        row = self.first_row
        for file in self.source.files:
            self._starts.append((row, file if len(self.source.files) > 1 else self.path))
            for batch in _batches(file, self.format, names, self.chunk_rows):
                count = batch.num_rows
                if count == 0:
                    continue
                block = _float_block(batch, file)
                numbers = np.arange(row + 1, row + count + 1, dtype=np.int64)
                row += count
                self.rows_read = row - self.first_row
                yield self._split(block, numbers, _null_cells(batch))
        if self.require_rows:
            self._check_not_empty()


def _arrow_error(file: Path, error: Exception, kind: str) -> DataError:
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return DataError(f"{file}: cannot be read as {kind} ({first}); check that the file is complete and not corrupted")


_KIND = {"parquet": "Parquet", "arrow-file": "an Arrow IPC file", "arrow-stream": "an Arrow IPC stream"}


def _schema(file: Path, format: str) -> "pa.Schema":
    """The column names and types of one file, read from its footer or first message only."""
    import pyarrow as pa
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    try:
        if format == "parquet":
            return pq.read_schema(file)
        if format == "arrow-file":
            return ipc.open_file(pa.memory_map(str(file))).schema
        return ipc.open_stream(pa.memory_map(str(file))).schema
    except (pa.ArrowException, OSError) as error:
        raise _arrow_error(file, error, _KIND[format]) from None


def _row_count(file: Path, format: str) -> int:
    """Rows in a Parquet file (footer) or an Arrow IPC file (batch headers), without reading the data."""
    import pyarrow as pa
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    try:
        if format == "parquet":
            return pq.ParquetFile(file).metadata.num_rows
        reader = ipc.open_file(pa.memory_map(str(file)))
        return sum(reader.get_batch(i).num_rows for i in range(reader.num_record_batches))
    except (pa.ArrowException, OSError) as error:
        raise _arrow_error(file, error, _KIND[format]) from None


def _batches(file: Path, format: str, names: list[str], chunk_rows: int) -> Iterator["pa.RecordBatch"]:
    """Record batches of the named columns, at most ``chunk_rows`` rows each: one chunk in memory at a time."""
    import pyarrow as pa
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    _check_columns(file, _schema(file, format), names)
    try:
        if format == "parquet":
            yield from pq.ParquetFile(file).iter_batches(batch_size=chunk_rows, columns=names, use_threads=False)
            return
        source = pa.memory_map(str(file))
        if format == "arrow-file":
            reader = ipc.open_file(source)
            batches: Iterator[pa.RecordBatch] = (reader.get_batch(i) for i in range(reader.num_record_batches))
        else:
            batches = iter(ipc.open_stream(source))
        for batch in batches:
            batch = batch.select(names)
            for start in range(0, batch.num_rows, chunk_rows):
                yield batch.slice(start, chunk_rows)
    except (pa.ArrowException, OSError) as error:
        raise _arrow_error(file, error, _KIND[format]) from None


def _check_columns(file: Path, schema: "pa.Schema", names: list[str]) -> None:
    """Every used column present (a dataset's files can differ) and numeric."""
    import pyarrow as pa

    for name in names:
        if schema.get_field_index(name) < 0:
            raise DataError(f"{file}: column '{name}' not found; the columns are {', '.join(schema.names)}")
        kind = schema.field(name).type
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
                or pa.types.is_decimal(kind)):
            raise DataError(
                f"{file}: column '{name}' holds {kind}, not numbers; "
                "choose numeric input columns with `columns` or leave it out with `exclude`"
            )


def _null_cells(batch: "pa.RecordBatch") -> np.ndarray | None:
    """Which cells are null, when any is (None otherwise: the common case costs nothing)."""
    if not any(column.null_count for column in batch.columns):
        return None
    return np.column_stack([column.is_null().to_numpy(zero_copy_only=False) for column in batch.columns])


def _float_block(batch: "pa.RecordBatch", file: Path) -> np.ndarray:
    """The batch as a C-ordered float64 (rows, columns) array; nulls become NaN, so they are invalid rows like NaN.

    Columns are filled into a Fortran-ordered block (each a contiguous copy) and the block is
    transposed to C order in one pass: three times faster than filling strided C columns.
    """
    import pyarrow as pa

    block = np.empty((batch.num_rows, batch.num_columns), order="F")
    for index, column in enumerate(batch.columns):
        try:
            values = column.cast(pa.float64())
        except pa.ArrowException as error:
            raise _arrow_error(file, error, "numbers") from None
        block[:, index] = values.to_numpy(zero_copy_only=False)
    return np.ascontiguousarray(block)


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
    with path.open("rb") as stream:
        raw = stream.readline()
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    first = _decoded_lines(path, [raw[bom:]], bom)[0] if raw[bom:] else ""
    if not first.strip():
        raise DataError(f"{path}: the file is empty; a CSV with a header row and data rows is expected")
    return _unique([name.strip() for name in next(csv.reader(io.StringIO(first)))], path)


def _unique(header: list[str], path: Path) -> list[str]:
    """The column names, refused when one repeats: matching by name would be ambiguous."""
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
) -> DataTable:
    """Choose the input columns of a data file or dataset and check them against what the model expects.

    The format is read from the content (see ``resolve_data_path``). Inputs are ``columns`` in
    that order if given; else the columns named like the polynomial's variables when all of them
    are present and none is excluded; else every column but ``target`` and ``exclude``. An
    excluded column is never an input: naming it in ``columns`` too is an error.
    """
    source = resolve_data_path(path)
    path = source.path
    if source.format == "csv":
        path = source.files[0]
        header = _read_header(path)
    else:
        header = _unique(list(_schema(source.files[0], source.format).names), source.files[0])
    target_index = _column_index(path, header, target, "`target`") if target is not None else None
    for name in exclude:
        _column_index(path, header, name, "`exclude`")
    skipped = set(exclude) | ({target} if target else set())
    if columns:
        twice = [name for i, name in enumerate(columns) if name in columns[:i]]
        if twice:
            raise DataError(f"{path}: column '{twice[0]}' is given twice to `columns`; each input needs its own column")
        both = [name for name in columns if name in set(exclude)]
        if both:
            raise DataError(f"{path}: column '{both[0]}' is given to both `columns` and `exclude`; keep it in one of them")
        chosen = [_column_index(path, header, name, "`columns`") for name in columns]
    elif variable_names and all(name in header for name in variable_names) and not skipped & set(variable_names):
        chosen = [header.index(name) for name in variable_names]
    else:
        chosen = [i for i, name in enumerate(header) if name not in skipped]
    if not chosen:
        raise DataError(f"{path}: no input columns are left after `exclude`/`target` (the columns are "
                        f"{', '.join(header)}); exclude fewer columns")
    if expected_inputs is not None and len(chosen) != expected_inputs:
        found = ", ".join(header[i] for i in chosen)
        removed = sorted(skipped & set(variable_names or ()))
        why = f"; {', '.join(removed)}, named like the model's inputs, {'is' if len(removed) == 1 else 'are'} excluded" if removed else ""
        raise DataError(
            f"{path}: the model expects {expected_inputs} input columns but found {len(chosen)} ({found}){why}; "
            "choose them with `columns` or drop extras with `exclude`/`target`"
        )
    settings = (path, header, chosen, target_index, skip_invalid, chunk_rows, tuple(variable_names or ()))
    if source.format == "csv":
        return CsvTable(*settings)
    return ArrowTable(*settings, source=source)


def read_table(path: str | Path, **options: object) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
    """Read a whole data file: (inputs, target, input names). Options as for ``open_table``."""
    table = open_table(path, **options)  # type: ignore[arg-type]
    inputs, target = table.read()
    return inputs, target, table.input_names
