"""The ONNX graph of a quadratic in many inputs: α + βᵀz + zᵀGz with one MatMul, not per monomial.

``onnx_export`` builds monomials degree by degree, which for 784 inputs means 307,720 products
per row and a Gather table as large. A degree-2 polynomial is instead exported from its
matrices (``polyx.expansion.polynomials.quadratic``): z·[G_1 … G_O] is one MatMul, reshaped to (batch, O, n),
multiplied by z and summed over the last axis; a Gemm adds βᵀz + α.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from polyx.expansion.writers.onnx_export import _Graph
    from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["quadratic_nodes"]


def quadratic_nodes(graph: "_Graph", poly: "Polynomial", input_name: str, shape: tuple[int, ...], result: str) -> None:
    """Input → (flatten, centre) → z·G stacked → ·z summed → + βᵀz + α, written to ``result``."""
    parts = poly.quadratic
    outputs, n = parts.beta.shape
    z = graph.node("Flatten", [input_name], "flat", axis=1) if len(shape) > 1 else input_name
    if poly.center is not None:
        z = graph.node("Sub", [z, graph.constant("center", poly.center)], "centered")
    products = graph.node("MatMul", [z, graph.constant("gram", parts.stacked)], "gram_products")
    grouped = graph.node("Reshape", [products, graph.constant("grouped_shape", np.array([-1, outputs, n]), np.dtype(np.int64))],
                         "gram_grouped")
    lifted = graph.node("Unsqueeze", [z, graph.constant("axis", np.array([1]), np.dtype(np.int64))], "lifted")
    weighted = graph.node("Mul", [grouped, lifted], "quadratic_terms")
    quadratic = graph.node("ReduceSum", [weighted, graph.constant("last", np.array([2]), np.dtype(np.int64))], "quadratic",
                           keepdims=0)
    affine = graph.node("Gemm", [z, graph.constant("beta", parts.beta.T), graph.constant("alpha", parts.alpha)], "affine")
    graph.node("Add", [quadratic, affine], "sums", output=result)
