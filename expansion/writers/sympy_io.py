"""The polynomial as SymPy: expressions in memory, and a standalone ``.py`` file that builds them.

The generated file needs only SymPy to import, so a polynomial can be checked, simplified or
differentiated by people who never install polyx. Coefficients are written as Python float
literals (shortest round-trip repr), which SymPy turns into Floats holding exactly the artifact's
float64 values. Going the other way, any polynomial SymPy expression becomes a ``Polynomial``,
which makes SymPy an independent oracle in the tests.
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata
from typing import TYPE_CHECKING, Sequence

import numpy as np

from polyx import __version__
from polyx.errors import ArtifactError
from polyx.expansion.kernel import monomials as sparse
from polyx.expansion.methods.records import method_record
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.names import printable

if TYPE_CHECKING:
    import sympy

__all__ = ["render_sympy_module", "polynomial_to_sympy", "sympy_to_polynomial"]

_RESERVED = {"sympy", "VARIABLES", "OUTPUTS", *dir(builtins)}
"""Names an identifier may not take: the module's own, and the builtins a reader of the module may use."""


def render_sympy_module(poly: Polynomial) -> str:
    """Python source defining one Symbol per variable and one expression per output.

    Module names: each variable and output under a Python identifier made from its name,
    ``VARIABLES`` (the symbols, in order) and ``OUTPUTS`` (output name → expression).
    """
    taken: set[str] = set()
    variables = [_identifier(name, taken) for name in poly.variables]
    outputs = [_identifier(name, taken) for name in poly.outputs]
    bases = [_python_base(ident, None if poly.center is None else poly.center[i]) for i, ident in enumerate(variables)]
    monomials = [_python_monomial(term, bases) for term in sparse.factors(poly.indices)]
    method = method_record(poly).name or "unknown"
    origin = f" from {poly.provenance['source']}" if poly.provenance.get("source") else ""
    lines = [
        _comment(f"{', '.join(poly.outputs)} as SymPy expressions in {', '.join(poly.variables)}."),
        _comment(f"Written by polyx {__version__} from a polynomial made by the {method} method{origin}."),
        "# Importing this file needs only SymPy; every coefficient is the exact float64 value of the artifact.",
        "",
        "import sympy",
        "",
    ]
    lines += [f"{ident} = sympy.Symbol({name!r})" for ident, name in zip(variables, poly.variables)]
    for ident, coefficients in zip(outputs, poly.coefficients):
        terms = [_python_term(c, monomials[t]) for t, c in enumerate(coefficients.tolist()) if c != 0]
        lines += ["", f"{ident} = sympy.Add(", *[f"    {term}," for term in terms], ")"]
    lines += [
        "",
        f"VARIABLES = ({', '.join(variables)},)",
        "OUTPUTS = {" + ", ".join(f"{name!r}: {ident}" for name, ident in zip(poly.outputs, outputs)) + "}",
        "",
    ]
    return "\n".join(lines)


def polynomial_to_sympy(poly: Polynomial) -> list["sympy.Expr"]:
    """One SymPy expression per output, in powers of (x − center) when the polynomial is centred.

    The coefficients are SymPy Floats with exactly the float64 values; symbols carry the
    variable names and no assumptions, as in ``render_sympy_module``.
    """
    import sympy

    symbols = [sympy.Symbol(name) for name in poly.variables]
    if poly.center is not None:
        symbols = [s - sympy.Float(float(c)) if c else s for s, c in zip(symbols, poly.center)]
    monomials = [sympy.Mul(*[symbols[v] ** p for v, p in term]) for term in sparse.factors(poly.indices)]
    return [
        sympy.Add(*[_sympy_term(sympy.Float(c), monomials[t]) for t, c in enumerate(row.tolist()) if c != 0])
        for row in poly.coefficients
    ]


def _sympy_term(coefficient: "sympy.Float", monomial: "sympy.Expr") -> "sympy.Expr":
    """coefficient × monomial; c·(x − a) is kept unexpanded (SymPy would distribute it)."""
    import sympy

    return sympy.Mul(coefficient, monomial, evaluate=False) if monomial.is_Add else coefficient * monomial


def sympy_to_polynomial(
    expressions: "sympy.Expr | Sequence[sympy.Expr]",
    variables: Sequence["sympy.Symbol | str"],
    outputs: Sequence[str] | None = None,
    *,
    method: dict | None = None,
) -> Polynomial:
    """Expand SymPy polynomials in ``variables`` into a graded-order ``Polynomial`` (not centred).

    Coefficients are rounded once to float64; every other symbol, or a non-polynomial function
    of the variables, is an error naming the output.
    """
    import sympy

    exprs = [expressions] if isinstance(expressions, sympy.Basic) else list(expressions)
    symbols = [sympy.Symbol(v) if isinstance(v, str) else v for v in variables]
    names = outputs if outputs is not None else [f"y{k + 1}" for k in range(len(exprs))]
    if len(names) != len(exprs):
        raise ArtifactError(f"{len(exprs)} expressions but {len(names)} output names; give one name per expression")
    terms = [_sympy_terms(sympy.sympify(expr), symbols, name) for expr, name in zip(exprs, names)]
    exponents = sorted({monomial for output in terms for monomial in output})
    coefficients = np.array([[output.get(monomial, 0.0) for monomial in exponents] for output in terms])
    return Polynomial(
        tuple(s.name for s in symbols),
        tuple(names),
        np.array(exponents, dtype=np.int64).reshape(len(exponents), len(symbols)),
        coefficients.reshape(len(exprs), len(exponents)),
        method=method if method is not None else {"name": "sympy"},
    )


def _sympy_terms(expr: "sympy.Expr", symbols: list["sympy.Symbol"], name: str) -> dict[tuple[int, ...], float]:
    import sympy

    extra = sorted(str(s) for s in expr.free_symbols - set(symbols))
    if extra:
        raise ArtifactError(f"the expression for {name} uses {', '.join(extra)}, which are not among the variables")
    try:
        poly = sympy.Poly(sympy.expand(expr), *symbols)
        return {monomial: float(coefficient) for monomial, coefficient in poly.terms() if coefficient != 0}
    except (sympy.PolynomialError, TypeError):
        raise ArtifactError(f"the expression for {name} is not a polynomial with real coefficients in the variables") from None


def _comment(text: str) -> str:
    """A one-line Python comment, whatever characters the names hold (control characters escaped)."""
    return "# " + " ".join(printable(str(text)).split())


def _identifier(name: str, taken: set[str]) -> str:
    """An ASCII Python identifier for ``name``, distinct from every one handed out before.

    Python reads identifiers NFKC-normalised, so 'ﬁ' and 'fi' (or a fullwidth 'ｓｙｍｐｙ' and the
    module 'sympy') would be one name; normalising first and keeping only ASCII letters, digits
    and '_' makes the identifiers the file defines exactly the ones compared here. 'x²' becomes
    'x2'; anything else non-ASCII becomes '_'. Keywords, builtins, the module's own names and
    names of underscores only or dunders get a suffix or prefix.
    """
    ident = re.sub(r"[^A-Za-z0-9_]", "_", unicodedata.normalize("NFKC", name))
    if not ident.strip("_") or ident[0].isdigit() or ident.startswith("__"):
        ident = f"v_{ident}"
    if keyword.iskeyword(ident) or keyword.issoftkeyword(ident) or ident in _RESERVED:
        ident += "_"
    candidate, suffix = ident, 2
    while candidate in taken:
        candidate, suffix = f"{ident}_{suffix}", suffix + 1
    taken.add(candidate)
    return candidate


def _python_base(ident: str, center: float | None) -> str:
    if center is None or center == 0:
        return ident
    return f"({ident} - {float(center)!r})" if center > 0 else f"({ident} + {-float(center)!r})"


def _python_monomial(term: list[tuple[int, int]], bases: list[str]) -> list[str]:
    return [bases[v] if p == 1 else f"{bases[v]}**{p}" for v, p in term]


def _python_term(value: float, factors: list[str]) -> str:
    """One term of a generated ``sympy.Add``, built exactly as ``polynomial_to_sympy`` builds it.

    Python's left-to-right ``*`` would let SymPy distribute a number over a centred base
    (2.5*(x - 1) → 2.5*x - 2.5), so terms with a centred base are one ``sympy.Mul`` call.
    """
    if not factors:
        return f"sympy.Float({value!r})"
    if not any(factor.startswith("(") for factor in factors):
        return "*".join([repr(value), *factors])
    unevaluated = ", evaluate=False" if len(factors) == 1 and factors[0].endswith(")") else ""
    return f"sympy.Mul({', '.join([repr(value), *factors])}{unevaluated})"
