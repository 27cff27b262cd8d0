"""``polyx.expand``: one entry point for every expansion method, and the provenance they all carry."""

from __future__ import annotations

from typing import Any, Callable

from polyx import __version__
from polyx.converters.ir.chain import Network
from polyx.errors import MethodError
from polyx.expansion.kernel.budget import check_order
from polyx.expansion.methods.global_taylor import expand_global
from polyx.expansion.methods.graph_lsq import expand_lsq_any
from polyx.expansion.methods.local_taylor import expand_local
from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["METHODS", "ALIASES", "expand", "provenance_of"]

METHODS: dict[str, Callable[..., Polynomial]] = {
    "nn2poly": expand_global,
    "taylor": expand_local,
    "lsq": expand_lsq_any,
}
ALIASES = {"global": "nn2poly", "hope": "taylor"}


def provenance_of(network: Network) -> dict[str, Any]:
    """Where a polynomial came from: the model file and its hash, the polyx version, the ONNX names."""
    metadata = network.metadata
    return {
        "source": metadata.get("source"),
        "sha256": metadata.get("sha256"),
        "polyx_version": __version__,
        "input_name": network.input_name,
        "output_name": network.output_name,
        "input_shape": list(network.input_shape),
        "output_shape": list(network.output_shape),
        "output_activation": network.output_activation,
    }


def expand(network: Network, method: str = "nn2poly", order: int = 2, **parameters: Any) -> Polynomial:
    """Expand a network into a polynomial with the named method (nn2poly, taylor/hope, lsq).

    Every method returns the same Polynomial, with its parameters in ``method`` and its quality
    checks in ``diagnostics``; the provenance (source file, sha256, ONNX names) is added here.
    """
    check_order(order)
    name = ALIASES.get(method, method)
    if name not in METHODS:
        known = ", ".join(sorted(set(METHODS) | set(ALIASES)))
        raise MethodError(f"unknown method '{method}'; choose one of {known}")
    polynomial = METHODS[name](network, order=order, **parameters)
    return polynomial.relabelled(provenance=provenance_of(network))
