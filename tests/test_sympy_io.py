"""SymPy in and out: the expressions, the standalone module, and SymPy as an evaluation oracle."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from polyx.errors import ArtifactError
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.writers.sympy_io import polynomial_to_sympy, render_sympy_module, sympy_to_polynomial

# The brief's tolerance: SymPy and polyx agree to 1e-12 relative. SymPy evaluates each expression
# with 40 significant digits, so the only rounding is polyx's float64 sum; "relative" is taken to
# the sum of |terms| at the point, the natural scale of a sum that may cancel.
RELATIVE = 1e-12


@st.composite
def polynomials(draw: st.DrawFn) -> Polynomial:
    n = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(st.integers(0, 4), min_size=n, max_size=n), min_size=1, max_size=15, unique_by=tuple))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    coefficients = rng.normal(size=(2, len(rows))) * 10.0 ** rng.integers(-6, 6, size=(2, len(rows)))
    center = rng.uniform(-1, 1, size=n) if draw(st.booleans()) else None
    return Polynomial(tuple(f"x{i + 1}" for i in range(n)), ("y1", "y2"), rows, coefficients, center=center)


def _sympy_values(expressions: list[sympy.Expr], names: tuple[str, ...], x: np.ndarray) -> np.ndarray:
    symbols = [sympy.Symbol(name) for name in names]
    return np.array(
        [[float(expr.evalf(40, subs=dict(zip(symbols, map(sympy.Float, row))))) for expr in expressions] for row in x]
    )


def _assert_close(poly: Polynomial, values: np.ndarray, x: np.ndarray) -> None:
    scale = np.stack([np.abs(poly.contributions(x, k)).sum(axis=1) for k in range(len(poly.outputs))], axis=1)
    assert np.all(np.abs(poly.evaluate(x) - values) <= RELATIVE * np.maximum(scale, np.finfo(float).tiny))


@settings(max_examples=40, deadline=None)
@given(polynomials(), st.integers(0, 2**32 - 1))
def test_sympy_expressions_equal_the_polynomial_at_random_points(poly: Polynomial, seed: int) -> None:
    x = np.random.default_rng(seed).uniform(-2, 2, size=(4, len(poly.variables)))
    _assert_close(poly, _sympy_values(polynomial_to_sympy(poly), poly.variables, x), x)


@settings(max_examples=40, deadline=None)
@given(polynomials())
def test_round_trip_through_sympy_is_bit_exact_without_center(poly: Polynomial) -> None:
    plain = Polynomial(poly.variables, poly.outputs, poly.exponents, poly.coefficients)
    back = sympy_to_polynomial(polynomial_to_sympy(plain), plain.variables, plain.outputs)
    nonzero = np.abs(plain.coefficients).max(axis=0) > 0
    assert np.array_equal(back.exponents, plain.exponents[nonzero])
    assert np.array_equal(back.coefficients, plain.coefficients[:, nonzero])


def test_module_imports_with_sympy_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    poly = Polynomial(
        ("x1", "blood pressure", "class"),
        ("y1", "y 2"),
        [[0, 0, 0], [1, 0, 0], [0, 1, 1], [2, 1, 0]],
        [[0.1, -2.5, 1.0, 3e-7], [-1.0, 0.0, 0.30000000000000004, -1.0]],
        center=[0.5, -1.0, 0.0],
        method={"name": "nn2poly"},
    )
    path = tmp_path / "poly_module.py"
    path.write_text(render_sympy_module(poly))
    monkeypatch.setitem(sys.modules, "polyx", None)  # any `import polyx` in the module now fails
    spec = importlib.util.spec_from_file_location("poly_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.undo()
    expected = polynomial_to_sympy(poly)
    assert list(module.OUTPUTS) == ["y1", "y 2"]
    assert [s.name for s in module.VARIABLES] == ["x1", "blood pressure", "class"]
    assert [str(e) for e in module.OUTPUTS.values()] == [str(e) for e in expected]
    assert all(a == b for a, b in zip(module.OUTPUTS.values(), expected))
    assert module.class_ is module.VARIABLES[2] and module.y_2 is module.OUTPUTS["y 2"]
    x = np.random.default_rng(3).uniform(-2, 2, size=(5, 3))
    _assert_close(poly, _sympy_values(list(module.OUTPUTS.values()), poly.variables, x), x)


def test_sympy_to_polynomial_expands_an_independent_expression() -> None:
    x1, x2 = sympy.symbols("x1 x2")
    expression = (1 + x1 - sympy.Rational(1, 3) * x2) ** 3 + sympy.sqrt(2) * x1 * x2
    poly = sympy_to_polynomial(expression, ["x1", "x2"], ["f"])
    assert poly.outputs == ("f",) and poly.method == {"name": "sympy"}
    assert poly.exponents.tolist() == [[0, 0], [1, 0], [0, 1], [2, 0], [1, 1], [0, 2], [3, 0], [2, 1], [1, 2], [0, 3]]
    assert poly.coefficients[0, 4] == float(-sympy.Rational(2) + sympy.sqrt(2))
    x = np.random.default_rng(5).uniform(-2, 2, size=(6, 2))
    _assert_close(poly, _sympy_values([expression], poly.variables, x), x)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (sympy.Symbol("x1") * sympy.Symbol("a"), "the expression for y1 uses a, which are not among the variables"),
        (sympy.sin(sympy.Symbol("x1")), "the expression for y1 is not a polynomial with real coefficients"),
        (sympy.I * sympy.Symbol("x1"), "the expression for y1 is not a polynomial with real coefficients"),
    ],
)
def test_non_polynomials_are_refused(expression: sympy.Expr, message: str) -> None:
    with pytest.raises(ArtifactError, match=message):
        sympy_to_polynomial(expression, ["x1"])


def test_output_names_must_match_the_expressions() -> None:
    with pytest.raises(ArtifactError, match="2 expressions but 1 output names"):
        sympy_to_polynomial([sympy.Integer(1), sympy.Integer(2)], ["x1"], ["y"])
