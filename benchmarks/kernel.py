"""Time one truncated product of two batches of polynomials, per (n variables, order Q, batch).

The kernel's speed is what every method's speed rests on. For each case this prints the term
count, the time of the first product in a new space (it builds the product tables), the median
time of one full truncated product of `batch` pairs of dense polynomials afterwards, and the
pairs of coefficients multiplied per second (pairs = C(2n+Q, Q) per polynomial: every (i, j)
with deg i + deg j ≤ Q). BLAS is limited to one thread so the numbers are per core.

    python benchmarks/kernel.py            # the default grid
    python benchmarks/kernel.py --quick    # a few small cases
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from polyx.expansion.kernel.batch import PolyBatch  # noqa: E402
from polyx.expansion.kernel.space import MonomialSpace  # noqa: E402

GRID = [
    (2, 8), (5, 4), (5, 8), (10, 2), (10, 4), (10, 6), (10, 8), (20, 2), (20, 4), (20, 6),
    (50, 2), (50, 3), (50, 4), (100, 2), (100, 3),
]
BATCHES = (1, 50, 1024)
MAX_ELEMENTS = 60_000_000


def _time_product(space: MonomialSpace, batch: int, repeats: int) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    a = PolyBatch.from_dense(space, rng.normal(size=(batch, space.n_terms)))
    b = PolyBatch.from_dense(space, rng.normal(size=(batch, space.n_terms)))
    start = time.perf_counter()
    a.times(b)
    first = time.perf_counter() - start
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        a.times(b)
        runs.append(time.perf_counter() - start)
    return first, statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only a few small cases")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    grid = GRID[:4] if args.quick else GRID
    print(f"{'n':>4} {'Q':>3} {'terms':>9} {'batch':>6} {'first s':>9} {'product s':>10} {'pairs':>12} {'pairs/s':>10}")
    for n, order in grid:
        pairs = math.comb(2 * n + order, order)
        for batch in BATCHES:
            if math.comb(n + order, order) * batch > MAX_ELEMENTS or pairs * batch > 40 * MAX_ELEMENTS:
                continue
            space = MonomialSpace(n, order)
            first, median = _time_product(space, batch, args.repeats)
            print(f"{n:>4} {order:>3} {space.n_terms:>9,} {batch:>6} {first:>9.3f} {median:>10.4f} "
                  f"{pairs:>12,} {pairs * batch / median:>10.2e}")


if __name__ == "__main__":
    main()
