"""CSV columns that are not named like the polynomial's variables are taken in order, and every
command that reads a CSV for a polynomial says so with the same warning."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from polyx.cli.main import cli
from polyx.conversion import ConversionRequest, convert

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"
WARNING = "warning: renamed.csv: columns used by position: a as x1, b as x2, c as x3, d as x4"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """m.onnx, its polynomial (variables x1..x4), and the sample data with its columns renamed a..d."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(SAMPLES / "k3_t2o15_seq_tanh_4-8-1.onnx", "m.onnx")
    lines = (SAMPLES / "polynomial4.csv").read_text().splitlines(keepends=True)
    Path("renamed.csv").write_text("a,b,c,d,y\n" + "".join(lines[1:]))
    convert(ConversionRequest(model=Path("m.onnx"), output=Path("m.poly.json")))
    return tmp_path


@pytest.mark.parametrize("args", [
    ["predict", "m.poly.json", "renamed.csv", "--target", "y", "-o", "out.csv"],
    ["verify", "renamed.csv", "--target", "y", "--no-default-gate"],
    ["verify", "renamed.csv", "--exclude", "y", "--json", "--no-default-gate"],
    ["plot", "m.poly.json", "-k", "diagonal", "--data", "renamed.csv", "--exclude", "y", "-o", "d.png"],
], ids=["predict", "verify", "verify-json", "plot-diagonal"])
def test_every_command_warns_about_columns_matched_by_position(folder: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert WARNING in result.stderr.splitlines()


def test_the_verify_report_records_the_pairs(folder: Path) -> None:
    result = CliRunner().invoke(cli, ["verify", "renamed.csv", "--exclude", "y", "--json"])
    pairs = json.loads(result.stdout)["data"]["matched_by_position"]
    assert pairs == [["a", "x1"], ["b", "x2"], ["c", "x3"], ["d", "x4"]]


def test_columns_named_like_the_variables_give_no_warning(folder: Path) -> None:
    shutil.copy(SAMPLES / "polynomial4.csv", "named.csv")
    result = CliRunner().invoke(cli, ["verify", "named.csv", "--target", "y", "--min-r2", "0.5"])
    assert result.exit_code == 0, result.output
    assert "columns used by position" not in result.stderr
