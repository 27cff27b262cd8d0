"""``polyx export POLY.json --to c|javascript|python|sql|excel``: read the artifact, write the code atomically."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from polyx.expansion.writers.codegen import SUFFIXES, TARGETS
from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["SourceExport", "writer", "source_code", "default_source_path", "export_source"]


@dataclass(frozen=True)
class SourceExport:
    """What ``polyx export --to`` wrote: the file, the target, the output space and the size of the code."""

    path: Path
    target: str
    output_space: str
    terms: int
    lines: int


def writer(target: str) -> Callable[[Polynomial, bool], str]:
    """The function that writes ``target``'s code (imported only when asked for)."""
    if target == "c":
        from polyx.expansion.writers.codegen.c import write_c as write
    elif target == "javascript":
        from polyx.expansion.writers.codegen.javascript import write_javascript as write
    elif target == "python":
        from polyx.expansion.writers.codegen.python import write_python as write
    elif target == "sql":
        from polyx.expansion.writers.codegen.sql import write_sql as write
    elif target == "excel":
        from polyx.expansion.writers.codegen.excel import write_excel as write
    else:
        from polyx.errors import DataError

        raise DataError(f"`target` {target}: choose one of onnx, {', '.join(TARGETS)}")
    return write


def source_code(poly: Polynomial, target: str, logits: bool = False) -> str:
    """The polynomial as ``target`` source text: what the file will hold."""
    return writer(target)(poly, logits)


def default_source_path(poly_path: str | Path, target: str) -> Path:
    """``model.poly.json`` → ``model.poly.c`` (``.js``, ``.py``, ``.sql``, ``.excel.txt``) in the current directory."""
    from polyx.files import default_output_name

    return default_output_name(poly_path, (".json",), SUFFIXES[target])


def export_source(poly_path: str | Path, output: str | Path, target: str, logits: bool = False) -> SourceExport:
    """Check the paths, read the artifact, render the whole file, then write it atomically (never half a file)."""
    from polyx.expansion.writers.artifact import load_polynomial
    from polyx.expansion.writers.onnx_export import exported_space, source_candidates
    from polyx.expansion.polynomials.units import artifact_in_raw_units
    from polyx.files import write_atomic
    from polyx.paths import check_paths

    writer(target)
    check_paths({"`output`": output}, {"polynomial": poly_path})
    poly = artifact_in_raw_units(load_polynomial(poly_path))
    check_paths({"`output`": output}, source_candidates(poly, Path(poly_path)))
    text = source_code(poly, target, logits)
    written = write_atomic(output, text)
    return SourceExport(written, target, exported_space(poly, logits), poly.n_terms, text.count("\n"))
