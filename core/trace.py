"""``polyx trace``: how much of each checkpoint's function a polynomial of degree 1 … n explains.

Belrose & Rigg follow R² of the least-squares polynomial across training: networks start nearly
linear and grow more complex, yet a quadratic still explains most of the variance at the end.
This module runs polyx's least-squares method (``lsq``) on every checkpoint and degree under one
Gaussian input model (``--gaussian`` or fitted to ``--data``; N(0, I) when neither is given) and
collects the R² per output. Where the network has a closed form the R² is analytic; elsewhere it
is the Monte-Carlo fit's held-out R², and each row says which.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from polyx.errors import DataError

__all__ = ["TraceRequest", "TraceRow", "Trace", "trace", "sort_by_number", "trace_figure", "R2_KINDS"]

R2_KINDS = {"analytic": "analytic", "held-out": "Monte-Carlo"}
"""How each R² was obtained, by the ``r2_kind`` the lsq method records, as the table labels it."""


@dataclass(frozen=True)
class TraceRequest:
    """What ``polyx trace`` was asked (paths not opened yet)."""

    checkpoints: Sequence[Path]
    order: int = 2
    gaussian: Path | None = None
    data: Path | None = None
    columns: Sequence[str] | None = None
    exclude: Sequence[str] = ()
    sort: bool = False
    samples: int | None = None
    seed: int = 0
    plot: Path | None = None


@dataclass(frozen=True)
class TraceRow:
    """One checkpoint, one degree, one output: its R² and how it was obtained."""

    checkpoint: str
    degree: int
    output: str
    r2: float | None
    kind: str


@dataclass
class Trace:
    """Every row, in checkpoint then degree then output order, and the files written."""

    rows: list[TraceRow]
    checkpoints: list[str]
    outputs: list[str]
    order: int
    input_model: str
    written: list[Path] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON: one record per row, the setting beside them."""
        return {"order": self.order, "input_model": self.input_model, "checkpoints": self.checkpoints,
                "rows": [row.__dict__ for row in self.rows]}


def sort_by_number(paths: Sequence[Path]) -> list[Path]:
    """Checkpoints ordered by the last number in each file name (``step_10`` after ``step_9``).

    A name without a number cannot be placed, so it is refused rather than guessed."""
    keyed = []
    for path in paths:
        numbers = re.findall(r"\d+(?:\.\d+)?", Path(path).stem)
        if not numbers:
            raise DataError(f"{path}: `sort` orders checkpoints by a number in the file name and this one has none; "
                            "rename it (e.g. step_100.onnx) or drop `sort` and give them in order")
        keyed.append((float(numbers[-1]), str(path), Path(path)))
    return [path for _, _, path in sorted(keyed)]


def _input_parameters(request: TraceRequest, network: Any) -> dict[str, Any]:
    """lsq's input model: the Gaussian file, or the data rows matched to this checkpoint's inputs."""
    from polyx.conversion import read_gaussian
    from polyx.tabular import read_table

    if request.gaussian is not None:
        mean, cov = read_gaussian(request.gaussian)
        return {"mean": mean, "cov": cov, "input_source": str(request.gaussian)}
    if request.data is not None:
        inputs, _, names = read_table(request.data, expected_inputs=network.input_size, columns=request.columns,
                                      exclude=request.exclude, variable_names=network.variable_names)
        return {"data": inputs, "input_source": str(request.data), "input_names": names}
    return {}


def _checkpoint_rows(path: Path, request: TraceRequest) -> tuple[list[TraceRow], list[str]]:
    from polyx.converters.load import load_network
    from polyx.errors import MethodError
    from polyx.expansion.methods.expand import expand
    from polyx.expansion.methods.records import diagnostics_of

    network = load_network(path)
    parameters = _input_parameters(request, network)
    rows = []
    for degree in range(1, request.order + 1):
        try:
            with np.errstate(all="ignore"):
                polynomial = expand(network, "lsq", degree, samples=request.samples, seed=request.seed, **parameters)
        except MethodError as error:
            raise MethodError(f"{path}: {error}") from None
        diagnostics = diagnostics_of(polynomial)
        kind = R2_KINDS.get(diagnostics.r2_kind, str(diagnostics.r2_kind))
        for output, r2 in zip(polynomial.outputs, diagnostics.r2 or []):
            rows.append(TraceRow(str(path), degree, output, None if r2 is None else float(r2), kind))
    return rows, list(network.output_names)


def trace(request: TraceRequest) -> Trace:
    """R² of the least-squares polynomial of each degree 1 … order for every checkpoint, and the plot if asked.

    All paths are checked before the first checkpoint is loaded; the plot is written atomically
    after every checkpoint has been expanded, so a failure leaves no file behind."""
    from polyx.paths import check_paths

    if not request.checkpoints:
        raise DataError("give at least one checkpoint, e.g. polyx trace step_1.onnx step_2.onnx")
    if request.order < 1:
        raise DataError(f"`order` {request.order}: trace reports degrees 1 … n, so give n ≥ 1")
    if request.gaussian is not None and request.data is not None:
        raise DataError("`gaussian` and `data` both give the input model; use only one of them")
    inputs = {f"checkpoint {i + 1}": path for i, path in enumerate(request.checkpoints)}
    inputs.update({"`gaussian`": request.gaussian, "`data`": request.data})
    check_paths({"`plot`": request.plot}, inputs, folders=("`data`",))
    if request.plot is not None:
        _plot_format(request.plot)
        from polyx.plots import _require_matplotlib

        _require_matplotlib()
    paths = sort_by_number(request.checkpoints) if request.sort else list(request.checkpoints)
    rows: list[TraceRow] = []
    outputs: list[str] = []
    for path in paths:
        checkpoint_rows, names = _checkpoint_rows(path, request)
        if outputs and names != outputs:
            raise DataError(f"{path}: its outputs ({', '.join(names)}) differ from the first checkpoint's "
                            f"({', '.join(outputs)}); trace compares checkpoints of one model")
        outputs = names
        rows += checkpoint_rows
    model = ("gaussian " + str(request.gaussian)) if request.gaussian else \
        ("gaussian fitted to " + str(request.data)) if request.data else "N(0, I)"
    result = Trace(rows, [str(p) for p in paths], outputs, request.order, model)
    if request.plot is not None:
        from polyx.files import write_atomic
        from polyx.plots import figure_to_bytes

        result.written.append(write_atomic(request.plot, figure_to_bytes(trace_figure(result), _plot_format(request.plot))))
    return result


def _plot_format(path: Path) -> str:
    from polyx.plots import FORMATS

    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise DataError(f"`plot` {path}: give a file ending in {', '.join(FORMATS)}")
    return fmt


def trace_figure(result: Trace) -> "Any":
    """One panel per output: R² against checkpoint, one line per degree (Belrose & Rigg's figure)."""
    from polyx.figures import new_figure

    figure, axes = new_figure(len(result.outputs), 4.5, 3.2)
    labels = [Path(name).stem for name in result.checkpoints]
    for ax, output in zip(axes, result.outputs):
        for degree in range(1, result.order + 1):
            values = [next((r.r2 for r in result.rows if r.checkpoint == name and r.degree == degree and r.output == output),
                           None) for name in result.checkpoints]
            ax.plot(range(len(labels)), [np.nan if v is None else v for v in values], marker="o", label=f"degree {degree}")
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=7)
        ax.set_ylabel("R²")
        ax.set_title(f"{output}: R² of the least-squares polynomial", fontsize=9)
        ax.legend(fontsize=7)
    return figure


def trace_json(result: Trace) -> str:
    """The trace as JSON text (for ``--json``)."""
    return json.dumps(result.to_json(), indent=2, allow_nan=False) + "\n"
