"""Image-size inputs: degree-2 polynomials of 784-input MLPs, polyx's CLI beside plain numpy.

    python benchmarks/mnist_scale.py [--seed 14] [--rows 10000] [--json] [--keep DIR]

Jobs (each polyx figure is one end-to-end CLI process: wall seconds and peak RSS from
/usr/bin/time, or from getrusage when it is missing):

- ``convert -m lsq -q 2`` of a 784-512-10 tanh MLP under N(0, I), and under a Gaussian fitted
  to image-like data (``--data``: 28×28 pictures of random blobs, a blank 4-pixel border, so
  the covariance is singular as MNIST's is); written as .npz (and once as JSON for its size);
- ``convert -m taylor -q 2 --at-row`` of a 784-256-256-10 tanh MLP;
- ``verify`` of that Taylor quadratic on ``--rows`` rows, and ``show`` of it.

Plain numpy: the same closed forms written directly (Gauss-Hermite quadrature for the neurons'
Hermite coefficients, G = Wᵀ diag(V_o a₂) W as one product per output; forward Jacobians and
the Hessian Σ_l J_lᵀ diag(∂y_o/∂a_l σ''(z_l)) J_l), timed in this process. Their coefficients are
compared with what polyx wrote (max |Δ| over every α, β and G entry, relative to the largest).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import polyx

from _common import tanh_mlp_onnx

TARGETS = {"lsq": (2.0, 1536, 60), "json": (None, None, 150), "taylor": (3.0, 2048, None), "verify": (2.0, None, None),
           "show": (2.0, None, None)}
"""(seconds, peak MB, file MB) per job, from the issue: the closed-form quadratic takes ≤ 2 s and
≤ 1.5 GB with an npz ≤ 60 MB; its JSON is ≤ 150 MB (a size goal: writing 3.08 million shortest
round-trip decimals takes Python's float repr about 2.5 s alone, which is what the npz is for)."""


def mlp(sizes: list[int], rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Weights ~ N(0, 1/fan_in), biases ~ N(0, 0.1²): tanh units in their curved range."""
    return [(rng.normal(size=(o, i)) / np.sqrt(i), rng.normal(size=o) * 0.1) for i, o in zip(sizes[:-1], sizes[1:])]


def image_rows(rows: int, rng: np.random.Generator) -> np.ndarray:
    """28×28 pictures in [0, 1]: three Gaussian blobs inside a blank 4-pixel border, plus noise."""
    grid = np.arange(28)
    images = np.zeros((rows, 28, 28))
    for _ in range(3):
        cy, cx = rng.uniform(8, 20, size=(2, rows, 1, 1))
        width = rng.uniform(1.5, 4.0, size=(rows, 1, 1))
        images += np.exp(-((grid[None, :, None] - cy) ** 2 + (grid[None, None, :] - cx) ** 2) / (2 * width**2))
    images = np.clip(images + rng.normal(scale=0.05, size=images.shape), 0, 1)
    images[:, :4], images[:, -4:], images[:, :, :4], images[:, :, -4:] = 0, 0, 0, 0
    return images.reshape(rows, 784)


def write_csv(path: Path, x: np.ndarray) -> None:
    header = ",".join(f"x{i + 1}" for i in range(x.shape[1]))
    np.savetxt(path, x, delimiter=",", header=header, comments="", fmt="%.9g")


def compile_polyx() -> None:
    """Byte-compile the installed polyx once, as pip does when it installs a wheel, so that no
    timed run pays for compiling source (an editable install under PYTHONDONTWRITEBYTECODE would
    compile every module on every run, about 0.15 s)."""
    import compileall

    import polyx.cli
    import polyx.converters
    import polyx.expansion

    for package in (polyx, polyx.cli, polyx.converters, polyx.expansion):
        for folder in package.__path__:
            compileall.compile_dir(folder, quiet=1)


def run(arguments: list[str]) -> tuple[float, float | None, str]:
    """(wall s, peak RSS MB, stdout+stderr) of one CLI process."""
    polyx = [str(Path(sys.executable).with_name("polyx"))]
    timer = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        command = ([timer, "-f", "%e %M", "-o", report.name] if timer else []) + polyx + arguments
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"failed: {' '.join(arguments)}\n{done.stdout}\n{done.stderr}")
        peak = None
        if timer:
            _, kib = report.read().split()[-2:]
            peak = int(kib) / 1024
        return wall, peak, done.stdout + done.stderr


def hermite_series(mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Per neuron (a0, a1, a2): tanh's least-squares quadratic in t = u − m under u ~ N(m, s²)."""
    z, w = np.polynomial.hermite_e.hermegauss(120)
    w = w / w.sum()
    g = np.tanh(mean[:, None] + std[:, None] * z[None])
    c0, c1, c2 = g @ w, (g * z) @ w, (g * (z * z - 1)) @ w
    safe = np.where(std > 0, std, 1.0)
    return np.stack([c0 - c2 / 2, c1 / safe, c2 / (2 * safe**2)], axis=1)


def numpy_lsq(layers: list, mean: np.ndarray, cov: np.ndarray, constant: np.ndarray) -> tuple:
    """(α, β, G) in powers of (x − μ); pixels that never vary are fixed at their mean."""
    (w1, b1), (w2, b2) = layers
    weight = np.where(constant[None, :], 0.0, w1)
    offset = b1 + w1[:, constant] @ mean[constant]
    m = weight @ mean + offset
    s = np.sqrt(np.einsum("ki,ij,kj->k", weight, cov, weight))
    a = hermite_series(m, s)
    alpha = w2 @ a[:, 0] + b2
    beta = (w2 * a[:, 1]) @ weight
    gram = np.stack([weight.T @ (weight * (w2[o] * a[:, 2])[:, None]) for o in range(w2.shape[0])])
    return alpha, beta, gram


def numpy_taylor(layers: list, x0: np.ndarray) -> tuple:
    """(α, β, G) in powers of (x − x0): forward values and Jacobians, Hessian by the chain rule."""
    a, jac, saved = x0, np.eye(x0.size), []
    for index, (w, b) in enumerate(layers):
        z, jz = w @ a + b, w @ jac
        if index == len(layers) - 1:
            a, jac = z, jz
            break
        t = np.tanh(z)
        saved.append((jz, 1 - t * t, -2 * t * (1 - t * t)))
        a, jac = t, (1 - t * t)[:, None] * jz
    adjoint = layers[-1][0]
    gram = np.zeros((a.size, x0.size, x0.size))
    for (jz, slope, curve), (w, _) in zip(reversed(saved), reversed(layers[:-1])):
        for o in range(a.size):
            gram[o] += 0.5 * jz.T @ ((adjoint[o] * curve)[:, None] * jz)
        adjoint = (adjoint * slope) @ w
    return a, jac, gram


def polyx_parts(path: Path) -> tuple:
    """(α, β, G) of a written quadratic, decoded from the npz arrays directly (no polyx import)."""
    with np.load(path, allow_pickle=False) as archive:
        table, coefficients, center = archive["monomials"], archive["coefficients"], archive["center"]
    n = 784
    degree = (table >= 0).sum(axis=1)
    alpha = coefficients[:, degree == 0].sum(axis=1)
    beta = np.zeros((coefficients.shape[0], n))
    beta[:, table[degree == 1, 0]] = coefficients[:, degree == 1]
    i, j = table[degree == 2, 0], table[degree == 2, 1]
    gram = np.zeros((coefficients.shape[0], n, n))
    values = coefficients[:, degree == 2] * np.where(i == j, 1.0, 0.5)
    gram[:, i, j] = values
    gram[:, j, i] = values
    return alpha, beta, gram, (center if center.size else None)


def shifted(parts: tuple, center: np.ndarray) -> tuple:
    alpha, beta, gram = parts
    gc = gram @ center
    return alpha - beta @ center + gc @ center, beta - 2 * gc, gram


def difference(mine: tuple, theirs: tuple) -> float:
    scale = max(float(np.abs(part).max()) for part in theirs)
    return max(float(np.abs(a - b).max()) for a, b in zip(mine, theirs)) / scale


def timed(function, *args):
    start = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=14, help="weights and data (use another for held-back networks)")
    parser.add_argument("--rows", type=int, default=10_000, help="rows for verify")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    parser.add_argument("--keep", type=Path, help="keep the models and artifacts in this folder")
    args = parser.parse_args()
    import onnx

    compile_polyx()

    rng = np.random.default_rng(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="mnist_scale_")) if args.keep is None else args.keep
    folder.mkdir(parents=True, exist_ok=True)
    wide, deep = mlp([784, 512, 10], rng), mlp([784, 256, 256, 10], rng)
    onnx.save(tanh_mlp_onnx(wide, np.float64), folder / "wide.onnx")
    onnx.save(tanh_mlp_onnx(deep, np.float64), folder / "deep.onnx")
    data = image_rows(6000, rng)
    write_csv(folder / "images.csv", data)
    write_csv(folder / "rows.csv", image_rows(args.rows, rng))
    rows = []

    def row(job: str, kind: str, wall: float, peak: float | None, size: float | None, numpy_s: float | None,
            delta: float | None) -> None:
        limit_s, limit_mb, limit_file = TARGETS[kind]
        ok = ((limit_s is None or wall <= limit_s) and (limit_mb is None or peak is None or peak <= limit_mb)
              and (limit_file is None or size is None or size <= limit_file))
        goals = ([f"≤ {limit_s:g} s"] if limit_s else []) + ([f"≤ {limit_mb} MB"] if limit_mb else [])
        goals += [f"file ≤ {limit_file} MB"] if limit_file else []
        rows.append({"job": job, "polyx_s": wall, "peak_mb": peak, "file_mb": size, "numpy_s": numpy_s,
                     "max_rel_diff": delta, "target": ", ".join(goals),
                     "met": ok})

    for label, extra in (("N(0, I)", []), ("fitted to data", ["--data", str(folder / "images.csv")])):
        out = folder / f"lsq_{len(rows)}.poly.npz"
        wall, peak, _ = run(["convert", str(folder / "wide.onnx"), "-m", "lsq", "-q", "2", "-o", str(out), *extra])
        if extra:
            mean, cov = data.mean(axis=0), np.cov(data, rowvar=False)
        else:
            mean, cov = np.zeros(784), np.eye(784)
        constant = np.sqrt(np.maximum(np.diag(cov), 0)) <= 1e-12 * np.abs(mean)
        numpy_s, parts = timed(numpy_lsq, wide, mean, cov, constant)
        written = polyx_parts(out)
        reference = parts if written[3] is not None else shifted(parts, mean)  # polyx may keep powers of x − μ
        row(f"convert -m lsq -q 2, 784-512-10, {label} (.npz)", "lsq", wall, peak, out.stat().st_size / 1e6, numpy_s,
            difference(written[:3], reference))
    out_json = folder / "lsq.poly.json"
    wall, peak, _ = run(["convert", str(folder / "wide.onnx"), "-m", "lsq", "-q", "2", "-o", str(out_json)])
    row("convert -m lsq -q 2, 784-512-10, N(0, I) (.json)", "json", wall, peak, out_json.stat().st_size / 1e6, None, None)

    x0 = np.loadtxt(folder / "rows.csv", delimiter=",", skiprows=1, max_rows=1)
    write_csv(folder / "x0.csv", x0[None])
    quadratic = folder / "taylor.poly.npz"
    wall, peak, _ = run(["convert", str(folder / "deep.onnx"), "-m", "taylor", "-q", "2",
                         "--at-row", f"{folder / 'x0.csv'}:1", "-o", str(quadratic)])
    numpy_s, parts = timed(numpy_taylor, deep, x0)
    row("convert -m taylor -q 2 --at-row, 784-256-256-10 (.npz)", "taylor", wall, peak, quadratic.stat().st_size / 1e6,
        numpy_s, difference(polyx_parts(quadratic)[:3], shifted(parts, x0)))

    wall, peak, _ = run(["verify", str(folder / "rows.csv"), "--poly", str(quadratic), "--model", str(folder / "deep.onnx"),
                          "--no-default-gate"])
    x = np.loadtxt(folder / "rows.csv", delimiter=",", skiprows=1)

    def numpy_verify() -> float:
        h = x
        for w, b in deep[:-1]:
            h = np.tanh(h @ w.T + b)
        net = h @ deep[-1][0].T + deep[-1][1]
        alpha, beta, gram = shifted(parts, x0)
        poly = alpha + x @ beta.T + np.einsum("rin,rn->ri", (x @ gram.transpose(1, 0, 2).reshape(784, -1)).reshape(len(x), 10, 784), x)
        return float(np.abs(poly - net).max())

    numpy_s, _ = timed(numpy_verify)
    row(f"verify, taylor quadratic, {args.rows:,} rows", "verify", wall, peak, None, numpy_s, None)
    wall, peak, _ = run(["show", str(quadratic)])
    row("show, taylor quadratic", "show", wall, peak, None, None, None)

    if args.json:
        print(json.dumps(rows, indent=2))
        return
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"seed {args.seed}, load average {load:.1f} on {os.cpu_count()} cores; files in {folder}")
    header = ("job", "polyx s", "peak MB", "file MB", "numpy s", "max rel Δ coef", "target", "met")
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    for r in rows:
        cells = [r["job"], f"{r['polyx_s']:.2f}", "-" if r["peak_mb"] is None else f"{r['peak_mb']:.0f}",
                 "-" if r["file_mb"] is None else f"{r['file_mb']:.1f}", "-" if r["numpy_s"] is None else f"{r['numpy_s']:.2f}",
                 "-" if r["max_rel_diff"] is None else f"{r['max_rel_diff']:.1e}", r["target"], "yes" if r["met"] else "no"]
        print(" | ".join(cells))
    if args.keep is None:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
