"""``polyx export POLY.json``: the polynomial as an ONNX model that replaces its network (the default), or as
dependency-free source code (``--to c|javascript|python|sql|excel``)."""

from __future__ import annotations

from pathlib import Path

import click

from polyx.cli.app import App

__all__ = ["export"]


@click.command("export")
@click.argument("poly", type=click.Path(path_type=Path))
@click.option("--to", "target", type=click.Choice(["onnx", "c", "javascript", "python", "sql", "excel"]),
              default="onnx", show_default=True,
              help="What to write: an ONNX model, or float64 source code in Horner form for C, JavaScript, Python, "
                   "SQL or Excel formulas.")
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="File to write ('-': standard output) [default: POLY with .json replaced by .onnx, .c, .js, .py, "
                   ".sql or .excel.txt, here].")
@click.option("--dtype", type=click.Choice(["float32", "float64"]), default=None,
              help="ONNX only: element type of the input, the output and the computation [default: float32].")
@click.option("--logits", is_flag=True, help="Softmax networks: output the logits instead of re-applying the softmax.")
@click.pass_obj
def export(app: App, poly: Path, target: str, output: Path | None, dtype: str | None, logits: bool) -> None:
    """Write POLY as an ONNX model with the original network's input and output names, or as source code."""
    from polyx.expansion.writers.onnx_export import default_export_path, export_polynomial
    from polyx.files import reaches_stdout

    if reaches_stdout(output):
        app.terminal.results_to_stderr()
    if target != "onnx":
        if dtype is not None:
            raise click.UsageError(f"--dtype is for --to onnx; the {target} code always computes in float64")
        _export_source(app, poly, target, output, logits)
        return

    result = export_polynomial(poly, output or default_export_path(poly), dtype=dtype or "float32", logits=logits)
    def dims(shape: tuple[int, ...]) -> str:
        return "[" + ", ".join(["batch", *map(str, shape)]) + "]"

    app.terminal.info(f"input '{result.input_name}' {dims(result.input_shape)} {result.dtype} → output '{result.output_name}' "
                      f"{dims(result.output_shape)} ({result.output_space}); {result.terms} terms in {result.nodes} ONNX nodes")
    app.terminal.success(f"wrote {result.path}")


def _export_source(app: App, poly: Path, target: str, output: Path | None, logits: bool) -> None:
    from polyx.expansion.writers.codegen.export import default_source_path, export_source

    result = export_source(poly, output or default_source_path(poly, target), target, logits)
    app.terminal.info(f"{target}: {result.terms} terms in Horner form, float64, outputs are {result.output_space}; "
                      f"{result.lines} lines")
    app.terminal.success(f"wrote {result.path}")
