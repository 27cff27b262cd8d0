"""Shared by the trace tests (not a test module): real training checkpoints of a small MLP.

A tanh MLP is trained by plain numpy SGD (hand-written backpropagation) on a non-polynomial target,
and the weights are saved as float64 ONNX files (``taylor_helpers.mlp_onnx``) after chosen steps,
as a training run would save checkpoints. Nothing is hard-coded: the weights come from the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from taylor_helpers import mlp_onnx

__all__ = ["target", "train_checkpoints"]


def target(x: np.ndarray) -> np.ndarray:
    """What the network learns: smooth, with a quadratic and a higher-order part."""
    return (np.sin(1.5 * x[:, 0]) + 0.8 * x[:, 0] * x[:, 1] + 0.3 * np.tanh(2 * x[:, 1]) ** 3)[:, None]


def train_checkpoints(folder: Path, widths: Sequence[int] = (2, 8, 1), steps: Sequence[int] = (0, 30, 300),
                      learning_rate: float = 0.05, batch: int = 64, seed: int = 0, name: str = "step") -> list[Path]:
    """Train a tanh MLP with SGD on N(0, I) inputs; save ``name_<step>.onnx`` after each step in ``steps``."""
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 1 / np.sqrt(a), (b, a)) for a, b in zip(widths[:-1], widths[1:])]
    biases = [np.zeros(b) for b in widths[1:]]
    saved = []

    def save(step: int) -> None:
        layers = [(w, b, "tanh" if i < len(weights) - 1 else "linear") for i, (w, b) in enumerate(zip(weights, biases))]
        saved.append(mlp_onnx(Path(folder) / f"{name}_{step}.onnx", layers))

    for step in range(max(steps) + 1):
        if step in steps:
            save(step)
        x = rng.standard_normal((batch, widths[0]))
        activations = [x]
        for i, (w, b) in enumerate(zip(weights, biases)):
            z = activations[-1] @ w.T + b
            activations.append(np.tanh(z) if i < len(weights) - 1 else z)
        delta = (activations[-1] - target(x)) / batch
        for i in reversed(range(len(weights))):
            grad_w, grad_b = delta.T @ activations[i], delta.sum(axis=0)
            if i:
                delta = (delta @ weights[i]) * (1 - activations[i] ** 2)
            weights[i] -= learning_rate * grad_w
            biases[i] -= learning_rate * grad_b
    return saved
