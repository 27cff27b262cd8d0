"""``polyx predict POLY.json DATA.csv``: the polynomial's outputs (and term contributions) per row."""

from __future__ import annotations

from pathlib import Path

import click

from polyx.cli.app import App
from polyx.cli.options import column_options, comma_list, engine_options
from polyx.cli.progress import progress_bar

__all__ = ["predict"]


@click.command("predict")
@click.argument("poly", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write here (atomically): .parquet/.pq Parquet, .arrow/.feather Arrow, else CSV; "
                   "a new folder with --engine dask [default: CSV on stdout].")
@click.option("--contributions", is_flag=True, help="Also write each term's contribution: one column per output and term.")
@click.option("--layer", help="Evaluate hidden layer NAME (layer1, …) from a convert --keep-layers file instead of the output.")
@click.option("--shap", is_flag=True, help="Also write each row's exact Shapley values (output:shap:variable) and base value.")
@click.option("--background", type=click.Path(path_type=Path), help="[shap] Rows whose distribution fills in absent inputs [default: DATA].")
@click.option("--input-model", type=click.Choice(["empirical", "independent", "gaussian"]), default="empirical",
              show_default=True, help="[shap] The background's rows, its marginals taken independent, or Gaussians.")
@column_options
@click.option("--target", help="A truth column to leave out of the inputs.")
@click.option("--skip-invalid", is_flag=True, help="Drop rows with NaN/Inf inputs instead of failing (the output then has fewer rows).")
@engine_options
@click.pass_obj
def predict(app: App, poly: Path, data: Path, output: Path | None, contributions: bool, layer: str | None, shap: bool,
            background: Path | None, input_model: str, columns: str | None,
            exclude: tuple[str, ...], target: str | None, skip_invalid: bool, engine: str, scheduler: str | None) -> None:
    """Evaluate the polynomial POLY on every row of DATA (CSV, Parquet, Arrow) and write the outputs."""
    from polyx.cli.render import render_matched_by_position
    from polyx.files import is_stdout, reaches_stdout
    from polyx.prediction import predict as run

    if is_stdout(output):
        output = None
    elif reaches_stdout(output):
        app.terminal.results_to_stderr()
    with progress_bar(app.terminal, "predicting", enabled=output is not None) as progress:
        prediction = run(poly, data, output if output is not None else app.terminal.stream, contributions=contributions,
                         columns=comma_list(columns), exclude=comma_list(exclude), target=target,
                         skip_invalid=skip_invalid, progress=progress, engine=engine, scheduler=scheduler,
                         shap=shap, background=background, input_model=input_model, layer=layer)
    render_matched_by_position(app.terminal, data, prediction.matched_by_position)
    result = prediction.result
    if result.invalid_rows:
        app.terminal.warning(f"{data}: skipped {result.invalid_rows} rows with NaN/Inf inputs; the output has {result.rows} rows")
    if output is not None:
        app.terminal.success(f"wrote {output}: {result.rows} rows × {result.columns} columns")
