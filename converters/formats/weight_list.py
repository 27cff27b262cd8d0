"""Networks given as plain weights: nn2poly's weight-list JSON and a documented ``.npz`` layout.

Users of the nn2poly R package hold their networks as a list of matrices, one per layer, shaped
(inputs + 1) × neurons with the bias in row 0, plus one activation name per layer; polyx reads
exactly that object (``jsonlite::write_json(list(weights = w, activations = a), path,
digits = NA)``), so nn2poly's own test cases load as they are. The ``.npz`` layout is for
Python users: ``W0, b0, W1, b1, …`` with each ``W`` shaped (out, in), and an ``activations`` array.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import numpy as np

from polyx.converters.ir.chain import Activation, DenseLayer, Network, check_finite
from polyx.errors import ModelLoadError

__all__ = ["ACTIVATION_ALIASES", "activation_from_text", "network_from_weight_list", "network_from_npz"]

ACTIVATION_ALIASES = {"identity": "linear", "swish": "silu", "logistic": "sigmoid"}
_CALL = re.compile(r"^\s*([A-Za-z_]+)\s*(?:\((.*)\))?\s*$")


def activation_from_text(text: str, where: str) -> Activation | None:
    """Parse ``tanh``, ``elu(alpha=0.7)`` or nn2poly's names; None means ``softmax`` (an output softmax)."""
    from polyx.expansion.activations.registry import ACTIVATIONS

    match = _CALL.match(str(text))
    if not match:
        raise ModelLoadError(f"{where}: '{text}' is not an activation name")
    name = ACTIVATION_ALIASES.get(match.group(1).lower(), match.group(1).lower())
    if name == "softmax" and not match.group(2):
        return None
    if name not in ACTIVATIONS:
        known = ", ".join(sorted(ACTIVATIONS) + ["softmax (last layer)"])
        raise ModelLoadError(f"{where}: unknown activation '{text}'; use one of {known}")
    params: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in (match.group(2) or "").split(","))):
        key, _, value = item.partition("=")
        params[key.strip()] = _parameter(value, f"{where}: parameter '{item}'")
    return _activation(name, params, where)


def _parameter(value: Any, where: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ModelLoadError(f"{where} is not a number") from None
    if not np.isfinite(number):
        raise ModelLoadError(f"{where} is not finite")
    return number


def _activation(name: str, params: dict[str, float], where: str) -> Activation:
    from polyx.expansion.activations.registry import ACTIVATIONS

    allowed = dict(ACTIVATIONS[name].defaults)
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        accepted = ", ".join(allowed) or "none"
        raise ModelLoadError(f"{where}: activation '{name}' has no parameter {unknown[0]} (accepted: {accepted})")
    return Activation.of(name, **{**allowed, **params})


def _activation_entry(entry: Any, where: str) -> Activation | None:
    if isinstance(entry, str):
        return activation_from_text(entry, where)
    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
        base = activation_from_text(entry["name"], where)
        params = {key: _parameter(value, f"{where}: parameter '{key}'") for key, value in entry.items() if key != "name"}
        return base if base is None or not params else _activation(base.name, {**base.kwargs, **params}, where)
    raise ModelLoadError(f"{where}: expected an activation name or {{\"name\": ..., parameters}}, got {entry!r}")


def _build(matrices: list[tuple[np.ndarray, np.ndarray]], activations: list[Activation | None], source: str,
           dtype: str, format_name: str, layout: str) -> Network:
    """Chain the layers, checking that sizes connect, weights are finite and softmax can only come last."""
    if len(activations) != len(matrices):
        raise ModelLoadError(
            f"{source}: {len(matrices)} weight matrices but {len(activations)} activations; give one activation per layer"
        )
    for index, activation in enumerate(activations[:-1]):
        if activation is None:
            raise ModelLoadError(f"{source}: layer {index + 1} uses softmax; softmax is only supported on the last layer")
    layers = tuple(
        DenseLayer(weight, bias, activation or Activation.of("linear"))
        for (weight, bias), activation in zip(matrices, activations)
    )
    check_finite(layers, source)
    try:
        return Network(
            layers=layers,
            input_shape=(layers[0].in_features,),
            dtype=dtype,
            output_activation="softmax" if activations[-1] is None else None,
            metadata={"format": format_name},
        )
    except ModelLoadError as error:
        raise ModelLoadError(f"{source}: {error}; {layout}") from None


def _matrix(values: Any, where: str) -> np.ndarray:
    try:
        matrix = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ModelLoadError(f"{where} is not a matrix of numbers (rows of equal length)") from None
    if matrix.ndim != 2 or matrix.size == 0:
        raise ModelLoadError(f"{where} must be a non-empty matrix (a list of rows), got shape {list(matrix.shape)}")
    return matrix


def network_from_weight_list(data: bytes, source: str) -> Network:
    """Read nn2poly's weight-list JSON: ``{"weights": [(n_in+1) × n_out matrices], "activations": [...]}``."""
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelLoadError(f"{source}: not valid JSON ({error}); a weight list is a JSON object") from None
    except RecursionError:
        raise ModelLoadError(f"{source}: not a weight list (JSON nested too deeply); a weight list is a JSON object") from None
    if not isinstance(document, dict) or "weights" not in document or "activations" not in document:
        raise ModelLoadError(
            f"{source}: a weight-list JSON must be an object with 'weights' (one (inputs+1) x neurons matrix per layer, "
            "bias in row 0) and 'activations' (one name per layer)"
        )
    weights, activations = document["weights"], document["activations"]
    if not isinstance(weights, list) or not weights or not isinstance(activations, list):
        raise ModelLoadError(f"{source}: 'weights' and 'activations' must be non-empty lists")
    matrices = []
    for index, values in enumerate(weights):
        matrix = _matrix(values, f"{source}: weights[{index}]")
        if matrix.shape[0] < 2:
            raise ModelLoadError(f"{source}: weights[{index}] has {matrix.shape[0]} row(s); row 0 is the bias, then one row per input")
        matrices.append((matrix[1:].T, matrix[0]))
    parsed = [_activation_entry(entry, f"{source}: activations[{i}]") for i, entry in enumerate(activations)]
    return _build(matrices, parsed, source, "float64", "weight-list",
                  "each matrix is (inputs + 1) x neurons with the bias in row 0")


def _npz_arrays(data: bytes, source: str) -> dict[str, np.ndarray]:
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except ValueError as error:
        if "pickle" in str(error):
            raise ModelLoadError(
                f"{source}: an array needs pickle to load; store 'activations' as a string array, e.g. np.array(['tanh', 'linear'])"
            ) from None
        raise ModelLoadError(f"{source}: not a readable .npz archive ({error})") from None
    except (OSError, zipfile.BadZipFile, EOFError) as error:
        raise ModelLoadError(f"{source}: not a readable .npz archive ({error}); the file is truncated or corrupt") from None


def network_from_npz(data: bytes, source: str) -> Network:
    """Read ``W0, b0, W1, b1, …`` (each W shaped (out, in), b optional) plus an ``activations`` string array."""
    arrays = _npz_arrays(data, source)
    count = 0
    while f"W{count}" in arrays:
        count += 1
    if count == 0 or "activations" not in arrays:
        raise ModelLoadError(
            f"{source}: a weights .npz needs arrays W0, W1, … (each (out, in)), optional b0, b1, …, and "
            f"'activations' (one name per layer); found {sorted(arrays)}"
        )
    matrices = []
    for index in range(count):
        weight = _matrix(arrays[f"W{index}"], f"{source}: W{index}")
        bias = arrays.get(f"b{index}", np.zeros(weight.shape[0]))
        bias = _matrix(np.reshape(bias, (1, -1)), f"{source}: b{index}").reshape(-1)
        if bias.shape[0] != weight.shape[0]:
            raise ModelLoadError(f"{source}: b{index} has {bias.shape[0]} entries but W{index} has {weight.shape[0]} rows (out, in)")
        matrices.append((weight, bias))
    names = np.asarray(arrays["activations"]).reshape(-1)
    if names.dtype.kind not in "US":
        raise ModelLoadError(f"{source}: 'activations' must be a string array, e.g. np.array(['tanh', 'linear'])")
    parsed = [activation_from_text(str(name), f"{source}: activations[{i}]") for i, name in enumerate(names)]
    dtype = "float32" if arrays["W0"].dtype == np.float32 else "float64"
    return _build(matrices, parsed, source, dtype, "npz", "each W is shaped (out, in): transpose Keras kernels")
