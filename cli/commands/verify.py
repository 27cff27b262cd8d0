"""``polyx verify DATA.csv``: the network against its polynomial on data, with gates for CI."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

import click

from polyx.cli.app import App
from polyx.cli.options import ROWS, FiniteFloat, column_options, comma_list, engine_options, gate_bound
from polyx.cli.progress import progress_bar
from polyx.cli.terminal import PlainTable, Terminal, verdict

if TYPE_CHECKING:
    from polyx.verification import VerificationReport

__all__ = ["verify"]

EXIT_GATE_FAILED = 1


GATE_FLAGS = {
    "max_abs": "--max-abs",
    "mae": "--max-mae",
    "rmse": "--max-rmse",
    "rel_l2": "--max-rel-l2",
    "r2": "--min-r2",
    "argmax_agreement": "--min-argmax-agreement",
}
"""The option that sets each gate the user may set (``polyx.gates.GATE_METRICS``, ``user_set``)."""


def _gate_options(command: Callable) -> Callable:
    """One ``--max-…``/``--min-…`` option per gate metric, explained by ``polyx.gates``."""
    from polyx.gates import GATE_METRICS

    for metric, spec in reversed(list(GATE_METRICS.items())):
        if spec.user_set:
            side = "above" if spec.operator == "<=" else "below"
            text = f"Fail when the {spec.description} is {side} X."
            command = click.option(GATE_FLAGS[metric], f"gate_{metric}", type=gate_bound(spec.operator, metric), metavar="X", help=text)(command)
    return command


@click.command("verify")
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--poly", type=click.Path(path_type=Path), help="Polynomial artifact [default: the one *.poly.json here].")
@click.option("--model", type=click.Path(path_type=Path), help="ONNX model [default: the polynomial's source, sha256-checked].")
@click.option("--target", help="Truth column: score both models against it (class numbers for a classifier).")
@column_options
@click.option("--skip-invalid", is_flag=True, help="Drop rows with NaN/Inf (counted in the report) instead of failing.")
@click.option("--compare", type=click.Choice(["logits", "probabilities"]), help="Softmax networks: which space the gates check.")
@click.option("--threshold", type=FiniteFloat(0, 1, min_open=True, max_open=True),
              help="Sigmoid (binary) classifiers: class 1 when the probability is at least this [default: 0.5].")
@_gate_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout (nothing else).")
@click.option("--report", type=click.Path(path_type=Path), help="Write the JSON report to this file.")
@click.option("--junit", type=click.Path(path_type=Path), help="Write a JUnit XML report (one testcase per gate and output).")
@click.option("--no-default-gate", is_flag=True,
              help="With no gate given, only report (the last line says 'not checked') instead of gating R² ≥ 0.99.")
@click.option("--chunk-rows", type=ROWS, help="Rows per streamed chunk [default: 65,536].")
@engine_options
@click.pass_obj
def verify(app: App, data: Path, poly: Path | None, model: Path | None, target: str | None, exclude: tuple[str, ...],
           columns: str | None, skip_invalid: bool, compare: str | None, threshold: float | None, as_json: bool, report: Path | None,
           junit: Path | None, chunk_rows: int | None, no_default_gate: bool, engine: str, scheduler: str | None,
           **thresholds: float | None) -> None:
    """Run the ONNX network and its polynomial on DATA (CSV, Parquet file or folder, Arrow); exit 1 if a gate fails.

    With no gate given, every output's R² against the network must be at least 0.99 (the default
    gate); --no-default-gate makes the report informational.
    """
    from polyx.files import reaches_stdout
    from polyx.gates import GATE_METRICS, Gate, gates_or_default
    from polyx.tabular import DEFAULT_CHUNK_ROWS
    from polyx.verification import verify as run_verification

    bounds = {metric: thresholds.get(f"gate_{metric}") for metric in GATE_METRICS}
    gates = gates_or_default([Gate(metric, value) for metric, value in bounds.items() if value is not None],
                             use_default=not no_default_gate)
    if reaches_stdout(report) or reaches_stdout(junit):
        app.terminal.results_to_stderr()
    with progress_bar(app.terminal, "verifying", enabled=not as_json) as progress:
        result = run_verification(data, poly, model, columns=comma_list(columns) or None, exclude=comma_list(exclude),
                                  target=target, skip_invalid=skip_invalid, gates=gates, compare=compare,
                                  chunk_rows=chunk_rows or DEFAULT_CHUNK_ROWS, progress=progress, report=report, junit=junit,
                                  engine=engine, scheduler=scheduler, threshold=threshold)
    _render(app.terminal, result, as_json, bool(gates))
    if not result.passed:
        raise click.exceptions.Exit(EXIT_GATE_FAILED)


def _render(terminal: Terminal, result: VerificationReport, as_json: bool, gated: bool) -> None:
    from polyx.cli.render import render_matched_by_position

    render_matched_by_position(terminal, result.data["path"], result.data["matched_by_position"])
    if result.model.get("sha256_matches") is False:
        terminal.warning(f"{result.model['path']} is not the file the polynomial was made from (sha256 differs)")
    if as_json:
        if not gated:
            terminal.warning("not checked: no gate given and --no-default-gate; the report is informational only")
        terminal.json(result.to_dict())
        return
    _render_tables(terminal, result, gated)


def _number(value: float | None) -> str:
    """Six significant digits: enough that an R² of 0.99996 does not print as 1 beside a 0.99999 gate."""
    return "—" if value is None else f"{value:.6g}"


def _render_tables(terminal: Terminal, result: VerificationReport, gated: bool) -> None:
    report = result.to_dict()
    data = report["data"]
    skipped = f", {data['invalid_rows_skipped']} invalid rows skipped" if data["invalid_rows_skipped"] else ""
    source = report["polynomial"].get("path", "the polynomial")
    kind = "" if data.get("format", "csv") == "csv" else f" ({data['format']})"
    terminal.info(f"{data['rows']} rows of {data['path']}{kind}{skipped}: {source} against {report['model']['path']} "
                  f"(onnxruntime), comparing {report['compared']}")
    for note in report["notes"]:
        terminal.info(f"  {note}")
    worst = "worst line" if data.get("format", "csv") == "csv" else "worst row"
    metrics = PlainTable("output", "max abs", "MAE", "RMSE", "R²", "rel L2", worst, title=f"agreement ({report['compared']})")
    for row in report["outputs"]:
        metrics.add_row(row["name"], *(_number(row[key]) for key in ("max_abs", "mae", "rmse", "r2", "rel_l2")), str(row["worst_line"] or "—"))
    terminal.table(metrics)
    if report["secondary"]:
        _render_secondary(terminal, report["secondary"])
    agreement = (report["classification"] or {}).get("argmax_agreement")
    if agreement:
        terminal.info(f"argmax agreement: {agreement['agreeing']}/{agreement['rows']} rows ({agreement['rate']:.4%})")
    if report["target"]:
        _render_target(terminal, report["target"])
    gates = PlainTable("gate", "output", "value", "result", title="gates")
    for gate in result.gates:
        gates.add_row(gate.label, gate.output or "(model)", _number(gate.value), verdict(gate.passed))
    terminal.table(gates)
    failed = len(result.failed_gates)
    if failed:
        terminal.styled(("FAILED", "bold red"), f": {failed} of {len(result.gates)} gates")
    elif not gated:
        terminal.styled(("not checked", "bold yellow"),
                        ": no gate given and --no-default-gate; the report above is informational only")
    else:
        terminal.success(f"passed: all {len(result.gates)} gates")


def _render_secondary(terminal: Terminal, secondary: dict) -> None:
    rows = secondary["outputs"]
    worst_abs = max((row["max_abs"] for row in rows if row["max_abs"] is not None), default=None)
    worst_r2 = min((row["r2"] for row in rows if row["r2"] is not None), default=None)
    terminal.info(f"{secondary['compared']} (not gated): max abs {_number(worst_abs)}, lowest R² {_number(worst_r2)}")


def _render_target(terminal: Terminal, target: dict) -> None:
    if target["metric"] == "accuracy":
        network, polynomial = target["network"]["rate"], target["polynomial"]["rate"]
        terminal.info(f"accuracy on '{target['column']}': network {network:.4%}, polynomial {polynomial:.4%}")
        return
    network, polynomial = target["network"], target["polynomial"]
    terminal.info(
        f"against '{target['column']}': network RMSE {_number(network['rmse'])} R² {_number(network['r2'])}; "
        f"polynomial RMSE {_number(polynomial['rmse'])} R² {_number(polynomial['r2'])}"
    )
