"""``polyx plot --kind importance``: each input's share of the output variance, beside its Sobol indices.

One panel per output, one group of bars per input: first-order Sobol index (what the input does
alone), its Shapley effect (its fair share, the bars sum to 1) and its total index (alone and in
every interaction). The three differ exactly as much as the inputs interact.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from polyx.expansion.analysis.importance import Importance
    from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["importance_figure"]

_BARS = (("first_order", "first-order Sobol", "#9ecae1"), ("variable_shares", "variance share (Shapley effect)", "#3182bd"),
         ("total", "total Sobol", "#08519c"))


def importance_figure(poly: "Polynomial", result: "Importance", chosen: Sequence[int]) -> "Figure":
    """The bars for the outputs ``chosen`` (indices), inputs ordered by total index, largest first."""
    from polyx.figures import new_figure

    n = len(poly.variables)
    figure, axes = new_figure(len(chosen), 4.8, 0.45 * n + 1.6)
    for ax, output in zip(axes, chosen):
        order = np.argsort(-result.total[output], kind="stable")
        for offset, (field, label, colour) in enumerate(_BARS):
            values = getattr(result, field)[output, order]
            ax.barh(np.arange(n) + (offset - 1) * 0.27, values, height=0.27, color=colour, label=label,
                    edgecolor="black", linewidth=0.4)
        ax.set_yticks(np.arange(n), [poly.variables[i] for i in order])
        ax.invert_yaxis()
        ax.set_xlim(0, max(1e-12, float(result.total[output].max())) * 1.1)
        ax.set_xlabel("share of the output's variance")
        ax.set_title(f"{poly.outputs[output]} (variance {result.variance[output]:.3g})")
        ax.grid(axis="x", alpha=0.3)
    axes[0].legend(loc="lower right", fontsize="small")
    figure.suptitle(f"importance under {result.model}", fontsize="small")
    return figure
