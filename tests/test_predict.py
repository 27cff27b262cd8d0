"""``polyx predict``: exact outputs and contributions per row, streamed, written atomically.

Integer inputs and coefficients make every value exact, so Python integers are the oracle.
"""

import csv
import io
import os
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from polyx.cli.main import cli
from polyx.errors import DataError
from polyx.expansion.writers import predictions as prediction
from polyx.expansion.writers.artifact import save_polynomial
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.writers.predictions import write_predictions
from polyx.tabular import open_table

EXPONENTS = [[0, 0, 0], [1, 0, 0], [1, 0, 1], [0, 2, 0], [0, 1, 2]]  # graded order
COEFFICIENTS = [[3, -2, 5, 1, -1], [0, 1, 0, 0, 2]]


def _poly() -> Polynomial:
    return Polynomial(("a", "b", "c"), ("y1", "y2"), EXPONENTS, COEFFICIENTS, method={"name": "manual"})


def _term(row: list[int], exponents: list[int]) -> int:
    value = 1
    for v, p in zip(row, exponents):
        value *= v**p
    return value


def _data(tmp_path: Path, rows: int = 12, header: str = "a,b,c,label") -> tuple[Path, list[list[int]]]:
    values = np.random.default_rng(0).integers(-5, 6, size=(rows, 3)).tolist()
    path = tmp_path / "data.csv"
    path.write_text(header + "\n" + "".join(f"{a},{b},{c},1\n" for a, b, c in values))
    return path, values


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    return save_polynomial(_poly(), tmp_path / "p.json")


def _run(*args: object) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def _read(text: str) -> tuple[list[str], np.ndarray]:
    rows = list(csv.reader(io.StringIO(text)))
    return rows[0], np.array(rows[1:], dtype=float)


def test_outputs_per_row_on_stdout(tmp_path: Path, artifact: Path) -> None:
    data, values = _data(tmp_path)
    code, out, err = _run("predict", artifact, data)
    assert (code, err) == (0, "")
    header, table = _read(out)
    assert header == ["y1", "y2"]
    expected = [[sum(c * _term(row, e) for c, e in zip(coefs, EXPONENTS)) for coefs in COEFFICIENTS] for row in values]
    assert table.tolist() == expected


def test_contributions_are_coefficient_times_monomial(tmp_path: Path, artifact: Path) -> None:
    data, values = _data(tmp_path)
    code, out, _ = _run("predict", artifact, data, "--contributions")
    assert code == 0
    header, table = _read(out)
    terms = ["1", "a", "a*c", "b^2", "b*c^2"]
    assert header == ["y1", "y2"] + [f"y1:{t}" for t in terms] + [f"y2:{t}" for t in terms]
    expected = [[c * _term(row, e) for coefs in COEFFICIENTS for c, e in zip(coefs, EXPONENTS)] for row in values]
    assert table[:, 2:].tolist() == expected
    assert np.array_equal(table[:, 2:7].sum(axis=1), table[:, 0])


def test_output_file_is_written_and_reported(tmp_path: Path, artifact: Path) -> None:
    data, _ = _data(tmp_path)
    code, out, err = _run("predict", artifact, data, "-o", tmp_path / "out.csv")
    assert (code, err) == (0, "")
    assert out == f"wrote {tmp_path}/out.csv: 12 rows × 2 columns\n"
    assert _read((tmp_path / "out.csv").read_text())[1].shape == (12, 2)


def test_columns_matched_by_position_are_announced(tmp_path: Path, artifact: Path) -> None:
    data, _ = _data(tmp_path, header="p,q,r,label")
    code, out, err = _run("predict", artifact, data, "--exclude", "label")
    assert code == 0 and len(out.splitlines()) == 13
    assert err.splitlines() == [f"warning: {data}: columns used by position: p as a, q as b, r as c"]


@pytest.mark.parametrize(
    ("csv_text", "args", "line"),
    [
        ("a,b\n1,2\n", (), "{d}: the model expects 3 input columns but found 2 (a, b); choose them with --columns "
         "or drop extras with --exclude/--target"),
        ("a,b,c\n1,2,3\n4,nan,6\n", (), "{d}, line 3, column 'b': nan is not a finite number; clean the data or pass --skip-invalid"),
        ("a,b,c\n1,2,3\n4,x,6\n", (), "{d}, line 3, column 'b': 'x' is not a number; fix the value or drop the row"),
        ("a,b,c\n1,2,3\n", ("--columns", "a,b,z"), "{d}: --columns column 'z' not found; the columns are a, b, c"),
    ],
)
def test_bad_data_is_one_line_exit_2_and_no_file(tmp_path: Path, artifact: Path, csv_text: str, args: tuple, line: str) -> None:
    data = tmp_path / "bad.csv"
    data.write_text(csv_text)
    code, out, err = _run("predict", artifact, data, "-o", tmp_path / "out.csv", *args)
    assert (code, out) == (2, "")
    assert err.splitlines() == ["polyx: error: " + line.format(d=data)]
    assert sorted(os.listdir(tmp_path)) == ["bad.csv", "p.json"]


def test_missing_inputs_and_folders(tmp_path: Path, artifact: Path) -> None:
    data, _ = _data(tmp_path)
    code, _, err = _run("predict", tmp_path / "none.json", data)
    assert code == 2
    assert err.splitlines() == [f"polyx: error: {tmp_path}/none.json: no such polynomial file; give a .json file written by polyx convert"]
    code, _, err = _run("predict", artifact, tmp_path / "none.csv")
    assert (code, err.splitlines()) == (2, [f"polyx: error: {tmp_path}/none.csv: no such data file; check the path"])
    code, _, err = _run("predict", artifact, data, "-o", tmp_path / "no" / "out.csv")
    assert code == 2
    assert err.splitlines() == [
        f"polyx: error: {tmp_path}/no/out.csv: cannot write, folder '{tmp_path}/no' does not exist; create it or choose another path"
    ]


def test_skip_invalid_warns_about_dropped_rows(tmp_path: Path, artifact: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("a,b,c\n1,2,3\n4,inf,6\n0,0,0\n")
    code, out, err = _run("predict", artifact, data, "--skip-invalid")
    assert code == 0
    assert _read(out)[1].tolist() == [[3 - 2 + 15 + 4 - 18, 1 + 36], [3.0, 0.0]]
    assert err.splitlines() == [f"warning: {data}: skipped 1 rows with NaN/Inf inputs; the output has 2 rows"]


def test_streams_in_chunks_and_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data, values = _data(tmp_path, rows=50)
    monkeypatch.setattr(prediction, "BLOCK_ELEMENTS", 24)  # two rows per block with contributions
    stream = io.StringIO()
    result = write_predictions(_poly(), open_table(data, expected_inputs=3, exclude=["label"], chunk_rows=7), stream, contributions=True)
    assert (result.rows, result.columns) == (50, 12)
    table = _read(stream.getvalue())[1]
    expected = [[c * _term(row, e) for coefs in COEFFICIENTS for c, e in zip(coefs, EXPONENTS)] for row in values]
    assert table[:, 2:].tolist() == expected


def test_failure_mid_stream_leaves_no_file(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("a,b,c\n" + "1,2,3\n" * 20 + "1,oops,3\n")
    target = tmp_path / "out.csv"
    with pytest.raises(DataError, match="line 22, column 'b': 'oops' is not a number"):
        write_predictions(_poly(), open_table(data, expected_inputs=3, chunk_rows=5), target)
    assert sorted(os.listdir(tmp_path)) == ["d.csv"]
