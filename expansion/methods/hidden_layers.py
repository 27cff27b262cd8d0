"""Hidden-neuron polynomials (nn2poly's ``keep_layers``): every hidden layer's outputs as polynomials in the inputs.

For a dense chain, the polynomial of hidden layer l is the expansion of the prefix network made
of layers 1 … l: every method's bookkeeping (nn2poly's degree schedule min(degree · q, Q), the
local Taylor series, the least-squares projection) depends only on the layers before, so the
prefix's output polynomial is exactly the hidden layer's polynomial inside the full expansion.
They are written to a separate file, one block per layer holding all its neurons as outputs, and
only on request (``convert --keep-layers``), so the main artifact stays as compact as before.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Callable

from polyx.converters.ir.graph import Elementwise, Graph, MaxPool, Product
from polyx.converters.onnx.graph_loader import prune
from polyx.converters.ir.chain import Network
from polyx.errors import ArtifactError, DataError
from polyx.expansion.polynomials.polynomial import Polynomial

__all__ = ["LAYERS_FORMAT", "prefix_networks", "layers_path", "layers_text", "load_layer"]

LAYERS_FORMAT = "polyx.layers/1"


def prefix_networks(network: Network | Graph) -> list[tuple[str, Network | Graph]]:
    """("layer1", layers 1 … 1), … for a chain, one per hidden layer; ("node3", the graph up to node 3),
    … for a graph, one per hidden non-linear node (an activation, a gate's product, a max-pool):
    the models whose outputs are the hidden neurons or channels."""
    if isinstance(network, Graph):
        return _prefix_graphs(network)
    prefixes = []
    for index in range(len(network.layers) - 1):
        prefix = replace(network, layers=network.layers[: index + 1], output_activation=None, output_shape=None)
        prefixes.append((f"layer{index + 1}", prefix))
    if not prefixes:
        raise DataError("`keep_layers`: the network has no hidden layer (a single dense layer); drop the option")
    return prefixes


def _prefix_graphs(graph: Graph) -> list[tuple[str, Graph]]:
    """Every hidden non-linear node's sub-graph (the nodes it reads, itself last)."""
    hidden = [index for index, node in enumerate(graph.nodes[:-1]) if isinstance(node, (Elementwise, Product, MaxPool))]
    if not hidden:
        raise DataError("`keep_layers`: the graph has no hidden non-linear node; drop the option")
    return [(f"node{index}", replace(graph, nodes=tuple(prune(list(graph.nodes), index)), output_activation=None,
                                     output_shape=None)) for index in hidden]


def _last_step(prefix: Network | Graph) -> tuple[str, int]:
    """(what the block's last step computes, how many values it has)."""
    if isinstance(prefix, Graph):
        node = prefix.nodes[-1]
        what = str(node.activation) if isinstance(node, Elementwise) else type(node).__name__.lower()
        return f"{what} ({node.label})" if node.label else what, int(node.size)
    return str(prefix.layers[-1].activation), prefix.layers[-1].out_features


def layers_path(output: Path) -> Path:
    """``model.poly.json`` → ``model.layers.json`` (else the output's name + ``.layers.json``), beside it."""
    name = output.name
    stem = name[: -len(".poly.json")] if name.endswith(".poly.json") else name
    return output.with_name(stem + ".layers.json")


def layers_text(blocks: list[tuple[str, Network, Polynomial]], to_json: Callable[[Polynomial], str]) -> str:
    """The layers file: its format, and per hidden layer its name, activation, width and polynomial artifact."""
    layers = [{"name": name, "activation": _last_step(prefix)[0], "neurons": _last_step(prefix)[1],
               "polynomial": json.loads(to_json(polynomial))} for name, prefix, polynomial in blocks]
    return json.dumps({"format": LAYERS_FORMAT, "layers": layers}, indent=1) + "\n"


def load_layer(path: Path, name: str) -> Polynomial:
    """Hidden layer ``name``'s polynomial from a layers file, or from the layers file beside an artifact."""
    from polyx.expansion.writers.artifact import polynomial_from_json
    from polyx.paths import require_input

    path = Path(path)
    require_input(path, "polynomial")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; give the artifact or its .layers.json") from None
    except (OSError, ValueError) as error:
        raise ArtifactError(f"{path}: not a readable JSON file ({error})") from None
    if not isinstance(data, dict) or data.get("format") != LAYERS_FORMAT:
        sibling = layers_path(path)
        if sibling == path or not sibling.is_file():
            raise DataError(f"`layer` {name}: {path} holds no hidden layers and there is no {sibling.name} beside it; "
                            "convert with `keep_layers`")
        return load_layer(sibling, name)
    layers = data.get("layers") if isinstance(data.get("layers"), list) else []
    names = [block.get("name") for block in layers if isinstance(block, dict)]
    for block in layers:
        if isinstance(block, dict) and block.get("name") == name:
            return polynomial_from_json(json.dumps(block.get("polynomial")), f"{path} ({name})")
    raise DataError(f"`layer` {name}: {path} has no such layer; choose one of {', '.join(map(str, names)) or 'none'}")
