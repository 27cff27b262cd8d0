"""The registry of ONNX op patterns: which handler turns which op into a step of the dense chain.

A family module (``dense``, ``activations``, ``normalization``, ``passthrough``) registers one
handler per op with ``@pattern(...)``, or declares ops it knowingly refuses with ``refuse(...)``.
The catalogue (``patterns``) imports every family and resolves a handler for the model's opset
through ``onnx.defs.get_schema`` (a handler written for an op's version-13 semantics serves a
model at opset 17). The loader never branches on op types itself, and the documentation's pattern
table (docs/formats/models.md) is rendered from the catalogue so it cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from polyx.converters.onnx.chain import Cursor, Step
    from polyx.converters.onnx.views import OnnxNode

__all__ = [
    "Pattern",
    "Refusal",
    "NotThisPattern",
    "pattern",
    "refuse",
    "FAMILY_MODULES",
    "Handler",
    "registered",
]

FAMILY_MODULES = ("passthrough", "dense", "normalization", "activations")

Handler = Callable[["OnnxNode", "Cursor"], "Step"]


class Refusal(Exception):
    """Raised by a handler: this node cannot be represented; the message is the reason shown to the user."""


class NotThisPattern(Exception):
    """Raised by a handler when the node is not the form it handles (e.g. ``Mul(a, a)`` is not an affine Mul)."""


@dataclass(frozen=True)
class Pattern:
    """One registered op: its handler (None for a refused op) and the line it gets in the docs' pattern table."""

    op_type: str
    since_version: int
    family: str
    summary: str
    handler: Handler | None = None
    domain: str = ""

    @property
    def refused(self) -> bool:
        """True for ops polyx recognises but cannot represent."""
        return self.handler is None


_PATTERNS: dict[tuple[str, str], list[Pattern]] = {}


def registered(domain: str | None = None, op_type: str | None = None) -> list:
    """The versions registered for one op (oldest first; empty if none), or, called without
    arguments, every op's list of versions."""
    if domain is None or op_type is None:
        return list(_PATTERNS.values())
    return _PATTERNS.get((domain, op_type), [])


def _family_of(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def _add(entry: Pattern) -> None:
    versions = _PATTERNS.setdefault((entry.domain, entry.op_type), [])
    versions[:] = [p for p in versions if p.since_version != entry.since_version] + [entry]
    versions.sort(key=lambda p: p.since_version)


def pattern(op_type: str, summary: str, since_version: int = 1) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of ``op_type`` from ``since_version`` on."""

    def register(handler: Handler) -> Handler:
        _add(Pattern(op_type, since_version, _family_of(handler.__module__), summary, handler))
        return handler

    return register


def refuse(module: str, reason: str, *op_types: str) -> None:
    """Declare ops that a family knowingly cannot represent, with the reason the user will read."""
    for op_type in op_types:
        _add(Pattern(op_type, 1, _family_of(module), reason))


