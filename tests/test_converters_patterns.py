"""Every exporter pattern of exporters.md §3, built in code and checked against onnxruntime.

Oracle: onnxruntime running the very same file on random inputs. Tolerances: float32 graphs
1e-5 (onnxruntime computes in float32, ~1e-7 relative per op; the IR in float64), float64 graphs
1e-10; both relative to max(1, |y|). The layers' activations are checked too, so a pattern that
happens to give close numbers with the wrong activation fails.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import pytest

from converters_graphs import GraphBuilder
from polyx import load_network
from polyx.converters.onnx.runtime import OnnxRunner

SQRT2 = math.sqrt(2.0)
GELU_C = math.sqrt(2.0 / math.pi)


def _torch_gemm_chain(activation: Callable[[GraphBuilder, str], str], n_in: int = 3, hidden: int = 5, n_out: int = 2):
    def build(g: GraphBuilder):
        h = g.gemm("x", n_in, hidden)
        return g.gemm(activation(g, h), hidden, n_out), (n_in,)

    return build


def _single(op: str, **attributes):
    return _torch_gemm_chain(lambda g, h: g.op(op, h, **attributes))


def _silu(order: str):
    def act(g: GraphBuilder, a: str) -> str:
        s = g.op("Sigmoid", a)
        return g.op("Mul", a, s) if order == "as" else g.op("Mul", s, a)

    return _torch_gemm_chain(act)


def _gelu_erf(variant: str):
    """torch's exact GELU: Div(a, √2) → Erf → Add 1 → Mul a → Mul 0.5, in several operand orders."""

    def act(g: GraphBuilder, a: str) -> str:
        if variant == "half_first":
            half = g.op("Mul", g.constant(0.5), a)
            erf = g.op("Erf", g.op("Mul", a, g.constant(1 / SQRT2)))
            return g.op("Mul", half, g.op("Add", g.constant(1.0), erf))
        erf = g.op("Erf", g.op("Div", a, g.constant(SQRT2)))
        one_plus = g.op("Add", erf, g.constant(1.0)) if variant == "torch" else g.op("Add", g.constant(1.0), erf)
        times = g.op("Mul", a, one_plus) if variant == "torch" else g.op("Mul", one_plus, a)
        return g.op("Mul", times, g.constant(0.5)) if variant == "torch" else g.op("Mul", g.constant(0.5), times)

    return _torch_gemm_chain(act)


def _gelu_tanh(cube: str):
    """tanh-GELU: TorchScript's Mul·Mul form with Constant nodes, or tf2onnx's Pow form with initializers."""

    def act(g: GraphBuilder, a: str) -> str:
        c = g.constant if cube == "mul" else g.value
        cubed = g.op("Mul", a, g.op("Mul", a, a)) if cube == "mul" else g.op("Pow", a, g.value(3.0))
        inner = g.op("Add", a, g.op("Mul", c(0.044715), cubed))
        tanh = g.op("Tanh", g.op("Mul", c(GELU_C), inner))
        one_plus = g.op("Add", c(1.0), tanh)
        return g.op("Mul", c(0.5), g.op("Mul", a, one_plus))

    return _torch_gemm_chain(act)


def _torch_softplus(optimized: bool):
    """dynamo's softplus: Where(Greater(a, 20), a, Softplus(a)); with optimize=False also Mul/Div by β=1."""

    def act(g: GraphBuilder, a: str) -> str:
        if optimized:
            return g.op("Where", g.op("Greater", a, g.value(20.0)), a, g.op("Softplus", a))
        beta = g.op("CastLike", g.constant(1.0, dtype=np.float32), a)
        scaled = g.op("Mul", a, beta)
        soft = g.op("Div", g.op("Softplus", scaled), beta)
        threshold = g.op("CastLike", g.constant(20.0, dtype=np.float32), a)
        return g.op("Where", g.op("Greater", scaled, threshold), a, soft)

    return _torch_gemm_chain(act)


def _gemm_variants(variant: str):
    def build(g: GraphBuilder):
        if variant == "transB0":
            h = g.op("Gemm", "x", g.random(3, 4), g.random(4))
        elif variant == "alpha_beta":
            h = g.op("Gemm", "x", g.random(4, 3), g.random(4), transB=1, alpha=0.7, beta=-1.3)
        elif variant == "no_bias":
            h = g.op("Gemm", "x", g.random(4, 3), transB=1)
        elif variant == "row_bias":
            h = g.op("Gemm", "x", g.random(3, 4), g.random(1, 4))
        else:
            h = g.op("Gemm", "x", g.random(4, 3), g.value(0.25), transB=1)
        return g.gemm(g.op("Tanh", h), 4, 2), (3,)

    return build


def _matmul(variant: str):
    def build(g: GraphBuilder):
        if variant == "no_add":
            h = g.op("Tanh", g.op("MatMul", "x", g.random(3, 4)))
            return g.op("MatMul", h, g.random(4, 2)), (3,)
        h = g.op("Relu", g.matmul_add("x", 3, 4, bias_first=variant == "bias_first"))
        return g.matmul_add(h, 4, 2, bias_first=variant == "bias_first"), (3,)

    return build


def _constants_from_constant_nodes(g: GraphBuilder):
    weight = g.constant(g.rng.normal(size=(4, 3)))
    bias_node = g.constant_attribute(value_floats=[float(v) for v in g.rng.normal(size=4)])
    h = g.op("Gemm", "x", weight, bias_node, transB=1)
    scale = g.constant_attribute(value_float=1.5)
    return g.gemm(g.op("Sigmoid", g.op("Mul", h, scale)), 4, 1), (3,)



def _batchnorm_op(where: str):
    """TorchScript's BatchNormalization op, before or after the activation (or last)."""

    def bn(g: GraphBuilder, h: str, n: int) -> str:
        variance = g.value(g.rng.uniform(0.5, 2.0, n))
        return g.op("BatchNormalization", h, g.random(n), g.random(n), g.random(n), variance, epsilon=1e-3)

    def build(g: GraphBuilder):
        h = g.gemm("x", 3, 4)
        if where == "before":
            return g.gemm(g.op("Tanh", bn(g, h, 4)), 4, 2), (3,)
        if where == "after":
            return g.gemm(bn(g, g.op("Elu", h, alpha=0.7), 4), 4, 2), (3,)
        return bn(g, g.op("Softplus", g.gemm(g.op("Tanh", h), 4, 2)), 2), (3,)

    return build


def _batchnorm_affine(form: str):
    """tf2onnx's Mul+Add, Keras-torch's Sub+Mul+Add with (1, n) constants, jax's folded constant subgraph."""

    def build(g: GraphBuilder):
        h = g.matmul_add("x", 3, 4)
        if form == "tf2onnx_before":
            h = g.op("Softplus", g.op("Add", g.op("Mul", h, g.random(4)), g.random(4)))
        elif form == "tf2onnx_after":
            h = g.op("Add", g.op("Mul", g.op("Relu", h), g.random(4)), g.random(4))
        elif form == "keras_torch":
            h = g.op("Sub", h, g.random(1, 4))
            h = g.op("Sigmoid", g.op("Add", g.op("Mul", h, g.random(1, 4)), g.random(1, 4)))
        else:
            shape = g.value(np.array([1, 4]), dtype=np.int64)
            variance = g.op("Reshape", g.value(g.rng.uniform(0.5, 2, 4)), shape)
            scale = g.op("Div", g.value(1.0), g.op("Sqrt", g.op("Add", variance, g.value(1e-3))))
            scale = g.op("Mul", scale, g.op("Reshape", g.random(4), shape))
            shift = g.op("Add", g.op("Mul", g.op("Neg", g.op("Reshape", g.random(4), shape)), scale),
                         g.op("Reshape", g.random(4), shape))
            h = g.op("Tanh", g.op("Add", g.op("Mul", h, scale), shift))
        return g.matmul_add(h, 4, 2), (3,)

    return build


def _keras_torch_casts(g: GraphBuilder):
    x = g.op("Cast", g.op("Cast", g.op("Cast", "x", to=1), to=1), to=1)
    h = g.op("Add", g.op("MatMul", g.op("Cast", x, to=1), g.random(3, 4)), g.op("Cast", g.random(4), to=1))
    h = g.op("Identity", g.op("Dropout", g.op("Selu", g.op("Cast", h, to=1))))
    return g.op("CastLike", g.matmul_add(h, 4, 2), g.value(0.0)), (3,)


def _flatten(kind: str):
    def build(g: GraphBuilder):
        if kind == "flatten":
            x = g.op("Flatten", "x", axis=1)
        elif kind == "reshape_minus1":
            x = g.op("Reshape", "x", g.value(np.array([-1, 6]), dtype=np.int64), allowzero=1)
        else:
            x = g.op("Reshape", "x", g.value(np.array([0, -1]), dtype=np.int64))
        return g.gemm(g.op("Tanh", g.gemm(x, 6, 4)), 4, 1), (2, 3)

    return build


def _shape_flatten(kind: str):
    """The flatten whose target is computed from the data's shape: TorchScript's x.view(x.size(0), -1)
    and Keras 3 on torch/JAX (Gather of Shape), dynamo unoptimised (Shape[start:end] → Squeeze), and
    a Slice form."""
    def build(g: GraphBuilder):
        if kind == "gather":
            size = g.op("Gather", g.op("Shape", "x"), g.value(np.array(0), dtype=np.int64), axis=0)
            batch = g.op("Unsqueeze", size, g.value(np.array([0]), dtype=np.int64))
        elif kind == "shape_start_end":
            batch = g.op("Reshape", g.op("Squeeze", g.op("Shape", "x", start=0, end=1)),
                         g.value(np.array([-1]), dtype=np.int64))
        else:
            batch = g.op("Slice", g.op("Shape", "x"), g.value(np.array([0]), dtype=np.int64),
                         g.value(np.array([1]), dtype=np.int64))
        target = g.op("Concat", batch, g.value(np.array([-1 if kind != "shape_start_end" else 6]), dtype=np.int64), axis=0)
        x = g.op("Reshape", "x", target)
        return g.gemm(g.op("Tanh", g.gemm(x, 6, 4)), 4, 1), (2, 3)

    return build


def _one_output_head(kind: str):
    """A regression head that returns (batch,): squeeze(-1), view(-1), or h @ w with a 1-D w."""
    def build(g: GraphBuilder):
        h = g.op("Tanh", g.gemm("x", 3, 4))
        if kind == "squeeze":
            return g.op("Squeeze", g.gemm(h, 4, 1), g.value(np.array([1]), dtype=np.int64)), (3,)
        if kind == "squeeze_v11":
            return g.op("Squeeze", g.gemm(h, 4, 1), axes=[1]), (3,)
        if kind == "view":
            return g.op("Reshape", g.gemm(h, 4, 1), g.value(np.array([-1]), dtype=np.int64), allowzero=1), (3,)
        return g.op("Add", g.op("MatMul", h, g.random(4)), g.value(0.25)), (3,)

    return build


def _clip(low: float | None, high: float | None):
    """torch's clamp with one bound: a relu shifted by the bound (exactly)."""
    def build(g: GraphBuilder):
        bounds = [g.value(b) if b is not None else "" for b in (low, high)]
        while bounds and not bounds[-1]:
            bounds.pop()
        return g.gemm(g.op("Clip", g.gemm("x", 3, 4), *bounds), 4, 2), (3,)

    return build


def _prelu(g: GraphBuilder):
    return g.gemm(g.op("PRelu", g.gemm("x", 3, 4), g.value(np.array([0.25]))), 4, 2), (3,)


def _input_normalisation(g: GraphBuilder):
    x = g.op("Div", g.op("Sub", "x", g.random(3)), g.value(g.rng.uniform(0.5, 2.0, 3)))
    h = g.op("Neg", g.op("Sub", g.value(0.3), g.gemm(x, 3, 4)))
    return g.gemm(g.op("Tanh", g.op("Mul", g.value(2.0), h)), 4, 2), (3,)


def _linear_stack(g: GraphBuilder):
    h = g.matmul_add(g.matmul_add("x", 4, 4), 4, 4)
    return g.matmul_add(h, 4, 2), (4,)


def _gelu_last(g: GraphBuilder):
    h = g.gemm(g.op("Sigmoid", g.gemm("x", 2, 3)), 3, 2)
    erf = g.op("Erf", g.op("Div", h, g.constant(SQRT2)))
    return g.op("Mul", g.op("Mul", h, g.op("Add", erf, g.constant(1.0))), g.constant(0.5)), (2,)


def _silu_then_tanh(g: GraphBuilder):
    """Two activations with no layer between: the largest subgraph that is one activation wins (SiLU), then Tanh."""
    a = g.gemm("x", 3, 4)
    return g.gemm(g.op("Tanh", g.op("Mul", a, g.op("Sigmoid", a))), 4, 2), (3,)


def _sigmoid_as_a_chain(g: GraphBuilder):
    """1 / (1 + exp(−a)) written op by op: Neg folds into the layer, the rest is identified as a sigmoid."""
    h = g.op("Reciprocal", g.op("Add", g.value(1.0), g.op("Exp", g.op("Neg", g.gemm("x", 3, 4)))))
    return g.gemm(h, 4, 2), (3,)


def _normalise_then_flatten(g: GraphBuilder):
    """A per-element (2, 3) constant applied before the Flatten, folded into the first layer row-major."""
    x = g.op("Flatten", g.op("Mul", g.op("Sub", "x", g.random(2, 3)), g.random(1, 2, 3)))
    return g.gemm(g.op("Tanh", g.gemm(x, 6, 4)), 4, 1), (2, 3)


def _softmax(opset_default: bool, op: str = "Softmax"):
    def build(g: GraphBuilder):
        h = g.gemm(g.op("Tanh", g.gemm("x", 3, 5)), 5, 3)
        return (g.op(op, h) if opset_default else g.op(op, h, axis=-1)), (3,)

    return build


def _deep(activations: tuple[str, ...]):
    def build(g: GraphBuilder):
        h, width = "x", 4
        for act in activations:
            h = g.op(act, g.gemm(h, width, 5))
            width = 5
        return g.gemm(h, width, 3), (4,)

    return build


# (id, builder, expected activations, dtype, opset, model options)
CASES = [
    ("gemm_tanh", _single("Tanh"), ["tanh", "linear"], np.float32, 17, {}),
    ("gemm_sigmoid", _single("Sigmoid"), ["sigmoid", "linear"], np.float32, 13, {}),
    ("gemm_softplus", _single("Softplus"), ["softplus", "linear"], np.float32, 17, {}),
    ("gemm_relu", _single("Relu"), ["relu", "linear"], np.float32, 17, {}),
    ("gemm_leaky_relu", _single("LeakyRelu", alpha=0.2), ["leaky_relu", "linear"], np.float32, 17, {}),
    ("gemm_elu_alpha", _single("Elu", alpha=0.7), ["elu", "linear"], np.float32, 17, {}),
    ("gemm_elu_default", _single("Elu"), ["elu", "linear"], np.float32, 15, {}),
    ("gemm_selu_default", _single("Selu"), ["selu", "linear"], np.float32, 15, {}),
    ("gemm_selu_explicit", _single("Selu", alpha=1.6732632423543772, gamma=1.0507009873554805), ["selu", "linear"],
     np.float32, 23, {}),
    ("gemm_sin", _single("Sin"), ["sin", "linear"], np.float32, 17, {}),
    ("gelu_op_none", _single("Gelu"), ["gelu", "linear"], np.float32, 20, {}),
    ("gelu_op_tanh", _single("Gelu", approximate="tanh"), ["gelu_tanh", "linear"], np.float32, 20, {}),
    ("silu_a_sig", _silu("as"), ["silu", "linear"], np.float32, 17, {}),
    ("silu_sig_a", _silu("sa"), ["silu", "linear"], np.float32, 17, {}),
    ("gelu_erf_torch", _gelu_erf("torch"), ["gelu", "linear"], np.float32, 17, {}),
    ("gelu_erf_swapped", _gelu_erf("swapped"), ["gelu", "linear"], np.float32, 18, {}),
    ("gelu_erf_half_first", _gelu_erf("half_first"), ["gelu", "linear"], np.float32, 17, {}),
    ("gelu_tanh_mul_mul", _gelu_tanh("mul"), ["gelu_tanh", "linear"], np.float32, 17, {}),
    ("gelu_tanh_pow", _gelu_tanh("pow"), ["gelu_tanh", "linear"], np.float32, 15, {}),
    ("softplus_where", _torch_softplus(True), ["softplus", "linear"], np.float32, 18, {}),
    ("softplus_where_unoptimized", _torch_softplus(False), ["softplus", "linear"], np.float32, 18, {}),
    ("gemm_transB0", _gemm_variants("transB0"), ["tanh", "linear"], np.float32, 13, {}),
    ("gemm_fixed_batch", _gemm_variants("transB0"), ["tanh", "linear"], np.float32, 13, {"batch": 1}),
    ("gemm_alpha_beta", _gemm_variants("alpha_beta"), ["tanh", "linear"], np.float32, 13, {}),
    ("gemm_no_bias", _gemm_variants("no_bias"), ["tanh", "linear"], np.float32, 13, {}),
    ("gemm_row_bias", _gemm_variants("row_bias"), ["tanh", "linear"], np.float32, 13, {}),
    ("gemm_scalar_bias", _gemm_variants("scalar_bias"), ["tanh", "linear"], np.float32, 13, {}),
    ("matmul_add", _matmul("add"), ["relu", "linear"], np.float32, 15, {}),
    ("matmul_bias_first", _matmul("bias_first"), ["relu", "linear"], np.float32, 15, {}),
    ("matmul_no_bias", _matmul("no_add"), ["tanh", "linear"], np.float32, 15, {}),
    ("constant_nodes", _constants_from_constant_nodes, ["sigmoid", "linear"], np.float32, 11, {}),
    ("weights_as_inputs", _single("Tanh"), ["tanh", "linear"], np.float32, 11, {"initializers_as_inputs": True}),
    ("batchnorm_op_before", _batchnorm_op("before"), ["tanh", "linear"], np.float32, 17, {}),
    ("batchnorm_op_after", _batchnorm_op("after"), ["elu", "linear"], np.float32, 17, {}),
    ("batchnorm_op_last", _batchnorm_op("last"), ["tanh", "softplus", "linear"], np.float32, 17, {}),
    ("batchnorm_tf2onnx_before", _batchnorm_affine("tf2onnx_before"), ["softplus", "linear"], np.float32, 15, {}),
    ("batchnorm_tf2onnx_after", _batchnorm_affine("tf2onnx_after"), ["relu", "linear"], np.float32, 15, {}),
    ("batchnorm_keras_torch", _batchnorm_affine("keras_torch"), ["sigmoid", "linear"], np.float32, 20, {}),
    ("batchnorm_jax_subgraph", _batchnorm_affine("jax"), ["tanh", "linear"], np.float32, 23, {}),
    ("keras_torch_casts_dropout", _keras_torch_casts, ["selu", "linear"], np.float32, 20, {}),
    ("flatten", _flatten("flatten"), ["tanh", "linear"], np.float32, 17, {}),
    ("reshape_minus1", _flatten("reshape_minus1"), ["tanh", "linear"], np.float32, 18, {}),
    ("reshape_zero", _flatten("reshape_zero"), ["tanh", "linear"], np.float32, 15, {}),
    ("reshape_fixed_batch", _flatten("reshape_minus1"), ["tanh", "linear"], np.float32, 18, {"batch": 2}),
    ("shape_flatten_gather", _shape_flatten("gather"), ["tanh", "linear"], np.float32, 17, {}),
    ("shape_flatten_gather_fixed_batch", _shape_flatten("gather"), ["tanh", "linear"], np.float32, 13, {"batch": 3}),
    ("shape_flatten_start_end", _shape_flatten("shape_start_end"), ["tanh", "linear"], np.float32, 18, {}),
    ("shape_flatten_slice", _shape_flatten("slice"), ["tanh", "linear"], np.float32, 17, {}),
    ("head_squeeze", _one_output_head("squeeze"), ["tanh", "linear"], np.float32, 17, {}),
    ("head_squeeze_axes_attribute", _one_output_head("squeeze_v11"), ["tanh", "linear"], np.float32, 11, {}),
    ("head_view", _one_output_head("view"), ["tanh", "linear"], np.float32, 20, {}),
    ("head_vector_weight", _one_output_head("vector"), ["tanh", "linear"], np.float32, 17, {}),
    ("clip_min_zero", _clip(0.0, None), ["relu", "linear"], np.float32, 17, {}),
    ("clip_min_shifted", _clip(-0.4, None), ["relu", "linear"], np.float32, 17, {}),
    ("clip_max_only", _clip(None, 0.3), ["relu", "linear"], np.float32, 17, {}),
    ("prelu_one_slope", _prelu, ["leaky_relu", "linear"], np.float32, 17, {}),
    ("input_normalisation_sub_neg", _input_normalisation, ["tanh", "linear"], np.float32, 17, {}),
    ("linear_stack", _linear_stack, ["linear", "linear", "linear"], np.float32, 15, {}),
    ("gelu_last_layer", _gelu_last, ["sigmoid", "gelu"], np.float32, 17, {}),
    ("silu_then_tanh", _silu_then_tanh, ["silu", "tanh", "linear"], np.float32, 17, {}),
    ("sigmoid_as_a_chain", _sigmoid_as_a_chain, ["sigmoid", "linear"], np.float32, 17, {}),
    ("normalise_then_flatten", _normalise_then_flatten, ["tanh", "linear"], np.float32, 17, {}),
    ("softmax_axis_default_13", _softmax(True), ["tanh", "linear"], np.float32, 13, {}),
    ("softmax_axis_default_11", _softmax(True), ["tanh", "linear"], np.float32, 11, {}),
    ("softmax_axis_minus1", _softmax(False), ["tanh", "linear"], np.float32, 17, {}),
    ("log_softmax_axis_default_13", _softmax(True, "LogSoftmax"), ["tanh", "linear"], np.float32, 13, {}),
    ("log_softmax_axis_default_11", _softmax(True, "LogSoftmax"), ["tanh", "linear"], np.float32, 11, {}),
    ("float64_log_softmax", _softmax(False, "LogSoftmax"), ["tanh", "linear"], np.float64, 17, {}),
    ("float64_deep", _deep(("Tanh", "Sigmoid", "Relu", "Tanh")), ["tanh", "sigmoid", "relu", "tanh", "linear"],
     np.float64, 17, {}),
    ("float64_silu", _silu("as"), ["silu", "linear"], np.float64, 17, {}),
    ("float64_batchnorm_jax_subgraph", _batchnorm_affine("jax"), ["tanh", "linear"], np.float64, 23, {}),
    ("float64_gelu_tanh_pow", _gelu_tanh("pow"), ["gelu_tanh", "linear"], np.float64, 18, {}),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_pattern_matches_onnxruntime(case, tmp_path) -> None:
    name, build, activations, dtype, opset, options = case
    g = GraphBuilder(dtype=dtype, opset=opset, seed=len(name))
    output, input_shape = build(g)
    path = g.save(tmp_path, name, output, input_shape, **options)
    network = load_network(path)
    assert [layer.activation.name for layer in network.layers] == activations
    assert network.dtype == np.dtype(dtype).name
    assert network.input_shape == input_shape
    assert network.batch_size == options.get("batch")
    assert network.output_activation == ("log_softmax" if "log_softmax" in name else "softmax" if "softmax" in name else None)
    x = np.random.default_rng(7).normal(scale=1.5, size=(64, int(np.prod(input_shape)))).astype(dtype)
    expected = OnnxRunner(path).run(x)
    got = network.forward(x.astype(np.float64))
    tolerance = 1e-5 if dtype == np.float32 else 1e-10
    assert np.max(np.abs(got - expected) / np.maximum(1.0, np.abs(expected))) <= tolerance


def test_layer_parameters_are_read_from_attributes(tmp_path) -> None:
    """Elu alpha, LeakyRelu alpha and Selu's ONNX defaults reach the IR (the forward test alone could hide a default)."""
    g = GraphBuilder()
    h = g.op("Selu", g.gemm(g.op("LeakyRelu", g.gemm(g.op("Elu", g.gemm("x", 2, 3), alpha=0.7), 3, 3), alpha=0.2), 3, 3))
    network = load_network(g.save(tmp_path, "params", g.gemm(h, 3, 1), (2,)))
    params = [layer.activation.kwargs for layer in network.layers]
    assert params[0] == pytest.approx({"alpha": 0.7})
    assert params[1] == pytest.approx({"alpha": 0.2})
    assert params[2] == pytest.approx({"alpha": 1.6732632, "gamma": 1.0507010})


def test_metadata_records_source_and_producer(tmp_path) -> None:
    import hashlib

    g = GraphBuilder(opset=17)
    path = g.save(tmp_path, "meta", g.gemm(g.op("Tanh", g.gemm("features", 2, 3)), 3, 1), (2,), input_name="features")
    network = load_network(path)
    assert network.metadata["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert network.metadata["source"] == str(path)
    assert (network.metadata["format"], network.metadata["opset"], network.metadata["producer"]) == ("onnx", 17, "polyx-tests")
    assert network.input_name == "features"
