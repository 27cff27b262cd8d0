"""Terminal rendering of the seed papers' analyses: agreement of local polynomials, convergence, adversarial steps."""

from __future__ import annotations

from polyx.cli.terminal import PlainTable, Terminal

__all__ = ["render_agreement", "AGREEMENT_ROWS"]

AGREEMENT_ROWS = 20
"""Terms listed per output in the agreement table (the largest by |mean coefficient|); --format json has all."""


def render_agreement(terminal: Terminal, report: dict) -> None:
    """Per output: each degree's agreement, then the largest terms with their spread across the points."""
    tolerance = report["tolerance"]
    for output, result in report["outputs"].items():
        verdict = "every term agrees: a global polynomial" if result["global"] else "the points disagree on some terms"
        table = PlainTable(title=f"{output}: local polynomials at {report['points']} points, by degree ({verdict})",
                           caption=f"agrees: max − min ≤ {tolerance:g} × max |coefficient| over the points")
        for header in ("degree", "terms", "agreeing", "max rel. spread", "reading"):
            table.add_column(header, justify="left" if header == "reading" else "right")
        for row in result["degrees"]:
            reading = "global" if row["agreeing"] == row["terms"] else "local"
            table.add_row(str(row["degree"]), str(row["terms"]), str(row["agreeing"]),
                          f"{row['max_relative_spread']:.3g}", reading)
        terminal.table(table)
        terms = sorted(result["terms"], key=lambda term: -abs(term["mean"]))[:AGREEMENT_ROWS]
        table = PlainTable(title=f"{output}: {len(terms)} of {len(result['terms'])} terms by |mean coefficient|")
        for header in ("term", "mean", "min", "max", "rel. spread", "agrees"):
            table.add_column(header, justify="left" if header == "term" else "right")
        for term in terms:
            table.add_row(term["term"], f"{term['mean']:.6g}", f"{term['min']:.6g}", f"{term['max']:.6g}",
                          f"{term['relative_spread']:.3g}", "yes" if term["agrees"] else "no")
        terminal.table(table)
