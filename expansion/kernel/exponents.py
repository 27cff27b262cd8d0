"""Dense exponent rows and nn2poly labels: conversions at the edges, never the working form.

polyx's one monomial structure is the sparse index table of ``polyx.expansion.kernel.monomials``
(each term its ascending 0-based variable indices, one per power), which the kernel's
``MonomialSpace`` builds, ``Polynomial`` stores and evaluation and the ONNX export read. A dense
exponent row (one non-negative integer per variable) appears only where the outside world uses
it: artifact format /1, the ``Polynomial.exponents`` view of a small polynomial, tests. nn2poly
names a monomial by a multiset label (``[0]`` for the intercept, ``[1, 1, 2]`` for x1²x2,
1-based), which is the sparse row plus one. Graded order, duplicate and unique rows, row lookup
and term names live with the sparse rows, in ``monomials``.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from polyx.expansion.kernel import monomials as sparse

__all__ = ["labels_to_exponents", "exponents_to_labels"]


def labels_to_exponents(labels: Sequence[Sequence[int]], n_vars: int) -> np.ndarray:
    """nn2poly multiset labels (``[0]`` intercept, ``[1, 1, 2]`` = x1²x2, 1-based) to dense exponent rows.

    nn2poly names a monomial by listing each variable once per power; a dense row stores the powers.
    """
    return sparse.to_exponents(sparse.from_labels(labels, n_vars), n_vars)


def exponents_to_labels(exponents: np.ndarray) -> list[list[int]]:
    """Dense exponent rows to nn2poly multiset labels (1-based variable indices, ``[0]`` for the intercept)."""
    exponents = np.asarray(exponents, dtype=np.int64)
    if exponents.ndim != 2:
        exponents = exponents.reshape(exponents.shape[0] if exponents.ndim else 0, 0)
    return sparse.to_labels(sparse.from_exponents(exponents))
