"""``polyx demo``: convert, verify and export a bundled model with every method, from any directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from polyx.cli.app import App
from polyx.cli.terminal import PlainTable, Terminal, verdict

if TYPE_CHECKING:
    from polyx.demo import Demo

__all__ = ["demo"]

EXIT_GATE_FAILED = 1


def _number(value: float | None, digits: int = 4) -> str:
    return "—" if value is None else f"{value:.{digits}g}"


def _render(terminal: Terminal, result: "Demo") -> None:
    from polyx.demo import MIN_R2, ORDER, SAMPLE_DESCRIPTION

    terminal.styled("polyx demo: ", (result.model, "bold"),
                    f", {SAMPLE_DESCRIPTION} on {result.data} ({result.rows} rows), whose target is {result.formula}")
    for run in result.runs:
        terminal.info(f"  {run.method:8} {run.description}: {run.polynomial.n_terms} terms up to degree "
                      f"{run.polynomial.degree} in {run.seconds:.2f} s")
    terms = PlainTable(title=f"the terms each method found (order {ORDER}; the true terms and each method's largest)")
    for header in ("term", "truth", *(run.method for run in result.runs)):
        terms.add_column(header, justify="left" if header == "term" else "right")
    for row in result.term_rows():
        terms.add_row(row.term, _number(row.truth), *(_number(row.coefficients[run.method]) for run in result.runs))
    terminal.table(terms)
    checks = PlainTable(title=f"each polynomial against the network (onnxruntime) on {result.rows} rows; gate R² ≥ {MIN_R2}, verify's default")
    for header in ("method", "terms", "R²", "max |Δ|", "RMSE vs y", "gate"):
        checks.add_column(header, justify="left" if header == "method" else "right")
    for run in result.runs:
        metrics, target = run.report.outputs[0], run.report.target or {}
        checks.add_row(run.method, str(run.polynomial.n_terms), _number(metrics.r2, 6), _number(metrics.max_abs),
                       _number(target.get("polynomial", {}).get("rmse")), verdict(run.report.passed))
    terminal.table(checks)
    network = (result.runs[0].report.target or {}).get("network", {})
    terminal.info(f"the network itself: RMSE vs y {_number(network.get('rmse'))}")
    export = result.export
    terminal.info(f"exported the {export['method']} polynomial to ONNX (input '{export['input_name']}', output "
                  f"'{export['output_name']}', as the network): max |Δ| vs the polynomial "
                  f"{export['max_abs_vs_polynomial']:.2g} in float32")
    _render_files(terminal, result)


def _render_files(terminal: Terminal, result: "Demo") -> None:
    if result.folder is None:
        terminal.info("the files went to a temporary folder, now removed; pass --out DIR to keep them")
    else:
        first = result.runs[0].artifact
        terminal.info(f"files in {result.folder}; try: polyx show {first}  |  polyx plot {first} --kind diagonal "
                      f"--data {result.folder / result.data}")
    if result.passed:
        terminal.success(f"passed: all {len(result.runs)} polynomials stand for the network")
    else:
        failed = ", ".join(run.method for run in result.runs if not run.report.passed)
        terminal.styled(("FAILED", "bold red"), f": {failed}")


@click.command("demo")
@click.option("--out", type=click.Path(path_type=Path), help="Keep the model, data, polynomials and ONNX export in DIR.")
@click.pass_obj
def demo(app: App, out: Path | None) -> None:
    """Convert, verify and export a bundled sample network with every method."""
    from polyx.demo import run_demo

    result = run_demo(out)
    _render(app.terminal, result)
    if not result.passed:
        raise click.exceptions.Exit(EXIT_GATE_FAILED)
