"""``polyx.expand``: one entry point for every expansion method, and the provenance they all carry.

The methods' parameters are described once, in ``polyx.expansion.methods.catalog``; here each
description is paired with the function that implements it.
"""

from __future__ import annotations

from typing import Any, Callable

from polyx import __version__
from polyx.converters.ir.chain import Network
from polyx.expansion.kernel.budget import check_order
from polyx.expansion.methods.catalog import ALIASES, METHOD_SPECS, canonical_method
from polyx.expansion.methods.global_taylor import expand_global
from polyx.expansion.methods.graph_lsq import expand_lsq_any
from polyx.expansion.methods.local_taylor import expand_local
from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["METHODS", "ALIASES", "METHOD_SPECS", "expand", "provenance_of"]

METHODS: dict[str, Callable[..., Polynomial]] = {
    "nn2poly": expand_global,
    "taylor": expand_local,
    "lsq": expand_lsq_any,
}
"""The implementation of every method in ``METHOD_SPECS``, by the same canonical names, in the same order
(``tests/test_method_spec.py`` checks it)."""


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

    ``parameters`` are checked against the method's description (``METHOD_SPECS``): a name the
    method does not take, or a value of the wrong kind, is a ``MethodError`` naming it, before any
    work. Every method returns the same Polynomial, with its parameters in ``method`` (named by its
    canonical name) and its quality checks in ``diagnostics``; the provenance (source file,
    sha256, ONNX names) is added here.
    """
    check_order(order)
    spec = METHOD_SPECS[canonical_method(method)]
    filled = spec.parameters(parameters)
    # Defaults of None are left out: they mean "not given", which is what the implementations take them as.
    given = {name: value for name, value in filled.items() if value is not None or name in parameters}
    polynomial = METHODS[spec.name](network, order=order, **given)
    record = polynomial.method if polynomial.method.get("name") == spec.name else dict(polynomial.method, name=spec.name)
    return polynomial.relabelled(method=record, provenance=provenance_of(network))
