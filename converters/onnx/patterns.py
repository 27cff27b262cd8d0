"""The catalogue of ONNX op patterns: every family module imported (so its handlers are
registered with ``registry``), and the lookups the loaders and the documentation use.

The registry itself only stores what the families declare; this module sits above the families,
so importing it is what makes the catalogue complete, with no import hidden in a function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from polyx.converters.onnx import activations, dense, normalization, passthrough
from polyx.converters.onnx.elementwise import DECOMPOSITIONS, REGION_OPS
from polyx.converters.onnx.registry import FAMILY_MODULES, Pattern, registered

if TYPE_CHECKING:
    from polyx.converters.onnx.views import OnnxNode

__all__ = ["find_pattern", "all_patterns", "pattern_table_markdown", "FAMILIES"]

FAMILIES = (passthrough, dense, normalization, activations)
"""The family modules, in ``FAMILY_MODULES`` order (imported for their registrations)."""


def _schema_version(op_type: str, domain: str, opset: int) -> int | None:
    import onnx.defs

    try:
        return int(onnx.defs.get_schema(op_type, max_inclusive_version=opset, domain=domain).since_version)
    except Exception:  # SchemaError: the op does not exist at this opset
        return None


def find_pattern(node: OnnxNode, opset: int) -> Pattern | None:
    """The pattern registered for this node at the model's opset, or None if polyx has none."""
    versions = registered(node.domain, node.op_type)
    if not versions:
        return None
    version = _schema_version(node.op_type, node.domain, opset) or opset
    usable = [p for p in versions if p.since_version <= version]
    return usable[-1] if usable else None


def all_patterns() -> list[Pattern]:
    """Every registered pattern, supported ones first, then by family and op."""
    entries = [p for versions in registered() for p in versions]
    return sorted(entries, key=lambda p: (p.refused, FAMILY_MODULES.index(p.family), p.op_type, p.since_version))


def pattern_table_markdown() -> str:
    """The table of ONNX ops on docs/formats/models.md, generated so that documentation and code cannot disagree."""
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
