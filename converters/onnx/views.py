"""Read-only views of an ONNX graph: the only place that touches protobuf fields.

Pattern handlers see ``OnnxNode`` (attributes parsed once into plain Python) and ``OnnxGraph``
(constants already gathered from initializers, ``Constant`` nodes and folded constant subgraphs;
data consumers and producers indexed). Exporters differ in where they keep constants; after this
module they all look the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Mapping

import numpy as np

from polyx.converters.onnx.folding import FOLDABLE_OPS, fold_node
from polyx.errors import ModelLoadError

__all__ = ["OnnxNode", "OnnxGraph", "parse_model"]


def _attribute_value(attribute: Any) -> Any:
    from onnx import helper, numpy_helper

    value = helper.get_attribute_value(attribute)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if hasattr(value, "dims") and hasattr(value, "data_type"):
        return numpy_helper.to_array(value)
    if isinstance(value, list):
        return tuple(item.decode("utf-8", errors="replace") if isinstance(item, bytes) else item for item in value)
    return value


@dataclass(frozen=True)
class OnnxNode:
    """One node: op type, tensor names and attributes as plain Python values."""

    index: int
    name: str
    op_type: str
    domain: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attributes: Mapping[str, Any]

    @property
    def label(self) -> str:
        """The node's name, or a stand-in naming its position and first output when the exporter left it empty."""
        if self.name:
            return self.name
        first = self.outputs[0] if self.outputs else "?"
        return f"#{self.index} {self.op_type} -> {first}"

    def attribute(self, key: str, default: Any = None) -> Any:
        """An attribute value, or the ONNX default the caller passes."""
        return self.attributes.get(key, default)


def _constant_node_value(node: OnnxNode) -> np.ndarray | None:
    for key, dtype in (("value", None), ("value_float", np.float32), ("value_floats", np.float32),
                       ("value_int", np.int64), ("value_ints", np.int64)):
        if key in node.attributes:
            return np.asarray(node.attributes[key], dtype=dtype)
    return None


class OnnxGraph:
    """A model's main graph with constants folded and data flow indexed.

    ``constants`` maps every tensor whose value is known without the input (initializers,
    Constant nodes, folded subgraphs) to its array. ``data_nodes`` are the remaining nodes, in
    file order: the computation that depends on the input.
    """

    def __init__(self, model: Any, source: str) -> None:
        from onnx import numpy_helper

        graph = model.graph
        self.source = source
        self.opsets = MappingProxyType({entry.domain or "": int(entry.version) for entry in model.opset_import})
        self.producer_name = " ".join(part for part in (model.producer_name, model.producer_version) if part)
        self.ir_version = int(model.ir_version)
        self.nodes = tuple(
            OnnxNode(
                index=index,
                name=node.name,
                op_type=node.op_type,
                domain=node.domain or "",
                inputs=tuple(node.input),
                outputs=tuple(node.output),
                attributes=MappingProxyType({a.name: _attribute_value(a) for a in node.attribute}),
            )
            for index, node in enumerate(graph.node)
        )
        constants: dict[str, np.ndarray] = {}
        for tensor in graph.initializer:
            try:
                constants[tensor.name] = numpy_helper.to_array(tensor)
            except Exception as error:  # a truncated file leaves raw_data shorter than the dims say
                raise ModelLoadError(
                    f"{source}: weight '{tensor.name}' is damaged ({error}); the file is truncated or corrupt, export it again"
                ) from None
        initializer_names = set(constants)
        self.input_specs = tuple(
            (value.name, _value_type(value)) for value in graph.input if value.name not in initializer_names
        )
        self.output_specs = tuple((value.name, _value_type(value)) for value in graph.output)
        self._check_defined(initializer_names)
        self.constants = MappingProxyType(_fold_constants(self.nodes, constants, source))
        self._shape_nodes = _shape_subgraph(self.nodes, self.constants)
        self.data_nodes = tuple(
            node for node in self.nodes
            if not (node.outputs and all(out in self.constants for out in node.outputs))
            and not (node.outputs and node.outputs[0] in self._shape_nodes)
        )
        self._producers = {out: node for node in self.data_nodes for out in node.outputs if out}
        consumers: dict[str, list[OnnxNode]] = {}
        for node in self.data_nodes:
            for name in dict.fromkeys(node.inputs):
                if name and name not in self.constants:
                    consumers.setdefault(name, []).append(node)
        self._consumers = {name: tuple(nodes) for name, nodes in consumers.items()}

    def _check_defined(self, initializer_names: set[str]) -> None:
        """Every tensor a node or output reads must be defined: a truncated file usually fails here."""
        if not self.nodes and not self.output_specs:
            raise ModelLoadError(f"{self.source}: the ONNX graph is empty (no nodes, no outputs); the file is truncated or not a model")
        defined = initializer_names | {name for name, _ in self.input_specs}
        for node in self.nodes:
            for name in node.inputs:
                if name and name not in defined:
                    raise ModelLoadError(
                        f"{self.source}: node '{node.label}' reads tensor '{name}', which nothing defines; "
                        "the file is truncated or corrupt, export it again"
                    )
            defined.update(node.outputs)
        for name, _ in self.output_specs:
            if name not in defined:
                raise ModelLoadError(
                    f"{self.source}: graph output '{name}' is never computed; the file is truncated or corrupt, export it again"
                )
        if not self.output_specs:
            raise ModelLoadError(f"{self.source}: the ONNX graph has no output; the file is truncated or corrupt")

    def opset(self, domain: str = "") -> int:
        """The opset version the model declares for a domain (the default domain if not given)."""
        return self.opsets.get(domain, self.opsets.get("", 1))

    def constant(self, name: str) -> np.ndarray | None:
        """The value of a constant tensor, or None if it depends on the input."""
        return self.constants.get(name)

    def consumers(self, name: str) -> tuple[OnnxNode, ...]:
        """Data nodes that read this tensor."""
        return self._consumers.get(name, ())

    def producer(self, name: str) -> OnnxNode | None:
        """The data node that writes this tensor, if any."""
        return self._producers.get(name)

    def is_shape_tensor(self, name: str) -> bool:
        """True for a tensor computed from the shape of the data (``Shape`` and integer ops on it), such
        as the ``[batch, -1]`` target of the flatten that TorchScript and Keras write as
        ``Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1]))``."""
        return name in self._shape_nodes

    def shape_value(self, name: str, shape_of: Callable[[str], tuple[int, ...] | None]) -> np.ndarray | None:
        """The value of a shape tensor when each data tensor ``t`` read by a ``Shape`` has the full shape
        ``shape_of(t)`` (batch first); None when one of those shapes is unknown."""
        values: dict[str, np.ndarray] = {}

        def value(tensor: str) -> np.ndarray | None:
            if tensor in self.constants:
                return self.constants[tensor]
            if tensor not in values:
                node = self._shape_nodes[tensor]
                if node.op_type in _SHAPE_SOURCES:
                    shape = shape_of(node.inputs[0])
                    if shape is None:
                        return None
                    result = _shape_op(node, shape)
                else:
                    inputs = [value(i) if i else None for i in node.inputs]
                    if any(i is None for i, n in zip(inputs, node.inputs) if n):
                        return None
                    result = _folded(node, inputs, self.source)
                values[tensor] = result
            return values[tensor]

        return value(name)

    def data_inputs(self, node: OnnxNode) -> tuple[str, ...]:
        """The node's inputs that depend on the model input (neither constant nor omitted)."""
        return tuple(name for name in node.inputs if name and name not in self.constants)


def _value_type(value: Any) -> tuple[int, tuple[int | str, ...] | None]:
    """(element type, shape) of a graph input/output; dims are ints, or strings for symbolic ones."""
    tensor_type = value.type.tensor_type
    if not tensor_type.HasField("shape"):
        return int(tensor_type.elem_type), None
    dims = tuple(
        int(dim.dim_value) if dim.HasField("dim_value") else (dim.dim_param or "?") for dim in tensor_type.shape.dim
    )
    return int(tensor_type.elem_type), dims


def _folded(node: OnnxNode, inputs: list[np.ndarray | None], source: str) -> np.ndarray | None:
    """The value of a node with known inputs; an op its constants break (a Reshape to an impossible shape,
    a Concat without axis) is a broken file, reported with the node rather than as a crash."""
    try:
        return fold_node(node.op_type, inputs, node.attributes)
    except (ValueError, KeyError, IndexError, TypeError) as error:
        reason = f"missing attribute {error}" if isinstance(error, KeyError) else str(error)
        raise ModelLoadError(
            f"{source}: node '{node.label}' ({node.op_type}) cannot be computed from its constant inputs ({reason}); "
            "the file is corrupt or the op is used against its definition, export it again"
        ) from None


def _fold_constants(nodes: tuple[OnnxNode, ...], constants: dict[str, np.ndarray], source: str) -> dict[str, np.ndarray]:
    """Evaluate Constant nodes and all-constant nodes until nothing changes (files need not be sorted)."""
    changed = True
    while changed:
        changed = False
        for node in nodes:
            if not node.outputs or node.outputs[0] in constants:
                continue
            if node.op_type == "Constant" and node.domain == "":
                value = _constant_node_value(node)
            elif node.inputs and all(not name or name in constants for name in node.inputs) and len(node.outputs) == 1:
                value = _folded(node, [constants[name] if name else None for name in node.inputs], source)
            else:
                value = None
            if value is not None:
                constants[node.outputs[0]] = value
                changed = True
    return constants


_SHAPE_SOURCES = frozenset({"Shape", "Size"})


def _shape_subgraph(nodes: tuple[OnnxNode, ...], constants: Mapping[str, np.ndarray]) -> dict[str, OnnxNode]:
    """The nodes computing from data shapes only (by output tensor): ``Shape``/``Size`` of a data tensor,
    then foldable ops whose other inputs are constants. Their values depend on the batch size, so
    they are evaluated where a handler needs them, not folded."""
    found: dict[str, OnnxNode] = {}
    changed = True
    while changed:
        changed = False
        for node in nodes:
            if len(node.outputs) != 1 or node.outputs[0] in found or node.outputs[0] in constants or node.domain:
                continue
            if node.op_type in _SHAPE_SOURCES:
                shape_like = bool(node.inputs) and node.inputs[0] not in constants
            else:
                operands = [name for name in node.inputs if name]
                shape_like = (
                    node.op_type in FOLDABLE_OPS
                    and any(name in found for name in operands)
                    and all(name in found or name in constants for name in operands)
                )
            if shape_like:
                found[node.outputs[0]] = node
                changed = True
    return found


def _shape_op(node: OnnxNode, shape: tuple[int, ...]) -> np.ndarray:
    """``Shape`` (with opset 15's start/end) or ``Size`` of a tensor of the given shape."""
    if node.op_type == "Size":
        return np.asarray(int(np.prod(shape)), dtype=np.int64)
    start, end = node.attribute("start", 0), node.attribute("end", None)
    return np.asarray(shape[start:end], dtype=np.int64)


def parse_model(data: bytes, source: str) -> Any:
    """Parse ONNX bytes into a ModelProto, turning every protobuf failure into one ModelLoadError line."""
    import onnx

    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception:  # protobuf raises DecodeError and sometimes RuntimeWarning-like errors
        raise ModelLoadError(
            f"{source}: not a valid ONNX model, weight-list JSON or .npz (it does not parse); "
            "check the file is complete and export it again"
        ) from None
    if not model.HasField("graph"):
        raise ModelLoadError(
            f"{source}: not a valid ONNX model, weight-list JSON or .npz (no graph found); "
            "check the file is complete and export it again"
        )
    return model
