"""``polyx plot``: each kind drawn from the sample models, what it draws checked against oracles.

Oracles: term rankings and pure-power images recomputed from the exponent rows here; network
outputs from onnxruntime directly; pre-activations from the ONNX file's own initializers with
numpy; the share of pre-activations where the Taylor polynomial misses tanh, from SymPy's series.
Files are checked as files: PNG/SVG/PDF signatures, and the PNG decoded and not blank.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime
import pytest
import sympy
from click.testing import CliRunner, Result
from matplotlib.image import imread
from onnx import numpy_helper

from oracles import one_error_line
from polyx import expand, load_network, save_polynomial
from polyx.cli.main import cli
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.plots import MissingPlotDependencyError, PlotRequest, heatmap_figure, plot, plot_figure

SAMPLES = Path(__file__).resolve().parent.parent / "sample_models"
DATA = SAMPLES / "polynomial4.csv"
REGRESSION = SAMPLES / "polynomial4_tanh_l1.onnx"
CLASSIFIER = SAMPLES / "pt_ts17_seq_softmax_4-8-8-3.onnx"
FLATTEN = SAMPLES / "pt_ts17_seq_flatten_tanh_2x3-8-1.onnx"
ROWS = np.loadtxt(DATA, delimiter=",", skiprows=1)[:, :4]
# The plots and the oracles compute the same float64 quantities in different orders.
CLOSE = 1e-12


def saved(poly: Polynomial, path: Path) -> Path:
    save_polynomial(poly, path)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """nn2poly polynomials of sample models: a regression, a softmax classifier, a 2×3-input network."""
    path = tmp_path_factory.mktemp("plots")
    saved(expand(load_network(REGRESSION), "nn2poly", order=3), path / "regression.poly.json")
    saved(expand(load_network(CLASSIFIER), "nn2poly", order=2), path / "classifier.poly.json")
    saved(expand(load_network(FLATTEN), "nn2poly", order=3), path / "flat.poly.json")
    return path


def figure_of(kind: str, source: Path, **options: object):
    return plot_figure(PlotRequest(kind=kind, source=source, output=Path("unused.png"), **options))


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["plot", *args])


def assert_png_drawn(path: Path) -> None:
    """A real PNG that decodes to a picture with content, not a blank canvas."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    pixels = imread(io.BytesIO(data), format="png")[..., :3]
    assert pixels.shape[0] > 200 and pixels.shape[1] > 200
    ink = (pixels < 0.9).any(axis=2).mean()
    assert 0.02 < ink < 0.9, ink
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50


def test_coefficients_are_the_largest_terms_coloured_by_sign(folder: Path) -> None:
    from matplotlib.colors import to_hex

    from polyx import load_polynomial
    from polyx.plots import NEGATIVE, POSITIVE

    poly = load_polynomial(folder / "regression.poly.json")
    figure = figure_of("coefficients", folder / "regression.poly.json", top=6)
    bars = figure.axes[0].patches
    values = poly.coefficients[0]
    ranked = sorted(range(values.size), key=lambda t: -abs(values[t]))[:6]
    assert [bar.get_width() for bar in bars] == pytest.approx([abs(values[t]) for t in ranked], rel=0, abs=0)
    assert [to_hex(bar.get_facecolor()) for bar in bars] == [
        POSITIVE.lower() if values[t] >= 0 else NEGATIVE.lower() for t in ranked
    ]
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert labels[:4] == ["x2·x3", "x4", "x1", "1"]


def test_diagonal_plots_onnxruntime_against_the_polynomial(folder: Path) -> None:
    from polyx import load_polynomial

    poly = load_polynomial(folder / "regression.poly.json")
    figure = figure_of("diagonal", folder / "regression.poly.json", data=DATA, max_rows=300)
    points = figure.axes[0].collections[0].get_offsets()
    session = onnxruntime.InferenceSession(str(REGRESSION), providers=["CPUExecutionProvider"])
    network = session.run(None, {"x": ROWS[:300].astype(np.float32)})[0][:, 0]
    terms = np.prod(ROWS[:300, None, :] ** poly.exponents[None], axis=2) @ poly.coefficients[0]
    np.testing.assert_allclose(points[:, 0], network, rtol=0, atol=0)
    np.testing.assert_allclose(points[:, 1], terms, rtol=CLOSE, atol=CLOSE * np.abs(terms).max())
    assert figure.axes[0].get_title().startswith("y1: R² 0.99")


def test_diagonal_of_a_classifier_compares_logits(folder: Path) -> None:
    """The polynomial stands for the logits; the x axis holds the network's logits, as verify compares."""
    figure = figure_of("diagonal", folder / "classifier.poly.json", data=DATA, exclude=("y",), max_rows=100)
    session = onnxruntime.InferenceSession(str(CLASSIFIER), providers=["CPUExecutionProvider"])
    probabilities = session.run(None, {session.get_inputs()[0].name: ROWS[:100].astype(np.float32)})[0]
    logits = np.stack([ax.collections[0].get_offsets()[:, 0] for ax in figure.axes[:3]], axis=1)
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    # float32 network: its softmax and the softmax of its float32 logits agree to float32 rounding.
    np.testing.assert_allclose(softmax, probabilities, rtol=0, atol=1e-6)
    assert "logits" in figure.axes[0].get_xlabel()


def test_potentials_use_the_files_own_weights() -> None:
    """The histograms span x Wᵀ + b computed from the ONNX initializers; the share outside the 1%
    interval matches a dense scan of SymPy's Taylor polynomial."""
    model = onnx.load(str(REGRESSION))
    weights = {init.name: numpy_helper.to_array(init).astype(np.float64) for init in model.graph.initializer}
    gemms = [node for node in model.graph.node if node.op_type == "Gemm"]
    assert all(next(a.i for a in node.attribute if a.name == "transB") == 1 for node in gemms)
    u1 = ROWS @ weights[gemms[0].input[1]].T + weights[gemms[0].input[2]]
    u2 = np.tanh(u1) @ weights[gemms[1].input[1]].T + weights[gemms[1].input[2]]

    figure = figure_of("potentials", REGRESSION, data=DATA, taylor_orders=3)
    histograms = [ax.patches for ax in figure.axes if ax.patches and not ax.get_title()]
    assert len(histograms) == 2  # one per layer, else the zip below would check nothing
    for bars, u in zip(histograms, (u1, u2)):
        assert len(bars) == 60
        assert bars[0].get_x() == pytest.approx(min(-1.5, u.min()), abs=1e-9)
        assert bars[-1].get_x() + bars[-1].get_width() == pytest.approx(max(1.5, u.max()), abs=1e-9)
        assert sum(bar.get_height() * bar.get_width() for bar in bars) == pytest.approx(1.0, abs=1e-9)

    symbol = sympy.Symbol("u")
    taylor = sympy.lambdify(symbol, sympy.series(sympy.tanh(symbol), symbol, 0, 4).removeO(), "numpy")
    grid = np.arange(0, 3, 1e-5)
    inside = [grid[np.argmax(np.abs(taylor(s * grid) - np.tanh(s * grid)) > 0.01 * np.maximum(1, np.abs(np.tanh(grid))))]
              for s in (-1, 1)]
    outside = np.mean((u1 < -inside[0]) | (u1 > inside[1]))
    assert 0.01 < outside < 0.5, "order 3 leaves some of these pre-activations outside: a check that can fail"
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    assert titles[1] == "layer 2: linear (exact)"
    share = float(titles[0].removeprefix("layer 1: tanh, order 3: ").removesuffix("% outside")) / 100
    # The grid step 1e-5 moves the interval ends by at most that: a few of 32,000 values at most.
    assert share == pytest.approx(outside, abs=0.0006)


def test_relu_has_no_taylor_series_at_its_kink() -> None:
    model = SAMPLES / "pt_dyn20_seq_relu_2-8-1.onnx"
    figure = figure_of("potentials", model, data=DATA, columns=("x1", "x2"))
    assert figure.axes[0].get_title() == "layer 1: relu: no Taylor series at the centre"


def test_heatmap_shows_the_pure_powers_of_each_pixel() -> None:
    rng = np.random.default_rng(0)
    exponents = np.concatenate([np.zeros((1, 12), dtype=int), np.eye(12, dtype=int), 3 * np.eye(12, dtype=int),
                                [[1, 1] + [0] * 10]])
    coefficients = rng.normal(size=(2, exponents.shape[0]))
    poly = Polynomial(tuple(f"p{i}" for i in range(12)), ("a", "b"), exponents, coefficients, method={"name": "test"},
                      provenance={"input_shape": [1, 3, 4]})
    figure = heatmap_figure(poly, None)
    images = [ax.images[0].get_array() for ax in figure.axes if ax.images]
    expected = {}
    for row, exponent in enumerate(exponents):
        if (exponent > 0).sum() == 1:
            order, pixel = int(exponent.sum()), int(np.flatnonzero(exponent)[0])
            expected.setdefault(order, np.zeros((2, 12)))[:, pixel] = coefficients[:, row]
    assert sorted(expected) == [1, 3]
    want = [expected[order][output].reshape(3, 4) for output in (0, 1) for order in (1, 3)]
    assert len(images) == 4
    for got, image in zip(images, want):
        np.testing.assert_array_equal(np.asarray(got), image)


@pytest.mark.parametrize(
    ("args", "extension"),
    [
        (["regression.poly.json", "--kind", "coefficients"], "regression.coefficients.png"),
        (["regression.poly.json", "--kind", "diagonal", "--data", str(DATA), "--max-rows", "400"], "regression.diagonal.png"),
        ([str(REGRESSION), "--kind", "potentials", "--data", str(DATA)], "polynomial4_tanh_l1.potentials.png"),
        (["flat.poly.json", "--kind", "heatmap"], "flat.heatmap.png"),
    ],
)
def test_each_kind_renders_a_png(folder: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], extension: str) -> None:
    monkeypatch.chdir(folder)
    result = run(*args)
    assert result.exit_code == 0, result.output + result.stderr
    assert f"wrote {extension}" in result.stdout
    assert_png_drawn(folder / extension)


@pytest.mark.parametrize(("name", "signature"), [("c.svg", b"<?xml"), ("c.pdf", b"%PDF-")])
def test_vector_formats(folder: Path, name: str, signature: bytes) -> None:
    result = run(str(folder / "regression.poly.json"), "-k", "coefficients", "-o", str(folder / name))
    assert result.exit_code == 0, result.output
    data = (folder / name).read_bytes()
    assert data.startswith(signature) and len(data) > 5_000
    if name.endswith(".svg"):
        assert b"<svg" in data[:2000]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["regression.poly.json", "-k", "coefficients", "-o", "c.jpg"], "c.jpg: plots are written as .png, .svg or .pdf"),
        (["regression.poly.json", "-k", "diagonal"], "--kind diagonal needs --data DATA.csv"),
        (["regression.poly.json", "-k", "heatmap", "--shape", "3x3"], "--shape 3x3 holds 9 values but the polynomial has 4 variables"),
        (["regression.poly.json", "-k", "heatmap", "--shape", "2xa"], "--shape '2xa' must be positive whole numbers joined by x"),
        (["regression.poly.json", "-k", "coefficients", "--outputs", "y9"], "--outputs y9: no such output; the polynomial's outputs are y1"),
        ([str(REGRESSION), "-k", "potentials", "--data", str(DATA), "--columns", "x1,x2"],
         "polynomial4.csv: the model expects 4 input columns but found 2 (x1, x2)"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(folder: Path, monkeypatch: pytest.MonkeyPatch, args: list[str],
                                                  message: str) -> None:
    monkeypatch.chdir(folder)
    before = sorted(p.name for p in folder.iterdir())
    assert message in one_error_line(run(*args))
    assert sorted(p.name for p in folder.iterdir()) == before


def test_without_matplotlib_says_how_to_install_it(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(folder)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingPlotDependencyError, match=r'^matplotlib is not installed; install it with: pip install "polyx\[plot\]"$'):
        plot(PlotRequest("coefficients", folder / "regression.poly.json", folder / "no-matplotlib.png"))
    line = one_error_line(run("regression.poly.json", "-k", "coefficients", "-o", "no-matplotlib.png"))
    assert line.startswith("polyx: error: matplotlib is not installed; install it with: pip install")
    assert not (folder / "no-matplotlib.png").exists()
