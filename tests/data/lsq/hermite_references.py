"""Regenerate ``hermite_references.json``: c_j = E[g(m + sZ) He_j(Z)] to 30 digits with mpmath.

Independent of polyx: each activation is written out in mpmath and integrated with mpmath.quad
(tanh-sinh) on sub-intervals that follow the Gaussian (unit steps) and the activation's transition
at u = 0 (steps of 1/s around z0 = −m/s). mpmath's error target is absolute (about 10^−dps), so a
value below 1e-20 (a ReLU dead for 12 standard deviations) is integrated again with 60 digits.
Run from the repository root:

    /work/venv/bin/python tests/data/lsq/hermite_references.py
"""

from __future__ import annotations

import json
from pathlib import Path

import mpmath as mp

mp.mp.dps = 30
DEGREE = 5
SELU_ALPHA = mp.mpf("1.6732632423543772848170429916717")
SELU_GAMMA = mp.mpf("1.0507009873554804934193349852946")


def _sigmoid(x):
    return 1 / (1 + mp.exp(-x))


ACTIVATIONS = {
    "tanh": mp.tanh,
    "sigmoid": _sigmoid,
    "softplus": lambda x: x + mp.log1p(mp.exp(-x)) if x > 0 else mp.log1p(mp.exp(x)),
    "silu": lambda x: x * _sigmoid(x),
    "gelu": lambda x: x * mp.ncdf(x),
    "gelu_tanh": lambda x: x / 2 * (1 + mp.tanh(mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3))),
    "elu": lambda x: x if x > 0 else mp.expm1(x),
    "selu": lambda x: SELU_GAMMA * (x if x > 0 else SELU_ALPHA * mp.expm1(x)),
    "relu": lambda x: x if x > 0 else mp.mpf(0),
    "leaky_relu": lambda x: x if x >= 0 else mp.mpf("0.01") * x,
    "sin": mp.sin,
}
PAIRS = [(0.3, 0.1), (-1.2, 0.1), (-0.4, 1.0), (0.7, 4.0), (-2.5, 8.0), (5.0, 64.0)]
SIN_PAIRS = [(0.3, 0.1), (-0.4, 1.0), (0.7, 4.0), (-2.5, 8.0)]


def hermite(j: int, z):
    previous, current = mp.mpf(1), z
    if j == 0:
        return previous
    for k in range(1, j):
        previous, current = current, z * current - k * previous
    return current


def coefficient(g, m: float, s: float, j: int, oscillating: bool) -> mp.mpf:
    m, s = mp.mpf(m), mp.mpf(s)
    z0 = -m / s
    points = {mp.mpf(k) for k in range(-14, 15)}
    points |= {z0 + mp.mpf(k) / s for k in (-16, -8, -4, -2, -1, -0.5, 0, 0.5, 1, 2, 4, 8, 16)}
    if oscillating:
        points |= {mp.mpf(k) / 20 for k in range(-280, 281)}
    inner = sorted(p for p in points if -14 <= p <= 14)
    value = mp.quad(lambda z: g(m + s * z) * hermite(j, z) * mp.npdf(z), [-mp.inf, *inner, mp.inf])
    if abs(value) < mp.mpf("1e-20") and mp.mp.dps < 60:
        with mp.workdps(60):
            return coefficient(g, m, s, j, oscillating)
    return value


def main() -> None:
    cases = []
    for name, g in ACTIVATIONS.items():
        for m, s in SIN_PAIRS if name == "sin" else PAIRS:
            values = [coefficient(g, m, s, j, name == "sin") for j in range(DEGREE + 1)]
            cases.append({"activation": name, "mean": m, "std": s, "coefficients": [mp.nstr(v, 25) for v in values]})
            print(name, m, s, [mp.nstr(v, 8) for v in values], flush=True)
    out = Path(__file__).with_name("hermite_references.json")
    out.write_text(json.dumps({"generator": Path(__file__).name, "dps": mp.mp.dps, "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    main()
