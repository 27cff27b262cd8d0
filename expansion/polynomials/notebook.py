"""A polynomial in a notebook: its rich display, a pandas table of its terms, predictions on a DataFrame.

Jupyter shows an object through ``_repr_html_``/``_repr_latex_``; a polynomial of thousands of
terms must still display as a short, readable summary, so both show the largest terms only
(by |coefficient|, per output) and say how many more there are. pandas is optional: only
``to_frame`` and ``predict`` on a DataFrame need it, and they say how to install it.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import numpy as np

from polyx.errors import DataError
from polyx.expansion.polynomials.latex import render_latex

if TYPE_CHECKING:
    import pandas as pd

    from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["polynomial_html", "polynomial_latex", "polynomial_frame", "predict_frame", "DISPLAY_TERMS"]

DISPLAY_TERMS = 8


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError("this needs pandas, which polyx does not install by default: pip install 'polyx[pandas]'") from None
    return pandas


def _summary(poly: "Polynomial") -> str:
    method = poly.method.get("name", "polynomial")
    order = f", order {poly.method['order']}" if "order" in poly.method else ""
    return (f"{method}{order}: {len(poly.variables)} variables → {len(poly.outputs)} outputs, "
            f"{poly.n_terms} terms, degree {poly.degree}")


def polynomial_html(poly: "Polynomial", top: int = DISPLAY_TERMS) -> str:
    """A compact HTML table per output: its ``top`` largest terms with degree and coefficient."""
    names = poly.term_names()
    degrees = poly.term_degrees()
    parts = [f"<div class='polyx-polynomial'><p><b>Polynomial</b> {html.escape(_summary(poly))}</p>"]
    for k, output in enumerate(poly.outputs):
        shown = poly.top_terms(top, k)
        rows = "".join(
            f"<tr><td>{html.escape(names[t])}</td><td>{int(degrees[t])}</td><td>{poly.coefficients[k, t]:.6g}</td></tr>"
            for t in shown
        )
        more = poly.n_terms - len(shown)
        caption = f"{html.escape(output)}: largest {len(shown)} terms" + (f" of {poly.n_terms}" if more else "")
        parts.append(f"<table><caption>{caption}</caption><thead><tr><th>term</th><th>degree</th>"
                     f"<th>coefficient</th></tr></thead><tbody>{rows}</tbody></table>")
    return "".join(parts) + "</div>"


def polynomial_latex(poly: "Polynomial", top: int = DISPLAY_TERMS) -> str:
    """The equations with each output's ``top`` largest terms (in graded order), ``+ \\dots`` when cut."""
    shown = poly.pruned(top=top)
    body = render_latex(shown, digits=4).strip()
    if shown.n_terms < poly.n_terms:
        body = body.replace(" \\\\\n", " + \\dots \\\\\n").replace("\n\\end{aligned}", " + \\dots\n\\end{aligned}")
    return f"$${body}$$"


def polynomial_frame(poly: "Polynomial") -> "pd.DataFrame":
    """One row per term (graded order): its name, its degree, and one coefficient column per output."""
    pandas = _pandas()
    columns: dict[str, Any] = {"term": poly.term_names(ascii=True), "degree": poly.term_degrees()}
    for k, output in enumerate(poly.outputs):
        if output in columns:
            raise DataError(f"output name '{output}' clashes with the frame's '{output}' column; rename the output")
        columns[output] = poly.coefficients[k]
    return pandas.DataFrame(columns)


def predict_frame(poly: "Polynomial", frame: Any) -> Any:
    """The polynomial on a DataFrame's rows, its columns matched to the variables by name.

    A DataFrame gives a DataFrame (one column per output, the same index); an array or anything
    array-like is taken as columns in the variables' order and gives an array.
    """
    if not hasattr(frame, "columns"):
        values = np.asarray(frame, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] != len(poly.variables):
            raise DataError(f"expected rows of {len(poly.variables)} values ({', '.join(poly.variables)}), got shape {values.shape}")
        return poly.evaluate(values)
    missing = [name for name in poly.variables if name not in frame.columns]
    if missing:
        raise DataError(
            f"the frame has no column {', '.join(repr(n) for n in missing)}; the polynomial's variables are "
            f"{', '.join(poly.variables)}: rename the columns (frame.rename(columns=...))"
        )
    values = frame[list(poly.variables)].to_numpy(dtype=np.float64)
    return _pandas().DataFrame(poly.evaluate(values), index=frame.index, columns=list(poly.outputs))
