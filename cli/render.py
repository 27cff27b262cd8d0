"""Terminal rendering of library results shared by several commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from polyx.cli.terminal import Terminal
from polyx.expansion.methods.records import Diagnostics, MethodRecord, diagnostics_of, method_record

if TYPE_CHECKING:
    from polyx.conversion import Conversion

__all__ = ["render_conversion", "render_layer_diagnostics", "render_matched_by_position"]


def render_conversion(terminal: Terminal, result: "Conversion") -> None:
    """What was expanded, how, where it was written, and every warning the method raised."""
    poly = result.polynomial
    method, diagnostics = method_record(poly), diagnostics_of(poly)
    settings = ", ".join(f"{key}={value}" for key, value in method.settings().items()
                         if not isinstance(value, (dict, list)) or key == "taylor_orders")
    terminal.info(
        f"{method.name or '?'}: {len(poly.variables)} inputs → {len(poly.outputs)} outputs, {poly.n_terms} terms up to degree "
        f"{poly.degree} ({settings})"
    )
    render_layer_diagnostics(terminal, method, diagnostics)
    _render_least_squares_r2(terminal, diagnostics, list(poly.outputs))
    _render_validity(terminal, diagnostics)
    from polyx.cli.analyses import render_agreement, render_convergence

    render_convergence(terminal, diagnostics.convergence)
    if diagnostics.agreement is not None:
        render_agreement(terminal, diagnostics.agreement)
    for warning in diagnostics.warnings:
        terminal.warning(warning)
    for path in result.written:
        terminal.success(f"wrote {path}")


def render_matched_by_position(terminal: Terminal, data: object, pairs: list[tuple[str, str]] | list[list[str]]) -> None:
    """The one warning every command gives when CSV columns stand for variables of other names."""
    if pairs:
        terminal.warning(f"{data}: columns used by position: {', '.join(f'{column} as {variable}' for column, variable in pairs)}")


def _span(values: list[float] | None) -> str:
    return "—" if values is None else f"[{values[0]:.3g}, {values[1]:.3g}]"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _scores(values: list[float | None] | None, outputs: list[str]) -> str:
    if values is None:
        return "n/a"
    texts = ["overflow" if v is None else f"{v:.6g}" for v in values]
    return texts[0] if len(texts) == 1 else ", ".join(f"{name} {text}" for name, text in zip(outputs, texts))


def _render_least_squares_r2(terminal: Terminal, diagnostics: Diagnostics, outputs: list[str]) -> None:
    """lsq's share of the network's variance the polynomial explains (analytic, or held-out when empirical)."""
    if diagnostics.r2_kind is None:
        return
    line = f"R² ({diagnostics.r2_kind}): {_scores(diagnostics.r2, outputs)}"
    check = diagnostics.r2_check
    if check:
        line += f"; Monte-Carlo check on {check.samples} samples: {_scores(check.r2, outputs)}"
    terminal.info(line)


def _render_validity(terminal: Terminal, diagnostics: Diagnostics) -> None:
    """taylor's validity radius: how far from x0 the polynomial stays within the tolerance of the network."""
    validity = diagnostics.validity
    if validity is None:
        return
    bound = "≥ " if validity.beyond_tested else ""
    terminal.info(
        f"validity radius {bound}{validity.radius:.3g}: |network − polynomial| ≤ "
        f"{validity.tolerance * validity.scale:.3g} on {validity.region} "
        f"({validity.samples_per_radius} random points per radius, seed {validity.seed})"
    )


def render_layer_diagnostics(terminal: Terminal, method: MethodRecord, diagnostics: Diagnostics) -> None:
    """The global method's data checks: the fit used, per-layer pre-activation coverage, R² vs the network."""
    from polyx.cli.terminal import PlainTable

    fit = method.fit
    if fit:
        terminal.info(f"activations fitted on {fit['data']} ({fit['rows']} rows, margin {fit['margin']:.0%} of each range)")
    layers, data, r2 = diagnostics.layers, diagnostics.data, diagnostics.r2_vs_network
    if layers is None or data is None or r2 is None:
        return
    table = PlainTable(title=f"pre-activations on {data.source} ({data.rows} rows)",
                  caption="Taylor 1%: where |Taylor_q − activation| ≤ 0.01·max(|activation|, 1)")
    columns = ["layer", "activation", "data range"]
    columns += ["Taylor out", "fit max err", "fit out"] if fit else ["q", "Taylor 1%", "outside"]
    for column in columns:
        table.add_column(column, justify="left" if column == "activation" else "right", no_wrap=True)
    for row in layers:
        cells = [str(row["layer"]), row["activation"], _span(row["preactivation_range"])]
        if fit:
            cells += [_share(row["taylor_outside"]), f"{row['fit_max_error']:.2g}", _share(row["fit_outside"])]
        else:
            cells += [str(row["taylor_order"]), _span(row["taylor_interval"]), _share(row["taylor_outside"])]
        table.add_row(*cells)
    terminal.table(table)
    parts = [f"Taylor {_scores(r2.taylor, r2.outputs)}"]
    if r2.fit is not None:
        parts.append(f"fit {_scores(r2.fit, r2.outputs)}")
    terminal.info(f"R² vs the network on {data.source}: " + " · ".join(parts))
    if r2.taylor_note:
        terminal.info(f"(no Taylor comparison: {r2.taylor_note})")
