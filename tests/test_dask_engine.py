"""``--engine dask``: each Parquet partition is evaluated on a worker process and the results merged.

One ``dask.distributed.LocalCluster`` per module (two worker processes, one thread each, as a
small real cluster is), reached through ``--scheduler`` like a remote one. The oracle is the
single-machine run on the same dataset: equal row counts, worst rows, verdicts and agreement
counts, metrics to 1e-12 relative (the same sums grouped by partition, see test_metrics_merge.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from datasets import write_partitions
from oracles import one_error_line
from polyx import save_polynomial
from polyx.cli.main import cli
from test_data_formats import HEADER, ROWS, assert_same_report
from test_verify import least_squares_polynomial, ort_outputs
from test_verify_cli import MODEL, SAMPLES, fitted, provenance

TWO_OUTPUTS = SAMPLES / "k3_t2o15_seq_sigmoid_3-8-8-2.onnx"


@pytest.fixture(scope="module")
def scheduler() -> str:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(MODEL, tmp_path / "model.onnx")
    save_polynomial(fitted(tmp_path / "model.onnx", 3), tmp_path / "model.poly.json")
    write_partitions(tmp_path / "parts", HEADER, ROWS, [400, 401, 1300])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def report_of(*args: str) -> dict:
    result = run("verify", *args, "--json")
    assert result.exit_code in (0, 1), result.output + result.stderr
    report = json.loads(result.stdout)
    report.pop("seconds")
    return report


def test_verify_on_dask_equals_the_single_machine_report(project: Path, scheduler: str) -> None:
    gates = ("--target", "y", "--min-r2", "0.99", "--max-abs", "0.01")
    local = report_of("parts", *gates)
    distributed = report_of("parts", *gates, "--engine", "dask", "--scheduler", scheduler)
    assert_same_report(distributed, local)
    assert distributed["data"]["rows"] == ROWS.shape[0]
    assert [(gate["metric"], gate["passed"]) for gate in distributed["gates"]] == [
        ("nonfinite_rows", True), ("max_abs", False), ("r2", True)]


def test_argmax_agreement_and_an_empty_partition_merge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scheduler: str) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(TWO_OUTPUTS, "two.onnx")
    x = np.random.default_rng(5).uniform(-1, 1, size=(1500, 3))
    poly = least_squares_polynomial(x, ort_outputs(TWO_OUTPUTS, x), 2, provenance=provenance(Path("two.onnx")),
                                    method={"name": "least_squares_test"})
    save_polynomial(poly, "two.poly.json")
    write_partitions(Path("parts"), ["x1", "x2", "x3"], x, [600, 600, 1100])
    gates = ("--poly", "two.poly.json", "--min-argmax-agreement", "0.5")
    local = report_of("parts", *gates)
    distributed = report_of("parts", *gates, "--engine", "dask", "--scheduler", scheduler)
    assert_same_report(distributed, local)
    assert distributed["classification"]["argmax_agreement"]["rows"] == 1500


def test_predict_on_dask_writes_one_parquet_part_per_partition(project: Path, scheduler: str) -> None:
    result = run("predict", "model.poly.json", "parts", "--target", "y", "-o", "local.parquet")
    assert result.exit_code == 0, result.stderr
    result = run("predict", "model.poly.json", "parts", "--target", "y", "-o", "out", "--engine", "dask",
                 "--scheduler", scheduler)
    assert result.exit_code == 0, result.stderr
    assert "wrote out: 2000 rows" in result.stdout
    parts = sorted(path.name for path in Path("out").iterdir())
    assert parts == [f"part-{i:05d}.parquet" for i in range(4)]
    assert [pq.ParquetFile(Path("out") / name).metadata.num_rows for name in parts] == [400, 1, 899, 700]
    np.testing.assert_array_equal(pq.read_table("out").column("y1").to_numpy(),
                                  pq.read_table("local.parquet").column("y1").to_numpy())
    assert not [path.name for path in project.iterdir() if path.name.startswith(".")]


def test_a_bad_value_on_a_worker_is_the_same_one_line(project: Path, scheduler: str) -> None:
    rows = ROWS[1300:].copy()
    rows[41, 1] = np.inf
    pq.write_table(pq.read_table("parts/part-003.parquet").set_column(1, "x2", [rows[:, 1]]), "parts/part-003.parquet")
    local = one_error_line(run("verify", "parts", "--target", "y"))
    distributed = one_error_line(run("verify", "parts", "--target", "y", "--engine", "dask", "--scheduler", scheduler))
    assert distributed == local
    assert "part-003.parquet, row 42, column 'x2': inf is not a finite number" in local


@pytest.mark.parametrize("args, expected", [
    (["verify", "data.csv", "--engine", "dask"], "--engine dask verify works on a Parquet dataset"),
    (["predict", "model.poly.json", "parts", "--target", "y", "-o", "parts", "--engine", "dask"], "parts: already exists"),
    (["predict", "model.poly.json", "parts", "--target", "y", "--engine", "dask"], "writes a folder of Parquet files"),
    (["verify", "parts", "--target", "y", "--scheduler", "tcp://127.0.0.1:1"], "add --engine dask"),
], ids=["csv", "existing-output", "stdout", "scheduler-alone"])
def test_dask_refusals_are_one_line(project: Path, args: list[str], expected: str) -> None:
    shutil.copy(SAMPLES / "polynomial4.csv", "data.csv")
    assert expected in one_error_line(run(*args))


def test_without_a_scheduler_a_local_cluster_is_started_for_the_run(project: Path) -> None:
    local = report_of("parts", "--target", "y")
    distributed = report_of("parts", "--target", "y", "--engine", "dask")
    assert_same_report(distributed, local)


def test_an_address_that_is_not_one_is_one_line(project: Path) -> None:
    message = one_error_line(run("verify", "parts", "--target", "y", "--engine", "dask", "--scheduler", "nonsense"))
    assert "--scheduler nonsense: cannot reach a Dask scheduler there" in message
