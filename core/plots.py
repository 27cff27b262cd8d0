"""``polyx plot``: the four pictures that make a polynomial (and its network) readable at a glance.

- ``coefficients``: the n largest terms of each output by |coefficient|, coloured by sign
  (nn2poly's ``plot``);
- ``diagonal``: the network (its ONNX file under onnxruntime) against the polynomial on data,
  with the identity line (nn2poly's ``plot_diagonal``); the same spaces ``polyx verify`` compares;
- ``potentials``: per layer, the activation, its Taylor polynomial of order q at the centre, the
  error between them, and the distribution of the pre-activations on data (nn2poly's
  ``plot_taylor_and_activation_potentials``): where the data leaves the region the Taylor
  polynomial tracks, a global expansion cannot be trusted;
- ``heatmap``: per order k, the coefficients of the pure powers x_i^k as an image of the input
  (HOPE's feature-selection figure).

Figures are built on a bare ``matplotlib.figure.Figure`` with the Agg canvas: no pyplot, no
global backend state, nothing shown on screen. They are rendered to bytes and written atomically.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from polyx.errors import DataError, MethodError, PolyxError
from polyx.figures import DPI, new_figure
from polyx.files import default_output_name
from polyx.paths import check_paths
from polyx.tabular import DataTable, open_table

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from polyx.converters.ir.chain import Activation
    from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = [
    "KINDS",
    "FORMATS",
    "PlotRequest",
    "PlotResult",
    "MissingPlotDependencyError",
    "plot",
    "plot_figure",
    "coefficients_figure",
    "diagonal_figure",
    "potentials_figure",
    "heatmap_figure",
    "pure_power_images",
    "figure_to_bytes",
    "parse_shape",
    "default_plot_path",
]

KINDS = ("coefficients", "diagonal", "potentials", "heatmap", "eig", "importance", "local")
FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
POSITIVE, NEGATIVE = "#00BA38", "#F8766D"
TAYLOR_INTERVAL = 1.5


class MissingPlotDependencyError(PolyxError):
    """matplotlib, an optional dependency, is not installed."""


@dataclass(frozen=True)
class PlotRequest:
    """What ``polyx plot`` was asked: the kind, its input file and the options that kind reads."""

    kind: str
    source: Path
    output: Path
    data: Path | None = None
    model: Path | None = None
    top: int = 10
    taylor_orders: int | Sequence[int] = 8
    taylor_center: float = 0.0
    shape: tuple[int, ...] | None = None
    outputs: Sequence[str] | None = None
    columns: Sequence[str] | None = None
    exclude: Sequence[str] = ()
    max_rows: int = 10_000
    axes: Sequence[str] | None = None
    span: float | None = None


def parse_shape(text: str) -> tuple[int, ...]:
    """'28x28' → (28, 28): the image shape of ``--shape``."""
    parts = text.lower().replace("×", "x").split("x")
    if not all(part.strip().isdigit() and int(part) > 0 for part in parts):
        raise DataError(f"`shape` '{text}' must be positive whole numbers joined by x, e.g. 28x28")
    return tuple(int(part) for part in parts)


def default_plot_path(source: Path, kind: str) -> Path:
    """``model.poly.json`` → ``model.coefficients.png`` in the current directory."""
    return default_output_name(source, (".poly.json", ".json", ".onnx", ".npz"), f".{kind}.png")


def _require_matplotlib() -> None:
    """Fail before any work when the optional dependency is missing, saying how to install it."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingPlotDependencyError('matplotlib is not installed; install it with: pip install "polyx[plot]"') from None


def figure_to_bytes(figure: "Figure", fmt: str) -> bytes:
    """The rendered file (png, svg or pdf), so it can be written atomically in one piece."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=DPI)
    return buffer.getvalue()


def _selected_outputs(names: Sequence[str], wanted: Sequence[str] | None) -> list[int]:
    if not wanted:
        return list(range(len(names)))
    missing = [name for name in wanted if name not in names]
    if missing:
        raise DataError(f"`outputs` {','.join(missing)}: no such output; the polynomial's outputs are {', '.join(names)}")
    return [list(names).index(name) for name in wanted]


def coefficients_figure(poly: "Polynomial", top: int = 10, outputs: Sequence[str] | None = None) -> "Figure":
    """The ``top`` largest terms of each output, bar length |coefficient|, colour the sign."""
    if top < 1:
        raise DataError(f"`top` must be at least 1, got {top}")
    from matplotlib.patches import Patch

    chosen = _selected_outputs(poly.outputs, outputs)
    shown = min(top, poly.n_terms)
    figure, axes = new_figure(len(chosen), 4.4, 0.32 * shown + 1.4)
    names = poly.term_names()
    for ax, output in zip(axes, chosen):
        terms = poly.top_terms(shown, output)
        values = poly.coefficients[output, terms]
        ax.barh(np.arange(terms.size), np.abs(values), color=[POSITIVE if v >= 0 else NEGATIVE for v in values],
                edgecolor="black", linewidth=0.5)
        ax.set_yticks(np.arange(terms.size), [names[t] for t in terms])
        ax.invert_yaxis()
        ax.set_xlabel("|coefficient|")
        ax.set_title(poly.outputs[output])
        ax.grid(axis="x", alpha=0.3)
    axes[0].legend(handles=[Patch(color=POSITIVE, label="+"), Patch(color=NEGATIVE, label="−")], title="sign",
                   loc="lower right")
    from polyx.expansion.methods.records import method_record

    figure.suptitle(f"{method_record(poly).name or 'polynomial'}: the {shown} largest terms by |coefficient|")
    return figure


def _first_rows(table: DataTable, limit: int) -> np.ndarray:
    """Up to ``limit`` valid rows from the top of the file: a picture needs a sample, not the whole file."""
    if limit < 1:
        raise DataError(f"`max_rows` must be at least 1, got {limit}")
    parts, count = [], 0
    for inputs, _ in table.chunks():
        parts.append(inputs[: limit - count])
        count += parts[-1].shape[0]
        if count >= limit:
            break
    return np.concatenate(parts)


def _diagonal_values(request: PlotRequest, poly: "Polynomial") -> tuple[np.ndarray, np.ndarray, str, DataTable, int]:
    """(network, polynomial) values on the first rows of the data, in the space ``polyx verify`` gates."""
    from polyx.reference import ReferenceNetwork
    from polyx.verification import comparison_plan, resolve_model, values_in_space

    if request.data is None:
        raise DataError("`kind` diagonal needs `data` DATA.csv: the rows to run the network and the polynomial on")
    model, _ = resolve_model(poly.provenance, request.source, request.model)
    check_paths({"`output`": request.output}, {"model": model})
    network = ReferenceNetwork(model, poly.provenance.get("output_name"))
    table = open_table(request.data, expected_inputs=network.input_size, columns=request.columns,
                       exclude=request.exclude, variable_names=list(poly.variables))
    x = _first_rows(table, request.max_rows)
    plan = comparison_plan(network, poly, None, False)
    net = network.values(x, plan)
    with np.errstate(over="ignore", invalid="ignore"):
        polynomial, reference = values_in_space(plan.compared, plan, poly.evaluate(x), net)
    return reference, polynomial, plan.compared, table, x.shape[0]


def diagonal_figure(request: PlotRequest, poly: "Polynomial") -> "Figure":
    """Network against polynomial, one panel per output, with the identity line and R²."""
    return _diagonal(request, poly)[0]


def _diagonal(request: PlotRequest, poly: "Polynomial") -> tuple["Figure", DataTable]:
    """The diagonal figure and the table its rows came from (whose columns may have been matched by position)."""
    from polyx.metrics import ErrorAccumulator

    network, polynomial, space, table, rows = _diagonal_values(request, poly)
    chosen = _selected_outputs(poly.outputs, request.outputs)
    metrics = ErrorAccumulator(list(poly.outputs))
    metrics.add(polynomial, network, np.arange(2, rows + 2))
    results = metrics.result()
    figure, axes = new_figure(len(chosen), 4.4, 4.0)
    for ax, output in zip(axes, chosen):
        net, pol = network[:, output], polynomial[:, output]
        ax.scatter(net, pol, s=6, alpha=0.5, color="#1f77b4", edgecolors="none")
        finite = np.isfinite(pol)
        low = min(net.min(), pol[finite].min(initial=net.min()))
        high = max(net.max(), pol[finite].max(initial=net.max()))
        ax.plot([low, high], [low, high], color="black", linewidth=1, linestyle="--", label="identity")
        r2, worst = results[output].r2, results[output].max_abs
        ax.set_title(f"{poly.outputs[output]}: R² {_short(r2)}, max |Δ| {_short(worst)}")
        ax.set_xlabel(f"network ({space}, onnxruntime)")
        ax.set_ylabel(f"polynomial ({space})")
        ax.grid(alpha=0.3)
    axes[0].legend(loc="upper left")
    figure.suptitle(f"network against polynomial, {rows} rows of {request.data.name if request.data else ''}", fontsize=10)
    return figure, table


def _short(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"


def _taylor_curve(spec: "Activation", center: float, order: int, u: np.ndarray) -> np.ndarray | None:
    """The activation's Taylor polynomial of ``order`` at ``center`` on u; None at a kink."""
    from polyx.expansion.activations.registry import non_analytic_points, taylor_coefficients

    if non_analytic_points(spec, np.array([center])).any():
        return None
    coefficients = taylor_coefficients(spec, np.array([center]), order)[0]
    return np.polynomial.polynomial.polyval(u - center, coefficients)


def potentials_figure(request: PlotRequest) -> "Figure":
    """Per layer: activation, Taylor polynomial, their error, the 1% interval, and the pre-activations behind.

    The interval and the share of pre-activations outside it are ``polyx convert --data``'s
    diagnostics (``polyx.expansion.diagnostics.taylor_diagnostics``), so picture and report agree.
    """
    from matplotlib.patches import Patch

    from polyx.converters.load import load_network
    from polyx.expansion.methods.activation_fit import preactivation_chunks
    from polyx.expansion.methods.global_taylor import effective_taylor_orders
    from polyx.expansion.diagnostics.taylor_diagnostics import layer_report

    if request.data is None:
        raise DataError("`kind` potentials needs `data` DATA.csv: the rows whose pre-activations are shown")
    network = load_network(request.source)
    if not hasattr(network, "layers"):
        raise MethodError(f"{request.source}: the potentials picture draws each layer of a dense chain, and this "
                          "model is a computation graph; draw its polynomial instead (coefficients, diagonal, heatmap)")
    orders = effective_taylor_orders(network, request.taylor_orders)
    table = open_table(request.data, expected_inputs=network.input_size, columns=request.columns,
                       exclude=request.exclude, variable_names=list(network.variable_names))
    x = _first_rows(table, request.max_rows)
    center = float(request.taylor_center)
    chunks = list(preactivation_chunks(network, x))
    preactivations = [np.concatenate([chunk[i] for chunk in chunks]) for i in range(len(network.layers))]
    reports = {row["layer"] - 1: row for row in layer_report(network, x, orders, center)}
    figure, axes = new_figure(len(network.layers), 4.6, 3.6)
    for index, (ax, u) in enumerate(zip(axes, preactivations)):
        _draw_layer(ax, network.layers[index].activation, u, center, orders[index], reports.get(index))
        ax.set_title(_potentials_title(index, network.layers[index].activation, reports.get(index)))
    handles, _ = axes[0].get_legend_handles_labels()
    handles.append(Patch(color="#9ee09e", label="pre-activations on the data"))
    figure.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 5), fontsize=9)
    figure.suptitle(f"{request.source.name}: activations, their Taylor polynomials and {x.shape[0]} rows of "
                    f"{request.data.name}", fontsize=10)
    return figure


def _draw_layer(ax: "Axes", spec: "Activation", u: np.ndarray, center: float, order: int, report: dict | None) -> None:
    from polyx.expansion.activations.registry import activation_function, activation_value

    low = min(center - TAYLOR_INTERVAL, float(u.min()))
    high = max(center + TAYLOR_INTERVAL, float(u.max()))
    grid = np.linspace(low, high, 600)
    exact = activation_value(spec, grid)
    density = ax.twinx()
    density.hist(u.ravel(), bins=60, range=(low, high), density=True, color="#9ee09e", alpha=0.6)
    density.set_yticks([])
    ax.set_zorder(density.get_zorder() + 1)
    ax.patch.set_visible(False)
    interval = report.get("taylor_interval") if report else None
    if interval is not None:
        ax.axvspan(max(interval[0], low), min(interval[1], high), color="#fff2b3", alpha=0.5, zorder=0,
                   label="Taylor within 1%")
    ax.plot(grid, exact, color="black", linewidth=1.5, label="activation")
    taylor = _taylor_curve(spec, center, order, grid) if not activation_function(spec).identity else None
    if taylor is not None:
        ax.plot(grid, taylor, color="#d62728", linewidth=1.2, label=f"Taylor polynomial at {center:g}")
        ax.plot(grid, np.abs(taylor - exact), color="#1f77b4", linewidth=1, label="|error|")
    span = float(exact.max() - exact.min()) or 1.0
    ax.set_ylim(exact.min() - 0.35 * span, exact.max() + 0.35 * span)
    ax.axhline(0, color="grey", linewidth=0.6, linestyle="--")
    ax.set_xlabel("pre-activation")
    ax.grid(alpha=0.3)


def _potentials_title(index: int, spec: "Activation", report: dict | None) -> str:
    name = f"layer {index + 1}: {spec}"
    if report is None:
        return f"{name} (exact)"
    if report["taylor_interval"] is None:
        return f"{name}: no Taylor series at the centre"
    return f"{name}, order {report['taylor_order']}: {report['taylor_outside']:.1%} outside"


def _image_shape(poly: "Polynomial", shape: tuple[int, ...] | None, kind: str = "heatmap") -> tuple[int, int]:
    """The 2-D picture of the inputs: ``--shape``, else the model's input shape without unit axes."""
    dims = shape or tuple(d for d in (poly.provenance.get("input_shape") or []) if isinstance(d, int) and d != 1)
    if not dims:
        raise DataError(f"`kind` {kind} needs `shape` HxW (e.g. 28x28): the polynomial does not record its input shape")
    if int(np.prod(dims)) != len(poly.variables):
        raise DataError(
            f"`shape` {'x'.join(map(str, dims))} holds {int(np.prod(dims))} values but the polynomial has "
            f"{len(poly.variables)} variables; give a shape whose product is {len(poly.variables)}"
        )
    squeezed = tuple(d for d in dims if d != 1) or (1,)
    if len(squeezed) > 2:
        raise DataError(f"`shape` {'x'.join(map(str, dims))}: an image has two axes; give HxW, e.g. 28x28")
    return (1, squeezed[0]) if len(squeezed) == 1 else (squeezed[0], squeezed[1])


def pure_power_images(poly: "Polynomial", shape: tuple[int, int]) -> dict[int, np.ndarray]:
    """Per order k with at least one pure power: the coefficients of x_i^k, (outputs, H, W), 0 where absent."""
    indices = poly.indices
    degree = poly.term_degrees()
    first = indices[:, 0] if indices.shape[1] else np.full(indices.shape[0], -1)
    single = (degree > 0) & ((indices == first[:, None]) | (indices < 0)).all(axis=1)
    images = {}
    for order in range(1, poly.degree + 1):
        terms = np.flatnonzero(single & (degree == order))
        if terms.size:
            image = np.zeros((len(poly.outputs), len(poly.variables)))
            image[:, first[terms]] = poly.coefficients[:, terms]
            images[order] = image.reshape(len(poly.outputs), *shape)
    if not images:
        raise DataError("the polynomial has no pure powers x_i^k (only the constant or mixed terms); nothing to draw")
    return images


def heatmap_figure(poly: "Polynomial", shape: tuple[int, ...] | None, outputs: Sequence[str] | None = None) -> "Figure":
    """One image per output and order: where in the input the polynomial's unmixed terms weigh."""
    image_shape = _image_shape(poly, shape)
    images = pure_power_images(poly, image_shape)
    chosen = _selected_outputs(poly.outputs, outputs)
    aspect = image_shape[1] / image_shape[0]
    panel = 2.6
    figure, axes = new_figure(len(chosen) * len(images), panel * min(max(aspect, 0.6), 3), panel, columns=len(images))
    cells = iter(axes)
    for output in chosen:
        for order, image in images.items():
            ax = next(cells)
            values = image[output]
            bound = float(np.abs(values).max()) or 1.0
            shown = ax.imshow(values, cmap="RdBu_r", vmin=-bound, vmax=bound, interpolation="nearest",
                              aspect="equal" if 0.25 <= aspect <= 4 else "auto")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"{poly.outputs[output]}: order {order}", fontsize=9)
            figure.colorbar(shown, ax=ax, shrink=0.8)
    figure.suptitle(f"coefficients of the pure powers $x_i^k$ per order $k$, on the {image_shape[0]}×{image_shape[1]} input")
    return figure


def eig_figure(poly: "Polynomial", shape: tuple[int, ...] | None, top: int = 4,
               outputs: Sequence[str] | None = None) -> "Figure":
    """Per output a row of its top eigenvectors of xᵀGx as images, titled with λ and its |λ| share
    (Belrose & Rigg's figure for MNIST)."""
    from polyx.expansion.analysis.eigen_images import eigen_images

    image_shape = _image_shape(poly, shape, kind="eig")
    rows = eigen_images(poly, image_shape, top=top, outputs=_selected_outputs(poly.outputs, outputs))
    columns = max(output.eigenvalues.size for output in rows)
    aspect = image_shape[1] / image_shape[0]
    panel = 1.9
    figure, axes = new_figure(len(rows) * columns, panel * min(max(aspect, 0.6), 3), panel, columns=columns)
    cells = iter(axes)
    for output in rows:
        for rank in range(columns):
            ax = next(cells)
            ax.set_xticks([])
            ax.set_yticks([])
            if rank >= output.eigenvalues.size:
                ax.set_visible(False)
                continue
            values = output.images[rank]
            bound = float(np.abs(values).max()) or 1.0
            ax.imshow(values, cmap="RdBu_r", vmin=-bound, vmax=bound, interpolation="nearest",
                      aspect="equal" if 0.25 <= aspect <= 4 else "auto")
            ax.set_title(f"{output.output} #{rank + 1}: λ={output.eigenvalues[rank]:.3g} ({output.shares[rank]:.0%})",
                         fontsize=8)
    figure.suptitle(f"top eigenvectors of each output's quadratic form $x^T G x$ on the {image_shape[0]}×{image_shape[1]} input "
                    "(red positive, blue negative)")
    return figure


@dataclass(frozen=True)
class PlotResult:
    """The image written, and the (column, variable) pairs of ``--data`` that were matched by position."""

    path: Path
    matched_by_position: list[tuple[str, str]]


def plot_figure(request: PlotRequest) -> "Figure":
    """Build the figure a request asks for (not rendered yet): what tests and notebooks inspect."""
    return _figure(request)[0]


def _figure(request: PlotRequest) -> tuple["Figure", list[tuple[str, str]]]:
    from polyx.expansion.writers.artifact import load_polynomial

    if request.kind not in KINDS:
        raise DataError(f"unknown plot kind '{request.kind}'; choose one of {', '.join(KINDS)}")
    _require_matplotlib()
    if request.kind == "potentials":
        return potentials_figure(request), []
    poly = load_polynomial(request.source)
    if request.kind == "coefficients":
        return coefficients_figure(poly, request.top, request.outputs), []
    if request.kind == "diagonal":
        figure, table = _diagonal(request, poly)
        return figure, table.matched_by_position
    if request.kind == "eig":
        return eig_figure(poly, request.shape, request.top, request.outputs), []
    if request.kind == "importance":
        return _importance(request, poly), []
    if request.kind == "local":
        return _local(request, poly), []
    return heatmap_figure(poly, request.shape, request.outputs), []


def _local(request: PlotRequest, poly: "Polynomial") -> "Figure":
    """The network (onnxruntime) and the polynomial around its expansion point."""
    from polyx.expansion.polynomials.units import artifact_in_raw_units
    from polyx.local_plot import local_figure
    from polyx.reference import ReferenceNetwork
    from polyx.verification import resolve_model

    poly = artifact_in_raw_units(poly)
    model, _ = resolve_model(poly.provenance, request.source, request.model)
    check_paths({"`output`": request.output}, {"model": model})
    output = _selected_outputs(poly.outputs, request.outputs)[0]
    return local_figure(poly, ReferenceNetwork(model), request.axes, output, request.span)


def _importance(request: PlotRequest, poly: "Polynomial") -> "Figure":
    """Sobol indices and variance shares under --data's empirical distribution (else the artifact's Gaussian)."""
    from polyx.expansion.analysis.importance import importance
    from polyx.expansion.polynomials.units import artifact_in_raw_units
    from polyx.importance_plot import importance_figure
    from polyx.interpretation import input_model

    poly = artifact_in_raw_units(poly)
    model = input_model(poly, request.data, "empirical", request.columns, request.exclude)
    return importance_figure(poly, importance(poly, model), _selected_outputs(poly.outputs, request.outputs))


def plot(request: PlotRequest) -> PlotResult:
    """``polyx plot``: build the figure, render it in the format the file name asks for, write it atomically."""
    from polyx.files import write_atomic

    fmt = FORMATS.get(request.output.suffix.lower())
    if fmt is None:
        raise DataError(f"{request.output}: plots are written as .png, .svg or .pdf; give one of those file names")
    check_paths({"`output`": request.output}, {"source": request.source, "`data`": request.data, "`model`": request.model},
                folders=("`data`",))
    figure, matched = _figure(request)
    return PlotResult(write_atomic(request.output, figure_to_bytes(figure, fmt)), matched)
