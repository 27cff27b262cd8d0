"""JUnit XML for a verification: one testcase per gate per output, which every CI system can display.

Jenkins, GitLab and GitHub test reporters read the same small subset of the format: a
``testsuites`` root, ``testsuite`` with counts, ``testcase`` with ``classname``/``name``, and a
``failure`` child for a failed case. A gate's measured value goes in the failure message so the
CI page says by how much it failed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from polyx.verification import VerificationReport

__all__ = ["report_to_junit"]

SUITE_NAME = "polyx verify"


def report_to_junit(report: VerificationReport) -> str:
    """The report's gates as a JUnit XML document (UTF-8 text with an XML declaration)."""
    gates = report.gates
    failures = len(report.failed_gates)
    seconds = f"{sum(report.seconds.values()):.6f}"
    counts = {"tests": str(len(gates)), "failures": str(failures), "errors": "0", "skipped": "0", "time": seconds}
    root = ElementTree.Element("testsuites", {"name": SUITE_NAME, **counts})
    suite = ElementTree.SubElement(root, "testsuite", {"name": f"{SUITE_NAME} {report.data['path']}", **counts})
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in _properties(report):
        ElementTree.SubElement(properties, "property", {"name": name, "value": value})
    for gate in gates:
        classname = f"polyx.verify.{gate.output}" if gate.output else "polyx.verify"
        case = ElementTree.SubElement(suite, "testcase", {"classname": classname, "name": gate.label, "time": "0"})
        if not gate.passed:
            failure = ElementTree.SubElement(case, "failure", {"message": gate.describe(), "type": "GateFailed"})
            failure.text = gate.describe()
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _properties(report: VerificationReport) -> list[tuple[str, str]]:
    return [
        ("compared", report.compared),
        ("rows", str(report.data["rows"])),
        ("model", str(report.model["path"])),
        ("polynomial", str(report.polynomial.get("path", ""))),
    ]
