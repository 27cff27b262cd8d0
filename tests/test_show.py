"""``polyx show``: the ranked table, the other formats, and one clear line for every bad file."""

import json
from pathlib import Path

import pytest
import sympy
from click.testing import CliRunner

from polyx.cli.main import cli
from polyx.expansion.writers.artifact import save_polynomial
from polyx.expansion.polynomials.polynomial import Polynomial


EXPONENTS = [[0, 0], [1, 0], [0, 1], [2, 0], [1, 1], [0, 2]]
COEFFICIENTS = [[0.5, -1.25, 2.0, 0.01, -0.3, 1e-5], [1.0, 0.0, 0.0, 0.0, 3.0, 0.0]]


@pytest.fixture
def artifact(tmp_path: Path) -> Path:
    poly = Polynomial(
        ("x1", "x2"),
        ("y1", "y2"),
        EXPONENTS,
        COEFFICIENTS,
        method={"name": "manual", "order": 2},
        provenance={"sha256": "ab" * 32},
        diagnostics={"r2": 0.99},
    )
    return save_polynomial(poly, tmp_path / "p.poly.json")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_table_ranks_terms_with_their_share(artifact: Path) -> None:
    code, out, err = _run("show", artifact, "-k", "3")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:5] == [
        "polynomial  2 variables (x1, x2) → 2 outputs (y1, y2), 6 terms up to degree 2",
        "method      manual: order=2",
        "provenance  polyx_version=0.1.0, sha256=abababababab…",
        "center      none",
        "diagnostics r2=0.99",
    ]
    mass = 0.5 + 1.25 + 2.0 + 0.01 + 0.3 + 1e-5  # y1's |coefficient| sum, by hand
    assert "y1: top 3 of 6 terms by |coefficient|" in out
    assert f"│ 1 │ x2   │           2 │ {2.0 / mass:.1%} │" in out
    assert f"│ 2 │ x1   │       -1.25 │ {1.25 / mass:.1%} │" in out
    assert "y2: top 2 of 2 terms by |coefficient|" in out
    assert "│ 1 │ x1·x2 │           3 │ 75.0% │" in out
    assert "│      2 │     3 │        3 │" in out  # degree 2: three terms, all non-zero in some output


def test_threshold_hides_small_terms_in_the_table(artifact: Path) -> None:
    code, out, _ = _run("show", artifact, "--threshold", "0.4")
    assert code == 0
    assert "y1: top 3 of 3 terms by |coefficient|" in out
    assert "x1²" not in out.split("terms per degree")[0]


def test_json_format_is_the_artifact_itself(artifact: Path) -> None:
    code, out, _ = _run("show", artifact, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["format"] == "polyx.polynomial/2"
    assert (data["variables"], data["outputs"]) == (["x1", "x2"], ["y1", "y2"])
    assert (data["monomials"], data["coefficients"]) == ([[], [0], [1], [0, 0], [0, 1], [1, 1]], COEFFICIENTS)
    assert data["method"] == {"name": "manual", "order": 2} and data["diagnostics"] == {"r2": 0.99}
    code, out, _ = _run("show", artifact, "--format", "json", "-k", "1")
    top = json.loads(out)  # y1's largest term is x2 (2.0), y2's is x1·x2 (3.0): both outputs keep both terms
    assert (top["monomials"], top["coefficients"]) == ([[1], [0, 1]], [[2.0, -0.3], [0.0, 3.0]])


def test_latex_format(artifact: Path) -> None:
    code, out, _ = _run("show", artifact, "--format", "latex", "--digits", "2", "--threshold", "0.1")
    assert code == 0
    assert out == (
        "\\begin{aligned}\n"
        "y_{1} &= 0.5 - 1.2\\,x_{1} + 2\\,x_{2} - 0.3\\,x_{1} x_{2} \\\\\n"
        "y_{2} &= 1 + 3\\,x_{1} x_{2}\n"
        "\\end{aligned}\n"
    )


def test_sympy_format_runs_as_python(artifact: Path) -> None:
    code, out, _ = _run("show", artifact, "--format", "sympy")
    assert code == 0
    namespace: dict = {}
    exec(out, namespace)  # noqa: S102 - the generated module is the thing under test
    x1, x2 = sympy.symbols("x1 x2")
    assert namespace["OUTPUTS"]["y2"] == 1.0 + 3.0 * x1 * x2


@pytest.mark.parametrize(
    ("make", "line"),
    [
        (lambda d: d / "missing.json", "{d}/missing.json: no such polynomial file; give a .json file written by polyx convert"),
        (lambda d: _write(d / "bad.json", "{oops"),
         "{d}/bad.json: not valid JSON (line 1, column 2: Expecting property name enclosed in double quotes); "
         "give a polynomial written by polyx convert"),
        (lambda d: _write(d / "other.json", '{"format": "nn2poly/1"}'),
         "{d}/other.json: not a polyx polynomial (format is \"nn2poly/1\", expected 'polyx.polynomial/2'); "
         "give a file written by polyx convert"),
    ],
)
def test_bad_files_are_one_line_exit_2(tmp_path: Path, make, line: str) -> None:
    code, out, err = _run("show", make(tmp_path))
    assert (code, out) == (2, "")
    assert err.splitlines() == ["polyx: error: " + line.format(d=tmp_path)]


def test_bad_options_are_usage_errors(artifact: Path) -> None:
    code, _, err = _run("show", artifact, "--digits", "0")
    assert code == 2 and "Invalid value for '--digits'" in err
    code, _, err = _run("show", artifact, "--format", "pdf")
    assert code == 2 and "Invalid value for '--format'" in err


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
