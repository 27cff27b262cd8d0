"""nn2poly's conventions at the command line: softmax outputs, refusals, per-layer Taylor orders.

Oracles: nn2poly's reference output (tests/data/anchors/nn2poly/cases) for the softmax classifier,
whose logits nn2poly expands as its classification vignette does; the refusals are checked by
their exit code and message (the user must learn what to do: --fit).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from oracles import artifact_exponents
import pytest
from click.testing import CliRunner

from nn2poly_helpers import anchor_case, assert_matches_nn2poly, onnx_from_weights
from polyx.cli.main import cli


def _run(*args: str):
    return CliRunner().invoke(cli, ["convert", *args])


def test_softmax_classifier_expands_the_logits_and_says_so(tmp_path: Path) -> None:
    case = anchor_case("case07")
    model = onnx_from_weights(case, tmp_path / "classifier.onnx", softmax=True)
    out = tmp_path / "classifier.poly.json"
    result = _run(str(model), "--order", "4", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "output_space=logits" in result.stdout
    assert "ends in a softmax: the polynomial approximates the logits" in result.stderr
    artifact = json.loads(out.read_text())
    assert artifact["method"]["output_space"] == "logits"
    assert artifact["provenance"]["output_activation"] == "softmax"
    assert any("logits" in warning for warning in artifact["diagnostics"]["warnings"])
    assert_matches_nn2poly(artifact_exponents(artifact), artifact["coefficients"], case, 1e-10)


@pytest.mark.parametrize(("op", "name"), [("relu", "relu"), ("elu", "elu(alpha=1)"), ("selu", "selu")])
def test_kinked_activations_are_refused_with_a_pointer_to_fit(op: str, name: str, tmp_path: Path) -> None:
    case = dict(anchor_case("case05"), activations=[op, "tanh", "linear"])
    model = onnx_from_weights(case, tmp_path / "kinked.onnx")
    out = tmp_path / "kinked.poly.json"
    result = _run(str(model), "--order", "3", "-o", str(out))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"polyx: error: {model}: layer 1 uses " + name.split("(")[0])
    assert "not analytic at the Taylor centre 0" in result.stderr
    assert "use --fit DATA.csv" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_centre_away_from_the_kink_is_accepted(tmp_path: Path) -> None:
    """ReLU is analytic at 0.5: its Taylor polynomial there is the identity, so the whole network is
    affine and the order-3 polynomial has no terms above degree 1."""
    case = dict(anchor_case("case05"), activations=["relu", "relu", "linear"])
    model = onnx_from_weights(case, tmp_path / "relu.onnx")
    result = _run(str(model), "--order", "3", "--taylor-center", "0.5", "-o", str(tmp_path / "relu.poly.json"))
    assert result.exit_code == 0, result.output
    artifact = json.loads((tmp_path / "relu.poly.json").read_text())
    degrees = artifact_exponents(artifact).sum(axis=1)
    assert np.all(np.array(artifact["coefficients"])[:, degrees > 1] == 0.0)
    assert np.any(np.array(artifact["coefficients"])[:, degrees == 1] != 0.0)


@pytest.mark.parametrize(
    ("orders", "message"),
    [
        ("8,1", "--taylor-orders lists 2 orders but the network has 3 layers (hidden and output)"),
        ("8,8,8,1", "--taylor-orders lists 4 orders but the network has 3 layers"),
        ("8,0,1", "--taylor-orders must be ≥ 1, got [8, 0, 1]"),
        ("0", "--taylor-orders must be ≥ 1, got 0"),
    ],
)
def test_wrong_taylor_orders_exit_2_with_one_line(orders: str, message: str, tmp_path: Path) -> None:
    model = onnx_from_weights(anchor_case("case05"), tmp_path / "net.onnx")
    result = _run(str(model), "--taylor-orders", orders, "-o", str(tmp_path / "net.poly.json"))
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "net.poly.json").exists()


def test_non_integer_taylor_orders_are_a_usage_error(tmp_path: Path) -> None:
    model = onnx_from_weights(anchor_case("case05"), tmp_path / "net.onnx")
    result = _run(str(model), "--taylor-orders", "8.5")
    assert result.exit_code == 2
    assert "Taylor orders are whole numbers" in result.output
