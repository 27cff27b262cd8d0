"""The polynomial JSON artifact: the product's contract, written byte-identically and read strictly.

A file holds, in this order: ``format`` ("polyx.polynomial/2"), ``variables``, ``outputs``,
``monomials`` (per term its sorted 0-based variable indices, one per power: ``[]`` is 1, ``[0, 2]``
is x1·x3, ``[1, 1]`` is x2²; graded order), ``coefficients`` (one list per output, aligned with
``monomials``), ``center`` (null or the expansion point), ``method`` (its name and
every parameter), ``provenance`` (model file, its sha256, polyx version, ONNX tensor names) and
``diagnostics``. Floats are written with Python's shortest round-trip repr, so reading a file
gives back exactly the float64 bits that were written; NaN and infinities are refused. Nested
objects have sorted keys, so the same polynomial always gives the same bytes. The published JSON
Schema is ``polynomial.schema.json`` beside this module (``polynomial_schema()``).

Format /1 files (dense ``exponents``: one list of n integers per term) still load. A path ending in
``.npz`` holds the same content as numpy arrays (``polyx.expansion.writers.artifact_npz``), read without
pickle, for polynomials whose JSON would be hundreds of MB.
"""

from __future__ import annotations

import json
from itertools import chain
import os
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from polyx import __version__
from polyx.errors import ArtifactError
from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.writers.artifact_content import (
    FORMAT,
    FORMAT_V1,
    PROVENANCE_KEYS,
    artifact_fields,
    checked_polynomial,
)
from polyx.expansion.writers.artifact_npz import polynomial_from_npz, polynomial_to_npz
from polyx.files import write_atomic
from polyx.names import check_names
from polyx.paths import require_input

__all__ = [
    "FORMAT",
    "PROVENANCE_KEYS",
    "polynomial_to_json",
    "polynomial_from_json",
    "artifact_text",
    "save_polynomial",
    "load_polynomial",
    "polynomial_schema",
    "artifact_fields",
    "checked_polynomial",
    "is_npz",
]

FIELDS = ("format", "variables", "outputs", "monomials", "coefficients", "center", "method", "provenance", "diagnostics")
FIELDS_V1 = ("format", "variables", "outputs", "exponents", "coefficients", "center", "method", "provenance", "diagnostics")
TEXT_WHERE = "polynomial JSON"


def polynomial_to_json(poly: Polynomial) -> str:
    """The artifact text: fixed field order, sorted nested keys, shortest round-trip floats.

    One term (and one coefficient) per line keeps a diff of two artifacts readable. Names with
    control or invisible characters are refused here too, so polyx never writes an artifact it
    would refuse to read back (a CSV header is the usual source of such a name).
    """
    fields = artifact_fields(poly)
    fields = {
        "format": _inline(FORMAT),
        "variables": _inline(fields["variables"]),
        "outputs": _inline(fields["outputs"]),
        "monomials": _monomial_lines(poly.indices, 4),
        "coefficients": _rows([_one_per_line(json.dumps(row), ", ", 6) for row in poly.coefficients.tolist()], 4),
        "center": _inline(fields["center"]),
        "method": _dump(fields["method"]),
        "provenance": _dump(fields["provenance"]),
        "diagnostics": _dump(fields["diagnostics"]),
    }
    return "{\n" + ",\n".join(f"  {json.dumps(name)}: {text}" for name, text in fields.items()) + "\n}\n"


def artifact_text(poly: Polynomial, path: str | os.PathLike[str]) -> str | bytes:
    """The content ``save_polynomial`` writes at ``path``, rendered without writing anything: the
    JSON text, or the npz bytes for a path ending in ``.npz``.

    ``provenance.source`` is written relative to the artifact's folder when it names an existing
    file, so a model and its polynomial can be moved together. Callers that write several files
    render them all first, so a polynomial that cannot be written fails before any file exists.
    """
    source = poly.provenance.get("source")
    if isinstance(source, str) and Path(source).is_file():
        folder = Path(path).parent.resolve()
        relative = os.path.relpath(Path(source).resolve(), folder)
        poly = _with_provenance(poly, source=Path(relative).as_posix())
    if is_npz(path):
        return polynomial_to_npz(poly)
    return polynomial_to_json(poly)


def is_npz(path: str | os.PathLike[str]) -> bool:
    """True for a path that names the binary sibling (``.npz``)."""
    return str(path).lower().endswith(".npz")


def save_polynomial(poly: Polynomial, path: str | os.PathLike[str]) -> Path:
    """Write the artifact atomically: readers see the old file or the whole new one, never half."""
    return write_atomic(path, artifact_text(poly, path))


def load_polynomial(path: str | os.PathLike[str]) -> Polynomial:
    """Read and check an artifact; every problem is one ArtifactError line naming the file."""
    path = Path(path)
    require_input(path, "polynomial", error=ArtifactError)
    if not path.is_file():
        problem = "is a folder, not a polynomial file" if path.is_dir() else "no such polynomial file"
        raise ArtifactError(f"{path}: {problem}; give a .json file written by polyx convert")
    if is_npz(path):
        return polynomial_from_npz(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ArtifactError(f"{path}: not a polynomial JSON file (not UTF-8 text); give a file written by polyx convert") from None
    return polynomial_from_json(text, where=str(path))


def polynomial_from_json(text: str, where: str = TEXT_WHERE) -> Polynomial:
    """Parse artifact text, checking what the numbers depend on: format, shapes, finiteness."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise ArtifactError(
            f"{where}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            "give a polynomial written by polyx convert"
        ) from None
    except ValueError as error:
        raise ArtifactError(f"{where}: {error}") from None
    except RecursionError:
        raise ArtifactError(f"{where}: not a polynomial (JSON nested too deeply); give a polynomial written by polyx convert") from None
    return _polynomial_from_data(data, where)


def polynomial_schema() -> dict:
    """The published JSON Schema of the artifact, for validating files outside polyx."""
    text = resources.files("polyx.expansion.writers").joinpath("polynomial.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def _polynomial_from_data(data: Any, where: str) -> Polynomial:
    if not isinstance(data, dict):
        raise ArtifactError(f"{where}: not a polyx polynomial (the JSON is not an object); give a file written by polyx convert")
    version = _check_format(data.get("format"), where)
    names = FIELDS if version == FORMAT else FIELDS_V1
    unknown = sorted(set(data) - set(names))
    missing = [name for name in names if name not in data]
    if unknown:
        raise ArtifactError(f"{where}: unknown field '{unknown[0]}'; {version} has only {', '.join(names)}")
    if missing:
        raise ArtifactError(f"{where}: missing field '{missing[0]}'; a {version} file has {', '.join(names)}")
    variables = _names(data["variables"], "variables", where)
    outputs = _names(data["outputs"], "outputs", where)
    if version == FORMAT:
        terms = {"monomials": _monomials(data["monomials"], len(variables), where)}
    else:
        terms = {"exponents": _exponents(data["exponents"], len(variables), where)}
    n_terms = next(iter(terms.values())).shape[0]
    coefficients = _coefficients(data["coefficients"], len(outputs), n_terms, where)
    center = None if data["center"] is None else _numbers(data["center"], len(variables), "center", where)
    method, provenance, diagnostics = (_object(data[name], name, where) for name in ("method", "provenance", "diagnostics"))
    return checked_polynomial(variables, outputs, terms, coefficients, center, method, provenance, diagnostics, where)


def _check_format(value: Any, where: str) -> str:
    if value in (FORMAT, FORMAT_V1):
        return value
    if isinstance(value, str) and value.startswith("polyx.polynomial/"):
        raise ArtifactError(
            f"{where}: format is '{value}' but this polyx {__version__} reads '{FORMAT}' and '{FORMAT_V1}'; upgrade polyx"
        )
    found = "no 'format' field" if value is None else f"format is {json.dumps(value)}"
    raise ArtifactError(f"{where}: not a polyx polynomial ({found}, expected '{FORMAT}'); give a file written by polyx convert")


def _names(value: Any, field: str, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(name, str) and name for name in value):
        raise ArtifactError(f"{where}: '{field}' must be a non-empty list of non-empty names")
    check_names(value, field, where)
    return tuple(value)


def _exponents(value: Any, n_vars: int, where: str) -> np.ndarray:
    if not isinstance(value, list):
        raise ArtifactError(f"{where}: 'exponents' must be a list with one integer list per term")
    for term, row in enumerate(value):
        if not isinstance(row, list) or len(row) != n_vars:
            size = len(row) if isinstance(row, list) else "not a list"
            raise ArtifactError(f"{where}: exponents of term {term + 1} has {size} entries; expected {n_vars}, one per variable")
    exponents = _array(value).reshape(len(value), n_vars) if value else np.zeros((0, n_vars), np.int64)
    if exponents.dtype.kind not in "iu" or (exponents < 0).any():
        raise ArtifactError(f"{where}: exponents must be non-negative integers")
    return exponents.astype(np.int64)


def _monomials(value: Any, n_vars: int, where: str) -> np.ndarray:
    """The padded index table of a /2 ``monomials`` list, checked in bulk (308k terms load in well
    under a second): integers only, each below n_vars, ascending within a term."""
    if not isinstance(value, list) or not all(isinstance(term, list) for term in value):
        raise ArtifactError(f"{where}: 'monomials' must be a list with one list of variable indices per term")
    lengths = np.fromiter(map(len, value), dtype=np.int64, count=len(value))
    flat = list(chain.from_iterable(value))
    starts = np.cumsum(lengths) - lengths
    if set(map(type, flat)) - {int}:
        bad = next(k for k, item in enumerate(flat) if type(item) is not int)
        _bad_monomial(value, int(np.searchsorted(starts, bad, side="right")) - 1, n_vars, where)
    indices = np.array(flat, dtype=np.int64)
    term_of = np.repeat(np.arange(len(value)), lengths)
    out_of_range = np.flatnonzero((indices < 0) | (indices >= n_vars))
    if out_of_range.size:
        _bad_monomial(value, int(term_of[out_of_range[0]]), n_vars, where)
    descending = np.flatnonzero((np.diff(indices) < 0) & (term_of[1:] == term_of[:-1]))
    if descending.size:
        term = int(term_of[descending[0]])
        raise ArtifactError(f"{where}: monomial of term {term + 1} is {value[term]}; list its indices in ascending order")
    table = np.full((len(value), int(lengths.max(initial=0))), sparse.PAD, dtype=sparse.INDEX_DTYPE)
    table[term_of, np.arange(indices.size) - starts[term_of]] = indices
    return table


def _bad_monomial(value: list, term: int, n_vars: int, where: str) -> None:
    raise ArtifactError(f"{where}: monomial of term {term + 1} is {value[term]}; give 0-based variable indices below {n_vars}")


def _coefficients(value: Any, n_outputs: int, n_terms: int, where: str) -> np.ndarray:
    if not isinstance(value, list) or len(value) != n_outputs:
        count = len(value) if isinstance(value, list) else "not a list"
        raise ArtifactError(f"{where}: 'coefficients' has {count} lists; expected {n_outputs}, one per output")
    return np.array([_numbers(row, n_terms, f"coefficients[{k}]", where) for k, row in enumerate(value)]).reshape(
        n_outputs, n_terms
    )


def _numbers(value: Any, size: int, field: str, where: str) -> np.ndarray:
    if not isinstance(value, list) or len(value) != size:
        count = len(value) if isinstance(value, list) else "not a list"
        raise ArtifactError(f"{where}: '{field}' has {count} numbers; expected {size}")
    numbers = _array(value) if value else np.zeros(0)
    if numbers.dtype.kind not in "iuf" or numbers.ndim != 1:
        raise ArtifactError(f"{where}: '{field}' must hold numbers only")
    numbers = numbers.astype(np.float64)
    if not np.isfinite(numbers).all():
        raise ArtifactError(f"{where}: '{field}' has a number too large for float64; artifacts hold finite numbers only")
    return numbers


def _array(value: list) -> np.ndarray:
    """A JSON list as an array; mixed nesting becomes an object array, which callers refuse."""
    try:
        return np.array(value)
    except (ValueError, OverflowError):
        return np.array([None], dtype=object)


def _object(value: Any, field: str, where: str) -> dict:
    if not isinstance(value, dict):
        raise ArtifactError(f"{where}: '{field}' must be a JSON object")
    return value


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not allowed; artifacts hold finite numbers only")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        repeated = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"the key '{repeated}' appears twice in one object; keep one")
    return data


def _dump(value: Any, indent: int = 2) -> str:
    """JSON text for a nested value: objects one key per line, lists of plain values on one line."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        items = [f"{pad}  {_inline(key)}: {_dump(item, indent + 2)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        return "[\n" + ",\n".join(f"{pad}  {_dump(item, indent + 2)}" for item in value) + f"\n{pad}]"
    return _inline(value)


def _inline(value: Any) -> str:
    """A JSON value on one line."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _one_per_line(text: str, separator: str, indent: int) -> str:
    """A one-line JSON list (from json.dumps, whose C encoder writes shortest round-trip floats)
    laid out one item per line at ``indent`` spaces, as ``_rows`` would: split at ``separator``,
    which occurs only between items (", " between numbers, "], [" between index lists)."""
    if text == "[]":
        return text
    pad = " " * indent
    head, tail = separator.split(" ", 1)
    return "[\n" + pad + text[1:-1].replace(separator, head + "\n" + pad + tail) + "\n" + " " * (indent - 2) + "]"


def _monomial_lines(indices: np.ndarray, indent: int) -> str:
    """The ``monomials`` list one term per line, as json.dumps of the index lists would write it
    ("[]", "[0]", "[0, 2]"), built per degree from the indices' decimal strings: a third of the
    time of lists of ints through the JSON encoder for the 308k terms of a 784-input quadratic."""
    words = [str(index) for index in range(int(indices.max(initial=-1)) + 1)]
    degree = sparse.degrees(indices)
    items: list[str] = [""] * indices.shape[0]
    for d in np.unique(degree).tolist():
        rows = np.flatnonzero(degree == d)
        columns = [[words[i] for i in indices[rows, k].tolist()] for k in range(d)]
        texts = ["[" + ", ".join(parts) + "]" for parts in zip(*columns)] if d else ["[]"] * rows.size
        for row, text in zip(rows.tolist(), texts):
            items[row] = text
    return _rows(items, indent)


def _rows(items: list[str], indent: int) -> str:
    """A JSON list written one item per line at ``indent`` spaces."""
    if not items:
        return "[]"
    pad = " " * indent
    return "[\n" + ",\n".join(pad + item for item in items) + "\n" + " " * (indent - 2) + "]"


def _with_provenance(poly: Polynomial, **changes: Any) -> Polynomial:
    return poly.relabelled(provenance={**poly.provenance, **changes})
