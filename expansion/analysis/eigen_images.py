"""Eigen-images: the top eigenvectors of each output's quadratic form, laid out as pictures.

For an image classifier the eigenvectors of G (``quadratic_form``) live in pixel space, and
Belrose & Rigg read MNIST networks by drawing them as 28×28 images beside their eigenvalues: the
input patterns the output responds to most non-linearly (λ > 0: curving up, λ < 0: down).
``polyx plot --kind eig`` draws them with matplotlib; ``polyx show --eig --shape HxW`` prints them
as characters (``image_text``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from polyx.errors import DataError
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.polynomials.quadratic_form import quadratic_form, quadratic_matrices

__all__ = ["EigenImages", "eigen_images", "image_shape", "image_text", "LEGEND"]

_POSITIVE = " .:+#"
_NEGATIVE = " .-=%"
LEGEND = ("characters per pixel by |loading| / largest: '#' '+' ':' over 3/4, 1/2, 1/4 when positive, "
          "'%' '=' '-' when negative, '.' up to 1/4, blank 0")


@dataclass(frozen=True)
class EigenImages:
    """One output's top eigenpairs: eigenvalues (k,), their |λ| shares, and images (k, H, W)."""

    output: str
    eigenvalues: np.ndarray
    shares: np.ndarray
    images: np.ndarray


def image_shape(n_vars: int, shape: Sequence[int]) -> tuple[int, int]:
    """The image ``shape`` as (H, W), checked against the number of variables."""
    dims = tuple(int(d) for d in shape if int(d) != 1) or (1,)
    if int(np.prod(dims)) != n_vars:
        raise DataError(
            f"`shape` {'x'.join(map(str, shape))} holds {int(np.prod(dims))} values but the polynomial has {n_vars} "
            f"variables; give a shape whose product is {n_vars}"
        )
    if len(dims) > 2:
        raise DataError(f"`shape` {'x'.join(map(str, shape))}: an image has two axes; give HxW, e.g. 28x28")
    return (1, dims[0]) if len(dims) == 1 else (dims[0], dims[1])


def eigen_images(polynomial: Polynomial, shape: Sequence[int], top: int = 4,
                 outputs: Sequence[int] | None = None) -> list[EigenImages]:
    """Per output (all, or the chosen indices), the ``top`` eigenvectors by |λ| reshaped to ``shape``
    (row-major, as a flattened image is), with their eigenvalues and shares of Σ|λ|."""
    height, width = image_shape(len(polynomial.variables), shape)
    chosen = range(len(polynomial.outputs)) if outputs is None else outputs
    matrices = quadratic_matrices(polynomial)
    out = []
    for o in chosen:
        form = quadratic_form(polynomial.outputs[o], matrices[o])
        out.append(EigenImages(form.output, form.eigenvalues[:top], form.shares[:top],
                               form.eigenvectors[:, :top].T.reshape(-1, height, width)))
    return out


def image_text(image: np.ndarray) -> list[str]:
    """An image as lines of characters, two per pixel, by sign and quarter of the largest |value|
    (a pixel within rounding of a quarter boundary counts in the lower quarter)."""
    bound = float(np.abs(image).max()) or 1.0
    level = np.clip(np.ceil(np.abs(image) / bound * 4 - 1e-9), 0, 4).astype(int)
    lines = []
    for row_levels, row_values in zip(level, image):
        lines.append("".join((_POSITIVE if value >= 0 else _NEGATIVE)[lv] * 2 for lv, value in zip(row_levels, row_values)))
    return lines
