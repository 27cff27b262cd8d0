"""Standardised coordinates z = (x − μ)/σ, and the exact change of variables back to the user's x.

A global expansion truncated at degree Q is only as good as the point its powers are taken
around. nn2poly takes them around x = 0; when the data sits many standard deviations from 0
(raw sensor units, a model that standardises its own input), the truncated terms are what the
data sees, however well each activation is approximated. Expanding the network N(μ + σ z) in z
puts the truncation where the data is. The result is then written back in powers of x exactly:
x ↦ (x − μ)/σ is affine, so a degree-Q polynomial in z is a degree-Q polynomial in x and no
term is lost (the scaling divides each coefficient by σ^e, the shift is
``translate.centered_to_powers``). The reverse map gives the artifact in standardised units.
The network side, N(μ + σ z), is ``polyx.expansion.methods.standardized_input``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyx.errors import DataError
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.polynomials.translate import centered_to_powers

__all__ = ["Standardization", "from_rows", "standardized_to_raw", "raw_to_standardized",
           "artifact_in_raw_units", "origin_distance"]



@dataclass(frozen=True)
class Standardization:
    """z = (x − center) / scale per input; ``source`` says where μ and σ came from (for the artifact)."""

    center: np.ndarray
    scale: np.ndarray
    source: str = "the given centre and scale"

    def __post_init__(self) -> None:
        center = np.array(self.center, dtype=np.float64).reshape(-1)
        scale = np.array(self.scale, dtype=np.float64).reshape(-1)
        if center.size != scale.size:
            raise DataError(f"the standardisation has {center.size} centres but {scale.size} scales; give one per input")
        if not (np.isfinite(center).all() and np.isfinite(scale).all()) or (scale <= 0).any():
            raise DataError("the standardisation needs finite centres and positive finite scales; check `center`/`scale`")
        object.__setattr__(self, "center", center)
        object.__setattr__(self, "scale", scale)

    @property
    def is_identity(self) -> bool:
        """True when z = x: nothing to do, nn2poly's own coefficients."""
        return bool(not self.center.any() and (self.scale == 1.0).all())

    def record(self) -> dict:
        """The JSON-ready form the artifact's ``method`` carries."""
        return {"center": self.center.tolist(), "scale": self.scale.tolist(), "source": self.source}

    def apply(self, rows: np.ndarray) -> np.ndarray:
        """Raw rows to standardised rows."""
        return (np.asarray(rows, dtype=np.float64) - self.center) / self.scale


def from_rows(rows: np.ndarray, source: str) -> Standardization:
    """The data's mean and standard deviation (population, ddof 0); a constant column keeps scale 1
    (dividing by 0 would make its z undefined, and any scale is exact for a constant)."""
    rows = np.asarray(rows, dtype=np.float64)
    scale = rows.std(axis=0)
    return Standardization(rows.mean(axis=0), np.where(scale > 0, scale, 1.0), source)


def expand_to(values: np.ndarray | float | list, size: int, option: str) -> np.ndarray:
    """One value for every input, or one per input (``5`` or ``10,20,30,40``); ``option`` names the parameter in messages."""
    array = np.atleast_1d(np.asarray(values, dtype=np.float64))
    if array.size == 1:
        return np.full(size, float(array[0]))
    if array.size != size:
        raise DataError(f"`{option}` lists {array.size} values for a model with {size} inputs; give one, or one per input")
    return array


def _powers(polynomial: Polynomial, scale: np.ndarray) -> np.ndarray:
    """Π_i scale_i^{e_i} for every term: how a term's coefficient changes when x_i is scaled. Read
    from the sparse terms one variable's run at a time (``scale_i ** e_i``, then the product in
    variable order), so no terms × variables table is made."""
    indices = polynomial.indices
    out = np.ones(indices.shape[0])
    for column in range(indices.shape[1]):
        index = indices[:, column]
        starts = (index >= 0) & ((index != indices[:, column - 1]) if column else True)
        run = (indices[:, column:] == index[:, None]).sum(axis=1)
        out = np.where(starts, out * scale[np.maximum(index, 0)] ** run, out)
    return out


def _in_raw_powers(polynomial: Polynomial) -> np.ndarray:
    """The coefficients in powers of the variables themselves (a centred polynomial re-expanded)."""
    if polynomial.center is None or not polynomial.center.any():
        return np.array(polynomial.coefficients)
    return _shifted(polynomial, polynomial.center)


def _shifted(polynomial: Polynomial, shift: np.ndarray, coefficients: np.ndarray | None = None) -> np.ndarray:
    try:
        return centered_to_powers(polynomial.indices, polynomial.coefficients if coefficients is None else coefficients,
                                  shift)
    except ValueError:
        raise DataError(
            "this polynomial's terms are not closed under division (it was pruned), so it cannot be moved to other "
            "units exactly; convert again with `units`, or use the unpruned artifact"
        ) from None


def standardized_to_raw(polynomial: Polynomial, standardization: Standardization) -> Polynomial:
    """p(x) = q((x − μ)/σ) for q in powers of z: coefficients / σ^e give powers of (x − μ), the shift gives powers of x."""
    coefficients = _in_raw_powers(polynomial) / _powers(polynomial, standardization.scale)
    raw = _shifted(polynomial, standardization.center, coefficients)
    return _with_coefficients(polynomial, raw)


def raw_to_standardized(polynomial: Polynomial, standardization: Standardization) -> Polynomial:
    """q(z) = p(μ + σ z): the shift by −μ gives powers of (x − μ), then × σ^e gives powers of z."""
    coefficients = _shifted(polynomial, -standardization.center, _in_raw_powers(polynomial))
    coefficients = coefficients * _powers(polynomial, standardization.scale)
    return _with_coefficients(polynomial, coefficients)


def _with_coefficients(polynomial: Polynomial, coefficients: np.ndarray) -> Polynomial:
    """The same terms and metadata with new coefficients in powers of the variables (public constructor only)."""
    return Polynomial(polynomial.variables, polynomial.outputs, None, coefficients, method=dict(polynomial.method),
                      provenance=dict(polynomial.provenance), diagnostics=dict(polynomial.diagnostics),
                      monomials=polynomial.indices)


def artifact_in_raw_units(polynomial: Polynomial) -> Polynomial:
    """A polynomial read from an artifact, as a function of the user's own inputs: an artifact written
    with ``--units standardized`` is mapped back with the μ, σ it records; any other is returned as is.
    Every command that evaluates a polynomial on the user's rows (predict, verify, plots) goes through this."""
    record = polynomial.method.get("standardization")
    if polynomial.method.get("units") != "standardized" or not record:
        return polynomial
    raw = standardized_to_raw(polynomial, Standardization(record["center"], record["scale"], record.get("source", "")))
    method = dict(raw.method, units="raw")
    return raw.relabelled(method=method)


def origin_distance(rows: np.ndarray) -> tuple[float, int]:
    """How many standard deviations the data's mean lies from x = 0, the worst input and its index:
    where nn2poly's powers of x are truncated, measured in the data's own spread."""
    rows = np.asarray(rows, dtype=np.float64)
    spread = rows.std(axis=0)
    distance = np.abs(rows.mean(axis=0)) / np.where(spread > 0, spread, np.inf)
    worst = int(np.argmax(distance))
    return float(distance[worst]), worst
