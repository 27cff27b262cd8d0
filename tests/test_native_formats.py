"""Framework model files are recognised by their content and refused with the export command.

The PyTorch files in tests/data/native are real (``make_torch_files.py`` writes them with torch);
the Keras, HDF5, SavedModel, Flax and Orbax ones are built here with the layout those libraries
write (zip members, HDF5 superblock signature, folder entries, msgpack map), since no TensorFlow or
JAX is installed. Each must give one ``polyx: error:`` line, exit 2, naming the exact export
command. A pickle that would create a file if it were ever loaded proves nothing is unpickled.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from oracles import one_error_line
from polyx import load_network
from polyx.cli.main import cli
from polyx.converters.load import detect_format
from polyx.converters.onnx.runtime import require_onnx
from polyx.errors import ModelLoadError

NATIVE = Path(__file__).resolve().parent / "data" / "native"
TORCH = "torch.onnx.export(model.eval(), torch.zeros(1, N_INPUTS)"
KERAS = "keras.saving.load_model("
TF = "python -m tf2onnx.convert --saved-model"
JAX = "to_onnx(lambda x: model.apply(params, x), [('B', N_INPUTS)]"


class Trap:
    """Unpickling this writes the file named in it: a loaded pickle would leave evidence."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (exec, (f"open({str(self.path)!r}, 'w').close()",))


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def make(tmp_path: Path, kind: str) -> Path:
    """A file (or folder) of the given framework format, as that framework lays it out."""
    trap = pickle.dumps(Trap(tmp_path / "UNPICKLED"), protocol=2)
    if kind == "torch-trap.pt":
        path = tmp_path / "net.pt"
        path.write_bytes(zipped({"net/data.pkl": trap, "net/byteorder": b"little", "net/data/0": b"\0" * 16}))
    elif kind == "pickle-trap.pth":
        path = tmp_path / "net.pth"
        path.write_bytes(trap)
    elif kind == "keras":
        path = tmp_path / "net.keras"
        path.write_bytes(zipped({"metadata.json": b'{"keras_version": "3.6.0"}', "config.json": b'{"class_name": "Sequential"}',
                                 "model.weights.h5": b"\x89HDF\r\n\x1a\n" + b"\0" * 64}))
    elif kind == "h5":
        path = tmp_path / "net.h5"
        path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 200)
    elif kind == "h5-userblock":
        path = tmp_path / "weights.hdf5"
        path.write_bytes(b"\0" * 512 + b"\x89HDF\r\n\x1a\n" + b"\0" * 200)
    elif kind == "savedmodel":
        path = tmp_path / "exported"
        (path / "variables").mkdir(parents=True)
        (path / "saved_model.pb").write_bytes(b"\x08\x01")
    elif kind == "flax":
        path = tmp_path / "checkpoint_100"
        path.write_bytes(b"\x81\xa6params\x81\xa5dense\x80")
    elif kind == "orbax":
        path = tmp_path / "ckpt" / "100"
        (path / "d").mkdir(parents=True)
        (path / "_CHECKPOINT_METADATA").write_text("{}")
        (path / "manifest.ocdbt").write_bytes(b"\0")
    else:
        raise AssertionError(kind)
    return path


CASES = [
    ("torch-trap.pt", "a PyTorch checkpoint", TORCH),
    ("pickle-trap.pth", "a Python pickle", TORCH),
    ("keras", "a Keras model", KERAS),
    ("h5", "an HDF5 file", KERAS),
    ("h5-userblock", "an HDF5 file", KERAS),
    ("savedmodel", "a TensorFlow SavedModel folder", TF),
    ("flax", "a Flax checkpoint", JAX),
    ("orbax", "an Orbax (JAX) checkpoint folder", JAX),
]


@pytest.mark.parametrize("kind, what, command", CASES)
def test_convert_refuses_with_the_export_command(tmp_path: Path, kind: str, what: str, command: str) -> None:
    path = make(tmp_path, kind)
    result = CliRunner().invoke(cli, ["convert", str(path), "-o", str(tmp_path / "out.json")])
    line = one_error_line(result)
    assert what in line and command in line and "then run polyx convert" in line
    assert not (tmp_path / "out.json").exists() and not (tmp_path / "UNPICKLED").exists()


@pytest.mark.parametrize("name, what", [
    ("state_dict.pt", "a PyTorch checkpoint"), ("torchscript.pt", "a TorchScript module"), ("legacy.pth", "a Python pickle"),
])
def test_real_torch_files(name: str, what: str) -> None:
    with pytest.raises(ModelLoadError, match=what) as caught:
        load_network(NATIVE / name)
    stem = name.split(".")[0]
    assert f"'{stem}.onnx'" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("name", ["state_dict.pt", "torchscript.pt", "legacy.pth"])
def test_the_first_64_bytes_are_enough(name: str) -> None:
    """``verify --model`` and ``--check`` look at the file's head only (require_onnx)."""
    head = (NATIVE / name).read_bytes()[:64]
    assert detect_format(head, NATIVE / name) in ("pytorch", "pytorch-pickle")  # TorchScript's head shows data/0 only
    with pytest.raises(ModelLoadError, match="torch.onnx.export"):
        require_onnx(NATIVE / name, "verify", "give the ONNX file")


def test_npz_is_still_npz(tmp_path: Path) -> None:
    """An .npz is a zip too: its .npy members keep it one, even when named .pt or holding 'config' arrays."""
    path = tmp_path / "weights.pt"
    with path.open("wb") as stream:
        np.savez(stream, W0=np.ones((4, 3)), b0=np.zeros(4), W1=np.ones((1, 4)), b1=np.zeros(1),
                 activations=np.array(["tanh", "linear"]), config=np.zeros(1))
    assert detect_format(path.read_bytes(), path) == "npz"
    network = load_network(path)
    assert network.input_size == 3


def test_onnx_and_weight_lists_are_untouched() -> None:
    sample = Path(__file__).resolve().parent.parent / "sample_models" / "pt_ts17_seq_tanh_4-8-1.onnx"
    assert detect_format(sample.read_bytes(), sample) == "onnx"
    assert detect_format(b'{"weights": []}', Path("w.json")) == "weight-list"


def test_a_plain_folder_is_still_a_plain_folder(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    result = CliRunner().invoke(cli, ["convert", str(tmp_path / "models"), "-o", str(tmp_path / "o.json")])
    assert "is a folder, not a model file" in one_error_line(result)
