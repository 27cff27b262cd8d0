"""The pattern registry: opset resolution, and the README's pattern table generated from it."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import pytest

from polyx.converters.graph import OnnxNode
from polyx.converters.registry import all_patterns, find_pattern, pattern_table_markdown

README = Path(__file__).resolve().parent.parent / "README.md"


def _node(op_type: str) -> OnnxNode:
    return OnnxNode(0, "n", op_type, "", ("a",), ("b",), MappingProxyType({}))


@pytest.mark.parametrize(
    "op_type, opset, since",
    [("Softmax", 11, 1), ("Softmax", 13, 13), ("Softmax", 23, 13), ("Gelu", 20, 20), ("Gelu", 17, None), ("Tanh", 6, 1)],
)
def test_handler_is_resolved_for_the_model_opset(op_type: str, opset: int, since: int | None) -> None:
    found = find_pattern(_node(op_type), opset)
    assert (found.since_version if found else None) == since


def test_every_supported_pattern_has_a_handler_and_every_refusal_a_reason() -> None:
    for entry in all_patterns():
        assert entry.summary
        assert entry.refused == (entry.handler is None)


def test_readme_pattern_table_is_generated_from_the_registry() -> None:
    text = README.read_text(encoding="utf-8")
    begin, end = "<!-- patterns:begin -->\n", "<!-- patterns:end -->"
    table = text[text.index(begin) + len(begin): text.index(end)]
    assert table == pattern_table_markdown(), (
        "README pattern table is stale: replace it with polyx.converters.registry.pattern_table_markdown()"
    )
