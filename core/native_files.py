"""Model files polyx does not read, recognised by their content and refused with the export command.

People arrive with what their framework saved: a PyTorch ``.pt``/``.pth`` (a zip holding
``data.pkl``, or a bare pickle), a Keras ``.keras`` (a zip holding ``config.json``) or ``.h5``
(HDF5), a TensorFlow SavedModel folder (``saved_model.pb``), a Flax checkpoint (msgpack) or an
Orbax checkpoint folder. None of them is a network polyx can read safely: the pickles run code
when loaded, and the rest need their framework. Each is recognised from its bytes or its folder's
files (never from the name alone, and never by unpickling), and refused with one line giving the
command that writes the ONNX file polyx does read. An ``.npz`` is a zip too: it is told apart by
its member names (all ``.npy``).

It depends on nothing but the standard library, so the input checks of ``polyx.paths`` can refuse
a native folder before any loader runs.
"""

from __future__ import annotations

import io
import re
import shlex
import struct
import zipfile
from pathlib import Path

__all__ = ["NATIVE", "native_format", "native_folder_format", "zip_member_names", "refusal"]

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_ZIP_MAGIC = b"PK\x03\x04"
_HDF5_OFFSETS = (0, 512, 1024, 2048)
_TORCH_MEMBER = re.compile(r"^[^/]+/(data/\d+|byteorder|\.format_version|\.storage_alignment|version)$")
"""Members torch.save and torch.jit.save write beside data.pkl (a TorchScript file starts with data/0)."""  # the superblock may follow a user block of 512·2^k bytes

NATIVE = ("pytorch", "torchscript", "pytorch-pickle", "keras", "keras-h5", "savedmodel", "flax-msgpack", "orbax")


def zip_member_names(data: bytes) -> list[str]:
    """The names in a zip archive, from its central directory; from the first local header alone
    when only the start of the file is at hand (``require_onnx`` reads 64 bytes)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        pass
    if len(data) < 30 or not data.startswith(_ZIP_MAGIC):
        return []
    length = struct.unpack("<H", data[26:28])[0]
    return [data[30 : 30 + length].decode("utf-8", "replace")]


def _zip_format(data: bytes) -> str | None:
    names = zip_member_names(data)
    base = {name.rsplit("/", 1)[-1] for name in names}
    if "constants.pkl" in base or any("/code/" in name for name in names):
        return "torchscript"
    if "data.pkl" in base or any(_TORCH_MEMBER.match(name) for name in names):
        return "pytorch"
    if "config.json" in names and ("model.weights.h5" in names or "metadata.json" in names or len(names) <= 3):
        return "keras"
    if names and names[0] in ("metadata.json", "config.json") and not any(name.endswith(".npy") for name in names):
        return "keras"
    return None


def _is_msgpack_map(data: bytes) -> bool:
    """A msgpack map whose first key is a string: how flax.serialization.to_bytes starts."""
    if len(data) < 2:
        return False
    first = data[0]
    offset = 1 if 0x81 <= first <= 0x8F else 3 if first == 0xDE else 5 if first == 0xDF else 0
    if not offset or len(data) <= offset:
        return False
    key = data[offset]
    return 0xA1 <= key <= 0xBF or key in (0xD9, 0xDA, 0xDB)


def native_format(data: bytes) -> str | None:
    """The framework format of a model file's bytes, or None for everything polyx reads itself."""
    if data.startswith(_ZIP_MAGIC):
        return _zip_format(data)
    if any(data[offset : offset + 8] == HDF5_MAGIC for offset in _HDF5_OFFSETS):
        return "keras-h5"
    if len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        return "pytorch-pickle"
    if _is_msgpack_map(data):
        return "flax-msgpack"
    return None


def native_folder_format(path: Path) -> str | None:
    """The framework format of a model folder: a SavedModel or an Orbax checkpoint, else None."""
    try:
        names = {entry.name for entry in path.iterdir()}
    except OSError:
        return None
    if "saved_model.pb" in names or "saved_model.pbtxt" in names:
        return "savedmodel"
    if names & {"_CHECKPOINT_METADATA", "_METADATA", "manifest.ocdbt", "_sharding"}:
        return "orbax"
    return None


def _onnx_name(path: Path) -> str:
    return f"{path.name.split('.')[0] or 'model'}.onnx"


def refusal(kind: str, path: Path) -> str:
    """The one-line refusal for a framework file: what it is, that polyx does not load it, and the
    exact command that exports the ONNX file to give polyx instead."""
    onnx_name = _onnx_name(path)
    then = f"then run polyx convert {onnx_name}"
    if kind == "torchscript":
        return (f"{path}: is a TorchScript module (torch.jit.save), which needs torch to run. Export it to ONNX: "
                f"python -c \"import torch; torch.onnx.export(torch.jit.load({str(path)!r}).eval(), torch.zeros(1, N_INPUTS), "
                f"'{onnx_name}', input_names=['x'], output_names=['y'], dynamic_axes={{'x': {{0: 'batch'}}, 'y': {{0: 'batch'}}}})\"; "
                f"{then}")
    if kind in ("pytorch", "pytorch-pickle"):
        what = "a PyTorch checkpoint (zip with data.pkl)" if kind == "pytorch" else "a Python pickle (legacy torch.save)"
        return (f"{path}: is {what}; polyx never unpickles files (loading one runs code). Export the model to ONNX "
                f"where it is defined: torch.onnx.export(model.eval(), torch.zeros(1, N_INPUTS), '{onnx_name}', "
                f"input_names=['x'], output_names=['y'], dynamic_axes={{'x': {{0: 'batch'}}, 'y': {{0: 'batch'}}}}); {then}")
    if kind in ("keras", "keras-h5"):
        what = "a Keras model (.keras zip with config.json)" if kind == "keras" else "an HDF5 file (a Keras .h5 model)"
        return (f"{path}: is {what}, which needs Keras to load. Export it to ONNX with Keras 3: python -c \"import keras; "
                f"keras.saving.load_model({str(path)!r}).export('{onnx_name}', format='onnx')\"; {then}")
    if kind == "savedmodel":
        return (f"{path}: is a TensorFlow SavedModel folder, which needs TensorFlow to load. Export it to ONNX: "
                f"python -m tf2onnx.convert --saved-model {shlex.quote(str(path))} --output {onnx_name} --opset 17; {then}")
    what = "a Flax checkpoint (msgpack)" if kind == "flax-msgpack" else "an Orbax (JAX) checkpoint folder"
    return (f"{path}: is {what}: parameters without the model's code, which polyx cannot run. Export the model to "
            f"ONNX with jax2onnx where it is defined: to_onnx(lambda x: model.apply(params, x), [('B', N_INPUTS)], "
            f"return_mode='file', output_path='{onnx_name}'); {then}")
