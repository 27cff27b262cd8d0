"""``polyx trace CKPT…``: R² of the least-squares polynomial of each degree across training checkpoints."""

from __future__ import annotations

from pathlib import Path

import click

from polyx.cli.app import App
from polyx.cli.options import MAX_ORDER, SAMPLES, SEED, column_options, comma_list

__all__ = ["trace"]


@click.command("trace")
@click.argument("checkpoints", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--order", "-q", type=click.IntRange(1, MAX_ORDER), default=2, show_default=True, help="Report degrees 1 … n.")
@click.option("--gaussian", type=click.Path(path_type=Path), help="Input model {'mean': [...], 'cov': [[...]]} [default: N(0, I)].")
@click.option("--data", type=click.Path(path_type=Path), help="Fit the Gaussian input model to these rows (CSV, Parquet).")
@column_options
@click.option("--sort", is_flag=True, help="Order checkpoints by the last number in their file names.")
@click.option("--samples", type=SAMPLES, help="Gaussian draws for the Monte-Carlo fit where there is no closed form.")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed of the Monte-Carlo fit.")
@click.option("--json", "as_json", is_flag=True, help="Print the rows as JSON.")
@click.option("--plot", type=click.Path(path_type=Path), help="Also draw R² against checkpoint (.png, .svg, .pdf).")
@click.pass_obj
def trace(app: App, checkpoints: tuple[Path, ...], as_json: bool, **options: object) -> None:
    """R² of the degree-1 … n least-squares polynomial of each checkpoint (analytic or Monte-Carlo)."""
    from polyx.cli.terminal import PlainTable
    from polyx.trace import TraceRequest, trace as run, trace_json

    options["columns"] = comma_list(options["columns"]) or None  # type: ignore[arg-type]
    options["exclude"] = tuple(comma_list(options["exclude"]))  # type: ignore[arg-type]
    result = run(TraceRequest(checkpoints=checkpoints, **options))  # type: ignore[arg-type]
    if as_json:
        app.terminal.write(trace_json(result))
        return
    table = PlainTable(title=f"R² of the least-squares polynomial, inputs {result.input_model}")
    for header in ("checkpoint", "output", *(f"degree {d}" for d in range(1, result.order + 1)), "R² by"):
        table.add_column(header, justify="left" if header in ("checkpoint", "output", "R² by") else "right")
    for name in result.checkpoints:
        for output in result.outputs:
            rows = [r for r in result.rows if r.checkpoint == name and r.output == output]
            kinds = sorted({r.kind for r in rows})
            table.add_row(name, output, *("-" if r.r2 is None else f"{r.r2:.4f}" for r in rows), ", ".join(kinds))
    app.terminal.table(table)
    for path in result.written:
        app.terminal.success(f"wrote {path}")
