"""How fast and how lean is closed-form least squares? polyx beside polyapprox's recorded timings.

For d_in 8/64/256, hidden 64/512 and degrees 1–3, a GELU MLP with 4 outputs (polyapprox's timing
grid) is expanded with ``polyx.expand(network, method="lsq", ...)`` under a *general* Gaussian
(random mean, dense covariance), analytic R² included. Each configuration runs in a fresh process
that reports: the first call (cold: LAPACK and the caches warm up), the median wall and CPU time of
the next calls, the process's peak resident memory (VmHWM, interpreter and libraries included, the
measure polyapprox's numbers use) and the tracemalloc peak of one call (what the call itself
allocates). BLAS runs single-threaded by default (``--threads``): on a shared 2-core machine
threaded BLAS spins against other processes and the wall time stops meaning anything; the CPU
time column is the cost either way. polyapprox's columns come from tests/data/anchors/polyapprox/timing.csv: ``main`` is
the package (N(0, I) only; no degree 3), ``reference`` the plain Hermite formulation, and
``superquadratic`` the unmerged branch that handles a general Gaussian at degree 2.
Goal (issue 6): the quadratic at d=256, hidden 512 in ≤ 0.5 s and ≤ 200 MB.

    python benchmarks/lsq.py              # the whole grid, 3 timed calls each
    python benchmarks/lsq.py --repeat 5 --only 256,512,2
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from _common import memory_kib

TIMING = Path(__file__).resolve().parents[1] / "tests" / "data" / "anchors" / "polyapprox" / "timing.csv"
GRID = [(d, h, q) for q in (1, 2, 3) for d in (8, 64, 256) for h in (64, 512)]
OUTPUTS = 4


def child(inputs: int, hidden: int, order: int, repeat: int) -> dict:
    """One configuration in this (fresh) process; returns the measurements as a dict."""
    from polyx.converters.ir.chain import Activation, DenseLayer, Network
    from polyx.errors import OrderTooLargeError
    from polyx.expansion.methods.expand import expand

    rng = np.random.default_rng(inputs * 1000 + hidden)
    network = Network((
        DenseLayer(rng.normal(size=(hidden, inputs)) / np.sqrt(inputs), rng.normal(scale=0.1, size=hidden),
                   Activation.of("gelu")),
        DenseLayer(rng.normal(size=(OUTPUTS, hidden)) / np.sqrt(hidden), np.zeros(OUTPUTS)),
    ))
    factor = rng.normal(size=(inputs, inputs)) / np.sqrt(inputs)
    mean, cov = rng.normal(scale=0.3, size=inputs), factor @ factor.T + 0.1 * np.eye(inputs)
    baseline = memory_kib("VmRSS") / 1024

    def call() -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        expand(network, method="lsq", order=order, mean=mean, cov=cov)
        return time.perf_counter() - wall, time.process_time() - cpu

    try:
        cold, _ = call()
    except OrderTooLargeError as error:
        return {"refused": str(error)}
    runs = [call() for _ in range(repeat)]
    peak_rss = memory_kib() / 1024
    tracemalloc.start()
    call()
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    return {"cold_s": cold, "wall_s": statistics.median(r[0] for r in runs), "cpu_s": statistics.median(r[1] for r in runs),
            "peak_rss_mb": peak_rss, "baseline_rss_mb": baseline, "traced_mb": traced}


def polyapprox_rows() -> dict[tuple[str, str, int, int, int], dict]:
    with TIMING.open(encoding="utf-8") as handle:
        return {(row["impl"], row["input"], int(row["d_in"]), int(row["hidden"]), int(row["order"])): row
                for row in csv.DictReader(handle) if row["act"] == "gelu"}


def _recorded(rows: dict, impl: str, inputs: str, key: tuple[int, int, int]) -> str:
    row = rows.get((impl, inputs, *key))
    if row is None:
        return "—"
    if not row["median_s"]:
        return "not run"
    return f"{float(row['median_s']):.3g} s / {float(row['peak_rss_mb']):.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed calls after the cold one")
    parser.add_argument("--only", help="one configuration d_in,hidden,order")
    parser.add_argument("--threads", default="1", help="BLAS threads in the measured processes")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*map(int, args.child.split(",")), args.repeat)))
        return
    grid = [tuple(map(int, args.only.split(",")))] if args.only else GRID
    rows = polyapprox_rows()
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": args.threads, "OMP_NUM_THREADS": args.threads,
                   "MKL_NUM_THREADS": args.threads}
    header = ["d_in", "hidden", "order", "polyx cold", "polyx wall", "polyx cpu", "peak RSS", "traced",
              "polyapprox main (N(0,I))", "reference (N(0,I))", "superquadratic (general)"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for inputs, hidden, order in grid:
        done = subprocess.run([sys.executable, __file__, "--child", f"{inputs},{hidden},{order}", "--repeat", str(args.repeat)],
                              capture_output=True, text=True, check=True, env=environment)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        key = (inputs, hidden, order)
        if "refused" in result:
            measured = ["refused by the memory guard", "", "", "", ""]
        else:
            measured = [f"{result['cold_s']:.3f} s", f"{result['wall_s']:.3f} s", f"{result['cpu_s']:.3f} s",
                        f"{result['peak_rss_mb']:.0f} MB", f"{result['traced_mb']:.0f} MB"]
        recorded = [_recorded(rows, "main", "std", key), _recorded(rows, "reference", "std", key),
                    _recorded(rows, "superquadratic", "gen", key)]
        print("| " + " | ".join([str(inputs), str(hidden), str(order), *measured, *recorded]) + " |", flush=True)


if __name__ == "__main__":
    main()
