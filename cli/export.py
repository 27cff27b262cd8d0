"""``polyx export POLY.json -o poly.onnx``: the polynomial as an ONNX model that replaces its network."""

from __future__ import annotations

from pathlib import Path

import click

from polyx.cli.app import App

__all__ = ["export"]


@click.command("export")
@click.argument("poly", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="ONNX file to write [default: POLY with .onnx for .json, here].")
@click.option("--dtype", type=click.Choice(["float32", "float64"]), default="float32", show_default=True,
              help="Element type of the input, the output and the computation.")
@click.option("--logits", is_flag=True, help="Softmax networks: output the logits instead of re-applying the softmax.")
@click.pass_obj
def export(app: App, poly: Path, output: Path | None, dtype: str, logits: bool) -> None:
    """Write POLY as an ONNX model with the original network's input and output names."""
    from polyx.expansion.onnx_export import default_export_path, export_polynomial
    from polyx.files import reaches_stdout

    if reaches_stdout(output):
        app.terminal.results_to_stderr()

    result = export_polynomial(poly, output or default_export_path(poly), dtype=dtype, logits=logits)
    def dims(shape: tuple[int, ...]) -> str:
        return "[" + ", ".join(["batch", *map(str, shape)]) + "]"

    app.terminal.info(f"input '{result.input_name}' {dims(result.input_shape)} {result.dtype} → output '{result.output_name}' "
                      f"{dims(result.output_shape)} ({result.output_space}); {result.terms} terms in {result.nodes} ONNX nodes")
    app.terminal.success(f"wrote {result.path}")
