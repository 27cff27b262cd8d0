"""polyx's nn2poly method against the nn2poly R package, on nn2poly's own timing grid.

The grid and nn2poly's times are tests/data/anchors/nn2poly/timing.csv (copied from
shared/anchors/nn2poly): p inputs, order Q, L hidden layers of width h (tanh unless the row says
otherwise), weights and biases uniform in ±0.3, Taylor order 8, one linear output; nn2poly's time
is the median of 3 in-process calls. Here each row runs in a fresh process (so its peak RSS is
its own): one small warm-up expansion (imports), then the median of 3 timed calls of
``polyx.expand(network, "nn2poly", Q)``, wall and CPU time, and the time spent inside
``Polynomial`` construction (its input checks) during those calls. BLAS is limited to one thread
(``--threads`` to change it): the machine class has 2 shared cores, and nn2poly's R runs used one.

Target (issue 4): ≥ 30× faster than nn2poly wherever nn2poly needs ≥ 1 s, and the rows nn2poly
did not finish in 200 s (p=10/Q=8, p=20/Q=6) in ≤ 10 s and ≤ 4 GB.

    python benchmarks/nn2poly_grid.py                 # every row (a few minutes)
    python benchmarks/nn2poly_grid.py --slow          # only the rows where nn2poly needs ≥ 1 s or timed out
    python benchmarks/nn2poly_grid.py --select p=20,Q=4 --select p=10,Q=8
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
from pathlib import Path

from _common import memory_kib

TIMING = Path(__file__).parents[1] / "tests" / "data" / "anchors" / "nn2poly" / "timing.csv"
KEYS = ("p", "Q", "L", "h")
SLOW_SECONDS = 1.0
TARGET_RATIO = 30.0
UNFINISHED_LIMIT_SECONDS = 10.0
UNFINISHED_LIMIT_BYTES = 4 * 10**9


def _grid() -> list[dict]:
    with TIMING.open(newline="") as stream:
        return list(csv.DictReader(stream))


def _selected(rows: list[dict], selections: list[str], slow: bool) -> list[dict]:
    chosen = []
    for row in rows:
        finished = row["status"] == "ok"
        if slow and finished and float(row["median_s"]) < SLOW_SECONDS:
            continue
        if selections and not any(_matches(row, selection) for selection in selections):
            continue
        chosen.append(row)
    return chosen


def _matches(row: dict, selection: str) -> bool:
    pairs = [part.split("=", 1) for part in selection.replace(" ", "").split(",") if part]
    return all(row.get(key) == value for key, value in pairs)


def _network(p: int, order_layers: int, width: int, activation: str, seed: int = 0):
    import numpy as np

    from polyx.converters.ir.chain import Activation, DenseLayer, Network

    rng = np.random.default_rng(seed)
    layers, n_in = [], p
    for _ in range(order_layers):
        layers.append(DenseLayer(rng.uniform(-0.3, 0.3, (width, n_in)), rng.uniform(-0.3, 0.3, width), Activation.of(activation)))
        n_in = width
    layers.append(DenseLayer(rng.uniform(-0.3, 0.3, (1, n_in)), rng.uniform(-0.3, 0.3, 1)))
    return Network(tuple(layers))


def _child(p: int, order: int, layers: int, width: int, activation: str, repeats: int) -> dict:
    """Time one grid row in this (fresh) process and report it as a dict."""
    import polyx
    from polyx.expansion.polynomials import polynomial as polynomial_module

    checks = [0.0]
    original = polynomial_module.Polynomial.__init__

    def timed_init(self, *args: object, **kwargs: object) -> None:
        start = time.perf_counter()
        original(self, *args, **kwargs)
        checks[0] += time.perf_counter() - start

    polynomial_module.Polynomial.__init__ = timed_init
    polyx.expand(_network(2, 1, 3, activation), "nn2poly", 2)
    network = _network(p, layers, width, activation)
    walls, cpus, check_times, terms = [], [], [], 0
    for _ in range(repeats):
        checks[0] = 0.0
        wall, cpu = time.perf_counter(), time.process_time()
        polynomial = polyx.expand(network, "nn2poly", order)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        check_times.append(checks[0])
        terms = polynomial.n_terms
        del polynomial
    return {"wall": statistics.median(walls), "cpu": statistics.median(cpus), "checks": statistics.median(check_times),
            "terms": terms, "rss": memory_kib() * 1024}


def _run_row(row: dict, repeats: int, threads: int) -> dict:
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = str(threads)
    args = [sys.executable, __file__, "--child", *(row[key] for key in KEYS), row["act"], str(repeats)]
    done = subprocess.run(args, check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout)


def _verdict(row: dict, result: dict) -> str:
    if row["status"] != "ok":
        ok = result["wall"] <= UNFINISHED_LIMIT_SECONDS and result["rss"] <= UNFINISHED_LIMIT_BYTES
        return "yes (≤ 10 s, ≤ 4 GB)" if ok else "NO"
    if float(row["median_s"]) >= SLOW_SECONDS:
        return "yes" if float(row["median_s"]) / result["wall"] >= TARGET_RATIO else "NO"
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slow", action="store_true", help="only rows where nn2poly needs ≥ 1 s or did not finish")
    parser.add_argument("--select", action="append", default=[], help="rows matching e.g. p=20,Q=4 (repeatable)")
    parser.add_argument("--repeats", type=int, default=3, help="timed calls per row (median); default 3, as nn2poly's")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads; default 1")
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        p, order, layers, width, activation, repeats = args.child
        print(json.dumps(_child(int(p), int(order), int(layers), int(width), activation, int(repeats))))
        return
    rows = _selected(_grid(), args.select, args.slow)
    print(f"polyx.expand(method='nn2poly', taylor_orders=8), median of {args.repeats} in a fresh process per row, "
          f"BLAS threads = {args.threads}; nn2poly: median of 3 (timing.csv); RSS = peak of the whole process")
    header = ("p", "Q", "L", "h", "act", "terms", "nn2poly s", "polyx wall s", "polyx CPU s", "of which Polynomial() s",
              "speed-up", "polyx RSS MB", "nn2poly RSS MB", "target met")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        result = _run_row(row, args.repeats, args.threads)
        finished = row["status"] == "ok"
        nn2poly = f"{float(row['median_s']):.4g}" if finished else "> 200 (timeout)"
        ratio = float(row["median_s"]) / result["wall"] if finished else 200.0 / result["wall"]
        cells = [row["p"], row["Q"], row["L"], row["h"], row["act"], str(result["terms"]), nn2poly,
                 f"{result['wall']:.4g}", f"{result['cpu']:.4g}", f"{result['checks']:.3g}",
                 f"{ratio:.3g}×" if finished else f"> {ratio:.3g}×", f"{result['rss'] / 2**20:.0f}",
                 f"{int(row['maxrss_kb']) / 1024:.0f}", _verdict(row, result)]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
