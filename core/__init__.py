"""polyx: turn a trained feed-forward network into an explicit polynomial.

The public API is imported lazily so that ``polyx --help`` stays fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "convert": "polyx.api",
    "load_network": "polyx.converters.load",
    "Network": "polyx.converters.ir.chain",
    "DenseLayer": "polyx.converters.ir.chain",
    "Activation": "polyx.converters.ir.chain",
    "Polynomial": "polyx.expansion.polynomials.polynomial",
    "expand": "polyx.expansion.methods.expand",
    "load_polynomial": "polyx.expansion.writers.artifact",
    "save_polynomial": "polyx.expansion.writers.artifact",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'polyx' has no attribute '{name}'")
