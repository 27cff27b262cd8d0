"""The polynomial as one pure-Python function ``predict(x1, …)`` returning a tuple (standard library only)."""

from __future__ import annotations

import builtins
import keyword

from polyx.expansion.writers.codegen.program import build_program, float_literal
from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["write_python", "PY_RESERVED"]

PY_RESERVED = frozenset([*keyword.kwlist, *keyword.softkwlist, *dir(builtins), "math", "predict"])
"""Python keywords, builtins and the names the module defines."""


def write_python(poly: Polynomial, logits: bool = False) -> str:
    """A module defining ``predict``; the outputs come back as a tuple in the artifact's output order."""
    program = build_program(poly, PY_RESERVED, logits)
    lines = [f"# {line}" for line in program.header]
    if program.activation:
        lines += ["", "import math"]
    params = ", ".join(ident for _, ident in program.inputs)
    lines += ["", "", f"def predict({params}):", f'    """The {len(program.outputs)} outputs ({program.space}) at one input row."""']
    if program.center is None:
        variables = [ident for _, ident in program.inputs]
    else:
        variables = [f"polyx_d{i}" for i in range(len(program.inputs))]
        lines += [f"    polyx_d{i} = {ident} - ({float_literal(value)})"
                  for i, ((_, ident), value) in enumerate(zip(program.inputs, program.center))]
    lines.append("    polyx_z = (")
    lines += [f"        {expression}," for expression in program.expressions(variables, float_literal)]
    lines.append("    )")
    if program.activation is None:
        lines.append("    return polyx_z")
    else:
        lines += [
            "    polyx_max = max(polyx_z)",
            "    polyx_e = [math.exp(z - polyx_max) for z in polyx_z]",
            "    polyx_sum = math.fsum(polyx_e)",
        ]
        if program.activation == "softmax":
            lines.append("    return tuple(e / polyx_sum for e in polyx_e)")
        else:
            lines.append("    return tuple(z - polyx_max - math.log(polyx_sum) for z in polyx_z)")
    return "\n".join(lines) + "\n"
