"""``polyx demo``: the bundled sample, every method, run from an empty folder through the CLI.

Oracles: onnxruntime on the sample model and on the exported polynomial, the polynomials'
terms evaluated one by one here, numpy's R², and the data's generating formula as written in
``sample_models/manifest.json``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
from click.testing import CliRunner, Result

from oracles import term_by_term
from polyx import load_polynomial
from polyx.cli.main import cli
from polyx.demo import MIN_R2, ORDER, SAMPLE_DATA, SAMPLE_MODEL

SAMPLES = Path(__file__).resolve().parent.parent / "sample_models"
EXPECTED_METHODS = ["nn2poly", "taylor", "lsq"]


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path, Path]:
    """``polyx demo --out kept`` run from an empty working directory."""
    cwd = tmp_path_factory.mktemp("cwd")
    out = tmp_path_factory.mktemp("out") / "kept"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        result = CliRunner().invoke(cli, ["demo", "--out", str(out)])
    return result, cwd, out


def test_default_demo_writes_nothing_in_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output + result.stderr
    assert list(tmp_path.iterdir()) == []
    assert "the files went to a temporary folder, now removed; pass --out DIR to keep them" in result.stdout
    assert f"passed: all {len(EXPECTED_METHODS)} polynomials stand for the network" in result.stdout


def test_every_available_method_is_converted_verified_and_kept(kept: tuple[Result, Path, Path]) -> None:
    result, cwd, out = kept
    assert result.exit_code == 0, result.output + result.stderr
    assert list(cwd.iterdir()) == []
    stem = SAMPLE_MODEL.removesuffix(".onnx")
    expected = {SAMPLE_MODEL, SAMPLE_DATA} | {f"{stem}.{method}.poly.json" for method in EXPECTED_METHODS}
    assert expected <= {path.name for path in out.iterdir()}
    assert (out / SAMPLE_MODEL).read_bytes() == (SAMPLES / SAMPLE_MODEL).read_bytes()
    for method in EXPECTED_METHODS:
        assert re.search(rf"^  {method} .*: \d+ terms up to degree {ORDER} in ", result.stdout, re.MULTILINE)


def test_printed_r2_is_the_network_against_each_polynomial(kept: tuple[Result, Path, Path]) -> None:
    """The table's R² equals numpy's R² of the kept polynomial against onnxruntime, to its 6 digits."""
    result, _, out = kept
    data = np.loadtxt(out / SAMPLE_DATA, delimiter=",", skiprows=1)
    x = data[:, :4]
    session = onnxruntime.InferenceSession(str(SAMPLES / SAMPLE_MODEL), providers=["CPUExecutionProvider"])
    network = session.run(None, {"x": x.astype(np.float32)})[0][:, 0].astype(np.float64)
    for method in EXPECTED_METHODS:
        poly = load_polynomial(out / f"{SAMPLE_MODEL.removesuffix('.onnx')}.{method}.poly.json")
        values = term_by_term(poly, x)[0][:, 0]
        r2 = 1 - np.sum((values - network) ** 2) / np.sum((network - network.mean()) ** 2)
        row = re.search(rf"│ {method}\s+│\s+{poly.n_terms} │\s+([0-9.]+) │", result.stdout)
        assert row is not None, result.stdout
        assert float(row.group(1)) == pytest.approx(r2, abs=1e-6)
        assert r2 >= MIN_R2


def test_truth_column_is_the_data_formula(kept: tuple[Result, Path, Path]) -> None:
    result, _, _ = kept
    manifest = json.loads((SAMPLES / "manifest.json").read_text())
    assert manifest["data"][SAMPLE_DATA]["formula"].startswith("y = 2 - 2*x1 + 5*x2*x3 + 3*x4")
    for term, truth in (("1", "2"), ("x1", "-2"), ("x4", "3"), ("x2·x3", "5")):
        assert re.search(rf"│ {re.escape(term)}\s+│\s+{truth} │", result.stdout), term


def test_exported_model_computes_the_best_polynomial(kept: tuple[Result, Path, Path]) -> None:
    result, _, out = kept
    exported = sorted(out.glob("*.poly.onnx"))
    assert len(exported) == 1
    method = exported[0].name.split(".")[1]
    assert f"exported the {method} polynomial to ONNX (input 'x', output 'y', as the network)" in result.stdout
    poly = load_polynomial(exported[0].with_suffix(".json"))
    x = np.random.default_rng(0).uniform(-1, 1, (100, 4)).astype(np.float32)
    session = onnxruntime.InferenceSession(str(exported[0]), providers=["CPUExecutionProvider"])
    values = session.run(None, {"x": x})[0]
    reference = term_by_term(poly, x.astype(np.float64))[0]
    scale = np.abs(np.prod(x.astype(np.float64)[:, None, :] ** poly.exponents[None], axis=2)) @ np.abs(poly.coefficients.T)
    # float32 model: within 1e-6 of the sum of |terms| (see test_export.py for the rounding count).
    assert np.all(np.abs(values - reference) <= 1e-6 * scale)


def test_out_that_is_a_file_is_one_error_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "taken").write_text("not a folder")
    result = CliRunner().invoke(cli, ["demo", "--out", "taken"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("polyx: error: --out taken: cannot create the folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
