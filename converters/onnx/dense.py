"""Dense and affine patterns: Gemm, MatMul, and elementwise Add/Sub/Mul/Div/Neg by constants.

Torch writes ``Gemm(x, W(out,in), b; transB=1)``; tf2onnx and the Keras torch/JAX backends write
``MatMul(x, W(in,out))`` followed by an ``Add`` of the bias (or no Add for a zero bias). Bias adds,
tf2onnx's and Keras-torch's BatchNorm (``Mul+Add``, ``Sub+Mul+Add``) and input scaling are all
per-feature affine ops, folded into the current layer by the chain builder.
"""

from __future__ import annotations

import numpy as np

from polyx.converters.onnx.chain import Cursor, Dense, Reshape, ScaleShift, Step, step_of
from polyx.converters.onnx.views import OnnxNode
from polyx.converters.onnx.registry import NotThisPattern, Refusal, pattern, refuse

__all__ = ["gemm", "matmul", "add", "sub", "mul", "div", "neg"]


def _constant_weight(node: OnnxNode, cursor: Cursor, name: str, what: str, vector_ok: bool = False) -> np.ndarray:
    """The constant 2-D weight; with ``vector_ok`` a 1-D one (MatMul's x·w with w of shape (in,),
    one output, as in ``h @ w + b``) becomes the (in, 1) matrix."""
    weight = cursor.graph.constant(name)
    if weight is None:
        raise Refusal(f"{what} '{name}' is not constant (it depends on the input); layers need fixed weights")
    if vector_ok and weight.ndim == 1:
        weight = weight.reshape(-1, 1)
    if weight.ndim != 2:
        raise Refusal(f"{what} '{name}' has shape {list(weight.shape)}; a dense layer needs a 2-D weight")
    return weight.astype(np.float64)


def _bias_vector(values: np.ndarray, outputs: int, name: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.size == 1:
        return np.full(outputs, values.reshape(-1)[0])
    if values.size == outputs and values.shape in ((outputs,), (1, outputs)):
        return values.reshape(-1)
    raise Refusal(f"bias '{name}' has shape {list(values.shape)}; expected ({outputs},) or (1, {outputs})")


@pattern("Gemm", "dense layer: W = alpha·B (Bᵀ when transB=0), b = beta·C; missing C is a zero bias; transA=1 refused")
def gemm(node: OnnxNode, cursor: Cursor) -> Step:
    """Fold alpha, beta and transB into (W, b); the data must be operand A, untransposed."""
    a, b, c = (tuple(node.inputs) + ("", ""))[:3]
    if int(node.attribute("transA", 0)):
        raise Refusal("Gemm with transA=1 transposes the batch of inputs; re-export without transposing the data")
    if a != cursor.tensor:
        raise Refusal("the data enters as operand B (W·x); only layers of the form x·W are supported")
    matrix = _constant_weight(node, cursor, b, "weight")
    weight = float(node.attribute("alpha", 1.0)) * (matrix if int(node.attribute("transB", 0)) else matrix.T)
    cursor.require_matrix_input(node, weight.shape[1])
    if not c:
        bias = np.zeros(weight.shape[0])
    else:
        values = cursor.graph.constant(c)
        if values is None:
            raise Refusal(f"bias '{c}' is not constant (it depends on the input)")
        bias = float(node.attribute("beta", 1.0)) * _bias_vector(values, weight.shape[0], c)
    return step_of(node, Dense(weight, bias))


@pattern("MatMul", "dense layer x·B with a constant B (in, out), or (in,) for one output; a following Add is its bias, none means zero")
def matmul(node: OnnxNode, cursor: Cursor) -> Step:
    """Read ``x @ B``; the weight must be a constant on the right."""
    if len(node.inputs) != 2 or node.inputs[0] != cursor.tensor or node.inputs[1] == cursor.tensor:
        if node.inputs[1] == cursor.tensor and cursor.graph.constant(node.inputs[0]) is not None:
            raise Refusal("the weight is on the left (W·x); only x·W layers are supported")
        raise Refusal("both operands depend on the input (a non-constant weight); layers need fixed weights")
    matrix = _constant_weight(node, cursor, node.inputs[1], "weight", vector_ok=True)
    cursor.require_matrix_input(node, matrix.shape[0])
    dense = Dense(matrix.T, np.zeros(matrix.shape[1]))
    if cursor.graph.constant(node.inputs[1]).ndim == 1:
        return step_of(node, dense, Reshape(()))  # x·w with a 1-D w has shape (batch,)
    return step_of(node, dense)


@pattern("Add", "bias or per-feature/scalar shift by a constant, either operand order; folded into the layer")
def add(node: OnnxNode, cursor: Cursor) -> Step:
    """``h + c``: a shift."""
    constant, _ = cursor.constant_operand(node)
    return step_of(node, ScaleShift(np.ones(1), cursor.feature_vector(constant, f"constant of '{node.label}'")))


@pattern("Sub", "shift by a constant (h − c), or negate and shift (c − h); folded into the layer")
def sub(node: OnnxNode, cursor: Cursor) -> Step:
    """``h − c`` or ``c − h``."""
    constant, position = cursor.constant_operand(node)
    vector = cursor.feature_vector(constant, f"constant of '{node.label}'")
    if position == 0:
        return step_of(node, ScaleShift(np.ones(1), -vector))
    return step_of(node, ScaleShift(-np.ones(1), vector))


@pattern("Mul", "per-feature or scalar scale by a constant (BatchNorm's Mul), either operand order; folded")
def mul(node: OnnxNode, cursor: Cursor) -> Step:
    """``h · c``: a scale."""
    constant, _ = cursor.constant_operand(node)
    return step_of(node, ScaleShift(cursor.feature_vector(constant, f"constant of '{node.label}'"), np.zeros(1)))


@pattern("Div", "division by a constant (scale 1/c); folded. c / h is an elementwise function, see below")
def div(node: OnnxNode, cursor: Cursor) -> Step:
    """``h / c``; ``c / h`` is not affine and goes to elementwise identification."""
    constant, position = cursor.constant_operand(node)
    if position != 0:
        raise NotThisPattern
    return step_of(node, ScaleShift(1.0 / cursor.feature_vector(constant, f"divisor of '{node.label}'"), np.zeros(1)))


@pattern("Neg", "negation (scale −1); folded")
def neg(node: OnnxNode, cursor: Cursor) -> Step:
    """``−h``."""
    return step_of(node, ScaleShift(-np.ones(1), np.zeros(1)))


refuse(
    __name__,
    "convolution layers are not supported: re-export the dense part of the model only",
    "Conv",
    "ConvTranspose",
    "ConvInteger",
    "QLinearConv",
)
refuse(
    __name__,
    "quantised or general tensor products are not supported; export a float model with Gemm/MatMul layers",
    "MatMulInteger",
    "QLinearMatMul",
    "Einsum",
)
