"""The registry of ONNX op patterns: which handler turns which op into a step of the dense chain.

A family module (``dense``, ``activations``, ``normalization``, ``passthrough``) registers one
handler per op with ``@pattern(...)``, or declares ops it knowingly refuses with ``refuse(...)``.
A handler is resolved for the model's opset through ``onnx.defs.get_schema`` (a handler written
for an op's version-13 semantics serves a model at opset 17). The loader never branches on op
types itself, and the documentation's pattern table (docs/formats/models.md) is rendered from here so it cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
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
    "find_pattern",
    "all_patterns",
    "pattern_table_markdown",
    "FAMILY_MODULES",
    "Handler",
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


def _load_families() -> None:
    for name in FAMILY_MODULES:
        import_module(f"polyx.converters.onnx.{name}")


def _schema_version(op_type: str, domain: str, opset: int) -> int | None:
    import onnx.defs

    try:
        return int(onnx.defs.get_schema(op_type, max_inclusive_version=opset, domain=domain).since_version)
    except Exception:  # SchemaError: the op does not exist at this opset
        return None


def find_pattern(node: "OnnxNode", opset: int) -> Pattern | None:
    """The pattern registered for this node at the model's opset, or None if polyx has none."""
    _load_families()
    versions = _PATTERNS.get((node.domain, node.op_type))
    if not versions:
        return None
    version = _schema_version(node.op_type, node.domain, opset) or opset
    usable = [p for p in versions if p.since_version <= version]
    return usable[-1] if usable else None


def all_patterns() -> list[Pattern]:
    """Every registered pattern, supported ones first, then by family and op."""
    _load_families()
    entries = [p for versions in _PATTERNS.values() for p in versions]
    return sorted(entries, key=lambda p: (p.refused, FAMILY_MODULES.index(p.family), p.op_type, p.since_version))


def pattern_table_markdown() -> str:
    """The table of ONNX ops on docs/formats/models.md, generated so that documentation and code cannot disagree."""
    from polyx.converters.onnx.elementwise import DECOMPOSITIONS, REGION_OPS

    lines = ["| ONNX op | since opset | family | what polyx does |", "| --- | --- | --- | --- |"]
    refused: dict[tuple[str, str], list[str]] = {}
    for entry in all_patterns():
        if entry.refused:
            refused.setdefault((entry.family, entry.summary), []).append(f"`{entry.op_type}`")
        else:
            lines.append(f"| `{entry.op_type}` | {entry.since_version} | {entry.family} | {entry.summary} |")
    for (family, reason), ops in refused.items():
        lines.append(f"| {', '.join(ops)} | any | {family} | **refused**: {reason} |")
    lines.append("")
    lines.append(
        "Elementwise subgraphs between layers are identified numerically (see below); they may use: "
        + ", ".join(f"`{op}`" for op in sorted(REGION_OPS))
        + "."
    )
    lines.append("")
    lines.append("| decomposition | identified as |")
    lines.append("| --- | --- |")
    for form, name in DECOMPOSITIONS:
        lines.append(f"| {form} | {name} |")
    return "\n".join(lines) + "\n"
