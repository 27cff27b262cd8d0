"""``polyx plot SOURCE --kind K``: a polynomial's terms, its fit to the network, the Taylor regions, images."""

from __future__ import annotations

from pathlib import Path

import click

from polyx.cli.app import App
from polyx.cli.options import (
    COORDINATE, MAX_COORDINATE, ROWS, TOP, FiniteFloat, LibraryChoice, TaylorOrders, column_options, comma_list,
)

__all__ = ["plot"]


def _kinds() -> tuple[str, ...]:
    from polyx.plots import KINDS

    return KINDS


@click.command("plot")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--kind", "-k", type=LibraryChoice(_kinds), required=True,
              help="coefficients/diagonal/heatmap/eig: SOURCE is a polynomial; potentials: SOURCE is the model.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Image file: .png, .svg or .pdf [default: SOURCE.KIND.png here].")
@click.option("-n", "--top", type=TOP, default=10, show_default=True, help="[coefficients] Terms per output; [eig] eigenvectors per output.")
@click.option("--data", type=click.Path(path_type=Path), help="[diagonal, potentials] CSV rows to run; [importance] the inputs' distribution.")
@click.option("--model", type=click.Path(path_type=Path), help="[diagonal] ONNX model [default: the polynomial's source].")
@click.option("--taylor-orders", type=TaylorOrders(), default="8", show_default=True, help="[potentials] One Taylor order, or one per layer (8,8,1).")
@click.option("--taylor-center", type=COORDINATE, default=0.0, show_default=True, help="[potentials] Taylor centre.")
@click.option("--shape", help="[heatmap, eig] Image shape HxW, e.g. 28x28 [default: the model's input shape].")
@click.option("--outputs", help="Only these outputs, comma-separated.")
@click.option("--axes", help="[local] One or two inputs to vary through the expansion point, e.g. x1,x3 [default: the first two].")
@click.option("--span", type=FiniteFloat(0, MAX_COORDINATE, min_open=True), help="[local] Half-width of the plotted range [default: 3 × the validity radius, else 1].")
@column_options
@click.option("--max-rows", type=ROWS, default=10_000, show_default=True, help="Rows of --data to draw.")
@click.pass_obj
def plot(app: App, source: Path, kind: str, output: Path | None, taylor_orders: int | list[int], shape: str | None,
         outputs: str | None, axes: str | None, columns: str | None, exclude: tuple[str, ...], **options: object) -> None:
    """Draw SOURCE (a polynomial, or a model for --kind potentials) as an image."""
    from polyx.cli.render import render_matched_by_position
    from polyx.files import reaches_stdout

    if reaches_stdout(output):
        app.terminal.results_to_stderr()
    from polyx.plots import PlotRequest, default_plot_path, parse_shape, plot as draw

    request = PlotRequest(kind=kind, source=source, output=output or default_plot_path(source, kind),
                          taylor_orders=taylor_orders,
                          shape=parse_shape(shape) if shape else None, outputs=comma_list(outputs) or None,
                          axes=comma_list(axes) or None,
                          columns=comma_list(columns) or None, exclude=tuple(comma_list(exclude)), **options)  # type: ignore[arg-type]
    result = draw(request)
    render_matched_by_position(app.terminal, request.data, result.matched_by_position)
    app.terminal.success(f"wrote {result.path}")
