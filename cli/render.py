"""Terminal rendering of library results shared by several commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from polyx.cli.terminal import Terminal

if TYPE_CHECKING:
    from polyx.conversion import Conversion

__all__ = ["render_conversion"]


def render_conversion(terminal: Terminal, result: "Conversion") -> None:
    """What was expanded, how, where it was written, and every warning the method raised."""
    poly = result.polynomial
    method = dict(poly.method)
    name = method.pop("name", "?")
    settings = ", ".join(f"{key}={value}" for key, value in method.items() if not isinstance(value, (dict, list)) or key == "taylor_orders")
    terminal.info(
        f"{name}: {len(poly.variables)} inputs → {len(poly.outputs)} outputs, {poly.n_terms} terms up to degree "
        f"{poly.degree} ({settings})"
    )
    for warning in poly.diagnostics.get("warnings", []):
        terminal.warning(warning)
    for path in result.written:
        terminal.success(f"wrote {path}")
