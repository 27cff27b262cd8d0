"""Monte-Carlo least squares for networks with no closed form, and the Monte-Carlo R² check.

Past one hidden layer the pre-activations are not Gaussian, so the projection is estimated: draw
x from the Gaussian (or take the CSV rows), run the network, and solve the least-squares problem
in monomials of the whitened inputs z = A(x − μ). Whitening makes the design close to orthogonal
under the Gaussian (E[z^α z^β] is small off the diagonal), and the problem is solved by a streamed
QR of [design | outputs] (TSQR: R is updated chunk by chunk, never the full design in memory), so
the fit is as stable as a QR of the monomial design. The polynomial in z is then rewritten in x − μ by
Horner's scheme over the monomial tree, with the same batched kernel as every expansion.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse

from polyx.converters.ir.chain import Network
from polyx.errors import DataError, OrderTooLargeError
from polyx.expansion.kernel.batch import PolyBatch
from polyx.expansion.kernel.budget import DEFAULT_MAX_MEMORY, format_bytes, term_count
from polyx.expansion.methods.gaussian_input import GaussianInput
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.engine.chain import batch_to_polynomial
from polyx.expansion.kernel.space import MonomialSpace
from polyx.metrics import ErrorAccumulator
from polyx.progress import report

__all__ = [
    "DEFAULT_SAMPLES_PER_TERM",
    "MIN_DEFAULT_SAMPLES",
    "HOLDOUT_EVERY",
    "fit_monomials",
    "monomials_to_polynomial",
    "fit_empirical",
    "check_r_squared",
]

DEFAULT_SAMPLES_PER_TERM = 10
MIN_DEFAULT_SAMPLES = 10_000
HOLDOUT_EVERY = 5
"""With data rows, every fifth row (index 4, 9, 14, … from 0) is held out for the R²."""
RANK_TOLERANCE = 1e-12
CHECK_BATCHES = 10
CHECK_SIGMAS = 5.0


def _monomials(space: MonomialSpace, z: np.ndarray) -> np.ndarray:
    """Every monomial of ``space`` at each row of z: the design, shape (rows, n_terms), graded order."""
    return np.vstack(list(space.values(z.T))).T


def _chunk_rows(terms: int) -> int:
    return max(2 * terms, 1024)


def _fit_bytes(terms: int, outputs: int, widths: list[int]) -> int:
    """R and the stacked QR input (R on top of a chunk), the chunk's network activations."""
    columns = terms + outputs
    chunk = _chunk_rows(terms)
    return 8 * (columns * columns + 2 * (chunk + columns) * columns + chunk * (sum(widths) + columns))


def _draws_bytes(rows: int, inputs: int, widths: list[int], terms: int) -> int:
    """Draws held at once: the inputs (whitened and not), every layer's activations, the monomials."""
    return 8 * rows * (2 * inputs + sum(widths) + terms)


def _check_draws(rows: int, what: str, network: Network, terms: int, max_memory: int) -> None:
    """Refuse, before drawing, a number of samples whose rows do not fit in ``max_memory``."""
    need = _draws_bytes(rows, network.input_size, network.widths, terms)
    if need > max_memory:
        raise OrderTooLargeError(
            f"{what} needs about {format_bytes(need)} for the {rows:,} draws held in memory at once, over the "
            f"`max_memory` limit of {format_bytes(max_memory)}; use fewer samples"
        )


def fit_monomials(chunks, space: MonomialSpace, outputs: int) -> tuple[np.ndarray, int]:
    """Least-squares coefficients (terms, outputs) from (z, y) chunks by streamed QR, and the rank.

    A rank-deficient design (0/1 columns make x² = x) gets the minimum-norm solution.
    """
    terms = space.n_terms
    triangle = np.zeros((0, terms + outputs))
    done = 0
    for z, y in chunks:
        stacked = np.vstack([triangle, np.hstack([_monomials(space, z), y])])
        triangle = scipy.linalg.qr(stacked, mode="r", overwrite_a=True, check_finite=False)[0][: terms + outputs]
        done += z.shape[0]
        report("fit rows", done, None)
    if triangle.shape[0] < terms:
        raise DataError(f"the fit has {triangle.shape[0]} rows for {terms} basis terms; it needs at least {terms}")
    solution, _, rank, _ = scipy.linalg.lstsq(triangle[:terms, :terms], triangle[:terms, terms:],
                                              cond=RANK_TOLERANCE, check_finite=False)
    return solution, int(rank)


def monomials_to_polynomial(space_z: MonomialSpace, coefficients: np.ndarray, weight: np.ndarray,
                            offset: np.ndarray, space_x: MonomialSpace) -> PolyBatch:
    """Σ_α γ_α z^α with z = weight·x + offset, as polynomials in x (one per column of γ).

    Horner over the monomial tree: z^α = z^{parent(α)} · z_v, so for each monomial of degree k − 1
    R_α = γ_α + Σ_{children β} ℓ_{v(β)} R_β, and the whole polynomial is R at the root. Block k of
    R has degree order − k in x; the batch axis holds (monomial, output) pairs.
    """
    outputs = coefficients.shape[1]
    offsets = space_z.offsets
    order = space_z.order
    current = PolyBatch.constant(space_x, coefficients[offsets[order] : offsets[order + 1]].ravel())
    for degree in range(order, 0, -1):
        parent, variable = space_z.parents(degree)
        children = parent.size * outputs
        variables = np.repeat(variable, outputs)
        linear = PolyBatch.affine_inputs(space_x, weight[variables], offset[variables])
        product = linear.times(current, order - degree + 1)
        targets = np.repeat(parent, outputs) * outputs + np.tile(np.arange(outputs), parent.size)
        parents = int(space_z.sizes[degree - 1]) * outputs
        gather = scipy.sparse.csr_matrix((np.ones(children), (targets, np.arange(children))), shape=(parents, children))
        blocks = [None if block is None else np.asarray((gather @ block.T).T) for block in product.blocks]
        constants = coefficients[offsets[degree - 1] : offsets[degree]].ravel()
        blocks[0] = constants[None, :] if blocks[0] is None else blocks[0] + constants
        current = PolyBatch(space_x, blocks, parents)
        report("degree", order - degree + 1, order)
    return current


def _gaussian_chunks(network: Network, model: GaussianInput, rows: int, chunk: int, rng: np.random.Generator):
    _, back = model.whitening()
    for start in range(0, rows, chunk):
        z = rng.standard_normal((min(chunk, rows - start), back.shape[1]))
        yield z, network.forward(model.mean + z @ back.T, logits=True)


def _r_squared(y: np.ndarray, prediction: np.ndarray) -> list[float | None]:
    """R² per output as ``polyx verify`` computes it (scikit-learn's convention for a constant
    reference: 1 if matched exactly, else 0); None where the prediction overflowed."""
    accumulator = ErrorAccumulator([str(output) for output in range(y.shape[1])])
    accumulator.add(prediction, y, np.arange(y.shape[0]))
    return [metric.r2 if metric.nonfinite_rows == 0 else None for metric in accumulator.result()]


def fit_empirical(network: Network, order: int, model: GaussianInput, data: np.ndarray | None,
                  samples: int | None, seed: int, max_memory: int) -> tuple[Polynomial, dict]:
    """Monte-Carlo least squares of degree ≤ ``order``: the polynomial in powers of (x − μ) (with
    held-out R² in its diagnostics) and the method fields that say how it was fitted."""
    whiten, _ = model.whitening()
    terms, outputs = term_count(whiten.shape[0], order), network.output_size
    need = _fit_bytes(terms, outputs, network.widths)
    if need > max_memory:
        raise OrderTooLargeError(
            f"the Monte-Carlo fit of order {order} in {whiten.shape[0]} inputs has {terms:,} basis terms and needs "
            f"about {format_bytes(need)}, over the `max_memory` limit of {format_bytes(max_memory)}; lower `order`"
        )
    chunk = _chunk_rows(terms)
    if data is None:
        fit_rows = samples or max(DEFAULT_SAMPLES_PER_TERM * terms, MIN_DEFAULT_SAMPLES)
        if fit_rows < terms:
            raise DataError(f"`samples` {fit_rows} is below the {terms:,} basis terms of order {order}; "
                            f"use at least {DEFAULT_SAMPLES_PER_TERM * terms:,}")
        _check_draws(max(fit_rows // 4, 1000), f"`samples` {fit_rows:,} (its held-out R²)", network, terms, max_memory)
    space_z = MonomialSpace(whiten.shape[0], order)
    if data is None:
        rng = np.random.default_rng(seed)
        coefficients, rank = fit_monomials(_gaussian_chunks(network, model, fit_rows, chunk, rng), space_z, outputs)
        z_test, y_test = next(_gaussian_chunks(network, model, max(fit_rows // 4, 1000), 1 << 62, rng))
    else:
        z_all = (np.asarray(data, dtype=np.float64) - model.mean) @ whiten.T
        held = np.arange(z_all.shape[0]) % HOLDOUT_EVERY == HOLDOUT_EVERY - 1
        fit_rows = int(np.count_nonzero(~held))
        if fit_rows < terms or not held.any():
            raise DataError(f"the data has {z_all.shape[0]} rows; an order-{order} fit has {terms:,} basis terms and "
                            f"holds out every {HOLDOUT_EVERY}th row, so it needs at least "
                            f"{-(-terms * HOLDOUT_EVERY // (HOLDOUT_EVERY - 1)) + 1:,} rows; lower `order`")
        z_fit = z_all[~held]
        y_fit = network.forward(data[~held], logits=True)
        coefficients, rank = fit_monomials(
            ((z_fit[s : s + chunk], y_fit[s : s + chunk]) for s in range(0, fit_rows, chunk)), space_z, outputs
        )
        z_test, y_test = z_all[held], network.forward(data[held], logits=True)
    prediction = _monomials(space_z, z_test) @ coefficients
    space_x = MonomialSpace(network.input_size, order)
    batch = monomials_to_polynomial(space_z, coefficients, whiten, np.zeros(whiten.shape[0]), space_x)
    diagnostics: dict = {"r2": _r_squared(y_test, prediction), "r2_kind": "held-out", "held_out_rows": int(len(y_test)),
                         "basis_terms": terms, "basis_rank": rank}
    fit = {"samples": fit_rows, "fitted_on": "gaussian samples" if data is None else "data rows",
           "basis": "monomials of the whitened inputs, streamed QR"}
    if data is None:
        fit["seed"] = seed
    if rank < terms:
        diagnostics["warnings"] = [f"the design has rank {rank} of {terms} basis terms (e.g. 0/1 columns make x² = x); "
                                   "the fit is the minimum-norm one"]
    return batch_to_polynomial(network, batch, order, {}, diagnostics, center=model.mean), fit


def check_r_squared(network: Network, polynomial: Polynomial, model: GaussianInput, samples: int, seed: int,
                    max_memory: int = DEFAULT_MAX_MEMORY) -> dict:
    """Monte-Carlo R² of the polynomial against the network on ``samples`` Gaussian draws, with a
    batch-means standard error, and a warning if it disagrees with the analytic R² by > 5 of them.
    The draws are held at once, so their size is checked against ``max_memory`` first."""
    _check_draws(samples, f"`check_samples` {samples:,}", network, polynomial.n_terms, max_memory)
    _, back = model.whitening()
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((samples, back.shape[1]))
    x = model.mean + z @ back.T
    y = network.forward(x, logits=True)
    prediction = polynomial.evaluate(x)
    estimate = _r_squared(y, prediction)
    batches = np.array_split(np.arange(samples), CHECK_BATCHES)
    spread = np.array([[np.nan if v is None else v for v in _r_squared(y[b], prediction[b])] for b in batches])
    error = (np.nanstd(spread, axis=0, ddof=1) / np.sqrt(CHECK_BATCHES)).tolist()
    warnings = []
    for output, (mc, analytic, se) in enumerate(zip(estimate, polynomial.diagnostics["r2"], error)):
        if mc is not None and analytic is not None and abs(mc - analytic) > CHECK_SIGMAS * se + 1e-12:
            warnings.append(f"output {polynomial.outputs[output]}: Monte-Carlo R² {mc:.6g} ± {se:.2g} disagrees with the "
                            f"analytic {analytic:.6g} by more than {CHECK_SIGMAS:g} standard errors")
    return {"samples": samples, "seed": seed, "r2": estimate, "standard_error": error, "warnings": warnings}
