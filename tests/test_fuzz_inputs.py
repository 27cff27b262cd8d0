"""Property-based bad input: malformed ONNX models, polynomial artifacts and CSV files never crash polyx.

Hypothesis builds broken files from valid ones (truncations, flipped bytes, wrong types, NaN/Inf,
wrong lengths, huge declared tensor sizes, deep nesting) and runs the commands that read them.
The property, for every case: the command either succeeds (a mutation that leaves a valid file)
or refuses with exit 2 and exactly one ``polyx: error:`` line, never a traceback or an internal
error (exit 3), and a refused command leaves its folder byte for byte as it was. Mutations that
can only give an invalid file (NaN weights, a huge declared tensor, a truncated artifact) must be
refused. Commands run in-process through click's CliRunner (fast); a few run as real processes.

``pytest tests/test_fuzz_inputs.py --hypothesis-show-statistics`` prints the case count per test.
The examples are derandomized, so every run checks the same cases.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import onnx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from polyx.cli.main import cli
from polyx.conversion import ConversionRequest, convert

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"
MODEL = SAMPLES / "k3_t2o15_seq_tanh_4-8-1.onnx"
DATA = SAMPLES / "polynomial4.csv"
POLYX = [sys.executable, "-c", "from polyx.cli.main import main; main()"]

FUZZ = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# --- the valid files every case starts from ---------------------------------------------------

MODEL_BYTES = MODEL.read_bytes()
CSV_TEXT = "".join(DATA.read_text().splitlines(keepends=True)[:41])  # header + 40 rows


def _artifact_text() -> str:
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(MODEL, Path(folder) / "m.onnx")
        convert(ConversionRequest(model=Path(folder) / "m.onnx", output=Path(folder) / "m.poly.json"))
        return (Path(folder) / "m.poly.json").read_text()


ARTIFACT_TEXT = _artifact_text()
ARTIFACT = json.loads(ARTIFACT_TEXT)


# --- the property ---------------------------------------------------------------------------------

def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _folder(files: dict[str, bytes]) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="polyx-fuzz-") as name:
        folder = Path(name)
        shutil.copy(MODEL, folder / "m.onnx")
        (folder / "m.poly.json").write_text(ARTIFACT_TEXT)
        (folder / "data.csv").write_text(CSV_TEXT)
        for file, content in files.items():
            (folder / file).write_bytes(content)
        yield folder


def check(files: dict[str, bytes], command: Callable[[Path], list[str]], must_refuse: bool) -> None:
    """Run the command on a folder holding ``files``: exit 0, or exit 2 with one line and nothing written."""
    for folder in _folder(files):
        before = _snapshot(folder)
        result = CliRunner().invoke(cli, command(folder))
        text = result.stdout + result.stderr
        assert "Traceback" not in text and "internal error" not in text, text
        assert result.exit_code in ((2,) if must_refuse else (0, 2)), (result.exit_code, text, result.exception)
        if result.exit_code == 2:
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            assert len(lines) == 1 and lines[0].startswith("polyx: error: "), result.stderr
            assert _snapshot(folder) == before


# --- malformed ONNX ---------------------------------------------------------------------------------

def _model() -> onnx.ModelProto:
    return onnx.load_from_string(MODEL_BYTES)


def _with_initializer(mutate: Callable[[TensorProto], None], index: int) -> bytes:
    model = _model()
    mutate(model.graph.initializer[index % len(model.graph.initializer)])
    return model.SerializeToString()


def _set_values(values: list[float], bad: float | None = None) -> Callable[[TensorProto], None]:
    """Weights ``values`` from the first entry on, then ``bad`` (NaN, Inf) at the entry after them."""
    def mutate(tensor: TensorProto) -> None:
        array = numpy_helper.to_array(tensor).copy().ravel()
        array[: len(values)] = values[: array.size]
        if bad is not None:
            array[len(values) % array.size] = bad
        tensor.CopyFrom(numpy_helper.from_array(array.reshape(tuple(tensor.dims)).astype(np.float32), tensor.name))
    return mutate


def _set_dims(dims: list[int]) -> Callable[[TensorProto], None]:
    def mutate(tensor: TensorProto) -> None:
        del tensor.dims[:]
        tensor.dims.extend(dims)
    return mutate


def _set_type(data_type: int) -> Callable[[TensorProto], None]:
    def mutate(tensor: TensorProto) -> None:
        tensor.data_type = data_type
    return mutate


def _nested_model(depth: int) -> bytes:
    """y = x through ``depth`` If nodes, each nested in the then-branch of the one above."""
    def leaf(name: str) -> onnx.GraphProto:
        return helper.make_graph([helper.make_node("Identity", ["x"], [name])], f"{name}_graph", [],
                                 [helper.make_tensor_value_info(name, TensorProto.FLOAT, [None, 4])])

    inner = leaf("y0")
    for level in range(1, depth + 1):
        node = helper.make_node("If", ["cond"], [f"y{level}"], then_branch=inner, else_branch=leaf(f"e{level}"))
        inner = helper.make_graph([node], f"g{level}", [], [helper.make_tensor_value_info(f"y{level}", TensorProto.FLOAT, [None, 4])])
    graph = helper.make_graph(list(inner.node), "top",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 4])],
                              [helper.make_tensor_value_info(f"y{depth}", TensorProto.FLOAT, [None, 4])],
                              [numpy_helper.from_array(np.array(True), "cond")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


FINITE = st.floats(allow_nan=False, allow_infinity=False, width=32)
NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
DIM = st.integers(min_value=0, max_value=2**62)

INVALID_MODELS = st.one_of(
    st.builds(lambda k: MODEL_BYTES[:k], st.integers(1, len(MODEL_BYTES) - 40)).filter(lambda b: b.strip()),
    st.builds(lambda v, bad, i: _with_initializer(_set_values(v, bad), i), st.lists(FINITE, max_size=4), NON_FINITE, st.integers(0, 3)),
    st.builds(lambda d, i: _with_initializer(_set_dims(d), i), st.lists(DIM, min_size=1, max_size=4)
              .filter(lambda d: math.prod(d) > 10**7 or len(d) > 2), st.integers(0, 3)),
    st.builds(lambda t, i: _with_initializer(_set_type(t), i),
              st.sampled_from([TensorProto.STRING, TensorProto.BOOL, TensorProto.INT64, TensorProto.COMPLEX64, 0, 99]), st.integers(0, 3)),
    st.builds(_nested_model, st.integers(1, 25)),
)

ANY_MODELS = st.one_of(
    st.builds(lambda k: MODEL_BYTES[:k], st.integers(1, len(MODEL_BYTES))),
    st.builds(lambda flips: bytes(b ^ flips.get(i, 0) for i, b in enumerate(MODEL_BYTES)),
              st.dictionaries(st.integers(0, len(MODEL_BYTES) - 1), st.integers(1, 255), min_size=1, max_size=6)),
    st.builds(lambda d, i: _with_initializer(_set_dims(d), i), st.lists(st.integers(0, 64), min_size=0, max_size=3), st.integers(0, 3)),
    st.binary(min_size=1, max_size=200),
)


@FUZZ
@given(INVALID_MODELS)
def test_invalid_onnx_is_refused_by_convert(model: bytes) -> None:
    check({"bad.onnx": model}, lambda f: ["convert", str(f / "bad.onnx"), "-o", str(f / "out.json")], must_refuse=True)


@FUZZ
@given(ANY_MODELS, st.sampled_from(["inspect", "convert", "convert-lsq", "convert-taylor"]))
def test_mangled_onnx_never_crashes(model: bytes, command: str) -> None:
    def args(folder: Path) -> list[str]:
        if command == "inspect":
            return ["inspect", str(folder / "bad.onnx")]
        extra = {"convert": [], "convert-lsq": ["-m", "lsq"], "convert-taylor": ["-m", "taylor", "--at=0.1,0.2,0.3,0.4"]}[command]
        return ["convert", str(folder / "bad.onnx"), "-o", str(folder / "out.json"), *extra]

    check({"bad.onnx": model}, args, must_refuse=False)


# --- malformed polynomial artifacts ------------------------------------------------------------------

JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=False), st.text(max_size=8))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                                  st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                           max_leaves=12)
KEYS = sorted(ARTIFACT)


def _replace_key(key: str, value: object) -> bytes:
    data = json.loads(ARTIFACT_TEXT)
    data[key] = value
    return json.dumps(data).encode()


def _drop_key(key: str) -> bytes:
    data = json.loads(ARTIFACT_TEXT)
    del data[key]
    return json.dumps(data).encode()


def _coefficient(row: int, column: int, value: str) -> bytes:
    """One coefficient written as ``value`` in the JSON text (NaN, Infinity, 1e999, "1", [1])."""
    data = json.loads(ARTIFACT_TEXT)
    marker = 123456.654321
    data["coefficients"][row % len(data["coefficients"])][column % len(data["coefficients"][0])] = marker
    return json.dumps(data).replace(repr(marker), value, 1).encode()


def _wrong_length(key: str, extra: int) -> bytes:
    data = json.loads(ARTIFACT_TEXT)
    values = data[key]
    data[key] = values[: max(0, len(values) + extra)] if extra < 0 else values + values[:extra]
    return json.dumps(data).encode()


def _deep(depth: int, key: str) -> bytes:
    return _replace_key(key, "__deep__").replace(b'"__deep__"', b"[" * depth + b"]" * depth)


INVALID_ARTIFACTS = st.one_of(
    st.builds(lambda k: ARTIFACT_TEXT.encode()[:k], st.integers(0, len(ARTIFACT_TEXT) - 2)),
    st.builds(_drop_key, st.sampled_from(["format", "variables", "outputs", "monomials", "coefficients"])),
    st.builds(_coefficient, st.integers(0, 5), st.integers(0, 50),
              st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", '"1"', "[1]", "null", "true", "{}"])),
    st.builds(_wrong_length, st.sampled_from(["variables", "monomials", "outputs"]), st.integers(-3, 3).filter(bool)),
    st.builds(_deep, st.sampled_from([2, 50, 5_000, 200_000]), st.sampled_from(["monomials", "coefficients", "variables"])),
    st.builds(_replace_key, st.sampled_from(["format", "variables", "outputs", "monomials", "coefficients"]),
              st.one_of(JSON_SCALARS, st.just([]), st.just([[]]))),
)

ANY_ARTIFACTS = st.one_of(
    st.builds(_replace_key, st.sampled_from(KEYS), JSON_VALUES),
    st.builds(lambda flips: bytes(b ^ flips.get(i, 0) for i, b in enumerate(ARTIFACT_TEXT.encode())),
              st.dictionaries(st.integers(0, len(ARTIFACT_TEXT) - 1), st.integers(1, 127), min_size=1, max_size=4)),
    st.builds(lambda data: json.dumps(data).encode(), JSON_VALUES),
)

ARTIFACT_COMMANDS = {
    "show": lambda f: ["show", str(f / "bad.json")],
    "show-latex": lambda f: ["show", str(f / "bad.json"), "--format", "latex"],
    "predict": lambda f: ["predict", str(f / "bad.json"), str(f / "data.csv"), "--exclude", "y", "-o", str(f / "p.csv")],
    "export": lambda f: ["export", str(f / "bad.json"), "-o", str(f / "p.onnx")],
}


@FUZZ
@given(INVALID_ARTIFACTS, st.sampled_from(sorted(ARTIFACT_COMMANDS)))
def test_invalid_artifacts_are_refused(artifact: bytes, command: str) -> None:
    check({"bad.json": artifact}, ARTIFACT_COMMANDS[command], must_refuse=True)


@FUZZ
@given(ANY_ARTIFACTS, st.sampled_from(sorted(ARTIFACT_COMMANDS)))
def test_mangled_artifacts_never_crash(artifact: bytes, command: str) -> None:
    check({"bad.json": artifact}, ARTIFACT_COMMANDS[command], must_refuse=False)


# --- malformed CSV ------------------------------------------------------------------------------------

CSV_LINES = CSV_TEXT.splitlines()
BAD_CELLS = st.sampled_from(["nan", "NaN", "inf", "-inf", "1e999", "", "abc", "0x10", "1,5", '"', "1e", "--1", "\x00", "∞"])


def _cell(line: int, column: int, value: str) -> bytes:
    lines = list(CSV_LINES)
    row = 1 + line % (len(lines) - 1)
    cells = lines[row].split(",")
    cells[column % 4] = value  # an input column: the target y may be excluded
    lines[row] = ",".join(cells)
    return ("\n".join(lines) + "\n").encode()


def _fields(line: int, extra: int) -> bytes:
    lines = list(CSV_LINES)
    row = 1 + line % (len(lines) - 1)
    cells = lines[row].split(",")
    lines[row] = ",".join(cells[:extra] if extra < 0 else cells + ["1"] * extra)
    return ("\n".join(lines) + "\n").encode()


INVALID_CSVS = st.one_of(
    st.builds(_cell, st.integers(0, 39), st.integers(0, 3), BAD_CELLS),
    st.builds(_fields, st.integers(0, 39), st.integers(-4, 3).filter(bool)),
    st.builds(lambda k: CSV_TEXT.encode()[:k], st.integers(0, len(CSV_LINES[0]) + 1)),
    st.builds(lambda h: ("\n".join([h, *CSV_LINES[1:]]) + "\n").encode(), st.sampled_from(["x1,x1,x2,x3,y", "a,b", ",,,,", "x1"])),
    st.binary(max_size=64).map(lambda b: b"x1,x2,x3,x4,y\n\xff" + b + b"\n"),  # not UTF-8
)

ANY_CSVS = st.one_of(
    st.builds(lambda k: CSV_TEXT.encode()[:k], st.integers(0, len(CSV_TEXT))),
    st.builds(lambda flips: bytes(b ^ flips.get(i, 0) for i, b in enumerate(CSV_TEXT.encode())),
              st.dictionaries(st.integers(0, len(CSV_TEXT) - 1), st.integers(1, 255), min_size=1, max_size=5)),
    st.lists(st.lists(st.one_of(st.floats(width=64).map(repr), BAD_CELLS), min_size=1, max_size=6), min_size=1, max_size=5).map(
        lambda rows: ("x1,x2,x3,x4,y\n" + "\n".join(",".join(r) for r in rows) + "\n").encode()),
)

CSV_COMMANDS = {
    "predict": lambda f: ["predict", str(f / "m.poly.json"), str(f / "bad.csv"), "--exclude", "y", "-o", str(f / "p.csv")],
    "verify": lambda f: ["verify", str(f / "bad.csv"), "--poly", str(f / "m.poly.json"), "--model", str(f / "m.onnx"),
                         "--exclude", "y", "--report", str(f / "r.json"), "--no-default-gate"],
    "convert-fit": lambda f: ["convert", str(f / "m.onnx"), "-o", str(f / "out.json"), "--fit", str(f / "bad.csv"), "--exclude", "y"],
}


@FUZZ
@given(INVALID_CSVS, st.sampled_from(sorted(CSV_COMMANDS)))
def test_invalid_csv_is_refused(csv: bytes, command: str) -> None:
    check({"bad.csv": csv}, CSV_COMMANDS[command], must_refuse=True)


@FUZZ
@given(ANY_CSVS, st.sampled_from(sorted(CSV_COMMANDS)))
def test_mangled_csv_never_crashes(csv: bytes, command: str) -> None:
    check({"bad.csv": csv}, CSV_COMMANDS[command], must_refuse=False)


# --- a few cases as real processes: the console script's own boundary -------------------------------

PROCESS_CASES = [
    ("bad.onnx", MODEL_BYTES[: len(MODEL_BYTES) // 2], ["convert", "bad.onnx", "-o", "out.json"]),
    ("bad.onnx", _with_initializer(_set_dims([2**40, 2**40]), 2), ["inspect", "bad.onnx", "--check"]),
    ("bad.json", _deep(200_000, "monomials"), ["show", "bad.json"]),
    ("bad.csv", _cell(3, 1, "inf"), ["predict", "m.poly.json", "bad.csv", "--exclude", "y", "-o", "p.csv"]),
]


@pytest.mark.parametrize(("name", "content", "args"), PROCESS_CASES, ids=[" ".join(c[2][:2]) for c in PROCESS_CASES])
def test_bad_input_in_a_real_process(name: str, content: bytes, args: list[str]) -> None:
    for folder in _folder({name: content}):
        before = _snapshot(folder)
        done = subprocess.run([*POLYX, *args], cwd=folder, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("polyx: error: "), done.stderr
        assert _snapshot(folder) == before
