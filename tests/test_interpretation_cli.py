"""``show --importance``, ``predict --shap`` and ``plot --kind importance`` at the command line.

Oracles: the library's closed forms are checked against enumeration and Monte-Carlo in
test_importance.py; here the commands must report exactly those numbers, the Shapley columns must
add up to the prediction minus the base value (efficiency, to 1e-10), the base value must be the
mean of the polynomial over the background rows (numpy), and misuse is one line and exit 2.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from polyx.cli.main import cli
from polyx.expansion.writers.artifact import load_polynomial
from polyx.expansion.analysis.importance import importance, shapley_values
from polyx.expansion.analysis.input_models import EmpiricalInputs
from standardized_models import save_rows, save_standardized_model, standardized_rows, standardized_weights


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("interpret")
    model = save_standardized_model(folder / "std.onnx", standardized_weights(seed=2))
    data = save_rows(folder / "raw.csv", standardized_rows(400, seed=2))
    held = save_rows(folder / "held.csv", standardized_rows(30, seed=3))
    poly = folder / "std.poly.json"
    result = CliRunner().invoke(cli, ["convert", str(model), "-q", "3", "--data", str(data), "-o", str(poly)])
    assert result.exit_code == 0, result.output
    return {"folder": folder, "model": model, "data": data, "held": held, "poly": poly}


def _run(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_show_importance_json_is_the_librarys_exact_result(converted: dict) -> None:
    result = _run("show", converted["poly"], "--importance", "--data", converted["data"], "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    polynomial = load_polynomial(converted["poly"])
    rows = standardized_rows(400, seed=2)
    expected = importance(polynomial, EmpiricalInputs(rows))
    block = report["outputs"][0]
    assert block["mean"] == pytest.approx(float(polynomial.evaluate(rows).mean()), rel=1e-10)
    assert block["variance"] == pytest.approx(float(polynomial.evaluate(rows).var()), rel=1e-10)
    np.testing.assert_allclose([v["sobol_total"] for v in block["variables"]], expected.total[0], rtol=1e-12)
    assert sum(v["variance_share"] for v in block["variables"]) == pytest.approx(1.0, abs=1e-10)
    assert sum(t["variance_share"] for t in block["terms"]) == pytest.approx(1.0, abs=1e-8)
    assert "empirical distribution" in report["input_model"]


def test_show_importance_table_names_the_model_and_ranks(converted: dict) -> None:
    result = _run("show", converted["poly"], "--importance", "--data", converted["data"], "--input-model", "gaussian")
    assert result.exit_code == 0, result.output
    assert "independent Gaussians" in result.output and "Sobol total" in result.output and "|coef| rank" in result.output


def test_predict_shap_columns_add_up_and_use_the_background(converted: dict) -> None:
    out = converted["folder"] / "shap.csv"
    result = _run("predict", converted["poly"], converted["held"], "--shap", "--background", converted["data"], "-o", out)
    assert result.exit_code == 0, result.output
    with out.open() as stream:
        table = list(csv.DictReader(stream))
    assert list(table[0]) == ["y1", "y1:shap:x1", "y1:shap:x2", "y1:shap:x3", "y1:shap:x4", "y1:shap_base"]
    values = np.array([[float(v) for v in row.values()] for row in table])
    np.testing.assert_allclose(values[:, 1:5].sum(axis=1) + values[:, 5], values[:, 0], rtol=0, atol=1e-10)
    polynomial = load_polynomial(converted["poly"])
    background = standardized_rows(400, seed=2)
    assert values[0, 5] == pytest.approx(float(polynomial.evaluate(background).mean()), rel=1e-10)
    phi, _ = shapley_values(polynomial, standardized_rows(30, seed=3), EmpiricalInputs(background))
    np.testing.assert_allclose(values[:, 1:5], phi[:, 0, :], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(("args", "message"), [
    (("--background", "raw.csv"), "add --shap"),
    (("--shap", "--engine", "dask", "-o", "out"), "--shap runs on the local engine"),
])
def test_predict_shap_misuse_is_one_line(converted: dict, args: tuple, message: str) -> None:
    args = tuple(str(converted["folder"] / a) if a in ("raw.csv", "out") else a for a in args)
    result = _run("predict", converted["poly"], converted["held"], *args)
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


def test_show_data_without_importance_is_refused(converted: dict) -> None:
    result = _run("show", converted["poly"], "--data", converted["data"])
    assert result.exit_code == 2 and "add --importance" in result.stderr


def test_plot_importance_writes_an_image(converted: dict) -> None:
    out = converted["folder"] / "importance.png"
    result = _run("plot", converted["poly"], "--kind", "importance", "--data", converted["data"], "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_standardized_artifact_is_measured_in_z_with_the_same_indices(converted: dict) -> None:
    z = converted["folder"] / "z.poly.json"
    result = _run("convert", converted["model"], "-q", "3", "--data", converted["data"], "--units", "standardized", "-o", z)
    assert result.exit_code == 0, result.output
    reports = []
    for poly in (converted["poly"], z):
        shown = _run("show", poly, "--importance", "--data", converted["data"], "--format", "json")
        assert shown.exit_code == 0, shown.output
        reports.append(json.loads(shown.stdout)["outputs"][0])
    raw, standardized = reports
    # Sobol indices, Shapley effects, the mean and the variance do not depend on each input's units
    for key in ("sobol_first", "sobol_total", "variance_share"):
        np.testing.assert_allclose([v[key] for v in standardized["variables"]], [v[key] for v in raw["variables"]],
                                   rtol=1e-8, atol=1e-10)
    assert standardized["variance"] == pytest.approx(raw["variance"], rel=1e-9)
    # the terms are read in z, where they barely cancel: the linear terms carry most of the variance
    linear = [t["variance_share"] for t in standardized["terms"] if t["term"] in ("x1", "x2", "x3", "x4")]
    assert sum(linear) > 0.9 and max(abs(t["variance_share"]) for t in standardized["terms"]) <= 1.0
