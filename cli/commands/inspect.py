"""``polyx inspect MODEL``: what polyx reads from a model file, layer by layer, optionally checked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from polyx.cli.app import App
from polyx.cli.options import SAMPLES, SEED, FiniteFloat

if TYPE_CHECKING:
    from rich.table import Table

    from polyx.converters.summary import ModelReport

__all__ = ["inspect"]

EXIT_CHECK_FAILED = 1


def _range(values: list[float]) -> str:
    return f"[{values[0]:.3g}, {values[1]:.3g}]"


def _layer_table(info: dict) -> "Table":
    from polyx.cli.terminal import PlainTable

    table = PlainTable(title="layers (norms: incoming weights + bias per neuron)")
    for header in ("layer", "in → out", "activation", "weights", "biases", "max ‖·‖₁ (neuron)", "max ‖·‖₂ (neuron)",
                   "‖·‖₁ ≤ 1", "‖·‖₂ ≤ 1"):
        table.add_column(header, justify="right" if header.startswith(("in", "max")) else "left")
    for layer in info["layers"]:
        params = ", ".join(f"{k}={v:g}" for k, v in layer["activation_params"].items())
        table.add_row(
            str(layer["index"]), f"{layer['in_features']} → {layer['out_features']}",
            layer["activation"] + (f"({params})" if params else ""),
            _range(layer["weight_range"]), _range(layer["bias_range"]),
            f"{layer['l1_max']['value']:.4g} ({layer['l1_max']['neuron']})",
            f"{layer['l2_max']['value']:.4g} ({layer['l2_max']['neuron']})",
            "yes" if layer["l1_within_1"] else "no", "yes" if layer["l2_within_1"] else "no",
        )
    return table


def _graph_table(info: dict) -> "Table":
    from polyx.cli.terminal import PlainTable

    table = PlainTable(title="graph (nodes in topological order; each kind has one rule per method)")
    for header in ("node", "kind", "reads", "size", "ONNX node", "becomes"):
        table.add_column(header, justify="right" if header in ("node", "size") else "left")
    for node in info["graph"]:
        table.add_row(str(node["index"]), node["kind"], ", ".join(map(str, node["inputs"])) or "—",
                      str(node["size"]), node["onnx"], node["becomes"])
    return table


def _render(app: App, report: "ModelReport") -> None:
    info = report.summary.to_dict()
    origin = f"{info['format']}" + (f" from {info['producer']}" if info.get("producer") else "")
    origin += f", opset {info['opset']}" if info.get("opset") else ""
    batch = f"fixed batch {info['batch_size']}" if info["batch_size"] else "any batch size"
    app.terminal.styled((str(info["source"]), "bold"), f": {origin}; {info['dtype']}; {batch}")
    softmax = f" then {info['output_activation']}" if info["output_activation"] else ""
    outputs = f"{info['output_size']} value{'s' if info['output_size'] != 1 else ''}"
    app.terminal.info(f"input '{info['input_name']}' {info['input_shape']} ({info['input_size']} values) → "
                      f"output '{info['output_name']}' ({outputs}{softmax})")
    if info["graph"]:
        app.terminal.table(_graph_table(info))
    else:
        app.terminal.table(_layer_table(info))
        held = [norm for norm in ("l1", "l2") if info["nn2poly_constraint"][norm]]
        app.terminal.info("nn2poly constraint (norm ≤ 1 in every layer but the last): "
                          + (f"holds for {' and '.join(held)}" if held else "does not hold"))
    if report.check:
        check = report.check
        line = (f"check: onnxruntime vs polyx on {check.samples} random inputs (seed {check.seed}): "
                f"max |diff| {check.max_abs_diff:.2e}, scaled {check.max_scaled_diff:.2e} "
                f"{'≤' if check.passed else '>'} tolerance {check.tolerance:g}")
        if check.passed:
            app.terminal.success(line)
        else:
            app.terminal.styled((line, "bold red"))


@click.command("inspect")
@click.argument("model", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout (nothing else).")
@click.option("--check", is_flag=True, help="Compare the IR with onnxruntime on random inputs; exit 1 above tolerance.")
@click.option("--samples", type=SAMPLES, default=1000, show_default=True, help="Random inputs for --check.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the --check inputs.")
@click.option("--tolerance", type=FiniteFloat(min=0), help="Largest allowed difference, relative to max(1, |y|) "
              "[default: 1e-5 for float32 models, 1e-10 for float64].")
@click.option("--model-output", metavar="NAME", help="The ONNX output to read when the model has several "
              "[default: the only float output, e.g. a classifier's probabilities].")
@click.pass_obj
def inspect(app: App, model: Path, as_json: bool, check: bool, samples: int, seed: int, tolerance: float | None,
            model_output: str | None) -> None:
    """Show the layers polyx reads from MODEL (ONNX, weight-list JSON or .npz)."""
    from polyx.converters.summary import inspect_model

    report = inspect_model(model, check=check, samples=samples, seed=seed, tolerance=tolerance,
                           model_output=model_output)
    if as_json:
        app.terminal.json(report.to_dict())
    else:
        _render(app, report)
    if report.check and not report.check.passed:
        raise click.exceptions.Exit(EXIT_CHECK_FAILED)
