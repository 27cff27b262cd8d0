"""The figure every plot draws on: a grid of panels on matplotlib's Agg canvas (never pyplot).

Shared by ``polyx.plots`` and the plot kinds kept in their own modules (importance, local), so
none of them imports another.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["DPI", "GRID_COLUMNS", "new_figure"]

DPI = 120
GRID_COLUMNS = 3


def new_figure(panels: int, width: float, height: float, columns: int = GRID_COLUMNS) -> tuple["Figure", list["Axes"]]:
    """A figure with one axes per panel on a grid, drawn by the Agg canvas (never pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    columns = max(1, min(columns, panels))
    rows = math.ceil(panels / columns)
    figure = Figure(figsize=(width * columns, height * rows), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False).ravel().tolist()
    for spare in axes[panels:]:
        spare.set_visible(False)
    return figure, axes[:panels]
