"""``polyx plot --kind local``: the network and the polynomial around the expansion point.

Oracles: onnxruntime run directly on the plotted points (the curve's network values), the
polynomial evaluated there, and the validity radius read from the artifact; misuse is one line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime
import pytest
from click.testing import CliRunner

from polyx.cli.main import cli
from polyx.expansion.writers.artifact import load_polynomial
from polyx.plots import PlotRequest, plot_figure
from standardized_models import MEAN, save_standardized_model, standardized_weights


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("local")
    model = save_standardized_model(folder / "std.onnx", standardized_weights(seed=4))
    poly = folder / "std.poly.json"
    at = ",".join(str(v) for v in MEAN + 0.5)
    result = CliRunner().invoke(cli, ["convert", str(model), "-m", "taylor", "-q", "3", f"--at={at}", "-o", str(poly)])
    assert result.exit_code == 0, result.output
    return {"folder": folder, "model": model, "poly": poly}


def test_the_curve_is_the_network_and_the_polynomial_through_the_point(converted: dict) -> None:
    polynomial = load_polynomial(converted["poly"])
    figure = plot_figure(PlotRequest(kind="local", source=converted["poly"], output=converted["folder"] / "l.png",
                                     model=converted["model"], axes=("x3",)))
    curve = figure.axes[0]
    network_line, polynomial_line = curve.lines[0], curve.lines[1]
    x3 = network_line.get_xdata()
    points = np.repeat((MEAN + 0.5)[None], x3.size, axis=0)
    points[:, 2] = x3
    session = onnxruntime.InferenceSession(str(converted["model"]))
    np.testing.assert_allclose(network_line.get_ydata(), session.run(None, {"x": points})[0][:, 0], rtol=1e-12)
    np.testing.assert_allclose(polynomial_line.get_ydata(), polynomial.evaluate(points)[:, 0], rtol=1e-12)
    radius = polynomial.diagnostics["validity"]["radius"]
    corners = curve.patches[0].get_path().transformed(curve.patches[0].get_patch_transform()).vertices \
        if hasattr(curve.patches[0], "get_patch_transform") else np.asarray(curve.patches[0].get_xy())
    corners = np.atleast_2d(corners)
    assert corners[:, 0].min() == pytest.approx(MEAN[2] + 0.5 - radius)
    assert corners[:, 0].max() == pytest.approx(MEAN[2] + 0.5 + radius)
    assert x3.min() == pytest.approx(MEAN[2] + 0.5 - 3 * radius)


def test_two_axes_draw_the_surface_and_residual(converted: dict) -> None:
    out = converted["folder"] / "local.png"
    result = CliRunner().invoke(cli, ["plot", str(converted["poly"]), "--kind", "local", "--model",
                                      str(converted["model"]), "--axes", "x1,x4", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_axes_are_one_line(converted: dict) -> None:
    result = CliRunner().invoke(cli, ["plot", str(converted["poly"]), "--kind", "local", "--model",
                                      str(converted["model"]), "--axes", "x9", "-o", str(converted["folder"] / "b.png")])
    assert result.exit_code == 2 and "--axes takes one or two distinct inputs" in result.stderr
    assert not (converted["folder"] / "b.png").exists()
