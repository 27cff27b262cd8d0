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


def render_convergence(terminal: Terminal, report: dict | None, warn: bool = False) -> None:
    """HOPE's Table II: per output, the largest derivative of each order and its ratio to the first order's.

    ``warn`` prints the growth warning too (``show``; ``convert`` prints the method's warnings itself)."""
    if not report:
        return
    outputs = list(report["largest_derivative"])
    table = PlainTable(title="convergence: largest |∂^α f(x0)| per order, and its ratio to order 1's",
                       caption="ratios that keep growing with the order: the series may not converge at the inputs' scale")
    table.add_column("order", justify="right")
    for output in outputs:
        table.add_column(f"{output} max |derivative|", justify="right")
        table.add_column(f"{output} ratio", justify="right")
    for index, order in enumerate(report["orders"]):
        cells = [str(order)]
        for output in outputs:
            ratio = report["ratio_to_first"][output][index]
            cells += [f"{report['largest_derivative'][output][index]:.4g}", "—" if ratio is None else f"{ratio:.4g}"]
        table.add_row(*cells)
    terminal.table(table)
    if warn:
        from polyx.expansion.diagnostics.convergence import convergence_warnings

        for warning in convergence_warnings(report):
            terminal.warning(warning)


def render_adversarial(terminal: Terminal, report, variables: tuple[str, ...], digits: int) -> None:
    """Per output: the most sensitive unit direction for a step ε, the quadratic's, polynomial's and network's change."""
    from polyx.expansion.polynomials.quadratic_form import direction_text

    checked = f"network: {report.model} under onnxruntime" if report.model else "network not run"
    first = report.steps[0].step if report.steps else None
    epsilon = f"{first.epsilon:g}" if first else "?"
    table = PlainTable(title=f"adversarial directions: unit u maximising |Δ| of the quadratic for a step ε = {epsilon} "
                             f"from {report.start}",
                       caption=f"Δ = value at x_b + εu − value at x_b; {checked}")
    for header in ("output", "direction u (largest loadings)", "Δ quadratic", "Δ polynomial", "Δ network"):
        table.add_column(header, justify="left" if header.startswith(("output", "direction")) else "right")
    for item in report.steps:
        step = item.step
        network = "—" if item.network_change is None else f"{item.network_change:.{digits}g}"
        table.add_row(step.output, direction_text(step.direction, variables, digits=min(digits, 3)),
                      f"{step.quadratic_change:.{digits}g}", f"{step.polynomial_change:.{digits}g}", network)
    terminal.table(table)
    if report.note:
        terminal.warning(report.note)
