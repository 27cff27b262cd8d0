"""The list of ``polyx`` subcommands, one module each."""

from __future__ import annotations

__all__ = ["ALL"]

ALL: list = []
