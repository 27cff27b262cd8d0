"""polyx's exact local Taylor expansion against HOPE's recorded times, on HOPE's timing grid.

The grid and HOPE's times are tests/data/anchors/hope/timing.csv (copied from shared/anchors/hope):
a depth-10 sine MLP of width 1024 or 256, inputs d = 1-3 with every mixed partial (HOPE's `hope`
rows) and d = 784 with the pure partials only (`hope_unmixed784`), orders 1-10. HOPE's numbers
are the median of 3 calls of the authors' code, which is inexact past one hidden layer; nested
autograd (exact) is shown beside them where it finished.

The network here: 10 hidden layers x -> sin(W x + b) of the given width and one linear output,
weights and biases uniform in ±1/sqrt(fan_in) (torch's Linear default), seeded; x0 uniform in
[-1, 1]^d (in [0, 1]^784 for the image-sized case). Each row: one warm-up call, then the median of
``--repeats`` calls of ``expand_local(network, Q, at=x0)`` (powers of x, as ``polyx convert``
writes it; the validity check is off, since HOPE has none; ``--validity`` times it too), CPU time
(process_time, all threads) and wall time. BLAS runs on one thread unless OPENBLAS_NUM_THREADS says
otherwise: the machine class has 2 cores shared with other jobs, where a second BLAS thread mostly
waits.

Exactness, independently of polyx: for each network the order-10 centred polynomial is compared
with Cauchy-integral Taylor coefficients of the network along a few lines x0 + t·v (the network
evaluated in complex arithmetic on circles |t| = r, coefficients by FFT): per order k, |polyx −
Cauchy| / |Cauchy| for Σ_{|e|=k} c_e v^e (random unit v for d ≤ 3, coordinate axes for d = 784),
the best of three radii (an FFT error only ever adds).

Goals (issue 5): no slower than HOPE at width 1024, order 10, d = 1-3; the 784-input unmixed
expansion to order 10 in at most 10 s.

    python benchmarks/taylor_grid.py                    # the whole grid (a few minutes)
    python benchmarks/taylor_grid.py --orders 10        # order 10 only
    python benchmarks/taylor_grid.py --widths 1024 --inputs 3 --orders 10 --repeats 5
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import csv  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from polyx.converters.ir.chain import Activation, DenseLayer, Network  # noqa: E402
from polyx.expansion.methods.local_taylor import expand_local  # noqa: E402

TIMING = Path(__file__).parents[1] / "tests" / "data" / "anchors" / "hope" / "timing.csv"
DEPTH = 10
CAUCHY_POINTS = 256
CAUCHY_SCALES = (0.8, 1.2, 1.6)
CHECK_DIRECTIONS = 3
IMAGE_INPUTS = 784


def sine_mlp(inputs: int, width: int, seed: int) -> Network:
    """10 sine layers of ``width`` and a linear output, torch-default uniform initialisation."""
    rng = np.random.default_rng(seed)
    sizes = [inputs] + [width] * DEPTH + [1]
    layers = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        bound = 1.0 / np.sqrt(fan_in)
        activation = Activation("sin" if index < DEPTH else "linear")
        layers.append(DenseLayer(rng.uniform(-bound, bound, (fan_out, fan_in)), rng.uniform(-bound, bound, fan_out), activation))
    return Network(tuple(layers))


def reference_point(inputs: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    return rng.uniform(0.0, 1.0, inputs) if inputs == IMAGE_INPUTS else rng.uniform(-1.0, 1.0, inputs)


def timed(call, repeats: int) -> tuple[float, float]:
    """Median CPU and wall seconds of ``repeats`` calls after one warm-up."""
    call()
    cpu, wall = [], []
    for _ in range(repeats):
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        call()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started_wall)
    return statistics.median(cpu), statistics.median(wall)


def complex_forward(network: Network, z: np.ndarray) -> np.ndarray:
    """The sine MLP evaluated at complex inputs (rows): the Cauchy integral needs the analytic continuation."""
    h = z
    for layer in network.layers:
        h = h @ layer.weight.T + layer.bias
        if layer.activation.name == "sin":
            h = np.sin(h)
    return h


def cauchy_line_coefficients(network: Network, x0: np.ndarray, direction: np.ndarray, order: int, radius: float) -> np.ndarray:
    """Taylor coefficients in t of the first output along x0 + t·direction, by FFT on the circle |t| = radius."""
    t = radius * np.exp(2j * np.pi * np.arange(CAUCHY_POINTS) / CAUCHY_POINTS)
    values = complex_forward(network, x0[None, :] + t[:, None] * direction[None, :])[:, 0]
    coefficients = np.fft.fft(values)[: order + 1] / CAUCHY_POINTS
    return (coefficients / radius ** np.arange(order + 1)).real


def line_coefficients(exponents: np.ndarray, coefficients: np.ndarray, direction: np.ndarray, order: int) -> np.ndarray:
    """Σ_{|e|=k} c_e v^e for k ≤ order: the polynomial restricted to the line, in powers of t."""
    degrees = exponents.sum(axis=1)
    used = np.flatnonzero(exponents.any(axis=0))
    values = coefficients * np.prod(direction[used][None, :] ** exponents[:, used], axis=1)
    return np.bincount(degrees, weights=values, minlength=order + 1)[: order + 1]


def exactness(network: Network, x0: np.ndarray, order: int, diagonal: bool, seed: int) -> float:
    """Worst per-order relative difference between polyx's centred coefficients and Cauchy's, over a few lines."""
    terms = "diagonal" if diagonal else "all"
    polynomial = expand_local(network, order, at=x0, centered=True, terms=terms, validity_samples=0)
    rng = np.random.default_rng(seed + 2)
    worst = 0.0
    for line in range(CHECK_DIRECTIONS):
        if diagonal:
            direction = np.eye(x0.size)[rng.integers(x0.size)]
        else:
            direction = rng.normal(size=x0.size)
            direction /= np.linalg.norm(direction)
        ours = line_coefficients(polynomial.exponents, polynomial.coefficients[0], direction, order)
        reach = np.abs(network.layers[0].weight @ direction).max()
        errors = []
        for scale in CAUCHY_SCALES:
            with np.errstate(all="ignore"):
                theirs = cauchy_line_coefficients(network, x0, direction, order, scale / reach)
                errors.append(np.max(np.abs(ours - theirs) / np.abs(theirs)))
        worst = max(worst, np.nanmin(errors))
    return float(worst)


def recorded_times() -> dict[tuple[str, int, int, int], str]:
    """(method, d, width, order) -> median seconds (or the error text) from HOPE's timing.csv."""
    out = {}
    with TIMING.open(newline="") as stream:
        for row in csv.DictReader(stream):
            key = (row["method"], int(row["d"]), int(row["width"]), int(row["order"]))
            out[key] = row["median_s"] or row["error"]
    return out


def as_seconds(text: str | None) -> float | None:
    """A recorded time as a number, None when the run did not finish (its error text) or is absent."""
    try:
        return float(text) if text else None
    except ValueError:
        return None


def seconds(text: str | None) -> str:
    value = as_seconds(text)
    return f"{value:.3f}" if value is not None else (text or "—")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="1024,256", help="comma list (default 1024,256)")
    parser.add_argument("--inputs", default="1,2,3,784", help="comma list of d; 784 is the unmixed case")
    parser.add_argument("--orders", default="1,2,3,4,5,6,7,8,9,10", help="comma list of Q")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--validity", action="store_true", help="also time the call with the validity check on")
    parser.add_argument("--no-check", action="store_true", help="skip the Cauchy-integral exactness check")
    return parser.parse_args()


def main() -> None:
    args = parse_arguments()
    widths = [int(v) for v in args.widths.split(",")]
    inputs = [int(v) for v in args.inputs.split(",")]
    orders = [int(v) for v in args.orders.split(",")]
    recorded = recorded_times()
    print(f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}; median of {args.repeats} after a warm-up; "
          "HOPE and autograd: recorded medians (timing.csv)")
    header = ["terms", "d", "width", "Q", "polyx CPU s", "polyx wall s", "HOPE s", "HOPE/polyx", "autograd (exact) s"]
    if args.validity:
        header.append("with validity CPU s")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    checks = []
    for width in widths:
        for d in inputs:
            diagonal = d == IMAGE_INPUTS
            seed = 1000 * width + d
            network, x0 = sine_mlp(d, width, seed), reference_point(d, seed)
            terms = "diagonal" if diagonal else "all"
            hope_method, exact_method = ("hope_unmixed784", "autograd_unmixed784") if diagonal else ("hope", "autograd_multiset")
            for order in orders:
                cpu, wall = timed(lambda: expand_local(network, order, at=x0, terms=terms, validity_samples=0), args.repeats)
                hope = recorded.get((hope_method, d, width, order))
                ratio = f"{as_seconds(hope) / cpu:.1f}×" if as_seconds(hope) else "—"
                row = [terms, str(d), str(width), str(order), f"{cpu:.3f}", f"{wall:.3f}", seconds(hope), ratio,
                       seconds(recorded.get((exact_method, d, width, order)))]
                if args.validity:
                    row.append(f"{timed(lambda: expand_local(network, order, at=x0, terms=terms), 1)[0]:.3f}")
                print("| " + " | ".join(row) + " |", flush=True)
            if not args.no_check:
                checks.append((terms, d, width, max(orders), exactness(network, x0, max(orders), diagonal, seed)))
    if checks:
        print("\nExactness: worst per-order relative difference from Cauchy-integral coefficients "
              f"({CHECK_DIRECTIONS} lines, {CAUCHY_POINTS} complex points per circle)")
        print("| terms | d | width | Q | max |polyx − Cauchy| / |Cauchy| |")
        print("|---|---|---|---|---|")
        for terms, d, width, order, error in checks:
            print(f"| {terms} | {d} | {width} | {order} | {error:.1e} |")


if __name__ == "__main__":
    main()
