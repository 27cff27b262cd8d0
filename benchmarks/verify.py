"""How fast and how lean is ``polyx verify``? Polynomial vs onnxruntime, and the whole command.

Builds, in a temporary folder, a 10-input tanh MLP (ONNX, float32), an order-3 polynomial for it
(least squares on 20k rows of its onnxruntime outputs, 286 terms) and a CSV of ``--rows`` rows.
Then it times, on the same in-memory rows, ``Polynomial.evaluate`` against onnxruntime running the
file (single thread, as verify runs it), and runs ``polyx verify`` on the CSV in a child process to
report its wall time, its own phase times and its peak resident memory. Goals (issue 7): the
polynomial side no slower than onnxruntime, peak RSS under 500 MB.

Then (issue 15) the same model on a Parquet dataset of ``--parquet-rows`` rows (a folder of
``--partitions`` files, written in bounded memory): ``polyx verify FOLDER`` in a child process
(its peak RSS, goal ≤ 500 MB), and ``polyx verify FOLDER --engine dask`` on a LocalCluster of two
single-threaded worker processes (wall time, and the largest relative difference of its metrics
from the single-machine report, goal ≤ 1e-12).

    python benchmarks/verify.py                          # 1M CSV rows, 10M Parquet rows
    python benchmarks/verify.py --rows 5000000           # the 5M-row CSV memory check
    python benchmarks/verify.py --parquet-rows 0         # CSV only
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import all_exponents, tanh_mlp_onnx
from polyx import save_polynomial
from polyx.converters.onnx.runtime import OnnxRunner
from polyx.expansion.polynomials.polynomial import Polynomial

HIDDEN = (32, 32)
WRITE_ROWS = 100_000


def build_network(path: Path, inputs: int, rng: np.random.Generator) -> Path:
    """An inputs-32-32-1 tanh MLP of Gemm nodes, the shape a PyTorch export has."""
    import onnx

    sizes = (inputs, *HIDDEN, 1)
    layers = [(rng.normal(size=(fan_out, fan_in)) / np.sqrt(fan_in), rng.normal(scale=0.1, size=fan_out))
              for fan_in, fan_out in zip(sizes[:-1], sizes[1:])]
    onnx.save(tanh_mlp_onnx(layers), str(path))
    return path


def fit_polynomial(model: Path, inputs: int, order: int, rng: np.random.Generator) -> Polynomial:
    """Least-squares polynomial of the network: a realistic, good (not exact) artifact."""
    exponents = all_exponents(inputs, order)
    names = tuple(f"x{i + 1}" for i in range(inputs))
    x = rng.uniform(-1, 1, size=(20_000, inputs))
    basis = Polynomial(names, ("y",), exponents, np.zeros((1, len(exponents))))
    coefficients = np.linalg.lstsq(basis.monomials(x), OnnxRunner(model).run(x), rcond=None)[0].T
    provenance = {"source": str(model), "sha256": hashlib.sha256(model.read_bytes()).hexdigest()}
    return Polynomial(names, ("y",), basis.exponents, coefficients,
                      method={"name": "least_squares_benchmark", "order": order}, provenance=provenance)


def write_csv(path: Path, rows: int, inputs: int, seed: int) -> Path:
    """Uniform inputs written in blocks (float32 precision, as exported data usually is)."""
    rng = np.random.default_rng(seed)
    with path.open("w") as stream:
        stream.write(",".join(f"x{i + 1}" for i in range(inputs)) + "\n")
        for start in range(0, rows, WRITE_ROWS):
            block = rng.uniform(-1, 1, size=(min(WRITE_ROWS, rows - start), inputs))
            np.savetxt(stream, block, delimiter=",", fmt="%.8g")
    return path


def write_parquet_dataset(folder: Path, rows: int, inputs: int, partitions: int, seed: int) -> Path:
    """``rows`` uniform inputs as ``partitions`` Parquet files, each written block by block (bounded memory)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir()
    rng = np.random.default_rng(seed)
    schema = pa.schema([(f"x{i + 1}", pa.float64()) for i in range(inputs)])
    bounds = np.linspace(0, rows, partitions + 1).astype(int)
    for index, (start, stop) in enumerate(zip(bounds[:-1], bounds[1:])):
        with pq.ParquetWriter(folder / f"part-{index:05d}.parquet", schema) as writer:
            for first in range(start, stop, WRITE_ROWS):
                block = rng.uniform(-1, 1, size=(min(WRITE_ROWS, stop - first), inputs)).astype(np.float32).astype(np.float64)
                writer.write_batch(pa.RecordBatch.from_arrays([pa.array(block[:, k]) for k in range(inputs)], schema=schema))
    return folder


def largest_metric_difference(report: dict, reference: dict) -> float:
    """The largest relative difference of any output metric between two verify reports."""
    worst = 0.0
    for got, expected in zip(report["outputs"], reference["outputs"]):
        for key in ("max_abs", "mae", "rmse", "r2", "rel_l2"):
            worst = max(worst, abs(got[key] - expected[key]) / max(abs(expected[key]), 1e-300))
    return worst


def best_time(function, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def in_memory_times(model: Path, poly: Polynomial, rows: int, inputs: int, repeat: int) -> tuple[float, float]:
    """(onnxruntime, polynomial) best-of-``repeat`` seconds on the same rows, held in memory."""
    x = np.random.default_rng(1).uniform(-1, 1, size=(rows, inputs))
    runner = OnnxRunner(model)
    runner.run(x[:1000])
    poly.evaluate(x[:1000])
    return best_time(lambda: runner.run(x), repeat), best_time(lambda: poly.evaluate(x), repeat)


# The child reports its own high-water mark (VmHWM) at exit: getrusage's ru_maxrss would also
# count the parent's pages the child held between fork and exec.
CHILD = f"""
import atexit, sys
sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from _common import memory_kib
atexit.register(lambda: sys.stderr.write(f'PEAK_KB {{memory_kib()}}\\n'))
from polyx.cli.main import main
main()
"""


def run_verify(folder: Path, data: Path, *extra: str) -> tuple[float, dict, float]:
    """``polyx verify`` in a child process: (wall seconds, its report, its peak RSS in MB)."""
    command = [sys.executable, "-c", CHILD, "verify", str(data), "--json", "--min-r2", "0.9", *extra]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"polyx verify failed ({done.returncode}): {done.stderr.strip()}")
    peak_kb = next(int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("PEAK_KB"))
    return wall, json.loads(done.stdout), peak_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--inputs", type=int, default=10)
    parser.add_argument("--order", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parquet-rows", type=int, default=10_000_000)
    parser.add_argument("--partitions", type=int, default=10)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="polyx-bench-verify-") as name:
        folder = Path(name)
        model = build_network(folder / "model.onnx", args.inputs, rng)
        poly = fit_polynomial(model, args.inputs, args.order, rng)
        save_polynomial(poly, folder / "model.poly.json")
        data = write_csv(folder / "data.csv", args.rows, args.inputs, seed=2)
        network_s, poly_s = in_memory_times(model, poly, args.rows, args.inputs, args.repeat)
        wall, report, peak_mb = run_verify(folder, data)
        size_mb = data.stat().st_size / 1e6
        data.unlink()
        parquet = run_parquet(folder, args) if args.parquet_rows else None
    phases = report["seconds"]
    print(f"polyx verify benchmark: {args.rows:,} rows x {args.inputs} inputs, order-{args.order} polynomial "
          f"({poly.n_terms} terms), MLP {args.inputs}-{'-'.join(map(str, HIDDEN))}-1 tanh float32, CSV {size_mb:.0f} MB")
    print()
    print("| what | seconds | rows/s |")
    print("|---|---:|---:|")
    for label, seconds in [
        ("onnxruntime, network (in memory, 1 thread)", network_s),
        ("Polynomial.evaluate (in memory)", poly_s),
        ("polyx verify, whole command", wall),
        ("  of which: reading the CSV", phases["reading"]),
        ("  of which: onnxruntime", phases["network"]),
        ("  of which: polynomial", phases["polynomial"]),
        ("  of which: metrics", phases["metrics"]),
    ]:
        print(f"| {label} | {seconds:.3f} | {args.rows / seconds:,.0f} |")
    print()
    ratio = poly_s / network_s
    print(f"polynomial / onnxruntime time: {ratio:.2f} (goal <= 1: {'met' if ratio <= 1 else 'NOT met'})")
    print(f"polyx verify peak RSS: {peak_mb:.0f} MB (goal < 500 MB: {'met' if peak_mb < 500 else 'NOT met'})")
    print(f"R² of the polynomial on the CSV: {report['outputs'][0]['r2']:.6f}")
    if parquet is not None:
        print_parquet(args, parquet)


def run_parquet(folder: Path, args: argparse.Namespace) -> dict:
    """The Parquet rows: one machine (child process, peak RSS), then Dask with two local worker processes."""
    from distributed import LocalCluster

    dataset = write_parquet_dataset(folder / "parts", args.parquet_rows, args.inputs, args.partitions, seed=3)
    size_mb = sum(path.stat().st_size for path in dataset.iterdir()) / 1e6
    local_wall, local, local_peak = run_verify(folder, dataset)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask_wall, distributed, client_peak = run_verify(folder, dataset, "--engine", "dask", "--scheduler",
                                                         cluster.scheduler_address)
    return {"size_mb": size_mb, "local": (local_wall, local, local_peak), "dask": (dask_wall, distributed, client_peak)}


def print_parquet(args: argparse.Namespace, parquet: dict) -> None:
    rows = args.parquet_rows
    local_wall, local, local_peak = parquet["local"]
    dask_wall, distributed, client_peak = parquet["dask"]
    print()
    print(f"Parquet: {rows:,} rows x {args.inputs} inputs in {args.partitions} files, {parquet['size_mb']:.0f} MB")
    print()
    print("| what | seconds | rows/s | peak RSS (MB) |")
    print("|---|---:|---:|---:|")
    print(f"| polyx verify FOLDER (one process) | {local_wall:.3f} | {rows / local_wall:,.0f} | {local_peak:.0f} |")
    for phase in ("reading", "network", "polynomial", "metrics"):
        print(f"|   of which: {phase} | {local['seconds'][phase]:.3f} | | |")
    print(f"| polyx verify FOLDER --engine dask (2 local workers, 1 thread each) | {dask_wall:.3f} | "
          f"{rows / dask_wall:,.0f} | {client_peak:.0f} (client) |")
    difference = largest_metric_difference(distributed, local)
    print()
    print(f"Parquet peak RSS: {local_peak:.0f} MB (goal <= 500 MB: {'met' if local_peak <= 500 else 'NOT met'})")
    print(f"Dask vs one process: rows {distributed['data']['rows']:,} vs {local['data']['rows']:,}, "
          f"largest relative metric difference {difference:.2e} (goal <= 1e-12: {'met' if difference <= 1e-12 else 'NOT met'})")


if __name__ == "__main__":
    main()
