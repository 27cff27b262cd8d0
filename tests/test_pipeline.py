"""What a model pipeline runs: `polyx convert MODEL && polyx verify DATA.csv` in one folder, per method.

The network side is the ONNX file under onnxruntime (an oracle independent of the expansion), and
the gates are the pipeline's: a faithful polynomial passes (exit 0), a truncated one fails (exit 1).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from polyx.cli.main import cli

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"
DATA = "polynomial4.csv"


def _invoke(*commands: list[str]) -> list:
    return [CliRunner().invoke(cli, command) for command in commands]


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory, holding the models and the data."""
    for name in ("polynomial4_tanh_l1.onnx", "pt_dyn20_default_seq_relu_4-8-8-1_batch2.onnx", DATA):
        shutil.copy(SAMPLES / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    "model, options, gate",
    [
        ("polynomial4_tanh_l1.onnx", ["-m", "nn2poly", "-q", "4"], "0.999"),
        ("polynomial4_tanh_l1.onnx", ["-m", "taylor", "--at-mean", DATA, "-q", "4"], "0.999"),
        ("polynomial4_tanh_l1.onnx", ["-m", "lsq", "--data", DATA, "-q", "4"], "0.999"),
        ("pt_dyn20_default_seq_relu_4-8-8-1_batch2.onnx", ["--fit", DATA, "-q", "4"], "0.95"),
    ],
    ids=["nn2poly", "taylor", "lsq", "relu-fit-fixed-batch"],
)
def test_a_faithful_polynomial_passes_and_a_truncated_one_fails(
    folder: Path, model: str, options: list[str], gate: str
) -> None:
    converted, passed = _invoke(["convert", model, *options], ["verify", DATA, "--min-r2", gate, "--json"])
    assert converted.exit_code == 0, converted.output
    assert passed.exit_code == 0, passed.output
    truncated = [*options[: options.index("-q")], "-q", "1", "-o", "linear.poly.json"]
    converted, failed = _invoke(["convert", model, *truncated], ["verify", DATA, "--poly", "linear.poly.json", "--min-r2", gate])
    assert converted.exit_code == 0, converted.output
    assert failed.exit_code == 1, failed.output
    assert "r2 >= " in failed.output and "FAILED: 1 of 2 gates" in failed.output
