"""``load_network``: the one entry point from a model file to a ``Network``, whatever its format.

The format is recognised from the content (a zip archive of ``.npy`` members is an ``.npz``, text
starting with ``{`` is a weight-list JSON, anything else must be ONNX), so a misnamed file still
loads and a wrong one fails with a message that names the formats polyx reads. A framework's own
file (PyTorch, Keras, TensorFlow SavedModel, Flax/Orbax) is recognised too and refused with the
command that exports it to ONNX (``polyx.native_files``).
"""

from __future__ import annotations

import codecs
import dataclasses
import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from polyx.native_files import NATIVE, refusal
from polyx.errors import ModelLoadError

if TYPE_CHECKING:
    from polyx.converters.ir.chain import Network
    from polyx.converters.ir.graph import Graph

__all__ = ["load_network", "detect_format"]

_ZIP_MAGIC = b"PK\x03\x04"


def detect_format(data: bytes, path: Path) -> str:
    """'npz', 'weight-list' or 'onnx', or a framework format polyx refuses (``native.NATIVE``: 'pytorch',
    'keras', ...), from the bytes first and the extension second.

    A JSON file may start with a UTF-8 byte order mark (Windows editors write one).
    """
    from polyx.native_files import native_format

    stripped = data[:64].removeprefix(codecs.BOM_UTF8).lstrip()
    native = native_format(data)
    if native is not None:
        return native
    if data.startswith(_ZIP_MAGIC):
        return "npz"
    if stripped.startswith(b"{") or (path.suffix.lower() == ".json" and stripped.startswith(b"[")):
        return "weight-list"
    return "onnx"


def _read(path: Path) -> bytes:
    from polyx.paths import require_input

    require_input(path, "model", error=ModelLoadError)
    if not path.exists():
        raise ModelLoadError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise ModelLoadError(f"{path}: is a folder, not a model file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ModelLoadError(f"{path}: cannot read the file ({error.strerror or error})") from None
    if not data.strip():
        raise ModelLoadError(f"{path}: the file is empty; export the model again")
    return data


def load_network(path: str | Path, output: str | None = None) -> Network | Graph:
    """Read an ONNX model, an nn2poly weight-list JSON or a weights ``.npz`` into the polyx IR.

    Every later step (inspect, the expansions, verification) starts from this Network, so the
    file's identity travels with it: ``metadata`` holds the source path, the file's sha256 and
    its format (plus producer and opset for ONNX). ``output`` names the ONNX output to read when
    the file has several (a classifier's probabilities beside its label are found without it).
    Raises ModelLoadError for unreadable files and UnsupportedModelError listing every node an
    ONNX graph cannot be represented with.
    """
    path = Path(path)
    data = _read(path)
    source = str(path)
    kind = detect_format(data, path)
    if kind in NATIVE:
        raise ModelLoadError(refusal(kind, path))
    if kind == "npz":
        from polyx.converters.formats.weight_list import network_from_npz

        network = network_from_npz(data, source)
    elif kind == "weight-list":
        from polyx.converters.formats.weight_list import network_from_weight_list

        network = network_from_weight_list(data, source)
    else:
        from polyx.converters.onnx.chain_loader import network_from_onnx

        network = network_from_onnx(data, source, path.parent, output)
    metadata = {"source": source, "sha256": hashlib.sha256(data).hexdigest(), **network.metadata}
    return dataclasses.replace(network, metadata=metadata)
