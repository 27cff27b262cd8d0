"""``polyx verify`` end to end through click: exit codes, the one-line errors, the report files.

Models are the real sample exports; polynomials are least-squares fits to their onnxruntime
outputs (good) and the same fits cut to degree 1 (deliberately truncated), written with
``polyx.save_polynomial`` as ``polyx convert`` will.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from oracles import explicit_values, one_error_line
from polyx import save_polynomial
from polyx.cli.main import cli
from polyx.expansion.polynomials.polynomial import Polynomial
from test_verify import SAMPLES, least_squares_polynomial, ort_outputs, write_csv

DATA = SAMPLES / "polynomial4.csv"
MODEL = SAMPLES / "polynomial4_tanh_l1.onnx"
R2_GATE = "0.99"


def provenance(model: Path, **extra: object) -> dict:
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    return {"source": str(model), "sha256": digest, "input_name": "x", "output_name": "y", "input_shape": [4], **extra}


@functools.lru_cache(maxsize=None)
def sample_fit(degree: int) -> Polynomial:
    """The least-squares fit of MODEL's onnxruntime outputs on DATA (computed once per degree)."""
    x = np.loadtxt(DATA, delimiter=",", skiprows=1)[:, :4]
    return least_squares_polynomial(x, ort_outputs(MODEL, x), degree)


def fitted(model: Path, degree: int) -> Polynomial:
    """``sample_fit`` as the artifact of ``model`` (a copy of MODEL)."""
    fit = sample_fit(degree)
    return Polynomial(fit.variables, fit.outputs, fit.exponents, fit.coefficients,
                      method={"name": "least_squares_test", "degree": degree}, provenance=provenance(model))


def truncated(poly: Polynomial) -> Polynomial:
    return poly.with_terms(poly.exponents.sum(axis=1) <= 1)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder as ``polyx convert model.onnx`` leaves it: the model, its polynomial, and data."""
    shutil.copy(MODEL, tmp_path / "model.onnx")
    shutil.copy(DATA, tmp_path / "data.csv")
    save_polynomial(fitted(tmp_path / "model.onnx", 3), tmp_path / "model.poly.json")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["verify", *args])


def test_good_polynomial_passes_with_defaults_found_in_the_folder(project: Path) -> None:
    result = run("data.csv", "--target", "y", "--min-r2", R2_GATE, "--max-rel-l2", "0.1")
    assert result.exit_code == 0, result.output + result.stderr
    assert "passed: all 3 gates" in result.stdout
    assert "2000 rows of data.csv" in result.stdout


def test_truncated_polynomial_fails_a_gate_and_writes_both_reports(project: Path) -> None:
    save_polynomial(truncated(fitted(project / "model.onnx", 3)), project / "model.poly.json")
    result = run("data.csv", "--exclude", "y", "--min-r2", R2_GATE, "--max-abs", "100",
                 "--report", "report.json", "--junit", "junit.xml")
    assert result.exit_code == 1, result.output + result.stderr
    assert "FAILED: 1 of 3 gates" in result.stdout
    report = json.loads((project / "report.json").read_text())
    assert report["passed"] is False
    assert [(g["metric"], g["passed"]) for g in report["gates"]] == [("nonfinite_rows", True), ("max_abs", True), ("r2", False)]
    suite = ElementTree.parse(project / "junit.xml").getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("3", "1")
    failed = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert failed == [f"r2 >= {R2_GATE}"]
    assert not [p.name for p in project.iterdir() if p.name.endswith(".tmp")]


def test_json_is_the_only_stdout(project: Path) -> None:
    result = run("data.csv", "--target", "y", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["format"] == "polyx.verification/1"
    assert report["data"]["input_columns"] == ["x1", "x2", "x3", "x4"]
    assert report["model"]["sha256_matches"] is True
    assert report["target"]["polynomial"]["r2"] > 0.9
    assert [(g["metric"], g["threshold"], g["default"]) for g in report["gates"]] == [("nonfinite_rows", 0, False), ("r2", 0.99, True)]
    assert result.stderr == ""


def test_json_without_the_default_gate_warns_that_nothing_was_checked(project: Path) -> None:
    result = run("data.csv", "--target", "y", "--json", "--no-default-gate")
    assert result.exit_code == 0, result.stderr
    assert [g["metric"] for g in json.loads(result.stdout)["gates"]] == ["nonfinite_rows"]
    assert "not checked" in result.stderr


BAD_CSV = [
    ("x1,x2,x3,x4\n0.1,abc,0.2,0.3\n", (), "data.csv, line 2, column 'x2': 'abc' is not a number"),
    ("x1,x2,x3,x4\n0.1,0.2,0.3,0.4\n0.1,nan,0.2,0.3\n", (), "line 3, column 'x2': nan is not a finite number"),
    ("x1,x2,x3,x4\n0.1,0.2,inf,0.4\n", (), "line 2, column 'x3': inf is not a finite number; clean the data or pass --skip-invalid"),
    ("", (), "data.csv: the file is empty"),
    ("x1,x2,x3,x4\n", (), "data.csv: no data rows after the header"),
    ("x1,x2,x3,x4\n0.1,0.2,0.3,0.4\n0.1,0.2,0.3\n", (), "data.csv, line 3: 3 fields but the header has 4"),
    ("a,b,c\n1,2,3\n", (), "the model expects 4 input columns but found 3 (a, b, c)"),
    ("a,b,c,d,e\n1,2,3,4,5\n", (), "the model expects 4 input columns but found 5 (a, b, c, d, e)"),
    ("x1,x2,x3,x4\n1,2,3,4\n", ("--target", "y"), "--target column 'y' not found; the columns are x1, x2, x3, x4"),
    ("x1,x2,x3,x4\n1,2,3,4\n", ("--columns", "x1,x2,x9,x4"), "--columns column 'x9' not found"),
]


@pytest.mark.parametrize(("content", "options", "message"), BAD_CSV)
def test_bad_csv_is_one_line_and_exit_2(project: Path, content: str, options: tuple, message: str) -> None:
    (project / "data.csv").write_text(content)
    assert message in one_error_line(run("data.csv", "--report", "r.json", *options))
    assert not (project / "r.json").exists()


def test_missing_data_file(project: Path) -> None:
    assert "nowhere.csv: no such data file" in one_error_line(run("nowhere.csv"))


def test_skip_invalid_counts_dropped_rows(project: Path) -> None:
    lines = DATA.read_text().splitlines()
    lines[5] = "nan,0.1,0.2,0.3,1.0"
    lines[9] = "0.1,0.2,0.3,0.4,inf"
    (project / "data.csv").write_text("\n".join(lines) + "\n")
    result = run("data.csv", "--target", "y", "--skip-invalid", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["data"]["rows"], report["data"]["invalid_rows_skipped"]) == (1998, 2)


def test_columns_are_matched_to_variable_names_in_any_order(project: Path) -> None:
    table = np.loadtxt(DATA, delimiter=",", skiprows=1)
    write_csv(project / "shuffled.csv", ["y", "x3", "x1", "x4", "x2"], table[:, [4, 2, 0, 3, 1]])
    write_csv(project / "renamed.csv", ["d", "b", "a", "c"], table[:, [3, 1, 0, 2]])
    plain = json.loads(run("data.csv", "--exclude", "y", "--json").stdout)["outputs"]
    shuffled = json.loads(run("shuffled.csv", "--target", "y", "--json").stdout)["outputs"]
    renamed = json.loads(run("renamed.csv", "--columns", "a,b,c,d", "--json").stdout)["outputs"]
    # The same rows in the same roles: only summation order could differ, hence 1e-12.
    for other in (shuffled, renamed):
        assert other[0]["rmse"] == pytest.approx(plain[0]["rmse"], rel=1e-12)
        assert other[0]["max_abs"] == plain[0]["max_abs"]


def test_changed_model_is_refused_unless_given_explicitly(project: Path) -> None:
    shutil.copy(SAMPLES / "polynomial4_tanh_free.onnx", project / "model.onnx")
    assert "model.onnx: changed since model.poly.json was made" in one_error_line(run("data.csv", "--exclude", "y"))
    result = run("data.csv", "--exclude", "y", "--model", "model.onnx", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["model"]["sha256_matches"] is False
    assert "sha256 differs" in result.stderr


def test_model_found_relative_to_the_polynomial_from_another_folder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = project / "ci"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = run("../data.csv", "--poly", "../model.poly.json", "--exclude", "y", "--min-r2", R2_GATE)
    assert result.exit_code == 0, result.stderr


def test_polynomial_candidates(project: Path) -> None:
    shutil.copy(project / "model.poly.json", project / "other.poly.json")
    assert "several polynomials in" in one_error_line(run("data.csv"))
    for path in project.glob("*.poly.json"):
        path.unlink()
    assert "no *.poly.json file in" in one_error_line(run("data.csv"))


def test_report_folder_must_exist_before_the_run(project: Path) -> None:
    assert "missing/r.json: cannot write, folder 'missing' does not exist" in one_error_line(run("data.csv", "--exclude", "y", "--junit", "missing/r.json"))


def test_argmax_gate_needs_classes(project: Path) -> None:
    assert "needs a model with two or more outputs" in one_error_line(run("data.csv", "--exclude", "y", "--min-argmax-agreement", "0.9"))


def test_fixed_batch_sample_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = shutil.copy(SAMPLES / "pt_dyn20_default_seq_relu_4-8-8-1_batch2.onnx", tmp_path / "relu.onnx")
    table = np.loadtxt(DATA, delimiter=",", skiprows=1)[:301]  # odd: the last batch of 2 is padded
    write_csv(tmp_path / "d.csv", ["x1", "x2", "x3", "x4", "y"], table)
    padded = np.vstack([table[:, :4], np.zeros((1, 4))])
    network = np.concatenate([ort_outputs(Path(model), padded[i : i + 2]) for i in range(0, 302, 2)])[:301]
    fit = least_squares_polynomial(table[:, :4], network, 2)
    poly = Polynomial(fit.variables, fit.outputs, fit.exponents, fit.coefficients, method={"name": "test"},
                      provenance=provenance(Path(model)))
    save_polynomial(poly, tmp_path / "relu.poly.json")
    monkeypatch.chdir(tmp_path)
    result = run("d.csv", "--exclude", "y", "--json", "--chunk-rows", "50", "--no-default-gate")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["model"]["fixed_batch"] == 2 and report["data"]["rows"] == 301
    # Least squares leaves residuals orthogonal to the intercept: the mean error is zero to rounding.
    values = explicit_values(fit.exponents, fit.coefficients, table[:, :4])
    assert report["outputs"][0]["r2"] == pytest.approx(1 - np.var(values - network) / np.var(network), rel=1e-9)


def test_softmax_sample_compares_logits_and_gates_argmax(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import onnx

    model = shutil.copy(SAMPLES / "pt_dyn20_seq_softmax_4-8-3.onnx", tmp_path / "clf.onnx")
    logits_model = onnx.load(model)
    logits_model.graph.output[0].name = logits_model.graph.node[-1].input[0]  # the Softmax's input, cut by hand
    onnx.save(logits_model, tmp_path / "logits.onnx")
    x = np.loadtxt(DATA, delimiter=",", skiprows=1)[:, :4]
    fit = least_squares_polynomial(x, ort_outputs(tmp_path / "logits.onnx", x), 3)
    poly = Polynomial(fit.variables, fit.outputs, fit.exponents, fit.coefficients, method={"name": "test"},
                      provenance=provenance(Path(model), output_activation="softmax"))
    save_polynomial(poly, tmp_path / "clf.poly.json")
    shutil.copy(DATA, tmp_path / "data.csv")
    monkeypatch.chdir(tmp_path)
    result = run("data.csv", "--exclude", "y", "--min-argmax-agreement", "0.95", "--max-rmse", "0.1", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["compared"] == "logits" and report["secondary"]["compared"] == "probabilities"
    assert report["classification"]["argmax_agreement"]["rate"] >= 0.95
    assert len(report["gates"]) == 3 + 3 + 1


def test_chunk_rows_help_states_the_library_default() -> None:
    from polyx.tabular import DEFAULT_CHUNK_ROWS

    text = " ".join(CliRunner().invoke(cli, ["verify", "--help"]).output.split())
    assert f"Rows per streamed chunk [default: {DEFAULT_CHUNK_ROWS:,}]" in text
