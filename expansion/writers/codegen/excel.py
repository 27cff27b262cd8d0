"""The polynomial as Excel worksheet formulas: inputs in row 2 from column A, one formula per output cell.

The file is text: ``#`` comment lines (the header and the cell map), then one line per cell,
``CELL<TAB>=FORMULA``, to paste into that cell; copy row 2 down to evaluate more rows. A softmax
model gets its logits in helper cells, their maximum in one more, then the probabilities.
"""

from __future__ import annotations

from polyx.errors import DataError
from polyx.expansion.writers.codegen.program import build_program, comment_text, float_literal
from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["write_excel", "column_letters", "MAX_FORMULA", "ROW"]

MAX_FORMULA = 8192
"""Excel's limit on the characters of one cell formula."""

ROW = 2
"""Row 1 is for headings; the first input row is row 2."""


def column_letters(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: Excel's column names."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def excel_number(value: float) -> str:
    """A float64 literal Excel reads back as the same value (shortest round-trip digits, E exponent)."""
    return float_literal(value).upper()


def write_excel(poly: Polynomial, logits: bool = False) -> str:
    """The cell map and formulas; a formula longer than Excel accepts is refused, naming the output."""
    program = build_program(poly, (), logits)
    n = len(program.inputs)
    cells = [f"{column_letters(i)}{ROW}" for i in range(n)]
    if program.center is None:
        variables = cells
    else:
        variables = [f"({cell}-({excel_number(value)}))" for cell, value in zip(cells, program.center)]
    expressions = program.expressions(variables, excel_number)
    k = len(program.outputs)
    lines = [f"# {line}" for line in program.header]
    lines.append("# Cells (row 2; row 1 is free for headings; copy row 2 down for more rows):")
    lines += [f"#   {cell}: input {comment_text(name)}" for cell, (name, _) in zip(cells, program.inputs)]
    formulas: list[tuple[str, str, str]] = []
    if program.activation is None:
        formulas += [(f"{column_letters(n + i)}{ROW}", f"output {name}", expression)
                     for i, (name, expression) in enumerate(zip(program.outputs, expressions))]
    else:
        logit_cells = [f"{column_letters(n + i)}{ROW}" for i in range(k)]
        largest = f"{column_letters(n + k)}{ROW}"
        formulas += [(cell, f"logit of {name}", expression)
                     for cell, name, expression in zip(logit_cells, program.outputs, expressions)]
        formulas.append((largest, "largest logit", f"MAX({','.join(logit_cells)})"))
        total = "+".join(f"EXP({cell}-{largest})" for cell in logit_cells)
        for i, (cell, name) in enumerate(zip(logit_cells, program.outputs)):
            if program.activation == "softmax":
                formula = f"EXP({cell}-{largest})/({total})"
            else:
                formula = f"{cell}-{largest}-LN({total})"
            formulas.append((f"{column_letters(n + k + 1 + i)}{ROW}", f"output {name}", formula))
    for cell, label, formula in formulas:
        if len(formula) + 1 > MAX_FORMULA:
            raise DataError(
                f"the Excel formula for the {label} is {len(formula) + 1} characters, Excel takes at most {MAX_FORMULA}; "
                "export a pruned polynomial (fewer terms) or choose another `target`"
            )
    lines += [f"#   {cell}: {comment_text(label)}" for cell, label, _ in formulas]
    lines += [f"{cell}\t={formula}" for cell, _, formula in formulas]
    return "\n".join(lines) + "\n"
