"""The binary sibling of the JSON artifact: the same content as numpy arrays in an .npz file.

A quadratic in 784 pixels for 10 outputs is 3 million coefficients: 70 MB of JSON text to write
and parse, 25 MB as float64. The npz holds exactly what the JSON holds, with no pickled objects
(it loads with ``allow_pickle=False``):

- ``format`` ("polyx.polynomial/2"), ``variables``, ``outputs``: unicode arrays;
- ``monomials``: int32 (terms, degree), each term's sorted 0-based variable indices padded with -1;
- ``coefficients``: float64 (outputs, terms); ``center``: float64 (variables,) or (0,) for none;
- ``metadata``: the JSON text of {"method", "provenance", "diagnostics"}, as the JSON artifact
  writes them (sorted keys).

The zip members are written in a fixed order with a fixed timestamp, so the same polynomial always
gives the same bytes.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from polyx.errors import ArtifactError
from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.writers.artifact_content import FORMAT, artifact_fields, checked_polynomial

__all__ = ["polynomial_to_npz", "polynomial_from_npz", "MEMBERS"]

MEMBERS = ("format", "variables", "outputs", "monomials", "coefficients", "center", "metadata")
_TIMESTAMP = (1980, 1, 1, 0, 0, 0)


def polynomial_to_npz(poly: Polynomial) -> bytes:
    """The npz bytes of the artifact (checked like the JSON: finite coefficients, a named method)."""
    fields = artifact_fields(poly)
    metadata = {name: fields[name] for name in ("method", "provenance", "diagnostics")}
    arrays: dict[str, np.ndarray] = {
        "format": np.array(FORMAT),
        "variables": np.array(fields["variables"], dtype=str),
        "outputs": np.array(fields["outputs"], dtype=str),
        "monomials": np.ascontiguousarray(poly.indices, dtype=sparse.INDEX_DTYPE),
        "coefficients": np.ascontiguousarray(poly.coefficients, dtype=np.float64),
        "center": np.zeros(0) if poly.center is None else np.asarray(poly.center, dtype=np.float64),
        "metadata": np.array(json.dumps(metadata, ensure_ascii=False, allow_nan=False, sort_keys=True)),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for name in MEMBERS:
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_TIMESTAMP)
            info.external_attr = 0o644 << 16
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, arrays[name], allow_pickle=False)
    return buffer.getvalue()


def polynomial_from_npz(path: str | os.PathLike[str]) -> Polynomial:
    """Read and check an npz artifact; every problem is one ArtifactError line naming the file."""
    where = str(path)
    try:
        with np.load(Path(path), allow_pickle=False) as archive:
            names = set(archive.files)
            missing = [name for name in MEMBERS if name not in names]
            unknown = sorted(names - set(MEMBERS))
            if missing or unknown:
                problem = f"missing array '{missing[0]}'" if missing else f"unknown array '{unknown[0]}'"
                raise ArtifactError(f"{where}: {problem}; a polyx npz artifact holds {', '.join(MEMBERS)}")
            arrays = {name: archive[name] for name in MEMBERS}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise ArtifactError(f"{where}: not a polyx npz artifact ({error}); give a .npz file written by polyx convert") from None
    if arrays["format"].shape != () or str(arrays["format"]) != FORMAT:
        raise ArtifactError(f"{where}: format is {arrays['format']!s} but this polyx reads '{FORMAT}' npz files")
    variables = _names(arrays["variables"], "variables", where)
    outputs = _names(arrays["outputs"], "outputs", where)
    monomials = _typed(arrays["monomials"], "iu", 2, "monomials", where)
    coefficients = _typed(arrays["coefficients"], "f", 2, "coefficients", where).astype(np.float64)
    if coefficients.shape != (len(outputs), monomials.shape[0]):
        raise ArtifactError(
            f"{where}: coefficients have shape {coefficients.shape}; expected ({len(outputs)}, {monomials.shape[0]}), "
            "one row per output and one column per monomial"
        )
    if not np.isfinite(coefficients).all():
        raise ArtifactError(f"{where}: coefficients hold NaN or infinity; artifacts hold finite numbers only")
    center_values = _typed(arrays["center"], "f", 1, "center", where).astype(np.float64)
    if center_values.size not in (0, len(variables)) or not np.isfinite(center_values).all():
        raise ArtifactError(f"{where}: center must be empty or hold {len(variables)} finite numbers")
    metadata = _metadata(arrays["metadata"], where)
    center = center_values if center_values.size else None
    return checked_polynomial(variables, outputs, {"monomials": monomials}, coefficients, center, metadata["method"],
                              metadata["provenance"], metadata["diagnostics"], where)


def _names(values: np.ndarray, field: str, where: str) -> tuple[str, ...]:
    if values.dtype.kind != "U" or values.ndim != 1 or values.size == 0 or not all(values):
        raise ArtifactError(f"{where}: '{field}' must be a non-empty list of non-empty names")
    return tuple(str(value) for value in values)


def _typed(values: np.ndarray, kinds: str, ndim: int, field: str, where: str) -> np.ndarray:
    if values.dtype.kind not in kinds or values.ndim != ndim:
        raise ArtifactError(f"{where}: '{field}' is a {values.ndim}-d {values.dtype} array; expected {ndim}-d {kinds!r}")
    return values


def _metadata(value: np.ndarray, where: str) -> dict[str, Any]:
    try:
        metadata = json.loads(str(value)) if value.dtype.kind == "U" and value.shape == () else None
    except json.JSONDecodeError:
        metadata = None
    if not isinstance(metadata, dict) or sorted(metadata) != ["diagnostics", "method", "provenance"] or not all(
        isinstance(item, dict) for item in metadata.values()
    ):
        raise ArtifactError(f"{where}: 'metadata' must be the JSON text of an object with method, provenance and diagnostics")
    return metadata
