"""Inference time of an exported polynomial against its network, both under onnxruntime.

For each model: the network file and ``polyx export`` of its nn2poly polynomial run on the same
float32 batches (1 to 4096 rows), one onnxruntime thread each, best of several runs. Prints one
row per batch size with both times (microseconds per batch) and the ratio network/polynomial:
above 1, the polynomial is faster.

    python benchmarks/export.py [--quick]

Models: the 4-16-1 tanh sample (order 3, 35 terms), the 10-16-16-16-16-3 tanh sample (order 3,
286 terms), and a wide 3-1024-1024-1024-1 tanh network built here (order 4, 35 terms): a
polynomial's cost grows with its terms, a network's with its weights.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime

from _common import tanh_mlp_onnx
from polyx import expand, load_network
from polyx.expansion.writers.onnx_export import polynomial_to_onnx

SAMPLES = Path(__file__).resolve().parent.parent / "sample_models"
BATCHES = (1, 4, 16, 64, 256, 1024, 4096)


def wide_network(path: Path, inputs: int = 3, width: int = 1024, depth: int = 3, seed: int = 0) -> Path:
    """A tanh MLP whose pre-activations stay moderate (weights ±1/√fan-in), as Gemm + Tanh nodes."""
    rng = np.random.default_rng(seed)
    layers, fan_in = [], inputs
    for out in [width] * depth + [1]:
        bound = 1.0 / np.sqrt(fan_in)
        layers.append((rng.uniform(-bound, bound, (out, fan_in)), rng.uniform(-bound, bound, out)))
        fan_in = out
    onnx.save(tanh_mlp_onnx(layers), str(path))
    return path


def session(source: str | bytes) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def best_microseconds(run: onnxruntime.InferenceSession, x: np.ndarray, budget: float) -> float:
    feed = {run.get_inputs()[0].name: x}
    run.run(None, feed)
    best, spent, runs = float("inf"), 0.0, 0
    while runs < 5 or (spent < budget and runs < 2000):
        started = time.perf_counter()
        run.run(None, feed)
        elapsed = time.perf_counter() - started
        best, spent, runs = min(best, elapsed), spent + elapsed, runs + 1
    return best * 1e6


def compare(label: str, model: Path, order: int, budget: float) -> None:
    network = load_network(model)
    poly = expand(network, "nn2poly", order=order)
    net_run, poly_run = session(str(model)), session(polynomial_to_onnx(poly, "float32").SerializeToString())
    weights = sum(layer.weight.size + layer.bias.size for layer in network.layers)
    print(f"\n{label}: {weights} weights; nn2poly order {order}, {poly.n_terms} terms")
    print(f"{'batch':>6} {'network µs':>12} {'polynomial µs':>14} {'network/poly':>13}")
    rng = np.random.default_rng(0)
    for batch in BATCHES:
        x = rng.uniform(-1, 1, (batch, *network.input_shape)).astype(np.float32)
        net, pol = best_microseconds(net_run, x, budget), best_microseconds(poly_run, x, budget)
        print(f"{batch:>6} {net:>12.1f} {pol:>14.1f} {net / pol:>13.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="0.05 s per measurement instead of 0.3 s")
    budget = 0.05 if parser.parse_args().quick else 0.3
    print(f"onnxruntime {onnxruntime.__version__}, one thread; best of repeated runs; python {sys.version.split()[0]}")
    compare("polynomial4_tanh_l1.onnx (4-16-1 tanh)", SAMPLES / "polynomial4_tanh_l1.onnx", 3, budget)
    compare("pt_ts11_seq_tanh_10-16-16-16-16-3.onnx", SAMPLES / "pt_ts11_seq_tanh_10-16-16-16-16-3.onnx", 3, budget)
    with tempfile.TemporaryDirectory() as folder:
        compare("3-1024-1024-1024-1 tanh (built here)", wide_network(Path(folder) / "wide.onnx"), 4, budget)


if __name__ == "__main__":
    main()
