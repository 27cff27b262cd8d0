"""``polyx plot SOURCE --kind K``: a polynomial's terms, its fit to the network, the Taylor regions, images."""

from __future__ import annotations

from pathlib import Path

import click

from polyx.cli.app import App

__all__ = ["plot"]


def _names(text: str | None) -> list[str] | None:
    return [name.strip() for name in text.split(",") if name.strip()] if text else None


@click.command("plot")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--kind", "-k", type=click.Choice(["coefficients", "diagonal", "potentials", "heatmap"]), required=True,
              help="coefficients/diagonal/heatmap: SOURCE is a polynomial; potentials: SOURCE is the model.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Image file: .png, .svg or .pdf [default: SOURCE.KIND.png here].")
@click.option("-n", "--top", type=click.IntRange(min=1), default=10, show_default=True, help="[coefficients] Terms per output.")
@click.option("--data", type=click.Path(path_type=Path), help="[diagonal, potentials] CSV rows to run.")
@click.option("--model", type=click.Path(path_type=Path), help="[diagonal] ONNX model [default: the polynomial's source].")
@click.option("--taylor-orders", default="8", show_default=True, help="[potentials] One Taylor order, or one per layer (8,8,1).")
@click.option("--taylor-center", type=float, default=0.0, show_default=True, help="[potentials] Taylor centre.")
@click.option("--shape", help="[heatmap] Image shape HxW, e.g. 28x28 [default: the model's input shape].")
@click.option("--outputs", help="Only these outputs, comma-separated.")
@click.option("--columns", help="Input columns of the CSV, in model order.")
@click.option("--exclude", multiple=True, help="CSV columns that are not inputs (repeatable).")
@click.option("--max-rows", type=click.IntRange(min=1), default=10_000, show_default=True, help="Rows of --data to draw.")
@click.pass_obj
def plot(app: App, source: Path, kind: str, output: Path | None, taylor_orders: str, shape: str | None,
         outputs: str | None, columns: str | None, exclude: tuple[str, ...], **options: object) -> None:
    """Draw SOURCE (a polynomial, or a model for --kind potentials) as an image."""
    from rich.markup import escape

    from polyx.conversion import parse_numbers
    from polyx.plots import PlotRequest, default_plot_path, parse_shape, plot as draw

    orders = [int(v) for v in parse_numbers(taylor_orders, "--taylor-orders")]
    request = PlotRequest(kind=kind, source=source, output=output or default_plot_path(source, kind),
                          taylor_orders=orders if "," in taylor_orders else orders[0],
                          shape=parse_shape(shape) if shape else None, outputs=_names(outputs), columns=_names(columns),
                          exclude=tuple(name for item in exclude for name in _names(item) or ()), **options)  # type: ignore[arg-type]
    app.terminal.success(escape(f"wrote {draw(request)}"))
