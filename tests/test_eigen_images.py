"""Eigen-images: ``polyx show --eig --shape HxW`` and ``polyx plot --kind eig``.

Oracle: a quadratic built here as Σ_k λ_k v_k v_kᵀ from chosen orthonormal images v_k (a
bright square, a checkerboard), so the images and eigenvalues the commands report are known
in advance (to 1e-10: eigh on an 8×8 float64 matrix).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from polyx.cli.main import cli
from polyx.errors import DataError
from polyx.expansion.writers.artifact import save_polynomial
from polyx.expansion.analysis.eigen_images import eigen_images, image_text
from polyx.expansion.kernel.monomials import quadratic_table
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.plots import eig_figure

SHAPE = (2, 4)


def _known_quadratic() -> tuple[Polynomial, np.ndarray]:
    """y1 = 3·(v1ᵀx)² − 2·(v2ᵀx)² with v1 the left half lit, v2 a checkerboard (both unit, orthogonal)."""
    v1 = np.array([[1, 1, 0, 0], [1, 1, 0, 0]], dtype=float).ravel() / 2
    v2 = np.array([[1, -1, 1, -1], [-1, 1, -1, 1]], dtype=float).ravel() / np.sqrt(8)
    gram = 3 * np.outer(v1, v1) - 2 * np.outer(v2, v2)
    table = quadratic_table(8)
    i, j = table[9:, 0], table[9:, 1]
    coefficients = np.concatenate([np.zeros(9), gram[i, j] * np.where(i == j, 1.0, 2.0)])
    poly = Polynomial(tuple(f"p{k}" for k in range(8)), ("y1",), None, coefficients[None], method={"name": "test"},
                      monomials=table)
    return poly, np.stack([v1, v2])


def test_eigen_images_are_the_known_patterns() -> None:
    poly, vectors = _known_quadratic()
    (output,) = eigen_images(poly, SHAPE, top=2)
    assert np.allclose(output.eigenvalues, [3.0, -2.0], atol=1e-10)
    assert np.allclose(output.shares, [0.6, 0.4], atol=1e-10)
    for image, vector in zip(output.images, vectors):
        assert image.shape == SHAPE
        assert np.allclose(np.abs(image.ravel() @ vector), 1.0, atol=1e-10)
    assert image_text(output.images[0]) == ["####    ", "####    "]


def test_show_eig_shape_prints_the_images(tmp_path: Path) -> None:
    poly, _ = _known_quadratic()
    path = save_polynomial(poly, tmp_path / "q.poly.npz")
    result = CliRunner().invoke(cli, ["show", str(path), "--eig", "--shape", "2x4", "-k", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "y1: top 2 eigenvectors of xᵀGx as 2x4 images"
    assert lines[1].startswith("#1 λ=3 (60.0%)") and "#2 λ=-2 (40.0%)" in lines[1]
    assert lines[2] == "####      ##%%##%%" or lines[2] == "####      %%##%%##"
    bad = CliRunner().invoke(cli, ["show", str(path), "--eig", "--shape", "3x3"])
    assert bad.exit_code == 2 and "--shape 3x3 holds 9 values but the polynomial has 8 variables" in bad.output
    misuse = CliRunner().invoke(cli, ["show", str(path), "--shape", "2x4"])
    assert misuse.exit_code == 2 and "use it with --eig" in misuse.output


def test_plot_kind_eig_draws_one_panel_per_eigenvector(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    poly, vectors = _known_quadratic()
    figure = eig_figure(poly, SHAPE, top=2)
    panels = [ax for ax in figure.axes if ax.get_images()]
    assert [ax.get_title() for ax in panels] == ["y1 #1: λ=3 (60%)", "y1 #2: λ=-2 (40%)"]
    drawn = panels[1].get_images()[0].get_array()
    assert np.allclose(np.abs(np.asarray(drawn).ravel() @ vectors[1]), 1.0, atol=1e-10)
    path = save_polynomial(poly, tmp_path / "q.poly.json")
    result = CliRunner().invoke(cli, ["plot", str(path), "--kind", "eig", "--shape", "2x4", "-n", "2",
                                      "-o", str(tmp_path / "eig.png")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "eig.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(DataError, match="`kind` eig needs `shape`"):
        eig_figure(poly, None)
