"""``polyx plot --kind local``: the network and its polynomial around the expansion point (HOPE's Fig. 4).

A local polynomial is only claimed near its point. This draws that claim: along one input through
the point, the network (onnxruntime) and the polynomial with the validity radius the conversion
measured shaded; over two inputs, the polynomial's surface and the residual |polynomial − network|
with the validity box drawn. Both models are compared in the space ``polyx verify`` gates
(a classifier's logits when the polynomial stands for them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from polyx.errors import DataError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from polyx.expansion.polynomials.polynomial import Polynomial
    from polyx.reference import ReferenceNetwork

__all__ = ["expansion_point", "validity_radius", "local_figure"]

GRID = 61


def expansion_point(poly: "Polynomial") -> np.ndarray:
    """Where the polynomial was expanded: taylor's ``at``, else its centre, else the standardisation's μ, else 0."""
    from polyx.expansion.methods.records import method_record

    method = method_record(poly)
    if method.at is not None:
        return np.asarray(method.at, dtype=np.float64)
    if poly.center is not None:
        return np.asarray(poly.center, dtype=np.float64)
    if method.standardization is not None:
        return np.asarray(method.standardization["center"], dtype=np.float64)
    return np.zeros(len(poly.variables))


def validity_radius(poly: "Polynomial") -> float | None:
    """The radius the local Taylor conversion verified (``diagnostics.validity.radius``), if any."""
    from polyx.expansion.methods.records import diagnostics_of

    validity = diagnostics_of(poly).validity
    return validity.radius if validity is not None and validity.radius > 0 else None


def _axes(poly: "Polynomial", names: Sequence[str] | None) -> list[int]:
    names = list(names) if names else list(poly.variables[: min(2, len(poly.variables))])
    unknown = [name for name in names if name not in poly.variables]
    if unknown or not 1 <= len(names) <= 2 or len(set(names)) != len(names):
        raise DataError(f"`axes` takes one or two distinct inputs of the polynomial ({', '.join(poly.variables)}), "
                        f"got {','.join(names)}")
    return [poly.variables.index(name) for name in names]


def _values(poly: "Polynomial", network: "ReferenceNetwork", x: np.ndarray, output: int) -> tuple[np.ndarray, np.ndarray]:
    from polyx.verification import comparison_plan, values_in_space

    plan = comparison_plan(network, poly, None, False)
    with np.errstate(over="ignore", invalid="ignore"):
        polynomial, reference = values_in_space(plan.compared, plan, poly.evaluate(x), network.values(x, plan))
    return polynomial[:, output], reference[:, output]


def local_figure(poly: "Polynomial", network: "ReferenceNetwork", axes: Sequence[str] | None, output: int,
                 span: float | None = None) -> "Figure":
    """1-D curves along the first axis and, with two axes, the surface and residual map over both."""
    from polyx.figures import new_figure

    chosen = _axes(poly, axes)
    point, radius = expansion_point(poly), validity_radius(poly)
    half = span if span is not None else (3 * radius if radius else 1.0)
    figure, panels = new_figure(1 + 2 * (len(chosen) == 2), 4.4, 3.6, columns=3)
    name = poly.outputs[output]
    t = np.linspace(-half, half, 201)
    line = np.repeat(point[None], t.size, axis=0)
    line[:, chosen[0]] += t
    polynomial, reference = _values(poly, network, line, output)
    ax = panels[0]
    ax.plot(line[:, chosen[0]], reference, color="black", label="network")
    ax.plot(line[:, chosen[0]], polynomial, color="#3182bd", linestyle="--", label="polynomial")
    if radius:
        ax.axvspan(point[chosen[0]] - radius, point[chosen[0]] + radius, color="#c6dbef", alpha=0.5,
                   label=f"validity radius {radius:.3g}")
    ax.axvline(point[chosen[0]], color="grey", linewidth=0.6)
    ax.set_xlabel(poly.variables[chosen[0]])
    ax.set_ylabel(name)
    ax.set_title(f"{name} along {poly.variables[chosen[0]]} through x0")
    low, high = np.nanmin(reference), np.nanmax(reference)
    pad = 0.5 * max(high - low, 1e-9)
    ax.set_ylim(low - pad, high + pad)
    ax.legend(fontsize="small")
    if len(chosen) == 2:
        _surface(panels[1], panels[2], figure, poly, network, chosen, point, half, radius, output)
    from polyx.expansion.methods.records import method_record

    figure.suptitle(f"{method_record(poly).name or 'polynomial'} around x0 = ({', '.join(f'{v:.3g}' for v in point)})",
                    fontsize="small")
    return figure


def _surface(surface_ax, residual_ax, figure, poly, network, chosen, point, half, radius, output) -> None:
    a, b = np.meshgrid(np.linspace(-half, half, GRID), np.linspace(-half, half, GRID))
    grid = np.repeat(point[None], a.size, axis=0)
    grid[:, chosen[0]] += a.ravel()
    grid[:, chosen[1]] += b.ravel()
    polynomial, reference = _values(poly, network, grid, output)
    u, v = grid[:, chosen[0]].reshape(a.shape), grid[:, chosen[1]].reshape(a.shape)
    shown = surface_ax.contourf(u, v, polynomial.reshape(a.shape), levels=20, cmap="viridis")
    figure.colorbar(shown, ax=surface_ax)
    surface_ax.set_title(f"polynomial {poly.outputs[output]}")
    residual = np.abs(polynomial - reference).reshape(a.shape)
    shown = residual_ax.contourf(u, v, np.log10(np.maximum(residual, 1e-16)), levels=20, cmap="magma")
    figure.colorbar(shown, ax=residual_ax, label="log10 |polynomial − network|")
    residual_ax.set_title("residual")
    for ax in (surface_ax, residual_ax):
        ax.set_xlabel(poly.variables[chosen[0]])
        ax.set_ylabel(poly.variables[chosen[1]])
        ax.plot(point[chosen[0]], point[chosen[1]], "w+", markersize=10)
        if radius:
            from matplotlib.patches import Rectangle

            ax.add_patch(Rectangle((point[chosen[0]] - radius, point[chosen[1]] - radius), 2 * radius, 2 * radius,
                                   fill=False, edgecolor="white", linestyle="--"))
