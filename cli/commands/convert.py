"""``polyx convert MODEL``: expand a network into a polynomial artifact."""

from __future__ import annotations

from pathlib import Path

import click

from polyx.cli.app import App
from polyx.expansion.methods.catalog import ALIASES, METHOD_SPECS
from polyx.cli.options import (
    CHECK_SAMPLES, COMPONENTS, COORDINATE, DIGITS, INTERACTION, ORDER, SAMPLES, SEED, FiniteFloat, FiniteFloatList, LibraryChoice,
    MemorySize, TaylorOrders, column_options, comma_list,
)

__all__ = ["convert", "method_help"]


def _method_names() -> list[str]:
    return [*METHOD_SPECS, *ALIASES]


def _methods_help() -> str:
    """``--method``'s help: every method with its aliases and title, from its description."""
    return ", ".join(f"{'/'.join((spec.name, *spec.aliases))} ({spec.title})" for spec in METHOD_SPECS.values()) + "."


def method_help(field: str, text: str) -> str:
    """An option's help prefixed by the methods it belongs to (``[taylor, lsq] …``), read from the method descriptions."""
    owners = [name for name, spec in METHOD_SPECS.items() if field in spec.request_fields()]
    return f"[{', '.join(owners)}] {text}" if owners else text


def _default(method: str, option: str) -> object:
    """A method option's default, as its description gives it."""
    return METHOD_SPECS[method].option(option).default


TAYLOR_TERMS = METHOD_SPECS["taylor"].option("terms")


@click.command("convert")
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--method", "-m", type=LibraryChoice(_method_names), default=next(iter(METHOD_SPECS)), show_default=True,
              help=_methods_help())
@click.option("--order", "-q", type=ORDER, default=2, show_default=True, help="Highest total degree Q.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="JSON artifact (default: MODEL.poly.json here).")
@click.option("--latex", type=click.Path(path_type=Path), help="Also write the polynomial as LaTeX.")
@click.option("--sympy", type=click.Path(path_type=Path), help="Also write a SymPy module.")
@click.option("--digits", type=DIGITS, default=6, show_default=True, help="Significant digits in LaTeX.")
@click.option("--threshold", type=FiniteFloat(min=0), default=0.0, help="Drop terms below this |coefficient| in LaTeX.")
@click.option("--max-memory", type=MemorySize(), default=None, help="Refuse expansions needing more (e.g. 4GB); default half the RAM.")
@column_options
@click.option("--taylor-orders", type=TaylorOrders(),
              help=method_help("taylor_orders", "One order, or one per layer (8,8,1); default 8, with --fit the order Q."))
@click.option("--taylor-center", type=COORDINATE, default=_default("nn2poly", "taylor_center"), show_default=True,
              help=method_help("taylor_center", "Taylor centre."))
@click.option("--fit", type=click.Path(path_type=Path), help=method_help("fit", "Fit each activation over the data's range."))
@click.option("--data", type=click.Path(path_type=Path),
              help=method_help("data", "nn2poly: diagnostics data; lsq: fit the Gaussian (and deeper networks) to it."))
@click.option("--at", type=FiniteFloatList(), help=method_help("at", "Reference point x0, e.g. --at=0.5,-0.2."))
@click.option("--at-row", help=method_help("at_row", "Reference point from a CSV row: FILE.csv:N."))
@click.option("--at-mean", type=click.Path(path_type=Path), help=method_help("at_mean", "Reference point: a CSV's column means."))
@click.option("--at-points", type=click.Path(path_type=Path),
              help=method_help("at_points", "Expand at every row of this data file and compare the local polynomials term by term."))
@click.option("--agreement-tolerance", type=FiniteFloat(0, min_open=True),
              help=method_help("agreement_tolerance", "With --at-points: spread allowed across points, × a term's largest "
                               "|coefficient|; default 0.01."))
@click.option("--centered", is_flag=True, help=method_help("centered", "Write powers of (x − x0) instead of x."))
@click.option("--logits", is_flag=True, help="Expand the logits of a softmax or sigmoid classifier (the sigmoid's input).")
@click.option("--terms", type=click.Choice(TAYLOR_TERMS.choices), default=TAYLOR_TERMS.default, show_default=True,
              help=method_help("terms", "'diagonal': only the pure powers of each input (image-sized inputs)."))
@click.option("--max-interaction", type=INTERACTION, help=method_help("max_interaction", "Keep monomials with ≤ K distinct inputs."))
@click.option("--validity-tolerance", type=FiniteFloat(0, min_open=True),
              help=method_help("validity_tolerance", "Error allowed within the reported validity radius, × max(1, |f(x0)|); default 1e-3."))
@click.option("--gaussian", type=click.Path(path_type=Path),
              help=method_help("gaussian", "Input model {'mean': [...], 'cov': [[...]]}, or a mixture {'weights', 'means', 'covs'}."))
@click.option("--mixture", type=COMPONENTS, help=method_help("mixture", "Fit a K-component Gaussian mixture to --data (EM, --seed)."))
@click.option("--check-samples", type=CHECK_SAMPLES, default=_default("lsq", "check_samples"),
              help=method_help("check_samples", "Monte-Carlo check of the R²."))
@click.option("--samples", type=SAMPLES, help=method_help("samples", "Samples for the Monte-Carlo fit of deeper networks."))
@click.option("--model-output", metavar="NAME", help="The ONNX output to expand when the model has several "
              "[default: the only float output, e.g. a classifier's probabilities].")
@click.option("--center", type=FiniteFloatList(), help="Input centre μ of z = (x − μ)/σ: one value or one per input [default: --data's mean].")
@click.option("--scale", type=FiniteFloatList(), help="Input scale σ > 0 of z = (x − μ)/σ: one value or one per input [default: --data's std].")
@click.option("--units", type=click.Choice(["raw", "standardized"]), default="raw", show_default=True,
              help="Write the polynomial in the inputs' own units, or in z = (x − μ)/σ.")
@click.option("--keep-layers", is_flag=True,
              help="Also write every hidden layer's neurons (a graph: every hidden non-linear node) as polynomials in the inputs to MODEL.layers.json.")
@click.option("--seed", type=SEED, default=_default("lsq", "seed"), show_default=True,
              help=method_help("seed", "Random seed (taylor validity points, lsq sampling)."))
@click.pass_obj
def convert(app: App, model: Path, **options: object) -> None:
    """Expand MODEL (ONNX, nn2poly weight-list JSON or .npz) into a polynomial."""
    from polyx.cli.render import render_conversion
    from polyx.conversion import ConversionRequest, convert as run, parse_row_reference
    from polyx.expansion.kernel.budget import DEFAULT_MAX_MEMORY
    from polyx.files import reaches_stdout

    if any(reaches_stdout(options[name]) for name in ("output", "latex", "sympy")):  # type: ignore[arg-type]
        app.terminal.results_to_stderr()

    options["max_memory"] = options["max_memory"] or DEFAULT_MAX_MEMORY
    options["at_row"] = parse_row_reference(str(options["at_row"])) if options["at_row"] else None
    options["columns"] = comma_list(options["columns"]) or None  # type: ignore[arg-type]
    options["exclude"] = tuple(comma_list(options["exclude"]))  # type: ignore[arg-type]
    from polyx.cli.progress import progress_bar
    from polyx.progress import reporting

    with progress_bar(app.terminal, "converting") as update, reporting(update):
        result = run(ConversionRequest(model=model, **options))  # type: ignore[arg-type]
    render_conversion(app.terminal, result)
