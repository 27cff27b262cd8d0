"""The same rows written in every format polyx reads: CSV, one Parquet file, a folder of Parquet
partitions, a glob, Feather (Arrow IPC file) and an Arrow IPC stream. Values are float64 written
exactly (CSV with 17 significant digits), so every format holds the same numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq

from test_verify import write_csv


def arrow_table(header: list[str], rows: np.ndarray) -> pa.Table:
    return pa.table({name: rows[:, k] for k, name in enumerate(header)})


def write_parquet(path: Path, header: list[str], rows: np.ndarray, row_group_size: int | None = None) -> Path:
    pq.write_table(arrow_table(header, rows), path, row_group_size=row_group_size)
    return path


def write_partitions(folder: Path, header: list[str], rows: np.ndarray, cuts: list[int]) -> Path:
    """``rows`` split at ``cuts`` into part-000.parquet, part-001.parquet, … (a Hive-style bookkeeping file too)."""
    folder.mkdir()
    bounds = [0, *cuts, rows.shape[0]]
    for index, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:])):
        write_parquet(folder / f"part-{index:03d}.parquet", header, rows[start:stop])
    (folder / "_SUCCESS").write_text("")
    return folder


def write_feather(path: Path, header: list[str], rows: np.ndarray, chunksize: int | None = None) -> Path:
    feather.write_feather(arrow_table(header, rows), path, chunksize=chunksize)
    return path


def write_arrow_stream(path: Path, header: list[str], rows: np.ndarray) -> Path:
    table = arrow_table(header, rows)
    with pa.ipc.new_stream(path, table.schema) as writer:
        writer.write_table(table, max_chunksize=333)
    return path


def every_format(folder: Path, header: list[str], rows: np.ndarray) -> dict[str, tuple[str, int]]:
    """name → (DATA argument, offset of its row numbers from a CSV line: 1 for the header line, else 0)."""
    write_csv(folder / "data.csv", header, rows)
    write_parquet(folder / "data.parquet", header, rows, row_group_size=300)
    third = rows.shape[0] // 3
    write_partitions(folder / "parts", header, rows, [third, 2 * third + 7])
    write_feather(folder / "data.feather", header, rows, chunksize=500)
    write_arrow_stream(folder / "data.arrows", header, rows)
    return {
        "csv": ("data.csv", 1),
        "parquet": ("data.parquet", 0),
        "folder": ("parts", 0),
        "glob": ("parts/part-*.parquet", 0),
        "feather": ("data.feather", 0),
        "arrow-stream": ("data.arrows", 0),
    }
