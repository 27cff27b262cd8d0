"""Every option is checked where click parses it (issue 20): finite, in range, bounded, one error line.

Each case the fuzzing pass reported is a test below, run through the real ``polyx`` group in an
empty working folder: the command must exit 2 with one ``polyx: error:`` line that names the
option, print no numpy warning and no traceback, and leave the folder empty. The library's own
size guards (an order of 10⁹, too many Monte-Carlo draws) are tested without the CLI, so that a
caller of ``polyx.expansion`` is protected as well.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from oracles import one_error_line
from polyx.cli.main import cli
from polyx.cli.options import MAX_COORDINATE, MAX_DIGITS, MAX_ROWS, MAX_SAMPLES, MAX_SEED, MAX_TOP
from polyx.converters.load import load_network
from polyx.converters.summary import check_against_onnxruntime
from polyx.errors import OrderTooLargeError
from polyx.expansion.methods import least_squares, monte_carlo
from polyx.expansion.kernel.budget import MAX_ORDER, block_sizes, term_count
from polyx.expansion.methods.least_squares import expand_lsq

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"
TANH = SAMPLES / "k3_t2o15_seq_tanh_4-8-1.onnx"  # one hidden layer: lsq's closed form
DEEP = SAMPLES / "k3_t2o15_seq_relu_6-8-8-1.onnx"  # two hidden layers: lsq's Monte-Carlo fit


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder with a CSV and an artifact of TANH in a subfolder (not counted as output)."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    rows = np.random.default_rng(0).standard_normal((20, 4))
    (inputs / "data.csv").write_text("x1,x2,x3,x4\n" + "\n".join(",".join(f"{v:.6f}" for v in row) for row in rows) + "\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert CliRunner().invoke(cli, ["convert", str(TANH), "-o", str(inputs / "poly.json")]).exit_code == 0
    return work


def refused(folder: Path, *args: str) -> str:
    """The one error line of a refused command that wrote nothing and printed no warning."""
    result: Result = CliRunner().invoke(cli, [a.replace("{in}", str(folder.parent / "inputs")) for a in args])
    line = one_error_line(result)
    assert line.startswith("polyx: error: "), line
    assert "Warning" not in result.stderr and result.stdout == ""
    assert list(folder.iterdir()) == [], "a refused command wrote a file"
    return line


# --- the cases of issue 20 --------------------------------------------------------------------------


def test_negative_seed_with_lsq_is_exit_2_not_3(folder: Path) -> None:
    line = refused(folder, "convert", str(DEEP), "-m", "lsq", "--seed=-1")
    assert "'--seed'" in line and f"0<=x<={MAX_SEED}" in line


def test_plot_with_nan_taylor_center_is_exit_2_not_3(folder: Path) -> None:
    line = refused(folder, "plot", str(TANH), "--kind", "potentials", "--data", "{in}/data.csv", "--taylor-center", "nan")
    assert "'--taylor-center': 'nan' is not a finite number" in line


def test_nan_threshold_is_refused_not_an_all_zero_polynomial(folder: Path) -> None:
    line = refused(folder, "convert", str(TANH), "--threshold", "nan", "--latex", "out.tex")
    assert "'--threshold': 'nan' is not a finite number" in line


def test_inspect_check_with_nan_tolerance_is_exit_2_not_1(folder: Path) -> None:
    line = refused(folder, "inspect", str(TANH), "--check", "--tolerance", "nan")
    assert "'--tolerance': 'nan' is not a finite number" in line


def test_infinite_taylor_center_prints_no_numpy_warning(folder: Path) -> None:
    assert "'--taylor-center': 'inf' is not a finite number" in refused(folder, "convert", str(TANH), "--taylor-center", "inf")


def test_huge_reference_point_prints_no_numpy_warning(folder: Path) -> None:
    line = refused(folder, "convert", str(TANH), "-m", "taylor", "--at=1e300,1,1,1")
    assert "'--at': 1e+300 is outside ±1e+06" in line


def test_infinite_validity_tolerance_is_refused_up_front(folder: Path) -> None:
    line = refused(folder, "convert", str(TANH), "-m", "taylor", "--at=0,0,0,0", "--validity-tolerance", "inf")
    assert "'--validity-tolerance': 'inf' is not a finite number" in line


def test_lsq_samples_beyond_the_limit_are_refused_up_front(folder: Path) -> None:
    start = time.perf_counter()
    line = refused(folder, "convert", str(DEEP), "-m", "lsq", "--samples", "300000000")
    assert f"'--samples': 300000000 is not in the range 1<=x<={MAX_SAMPLES}" in line
    assert time.perf_counter() - start < 5, "the refusal must come before any sampling"


def test_lsq_order_of_a_billion_is_refused_before_any_table(folder: Path) -> None:
    line = refused(folder, "convert", str(TANH), "-m", "lsq", "-q", "1000000000")
    assert f"1000000000 is not in the range 0<=x<={MAX_ORDER}" in line


# --- the library's guards, for callers that bypass the CLI ----------------------------------------


def _forbidden(*_: object, **__: object) -> None:
    raise AssertionError("a table was built before the size guard ran")


def test_library_lsq_refuses_a_billion_before_sizing_anything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(least_squares, "hermite_coefficients", _forbidden)
    monkeypatch.setattr(monte_carlo, "MonomialSpace", _forbidden)
    for model in (TANH, DEEP):
        with pytest.raises(OrderTooLargeError, match=f"order 1000000000 is above {MAX_ORDER}"):
            expand_lsq(load_network(model), order=10**9)


def test_library_lsq_memory_guard_runs_before_the_hermite_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(least_squares, "hermite_coefficients", _forbidden)
    with pytest.raises(OrderTooLargeError, match=r"order 40 in 4 variables has 135,751 terms .* over the `max_memory`"):
        expand_lsq(load_network(TANH), order=40, max_memory=10**6)


def test_library_monte_carlo_memory_guard_runs_before_the_basis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(monte_carlo, "MonomialSpace", _forbidden)
    with pytest.raises(OrderTooLargeError, match=r"Monte-Carlo fit of order 12 in 6 inputs has 18,564 basis terms"):
        expand_lsq(load_network(DEEP), order=12)


def test_library_held_out_draws_are_checked_against_max_memory() -> None:
    # 300 million samples hold out 75 million draws of (2·6 inputs + 8+8+1 activations + 28 terms) float64 = 31.9 GiB.
    with pytest.raises(OrderTooLargeError, match=r"`samples` 300,000,000 \(its held-out R²\) needs about 31\.9 GiB "
                                                 r"for the 75,000,000 draws"):
        expand_lsq(load_network(DEEP), order=2, samples=300_000_000, max_memory=2**30)


def test_library_check_samples_are_checked_against_max_memory() -> None:
    # 10⁸ draws of (4 + 4 + 8 + 1 inputs, activations) and 15 terms: 8·10⁸·32 bytes = 23.8 GiB.
    with pytest.raises(OrderTooLargeError, match=r"`check_samples` 100,000,000 needs about 23\.8 GiB"):
        expand_lsq(load_network(TANH), order=2, check_samples=10**8, max_memory=2**30)


def test_library_inspect_check_draws_are_checked_against_memory() -> None:
    # 10⁶ inputs of 4 values and 8 + 1 activations: 8·10⁶·(3·4 + 2·9) bytes = 228.9 MiB.
    with pytest.raises(OrderTooLargeError, match=r"`samples` 1,000,000 random inputs of 4 values .* about 228\.9 MiB"):
        check_against_onnxruntime(load_network(TANH), samples=10**6, max_memory=10**8)


def test_term_count_is_the_sum_of_the_blocks_in_closed_form() -> None:
    for n_vars in (1, 3, 6):
        for order in range(9):
            for interaction in (None, 1, 2, 3):
                assert term_count(n_vars, order, interaction) == sum(block_sizes(n_vars, order, interaction))


def test_float64_overflow_is_one_line_without_numpy_warnings(folder: Path) -> None:
    # 1e6 to the 60th power is beyond float64: the multiplied-out coefficients overflow.
    line = refused(folder, "convert", str(TANH), "-m", "taylor", "--at=1e6,1,1,1", "-q", "60", "--terms", "diagonal")
    assert "the expansion overflowed float64" in line and "lower --order" in line


# --- every other bounded option -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["convert", str(TANH), "--taylor-orders", "1e30"], "--taylor-orders 1e+30 is above 64, the highest Taylor order"),
        (["convert", str(TANH), "--taylor-orders", "8,nan"], "'--taylor-orders'"),
        (["convert", str(TANH), "--max-memory", "nan"], "--max-memory 'nan' is not a size"),
        (["convert", str(TANH), "--max-memory", "1e400"], "--max-memory '1e400' is not a size"),
        (["convert", str(TANH), "--digits", "1000000000"], f"1000000000 is not in the range 1<=x<={MAX_DIGITS}"),
        (["convert", str(TANH), "--threshold", "-1"], "'--threshold': -1.0 is not in the range x>=0"),
        (["convert", str(TANH), "--taylor-center", "2e6"], f"is not in the range {-MAX_COORDINATE}<=x<={MAX_COORDINATE}"),
        (["convert", str(TANH), "-m", "taylor", "--at=0,nan,0,0"], "'--at': '0,nan,0,0' must list finite numbers"),
        (["convert", str(TANH), "-m", "taylor", "--at="], "'--at': '' is not a comma-separated list of numbers"),
        (["convert", str(TANH), "-m", "taylor", "--at=0", "--max-interaction", "1000"], f"is not in the range 1<=x<={MAX_ORDER}"),
        (["convert", str(TANH), "-m", "taylor", "--at=0", "--validity-tolerance", "0"], "'--validity-tolerance': 0.0 is not in the range x>0"),
        (["convert", str(TANH), "-m", "lsq", "--check-samples", "1000000000"], f"0<=x<={MAX_SAMPLES}"),
        (["convert", str(TANH), "-m", "lsq", "--seed", str(2**64)], f"0<=x<={MAX_SEED}"),
        (["inspect", str(TANH), "--check", "--samples", "1000000000"], f"1<=x<={MAX_SAMPLES}"),
        (["inspect", str(TANH), "--check", "--seed", "-5"], f"0<=x<={MAX_SEED}"),
        (["inspect", str(TANH), "--check", "--tolerance", "-inf"], "'--tolerance': '-inf' is not a finite number"),
        (["show", "{in}/poly.json", "--threshold", "nan"], "'--threshold': 'nan' is not a finite number"),
        (["show", "{in}/poly.json", "--top", str(10**12)], f"1<=x<={MAX_TOP}"),
        (["show", "{in}/poly.json", "--digits", "18"], f"1<=x<={MAX_DIGITS}"),
        (["plot", "{in}/poly.json", "--kind", "coefficients", "--top", str(10**12)], f"1<=x<={MAX_TOP}"),
        (["plot", "{in}/poly.json", "--kind", "diagonal", "--max-rows", str(10**12)], f"1<=x<={MAX_ROWS}"),
        (["plot", str(TANH), "--kind", "potentials", "--taylor-orders", "1e30"], "--taylor-orders 1e+30 is above 64"),
        (["verify", "{in}/data.csv", "--poly", "{in}/poly.json", "--chunk-rows", str(10**12)], f"1<=x<={MAX_ROWS}"),
        (["verify", "{in}/data.csv", "--poly", "{in}/poly.json", "--max-abs", "nan"], "'--max-abs': 'nan' is not a finite number"),
        (["verify", "{in}/data.csv", "--poly", "{in}/poly.json", "--max-rmse", "-1"], "'--max-rmse': -1.0 is not in the range x>=0"),
        (["verify", "{in}/data.csv", "--poly", "{in}/poly.json", "--min-r2", "inf"], "'--min-r2': 'inf' is not a finite number"),
        (["verify", "{in}/data.csv", "--poly", "{in}/poly.json", "--min-r2", "1.5"], "'--min-r2': 1.5 is not in the range x<=1"),
        (["verify", "{in}/data.csv", "--poly", "{in}/poly.json", "--min-argmax-agreement", "2"], "0<=x<=1"),
    ],
)
def test_every_bounded_option_is_refused_in_one_line(folder: Path, args: list[str], expected: str) -> None:
    line = refused(folder, *args)
    assert expected in line, line
    assert line.endswith(f"--help')"), "the line ends with where to read the usage"


def test_the_limits_accept_their_own_bounds(folder: Path) -> None:
    """The bounds are inclusive: the largest seed and the largest coordinate are used, not refused."""
    result = CliRunner().invoke(cli, ["convert", str(TANH), "-m", "taylor", f"--at={MAX_COORDINATE:g},0,0,0", "-q", "1",
                                      "--seed", str(MAX_SEED), "-o", "edge.json"])
    assert result.exit_code == 0, result.stderr
    assert (folder / "edge.json").is_file()
