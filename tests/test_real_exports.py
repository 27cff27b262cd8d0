"""Real exports with node patterns beyond sample_models (tests/data/exports/README.md): loaded, and the
network run by polyx against onnxruntime running the same file.

Tolerance: 1e-5 relative to max(1, |y|), as for the sample models: onnxruntime computes in float32.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from polyx import load_network
from polyx.cli.main import cli
from polyx.converters.runtime import OnnxRunner

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
