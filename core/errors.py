"""The PolyxError family: every failure a user can cause, each with the one line they will read.

The CLI turns any of these into a single stderr line and exit code 2 (see ``polyx.cli.main.PolyxGroup``),
so ``str(error)`` must say what went wrong, where, and what to do about it.

A message names the *parameter* it is about, never a command-line flag, written in backticks:
"`order` must be ≥ 0, got -1". A Python user reads the parameter they passed; the CLI renders
every backticked name that is one of the running command's options as its flag ("--order must be
≥ 0, got -1", see ``polyx.cli.flags``). The names are also kept on the error as ``options``
(``option`` is the first), for a caller that wants to point at the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PARAMETER",
    "named_parameters",
    "PolyxError",
    "ModelLoadError",
    "UnsupportedModelError",
    "OffendingNode",
    "DataError",
    "OrderTooLargeError",
    "ArtifactError",
    "MethodError",
]


PARAMETER = re.compile(r"`([a-z][a-z0-9_]*)`")
"""A parameter named in a message: a lower-case identifier in backticks (`order`, `taylor_orders`)."""


def named_parameters(message: str) -> tuple[str, ...]:
    """The parameters a message names, in order, each once: what ``PolyxError.options`` holds."""
    return tuple(dict.fromkeys(PARAMETER.findall(message)))


class PolyxError(Exception):
    """Base of every error polyx raises on purpose; its message is the whole user-facing line.

    ``option`` names the parameter the error is about when the message does not name it in
    backticks (it is then put first in ``options``).
    """

    def __init__(self, *args: Any, option: str | None = None) -> None:
        super().__init__(*args)
        named = named_parameters(str(args[0])) if args else ()
        self.options: tuple[str, ...] = tuple(dict.fromkeys(((option,) if option else ()) + named))

    @property
    def option(self) -> str | None:
        """The parameter the error is mainly about (the first one named), or None."""
        return self.options[0] if self.options else None


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
