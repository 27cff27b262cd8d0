"""The memory guard: know the size of an expansion before starting it, and refuse one that cannot fit.

An order-Q expansion in n variables has C(n+Q, Q) terms per polynomial, and every neuron of a
layer carries one polynomial; past a few million terms that outgrows any machine. Estimating the
peak up front turns an out-of-memory crash into one line that says what to lower.
"""

from __future__ import annotations

import math
import os
import re

from polyx.errors import OrderTooLargeError

__all__ = [
    "MAX_ORDER", "check_order", "term_count", "DEFAULT_MAX_MEMORY", "parse_memory", "format_bytes", "block_sizes",
    "expansion_bytes", "check_expansion_memory", "quadratic_bytes", "check_quadratic_memory",
]

_UNITS = {"": 1, "B": 1, "K": 10**3, "KB": 10**3, "KIB": 2**10, "M": 10**6, "MB": 10**6, "MIB": 2**20,
          "G": 10**9, "GB": 10**9, "GIB": 2**30, "T": 10**12, "TB": 10**12, "TIB": 2**40}


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


MAX_ORDER = 170
"""The highest order any method expands to: each one divides by q! (Taylor coefficients f⁽q⁾/q!, the
Hermite normalisations of lsq), and 171! is beyond float64's largest number. Checked before any
table is sized, so that an order like 10⁹ costs nothing to refuse."""


def check_order(order: int) -> None:
    """Refuse an order above MAX_ORDER before anything is sized from it (each method refuses a negative one)."""
    if order > MAX_ORDER:
        raise OrderTooLargeError(
            f"order {order} is above {MAX_ORDER}, the highest polyx expands to: every method divides by q!, and "
            f"{MAX_ORDER + 1}! is beyond float64; lower `order`"
        )


def term_count(n_vars: int, order: int, max_interaction: int | None = None) -> int:
    """Monomials of degree ≤ order in closed form, without a list per degree: C(n+Q, Q), or with at
    most K distinct variables 1 + Σ_{j ≤ K} C(n, j)·C(Q, j)."""
    if max_interaction is None:
        return math.comb(n_vars + order, order)
    return 1 + sum(math.comb(n_vars, j) * math.comb(order, j) for j in range(1, min(max_interaction, order) + 1))


DEFAULT_MAX_MEMORY = min(16 * 2**30, _physical_memory() // 2)


_SIZE = re.compile(r"\s*((?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*")


def parse_memory(text: str) -> int:
    """'4GB', '512MiB', '2e9' → bytes; the form ``--max-memory`` takes. Anything that is not a
    finite size of at least one byte is the one-line error, never a traceback."""
    match = _SIZE.fullmatch(str(text))
    unit = match.group(2).upper() if match else None
    size = float(match.group(1)) * _UNITS[unit] if match and unit in _UNITS else math.nan
    if not (math.isfinite(size) and size >= 1):
        raise OrderTooLargeError(f"`max_memory` '{text}' is not a size; write it like 4GB, 512MB or 2GiB")
    return int(size)


def format_bytes(size: float) -> str:
    """Human-readable size in binary units (1.5 GiB)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def block_sizes(n_vars: int, order: int, max_interaction: int | None = None) -> list[int]:
    """Monomials per degree: C(n+d−1, d), or with at most K distinct variables
    Σ_{j ≤ K} C(n, j)·C(d−1, j−1) (choose the j variables, then split d among them)."""
    if max_interaction is None:
        return [math.comb(n_vars + d - 1, d) for d in range(order + 1)]
    return [1] + [
        sum(math.comb(n_vars, j) * math.comb(d - 1, j - 1) for j in range(1, min(max_interaction, d) + 1))
        for d in range(1, order + 1)
    ]


def expansion_bytes(n_vars: int, order: int, widths: list[int], max_interaction: int | None = None) -> int:
    """Peak bytes of a layer-by-layer expansion: about four coefficient arrays of the widest layer
    (previous layer, pre-activation, Horner accumulator, product) plus the product index tables,
    the space's "raise by one variable" tables (block d × n_vars slots for d < order: at most
    (d + 1) entries per monomial of degree d + 1), and the monomials themselves as sparse index
    rows (terms × order int32: the space's blocks, the padded table and the Polynomial's copy)."""
    sizes = block_sizes(n_vars, order, max_interaction)
    terms = sum(sizes)
    widest = max(widths) if widths else 1
    pairs = sum(sizes[a] * sizes[c - a] for c in range(2, order + 1) for a in range(1, c))
    return 4 * 8 * terms * widest + 4 * 8 * pairs + 8 * n_vars * sum(sizes[:-1]) + 12 * terms * order


def check_expansion_memory(
    n_vars: int, order: int, widths: list[int], max_memory: int, max_interaction: int | None = None
) -> int:
    """Return the estimate, or raise OrderTooLargeError naming the term count and what to lower."""
    check_order(order)
    need = expansion_bytes(n_vars, order, widths, max_interaction)
    if need <= max_memory:
        return need
    terms = sum(block_sizes(n_vars, order, max_interaction))
    lower = next(
        (q for q in range(order - 1, 0, -1)
         if expansion_bytes(n_vars, q, widths, max_interaction) <= max_memory), None
    )
    hint = f"lower `order` to {lower}" if lower else "reduce the number of inputs"
    raise OrderTooLargeError(
        f"order {order} in {n_vars} variables has {terms:,} terms per polynomial and needs about "
        f"{format_bytes(need)}, over the `max_memory` limit of {format_bytes(max_memory)}; "
        f"{hint}, or raise `max_memory` if the machine has it"
    )


def quadratic_bytes(n_vars: int, outputs: int, widths: list[int]) -> int:
    """Peak bytes of the matrix path for degree 2 (``quadratic``): G per output and its stacked
    copy (2·O·n²), the coefficient rows of the written polynomial (O·n²/2 plus a gather of the same
    size), the sparse term table (n²/2 pairs × 2 int32), the Jacobians of the widest layer, and
    one chunk of batched evaluation (64 MiB, ``quadratic.EVALUATION_CHUNK_BYTES``)."""
    widest = max(widths) if widths else 1
    return 8 * (3 * outputs * n_vars * n_vars + 2 * widest * n_vars) + 4 * n_vars * (n_vars + 1) + 64 * 2**20


def check_quadratic_memory(n_vars: int, outputs: int, widths: list[int], max_memory: int = DEFAULT_MAX_MEMORY) -> int:
    """Return the matrix path's estimate, or raise OrderTooLargeError before anything is allocated."""
    need = quadratic_bytes(n_vars, outputs, widths)
    if need <= max_memory:
        return need
    raise OrderTooLargeError(
        f"the quadratic in {n_vars:,} variables for {outputs} outputs holds {outputs * n_vars * (n_vars + 1) // 2:,} "
        f"coefficients and needs about {format_bytes(need)}, over the `max_memory` limit of {format_bytes(max_memory)}; "
        "reduce the number of inputs or outputs, or raise `max_memory` if the machine has it"
    )
