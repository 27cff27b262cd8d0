"""``polyx show POLY.json``: the terms that matter, per output, or the polynomial as LaTeX/SymPy/JSON."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
import numpy as np

from polyx.cli.app import App
from polyx.cli.options import DIGITS, MAX_COORDINATE, TOP, FiniteFloat

if TYPE_CHECKING:
    from polyx.expansion.polynomials.polynomial import Polynomial
    from polyx.expansion.analysis.presentation import PolynomialSummary

__all__ = ["show"]


def _describe(values: dict, skip: tuple[str, ...] = ()) -> str:
    """key=value for the scalar entries; a sha256 shortened to 12 digits."""
    parts = [f"{key}={_short(key, value)}" for key, value in values.items()
             if key not in skip and value is not None and not isinstance(value, dict)]
    return ", ".join(parts) or "-"


def _short(key: str, value: object) -> str:
    """A sha256 cut to 12 digits, a long list (an image-sized x0) as its length."""
    if key == "sha256":
        return str(value)[:12] + "…"
    if isinstance(value, list) and len(value) > LONG_LIST:
        return f"[{len(value)} values]"
    return str(value)


LONG_LIST = 12


def _names_text(names: list[str]) -> str:
    """All names, or the first and last few of an image-sized list."""
    if len(names) <= LONG_LIST:
        return ", ".join(names)
    return ", ".join(names[:3]) + ", …, " + ", ".join(names[-2:])


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _render(app: App, summary: "PolynomialSummary", digits: int) -> None:
    from polyx.cli.terminal import PlainTable
    from polyx.cli.flags import for_cli
    from polyx.expansion.methods.records import MethodRecord

    term = app.terminal
    names = [o.name for o in summary.outputs]
    term.info(f"polynomial  {_count(len(summary.variables), 'variable')} ({_names_text(summary.variables)}) → "
              f"{_count(len(names), 'output')} ({_names_text(names)}), {_count(summary.n_terms, 'term')} up to degree {summary.degree}")
    term.info(f"method      {MethodRecord(summary.method).name}: {_describe(summary.method, ('name',))}")
    term.info(f"provenance  {_describe(summary.provenance)}")
    term.info(f"center      {'none' if summary.center is None else ', '.join(f'{c:.{digits}g}' for c in summary.center)}")
    if summary.diagnostics:
        term.info(for_cli(f"diagnostics {_describe(summary.diagnostics)}"))  # a warning names parameters: show the flags
    for output in summary.outputs:
        table = PlainTable(title=f"{output.name}: top {len(output.top)} of {output.shown_from} terms by |coefficient|")
        for header in ("#", "term", "coefficient", "share"):
            table.add_column(header, justify="left" if header == "term" else "right")
        for row in output.top:
            table.add_row(str(row.rank), row.name, f"{row.coefficient:.{digits}g}", f"{row.share:.1%}")
        term.table(table)
    table = PlainTable(title="terms per degree (share of each output's |coefficient| sum)")
    for header in ("degree", "terms", "non-zero", *names):
        table.add_column(header, justify="right")
    for row in summary.degrees:
        table.add_row(str(row.degree), str(row.terms), str(row.nonzero), *(f"{s:.1%}" for s in row.shares))
    term.table(table)


def _render_eig_images(app: App, polynomial: "Polynomial", shape: str, top: int | None, digits: int) -> None:
    """Each output's top eigenvectors as character images (side by side), titled by their eigenvalues."""
    from polyx.expansion.analysis.eigen_images import LEGEND, eigen_images, image_text
    from polyx.plots import parse_shape

    term = app.terminal
    for output in eigen_images(polynomial, parse_shape(shape), top=top or 4):
        term.info(f"{output.output}: top {output.eigenvalues.size} eigenvectors of xᵀGx as {shape} images")
        pictures = [image_text(image) for image in output.images]
        width = len(pictures[0][0]) if pictures and pictures[0] else 0
        titles = [f"#{k + 1} λ={value:.{digits}g} ({share:.1%})"
                  for k, (value, share) in enumerate(zip(output.eigenvalues, output.shares))]
        term.info("  ".join(title.ljust(width) for title in titles).rstrip())
        for lines in zip(*pictures):
            term.info("  ".join(lines).rstrip())
    term.info(LEGEND)


def _render_eig(app: App, polynomial: "Polynomial", fmt: str, top: int | None, digits: int, adversarial) -> None:
    from polyx.cli.terminal import PlainTable

    from polyx.expansion.polynomials.quadratic_form import direction_text, quadratic_forms, quadratic_forms_to_json

    if fmt == "json":
        data = quadratic_forms_to_json(polynomial, top)
        data["adversarial"] = {"start": adversarial.start, "model": adversarial.model, "note": adversarial.note,
                               "steps": [s.to_json(polynomial.variables) for s in adversarial.steps]}
        app.terminal.json(data)
        return
    for form in quadratic_forms(polynomial):
        shown = form.eigenvalues[: top or 10]
        table = PlainTable(title=f"{form.output}: quadratic form xᵀGx, {len(shown)} of {form.eigenvalues.size} eigenvalues by |λ|")
        for header in ("#", "eigenvalue", "share", "eigenvector (largest loadings)"):
            table.add_column(header, justify="left" if header.startswith("eigenvector") else "right")
        for rank, value in enumerate(shown):
            table.add_row(str(rank + 1), f"{value:.{digits}g}", f"{form.shares[rank]:.1%}",
                          direction_text(form.eigenvectors[:, rank], polynomial.variables, digits=min(digits, 3)))
        app.terminal.table(table)
    from polyx.cli.analyses import render_adversarial

    render_adversarial(app.terminal, adversarial, polynomial.variables, digits)


def _render_importance(app: App, poly: Path, data: Path | None, kind: str, fmt: str, top: int | None,
                       digits: int) -> None:
    from polyx.cli.terminal import PlainTable
    from polyx.expansion.writers.artifact import load_polynomial
    from polyx.expansion.analysis.importance import importance
    from polyx.interpretation import input_model
    from polyx.paths import check_paths

    check_paths({}, {"polynomial": poly, "--data": data}, folders=("--data",))
    polynomial = load_polynomial(poly)  # as written: an artifact in z is measured in z (the data standardised)
    result = importance(polynomial, input_model(polynomial, data, kind))
    if fmt == "json":
        app.terminal.json(result.to_json(polynomial))
        return
    app.terminal.info(f"input model: {result.model}; Sobol indices under {result.sobol_model}")
    names = polynomial.term_names()
    for o, output in enumerate(polynomial.outputs):
        table = PlainTable(title=f"{output}: mean {result.mean[o]:.{digits}g}, variance {result.variance[o]:.{digits}g}")
        for header in ("variable", "variance share", "Sobol first", "Sobol total"):
            table.add_column(header, justify="left" if header == "variable" else "right")
        for i in np.argsort(-result.total[o], kind="stable"):
            table.add_row(polynomial.variables[i], f"{result.variable_shares[o, i]:.1%}",
                          f"{result.first_order[o, i]:.4f}", f"{result.total[o, i]:.4f}")
        app.terminal.table(table)
        shown = np.argsort(-np.abs(result.term_shares[o]), kind="stable")[: top or 10]
        terms = PlainTable(title=f"{output}: top {len(shown)} of {len(names)} terms by variance share")
        for header in ("#", "term", "coefficient", "variance share", "|coef| rank"):
            terms.add_column(header, justify="left" if header == "term" else "right")
        coefficient_rank = np.empty(len(names), dtype=int)
        coefficient_rank[np.argsort(-np.abs(polynomial.coefficients[o]), kind="stable")] = np.arange(1, len(names) + 1)
        for rank, t in enumerate(shown, start=1):
            terms.add_row(str(rank), names[t], f"{polynomial.coefficients[o, t]:.{digits}g}",
                          f"{result.term_shares[o, t]:.1%}", str(coefficient_rank[t]))
        app.terminal.table(terms)


@click.command("show")
@click.argument("poly", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "latex", "sympy", "json"]), default="table", show_default=True,
              help="table: the largest terms per output; latex/sympy/json: the whole (pruned) polynomial.")
@click.option("-k", "--top", type=TOP, help="Terms to show per output [table: 10; other formats: all].")
@click.option("--threshold", type=FiniteFloat(min=0), default=0.0, show_default=True, help="Leave out terms with |coefficient| below this.")
@click.option("--digits", type=DIGITS, default=6, show_default=True, help="Significant digits of the coefficients shown.")
@click.option("--eig", is_flag=True, help="Eigendecomposition of each output's quadratic form xᵀGx (table or json).")
@click.option("--shape", help="[--eig] Also draw the top eigenvectors (-k, default 4) as HxW images, e.g. 28x28.")
@click.option("--epsilon", type=FiniteFloat(0, MAX_COORDINATE, min_open=True), default=0.1, show_default=True,
              help="[--eig] Step length of the adversarial direction.")
@click.option("--model", type=click.Path(path_type=Path), help="[--eig] The network to check the step on [default: the provenance's source].")
@click.option("--importance", is_flag=True, help="Variance shares, Sobol indices per input and term (table or json).")
@click.option("--data", type=click.Path(path_type=Path), help="[importance] Inputs whose distribution importance is measured on.")
@click.option("--input-model", type=click.Choice(["empirical", "independent", "gaussian"]), default="empirical",
              show_default=True, help="[importance] The data's rows, its marginals taken independent, or Gaussians.")
@click.pass_obj
def show(app: App, poly: Path, fmt: str, top: int | None, threshold: float, digits: int, eig: bool,
         shape: str | None, epsilon: float, model: Path | None, importance: bool, data: Path | None,
         input_model: str) -> None:
    """Show a polynomial artifact: its largest terms, or the polynomial as LaTeX, SymPy or JSON."""
    from polyx.expansion.writers.artifact import load_polynomial
    from polyx.expansion.analysis.presentation import render_polynomial, summarize_polynomial

    if eig and fmt not in ("table", "json"):
        raise click.UsageError("--eig prints a table or JSON; use --format table or --format json")
    if shape and not (eig and fmt == "table"):
        raise click.UsageError("--shape draws eigen-images: use it with --eig (table format)")
    if not eig and model is not None:
        raise click.UsageError("--model checks the adversarial step of --eig; add --eig or drop --model")
    if (data is not None or input_model != "empirical") and not importance:
        raise click.UsageError("--data and --input-model apply to --importance; add --importance")
    if importance:
        if eig or fmt not in ("table", "json"):
            raise click.UsageError("--importance prints a table or JSON, without --eig")
        _render_importance(app, poly, data, input_model, fmt, top, digits)
        return
    polynomial = load_polynomial(poly)
    if eig and shape:
        _render_eig_images(app, polynomial, shape, top, digits)
    elif eig:
        from polyx.adversarial import check_adversarial

        _render_eig(app, polynomial, fmt, top, digits, check_adversarial(polynomial, poly, epsilon, model))
    elif fmt == "table":
        from polyx.cli.analyses import render_convergence
        from polyx.expansion.diagnostics.convergence import derivative_ratios

        _render(app, summarize_polynomial(polynomial, top=10 if top is None else top, threshold=threshold), digits)
        render_convergence(app.terminal, derivative_ratios(polynomial), warn=True)
    else:
        app.terminal.write(render_polynomial(polynomial, fmt, digits=digits, threshold=threshold, top=top))
