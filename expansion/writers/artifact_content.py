"""What every polyx artifact holds, whatever its encoding: the checked fields both the JSON writer
(``artifact``) and the npz writer (``artifact_npz``) write, and the checks both readers share.

Keeping them here lets the JSON module dispatch to the npz one (a path ending in ``.npz``) while
the npz module never needs the JSON one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from polyx import __version__
from polyx.errors import ArtifactError, DataError
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.names import check_names

__all__ = ["FORMAT", "FORMAT_V1", "PROVENANCE_KEYS", "artifact_fields", "checked_polynomial"]

FORMAT = "polyx.polynomial/2"
FORMAT_V1 = "polyx.polynomial/1"
PROVENANCE_KEYS = (
    "source", "sha256", "polyx_version", "input_name", "output_name", "input_shape", "output_shape", "output_activation",
)


def artifact_fields(poly: Polynomial) -> dict[str, Any]:
    """The checked, JSON-ready metadata of an artifact (names, center, method first, provenance with
    every key, diagnostics): shared by the JSON and the npz writer so both hold the same content."""
    fix = "rename the data column or model output it comes from"
    check_names(poly.variables, "variables", "cannot write the polynomial", fix)
    check_names(poly.outputs, "outputs", "cannot write the polynomial", fix)
    bad = poly.first_nonfinite()
    if bad is not None:
        output, term = bad
        raise ArtifactError(
            f"cannot write the polynomial: output '{poly.outputs[output]}', term {poly.term_names()[term]} "
            f"has coefficient {poly.coefficients[output, term]}; JSON artifacts hold finite numbers only"
        )
    method = _json_ready(poly.method, "method")
    if not isinstance(method.get("name"), str) or not method["name"]:
        raise ArtifactError("cannot write the polynomial: its method has no name; set method={'name': ..., parameters}")
    provenance = {key: None for key in PROVENANCE_KEYS} | {"polyx_version": __version__}
    provenance |= _json_ready(poly.provenance, "provenance")
    center = None if poly.center is None else _json_ready(poly.center, "center")
    return {
        "variables": list(poly.variables),
        "outputs": list(poly.outputs),
        "center": center,
        "method": {"name": method.pop("name"), **method},
        "provenance": dict(sorted(provenance.items())),
        "diagnostics": _json_ready(poly.diagnostics, "diagnostics"),
    }


def checked_polynomial(variables: tuple[str, ...], outputs: tuple[str, ...], terms: dict[str, np.ndarray],
                       coefficients: np.ndarray, center: np.ndarray | None, method: dict, provenance: dict,
                       diagnostics: dict, where: str) -> Polynomial:
    """The Polynomial of parsed artifact fields (JSON or npz), after the checks both readers share;
    ``terms`` is {"monomials": index table} or {"exponents": dense table}."""
    if not isinstance(method.get("name"), str) or not method["name"]:
        raise ArtifactError(f"{where}: method has no 'name'; every artifact names the method that made it")
    if provenance.get("output_activation") not in (None, "softmax", "log_softmax", "sigmoid"):
        raise ArtifactError(
            f"{where}: provenance.output_activation is {provenance['output_activation']!r}; "
            "expected null, 'softmax', 'log_softmax' or 'sigmoid'"
        )
    try:
        return Polynomial(variables, outputs, terms.get("exponents"), coefficients, center, method, provenance,
                          diagnostics, monomials=terms.get("monomials"))
    except DataError as error:
        raise ArtifactError(f"{where}: {error}") from None


def _json_ready(value: Any, path: str) -> Any:
    """Plain JSON types with sorted keys; numpy values converted, non-finite numbers refused."""
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise ArtifactError(f"cannot write the polynomial: {path} has a non-string key {key!r}")
        return {key: _json_ready(value[key], f"{path}.{key}") for key in sorted(value)}
    if isinstance(value, (list, tuple, np.ndarray)):
        items = value.tolist() if isinstance(value, np.ndarray) else value
        if items and set(map(type, items)) == {float} and all(map(math.isfinite, items)):
            return list(items)  # a long row of plain finite floats (a covariance row): already JSON-ready
        return [_json_ready(item, f"{path}[{i}]") for i, item in enumerate(items)]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise ArtifactError(f"cannot write the polynomial: {path} is {value}; use null for a missing number")
        return float(value)
    if value is None or isinstance(value, str):
        return value
    raise ArtifactError(f"cannot write the polynomial: {path} is a {type(value).__name__}, not a JSON value")
