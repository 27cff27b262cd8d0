"""The polynomial as one C99 function: ``void polyx_predict(double x1, …, double out[K])``."""

from __future__ import annotations

from polyx.expansion.writers.codegen.program import Program, build_program, float_literal
from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["write_c", "C_RESERVED"]

C_RESERVED = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if inline int long "
    "register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while "
    "_Bool _Complex _Imaginary out exp log main errno bool true false NULL EOF BUFSIZ FILENAME_MAX stdin stdout "
    "stderr NAN INFINITY HUGE_VAL HUGE_VALF HUGE_VALL FP_NAN FP_INFINITE FP_ZERO FP_SUBNORMAL FP_NORMAL MATH_ERRNO "
    "MATH_ERREXCEPT math_errhandling assert".split()
)
"""C99 keywords, object-like macros of the standard headers a caller may include before the file
(``NULL``, ``NAN``, ``errno``, …) and the names the function itself uses or calls (``out``, ``exp``, ``log``)."""


def write_c(poly: Polynomial, logits: bool = False) -> str:
    """A self-contained C99 file (only <math.h>, and only for a softmax): the header, then the function.

    Compile with ``cc -c`` (add ``-lm`` when linking a softmax model); ``out`` receives one double
    per output, in the artifact's output order.
    """
    program = build_program(poly, C_RESERVED, logits)
    lines = [f"// {line}" for line in program.header]
    if program.activation:
        lines.append("\n#include <math.h>")
    params = ", ".join(f"double {ident}" for _, ident in program.inputs)
    k = len(program.outputs)
    lines.append(f"\nvoid polyx_predict({params}, double out[{k}])\n{{")
    variables = _centred(program, lines)
    for i, expression in enumerate(program.expressions(variables, float_literal)):
        lines.append(f"    out[{i}] = {expression};")
    lines += _activation(program)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _centred(program: Program, lines: list[str]) -> list[str]:
    lines += [f"    (void){ident};" for i, (_, ident) in enumerate(program.inputs) if i not in program.used]
    if program.center is None:
        return [ident for _, ident in program.inputs]
    names = []
    for i, ((_, ident), value) in enumerate(zip(program.inputs, program.center)):
        if i in program.used:
            lines.append(f"    const double polyx_d{i} = {ident} - ({float_literal(value)});")
        names.append(f"polyx_d{i}")
    return names


def _activation(program: Program) -> list[str]:
    if program.activation is None:
        return []
    k = len(program.outputs)
    lines = [
        "    double polyx_max = out[0], polyx_sum = 0.0;",
        f"    for (int i = 1; i < {k}; i++) if (out[i] > polyx_max) polyx_max = out[i];",
    ]
    if program.activation == "softmax":
        lines += [
            f"    for (int i = 0; i < {k}; i++) {{ out[i] = exp(out[i] - polyx_max); polyx_sum += out[i]; }}",
            f"    for (int i = 0; i < {k}; i++) out[i] /= polyx_sum;",
        ]
    else:
        lines += [
            f"    for (int i = 0; i < {k}; i++) polyx_sum += exp(out[i] - polyx_max);",
            f"    for (int i = 0; i < {k}; i++) out[i] = out[i] - polyx_max - log(polyx_sum);",
        ]
    return lines
