"""``--exclude`` is honoured (issue 20): an excluded column is never an input, even when named like one.

Before, a CSV whose columns were named like the polynomial's variables was matched by name and
``--exclude`` was silently ignored. The expected outputs here come from ``Polynomial.evaluate``
on the columns the user meant, read by numpy from the same file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from oracles import one_error_line
from polyx.cli.main import cli
from polyx.errors import DataError
from polyx.expansion.writers.artifact import save_polynomial
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.tabular import open_table

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"
TANH = SAMPLES / "k3_t2o15_seq_tanh_4-8-1.onnx"
VARIABLES = ("x1", "x2", "x3")


@pytest.fixture
def poly(tmp_path: Path) -> tuple[Polynomial, Path]:
    """y = 1 + 2·x1 + 3·x2 + 4·x3 + x1·x3: each column's part in the output is distinct."""
    exponents = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1]])
    polynomial = Polynomial(VARIABLES, ("y",), exponents, np.array([[1.0, 2.0, 3.0, 4.0, 1.0]]), method={"name": "test"})
    return polynomial, save_polynomial(polynomial, tmp_path / "p.poly.json")


def write_csv(path: Path, header: list[str], rows: int = 6) -> np.ndarray:
    values = np.random.default_rng(1).uniform(-1, 1, size=(rows, len(header))).round(6)
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(repr(float(v)) for v in row) for row in values) + "\n")
    return values


def predicted(stdout: str) -> np.ndarray:
    rows = list(csv.reader(io.StringIO(stdout)))
    return np.array([[float(v) for v in row] for row in rows[1:]])


def test_an_excluded_column_named_like_a_variable_is_not_an_input(poly, tmp_path: Path) -> None:
    polynomial, path = poly
    values = write_csv(tmp_path / "d.csv", ["x1", "x2", "x3", "z"])
    result = CliRunner().invoke(cli, ["predict", str(path), str(tmp_path / "d.csv"), "--exclude", "x1"])
    assert result.exit_code == 0, result.stderr
    # x1 is excluded, so the inputs are x2, x3, z in the file's order, and the user is told so.
    np.testing.assert_allclose(predicted(result.stdout), polynomial.evaluate(values[:, 1:]), rtol=1e-15, atol=0)
    assert "columns used by position: x2 as x1, x3 as x2, z as x3" in result.stderr


def test_the_target_is_never_an_input_either(poly, tmp_path: Path) -> None:
    polynomial, path = poly
    values = write_csv(tmp_path / "d.csv", ["x1", "x2", "x3", "z"])
    result = CliRunner().invoke(cli, ["predict", str(path), str(tmp_path / "d.csv"), "--target", "x3"])
    assert result.exit_code == 0, result.stderr
    np.testing.assert_allclose(predicted(result.stdout), polynomial.evaluate(values[:, [0, 1, 3]]), rtol=1e-15, atol=0)


def test_without_exclude_the_names_still_match(poly, tmp_path: Path) -> None:
    polynomial, path = poly
    values = write_csv(tmp_path / "d.csv", ["z", "x3", "x1", "x2"])
    result = CliRunner().invoke(cli, ["predict", str(path), str(tmp_path / "d.csv"), "--exclude", "z"])
    assert result.exit_code == 0 and "position" not in result.stderr
    np.testing.assert_allclose(predicted(result.stdout), polynomial.evaluate(values[:, [2, 3, 1]]), rtol=1e-15, atol=0)


@pytest.mark.parametrize(
    ("header", "options", "message"),
    [
        (["x1", "x2", "x3"], ["--exclude", "x1"],
         "the model expects 3 input columns but found 2 (x2, x3); x1, named like the model's inputs, is excluded"),
        (["x1", "x2", "x3"], ["--exclude", "x1,x2,x3"], "no input columns are left after --exclude/--target"),
        (["x1", "x2", "x3", "z"], ["--columns", "x1,x2,x3", "--exclude", "x1"],
         "column 'x1' is given to both --columns and --exclude; keep it in one of them"),
        (["x1", "x2", "x3"], ["--columns", "x1,x1,x2"], "column 'x1' is given twice to --columns; each input needs its own column"),
    ],
)
def test_an_exclusion_that_leaves_the_model_short_is_one_line(poly, tmp_path: Path, header, options, message) -> None:
    _, path = poly
    write_csv(tmp_path / "d.csv", header)
    line = one_error_line(CliRunner().invoke(cli, ["predict", str(path), str(tmp_path / "d.csv"), *options]))
    assert message in line, line


def test_verify_honours_exclude(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert CliRunner().invoke(cli, ["convert", str(TANH), "-o", "p.poly.json"]).exit_code == 0
    write_csv(tmp_path / "d.csv", ["x1", "x2", "x3", "x4"])
    line = one_error_line(CliRunner().invoke(cli, ["verify", "d.csv", "--poly", "p.poly.json", "--exclude", "x2"]))
    assert "found 3 (x1, x3, x4); x2, named like the model's inputs, is excluded" in line


def test_convert_honours_exclude_for_its_data_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_csv(tmp_path / "d.csv", ["x1", "x2", "x3", "x4"])
    line = one_error_line(CliRunner().invoke(cli, ["convert", str(TANH), "-m", "taylor", "--at-mean", "d.csv", "--exclude", "x4"]))
    assert "x4, named like the model's inputs, is excluded" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


def test_open_table_never_chooses_an_excluded_column(tmp_path: Path) -> None:
    write_csv(tmp_path / "d.csv", ["a", "x1", "x2", "x3"])
    for excluded in (["a"], ["x1"], ["x2"], ["x3"]):
        table = open_table(tmp_path / "d.csv", expected_inputs=3, exclude=excluded, variable_names=VARIABLES)
        assert excluded[0] not in table.input_names
    with pytest.raises(DataError, match="no input columns are left"):
        open_table(tmp_path / "d.csv", exclude=["a", "x1", "x2", "x3"], variable_names=VARIABLES)
