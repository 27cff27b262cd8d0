"""``polyx export --to c|javascript|python|sql|excel``: every target is run for real and compared.

Each generated file is executed by an engine polyx does not contain: the C is compiled by the
system ``cc`` and run, the JavaScript by ``node``, the SQL by SQLite (Python's ``sqlite3``), the
Python by ``exec``, and the Excel formulas are translated here, token by token, into Python
expressions (cell references → row values, EXP/LN/MAX → math.exp/math.log/max). The oracle is
``Polynomial.evaluate`` (with a numpy softmax / log-softmax for softmax models); the check is
|code − oracle| ≤ 1e-12 · max(1, |oracle|) on 1,000 random float64 rows. Horner form and the
monomial sums of ``evaluate`` round differently; for these sizes (≤ 35 terms, |x| ≤ 2, degree
≤ 4, coefficients ~ N(0, 1)) both stay within ~1e-14 of the exact value. Inputs cross into C,
node and SQLite as shortest round-trip decimals and come back as 17 significant digits, so the
float64 values are exact on both sides.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from oracles import one_error_line
from polyx import save_polynomial
from polyx.cli.main import cli
from polyx.expansion.writers.codegen.export import export_source, source_code
from polyx.expansion.kernel.monomials import from_exponents
from polyx.expansion.writers.codegen.horner import horner_tree
from polyx.expansion.writers.codegen.program import identifiers
from polyx.expansion.polynomials.polynomial import Polynomial

ROWS = 1000
TOLERANCE = 1e-12
SHA = "ab" * 32


def full_exponents(n: int, degree: int) -> np.ndarray:
    rows = [e for e in itertools.product(range(degree + 1), repeat=n) if sum(e) <= degree]
    return np.array(rows, dtype=np.int64)


def make(n: int, outputs: int, degree: int, seed: int, *, variables=None, center=None, activation=None) -> Polynomial:
    rng = np.random.default_rng(seed)
    exponents = full_exponents(n, degree)
    coefficients = rng.normal(size=(outputs, len(exponents)))
    coefficients[:, rng.random(len(exponents)) < 0.2] = 0.0  # some terms absent
    variables = variables or [f"x{i + 1}" for i in range(n)]
    provenance = {"sha256": SHA, "source": "net.onnx", "output_activation": activation}
    method = {"name": "lsq", "order": degree}
    if activation:
        method["output_space"] = "logits"
    return Polynomial(tuple(variables), tuple(f"y{k + 1}" for k in range(outputs)), exponents, coefficients,
                      center=center, method=method, provenance=provenance)


POLYNOMIALS = {
    "multi_output": lambda: make(3, 2, 4, 1),
    "centred_odd_names": lambda: make(4, 1, 3, 2, variables=["sepal length (cm)", "1st", "x²", "int"],
                                      center=[0.25, -1.5, 2.0, 0.125]),
    "softmax": lambda: make(3, 3, 3, 3, activation="softmax", center=[0.5, 0.0, -0.25]),
    "log_softmax": lambda: make(2, 4, 4, 4, activation="log_softmax"),
    "constant": lambda: Polynomial(("a", "b"), ("y",), np.zeros((1, 2)), [[1.75]], method={"name": "lsq"}),
}


def oracle(poly: Polynomial, x: np.ndarray) -> np.ndarray:
    """Polynomial.evaluate, then the network's output activation in numpy."""
    z = poly.evaluate(x)
    activation = poly.provenance.get("output_activation")
    if activation in ("softmax", "log_softmax"):
        shifted = z - z.max(axis=1, keepdims=True)
        log_total = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return np.exp(shifted - log_total) if activation == "softmax" else shifted - log_total
    return z


def rows_for(poly: Polynomial, seed: int = 11) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-2, 2, (ROWS, len(poly.variables)))


def assert_matches(got: np.ndarray, want: np.ndarray) -> None:
    got = np.asarray(got, dtype=np.float64).reshape(want.shape)
    error = np.abs(got - want) / np.maximum(1.0, np.abs(want))
    assert error.max() <= TOLERANCE, f"largest relative error {error.max():.3g}"


def run_c(code: str, x: np.ndarray, outputs: int, tmp_path: Path) -> np.ndarray:
    (tmp_path / "poly.c").write_text(code)
    reads = ", ".join(f"&v[{i}]" for i in range(x.shape[1]))
    args = ", ".join(f"v[{i}]" for i in range(x.shape[1]))
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\n#include "poly.c"\n'
        f"int main(void) {{ double v[{x.shape[1]}], out[{outputs}];\n"
        f'  while (scanf("{" ".join(["%lf"] * x.shape[1])}", {reads}) == {x.shape[1]}) {{\n'
        f"    polyx_predict({args}, out);\n"
        f'    for (int i = 0; i < {outputs}; i++) printf("%.17g ", out[i]);\n    printf("\\n");\n  }}\n  return 0;\n}}\n'
    )
    compiler = shutil.which("cc") or shutil.which("gcc")
    assert compiler, "no C compiler on PATH"
    compiled = subprocess.run([compiler, "-std=c99", "-pedantic", "-Wall", "-Wextra", "-Werror", "-O2", "-o", str(tmp_path / "poly"),
                    str(tmp_path / "main.c"), "-lm"], capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stderr
    text = "\n".join(" ".join(repr(v) for v in row) for row in x.tolist())
    run = subprocess.run([str(tmp_path / "poly")], input=text, capture_output=True, text=True, check=True)
    return np.array([[float(v) for v in line.split()] for line in run.stdout.splitlines()])


def run_javascript(code: str, x: np.ndarray, tmp_path: Path) -> np.ndarray:
    (tmp_path / "poly.js").write_text(code)
    script = ("const { predict } = require(process.argv[1]); const rows = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
              "process.stdout.write(JSON.stringify(rows.map((r) => predict(...r))));")
    node = shutil.which("node")
    assert node, "node is not on PATH"
    run = subprocess.run([node, "-e", script, str(tmp_path / "poly.js")], input=json.dumps(x.tolist()),
                         capture_output=True, text=True, check=True)
    return np.array(json.loads(run.stdout))


def run_python(code: str, x: np.ndarray) -> np.ndarray:
    namespace: dict = {}
    exec(compile(code, "poly.py", "exec"), namespace)
    return np.array([namespace["predict"](*row) for row in x.tolist()])


def run_sql(code: str, poly: Polynomial, x: np.ndarray) -> np.ndarray:
    connection = sqlite3.connect(":memory:")
    columns = ", ".join('"' + name.replace('"', '""') + '" REAL' for name in poly.variables)
    connection.execute(f"CREATE TABLE polyx_input (row_id INTEGER PRIMARY KEY, {columns})")
    marks = ", ".join("?" * (len(poly.variables) + 1))
    connection.executemany(f"INSERT INTO polyx_input VALUES ({marks})", [(i, *row) for i, row in enumerate(x.tolist())])
    cursor = connection.execute(code)
    assert [d[0] for d in cursor.description] == list(poly.outputs)
    return np.array(cursor.fetchall(), dtype=np.float64)


_CELL = re.compile(r"\b([A-Z]{1,3})([0-9]+)\b")


def excel_to_python(formula: str) -> str:
    """One Excel formula as a Python expression over ``cell['A2']``: the test's own formula engine."""
    assert formula.startswith("=")
    body = formula[1:]
    assert re.fullmatch(r"[A-Z0-9.+\-*/(), E]*", body), body
    body = body.replace("EXP(", "math.exp(").replace("LN(", "math.log(").replace("MAX(", "max(")
    return _CELL.sub(lambda m: f"cell['{m.group(1)}{m.group(2)}']", body)


def run_excel(code: str, poly: Polynomial, x: np.ndarray) -> np.ndarray:
    labels = dict(re.findall(r"^#\s+([A-Z]+2): (.*)$", code, flags=re.M))
    inputs = [labels_cell for labels_cell, label in labels.items() if label.startswith("input ")]
    assert [labels[c][len("input "):] for c in inputs] == list(poly.variables)
    formulas = [line.split("\t", 1) for line in code.splitlines() if line and not line.startswith("#")]
    compiled = [(cell, compile(excel_to_python(formula), cell, "eval")) for cell, formula in formulas]
    outputs = [cell for cell, _ in formulas if labels[cell].startswith("output ")]
    assert [labels[c][len("output "):] for c in outputs] == list(poly.outputs)
    values = []
    for row in x.tolist():
        cell = dict(zip(inputs, row))
        for name, expression in compiled:
            cell[name] = eval(expression, {"math": math, "max": max, "cell": cell})
        values.append([cell[name] for name in outputs])
    return np.array(values)


@pytest.mark.parametrize("name", sorted(POLYNOMIALS))
def test_every_target_runs_and_matches(name: str, tmp_path: Path) -> None:
    poly = POLYNOMIALS[name]()
    x = rows_for(poly)
    want = oracle(poly, x)
    k = len(poly.outputs)
    assert_matches(run_c(source_code(poly, "c"), x, k, tmp_path), want)
    assert_matches(run_javascript(source_code(poly, "javascript"), x, tmp_path), want)
    assert_matches(run_python(source_code(poly, "python"), x), want)
    assert_matches(run_sql(source_code(poly, "sql"), poly, x), want)
    assert_matches(run_excel(source_code(poly, "excel"), poly, x), want)


def test_logits_flag_leaves_the_softmax_off(tmp_path: Path) -> None:
    poly = POLYNOMIALS["softmax"]()
    x = rows_for(poly, 3)
    assert_matches(run_python(source_code(poly, "python", logits=True), x), poly.evaluate(x))
    assert_matches(run_c(source_code(poly, "c", logits=True), x, 3, tmp_path), poly.evaluate(x))


def test_a_converted_sample_network(tmp_path: Path) -> None:
    """A real nn2poly artifact of the softmax sample network, through the CLI: file written, C and SQL match."""
    from polyx import expand, load_network

    sample = Path(__file__).resolve().parent.parent / "sample_models" / "pt_ts17_seq_softmax_4-8-8-3.onnx"
    poly = expand(load_network(sample), "nn2poly", order=3)
    save_polynomial(poly, tmp_path / "m.poly.json")
    result = CliRunner().invoke(cli, ["export", str(tmp_path / "m.poly.json"), "--to", "c", "-o", str(tmp_path / "m.c")])
    assert result.exit_code == 0, result.output
    code = (tmp_path / "m.c").read_text()
    assert f"Model sha256: {poly.provenance['sha256']}" in code and "Method: nn2poly" in code
    x = np.random.default_rng(5).normal(size=(ROWS, 4))
    z = poly.evaluate(x)
    want = np.exp(z - z.max(axis=1, keepdims=True))
    want /= want.sum(axis=1, keepdims=True)
    assert_matches(run_c(code, x, 3, tmp_path), want)
    assert_matches(run_sql(source_code(poly, "sql"), poly, x), want)


def test_header_names_model_method_and_inputs() -> None:
    poly = POLYNOMIALS["centred_odd_names"]()
    code = source_code(poly, "javascript")
    assert f"// Model sha256: {SHA}" in code and "// Method: lsq (order=3)" in code
    assert "function predict(sepal_length__cm_, x_1st, x2, int)" in code  # int is not reserved in JavaScript
    assert "//   x_1st: 1st" in code and "//   x2: x²" in code
    assert "def predict(sepal_length__cm_, x_1st, x2, int_):" in source_code(poly, "python")  # a builtin in Python


def test_names_that_could_break_c_compile_and_match(tmp_path: Path) -> None:
    """A name ending in a backslash (would splice the next line into a // comment), C macros, a reserved _Name."""
    poly = make(4, 2, 2, 9, variables=["NULL", "a\\", "_Bool", "NAN"])
    code = source_code(poly, "c")
    assert "polyx_predict(double NULL_, double a_, double x_Bool, double NAN_" in code
    assert "//   a_: a\\ .\n" in code  # no comment line ends in a backslash
    x = rows_for(poly)
    assert_matches(run_c(code, x, 2, tmp_path), oracle(poly, x))


def test_identifiers_are_distinct_and_not_reserved() -> None:
    assert identifiers(["a b", "a_b", "a-b", "for", "", "9"], {"for"}) == ["a_b", "a_b_2", "a_b_3", "for_", "x_", "x_9"]
    assert identifiers(["X", "x"], (), case_sensitive=False) == ["X", "x_2"]
    assert identifiers(["polyx_max"], ()) == ["polyx_max_"]


def test_horner_tree_uses_one_product_per_term() -> None:
    """A full polynomial (every term present) costs exactly one product per non-constant term; a sparse one at most
    one per monomial of the full space up to its degree."""
    exponents = full_exponents(3, 4)
    rows = from_exponents(exponents)
    full = horner_tree(rows, np.arange(1.0, len(exponents) + 1))
    assert full.multiplications == len(exponents) - 1 and full.variables == {0, 1, 2}
    sparse = horner_tree(rows, np.where(exponents.sum(axis=1) == 4, 1.0, 0.0))
    assert 15 <= sparse.multiplications <= len(exponents) - 1
    assert horner_tree(np.array([[0, 0]]), np.array([3.0])).multiplications == 2


def test_cli_default_name_and_refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    save_polynomial(POLYNOMIALS["multi_output"](), tmp_path / "m.poly.json")
    runner = CliRunner()
    result = runner.invoke(cli, ["export", "m.poly.json", "--to", "javascript"])
    assert result.exit_code == 0 and "wrote m.poly.js" in result.stdout
    refused = runner.invoke(cli, ["export", "m.poly.json", "--to", "c", "--dtype", "float64"])
    assert "--dtype is for --to onnx" in one_error_line(refused)
    before = (tmp_path / "m.poly.json").read_bytes()
    refused = runner.invoke(cli, ["export", "m.poly.json", "--to", "python", "-o", "m.poly.json"])
    assert "same file" in one_error_line(refused)
    assert (tmp_path / "m.poly.json").read_bytes() == before
    refused = runner.invoke(cli, ["export", "m.poly.json", "--to", "fortran"])
    assert refused.exit_code == 2


def test_excel_refuses_a_formula_longer_than_excel_takes(tmp_path: Path) -> None:
    save_polynomial(make(6, 1, 6, 8), tmp_path / "big.json")
    result = CliRunner().invoke(cli, ["export", str(tmp_path / "big.json"), "--to", "excel", "-o", str(tmp_path / "big.txt")])
    assert "Excel takes at most 8192" in one_error_line(result)
    assert not (tmp_path / "big.txt").exists()


def test_sql_refuses_a_missing_column() -> None:
    poly = POLYNOMIALS["multi_output"]()
    connection = sqlite3.connect(":memory:")
    connection.execute('CREATE TABLE polyx_input ("x1" REAL, "x2" REAL)')
    with pytest.raises(sqlite3.OperationalError, match="x3"):
        connection.execute(source_code(poly, "sql"))


def test_export_source_api_writes_atomically(tmp_path: Path) -> None:
    save_polynomial(POLYNOMIALS["softmax"](), tmp_path / "s.json")
    result = export_source(tmp_path / "s.json", tmp_path / "s.sql", "sql")
    assert result.output_space == "probabilities" and result.path.read_text().startswith("-- Generated by polyx")
