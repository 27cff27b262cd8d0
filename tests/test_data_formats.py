"""Every command that reads data reads CSV, Parquet (file, folder, glob) and Arrow IPC alike, chosen
by content, streamed in bounded chunks; and gives the same numbers whatever the format.

The oracle for "the same numbers" is the CSV path, which tests/test_verify*.py check against
numpy and onnxruntime on whole arrays; here every other format must give exactly what it gives
(the rows are the same float64 values, read in the same order).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from datasets import every_format, write_parquet, write_partitions
from oracles import explicit_values, one_error_line
from polyx import save_polynomial
from polyx.cli.main import cli
from polyx.errors import DataError
from polyx.tabular import open_table, resolve_data_path
from test_verify_cli import DATA, MODEL, fitted

HEADER = ["x1", "x2", "x3", "x4", "y"]
ROWS = np.loadtxt(DATA, delimiter=",", skiprows=1)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[str, int]]:
    shutil.copy(MODEL, tmp_path / "model.onnx")
    save_polynomial(fitted(tmp_path / "model.onnx", 3), tmp_path / "model.poly.json")
    monkeypatch.chdir(tmp_path)
    return every_format(tmp_path, HEADER, ROWS)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def verify_json(data: str, *extra: str) -> dict:
    result = run("verify", data, "--target", "y", "--json", "--min-r2", "0.9", *extra)
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def comparable(report: dict, line_offset: int) -> dict:
    """The report without what names the file or times the run; rows numbered as CSV lines."""
    report = json.loads(json.dumps(report))
    for block in [report["outputs"], report["target"]["network"], report["target"]["polynomial"]]:
        for metrics in block if isinstance(block, list) else [block]:
            metrics["worst_line"] += 1 - line_offset
    for key in ("path", "format"):
        report["data"].pop(key, None)
    report["polynomial"].pop("path", None)
    report.pop("seconds")
    return report


def assert_same_report(report: dict, expected: dict) -> None:
    """Equal in every count, name, row and verdict; metrics equal to 1e-12 relative.

    Chunks end at different rows in different formats (a Parquet row group ends a batch), and the
    compensated sums then round differently in the last bits; nothing else may differ.
    """
    flat, reference = _flatten(report), _flatten(expected)
    assert flat.keys() == reference.keys()
    for key, value in reference.items():
        if isinstance(value, float) and not isinstance(value, bool):
            assert flat[key] == pytest.approx(value, rel=1e-12, abs=1e-15), key
        else:
            assert flat[key] == value, key


def _flatten(value: object, prefix: str = "") -> dict:
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flatten(item, f"{prefix}/{key}").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in _flatten(item, f"{prefix}/{i}").items()}
    return {prefix: value}


@pytest.mark.parametrize("name", ["parquet", "folder", "glob", "feather", "arrow-stream"])
def test_verify_gives_the_csv_report_for_every_format(project: dict, name: str) -> None:
    expected = comparable(verify_json("data.csv", "--chunk-rows", "128"), 1)
    data, offset = project[name]
    report = verify_json(data, "--chunk-rows", "128")
    assert_same_report(comparable(report, offset), expected)
    assert report["data"]["format"] == ("csv" if name == "csv" else "arrow-stream" if name == "arrow-stream"
                                        else "arrow-file" if name == "feather" else "parquet")


def test_the_format_is_read_from_the_content_not_the_name(project: dict) -> None:
    shutil.copy("data.parquet", "looks_like.csv")
    shutil.copy("data.csv", "looks_like.parquet")
    assert resolve_data_path("looks_like.csv").format == "parquet"
    assert resolve_data_path("looks_like.parquet").format == "csv"
    assert resolve_data_path("data.feather").format == "arrow-file"
    assert_same_report(comparable(verify_json("looks_like.csv"), 0), comparable(verify_json("looks_like.parquet"), 1))


def test_parquet_is_streamed_in_chunks_of_at_most_chunk_rows(project: dict) -> None:
    table = open_table("data.parquet", expected_inputs=4, target="y", chunk_rows=64)
    sizes, numbers = [], []
    for inputs, target, lines in table.numbered_chunks():
        sizes.append(inputs.shape[0])
        numbers.append(lines)
        assert target is not None and target.shape == (inputs.shape[0],)
    assert max(sizes) <= 64 and sum(sizes) == ROWS.shape[0]
    np.testing.assert_array_equal(np.concatenate(numbers), np.arange(1, ROWS.shape[0] + 1))
    assert table.progress_total == ROWS.shape[0] == table.progress_done


def test_only_the_used_columns_are_read_and_names_match_in_any_order(tmp_path: Path) -> None:
    """Columns are matched by name, so a file with them shuffled and a text column gives the same inputs."""
    table = pa.table({"note": ["r"] * 5, "y": ROWS[:5, 4], "x3": ROWS[:5, 2], "x1": ROWS[:5, 0],
                      "x4": ROWS[:5, 3], "x2": ROWS[:5, 1]})
    pq.write_table(table, tmp_path / "shuffled.parquet")
    opened = open_table(tmp_path / "shuffled.parquet", expected_inputs=4, target="y", exclude=["note"],
                        variable_names=["x1", "x2", "x3", "x4"])
    inputs, target = opened.read()
    np.testing.assert_array_equal(inputs, ROWS[:5, :4])
    np.testing.assert_array_equal(target, ROWS[:5, 4])


def columns_of(table: pa.Table) -> np.ndarray:
    return np.column_stack([column.to_numpy() for column in table.columns])


def test_predict_writes_parquet_and_arrow_holding_exactly_the_csv_values(project: dict) -> None:
    """Same rows in the same chunks: every output format holds bit-identical values. Other inputs
    (partitions, Feather batches) cut the chunks elsewhere, and BLAS may round a row's sum
    differently in a block of another size: equal to 1e-12 relative."""
    for data, output in [("data.csv", "out.csv"), ("data.csv", "same.parquet"), ("data.csv", "same.arrow"),
                         ("parts", "out.parquet"), ("data.feather", "out.feather")]:
        result = run("predict", "model.poly.json", data, "--target", "y", "-o", output, "--contributions")
        assert result.exit_code == 0, result.output + result.stderr
    csv_values = np.loadtxt("out.csv", delimiter=",", skiprows=1)
    header = open("out.csv").readline().strip().split(",")
    for exact in (pq.read_table("same.parquet"), pa.ipc.open_file("same.arrow").read_all()):
        assert exact.column_names == header
        np.testing.assert_array_equal(columns_of(exact), csv_values)
    for table in (pq.read_table("out.parquet"), pa.ipc.open_file("out.feather").read_all()):
        assert table.column_names == header
        np.testing.assert_allclose(columns_of(table), csv_values, rtol=1e-12, atol=1e-15)
    poly = fitted(Path("model.onnx"), 3)
    np.testing.assert_allclose(csv_values[:, 0], explicit_values(poly.exponents, poly.coefficients, ROWS[:, :4])[:, 0],
                               rtol=1e-12, atol=1e-12)


def test_convert_reads_parquet_for_at_row_and_at_mean(project: dict) -> None:
    outputs = {}
    for data in ("data.csv", "data.parquet"):
        name = f"{Path(data).suffix[1:]}"
        for option, value in (("--at-row", f"{data}:7"), ("--at-mean", data)):
            result = run("convert", "model.onnx", "--method", "taylor", "--order", "2", option, value, "--exclude", "y",
                         "-o", f"{name}{option}.poly.json")
            assert result.exit_code == 0, result.output + result.stderr
            outputs[(name, option)] = json.loads(Path(f"{name}{option}.poly.json").read_text())["method"]["at"]
    assert outputs[("csv", "--at-row")] == outputs[("parquet", "--at-row")] == list(ROWS[6, :4])
    assert outputs[("csv", "--at-mean")] == outputs[("parquet", "--at-mean")]


@pytest.fixture
def data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(MODEL, tmp_path / "model.onnx")
    save_polynomial(fitted(tmp_path / "model.onnx", 3), tmp_path / "model.poly.json")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_null_in_a_partition_is_named_by_file_and_row_or_skipped(data_folder: Path) -> None:
    write_partitions(Path("parts"), HEADER, ROWS[:30], [10, 20])
    x3 = pa.array([None if i == 7 else v for i, v in enumerate(ROWS[10:20, 2])], type=pa.float64())
    pq.write_table(pq.read_table("parts/part-001.parquet").set_column(2, "x3", x3), "parts/part-001.parquet")
    message = one_error_line(run("verify", "parts", "--target", "y"))
    assert "parts/part-001.parquet, row 8, column 'x3': a missing value (null) is not a finite number" in message
    result = run("verify", "parts", "--target", "y", "--skip-invalid", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["data"]["invalid_rows_skipped"] == 1


def test_a_nan_in_a_later_partition_is_named_by_its_own_row(data_folder: Path) -> None:
    rows = ROWS[:30].copy()
    rows[20, 2] = np.nan
    write_partitions(Path("parts"), HEADER, rows, [10, 20])
    message = one_error_line(run("verify", "parts", "--target", "y"))
    assert "parts/part-002.parquet, row 1, column 'x3': nan is not a finite number" in message


BAD = [
    ("truncated.parquet", lambda: Path("truncated.parquet").write_bytes(Path("good.parquet").read_bytes()[:300]),
     "truncated.parquet: cannot be read as Parquet"),
    ("text.parquet", lambda: pq.write_table(pa.table({"x1": ["a"], "x2": [1.0], "x3": [1.0], "x4": [1.0], "y": [1.0]}),
                                            "text.parquet"),
     "text.parquet: column 'x1' holds string, not numbers"),
    ("mixed", lambda: (write_partitions(Path("mixed"), HEADER, ROWS[:20], [10]), shutil.copy(DATA, "mixed/extra.csv")),
     "mixed/extra.csv: part of the folder mixed but not a Parquet file"),
    ("empty", lambda: Path("empty").mkdir(), "empty: no data files in the folder empty"),
    ("nothing-*.parquet", lambda: None, "nothing-*.parquet: no data files in the pattern"),
    ("differ", lambda: (write_partitions(Path("differ"), HEADER, ROWS[:20], [10]),
                        write_parquet(Path("differ/part-001.parquet"), ["x1", "x2", "z", "x4", "y"], ROWS[10:20])),
     "differ/part-001.parquet: column 'x3' not found"),
    ("v1.feather", lambda: Path("v1.feather").write_bytes(b"FEA1" + bytes(100)), "v1.feather: a Feather v1 file"),
    ("zero.parquet", lambda: write_parquet(Path("zero.parquet"), HEADER, ROWS[:0]), "zero.parquet: no data rows"),
]


@pytest.mark.parametrize("data, make, expected", BAD, ids=[case[0] for case in BAD])
def test_bad_data_is_one_line_and_exit_2(data_folder: Path, data: str, make, expected: str) -> None:
    write_parquet(Path("good.parquet"), HEADER, ROWS)
    make()
    assert expected in one_error_line(run("verify", data, "--target", "y"))


def test_a_fifo_is_refused_before_it_is_read(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        resolve_data_path(fifo)


def test_plot_and_convert_data_read_parquet_like_csv(project: dict) -> None:
    for data in ("data.csv", "parts"):
        result = run("plot", "model.poly.json", "-k", "diagonal", "--data", data, "--exclude", "y", "-o", f"{Path(data).stem}.png")
        assert result.exit_code == 0, result.output + result.stderr
        assert Path(f"{Path(data).stem}.png").stat().st_size > 1000
        result = run("convert", "model.onnx", "--order", "2", "--data", data, "--exclude", "y", "-o", f"{Path(data).stem}.poly.json")
        assert result.exit_code == 0, result.output + result.stderr
    csv, parquet = (json.loads(Path(f"{name}.poly.json").read_text()) for name in ("data", "parts"))
    assert csv["coefficients"] == parquet["coefficients"]
    assert csv["diagnostics"]["r2_vs_network"] == parquet["diagnostics"]["r2_vs_network"]
