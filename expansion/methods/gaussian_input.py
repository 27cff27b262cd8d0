"""The Gaussian input model of least squares: given, fitted to data, or N(0, I), checked and made
usable when singular.

A covariance fitted to a CSV is often singular: a constant column, or two columns that are exact
multiples of each other. The Gaussian then lives on a lower-dimensional support and the
least-squares polynomial is unique only there. polyx keeps the problem well posed by dropping the
null directions: the network's inputs are projected onto the support (x ↦ μ + P(x − μ), P the
orthogonal projector onto the range of Σ), which changes nothing on the support, and the
polynomial then ignores the null directions (a constant column gets no terms at all).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from polyx.errors import DataError

__all__ = ["GaussianInput", "gaussian_input", "fit_gaussian"]

CONSTANT_TOLERANCE = 1e-12
COLLINEAR_TOLERANCE = 1e-10
SYMMETRY_TOLERANCE = 1e-10


@dataclass(frozen=True)
class GaussianInput:
    """x ~ N(mean, cov) on the support mean + range(cov); ``null`` spans the dropped directions."""

    mean: np.ndarray
    cov: np.ndarray
    null: np.ndarray
    kind: str
    warnings: list[str] = field(default_factory=list)

    def onto_support(self, weight: np.ndarray, bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The first layer u = Wx + b composed with x ↦ μ + P(x − μ), P the orthogonal projector
        onto the support's directions: unchanged on the support, blind to the null directions."""
        if self.null.shape[1] == 0:
            return weight, bias
        dropped = (weight @ self.null) @ self.null.T
        return weight - dropped, bias + dropped @ self.mean

    def whitening(self) -> tuple[np.ndarray, np.ndarray]:
        """(A, B) with z = A(x − mean) ~ N(0, I_r) on the support and x = mean + B z, r = rank."""
        values, vectors = np.linalg.eigh(self.cov)
        rank = self.mean.size - self.null.shape[1]
        values, vectors = values[::-1][:rank], vectors[:, ::-1][:, :rank]
        root = np.sqrt(values)
        return (vectors / root).T, vectors * root


def fit_gaussian(rows: np.ndarray, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased) covariance of data rows; needs two rows at least."""
    rows = np.asarray(rows, dtype=np.float64)
    if rows.shape[0] < 2:
        raise DataError(f"{source}: {rows.shape[0]} data row(s); fitting a Gaussian needs at least 2 rows")
    return rows.mean(axis=0), np.atleast_2d(np.cov(rows, rowvar=False))


def _checked(mean: object, cov: object, names: Sequence[str], source: str) -> tuple[np.ndarray, np.ndarray]:
    n = len(names)
    try:
        mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        cov = np.asarray(cov, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{source}: mean and cov must be numbers, a list and a list of lists") from None
    if mean.size != n:
        raise DataError(f"{source}: the mean has {mean.size} values but the network has {n} inputs ({', '.join(names)})")
    if cov.shape != (n, n):
        raise DataError(f"{source}: the covariance is {'x'.join(map(str, cov.shape)) or 'a scalar'}, "
                        f"expected {n}x{n} for the inputs {', '.join(names)}")
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(cov))):
        raise DataError(f"{source}: the mean and covariance must be finite numbers")
    scale = max(float(np.abs(cov).max()), np.finfo(float).tiny)
    if np.abs(cov - cov.T).max() > SYMMETRY_TOLERANCE * scale:
        raise DataError(f"{source}: the covariance is not symmetric; cov[i][j] must equal cov[j][i]")
    return mean, 0.5 * (cov + cov.T)


CHOLESKY_MARGIN = 1e-7
"""A correlation matrix C whose C − 1e-7·I has a Cholesky factor has every eigenvalue above 1e-7
minus Cholesky's backward error (≤ c·n·ε·‖C‖ ≤ n²ε ≈ 7e-11 at n = 784): far above the collinearity
threshold, so the eigenvalues need not be computed (a factorisation costs a fifth of them)."""


def _clearly_positive_definite(correlation: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(correlation - CHOLESKY_MARGIN * np.eye(correlation.shape[0]))
    except np.linalg.LinAlgError:
        return False
    return True


def _collinear_directions(cov: np.ndarray, varying: np.ndarray, source: str) -> list[np.ndarray]:
    """Null eigenvectors of the varying columns' correlation matrix (eigenvalue ≤ 1e-10); the
    eigenvectors are only computed when the smallest eigenvalue says there are some."""
    if varying.size == 0:
        return []
    sd = np.sqrt(np.diag(cov)[varying])
    correlation = cov[np.ix_(varying, varying)] / np.outer(sd, sd)
    if _clearly_positive_definite(correlation):
        return []
    smallest = np.linalg.eigvalsh(correlation)[0]
    if smallest < -1e-8:
        raise DataError(f"{source}: the covariance is not positive semi-definite (its correlation matrix has "
                        f"eigenvalue {smallest:.3g}); give a valid covariance")
    if smallest > COLLINEAR_TOLERANCE:
        return []
    values, vectors = np.linalg.eigh(correlation)
    return [vectors[:, i] for i in np.flatnonzero(values <= COLLINEAR_TOLERANCE)]


def _null_directions(mean: np.ndarray, cov: np.ndarray, names: Sequence[str], source: str
                     ) -> tuple[np.ndarray, list[str]]:
    """Orthonormal basis of the null directions, and the warning naming the columns involved.

    A column is constant when its standard deviation is below 1e-12 of its mean's size; the rest
    are judged on their correlation matrix (scale-free), whose eigenvalues below 1e-10 mark
    collinear groups. A clearly negative eigenvalue means the matrix is not a covariance.
    """
    variance = np.diag(cov)
    if variance.min() < -SYMMETRY_TOLERANCE * np.abs(variance).max():
        raise DataError(f"{source}: the covariance has a negative variance; it must be positive semi-definite")
    constant = (variance <= 0) | (np.sqrt(np.maximum(variance, 0)) <= CONSTANT_TOLERANCE * np.abs(mean))
    units = np.eye(mean.size)[:, np.flatnonzero(constant)]  # already orthonormal
    varying = np.flatnonzero(~constant)
    groups: list[list[str]] = []
    columns = []
    for vector in _collinear_directions(cov, varying, source):
        direction = np.zeros(mean.size)
        direction[varying] = vector / np.sqrt(variance[varying])
        columns.append(direction)
        involved = np.abs(vector) > 1e-6 * np.abs(vector).max()
        groups.append([names[varying[i]] for i in np.flatnonzero(involved)])
    if not columns and not units.shape[1]:
        return np.zeros((mean.size, 0)), []
    # The collinear directions live on the varying coordinates, orthogonal to every constant one:
    # only they need orthonormalising.
    null = np.concatenate([units, np.linalg.qr(np.stack(columns, axis=1))[0]], axis=1) if columns else units
    parts = []
    if constant.any():
        parts.append(f"constant: {_first_names([names[j] for j in np.flatnonzero(constant)])}")
    if groups:
        shown = "; ".join(_first_names(group) for group in groups[:LISTED_NAMES])
        parts.append("collinear: " + shown + (f"; … ({len(groups)} groups)" if len(groups) > LISTED_NAMES else ""))
    count = f"{null.shape[1]} null direction{'s' if null.shape[1] > 1 else ''}"
    warning = (f"the input covariance ({source}) is singular ({'; '.join(parts)}); the polynomial ignores its {count}: "
               "it is the least-squares polynomial on the data's support and constant along what never varies there")
    return null, [warning]


LISTED_NAMES = 10
"""How many names a warning lists before it only counts the rest: an image's blank border is hundreds of
constant pixels, and one warning line must stay readable."""


def _first_names(names: Sequence[str]) -> str:
    """'x1, x2, …, x10 and 374 more' for a long list of names."""
    if len(names) <= LISTED_NAMES:
        return ", ".join(names)
    return f"{', '.join(names[:LISTED_NAMES])} and {len(names) - LISTED_NAMES} more"


def gaussian_input(
    names: Sequence[str],
    mean: object | None = None,
    cov: object | None = None,
    data: np.ndarray | None = None,
    source: str | None = None,
) -> GaussianInput:
    """The input model: (mean, cov) if given, else fitted to ``data`` rows, else N(0, I)."""
    if mean is not None or cov is not None:
        if mean is None or cov is None:
            raise DataError("a Gaussian input model needs both mean and cov")
        label, kind = source or "the Gaussian", "gaussian"
    elif data is not None:
        label, kind = source or "the data", "data"
        mean, cov = fit_gaussian(data, label)
    else:
        label, kind = "N(0, I)", "standard"
        mean, cov = np.zeros(len(names)), np.eye(len(names))
    mean, cov = _checked(mean, cov, names, label)
    null, warnings = _null_directions(mean, cov, names, label)
    if null.shape[1] == len(names):
        raise DataError(f"{label}: every input is constant; there is nothing to fit")
    if null.shape[1]:
        projector = np.eye(len(names)) - null @ null.T
        cov = projector @ cov @ projector
    return GaussianInput(mean, cov, null, kind, warnings)
