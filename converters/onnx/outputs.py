"""Which output of a model polyx reads, when the file has several (a classifier's label and probabilities).

scikit-learn classifiers exported by skl2onnx return a ``label`` (ArgMax, ArrayFeatureExtractor,
Cast: integers) beside the class ``probabilities`` (float), or beside a ZipMap of them (a sequence
of maps, the default ``zipmap=True``). A polynomial stands for numbers, so the one float tensor is
the output: the probabilities, read before the ZipMap. When a file has several float outputs the
user names one (``--model-output NAME``). The loader and onnxruntime make the same choice here.
"""

from __future__ import annotations

from typing import Any

from polyx.errors import ModelLoadError

__all__ = ["choose_output", "restrict_to_output"]

_FLOAT_TYPES = (1, 10, 11, 16)


def _zipmap_inputs(model: Any) -> dict[str, str]:
    return {node.output[0]: node.input[0] for node in model.graph.node if node.op_type == "ZipMap" and node.output}


def choose_output(model: Any, requested: str | None, source: str) -> str:
    """The tensor read as the model's output: ``requested``, else the only graph output, else the one
    float-tensor output (a ZipMap's input standing for the ZipMap); refuses an ambiguous choice."""
    outputs = [value.name for value in model.graph.output]
    zipmaps = _zipmap_inputs(model)
    if requested is not None:
        if requested in zipmaps:
            return zipmaps[requested]
        if requested in outputs or any(requested in node.output for node in model.graph.node):
            return requested
        raise ModelLoadError(f"{source}: no output named '{requested}'; the model's outputs are {', '.join(outputs)}")
    if len(outputs) == 1:
        return zipmaps.get(outputs[0], outputs[0])
    candidates: list[str] = []
    for value in model.graph.output:
        if value.name in zipmaps:
            candidates.append(zipmaps[value.name])
        elif value.type.HasField("tensor_type") and value.type.tensor_type.elem_type in _FLOAT_TYPES:
            candidates.append(value.name)
    candidates = list(dict.fromkeys(candidates))
    if len(candidates) == 1:
        return candidates[0]
    raise ModelLoadError(
        f"{source}: the model has {len(outputs)} outputs ({', '.join(outputs)}) and polyx reads one; "
        "choose it with `model_output`"
    )


def restrict_to_output(model: Any, name: str) -> None:
    """Make ``name`` the model's only output and drop the nodes it does not need (in place)."""
    from onnx import helper

    if [value.name for value in model.graph.output] == [name]:
        return
    known = {value.name: value for value in model.graph.output}
    initializers = {tensor.name for tensor in model.graph.initializer}
    data_inputs = [value for value in model.graph.input if value.name not in initializers]
    # an intermediate tensor computes in the input's float type unless the file says otherwise
    elem_type = data_inputs[0].type.tensor_type.elem_type if data_inputs else 1
    for value in list(model.graph.value_info) + list(model.graph.output):
        if value.name == name and value.type.HasField("tensor_type"):
            elem_type = value.type.tensor_type.elem_type
    output = known.get(name) or helper.make_tensor_value_info(name, elem_type, None)
    needed = {name}
    kept = []
    for node in reversed(list(model.graph.node)):
        if any(out in needed for out in node.output):
            kept.append(node)
            needed.update(node.input)
    del model.graph.node[:]
    model.graph.node.extend(reversed(kept))
    copied = type(output)()
    copied.CopyFrom(output)
    del model.graph.output[:]
    model.graph.output.append(copied)
