"""LaTeX rendering: read the equations back into SymPy and compare with the rounded polynomial."""

import re

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from polyx.errors import DataError
from polyx.expansion.polynomials.latex import latex_name, latex_number, render_latex
from polyx.expansion.polynomials.polynomial import Polynomial


def _latex_to_sympy(line: str) -> sympy.Expr:
    """Undo the notation render_latex uses for x1..xn (an independent little parser)."""
    text = line.replace(r"\left(", "(").replace(r"\right)", ")").replace(r"\,", "*")
    text = re.sub(r" \\times 10\^\{(-?\d+)\}", r"e\1", text)
    text = re.sub(r"x_\{(\d+)\}", r"x\1", text)
    text = re.sub(r"\^\{(\d+)\}", r"**\1", text)
    text = re.sub(r"(?<=[\w)])\s+(?=[A-Za-z(])", "*", text)
    return sympy.sympify(text, locals={f"x{i}": sympy.Symbol(f"x{i}") for i in range(1, 5)})


def _equations(latex: str) -> dict[str, sympy.Expr]:
    body = latex.removeprefix("\\begin{aligned}\n").removesuffix("\n\\end{aligned}\n")
    equations = {}
    for line in body.split(" \\\\\n"):
        name, rhs = line.split(" &= ")
        equations[name] = _latex_to_sympy(rhs)
    return equations


@st.composite
def cases(draw: st.DrawFn) -> tuple[Polynomial, int, float]:
    n = draw(st.integers(1, 3))
    rows = draw(st.lists(st.lists(st.integers(0, 3), min_size=n, max_size=n), min_size=1, max_size=8, unique_by=tuple))
    mantissas = draw(st.lists(st.floats(-9.99, 9.99), min_size=2 * len(rows), max_size=2 * len(rows)))
    scales = draw(st.lists(st.integers(-9, 9), min_size=2 * len(rows), max_size=2 * len(rows)))
    coefficients = (np.array(mantissas) * 10.0 ** np.array(scales)).reshape(2, len(rows))
    center = draw(st.none() | st.lists(st.sampled_from([0.0, 0.5, -1.25, 3.0]), min_size=n, max_size=n))
    poly = Polynomial(tuple(f"x{i + 1}" for i in range(n)), ("y1", "y2"), rows, coefficients, center=center)
    return poly, draw(st.integers(1, 9)), draw(st.sampled_from([0.0, 1e-3, 1.0]))


@settings(max_examples=80, deadline=None)
@given(cases())
def test_latex_reads_back_as_the_rounded_polynomial(case: tuple[Polynomial, int, float]) -> None:
    poly, digits, threshold = case
    equations = _equations(render_latex(poly, digits=digits, threshold=threshold))
    assert list(equations) == ["y_{1}", "y_{2}"]
    symbols = [sympy.Symbol(name) for name in poly.variables]
    bases = [s - float(f"{c:.{digits}g}") for s, c in zip(symbols, poly.center)] if poly.center is not None else symbols
    for parsed, coefficients in zip(equations.values(), poly.coefficients):
        expected = sum(
            (float(f"{c:.{digits}g}") * sympy.Mul(*[b**int(p) for b, p in zip(bases, row)])
             for c, row in zip(coefficients, poly.exponents) if c != 0 and abs(c) >= threshold),
            sympy.Integer(0),
        )
        difference = sympy.Poly(sympy.expand(parsed - expected), *symbols)
        scale = max([abs(float(c)) for c in sympy.Poly(sympy.expand(expected), *symbols).coeffs()] + [1.0])
        # Both sides hold the same decimal strings; expanding (x - c)^k in floats adds rounding.
        assert all(abs(float(c)) <= 1e-12 * scale for c in difference.coeffs())


def test_layout_terms_by_degree_signs_and_units() -> None:
    poly = Polynomial(("x1", "x2"), ("y1", "y2"), [[0, 0], [1, 0], [0, 1], [2, 1]], [[0.5, -1.0, 1.0, 2.5e-7], [0, 0, 0, 0]])
    assert render_latex(poly, digits=3) == (
        "\\begin{aligned}\n"
        "y_{1} &= 0.5 - x_{1} + x_{2} + 2.5 \\times 10^{-7}\\,x_{1}^{2} x_{2} \\\\\n"
        "y_{2} &= 0\n"
        "\\end{aligned}\n"
    )
    assert "10^{-7}" not in render_latex(poly, threshold=1e-6)


@pytest.mark.parametrize(
    ("name", "latex"),
    [("x1", "x_{1}"), ("x_12", "x_{12}"), ("h", "h"), ("age", r"\mathrm{age}"), ("prob_1", r"\mathrm{prob}_{1}"),
     ("blood pressure", r"\mathrm{blood\ pressure}"), ("a_b", r"\mathrm{a\_b}"), ("50%", r"\mathrm{50\%}")],
)
def test_names_are_escaped_for_math_mode(name: str, latex: str) -> None:
    assert latex_name(name) == latex


def test_indexed_names_match_sympy() -> None:
    assert latex_name("x1") == sympy.latex(sympy.Symbol("x_1"))


def test_numbers_and_variable_names_option() -> None:
    assert latex_number(-0.000123456, 3) == r"-0.000123"
    assert latex_number(123456789.0, 4) == r"1.235 \times 10^{8}"
    poly = Polynomial(("x1",), ("y1",), [[1]], [[2.0]])
    assert render_latex(poly, variable_names=["age"]) == "\\begin{aligned}\ny_{1} &= 2\\,\\mathrm{age}\n\\end{aligned}\n"
    with pytest.raises(DataError, match="2 variable names given for a polynomial in 1 variables"):
        render_latex(poly, variable_names=["a", "b"])
    with pytest.raises(DataError, match="`digits` must be at least 1, got 0"):
        render_latex(poly, digits=0)
