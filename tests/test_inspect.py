"""``polyx inspect``: the per-layer table, the stable --json document and the onnxruntime --check.

The norms are checked against numbers worked out by hand for a small weight list; the check is
checked both ways: it passes on a faithful load and fails (exit 1) when the file no longer
matches the loaded network.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from converters_graphs import GraphBuilder
from polyx import load_network
from polyx.cli.main import cli
from polyx.converters.summary import check_against_onnxruntime

# Layer 1 (2 inputs → 2 neurons): neuron 1 has bias 0.1 and weights (0.2, -0.3): l1 0.6, l2 √0.14;
# neuron 2 has bias -0.5 and weights (0.6, 0.2): l1 1.3, l2 √0.65. Layer 2 (output, excluded from
# nn2poly's constraint): bias 3, weights (4, 0): l1 7, l2 5.
WEIGHTS = [[[0.1, -0.5], [0.2, 0.6], [-0.3, 0.2]], [[3.0], [4.0], [0.0]]]

JSON_KEYS = ["source", "sha256", "format", "producer", "opset", "dtype", "input_name", "output_name", "input_shape",
             "input_size", "output_size", "output_shape", "batch_size", "output_activation", "layers", "graph",
             "nn2poly_constraint", "check"]
LAYER_KEYS = ["index", "in_features", "out_features", "activation", "activation_params", "weight_range", "bias_range",
              "l1_norms", "l2_norms", "l1_max", "l2_max", "l1_within_1", "l2_within_1"]


def _weight_list(tmp_path: Path) -> Path:
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"weights": WEIGHTS, "activations": ["tanh", "linear"]}))
    return path


def _onnx_model(tmp_path: Path, name: str = "model", seed: int = 0, **options) -> Path:
    g = GraphBuilder(opset=17, seed=seed, dtype=options.pop("dtype", np.float32))
    return g.save(tmp_path, name, g.gemm(g.op("Tanh", g.gemm("x", 3, 6)), 6, 2), (3,), **options)


def test_json_has_stable_keys_and_hand_computed_norms(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["inspect", str(_weight_list(tmp_path)), "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document) == JSON_KEYS
    first, second = document["layers"]
    assert list(first) == LAYER_KEYS
    assert first["l1_norms"] == pytest.approx([0.6, 1.3], rel=1e-15)
    assert first["l2_norms"] == pytest.approx([np.sqrt(0.14), np.sqrt(0.65)], rel=1e-15)
    assert (first["l1_max"], first["l2_max"]["neuron"]) == ({"value": pytest.approx(1.3), "neuron": 2}, 2)
    assert (first["l1_within_1"], first["l2_within_1"]) == (False, True)
    assert (second["l1_max"]["value"], second["l2_max"]["value"]) == (pytest.approx(7.0), pytest.approx(5.0))
    assert first["weight_range"] == [-0.3, 0.6] and first["bias_range"] == [-0.5, 0.1]
    assert document["nn2poly_constraint"] == {"l1": False, "l2": True}
    assert document["check"] is None and document["format"] == "weight-list"


def test_table_shows_every_layer(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["inspect", str(_weight_list(tmp_path))], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "2 → 2" in result.stdout and "2 → 1" in result.stdout
    assert "1.3 (2)" in result.stdout and "7 (1)" in result.stdout
    assert "nn2poly constraint (norm ≤ 1 in every layer but the last): holds for l2" in result.stdout


def test_check_passes_and_reports_the_difference(tmp_path: Path) -> None:
    path = _onnx_model(tmp_path, batch=2)
    result = CliRunner().invoke(cli, ["inspect", str(path), "--check", "--samples", "7", "--json"])
    assert result.exit_code == 0, result.output
    check = json.loads(result.stdout)["check"]
    assert check["passed"] and check["samples"] == 7 and check["tolerance"] == 1e-5
    assert 0.0 < check["max_abs_diff"] < 1e-5  # float32 onnxruntime vs float64 IR: small but not zero


def test_check_uses_the_float64_tolerance(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["inspect", str(_onnx_model(tmp_path, dtype=np.float64)), "--check", "--json"])
    check = json.loads(result.stdout)["check"]
    assert result.exit_code == 0 and check["tolerance"] == 1e-10 and check["max_scaled_diff"] <= 1e-10


def test_check_fails_with_exit_1_above_tolerance(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["inspect", str(_onnx_model(tmp_path)), "--check", "--tolerance", "0"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "> tolerance 0" in result.stdout


def test_check_detects_a_file_that_differs_from_the_network(tmp_path: Path) -> None:
    path = _onnx_model(tmp_path, seed=0)
    network = load_network(path)
    _onnx_model(tmp_path, seed=1)  # overwrite the file with other weights
    result = check_against_onnxruntime(network, samples=50)
    assert not result.passed and result.max_abs_diff > 1e-2
