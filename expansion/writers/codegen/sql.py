"""The polynomial as one SQL query over a table ``polyx_input``: SQLite, and any SQL with ``exp``/``ln``/``max``."""

from __future__ import annotations

from polyx.errors import DataError
from polyx.expansion.writers.codegen.program import build_program, float_literal
from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["write_sql", "TABLE"]

TABLE = "polyx_input"
"""The table (or view) the query reads: one row per input, one column per input name."""


def quoted(name: str) -> str:
    """A standard SQL quoted identifier: any name, exactly as written (a double quote is doubled)."""
    return '"' + name.replace('"', '""') + '"'


def write_sql(poly: Polynomial, logits: bool = False) -> str:
    """A ``WITH … SELECT`` query returning one column per output, named as the outputs, one row per input row.

    The input columns keep their own names (quoted, and qualified by the table so that SQLite
    refuses a missing column instead of reading its name as a string), so the query runs on the
    user's table as it is; arithmetic only, plus ``exp``, ``ln`` and the scalar ``max`` when a softmax is re-applied.
    """
    clash = next((name for name in poly.variables if name.lower().startswith("polyx_")), None)
    if clash is not None:
        raise DataError(f"input '{clash}': names starting with polyx_ are the SQL export's own columns; rename the input")
    program = build_program(poly, (), logits, case_sensitive=False)
    lines = [f"-- {line}" for line in program.header]
    lines.append(f"-- Reads the table {TABLE} (rename it below, or CREATE VIEW {TABLE} AS SELECT … from yours).")
    columns = [f"{TABLE}.{quoted(name)}" for name, _ in program.inputs]
    stages = []
    if program.center is None:
        variables, source = columns, TABLE
    else:
        variables = [f"polyx_d{i}" for i in range(len(columns))]
        centred = ", ".join(f"{column} - ({float_literal(value)}) AS polyx_d{i}"
                            for i, (column, value) in enumerate(zip(columns, program.center)))
        stages.append(f"polyx_centred AS (\n  SELECT *, {centred}\n  FROM {TABLE}\n)")
        source = "polyx_centred"
    expressions = program.expressions(variables, float_literal)
    k = len(program.outputs)
    if program.activation is None:
        select = ",\n".join(f"  {expression} AS {quoted(name)}" for expression, name in zip(expressions, program.outputs))
        body = f"SELECT\n{select}\nFROM {source};"
    else:
        logits = ",\n".join(f"    {expression} AS polyx_z{i}" for i, expression in enumerate(expressions))
        stages.append(f"polyx_logits AS (\n  SELECT\n{logits}\n  FROM {source}\n)")
        largest = f"max({', '.join(f'polyx_z{i}' for i in range(k))})" if k > 1 else "polyx_z0"
        stages.append(f"polyx_shifted AS (\n  SELECT *, {largest} AS polyx_max\n  FROM polyx_logits\n)")
        total = " + ".join(f"exp(polyx_z{i} - polyx_max)" for i in range(k))
        if program.activation == "softmax":
            outputs = [f"exp(polyx_z{i} - polyx_max) / ({total})" for i in range(k)]
        else:
            outputs = [f"polyx_z{i} - polyx_max - ln({total})" for i in range(k)]
        select = ",\n".join(f"  {expression} AS {quoted(name)}" for expression, name in zip(outputs, program.outputs))
        body = f"SELECT\n{select}\nFROM polyx_shifted;"
    query = ("WITH " + ",\n".join(stages) + "\n" if stages else "") + body
    return "\n".join(lines) + "\n" + query + "\n"
