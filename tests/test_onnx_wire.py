"""The wire-format reader of a graph's head (converters/onnx/wire.py) against the onnx package.

Oracles: ``onnx.load`` for every node header, output and initializer name of every ONNX file the
project holds (exact equality); the onnx-based loader's own answer (``_final_softmax``) for
"this file has no final Softmax/LogSoftmax/Sigmoid" whenever the wire reader claims an affine
ending; onnxruntime-free checks for malformed bytes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from polyx.converters.onnx.wire import WireError, ends_in_affine_map, read_graph_head
from polyx.reference import _final_softmax

ROOT = Path(__file__).resolve().parent.parent
MODELS = sorted({*ROOT.glob("sample_models/**/*.onnx"), *ROOT.glob("tests/data/**/*.onnx")})


def test_there_are_models_to_check() -> None:
    assert len(MODELS) >= 100


@pytest.mark.parametrize("path", MODELS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_head_equals_onnx_and_an_affine_ending_has_no_logits(path: Path) -> None:
    model = onnx.load(str(path), load_external_data=False)
    head = read_graph_head(path)
    expected = [(n.op_type, n.domain, tuple(n.input), tuple(n.output)) for n in model.graph.node]
    assert [(n.op_type, n.domain, n.inputs, n.outputs) for n in head.nodes] == expected
    assert head.outputs == tuple(o.name for o in model.graph.output)
    assert head.initializers == frozenset(t.name for t in model.graph.initializer)
    if len(head.outputs) == 1 and ends_in_affine_map(head, None):
        assert _final_softmax(path) == (None, None)


def test_classifier_heads_are_never_called_affine() -> None:
    """Softmax, LogSoftmax and Sigmoid heads (directly or behind an Identity/Reshape) answer False."""
    weight = numpy_helper.from_array(np.ones((3, 2)), "w")
    for ending in ("Softmax", "LogSoftmax", "Sigmoid"):
        nodes = [helper.make_node("MatMul", ["x", "w"], ["z"]), helper.make_node(ending, ["z"], ["p"]),
                 helper.make_node("Identity", ["p"], ["y"])]
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [None, 3])],
                                  [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [None, 2])], [weight])
        head = read_graph_head_of(helper.make_model(graph))
        assert not ends_in_affine_map(head, None), ending
    nodes = [helper.make_node("MatMul", ["x", "w"], ["z"]), helper.make_node("Reshape", ["z", "shape"], ["y"])]
    shape = numpy_helper.from_array(np.array([-1, 2], dtype=np.int64), "shape")
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [None, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [None, 2])], [weight, shape])
    assert ends_in_affine_map(read_graph_head_of(helper.make_model(graph)), None)


def test_a_product_of_two_tensors_is_not_affine() -> None:
    """x·W with W computed from the input (not a constant) may be anything: not claimed."""
    nodes = [helper.make_node("MatMul", ["x", "x2"], ["y"]), helper.make_node("Identity", ["x"], ["x2"])]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.DOUBLE, [3, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.DOUBLE, [3, 3])])
    assert not ends_in_affine_map(read_graph_head_of(helper.make_model(graph)), None)


@pytest.mark.parametrize("cut", [1, 7, 100, 0.5])
def test_truncated_bytes_raise_wire_error(tmp_path: Path, cut: int) -> None:
    data = (ROOT / "sample_models" / "polynomial4_tanh_l1.onnx").read_bytes()
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(data[: int(cut * len(data)) if isinstance(cut, float) else cut])
    with pytest.raises(WireError):
        read_graph_head(broken)


def read_graph_head_of(model: onnx.ModelProto):
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "m.onnx"
        path.write_bytes(model.SerializeToString())
        return read_graph_head(path)
