"""Helpers shared by the tests: independent evaluations of polynomials, and the CLI's error contract.

The evaluations here never call polyx: each term is computed from its exponents and
coefficients with plain numpy powers, so they serve as oracles for ``Polynomial.evaluate``,
the ONNX export and the verification metrics.
"""

from __future__ import annotations

import numpy as np
from click.testing import Result

__all__ = ["explicit_values", "term_by_term", "one_error_line", "graded_order", "exponent_names"]


def graded_order(exponents: np.ndarray) -> np.ndarray:
    """The permutation putting dense exponent rows in graded order (total degree, then descending
    lexicographic exponents), by Python's stable sort on tuples: the oracle for polyx's order."""
    rows = np.asarray(exponents, dtype=np.int64).tolist()
    return np.array(sorted(range(len(rows)), key=lambda t: (sum(rows[t]), [-e for e in rows[t]])), dtype=np.int64)


def exponent_names(exponents: np.ndarray, variables: list[str], ascii: bool = False) -> list[str]:
    """Term names spelled from dense exponent rows, one variable at a time (the oracle for polyx's names)."""
    superscripts = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    names = []
    for row in np.asarray(exponents, dtype=np.int64).tolist():
        factors = [v if p == 1 else (f"{v}^{p}" if ascii else f"{v}{str(p).translate(superscripts)}")
                   for v, p in zip(variables, row) if p]
        names.append(("*" if ascii else "·").join(factors) or "1")
    return names


def _monomials(exponents: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.prod(x[:, None, :] ** np.asarray(exponents)[None, :, :], axis=2)


def explicit_values(exponents: np.ndarray, coefficients: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Σ c·Π x^e with numpy powers: the independent polynomial evaluation, (rows, outputs)."""
    return _monomials(exponents, x) @ np.atleast_2d(coefficients).T


def term_by_term(poly, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(values, scale) of a Polynomial at rows x: Σ_t c_t·m_t(x − center) and Σ_t |c_t·m_t(x − center)|.

    The scale bounds the rounding error of any evaluation order, so tolerances can be stated
    relative to it.
    """
    shifted = x - (poly.center if poly.center is not None else 0.0)
    monomials = _monomials(poly.exponents, shifted)
    return monomials @ poly.coefficients.T, np.abs(monomials) @ np.abs(poly.coefficients).T


def one_error_line(result: Result) -> str:
    """The single stderr line of a refused command (exit 2, no traceback), whitespace normalised."""
    assert result.exit_code == 2, result.output + result.stderr
    assert "Traceback" not in result.output + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return " ".join(lines[0].split())


def artifact_exponents(artifact: dict) -> np.ndarray:
    """The dense exponent table of a loaded JSON artifact, format /2 (``monomials``: per term its
    0-based variable indices, one per power) or /1 (``exponents``), by plain counting."""
    if "exponents" in artifact:
        return np.array(artifact["exponents"], dtype=np.int64).reshape(len(artifact["exponents"]), -1)
    table = np.zeros((len(artifact["monomials"]), len(artifact["variables"])), dtype=np.int64)
    for row, term in enumerate(artifact["monomials"]):
        for index in term:
            table[row, index] += 1
    return table
