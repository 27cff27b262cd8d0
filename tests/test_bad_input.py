"""Bad input through the CLI: one stderr line, exit 2, no traceback, and no file left behind.

Each row is a command a user can type, run in a folder holding a model, its polynomial and a
CSV (plus what the row's setup adds); the folder must hold exactly the same files afterwards.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Callable

import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from onnx import TensorProto, helper, numpy_helper

from converters_graphs import GraphBuilder
from oracles import one_error_line
from polyx.cli.main import cli
from polyx.conversion import ConversionRequest, convert

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"
MODEL = SAMPLES / "k3_t2o15_seq_tanh_4-8-1.onnx"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """m.onnx (4 inputs), its polynomial m.poly.json, data.csv (x1..x4, y) and an empty folder d."""
    monkeypatch.chdir(tmp_path)
    shutil.copy(MODEL, "m.onnx")
    shutil.copy(SAMPLES / "polynomial4.csv", "data.csv")
    convert(ConversionRequest(model=Path("m.onnx"), output=Path("m.poly.json")))
    Path("d").mkdir()
    return tmp_path


def _files(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def _nothing(folder: Path) -> None:
    return None


def _folder_named_like_an_image(folder: Path) -> None:
    (folder / "d.png").mkdir()


def _gaussian_list(folder: Path) -> None:
    (folder / "g.json").write_text("[[0, 0, 0, 0], [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]]")


def _broken_constant(op_type: str, *values: np.ndarray, **attributes: object) -> Callable[[Path], None]:
    """broken.onnx: y = x + op(constants), where op cannot be computed from those constants."""

    def build(folder: Path) -> None:
        g = GraphBuilder(opset=17)
        constant = g.op(op_type, *(g.value(v, dtype=v.dtype) for v in values), **attributes)
        g.save(folder, "broken", g.op("Add", "x", g.op("Cast", constant, to=TensorProto.FLOAT)), (4,))

    return build


def _non_finite_weight(value: float) -> Callable[[Path], None]:
    """bad.onnx: m.onnx with one entry of the second layer's bias replaced by ``value``."""

    def build(folder: Path) -> None:
        model = onnx.load(str(folder / "m.onnx"))
        tensor = next(t for t in model.graph.initializer if t.name == "sequential_1/dense_1_2/Add/ReadVariableOp:0")
        tensor.CopyFrom(numpy_helper.from_array(np.array([value], dtype=np.float32), tensor.name))
        onnx.save(model, str(folder / "bad.onnx"))

    return build


def _nan_weight_list(folder: Path) -> None:
    (folder / "w.json").write_text('{"weights": [[[0.1, 0.2], [1.0, NaN]]], "activations": ["tanh"]}')


def _looping_graph(folder: Path) -> None:
    """loop.onnx: a Tanh whose output reuses its input's name, so the data path comes back to itself."""
    g = GraphBuilder(opset=17)
    h = g.gemm("x", 4, 4)
    g.nodes.append(helper.make_node("Tanh", [h], [h], name="tanh_again"))
    g.save(folder, "loop", h, (4,))


def _weight_list_polynomial(folder: Path) -> None:
    """w.poly.json converted from w.json, a 4-2-1 weight-list network (no ONNX file exists)."""
    weights = [[[0.1, -0.2], [0.5, 0.3], [-0.4, 0.2], [0.3, 0.1], [0.2, -0.5]], [[0.0], [1.0], [-1.0]]]
    (folder / "w.json").write_text(json.dumps({"weights": weights, "activations": ["tanh", "linear"]}))
    convert(ConversionRequest(model=Path("w.json"), output=Path("w.poly.json")))


def _latin1_header(folder: Path) -> None:
    (folder / "latin1.csv").write_bytes("x1,x2,x3,températ\n1,2,3,4\n".encode("latin-1"))


def _latin1_value(folder: Path) -> None:
    (folder / "latin1.csv").write_bytes(b"x1,x2,x3,x4,y\n1,2,3,4,5\n1,2,3,4,\xe9\n")


Row = tuple[str, Callable[[Path], None], list[str], str]

ROWS: list[Row] = [
    ("convert-second-output-folder-missing", _nothing,
     ["convert", "m.onnx", "-o", "a.poly.json", "--latex", "nodir/a.tex"],
     "nodir/a.tex: cannot write, folder 'nodir' does not exist"),
    ("convert-output-is-a-folder", _nothing, ["convert", "m.onnx", "-o", "d"], "d: is a folder; give a file name"),
    ("convert-latex-is-a-folder", _nothing, ["convert", "m.onnx", "-o", "a.poly.json", "--latex", "d"],
     "d: is a folder; give a file name"),
    ("convert-two-outputs-one-file", _nothing, ["convert", "m.onnx", "-o", "a.txt", "--latex", "./a.txt"],
     "a.txt: --output and --latex both name this file"),
    ("verify-report-and-junit-one-file", _nothing, ["verify", "data.csv", "--target", "y", "--report", "r", "--junit", "r"],
     "r: --report and --junit both name this file; give each output its own name"),
    ("verify-report-is-a-folder", _nothing, ["verify", "data.csv", "--target", "y", "--report", "d"],
     "d: is a folder; give a file name"),
    ("verify-junit-is-a-folder", _nothing, ["verify", "data.csv", "--target", "y", "--junit", "d"],
     "d: is a folder; give a file name"),
    ("predict-output-is-a-folder", _nothing, ["predict", "m.poly.json", "data.csv", "--target", "y", "-o", "d"],
     "d: is a folder; give a file name"),
    ("csv-header-not-utf8", _latin1_header, ["verify", "latin1.csv"], "latin1.csv: not UTF-8 text (byte 13); save the CSV as UTF-8"),
    ("csv-data-not-utf8", _latin1_value, ["predict", "m.poly.json", "latin1.csv", "--target", "y"],
     "latin1.csv: not UTF-8 text (byte 32); save the CSV as UTF-8"),
    ("csv-data-not-utf8-convert", _latin1_value, ["convert", "m.onnx", "-o", "a.poly.json", "--data", "latin1.csv", "--exclude", "y"],
     "latin1.csv: not UTF-8 text (byte 32); save the CSV as UTF-8"),
    ("gaussian-is-a-folder", _nothing, ["convert", "m.onnx", "-m", "lsq", "-o", "a.poly.json", "--gaussian", "d"],
     "d: is a folder, not a --gaussian file; give the file itself"),
    ("gaussian-is-a-list", _gaussian_list, ["convert", "m.onnx", "-m", "lsq", "-o", "a.poly.json", "--gaussian", "g.json"],
     "g.json: not a Gaussian spec (a JSON object with 'mean' and 'cov' is expected)"),
    ("fold-impossible-reshape", _broken_constant("Reshape", np.zeros(6, np.float32), np.array([4])),
     ["inspect", "broken.onnx"], "node 'reshape_3' (Reshape) cannot be computed from its constant inputs (cannot reshape"),
    ("fold-concat-without-axis", _broken_constant("Concat", np.zeros(2, np.float32), np.zeros(2, np.float32)),
     ["convert", "broken.onnx", "-o", "a.poly.json"], "node 'concat_3' (Concat) cannot be computed from its constant inputs (missing attribute 'axis')"),
    ("fold-integer-negative-power", _broken_constant("Pow", np.array([2, 3, 4, 5]), np.array(-1)),
     ["inspect", "broken.onnx"], "node 'pow_3' (Pow) cannot be computed from its constant inputs (Integers to negative"),
    ("nan-weight-inspect-json", _non_finite_weight(float("nan")), ["inspect", "--json", "bad.onnx"],
     "bad.onnx: layer 2 has NaN or infinite weights; the export is broken"),
    ("inf-weight-convert", _non_finite_weight(float("inf")), ["convert", "bad.onnx", "-o", "a.poly.json"],
     "bad.onnx: layer 2 has NaN or infinite weights; the export is broken"),
    ("nan-weight-list", _nan_weight_list, ["inspect", "w.json"], "w.json: layer 1 has NaN or infinite weights"),
    ("taylor-orders-huge", _nothing, ["convert", "m.onnx", "-o", "a.poly.json", "--taylor-orders", "1e30"],
     "--taylor-orders 1e+30 is above 64"),
    ("taylor-orders-one-huge", _nothing, ["convert", "m.onnx", "-o", "a.poly.json", "--taylor-orders", "8,65"],
     "--taylor-orders 65 is above 64"),
    ("taylor-orders-fraction", _nothing, ["convert", "m.onnx", "-o", "a.poly.json", "--taylor-orders", "8.5"],
     "--taylor-orders '8.5': Taylor orders are whole numbers, e.g. 8 or 8,8,1"),
    ("plot-taylor-orders-huge", _nothing, ["plot", "m.onnx", "-k", "potentials", "--data", "data.csv", "--exclude", "y",
                                           "--taylor-orders", "1e30"], "--taylor-orders 1e+30 is above 64"),
    ("verify-weight-list-model", _weight_list_polynomial, ["verify", "data.csv", "--poly", "w.poly.json", "--target", "y"],
     "w.json: is a weight-list file; checking a polynomial against its network runs the network under onnxruntime "
     "and needs an ONNX file; pass --model MODEL.onnx"),
    ("plot-diagonal-weight-list-model", _weight_list_polynomial,
     ["plot", "w.poly.json", "-k", "diagonal", "--data", "data.csv", "--exclude", "y", "-o", "w.png"],
     "w.json: is a weight-list file; checking a polynomial against its network"),
    ("walk-loops", _looping_graph, ["inspect", "loop.onnx"], "loop.onnx: following the data from the input never reaches the output"),
    ("plot-output-is-a-folder", _folder_named_like_an_image, ["plot", "m.poly.json", "-k", "coefficients", "-o", "d.png"],
     "d.png: is a folder; give a file name"),
]


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
def test_bad_input_is_one_line_and_writes_nothing(folder: Path, row: Row) -> None:
    _, setup, args, message = row
    setup(folder)
    before = _files(folder)
    line = one_error_line(CliRunner().invoke(cli, args))
    assert message in line
    assert _files(folder) == before


def test_a_failed_later_write_removes_the_artifact_already_written(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up while the LaTeX is written: the JSON written just before must not stay behind."""
    import os

    replace = os.replace

    def full_disk_for_latex(source: str, destination: object) -> None:
        if str(destination).endswith(".tex"):
            raise OSError(28, "No space left on device")
        replace(source, destination)

    monkeypatch.setattr(os, "replace", full_disk_for_latex)
    before = _files(folder)
    line = one_error_line(CliRunner().invoke(cli, ["convert", "m.onnx", "-o", "a.poly.json", "--latex", "a.tex"]))
    assert line == "polyx: error: a.tex: cannot write (No space left on device); check the folder's permissions and free space, or choose another path"
    assert _files(folder) == before
