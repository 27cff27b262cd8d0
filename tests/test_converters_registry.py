"""The pattern registry: opset resolution, and the docs' pattern table (docs/formats/models.md) generated from it."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType

import pytest

from polyx.converters.onnx.views import OnnxNode
from polyx.converters.onnx.patterns import all_patterns, find_pattern, pattern_table_markdown

MODELS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "formats" / "models.md"


def _node(op_type: str) -> OnnxNode:
    return OnnxNode(0, "n", op_type, "", ("a",), ("b",), MappingProxyType({}))


@pytest.mark.parametrize(
    "op_type, opset, since",
    [("Softmax", 11, 1), ("Softmax", 13, 13), ("Softmax", 23, 13), ("Gelu", 20, 20), ("Gelu", 17, None), ("Tanh", 6, 1)],
)
def test_handler_is_resolved_for_the_model_opset(op_type: str, opset: int, since: int | None) -> None:
    found = find_pattern(_node(op_type), opset)
    assert (found.since_version if found else None) == since


@pytest.mark.parametrize(
    "op_type, family",
    [("Gemm", "dense"), ("MatMul", "dense"), ("Add", "dense"), ("BatchNormalization", "normalization"),
     ("Tanh", "activations"), ("Elu", "activations"), ("Softmax", "activations"), ("Flatten", "passthrough"),
     ("Dropout", "passthrough")],
)
def test_supported_ops_resolve_to_a_handler_of_their_family(op_type: str, family: str) -> None:
    entry = find_pattern(_node(op_type), 17)
    assert entry is not None and not entry.refused
    assert (entry.family, entry.handler.__module__) == (family, f"polyx.converters.onnx.{family}")


@pytest.mark.parametrize(
    "op_type, reason",
    [("Conv", "convolution layers are not supported"), ("LayerNormalization", "normalises each sample across its features"),
     ("Einsum", "quantised or general tensor products are not supported"), ("Transpose", "rearranges the data's axes"),
     ("HardSwish", "unsupported activation")],
)
def test_refused_ops_have_no_handler_and_say_why(op_type: str, reason: str) -> None:
    entry = find_pattern(_node(op_type), 17)
    assert entry is not None and entry.refused and entry.handler is None
    assert entry.summary.startswith(reason)


def test_every_handler_lives_in_the_family_it_is_listed_under() -> None:
    """The docs' table groups ops by family; a handler registered from another module would be misfiled."""
    for entry in all_patterns():
        assert entry.summary.strip() and "\n" not in entry.summary, entry
        if entry.handler is not None:
            assert entry.handler.__module__ == f"polyx.converters.onnx.{entry.family}", entry


def test_docs_pattern_table_is_generated_from_the_registry() -> None:
    text = MODELS_PAGE.read_text(encoding="utf-8")
    begin, end = "<!-- patterns:begin -->\n", "<!-- patterns:end -->"
    table = text[text.index(begin) + len(begin): text.index(end)]
    assert table == pattern_table_markdown(), (
        "docs/formats/models.md pattern table is stale: replace it with polyx.converters.onnx.patterns.pattern_table_markdown()"
    )
