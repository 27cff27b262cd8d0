"""``polyx trace``: R² of the least-squares polynomial across real training checkpoints.

Oracle: the closed-form (analytic) R² of each checkpoint's polynomial is checked against a
Monte-Carlo R² of the same polynomial against the network run by onnxruntime on Gaussian draws
(independent of polyx's forward pass and of its analytic variance formulas).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from polyx.converters.load import load_network
from polyx.expansion.methods.expand import expand
from polyx.trace import TraceRequest, sort_by_number, trace
from taylor_helpers import run_cli
from training_helpers import train_checkpoints

MC_SAMPLES = 200_000
MC_SIGMAS = 5.0


@pytest.fixture(scope="module")
def shallow(tmp_path_factory) -> list[Path]:
    return train_checkpoints(tmp_path_factory.mktemp("shallow"), steps=(0, 30, 2000))


@pytest.fixture(scope="module")
def deep(tmp_path_factory) -> list[Path]:
    return train_checkpoints(tmp_path_factory.mktemp("deep"), widths=(2, 6, 6, 1), steps=(0, 300), name="deep")


def _monte_carlo_r2(model: Path, polynomial, mean: np.ndarray, cov: np.ndarray) -> tuple[float, float]:
    """R² of the polynomial against onnxruntime on Gaussian draws, with a 20-batch standard error."""
    rng = np.random.default_rng(123)
    x = rng.multivariate_normal(mean, cov, MC_SAMPLES)
    session = onnxruntime.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    y = session.run(None, {session.get_inputs()[0].name: x})[0][:, 0]
    p = polynomial.evaluate(x)[:, 0]

    def r2(rows: np.ndarray) -> float:
        return 1 - np.sum((y[rows] - p[rows]) ** 2) / np.sum((y[rows] - y[rows].mean()) ** 2)

    batches = np.array_split(np.arange(MC_SAMPLES), 20)
    return r2(np.arange(MC_SAMPLES)), float(np.std([r2(b) for b in batches], ddof=1) / np.sqrt(20))


@pytest.mark.parametrize("gaussian", [None, {"mean": [0.3, -0.2], "cov": [[1.0, 0.4], [0.4, 0.7]]}])
def test_analytic_r2_matches_monte_carlo_of_the_same_polynomial(shallow, gaussian, tmp_path) -> None:
    spec = None
    if gaussian is not None:
        spec = tmp_path / "gaussian.json"
        spec.write_text(json.dumps(gaussian))
    result = trace(TraceRequest(checkpoints=shallow, order=3, gaussian=spec))
    mean = np.zeros(2) if gaussian is None else np.array(gaussian["mean"])
    cov = np.eye(2) if gaussian is None else np.array(gaussian["cov"])
    assert len(result.rows) == 3 * 3
    for row in result.rows:
        assert row.kind == "analytic"
        network = load_network(Path(row.checkpoint))
        polynomial = expand(network, "lsq", row.degree, mean=mean, cov=cov)
        estimate, error = _monte_carlo_r2(Path(row.checkpoint), polynomial, mean, cov)
        assert abs(estimate - row.r2) <= MC_SIGMAS * error + 1e-9, (row, estimate, error)


def test_r2_never_falls_with_the_degree_and_training_changes_it(shallow) -> None:
    result = trace(TraceRequest(checkpoints=shallow, order=3))
    for name in result.checkpoints:
        values = [r.r2 for r in result.rows if r.checkpoint == name]
        assert all(b >= a - 1e-12 for a, b in zip(values, values[1:])), values  # nested least-squares spaces
    first = [r.r2 for r in result.rows if r.degree == 1]
    assert first[0] - first[-1] > 0.1  # training on a non-linear target leaves the linear part behind


def test_deeper_checkpoints_are_labelled_monte_carlo(deep) -> None:
    result = trace(TraceRequest(checkpoints=deep, order=2, samples=20_000))
    assert {row.kind for row in result.rows} == {"Monte-Carlo"}
    assert all(0.0 < row.r2 <= 1.0 for row in result.rows)


def test_sort_orders_by_the_number_in_the_name(tmp_path) -> None:
    names = [tmp_path / n for n in ("step_100.onnx", "step_9.onnx", "step_20.onnx")]
    assert [p.name for p in sort_by_number(names)] == ["step_9.onnx", "step_20.onnx", "step_100.onnx"]


def test_cli_table_json_sort_and_plot(shallow, tmp_path) -> None:
    reversed_order = list(reversed(shallow))
    result = run_cli("trace", *reversed_order, "--order", "2", "--sort", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["checkpoints"] == [str(p) for p in shallow]
    assert [r["degree"] for r in data["rows"]] == [1, 2] * 3
    table = run_cli("trace", *shallow, "--order", "2", "--plot", tmp_path / "r2.png")
    assert table.exit_code == 0, table.output
    assert "analytic" in table.output and "degree 2" in table.output
    assert (tmp_path / "r2.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("extra, message", [
    (("--sort",), "has none"),
    (("--plot", "out.txt"), "give a file ending in"),
    (("--gaussian", "g.json", "--data", "d.csv"), "use only one of them"),
])
def test_bad_input_is_one_line(shallow, tmp_path, extra, message) -> None:
    unnumbered = tmp_path / "final.onnx"
    unnumbered.write_bytes(shallow[0].read_bytes())
    result = run_cli("trace", shallow[0], unnumbered, *[str(tmp_path / e) if "." in e else e for e in extra])
    assert result.exit_code == 2
    assert "polyx: error:" in result.output and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out.txt").exists()


def test_data_gives_the_gaussian_of_its_rows(shallow, tmp_path) -> None:
    rows = np.random.default_rng(5).normal([0.5, -0.2], [1.0, 0.5], (400, 2))
    data = tmp_path / "rows.csv"
    data.write_text("u,v\n" + "\n".join(f"{float(a)!r},{float(b)!r}" for a, b in rows) + "\n")
    spec = tmp_path / "g.json"
    spec.write_text(json.dumps({"mean": rows.mean(axis=0).tolist(), "cov": np.cov(rows, rowvar=False).tolist()}))
    from_data = trace(TraceRequest(checkpoints=shallow[-1:], order=2, data=data))
    from_gaussian = trace(TraceRequest(checkpoints=shallow[-1:], order=2, gaussian=spec))
    assert from_data.input_model == f"gaussian fitted to {data}"
    assert [r.r2 for r in from_data.rows] == pytest.approx([r.r2 for r in from_gaussian.rows], abs=1e-12)
    assert all(r.kind == "analytic" for r in from_data.rows)
