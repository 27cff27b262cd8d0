"""Progress: the library's reports (per layer, per degree, per row chunk) and the bar that draws them,
shown on a terminal only, never with --json, and not for work shorter than the delay."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from polyx import load_network
from polyx.cli import progress as cli_progress
from polyx.cli.terminal import Terminal
from polyx.expansion.methods.expand import expand
from polyx.progress import report, reporting
from test_verify_cli import DATA, MODEL, fitted

DEEP = Path(__file__).resolve().parents[1] / "sample_models" / "k3_t2o15_seq_sigmoid_3-8-8-2.onnx"


def test_an_expansion_reports_every_layer_and_its_degrees() -> None:
    calls: list[tuple[str, int, int | None]] = []
    network = load_network(DEEP)
    with reporting(lambda stage, done, total: calls.append((stage, done, total))):
        polynomial = expand(network, "nn2poly", order=3)
    layers = [(done, total) for stage, done, total in calls if stage == "layer"]
    n = len(network.layers)
    # The last hidden layer and a linear output layer are done in one contracted step: 0, 1, then 3 of 3.
    assert layers[0] == (0, n) and layers[-1] == (n, n) and all(total == n for _, total in layers)
    assert all(a[0] < b[0] for a, b in zip(layers, layers[1:])) and len(layers) >= n
    degrees = [(done, total) for stage, done, total in calls if stage == "degree"]
    assert degrees and all(1 <= done <= total for done, total in degrees)
    quiet = expand(network, "nn2poly", order=3)
    np.testing.assert_array_equal(quiet.coefficients, polynomial.coefficients)


def test_reports_outside_a_reporting_block_go_nowhere() -> None:
    report("layer", 1, 2)
    calls: list = []
    with reporting(lambda *values: calls.append(values)):
        report("rows", 5, None)
    report("rows", 6, None)
    assert calls == [("rows", 5, None)]


def test_verify_reports_rows_up_to_the_total(tmp_path: Path) -> None:
    from polyx.verification import verify_polynomial

    shutil.copy(MODEL, tmp_path / "model.onnx")
    seen: list[tuple[int, int | None]] = []
    verify_polynomial(fitted(tmp_path / "model.onnx", 2), tmp_path / "model.onnx", DATA, chunk_rows=300,
                      progress=lambda done, total: seen.append((done, total)))
    size = DATA.stat().st_size
    assert len(seen) == 7 and seen[-1] == (size, size)
    assert all(a[0] < b[0] for a, b in zip(seen, seen[1:]))


def _terminal(is_terminal: bool) -> tuple[Terminal, io.StringIO]:
    stream = io.StringIO()
    console = Console(file=stream, force_terminal=is_terminal, width=100)
    return Terminal(stdout=Console(file=io.StringIO()), stderr=console), stream


@pytest.mark.parametrize("is_terminal, enabled, delay, drawn", [
    (True, True, 0.0, True),
    (False, True, 0.0, False),
    (True, False, 0.0, False),
    (True, True, 60.0, False),
], ids=["terminal", "pipe", "json", "quick"])
def test_the_bar_is_drawn_only_on_a_terminal_for_a_person_after_the_delay(
    monkeypatch: pytest.MonkeyPatch, is_terminal: bool, enabled: bool, delay: float, drawn: bool
) -> None:
    monkeypatch.setattr(cli_progress, "DELAY_SECONDS", delay)
    terminal, stream = _terminal(is_terminal)
    with cli_progress.progress_bar(terminal, "converting", enabled=enabled) as update:
        update("layer", 1, 3)
        update("degree", 2, 5)
    assert ("converting: layer" in stream.getvalue()) is drawn


@pytest.mark.parametrize("method, options, stage", [
    ("lsq", {}, "fit rows"),
    ("lsq", {}, "degree"),
    ("taylor", {"at": [0.1, -0.2, 0.3], "terms": "diagonal"}, "inputs"),
], ids=["lsq-empirical-rows", "lsq-empirical-degrees", "taylor-diagonal"])
def test_every_method_reports_its_own_stage(method: str, options: dict, stage: str) -> None:
    calls: list[tuple[int, int | None]] = []

    def listen(name: str, done: int, total: int | None) -> None:
        if name == stage:
            calls.append((done, total))

    with reporting(listen):
        expand(load_network(DEEP), method, order=2, **options)
    assert calls and all(a[0] < b[0] for a, b in zip(calls, calls[1:]))
    done, total = calls[-1]
    assert total is None or done == total
