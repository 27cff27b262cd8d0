"""Names that reach a terminal or a generated file: which characters are refused, and how they are shown.

Variable and output names come from files the user may not have written (an artifact, a CSV
header, an ONNX graph). A name holding ESC can rewrite the terminal it is printed on, a
right-to-left override can make a name read as another, and a newline breaks the one-line error
contract. So: an artifact whose names hold such characters is refused when it is read
(``check_names``), and anything printed on the terminal shows them as visible escapes
(``printable``), whatever its origin.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from polyx.errors import ArtifactError

__all__ = ["UNSAFE", "unsafe_characters", "printable", "check_names"]

UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
"""C0 and C1 control characters (ESC, BEL, CR, newline, …), zero-width characters, line and
paragraph separators, and the bidirectional embeddings, overrides and isolates."""


def unsafe_characters(text: str) -> list[str]:
    """The characters of ``text`` that a terminal or an editor would act on instead of showing."""
    return UNSAFE.findall(text)


_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    if match.group() in _NAMED:
        return _NAMED[match.group()]
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, keep: str = "") -> str:
    """``text`` with every unsafe character shown as ``\\n``, ``\\x1b`` or ``\\u202e`` (those in ``keep`` left as they are)."""
    return UNSAFE.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)


def check_names(names: Iterable[str], field: str, where: str, fix: str = "rename it in the file") -> None:
    """Refuse names holding control or invisible characters: what they would do on a terminal is not theirs to decide."""
    for name in names:
        found = unsafe_characters(name)
        if found:
            character = found[0]
            label = unicodedata.name(character, "control character")
            raise ArtifactError(
                f"{where}: '{field}' name {printable(repr(name))} holds U+{ord(character):04X} ({label}); names may not "
                f"hold control or invisible characters; {fix}"
            )
