"""A batch of truncated polynomials (one per neuron of a layer) and their arithmetic.

Coefficients live in homogeneous blocks: block d is an array (size_d, batch), one column per
polynomial, or None when it is known to be zero. Keeping the batch as the last axis makes an
affine layer map one matrix product per block, and a block product one sparse-times-dense
product over all neurons at once. Every result is truncated at a total degree, and pairs above
it are never formed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from polyx.converters.ir.graph import apply_operator, is_structured
from polyx.expansion.kernel.space import MonomialSpace
from polyx.progress import report

__all__ = ["PolyBatch"]

SCATTER_CHUNK_ELEMENTS = 32_768
LINEAR_CHUNK_ELEMENTS = 1_000_000
GATHER_BREAK_EVEN = 1_000


@dataclass
class PolyBatch:
    """``batch`` polynomials over ``space``; ``blocks[d]`` is (space.sizes[d], batch) or None (zero)."""

    space: MonomialSpace
    blocks: list[np.ndarray | None]
    batch: int
    _stack: np.ndarray | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def constant(cls, space: MonomialSpace, values: np.ndarray) -> "PolyBatch":
        """Constant polynomials, one per value."""
        values = np.asarray(values, dtype=np.float64).reshape(1, -1)
        return cls(space, [values.copy()] + [None] * space.order, values.shape[1])

    @classmethod
    def affine_inputs(cls, space: MonomialSpace, weight: np.ndarray, bias: np.ndarray) -> "PolyBatch":
        """The polynomials ``W x + b`` of a first layer (W shaped (out, n_vars)): degree ≤ 1."""
        weight = np.asarray(weight, dtype=np.float64)
        batch = cls.constant(space, bias)
        if space.order >= 1:
            batch.blocks[1] = np.ascontiguousarray(weight.T)
        return batch

    @classmethod
    def from_dense(cls, space: MonomialSpace, coefficients: np.ndarray) -> "PolyBatch":
        """From (batch, n_terms) coefficients in graded order (the inverse of ``to_dense``)."""
        coefficients = np.asarray(coefficients, dtype=np.float64)
        blocks = [
            np.ascontiguousarray(coefficients[:, space.offsets[d] : space.offsets[d + 1]].T)
            for d in range(space.order + 1)
        ]
        return cls(space, blocks, coefficients.shape[0])

    def to_dense(self, max_degree: int | None = None) -> np.ndarray:
        """(batch, n_terms up to max_degree) coefficients in graded order, zeros included."""
        top = self.space.order if max_degree is None else max_degree
        out = np.zeros((self.batch, int(self.space.offsets[top + 1])))
        for degree, block in enumerate(self.blocks[: top + 1]):
            if block is not None:
                out[:, self.space.offsets[degree] : self.space.offsets[degree + 1]] = block.T
        return out

    @property
    def order(self) -> int:
        """The truncation order: the space's."""
        return self.space.order

    def is_linear_form(self) -> bool:
        """True when every polynomial is homogeneous of degree 1 (a first layer's centred pre-activation)."""
        return (
            (self.blocks[0] is None or not np.any(self.blocks[0]))
            and self.space.order >= 1
            and self.blocks[1] is not None
            and all(block is None for block in self.blocks[2:])
        )

    def constant_term(self) -> np.ndarray:
        """The value of each polynomial at the origin, shape (batch,)."""
        block = self.blocks[0]
        return np.zeros(self.batch) if block is None else block[0].copy()

    def without_constant(self) -> "PolyBatch":
        """The same polynomials with their constant terms removed (what a Taylor step substitutes)."""
        return PolyBatch(self.space, [None] + list(self.blocks[1:]), self.batch)

    def truncated(self, max_degree: int) -> "PolyBatch":
        """Drop every block above ``max_degree``."""
        blocks = [block if d <= max_degree else None for d, block in enumerate(self.blocks)]
        return PolyBatch(self.space, blocks, self.batch)

    def linear_map(self, weight: np.ndarray, bias: np.ndarray | None = None) -> "PolyBatch":
        """``weight @ self + bias``: the pre-activations of the next layer (weight shaped (out, batch)).

        When the polynomials are smaller than the weight matrix, all blocks go through one matrix
        product, so the weights are read once per layer, not once per degree.
        """
        if not is_structured(weight):
            weight = np.asarray(weight, dtype=np.float64)
        present = [d for d, block in enumerate(self.blocks) if block is not None]
        rows = [self.blocks[d].shape[0] for d in present]
        blocks: list[np.ndarray | None] = [None] * len(self.blocks)
        if sum(rows) * self.batch <= weight.size or is_structured(weight):
            mapped = apply_operator(weight, np.vstack([self.blocks[d] for d in present]))
            parts = np.split(mapped, np.cumsum(rows)[:-1])
        else:
            parts = [self.blocks[d] @ weight.T for d in present]
        for d, part in zip(present, parts):
            blocks[d] = part
        out = PolyBatch(self.space, blocks, weight.shape[0])
        if bias is not None:
            constant = np.zeros((1, out.batch)) if blocks[0] is None else blocks[0]
            blocks[0] = constant + np.asarray(bias, dtype=np.float64)[None, :]
        return out

    def same_polynomials(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """For index pairs (first[k], second[k]): True where the two polynomials are identical."""
        same = np.ones(np.asarray(first).shape, dtype=bool)
        for block in self.blocks:
            if block is not None:
                same &= np.all(block[:, first] == block[:, second], axis=0)
        return same

    @classmethod
    def concatenated(cls, parts: list["PolyBatch"]) -> "PolyBatch":
        """The polynomials of ``parts`` side by side (one batch after the other), same space."""
        space = parts[0].space
        blocks: list[np.ndarray | None] = []
        for degree in range(space.order + 1):
            if all(part.blocks[degree] is None for part in parts):
                blocks.append(None)
                continue
            blocks.append(np.hstack([
                part.blocks[degree] if part.blocks[degree] is not None else np.zeros((space.sizes[degree], part.batch))
                for part in parts
            ]))
        return cls(space, blocks, sum(part.batch for part in parts))

    def times(self, other: "PolyBatch", max_degree: int | None = None) -> "PolyBatch":
        """The truncated product of each polynomial with its partner in ``other``."""
        top = self.space.order if max_degree is None else min(max_degree, self.space.order)
        blocks: list[np.ndarray | None] = [None] * (self.space.order + 1)
        for target in range(top + 1):
            blocks[target] = self._product_block(other, target)
        return PolyBatch(self.space, blocks, self.batch)

    def _product_block(self, other: "PolyBatch", target: int) -> np.ndarray | None:
        """Block ``target`` of self × other: Σ over da + db = target of the block products."""
        out: np.ndarray | None = None
        for degree_a in (0, target) if target else (0,):
            a, b = self.blocks[degree_a], other.blocks[target - degree_a]
            if a is not None and b is not None:
                out = a * b if out is None else out + a * b
        interior = tuple(
            d for d in range(1, target)
            if self.blocks[d] is not None and other.blocks[target - d] is not None
        )
        if not interior:
            return out
        if self._prefer_gather(target, interior):
            part = self._gathered_block(other, target, interior)
        else:
            part = sum(
                self._block_product(self.blocks[d], other.blocks[target - d], d, target - d) for d in interior
            )
        return part if out is None else out + part

    def _prefer_gather(self, target: int, interior: tuple[int, ...]) -> bool:
        """Gather when the row loop of ``_block_product`` would spend more time in the interpreter
        than in arithmetic (about 1,000 pair-columns per loop iteration break even here)."""
        sizes = self.space.sizes
        step = max(1, SCATTER_CHUNK_ELEMENTS // self.batch)
        iterations = sum(
            min(sizes[a], sizes[target - a]) * -(-max(sizes[a], sizes[target - a]) // step) for a in interior
        )
        work = sum(int(sizes[a] * sizes[target - a]) for a in interior) * self.batch
        return work < GATHER_BREAK_EVEN * iterations

    def _stacked(self) -> np.ndarray:
        """Blocks 1 … highest stored, as the rows of one (terms, batch) array (zeros for a gap).

        In the graded layout blocks 1 … t−1 are a prefix, so one stack serves every target block
        of every product: built once per batch, though a Horner composition multiplies by the same
        batch at each of its steps.
        """
        if self._stack is None:
            highest = max((d for d, block in enumerate(self.blocks) if block is not None and d > 0), default=0)
            self._stack = np.vstack([np.zeros((0, self.batch))] + [
                np.zeros((int(self.space.sizes[d]), self.batch)) if self.blocks[d] is None else self.blocks[d]
                for d in range(1, highest + 1)
            ])
        return self._stack

    def _gathered_block(self, other: "PolyBatch", target: int, interior: tuple[int, ...]) -> np.ndarray:
        """The interior pairs (left degree in ``interior``) of one target block in a few array calls:
        gather, multiply, segment-sum.

        For small spaces (many neurons, few monomials) the per-pair loop of ``_block_product`` would be
        dominated by interpreter overhead; here the cost is one multiply-add per pair and column.
        """
        left, right, starts, slots = self.space.interior_pairs(target, interior)
        products = self._stacked()[left] * other._stacked()[right]
        summed = np.add.reduceat(products, starts, axis=0)
        if slots is None:
            return summed
        out = np.zeros((int(self.space.sizes[target]), self.batch))
        out[slots] = summed
        return out

    def _block_product(self, a: np.ndarray, b: np.ndarray, degree_a: int, degree_b: int) -> np.ndarray:
        """Σ over pairs of a[i] * b[j] into slot (i, j), for every column at once.

        Loops over the rows of the smaller block; for a fixed row the slots are distinct, so a
        plain fancy-indexed add is exact. The other block is cut into cache-sized pieces. Only an
        interaction-limited space has pairs without a slot (-1), dropped before the add.
        """
        slots = self.space.product_slots(degree_a, degree_b)
        if a.shape[0] > b.shape[0]:
            a, b, slots = b, a, slots.T
        out = np.zeros((int(self.space.sizes[degree_a + degree_b]), a.shape[1]))
        step = max(1, SCATTER_CHUNK_ELEMENTS // a.shape[1])
        complete = self.space.is_complete()
        for start in range(0, b.shape[0], step):
            piece = slice(start, start + step)
            for row in range(a.shape[0]):
                targets = slots[row, piece]
                values = a[row] * b[piece]
                if not complete:
                    keep = targets >= 0
                    targets, values = targets[keep], values[keep]
                out[targets] += values
        return out

    def contracted_product(self, other: "PolyBatch", weight: np.ndarray, max_degree: int) -> "PolyBatch":
        """``weight @ (self × other)`` truncated, without forming the batch of products.

        Σ_k w_ok a_k ⊗ b_k over the batch is a matrix product A diag(w_o) Bᵀ per block pair, so
        the work becomes dense BLAS plus one scatter per pair instead of one per neuron: the
        last hidden layer of every method contracts with the output weights this way.
        """
        weight = np.asarray(weight, dtype=np.float64)
        n_out = weight.shape[0]
        complete = self.space.is_complete()
        blocks: list[np.ndarray | None] = [None] * (self.space.order + 1)
        for degree_a, a in enumerate(self.blocks[: max_degree + 1]):
            for degree_b, b in enumerate(other.blocks[: max_degree - degree_a + 1]):
                if a is None or b is None:
                    continue
                target = degree_a + degree_b
                if blocks[target] is None:
                    blocks[target] = np.zeros((int(self.space.sizes[target]), n_out))
                if degree_a == 0 or degree_b == 0:
                    blocks[target] += (a * b) @ weight.T
                    continue
                slots = self.space.product_slots(degree_a, degree_b).ravel()
                keep = None if complete else slots >= 0
                kept = slots if keep is None else slots[keep]
                for output in range(n_out):
                    pairs = ((a * weight[output]) @ b.T).ravel()
                    blocks[target][:, output] += np.bincount(
                        kept, weights=pairs if keep is None else pairs[keep], minlength=blocks[target].shape[0]
                    )
        return PolyBatch(self.space, blocks, n_out)

    def compose(self, coefficients: np.ndarray, max_degree: int | None = None) -> "PolyBatch":
        """Σ_k c_k · self^k for each polynomial with its own series c (batch, K+1), truncated.

        ``self`` must have no constant term, so self^k starts at degree k and only
        k ≤ max_degree matter. Truncated Horner: r_K = c_K, r_k = c_k + self · r_{k+1}, where
        r_k is only needed up to degree max_degree − k (it is multiplied by self^k afterwards).
        """
        if self.blocks[0] is not None and np.any(self.blocks[0]):
            raise ValueError("compose needs polynomials without a constant term")
        top = self.space.order if max_degree is None else min(max_degree, self.space.order)
        coefficients = np.asarray(coefficients, dtype=np.float64)
        if self.is_linear_form():
            return self._compose_linear(coefficients, top, np.arange(self.batch))
        last = min(coefficients.shape[1] - 1, top)
        result = PolyBatch.constant(self.space, coefficients[:, last])
        for k in range(last - 1, -1, -1):
            result = self.times(result, top - k)
            result.blocks[0] = coefficients[None, :, k].copy()
            report("degree", last - k, last)
        return result

    def compose_contracted(
        self, coefficients: np.ndarray, weight: np.ndarray, max_degree: int | None = None
    ) -> "PolyBatch":
        """``weight @ compose(coefficients)``: the last Horner step done as a contracted product.

        Only r_1 (degree ≤ max_degree − 1) is formed neuron by neuron; the largest product,
        self · r_1, goes straight into the output polynomials.
        """
        top = self.space.order if max_degree is None else min(max_degree, self.space.order)
        coefficients = np.asarray(coefficients, dtype=np.float64)
        weight = np.asarray(weight, dtype=np.float64)
        if top == 0 or coefficients.shape[1] == 1:
            return PolyBatch.constant(self.space, weight @ coefficients[:, 0])
        if self.is_linear_form():
            return self._compose_linear_contracted(coefficients, weight, top)
        inner = self.compose(coefficients[:, 1:], top - 1)
        result = self.contracted_product(inner, weight, top)
        constant = weight @ coefficients[:, 0]
        result.blocks[0] = constant[None, :] if result.blocks[0] is None else result.blocks[0] + constant
        return result

    def _compose_linear(self, coefficients: np.ndarray, top: int, columns: np.ndarray) -> "PolyBatch":
        """Σ_m c_m ℓ^m for linear forms ℓ (selected columns): block m is c_m · multinomial(e) · ℓ^e.

        The monomial values ℓ^e are the space's monomials at the coefficients of ℓ (each its parent's
        times one of them), so the whole expansion costs one multiply per output coefficient
        instead of a product per power.
        """
        blocks: list[np.ndarray | None] = [None] * (self.space.order + 1)
        monomials = self.space.values(self.blocks[1][:, columns], min(top, coefficients.shape[1] - 1))
        for degree, values in enumerate(monomials):
            blocks[degree] = values * (self.space.multinomials(degree)[:, None] * coefficients[None, columns, degree])
        return PolyBatch(self.space, blocks, columns.size)

    def _compose_linear_contracted(self, coefficients: np.ndarray, weight: np.ndarray, top: int) -> "PolyBatch":
        """``weight @ _compose_linear`` accumulated over chunks of neurons, so memory stays bounded."""
        out = PolyBatch(self.space, [None] * (self.space.order + 1), weight.shape[0])
        terms = int(self.space.offsets[min(top, coefficients.shape[1] - 1) + 1])
        step = max(1, LINEAR_CHUNK_ELEMENTS // max(1, terms))
        for start in range(0, self.batch, step):
            columns = np.arange(start, min(start + step, self.batch))
            part = self._compose_linear(coefficients, top, columns)
            for degree, block in enumerate(part.blocks):
                if block is not None:
                    contribution = block @ weight[:, columns].T
                    out.blocks[degree] = contribution if out.blocks[degree] is None else out.blocks[degree] + contribution
        return out
