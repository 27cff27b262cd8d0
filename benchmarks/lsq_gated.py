"""How fast is the closed-form least squares of a gated layer? polyx beside a plain-numpy Monte-Carlo fit.

A SwiGLU layer y = W2 (silu(V x) ⊙ (W1 x)) with 4 outputs (``--gate`` for another gate) is
expanded with ``gated_lsq`` under a *general* Gaussian (random mean, dense covariance), analytic R²
included. Each configuration runs in a fresh process (single-threaded BLAS, ``--threads``) that
reports the first call (cold), the median wall and CPU time of the next calls and the peak resident
memory (VmHWM).

The comparison is what a user without the closed form would do in plain numpy: draw 200,000 inputs,
run the layer, and solve ordinary least squares on every monomial up to the order by accumulating
the normal equations MᵀM c = Mᵀy in chunks. Its cost is dominated by the Gram matrix, 200,000·T²
multiply-adds for T monomials (T = 33,153 at d = 256, order 2: the Gram alone is 8.8 GB), so it is
measured where T is small and extrapolated from that measured rate (T² for the Gram, T³ for the
solve) where it is not: those cells say "extrapolated".

    python benchmarks/lsq_gated.py                 # d = 16, 64, 256 at order 2
    python benchmarks/lsq_gated.py --only 256,512,2 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

from _common import memory_kib

GRID = [(16, 64, 2), (64, 256, 2), (256, 512, 2)]
OUTPUTS = 4
SAMPLES = 200_000
MEASURED_TERMS = 400
"""The Monte-Carlo fit is run for real up to this many monomials; beyond, extrapolated."""


def _layer(inputs: int, hidden: int) -> tuple:
    rng = np.random.default_rng(inputs * 1000 + hidden)
    w1 = rng.normal(size=(hidden, inputs)) / np.sqrt(inputs)
    v = rng.normal(size=(hidden, inputs)) / np.sqrt(inputs)
    w2 = rng.normal(size=(OUTPUTS, hidden)) / np.sqrt(hidden)
    factor = rng.normal(size=(inputs, inputs)) / np.sqrt(inputs)
    mean, cov = rng.normal(scale=0.3, size=inputs), factor @ factor.T + 0.1 * np.eye(inputs)
    return (w1, rng.normal(scale=0.1, size=hidden), v, rng.normal(scale=0.1, size=hidden), w2, np.zeros(OUTPUTS)), mean, cov


def child(inputs: int, hidden: int, order: int, repeat: int, gate: str) -> dict:
    """One configuration in this (fresh) process: the closed form, timed."""
    from polyx.expansion.methods.gated_lsq import gated_lsq

    weights, mean, cov = _layer(inputs, hidden)

    def call() -> tuple[float, float, object]:
        wall, cpu = time.perf_counter(), time.process_time()
        polynomial = gated_lsq(*weights, gate, mean, cov, order)
        return time.perf_counter() - wall, time.process_time() - cpu, polynomial

    cold, _, polynomial = call()
    runs = [call()[:2] for _ in range(repeat)]
    return {"cold_s": cold, "wall_s": statistics.median(r[0] for r in runs), "cpu_s": statistics.median(r[1] for r in runs),
            "peak_rss_mb": memory_kib() / 1024, "terms": int(polynomial.exponents.shape[0]),
            "r2": polynomial.diagnostics["r2"][0], "pairs": polynomial.diagnostics["pair_integrals"]}


def monte_carlo(inputs: int, hidden: int, order: int, gate: str) -> dict:
    """The plain-numpy fit: sample, forward, chunked normal equations, solve; wall time of each part."""
    from polyx.converters.ir.chain import Activation
    from polyx.expansion.activations.registry import activation_value
    from polyx.expansion.kernel.space import MonomialSpace

    (w1, b1, v, c, w2, b2), mean, cov = _layer(inputs, hidden)
    space = MonomialSpace(inputs, order)
    terms = space.n_terms
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    x = rng.multivariate_normal(mean, cov, size=SAMPLES)
    y = (activation_value(Activation.of(gate), x @ v.T + c) * (x @ w1.T + b1)) @ w2.T + b2
    sampled = time.perf_counter()
    gram, moments = np.zeros((terms, terms)), np.zeros((terms, OUTPUTS))
    design_s = 0.0
    for first in range(0, SAMPLES, 5_000):
        begin = time.perf_counter()
        design = np.vstack(list(space.values((x[first:first + 5_000] - mean).T)))
        design_s += time.perf_counter() - begin
        gram += design @ design.T
        moments += design @ y[first:first + 5_000]
    accumulated = time.perf_counter()
    np.linalg.solve(gram, moments)
    solved = time.perf_counter()
    return {"sample_s": sampled - start, "design_s": design_s, "gram_s": accumulated - sampled - design_s,
            "solve_s": solved - accumulated, "terms": terms}


def _run(arguments: list[str], environment: dict) -> dict:
    done = subprocess.run([sys.executable, __file__, *arguments], capture_output=True, text=True, check=True, env=environment)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed calls after the cold one")
    parser.add_argument("--only", help="one configuration d_in,hidden,order")
    parser.add_argument("--gate", default="silu", help="the gate activation (registry name)")
    parser.add_argument("--threads", default="1", help="BLAS threads in the measured processes")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--monte-carlo", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*map(int, args.child.split(",")), args.repeat, args.gate)))
        return
    if args.monte_carlo:
        print(json.dumps(monte_carlo(*map(int, args.monte_carlo.split(",")), args.gate)))
        return
    grid = [tuple(map(int, args.only.split(",")))] if args.only else GRID
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": args.threads, "OMP_NUM_THREADS": args.threads,
                   "MKL_NUM_THREADS": args.threads}
    header = ["d_in", "hidden", "order", "terms", "polyx cold", "polyx wall", "polyx cpu", "peak RSS", "R² (y1)",
              "2-D pairs", f"numpy MC OLS ({SAMPLES:,} draws)"]
    print(f"gate: {args.gate}; {OUTPUTS} outputs; general Gaussian; BLAS threads: {args.threads}")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    rate = None
    for inputs, hidden, order in grid:
        result = _run(["--child", f"{inputs},{hidden},{order}", "--repeat", str(args.repeat), "--gate", args.gate],
                      environment)
        terms = result["terms"]
        if terms <= MEASURED_TERMS:
            fit = _run(["--monte-carlo", f"{inputs},{hidden},{order}", "--gate", args.gate], environment)
            rate = (fit["sample_s"], fit["design_s"] / fit["terms"], fit["gram_s"] / fit["terms"] ** 2,
                    fit["solve_s"] / fit["terms"] ** 3)
            mc = f"{fit['sample_s'] + fit['design_s'] + fit['gram_s'] + fit['solve_s']:.2f} s"
        elif rate is not None:
            estimate = rate[0] * inputs / grid[0][0] + rate[1] * terms + rate[2] * terms**2 + rate[3] * terms**3
            gram_gb = terms**2 * 8 / 1e9
            mc = f"≈ {estimate:,.0f} s extrapolated (Gram {gram_gb:.2g} GB)"
        else:
            mc = "not measured (run a small configuration first)"
        print("| " + " | ".join([
            str(inputs), str(hidden), str(order), f"{terms:,}", f"{result['cold_s']:.3f} s", f"{result['wall_s']:.3f} s",
            f"{result['cpu_s']:.3f} s", f"{result['peak_rss_mb']:.0f} MB", f"{result['r2']:.6f}", str(result["pairs"]), mc,
        ]) + " |", flush=True)


if __name__ == "__main__":
    main()
