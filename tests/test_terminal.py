"""What users typed or named comes back as it is: paths, column names and values are never read as markup.

rich reads ``[b]`` or ``[/b]`` in printed text as style tags: a path holding one crashed
``polyx inspect`` (MarkupError, exit 3) and a variable named ``[b]`` vanished from ``polyx show``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from polyx.cli.main import cli
from polyx.expansion.writers.artifact import save_polynomial
from polyx.expansion.polynomials.polynomial import Polynomial

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"
MODEL = SAMPLES / "k3_t2o15_seq_tanh_4-8-1.onnx"


@pytest.mark.parametrize("folder", ["x[/b]", "[bold]", "[red]x[/red]"])
def test_inspect_prints_a_path_with_tag_like_brackets(tmp_path: Path, folder: str) -> None:
    (tmp_path / folder).mkdir(parents=True)
    model = shutil.copy(MODEL, tmp_path / folder / "m.onnx")
    result = CliRunner().invoke(cli, ["inspect", str(model)])
    assert result.exit_code == 0, result.output + result.stderr
    assert result.stdout.startswith(f"{model}: onnx")


def test_show_keeps_variable_and_output_names_that_look_like_tags(tmp_path: Path) -> None:
    poly = Polynomial(("[b]", "x2"), ("[red]y",), [[0, 0], [1, 0], [0, 1]], [[0.5, 2.0, -1.0]], method={"name": "manual"})
    path = save_polynomial(poly, tmp_path / "p.poly.json")
    result = CliRunner().invoke(cli, ["show", str(path)])
    assert result.exit_code == 0, result.output + result.stderr
    assert "polynomial  2 variables ([b], x2) → 1 output ([red]y)" in result.stdout
    assert "[red]y: top 3 of 3 terms by |coefficient|" in result.stdout
    rows = [line for line in result.stdout.splitlines() if "│" in line]
    assert any(line.split("│")[2].strip() == "[b]" for line in rows), result.stdout


def test_warning_and_error_keep_brackets(tmp_path: Path) -> None:
    missing = tmp_path / "[bold]" / "m.onnx"
    result = CliRunner().invoke(cli, ["inspect", str(missing)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"polyx: error: {missing}: no such file; check the path"
