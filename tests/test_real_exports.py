"""Real exports with node patterns beyond sample_models (tests/data/exports/README.md): loaded, and the
network run by polyx against onnxruntime running the same file.

Tolerance: 1e-5 relative to max(1, |y|), as for the sample models: onnxruntime computes in float32.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from polyx import load_network
from polyx.cli.main import cli
from polyx.converters.onnx.runtime import OnnxRunner

EXPORTS = Path(__file__).parent / "data" / "exports"

LOADED = {
    "k3pt_exp_norm_flatten_2x3-8-1": ["silu", "linear"],
    "k3jax_exp_norm_flatten_2x3-8-1": ["silu", "linear"],
    "pt_ts17_view_size0_2x3-8-1": ["tanh", "linear"],
    "pt_ts13_reshape_shape0_2x3-8-1": ["tanh", "linear"],
    "pt_dyn18_noopt_gelu_flatten_softmax_2x3-8-3": ["gelu", "linear"],
    "pt_ts17_head_squeeze_4-8-1": ["tanh", "linear"],
    "pt_dyn20_head_squeeze_4-8-1": ["tanh", "linear"],
    "pt_dyn20_head_view_4-8-1": ["tanh", "linear"],
    "pt_ts17_vector_head_4-8-1": ["tanh", "linear"],
    "pt_dyn20_vector_head_4-8-1": ["tanh", "linear"],
    "pt_ts17_clamp_min0_3-8-1": ["relu", "linear"],
    "pt_ts17_seq_prelu1_3-8-1": ["leaky_relu", "linear"],
    "pt_dyn20_seq_prelu1_3-8-1": ["leaky_relu", "linear"],
    "pt_ts17_seq_logsoftmax_4-8-3": ["tanh", "linear"],
    "pt_dyn20_seq_logsoftmax_4-8-3": ["tanh", "linear"],
    "k3_t2o15_log_softmax_out_4-8-3": ["tanh", "linear"],
}


@pytest.mark.parametrize("name", LOADED)
def test_real_export_matches_onnxruntime(name: str) -> None:
    path = EXPORTS / f"{name}.onnx"
    network = load_network(path)
    assert [layer.activation.name for layer in network.layers] == LOADED[name]
    x = np.random.default_rng(3).normal(scale=2.0, size=(200, network.input_size))
    expected = OnnxRunner(path).run(x)
    got = network.forward(x)
    assert got.shape == expected.shape == (200, network.output_size)
    final = "log_softmax" if "logsoftmax" in name or "log_softmax" in name else "softmax" if "softmax" in name else None
    assert network.output_activation == final
    returns_batch_shaped = "head" in name
    assert network.output_shape == (() if returns_batch_shaped else (network.output_size,))
    assert np.max(np.abs(got - expected) / np.maximum(1.0, np.abs(expected))) <= 1e-5


def test_prelu_slope_becomes_the_leaky_relu_alpha() -> None:
    """The single PReLU slope reaches the IR (0.25 is torch's default; float32-stored)."""
    network = load_network(EXPORTS / "pt_ts17_seq_prelu1_3-8-1.onnx")
    assert network.layers[0].activation.kwargs["alpha"] == pytest.approx(0.25, abs=1e-7)


def test_keras_tf_export_with_normalization_statistics_as_inputs_says_how_to_re_export() -> None:
    result = CliRunner().invoke(cli, ["inspect", str(EXPORTS / "k3tf_exp_norm_tanh_4-8-1.onnx")])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1
    assert "3 inputs" in lines[0] and "Normalization layer's statistics" in lines[0]
    assert "tf2onnx.convert.from_keras" in lines[0]


@pytest.mark.parametrize("method", ["nn2poly", "lsq", "taylor"])
def test_log_softmax_classifier_converts_verifies_and_exports(method: str, tmp_path: Path) -> None:
    """The whole flow on a torch NLLLoss classifier: the polynomial of its logits passes verify's
    gate on the logits read from the file (observed R² ≥ 0.994 at order 4 on x ∈ [−1, 1]⁴), and the
    export ends in LogSoftmax, as the network does."""
    model = EXPORTS / "pt_ts17_seq_logsoftmax_4-8-3.onnx"
    data = tmp_path / "d.csv"
    np.savetxt(data, np.random.default_rng(0).uniform(-1, 1, (500, 4)), delimiter=",", header="x1,x2,x3,x4", comments="")
    poly = tmp_path / "p.poly.json"
    extra = ["--at-mean", str(data)] if method == "taylor" else []
    runner = CliRunner()
    converted = runner.invoke(cli, ["convert", str(model), "-m", method, "-q", "4", "-o", str(poly), *extra])
    assert converted.exit_code == 0, converted.output
    checked = runner.invoke(cli, ["verify", str(data), "--poly", str(poly), "--model", str(model), "--min-r2", "0.99", "--json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["compared"] == "logits"
    exported = runner.invoke(cli, ["export", str(poly), "-o", str(tmp_path / "p.onnx")])
    assert exported.exit_code == 0 and "log-probabilities" in exported.stdout

