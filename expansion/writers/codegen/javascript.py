"""The polynomial as one JavaScript function ``predict(x1, …)`` returning an array, for browsers and Node."""

from __future__ import annotations

from polyx.expansion.writers.codegen.program import build_program, float_literal
from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["write_javascript", "JS_RESERVED"]

JS_RESERVED = frozenset(
    "await break case catch class const continue debugger default delete do else enum export extends false finally "
    "for function if implements import in instanceof interface let new null package private protected public return "
    "static super switch this throw true try typeof var void while with yield arguments eval undefined NaN Infinity "
    "Math module exports predict".split()
)
"""ECMAScript reserved words, strict-mode restrictions and the names the file itself uses."""


def write_javascript(poly: Polynomial, logits: bool = False) -> str:
    """A strict-mode script defining ``predict``; under Node it is also ``module.exports.predict``."""
    program = build_program(poly, JS_RESERVED, logits)
    lines = [f"// {line}" for line in program.header]
    params = ", ".join(ident for _, ident in program.inputs)
    lines += ['"use strict";', "", f"function predict({params}) {{"]
    if program.center is None:
        variables = [ident for _, ident in program.inputs]
    else:
        variables = [f"polyx_d{i}" for i in range(len(program.inputs))]
        lines += [f"  const polyx_d{i} = {ident} - ({float_literal(value)});"
                  for i, ((_, ident), value) in enumerate(zip(program.inputs, program.center))]
    expressions = program.expressions(variables, float_literal)
    lines.append("  const polyx_z = [")
    lines += [f"    {expression}," for expression in expressions]
    lines.append("  ];")
    if program.activation is None:
        lines.append("  return polyx_z;")
    else:
        lines += [
            "  const polyx_max = Math.max(...polyx_z);",
            "  const polyx_e = polyx_z.map((z) => Math.exp(z - polyx_max));",
            "  const polyx_sum = polyx_e.reduce((a, b) => a + b, 0);",
        ]
        if program.activation == "softmax":
            lines.append("  return polyx_e.map((e) => e / polyx_sum);")
        else:
            lines.append("  return polyx_z.map((z) => z - polyx_max - Math.log(polyx_sum));")
    lines += ["}", "", 'if (typeof module !== "undefined" && module.exports) {', "  module.exports = { predict };", "}"]
    return "\n".join(lines) + "\n"
