"""Every graph op polyx reads, one small model each, against onnxruntime running the same file.

The models are float32 (onnxruntime has no float64 convolution), polyx evaluates the same float32
weights and inputs in float64, so the comparison is within float32 arithmetic: 2e-6 relative to
max(1, |y|). They end in a Gemm so that the output is a vector, as in real networks. Attributes cover what exporters write:
strides, pads (explicit and auto_pad), dilations and groups for convolutions; count_include_pad
for average pooling; negative axes; broadcasting joins; both LayerNorm spellings (the opset-17 op
and the ReduceMean/Sub/Pow/Sqrt/Div decomposition of older opsets).
"""

from __future__ import annotations

import math

import numpy as np
import onnxruntime
import pytest

from converters_graphs import GraphBuilder
from polyx import load_network
from polyx.converters.ir.graph import ConvOperator, Graph
from polyx.errors import UnsupportedModelError

TOLERANCE = 2e-6


def _head(g: GraphBuilder, h: str, width: int) -> str:
    return g.gemm(g.op("Flatten", h), width, 2)


def _conv2d(**attributes):
    def build(g: GraphBuilder):
        group = attributes.get("group", 1)
        h = g.op("Conv", "x", g.random(4, 4 // group, 3, 3), g.random(4), **attributes)
        return h, (4, 7, 6)
    return build


def _conv1d(g: GraphBuilder):
    return g.op("Conv", "x", g.random(3, 2, 2), g.random(3), strides=[2], pads=[1, 0], dilations=[2]), (2, 9)


def _average_pool(include_pad: int):
    def build(g: GraphBuilder):
        return g.op("AveragePool", "x", kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 1, 1],
                    count_include_pad=include_pad), (2, 5, 4)
    return build


def _max_pool(g: GraphBuilder):
    return g.op("MaxPool", g.op("Tanh", "x"), kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 1, 1]), (2, 5, 5)


def _global_pools(g: GraphBuilder):
    conv = g.op("Conv", "x", g.random(3, 2, 2, 2), g.random(3))
    return g.op("Concat", g.op("GlobalAveragePool", conv), g.op("GlobalMaxPool", conv), axis=1), (2, 4, 4)


def _transpose_concat(g: GraphBuilder):
    t = g.op("Transpose", "x", perm=[0, 2, 1])
    return g.op("Concat", t, g.op("Sigmoid", t), axis=-1), (3, 4)


def _split_slice(g: GraphBuilder):
    a = g.op("Split", "x", g.value(np.array([2, 2]), dtype=np.int64), outputs=2, axis=1)
    b = a + "1"
    every_other = g.op("Slice", "x", g.value(np.array([0]), dtype=np.int64), g.value(np.array([4]), dtype=np.int64),
                       g.value(np.array([1]), dtype=np.int64), g.value(np.array([2]), dtype=np.int64))
    return g.op("Mul", g.op("Tanh", a), g.op("Add", every_other, b)), (4, 4)


def _layer_norm_op(axis: int):
    def build(g: GraphBuilder):
        shape = (3, 4)
        normalised = shape[axis:] if axis > 0 else shape[axis:]
        return g.op("LayerNormalization", "x", g.random(*normalised), g.random(*normalised), axis=axis,
                    epsilon=1e-3), shape
    return build


def _layer_norm_decomposed(g: GraphBuilder):
    """What torch writes for LayerNorm below opset 17."""
    mean = g.op("ReduceMean", "x", axes=[-1])
    centred = g.op("Sub", "x", mean)
    variance = g.op("ReduceMean", g.op("Pow", centred, g.value(2.0)), axes=[-1])
    deviation = g.op("Sqrt", g.op("Add", variance, g.value(1e-5)))
    normal = g.op("Div", centred, deviation)
    return g.op("Add", g.op("Mul", normal, g.random(6)), g.random(6)), (6,)


def _rms_norm(g: GraphBuilder):
    """RMSNorm as models write it by hand: x · (mean(x²) + ε)^(−1/2) · γ."""
    mean_square = g.op("ReduceMean", g.op("Mul", "x", "x"), axes=[1])
    inverse = g.op("Reciprocal", g.op("Sqrt", g.op("Add", mean_square, g.value(1e-6))))
    return g.op("Mul", g.op("Mul", "x", inverse), g.random(5)), (5,)


def _residual_broadcast(g: GraphBuilder):
    h = g.op("Tanh", g.op("Conv", "x", g.random(2, 2, 1, 1), g.random(2)))
    return g.op("Sub", g.op("Add", "x", h), g.op("ReduceMean", h, axes=[2, 3], keepdims=1)), (2, 3, 3)


def _gated_reshape(g: GraphBuilder):
    h = g.gemm("x", 4, 6)
    gate = g.op("Reshape", g.op("Sigmoid", g.gemm("x", 4, 6)), g.value(np.array([0, 2, 3]), dtype=np.int64))
    return g.op("Mul", g.op("Reshape", h, g.value(np.array([-1, 2, 3]), dtype=np.int64)), gate), (4,)


CASES = [
    ("conv2d_plain", _conv2d()),
    ("conv2d_stride_pad_dilation", _conv2d(strides=[2, 1], pads=[1, 0, 2, 1], dilations=[1, 2])),
    ("conv2d_groups", _conv2d(group=2, pads=[1, 1, 1, 1])),
    ("conv2d_same_upper", _conv2d(auto_pad="SAME_UPPER", strides=[2, 2])),
    ("conv2d_same_lower", _conv2d(auto_pad="SAME_LOWER")),
    ("conv1d", _conv1d),
    ("average_pool_exclude_pad", _average_pool(0)),
    ("average_pool_include_pad", _average_pool(1)),
    ("max_pool", _max_pool),
    ("global_pools", _global_pools),
    ("transpose_concat", _transpose_concat),
    ("split_slice_gate", _split_slice),
    ("layer_norm_last_axis", _layer_norm_op(-1)),
    ("layer_norm_two_axes", _layer_norm_op(1)),
    ("layer_norm_decomposed", _layer_norm_decomposed),
    ("rms_norm_by_hand", _rms_norm),
    ("residual_with_broadcast", _residual_broadcast),
    ("gated_with_reshapes", _gated_reshape),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_graph_op_matches_onnxruntime(case, tmp_path) -> None:
    name, build = case
    g = GraphBuilder(dtype=np.float32, opset=17, seed=len(name))
    h, shape = build(g)
    path = g.save(tmp_path, name, h, shape)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    probe = session.run(None, {"x": np.zeros((1,) + shape, dtype=np.float32)})[0]
    session_shape = probe.shape[1:]
    g2 = GraphBuilder(dtype=np.float32, opset=17, seed=len(name))
    h2, _ = build(g2)
    path = g2.save(tmp_path, name, _head(g2, h2, math.prod(session_shape)), shape)
    network = load_network(path)
    assert isinstance(network, Graph)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(7).normal(size=(50,) + shape).astype(np.float32)
    expected = session.run(None, {"x": x})[0].astype(np.float64)
    got = network.forward(x.reshape(50, -1).astype(np.float64))
    assert np.abs(got - expected).max() <= TOLERANCE * max(1.0, np.abs(expected).max())


def test_conv_is_a_convolution_operator_never_dense(tmp_path) -> None:
    """A 28×28 convolution is kept as its 3×3 filters (applied by gathering windows), never a dense
    float64 matrix; as a sparse matrix it is the same map (checked on random columns)."""
    g = GraphBuilder(dtype=np.float32)
    h = g.op("Tanh", g.op("Conv", "x", g.random(8, 1, 3, 3), g.random(8), pads=[1, 0, 1, 2]))
    network = load_network(g.save(tmp_path, "conv28", _head(g, h, 8 * 28 * 28), (1, 28, 28)))
    conv = network.nodes[1].operator
    assert isinstance(conv, ConvOperator) and conv.shape == (8 * 28 * 28, 784)
    columns = np.random.default_rng(0).normal(size=(784, 5))
    np.testing.assert_allclose(conv @ columns, conv.to_sparse() @ columns, rtol=1e-13, atol=1e-13)


def test_unrepresentable_ops_in_a_graph_are_all_named(tmp_path) -> None:
    g = GraphBuilder(dtype=np.float32)
    h = g.op("Conv", "x", g.random(2, 1, 3), g.random(2))
    h = g.op("Max", g.op("Tanh", h), h)
    h = g.op("Round", g.op("Flatten", h))
    with pytest.raises(UnsupportedModelError) as refused:
        load_network(g.save(tmp_path, "bad", g.gemm(h, 12, 1), (1, 8)))
    assert [node.op_type for node in refused.value.nodes] == ["Max", "Round"]


def test_ceil_mode_pooling_is_refused(tmp_path) -> None:
    g = GraphBuilder(dtype=np.float32)
    h = g.op("AveragePool", "x", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)
    with pytest.raises(UnsupportedModelError, match="ceil_mode"):
        load_network(g.save(tmp_path, "ceil", _head(g, h, 2 * 3 * 3), (2, 5, 5)))
