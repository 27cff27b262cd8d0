"""The polynomial as dependency-free source code: C, JavaScript, Python, SQL and Excel formulas.

One Horner-tree builder (``horner``) turns each output's terms into nested multiply-adds; one
small module per target (``c``, ``javascript``, ``python``, ``sql``, ``excel``) writes it in that
language; ``program`` gathers what every target needs (identifiers, centre, output activation,
header) and ``export`` reads the artifact, picks the writer and writes the file atomically.
"""

from __future__ import annotations

__all__ = ["TARGETS", "SUFFIXES"]

TARGETS = ("c", "javascript", "python", "sql", "excel")
"""The source targets of ``polyx export --to``, in the order the help lists them."""

SUFFIXES = {"c": ".c", "javascript": ".js", "python": ".py", "sql": ".sql", "excel": ".excel.txt"}
"""The default file ending of each target (``model.poly.json`` → ``model.poly.c``)."""
