"""Activations of a scaled or shifted argument, and fitted alphas, identified by the elementwise fit.

torch writes softplus(β) as softplus(β·a)/β with a threshold, QuickGELU and swish-β as a·σ(k·a),
cos as Cos; hand-written ELU/LeakyReLU carry their own alpha. Each is built in code (float32 and
float64 constants) and must load as ``p·act(k·a + s) + q`` with k and s folded into the layer
before and p, q into the next one.

Oracles: onnxruntime running the same file on random inputs, within 1e-5 relative to max(1, |y|)
for float32 graphs (onnxruntime computes in float32, ~1e-7 per op) and 1e-10 for float64 graphs;
and the file's own constants: the first layer's weight must be k times the Gemm weight read from
the file, the next layer's weight p times the second Gemm weight (rtol 1e-12: float64 products).
Regions that no ``p·act(k·a + s) + q`` equals must be refused, including torch's softplus with
threshold 10, whose switch to the identity is a jump of log1p(e^-10)/β (4.5e-6 relative at the
threshold), beyond the 1e-6 tolerance.

The real files in tests/data/exports come from torch 2.13.0 (TorchScript ``pt_ts17_*``, dynamo
``pt_dyn<opset>_*``), Linear(3, 8), the activation, Linear(8, 1), random weights:
``F.softplus(h, beta=2, threshold=10)`` (refused), ``F.softplus(h, beta=0.5)``,
QuickGELU ``h·σ(1.702h)``, swish ``h·σ(0.5h)``, ``torch.cos(h)``, and
``torch.where(h > 0, h, 0.5·(exp(h) − 1))``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from converters_graphs import GraphBuilder
from polyx import load_network
from polyx.converters.ir.graph import Graph
from polyx.converters.onnx.runtime import OnnxRunner
from polyx.errors import UnsupportedModelError

EXPORTS = Path(__file__).resolve().parent / "data" / "exports"
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-10}
FILE_CONSTANTS_RTOL = 1e-12


def _softplus_beta(beta: float, threshold: float) -> Callable[[GraphBuilder, str], str]:
    """dynamo's F.softplus(a, beta, threshold): Where(Greater(β·a, threshold), a, Softplus(β·a)/β)."""

    def act(g: GraphBuilder, a: str) -> str:
        scaled = g.op("Mul", a, g.value(beta))
        soft = g.op("Div", g.op("Softplus", scaled), g.value(beta))
        return g.op("Where", g.op("Greater", scaled, g.value(threshold)), a, soft)

    return act


def _scaled_silu(k: float, swapped: bool) -> Callable[[GraphBuilder, str], str]:
    """QuickGELU / swish-β: a·σ(k·a), in TorchScript's operand order or the reverse."""

    def act(g: GraphBuilder, a: str) -> str:
        if swapped:
            return g.op("Mul", g.op("Sigmoid", g.op("Mul", g.constant(k), a)), a)
        return g.op("Mul", a, g.op("Sigmoid", g.op("Mul", a, g.constant(k))))

    return act


def _cos(g: GraphBuilder, a: str) -> str:
    return g.op("Cos", a)


def _elu_where(alpha: float, shift: float) -> Callable[[GraphBuilder, str], str]:
    """A hand-written ELU of a − shift: Where(Greater(a, shift), a − shift, α·(Exp(a − shift) − 1))."""

    def act(g: GraphBuilder, a: str) -> str:
        h = g.op("Sub", a, g.value(shift)) if shift else a
        negative = g.op("Mul", g.value(alpha), g.op("Sub", g.op("Exp", h), g.value(1.0)))
        return g.op("Where", g.op("Greater", a, g.value(shift)), h, negative)

    return act


def _leaky_max(alpha: float) -> Callable[[GraphBuilder, str], str]:
    """Keras-style leaky ReLU written as Max(a, α·a)."""
    return lambda g, a: g.op("Max", a, g.op("Mul", a, g.value(alpha)))


def _build(g: GraphBuilder, act: Callable[[GraphBuilder, str], str]) -> tuple[str, list[np.ndarray]]:
    """Gemm(3 → 5), the activation, Gemm(5 → 2); returns the output and [W1, b1, W2] as the file stores them."""
    output = g.gemm(act(g, g.gemm("x", 3, 5)), 5, 2)
    stored = {tensor.name: numpy_helper.to_array(tensor).astype(np.float64) for tensor in g.initializers}
    first, second = [node for node in g.nodes if node.op_type == "Gemm"]
    return output, [stored[first.input[1]], stored[first.input[2]], stored[second.input[1]]]


def _scaled_difference(got: np.ndarray, expected: np.ndarray) -> float:
    return float(np.max(np.abs(got - expected) / np.maximum(1.0, np.abs(expected))))


def _matches_onnxruntime(path: Path, dtype: type) -> None:
    network = load_network(path)
    x = np.random.default_rng(3).normal(scale=2.0, size=(256, network.input_size)).astype(dtype)
    assert _scaled_difference(network.forward(x.astype(np.float64)), OnnxRunner(path).run(x)) <= TOLERANCE[dtype]


# (id, activation builder, expected activation and parameters, inner scale k; the outer scale p is 1/k)
FORMS = [
    ("softplus_beta2_th20", _softplus_beta(2.0, 20.0), "softplus", {}, 2.0),
    ("softplus_beta0.5_th20", _softplus_beta(0.5, 20.0), "softplus", {}, 0.5),
    ("quickgelu", _scaled_silu(1.702, swapped=False), "silu", {}, 1.702),
    ("swish_beta_swapped", _scaled_silu(0.5, swapped=True), "silu", {}, 0.5),
    ("elu_where_alpha0.5", _elu_where(0.5, 0.0), "elu", {"alpha": 0.5}, 1.0),
    ("elu_where_shifted", _elu_where(0.3, 1.0), "elu", {"alpha": 0.3}, 1.0),
    ("leaky_max_alpha0.2", _leaky_max(0.2), "leaky_relu", {"alpha": 0.2}, 1.0),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("form", FORMS, ids=[form[0] for form in FORMS])
def test_scaled_form_loads_with_its_inner_scale(form, dtype, tmp_path) -> None:
    name, act, activation, params, k = form
    g = GraphBuilder(dtype=dtype, opset=18, seed=len(name))
    output, (w1, b1, w2) = _build(g, act)
    path = g.save(tmp_path, name, output, (3,))
    network = load_network(path)
    assert [layer.activation.name for layer in network.layers] == [activation, "linear"]
    stored_alpha = {key: float(dtype(value)) for key, value in params.items()}
    assert network.layers[0].activation.kwargs == pytest.approx(stored_alpha, rel=1e-12)
    k = float(dtype(k))  # the constant as the file stores it
    shift = -1.0 if "shifted" in name else 0.0
    np.testing.assert_allclose(network.layers[0].weight, k * w1, rtol=FILE_CONSTANTS_RTOL)
    np.testing.assert_allclose(network.layers[0].bias, k * b1 + shift, rtol=FILE_CONSTANTS_RTOL, atol=1e-15)
    np.testing.assert_allclose(network.layers[1].weight, w2 / k, rtol=FILE_CONSTANTS_RTOL)
    _matches_onnxruntime(path, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_cos_is_sin_of_a_shifted_argument(dtype, tmp_path) -> None:
    """Any (k, s) with sin(k·z + s) = cos(z) is right; check that identity rather than one choice."""
    g = GraphBuilder(dtype=dtype, opset=17, seed=5)
    output, (w1, b1, w2) = _build(g, _cos)
    path = g.save(tmp_path, "cos", output, (3,))
    layer = load_network(path).layers[0]
    assert layer.activation.name == "sin"
    k = layer.weight / w1
    s = layer.bias - k[:, 0] * b1
    z = np.linspace(-30.0, 30.0, 601)
    assert np.max(np.abs(np.sin(k[0, 0] * z + s[0]) - np.cos(z))) <= 1e-12  # float64 rounding of k·z + s
    np.testing.assert_allclose(k, k[0, 0], rtol=FILE_CONSTANTS_RTOL)
    np.testing.assert_allclose(s, s[0], rtol=FILE_CONSTANTS_RTOL)
    _matches_onnxruntime(path, dtype)


def _tanh_squared(g: GraphBuilder, a: str) -> str:
    t = g.op("Tanh", a)
    return g.op("Mul", t, t)


def _sin_plus_linear(g: GraphBuilder, a: str) -> str:
    return g.op("Add", g.op("Sin", a), g.op("Mul", a, g.value(0.1)))


def _silu_of_shifted_gate(g: GraphBuilder, a: str) -> str:
    """a·σ(1.5a + 0.5): the gate is shifted but the factor is not, so it is no silu(k·a + s)."""
    return g.op("Mul", a, g.op("Sigmoid", g.op("Add", g.op("Mul", a, g.value(1.5)), g.value(0.5))))


# (id, builder, op of the region's last node, extra words the reason must contain)
NOT_ACTIVATIONS = [
    # threshold 10: the identity branch is off softplus(2a)/2 by log1p(e^-10)/2 ≈ 2.3e-5 above a = 5
    ("softplus_beta2_th10", _softplus_beta(2.0, 10.0), "Where", "the closest is 0.5·softplus(2·t"),
    # threshold 10 at β = 0.1 lies at a = 100, outside the t-grid: seen on the grid of u = 0.1·a
    ("softplus_beta0.1_th10", _softplus_beta(0.1, 10.0), "Where", "the closest is 10·softplus(0.1·t"),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("case", NOT_ACTIVATIONS, ids=[case[0] for case in NOT_ACTIVATIONS])
def test_region_equal_to_no_scaled_activation_is_refused(case, dtype, tmp_path) -> None:
    name, act, op, words = case
    g = GraphBuilder(dtype=dtype, opset=18, seed=len(name))
    output, _ = _build(g, act)
    with pytest.raises(UnsupportedModelError) as refused:
        load_network(g.save(tmp_path, name, output, (3,)))
    message = str(refused.value)
    assert f"({op}): the elementwise function of" in message and "is not a supported activation" in message
    assert words in re.sub(r"(\d+\.\d+)", lambda number: f"{float(number.group(1)):.2g}", message)


# Regions equal to no scaled activation that the graph IR writes exactly as products and sums of
# activations (tanh·tanh, sin + a, a·σ(1.5a + 0.5)): they load as graphs, never as a wrong activation.
EXACT_AS_GRAPHS = [("tanh_squared", _tanh_squared), ("sin_plus_linear", _sin_plus_linear),
                   ("silu_of_shifted_gate", _silu_of_shifted_gate)]


@pytest.mark.parametrize("case", EXACT_AS_GRAPHS, ids=[case[0] for case in EXACT_AS_GRAPHS])
def test_region_equal_to_no_activation_loads_as_an_exact_graph(case, tmp_path) -> None:
    name, act = case
    g = GraphBuilder(dtype=np.float64, opset=18, seed=len(name))
    output, _ = _build(g, act)
    path = g.save(tmp_path, name, output, (3,))
    network = load_network(path)
    assert isinstance(network, Graph)
    _matches_onnxruntime(path, np.float64)


def _stored_first_weight(path: Path) -> np.ndarray:
    model = onnx.load(str(path))
    stored = {tensor.name: numpy_helper.to_array(tensor) for tensor in model.graph.initializer}
    gemm = next(node for node in model.graph.node if node.op_type == "Gemm")
    return stored[gemm.input[1]].astype(np.float64)


# (file, activation, parameters, inner scale k as the file stores it; None where only |k| = 1 is asserted)
REAL_FILES = [
    ("pt_dyn20_F_softplus_beta0.5_3-8-1", "softplus", {}, 0.5),
    ("pt_ts17_quickgelu_3-8-1", "silu", {}, float(np.float32(1.702))),
    ("pt_dyn20_swish_beta_3-8-1", "silu", {}, 0.5),
    ("pt_ts17_F_cos_3-8-1", "sin", {}, None),
    ("pt_ts17_F_elu_manual_where_3-8-1", "elu", {"alpha": 0.5}, 1.0),
]


@pytest.mark.parametrize("case", REAL_FILES, ids=[case[0] for case in REAL_FILES])
def test_real_export_matches_onnxruntime(case) -> None:
    name, activation, params, k = case
    path = EXPORTS / f"{name}.onnx"
    network = load_network(path)
    assert [layer.activation.name for layer in network.layers] == [activation, "linear"]
    assert network.layers[0].activation.kwargs == pytest.approx(params, rel=1e-12)
    ratio = network.layers[0].weight / _stored_first_weight(path)
    np.testing.assert_allclose(np.abs(ratio), abs(k) if k is not None else 1.0, rtol=FILE_CONSTANTS_RTOL)
    _matches_onnxruntime(path, np.float32)


def test_real_softplus_with_threshold_10_is_refused_naming_the_closest_fit() -> None:
    """torch's threshold makes F.softplus(h, beta=2, threshold=10) differ from softplus(2h)/2 by 3.5e-6
    (relative) just above h = 5; polyx must not call it softplus."""
    with pytest.raises(UnsupportedModelError) as refused:
        load_network(EXPORTS / "pt_dyn18_F_softplus_beta2_th10_3-8-1.onnx")
    message = str(refused.value)
    assert "node 'n10' (Where): the elementwise function of 'linear'" in message
    assert "the closest is 0.499999·softplus(2·t" in message and "beyond the tolerance 1e-06" in message
