"""The library side of ``show --importance``, ``predict --shap`` and ``plot --kind importance``: which input model.

Importance depends on the inputs' distribution, so every command asks the same question the same
way: ``--data FILE`` gives the empirical distribution (or, with ``--input-model independent``, the
product of its columns' marginals, or ``gaussian``, independent Gaussians with its means and
standard deviations); with no data, the Gaussian the artifact's standardisation records, else
N(0, 1) for every input, and the report says which it used. An artifact written in standardised
units (``--units standardized``) is measured as written: the data is standardised with its μ, σ,
so its terms are read in z, where they are far less collinear than powers of raw x.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from polyx.errors import DataError
from polyx.expansion.analysis.input_models import EmpiricalInputs, InputModel, empirical_marginals, gaussian_marginals
from polyx.expansion.polynomials.polynomial import Polynomial

if TYPE_CHECKING:
    from polyx.expansion.polynomials.units import Standardization

__all__ = ["INPUT_MODELS", "input_model", "read_rows"]

INPUT_MODELS = ("empirical", "independent", "gaussian")


def read_rows(polynomial: Polynomial, path: Path, columns: Sequence[str] | None = None,
              exclude: Sequence[str] = ()) -> np.ndarray:
    """The data's input rows, matched to the polynomial's variables like every other data option."""
    from polyx.paths import require_input
    from polyx.tabular import read_table

    require_input(path, "data", folders=True)
    inputs, _, _ = read_table(path, expected_inputs=len(polynomial.variables), columns=columns or None,
                              exclude=exclude, variable_names=polynomial.variables)
    return inputs


def _standardization_of(polynomial: Polynomial) -> "Standardization | None":
    """The μ, σ of an artifact written with ``--units standardized`` (its variables are z), else None."""
    from polyx.expansion.polynomials.units import Standardization

    from polyx.expansion.methods.records import method_record

    method = method_record(polynomial)
    record = method.standardization
    if method.units != "standardized" or not record:
        return None
    return Standardization(record["center"], record["scale"], record.get("source", ""))


def input_model(polynomial: Polynomial, data: Path | None, kind: str = "empirical",
                columns: Sequence[str] | None = None, exclude: Sequence[str] = ()) -> InputModel:
    """The input model the user asked for (see the module); moments up to twice the degree are held."""
    if kind not in INPUT_MODELS:
        raise DataError(f"unknown input model '{kind}'; choose one of {', '.join(INPUT_MODELS)}")
    degree = 2 * max(polynomial.degree, 1)
    standardized = _standardization_of(polynomial)
    if data is None and standardized is not None:
        size = len(polynomial.variables)
        return gaussian_marginals(np.zeros(size), np.ones(size), degree, "independent standard normal z = (x − μ)/σ "
                                  "(the artifact's standardised units, no data given)")
    if data is None:
        if kind != "gaussian" and kind != "empirical":
            raise DataError(f"`input_model` {kind} is built from data; give `data` FILE")
        from polyx.expansion.methods.records import method_record

        record = method_record(polynomial).standardization
        if record:
            return gaussian_marginals(np.asarray(record["center"]), np.asarray(record["scale"]), degree,
                                      f"independent Gaussians N(μ, σ²) from the artifact's standardisation ({record.get('source')})")
        size = len(polynomial.variables)
        return gaussian_marginals(np.zeros(size), np.ones(size), degree, "independent standard normal inputs N(0, 1) "
                                  "(no data given)")
    rows = read_rows(polynomial, data, columns, exclude)
    if standardized is not None:
        rows = standardized.apply(rows)  # the polynomial is written in z: its inputs are the data in z
    if rows.shape[0] < 2:
        raise DataError(f"{data}: importance needs at least 2 data rows, the file has {rows.shape[0]}")
    if kind == "empirical":
        return EmpiricalInputs(rows, f"the empirical distribution of {data} ({rows.shape[0]} rows)")
    if kind == "independent":
        return empirical_marginals(rows, degree, f"the product of the marginal distributions of {data}")
    return gaussian_marginals(rows.mean(axis=0), rows.std(axis=0), degree,
                              f"independent Gaussians with the means and standard deviations of {data}")
