"""``polyx.convert``: the one call a notebook needs, from a model file (or a loaded Network) to a Polynomial.

The CLI's ``polyx convert`` adds file outputs and printing; this is the same expansion for
Python users. Options are the method's own (see ``polyx.expand``). Row options (``data``,
``fit``) may be arrays, DataFrames (columns matched to the inputs by name) or paths to a data
file in any format polyx reads, so a notebook can pass what it already holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from polyx.converters.ir.chain import Network
from polyx.errors import DataError
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.progress import ProgressCallback, reporting

__all__ = ["convert"]

ROW_OPTIONS = ("data", "fit")


def convert(
    path_or_network: str | Path | Network,
    method: str = "nn2poly",
    order: int = 2,
    *,
    progress: ProgressCallback | None = None,
    **options: Any,
) -> Polynomial:
    """Expand a network into a polynomial in one call: ``polyx.convert("model.onnx", method="lsq", order=3)``.

    ``progress(stage, done, total)`` is called per layer and degree of the expansion, for a
    notebook that wants to show how far it got.
    """
    from polyx.converters.load import load_network
    from polyx.expansion.methods.catalog import method_spec
    from polyx.expansion.methods.expand import expand

    spec = method_spec(method)
    network = path_or_network if isinstance(path_or_network, Network) else load_network(path_or_network)
    for name in ROW_OPTIONS:
        if options.get(name) is not None:
            options[name], source = _rows(options[name], network)
            key = spec.option(name).source if name in spec.option_names else None
            if source is not None and key is not None:
                options.setdefault(key, source)
    with reporting(progress):
        return expand(network, method, order, **options)


def _rows(value: Any, network: Network) -> tuple[np.ndarray, str | None]:
    """Input rows as a C-ordered float64 array, and the file they came from (None for in-memory rows).

    C order always, as ``read_table`` gives: sums over rows (a mean, a covariance) then add in the
    same order, so a frame, an array and a file of the same rows give the same last bit.
    """
    inputs, source = _any_rows(value, network)
    return np.ascontiguousarray(inputs), source


def _any_rows(value: Any, network: Network) -> tuple[np.ndarray, str | None]:
    from polyx.tabular import read_table

    if isinstance(value, (str, Path)):
        inputs, _, _ = read_table(value, expected_inputs=network.input_size, variable_names=network.variable_names)
        return inputs, str(value)
    if hasattr(value, "columns"):
        names = list(network.variable_names)
        if all(name in value.columns for name in names):
            return value[names].to_numpy(dtype=np.float64), None
        if len(value.columns) != len(names):
            raise DataError(
                f"the frame's columns {', '.join(map(str, value.columns))} are not the model's inputs "
                f"{', '.join(names)}; select or rename them"
            )
        return value.to_numpy(dtype=np.float64), None
    return np.asarray(value, dtype=np.float64), None
