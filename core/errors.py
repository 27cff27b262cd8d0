"""The PolyxError family: every failure a user can cause, each with the one line they will read.

The CLI turns any of these into a single stderr line and exit code 2 (see ``polyx.cli.main.PolyxGroup``),
so ``str(error)`` must say what went wrong, where, and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "PolyxError",
    "ModelLoadError",
    "UnsupportedModelError",
    "OffendingNode",
    "DataError",
    "OrderTooLargeError",
    "ArtifactError",
    "MethodError",
]


class PolyxError(Exception):
    """Base of every error polyx raises on purpose; its message is the whole user-facing line."""


class ModelLoadError(PolyxError):
    """The model file is missing, unreadable, or not a valid model of a known format."""


@dataclass(frozen=True)
class OffendingNode:
    """One graph node the loader cannot represent, and why."""

    name: str
    op_type: str
    reason: str

    def describe(self) -> str:
        """Render as ``node 'name' (OpType): reason`` for error messages."""
        return f"node '{self.name}' ({self.op_type}): {self.reason}"


class UnsupportedModelError(PolyxError):
    """The model is valid but cannot be written as a chain of dense layers; lists every bad node."""

    def __init__(self, path: str, nodes: list[OffendingNode]) -> None:
        self.path = path
        self.nodes = list(nodes)
        listed = "; ".join(node.describe() for node in self.nodes)
        super().__init__(
            f"{path}: cannot be represented as dense layers: {listed}. "
            "Only sequential Dense/Linear stacks with elementwise activations are supported."
        )


class DataError(PolyxError):
    """A data file (CSV, Gaussian spec, reference point) is missing or malformed."""


class OrderTooLargeError(PolyxError):
    """The requested expansion would need more terms or memory than allowed."""


class ArtifactError(PolyxError):
    """A polynomial artifact cannot be read or written."""


class MethodError(PolyxError):
    """An expansion method cannot be applied to this network with these parameters."""
