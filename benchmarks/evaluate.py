"""How fast ``Polynomial.evaluate`` is next to onnxruntime running a comparable small MLP.

``polyx verify`` evaluates the polynomial and runs the network on the same rows, so the
polynomial should never be the slow half. For each case this prints the polynomial's time
(float64, monomials built degree by degree, then one sum), onnxruntime's time for an
n-32-32-m tanh MLP (float32, default threads, including the cast of the inputs), and the peak
RSS of each, measured in a fresh process so the numbers do not mix. The two are timed
alternately, so a busy machine slows both alike and the ratio stays meaningful. onnxruntime's
idle threads are told not to spin: spinning threads steal the CPU from whatever runs next in the
process (they halved the polynomial's speed in the same process).

    python benchmarks/evaluate.py            # 1M rows, the cases below
    python benchmarks/evaluate.py --quick    # 100k rows, for a quick look
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

import numpy as np

from _common import all_exponents, memory_kib, tanh_mlp_onnx

# (n inputs, order, outputs, share of terms kept): the first is the reference case of the brief.
CASES = [(10, 3, 1, 1.0), (10, 3, 3, 1.0), (10, 3, 1, 0.3), (10, 2, 1, 1.0), (5, 5, 1, 1.0), (20, 3, 1, 1.0)]
REPEATS = 5
HIDDEN = 32
KINDS = ("polynomial", "onnxruntime")


def _polynomial(n: int, order: int, outputs: int, keep: float, rng: np.random.Generator):
    from polyx.expansion.polynomials.polynomial import Polynomial

    exponents = all_exponents(n, order)
    if keep < 1.0:
        exponents = exponents[rng.random(len(exponents)) < keep]
    coefficients = rng.normal(size=(outputs, len(exponents)))
    names = tuple(f"x{i + 1}" for i in range(n))
    return Polynomial(names, tuple(f"y{k + 1}" for k in range(outputs)), exponents, coefficients)


def _mlp(n: int, outputs: int, rng: np.random.Generator) -> bytes:
    sizes = [n, HIDDEN, HIDDEN, outputs]
    layers = [((rng.normal(size=(a, b)) / np.sqrt(a)).T, rng.normal(size=b)) for a, b in zip(sizes[:-1], sizes[1:])]
    return tanh_mlp_onnx(layers).SerializeToString()


def _runners(rows: int, n: int, order: int, outputs: int, keep: float, kinds: tuple[str, ...] = KINDS) -> dict:
    """The polynomial evaluation and/or the onnxruntime run of the same rows, ready to call."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(rows, n))
    runners = {}
    if "polynomial" in kinds:
        poly = _polynomial(n, order, outputs, keep, rng)
        poly.evaluate(x[:10])  # builds the evaluation plan once, as verify does before its first chunk
        runners["polynomial"] = (lambda: poly.evaluate(x), poly.n_terms)
    if "onnxruntime" in kinds:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(_mlp(n, outputs, rng), options, providers=["CPUExecutionProvider"])
        runners["onnxruntime"] = (lambda: session.run(None, {"x": x.astype(np.float32)}), 0)
    return runners


def _interleaved_medians(first, second) -> tuple[float, float]:
    """Median times of two calls run alternately, so a busy machine slows both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(REPEATS):
        for run, spent in zip((first, second), times):
            start = time.perf_counter()
            run()
            spent.append(time.perf_counter() - start)
    return statistics.median(times[0]), statistics.median(times[1])


def _peak_rss_mb(kind: str, rows: int, case: tuple) -> float:
    """Peak RSS of a fresh process that evaluates once (the polynomial or the MLP)."""
    args = [sys.executable, __file__, "--child", kind, str(rows), *map(str, case)]
    return float(subprocess.run(args, check=True, capture_output=True, text=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k rows instead of 1M")
    parser.add_argument("--child", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, rows, n, order, outputs, keep = args.child
        run, _ = _runners(int(rows), int(n), int(order), int(outputs), float(keep), (kind,))[kind]
        run()
        print(memory_kib() / 1024)
        return
    rows = 100_000 if args.quick else 1_000_000
    print(f"median of {REPEATS} interleaved runs; peak RSS of a fresh process doing one run (inputs included); MLP = n-{HIDDEN}-{HIDDEN}-m tanh, float32, onnxruntime default threads, no spinning")
    header = ("rows", "n", "order", "outputs", "terms", "poly s", "onnxruntime s", "poly/ort", "poly RSS MB", "ort RSS MB")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for case in CASES:
        runners = _runners(rows, *case)
        poly_seconds, ort_seconds = _interleaved_medians(runners["polynomial"][0], runners["onnxruntime"][0])
        n_terms = runners["polynomial"][1]
        n, order, outputs, keep = case
        terms = f"{n_terms}" + (f" ({keep:.0%} kept)" if keep < 1 else "")
        print(" | ".join([
            f"{rows:,}", str(n), str(order), str(outputs), terms, f"{poly_seconds:.3f}", f"{ort_seconds:.3f}",
            f"{poly_seconds / ort_seconds:.2f}", f"{_peak_rss_mb('polynomial', rows, case):.0f}",
            f"{_peak_rss_mb('onnxruntime', rows, case):.0f}",
        ]))


if __name__ == "__main__":
    main()
