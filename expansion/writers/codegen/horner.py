"""One output's terms as a multivariate Horner tree: every term is evaluated by nested multiply-adds.

A polynomial p is written p = c + x_1·q_1 + x_2·q_2 + …, where c is its constant term and q_v
holds the terms whose first variable (lowest index with a positive exponent) is x_v, that
exponent lowered by one: in the kernel's sparse rows, the row without its first index (its
parent); each q_v is written the same way. In one variable this is Horner's rule
c0 + x·(c1 + x·(c2 + …)); in several it costs one multiplication per term (plus one per missing
prefix of a term, e.g. x1·x2 on the way to x1·x2·x3 when x1·x2 itself is absent) and never raises a
power (no pow, no repeated products). Every target
writes the same tree, so all of them compute the same float64 operations in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from polyx.expansion.kernel import monomials as sparse

__all__ = ["Horner", "horner_tree", "render"]


@dataclass(frozen=True)
class Horner:
    """c + Σ variable·subtree: ``constant`` (None when the polynomial has no constant term) and
    ``branches`` (variable index, subtree) in increasing variable order."""

    constant: float | None
    branches: tuple[tuple[int, "Horner"], ...]

    @property
    def multiplications(self) -> int:
        """How many products the tree computes: one per non-constant term of a full polynomial."""
        return sum(1 + tree.multiplications for _, tree in self.branches)

    @property
    def variables(self) -> set[int]:
        """The indices of the variables the tree multiplies by (an input the polynomial ignores is not among them)."""
        return {variable for variable, _ in self.branches}.union(*(tree.variables for _, tree in self.branches))


def horner_tree(monomials: np.ndarray, coefficients: np.ndarray) -> Horner:
    """The Horner tree of Σ_t coefficients[t]·monomial_t (exact zero coefficients dropped), the terms
    given as the kernel's sparse index rows (``polyx.expansion.kernel.monomials``).

    Why a tree and not a sum of monomials: it needs no powers and fewer products, and the code
    written from it is short enough to read and fast without any library.
    """
    monomials = np.asarray(monomials, dtype=sparse.INDEX_DTYPE)
    monomials = monomials.reshape(monomials.shape[0], -1)
    coefficients = np.asarray(coefficients, dtype=np.float64)
    keep = coefficients != 0.0
    return _build(monomials[keep], coefficients[keep])


def _build(monomials: np.ndarray, coefficients: np.ndarray) -> Horner:
    if monomials.shape[0] == 0:
        return Horner(0.0, ())
    first = monomials[:, 0] if monomials.shape[1] else np.full(monomials.shape[0], sparse.PAD)
    constant_rows = first < 0
    constant = float(coefficients[constant_rows].sum()) if constant_rows.any() else None
    branches = []
    for variable in np.unique(first[first >= 0]):
        rows = np.flatnonzero(first == variable)
        branches.append((int(variable), _build(sparse.parents(monomials[rows]), coefficients[rows])))
    return Horner(constant, tuple(branches))


def render(tree: Horner, variables: list[str], number: Callable[[float], str]) -> str:
    """The tree as an infix expression with ``+``, ``*`` and parentheses, common to every target.

    ``variables`` are the expressions of the (centred) variables; ``number`` writes one float64
    literal so that it reads back as the same bits in the target language. Negative literals are
    parenthesised, so no target ever sees ``*-`` or ``--``.
    """
    parts = [] if tree.constant is None else [_literal(tree.constant, number)]
    for variable, sub in tree.branches:
        if not sub.branches:
            factor = _literal(sub.constant if sub.constant is not None else 0.0, number)
        else:
            factor = f"({render(sub, variables, number)})"
        parts.append(f"{variables[variable]}*{factor}")
    return " + ".join(parts) if parts else _literal(0.0, number)


def _literal(value: float, number: Callable[[float], str]) -> str:
    text = number(float(value))
    return f"({text})" if text.startswith("-") else text
