"""The head of an ONNX graph read straight from the protobuf wire format, without importing onnx.

``polyx verify`` runs the model under onnxruntime and only needs to know whether the graph ends in
a Softmax, LogSoftmax or Sigmoid (whose input it then also reads). Answering that with the onnx
package costs its import (most of a second, mostly ml_dtypes' extension) and a full load of the
network; the answer usually sits in a few node headers. This module reads just those: the graph's
node list (op type, domain, inputs, outputs), its outputs' and initializers' names, skipping every
tensor by its length prefix, so a 2 MB model is scanned in milliseconds.

Wire format (protobuf encoding): each field is a varint key ``field_number << 3 | wire_type``, then
a varint (type 0), 8 bytes (1), a varint length and that many bytes (2), or 4 bytes (5). Field
numbers are onnx.proto's: ModelProto.graph = 7; GraphProto.node = 1, initializer = 5,
output = 12; NodeProto.input = 1, output = 2, op_type = 4, domain = 7; ValueInfoProto.name = 1;
TensorProto.name = 8.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

__all__ = ["WireNode", "GraphHead", "read_graph_head", "ends_in_affine_map"]

PASSTHROUGH = frozenset({"Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Cast", "Dropout"})
"""Ops that carry the data on unchanged (as far as a final Softmax is concerned)."""
AFFINE = frozenset({"Gemm", "MatMul", "Conv"})


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message (the caller falls back to onnx's parser)."""


@dataclass(frozen=True)
class WireNode:
    """A node's header: what verify's final-op question needs, nothing else."""

    op_type: str
    domain: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class GraphHead:
    """The nodes and the output and initializer names of a model's main graph."""

    nodes: tuple[WireNode, ...]
    outputs: tuple[str, ...]
    initializers: frozenset[str]


def _varint(data: memoryview, position: int) -> tuple[int, int]:
    """(value, next position) of the base-128 varint at ``position`` (7 bits per byte, low first)."""
    value, shift = 0, 0
    while True:
        if position >= len(data) or shift > 63:
            raise WireError("truncated varint")
        byte = data[position]
        value |= (byte & 0x7F) << shift
        position += 1
        if byte < 0x80:
            return value, position
        shift += 7


def _fields(data: memoryview) -> Iterator[tuple[int, int, memoryview | int]]:
    """(field number, wire type, payload) of each field of one message; length-delimited payloads
    are zero-copy views, the other wire types their integer value or position."""
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        number, kind = key >> 3, key & 7
        if kind == 0:
            value, position = _varint(data, position)
            yield number, kind, value
        elif kind == 1:
            position += 8
        elif kind == 2:
            length, position = _varint(data, position)
            if position + length > len(data):
                raise WireError("truncated field")
            yield number, kind, data[position : position + length]
            position += length
        elif kind == 5:
            position += 4
        else:
            raise WireError(f"wire type {kind}")
        if position > len(data):
            raise WireError("truncated field")


def _text(payload: memoryview | int) -> str:
    if isinstance(payload, int):
        raise WireError("expected a string")
    return bytes(payload).decode("utf-8")


def _node(payload: memoryview) -> WireNode:
    inputs, outputs, op_type, domain = [], [], "", ""
    for number, kind, value in _fields(payload):
        if kind != 2:
            continue
        if number == 1:
            inputs.append(_text(value))
        elif number == 2:
            outputs.append(_text(value))
        elif number == 4:
            op_type = _text(value)
        elif number == 7:
            domain = _text(value)
    return WireNode(op_type, domain, tuple(inputs), tuple(outputs))


def _name(payload: memoryview, field: int) -> str:
    for number, kind, value in _fields(payload):
        if number == field and kind == 2:
            return _text(value)
    return ""


def read_graph_head(path: str | Path) -> GraphHead:
    """The main graph's node headers and output/initializer names; ``WireError`` when the file is
    not a well-formed ModelProto with a graph (the onnx package then reports it properly)."""
    data = memoryview(Path(path).read_bytes())
    graph = next((value for number, kind, value in _fields(data) if number == 7 and kind == 2), None)
    if graph is None:
        raise WireError("no graph")
    nodes, outputs, initializers = [], [], set()
    for number, kind, value in _fields(graph):
        if kind != 2:
            continue
        if number == 1:
            nodes.append(_node(value))
        elif number == 5:
            initializers.add(_name(value, 8))
        elif number == 12:
            outputs.append(_name(value, 1))
    return GraphHead(tuple(nodes), tuple(outputs), frozenset(initializers))


def ends_in_affine_map(head: GraphHead, output: str | None) -> bool:
    """True when ``output`` (the graph's only output when None) is made by an affine op with
    constant parameters (Gemm, MatMul, Conv, or Add/Sub of a constant), after ops that pass data
    through: such a graph has no final Softmax, LogSoftmax or Sigmoid in any decomposition.
    False whenever that is not certain (the caller then asks the full loader)."""
    if output is None:
        if len(head.outputs) != 1:
            return False
        output = head.outputs[0]
    producers = {name: node for node in head.nodes for name in node.outputs}
    constants = set(head.initializers) | {name for node in head.nodes if node.op_type == "Constant" for name in node.outputs}
    node = producers.get(output)
    while node is not None and node.domain in ("", "ai.onnx") and node.op_type in PASSTHROUGH and node.inputs:
        node = producers.get(node.inputs[0])
    if node is None or node.domain not in ("", "ai.onnx"):
        return False
    if node.op_type in AFFINE:
        return all(name in constants for name in node.inputs[1:])
    if node.op_type in ("Add", "Sub") and len(node.inputs) == 2:
        return node.inputs[1] in constants or node.inputs[0] in constants
    return False
