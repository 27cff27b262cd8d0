"""`polyx convert` as a pipeline meets it: default output, refusals that write nothing, the memory guard."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from polyx.cli.main import cli
from polyx.expansion.writers.artifact import load_polynomial
from polyx.expansion.kernel.budget import block_sizes, parse_memory
from polyx.errors import OrderTooLargeError

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"
MODEL = SAMPLES / "polynomial4_tanh_l1.onnx"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(*args: str):
    return CliRunner().invoke(cli, ["convert", str(MODEL), *args])


def test_default_output_is_model_poly_json_in_the_current_folder(here: Path) -> None:
    result = _run()
    assert result.exit_code == 0, result.output
    poly = load_polynomial(here / "polynomial4_tanh_l1.poly.json")
    assert poly.method["name"] == "nn2poly" and poly.degree == 2
    assert poly.provenance["source"] == os.path.relpath(MODEL, here)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--at=0,0,0,0"], "--at applies to --method taylor, not nn2poly"),
        (["-m", "lsq", "--taylor-center", "0.5"], "--taylor-center applies to --method nn2poly, not lsq"),
        (["-m", "taylor", "--at=0,0,0,0", "--gaussian", "g.json"], "--gaussian applies to --method lsq, not taylor"),
        (["-m", "hope", "--taylor-center", "0.5"], "--taylor-center applies to --method nn2poly, not hope"),
        (["-m", "global", "--at=0,0,0,0"], "--at applies to --method taylor, not global"),
        (["-q", "40", "--taylor-orders", "40", "--max-memory", "1GB"], "order 40 in 4 variables has 135,751 terms"),
        (["--max-memory", "lots"], "--max-memory 'lots' is not a size"),
    ],
)
def test_refusals_are_one_line_exit_2_and_write_nothing(here: Path, args: list[str], message: str) -> None:
    result = _run(*args)
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.output
    assert list(here.iterdir()) == []


def test_memory_guard_names_a_lower_order_that_fits() -> None:
    from polyx.expansion.kernel.budget import check_expansion_memory

    with pytest.raises(OrderTooLargeError, match=r"lower `order` to \d"):
        check_expansion_memory(50, 8, [50, 50], parse_memory("2GB"))


@pytest.mark.parametrize("n, order, k", [(5, 6, 2), (12, 4, 3), (30, 3, 1)])
def test_interaction_limited_block_sizes_count_the_kept_monomials(n: int, order: int, k: int) -> None:
    from polyx.expansion.kernel.space import MonomialSpace

    full = MonomialSpace(n, order).all_exponents()
    kept = (full > 0).sum(axis=1) <= k
    degrees = full.sum(axis=1)
    assert block_sizes(n, order, k) == [int((kept & (degrees == d)).sum()) for d in range(order + 1)]


@pytest.mark.parametrize("alias, method", [("global", "nn2poly"), ("hope", "taylor")])
def test_aliases_run_their_method(here: Path, alias: str, method: str) -> None:
    point = ["--at=0.1,0.2,0.3,0.4"] if method == "taylor" else []
    result = _run("-m", alias, *point)
    assert result.exit_code == 0, result.output
    assert load_polynomial(here / "polynomial4_tanh_l1.poly.json").method["name"] == method


def test_unknown_method_is_refused_before_the_model_is_read(tmp_path: Path) -> None:
    from polyx.conversion import ConversionRequest, convert
    from polyx.errors import MethodError

    with pytest.raises(MethodError, match="unknown method 'bogus'; choose one of nn2poly, taylor, lsq, global, hope"):
        convert(ConversionRequest(model=tmp_path / "missing.onnx", method="bogus"))
