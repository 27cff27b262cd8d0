"""The JSON artifact: schema, exact round trip, byte-identical reruns, atomic writes, strict reading."""

import json
import os
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import polyx
from polyx.errors import ArtifactError
from polyx.expansion.writers.artifact import (
    FORMAT,
    load_polynomial,
    polynomial_from_json,
    polynomial_schema,
    polynomial_to_json,
    save_polynomial,
)
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.names import unsafe_characters

VALIDATOR = jsonschema.Draft202012Validator(polynomial_schema())
finite = st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True)


NAMES = st.text(min_size=1, max_size=6).filter(lambda name: not unsafe_characters(name))
"""Any name an artifact may hold: every Unicode character but the control and invisible ones."""


@st.composite
def polynomials(draw: st.DrawFn) -> Polynomial:
    n = draw(st.integers(1, 4))
    outputs = draw(st.integers(1, 3))
    rows = draw(st.lists(st.lists(st.integers(0, 5), min_size=n, max_size=n), max_size=12, unique_by=tuple))
    coefficients = draw(st.lists(st.lists(finite, min_size=len(rows), max_size=len(rows)), min_size=outputs, max_size=outputs))
    center = draw(st.none() | st.lists(finite, min_size=n, max_size=n))
    return Polynomial(
        tuple(draw(st.lists(NAMES, min_size=n, max_size=n, unique=True))),
        tuple(f"y{k + 1}" for k in range(outputs)),
        np.array(rows, dtype=np.int64).reshape(len(rows), n),
        np.array(coefficients).reshape(outputs, len(rows)),
        center=center,
        method={"name": "manual", "order": draw(st.integers(0, 9)), "weights": draw(st.lists(finite, max_size=3))},
        diagnostics={"r2": draw(st.lists(finite, max_size=2)), "note": draw(st.text(max_size=8))},
    )


def _bits(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64).view(np.int64)


@settings(max_examples=120, deadline=None)
@given(polynomials())
def test_round_trip_is_bit_exact_and_schema_valid(poly: Polynomial) -> None:
    text = polynomial_to_json(poly)
    VALIDATOR.validate(json.loads(text))
    back = polynomial_from_json(text)
    assert back.variables == poly.variables and back.outputs == poly.outputs
    assert np.array_equal(back.exponents, poly.exponents)
    assert np.array_equal(_bits(back.coefficients), _bits(poly.coefficients))
    if poly.center is None:
        assert back.center is None
    else:
        assert np.array_equal(_bits(back.center), _bits(poly.center))
    assert back.method == poly.method and back.diagnostics == poly.diagnostics
    assert polynomial_to_json(back) == text


def _example() -> Polynomial:
    return Polynomial(
        ("x1", "x2"),
        ("y1",),
        [[0, 0], [1, 0], [0, 1], [1, 1]],
        [[0.1, -2.5, 1e-17, 0.30000000000000004]],
        method={"order": 2, "name": "manual"},
        provenance={"sha256": "0" * 64},
        diagnostics={"terms": np.int64(4), "r2": np.float64(0.5), "flags": np.array([True, False])},
    )


def test_public_api_writes_the_documented_layout(tmp_path: Path) -> None:
    path = polyx.save_polynomial(_example(), tmp_path / "p.json")
    text = path.read_text()
    assert text.startswith('{\n  "format": "polyx.polynomial/2",\n  "variables": ["x1", "x2"],\n')
    assert '  "monomials": [\n    [],\n    [0],\n    [1],\n    [0, 1]\n  ],\n' in text
    assert '    [0, 1]\n  ],\n  "coefficients": [\n    [\n      0.1,\n      -2.5,\n      1e-17,\n' in text
    data = json.loads(text)
    assert list(data) == ["format", "variables", "outputs", "monomials", "coefficients", "center", "method", "provenance", "diagnostics"]
    assert list(data["method"]) == ["name", "order"]
    assert data["provenance"]["polyx_version"] == polyx.__version__
    assert data["diagnostics"] == {"flags": [True, False], "r2": 0.5, "terms": 4}
    VALIDATOR.validate(data)
    loaded = polyx.load_polynomial(path)
    assert loaded.coefficients.tolist() == [[0.1, -2.5, 1e-17, 0.30000000000000004]]


def test_rerun_is_byte_identical_whatever_the_dict_order(tmp_path: Path) -> None:
    first = save_polynomial(_example(), tmp_path / "a.json").read_bytes()
    again = save_polynomial(_example(), tmp_path / "b.json").read_bytes()
    reordered = _example()
    object.__setattr__(reordered, "method", {"name": "manual", "order": 2})
    assert again == first
    assert save_polynomial(reordered, tmp_path / "c.json").read_bytes() == first


def test_source_is_written_relative_to_the_artifact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "models" / "net.onnx").write_bytes(b"onnx")
    monkeypatch.chdir(tmp_path)
    poly = Polynomial(("x1",), ("y1",), [[1]], [[2.0]], method={"name": "manual"}, provenance={"source": "models/net.onnx"})
    save_polynomial(poly, "out/p.json")
    assert load_polynomial("out/p.json").provenance["source"] == "../models/net.onnx"


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "p.json"
    target.write_text("old")

    def broken_replace(source: str, destination: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(ArtifactError, match=r"p.json: cannot write \(disk full\)"):
        save_polynomial(_example(), target)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["p.json"]


def test_missing_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"cannot write, folder '.*nowhere' does not exist"):
        save_polynomial(_example(), tmp_path / "nowhere" / "p.json")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("poly_changes", "message"),
    [
        ({"coefficients": [[np.nan, 1.0, 1.0, 1.0]]}, r"output 'y1', term 1 has coefficient nan; JSON artifacts hold finite numbers only"),
        ({"diagnostics": {"r2": [1.0, np.inf]}}, r"diagnostics.r2\[1\] is inf; use null for a missing number"),
        ({"method": {"order": 2}}, r"its method has no name"),
        ({"diagnostics": {"model": object()}}, r"diagnostics.model is a object, not a JSON value"),
    ],
)
def test_unwritable_polynomials_are_refused(tmp_path: Path, poly_changes: dict, message: str) -> None:
    base = _example()
    fields = {name: getattr(base, name) for name in ("variables", "outputs", "exponents", "coefficients", "method", "diagnostics")}
    with pytest.raises(ArtifactError, match=message):
        save_polynomial(Polynomial(**(fields | poly_changes)), tmp_path / "p.json")
    assert os.listdir(tmp_path) == []


def _text(**changes: object) -> str:
    data = json.loads(polynomial_to_json(_example()))
    data.update(changes)
    return json.dumps(data)


def _text_v1(**changes: object) -> str:
    """The example as a format /1 file (dense exponents), as polyx before /2 wrote it."""
    data = json.loads(polynomial_to_json(_example()))
    data = {("exponents" if key == "monomials" else key): value for key, value in data.items()}
    data.update(format="polyx.polynomial/1", exponents=_example().exponents.tolist())
    data.update(changes)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", r"not valid JSON \(line 1, column 2: Expecting property name"),
        ("[1, 2]", r"not a polyx polynomial \(the JSON is not an object\)"),
        (_text(format="nn2poly"), r"not a polyx polynomial \(format is \"nn2poly\", expected 'polyx.polynomial/2'\)"),
        (_text(format="polyx.polynomial/3"),
         r"format is 'polyx.polynomial/3' but this polyx .* reads 'polyx.polynomial/2' and 'polyx.polynomial/1'; upgrade polyx"),
        (_text(extra=1), r"unknown field 'extra'; polyx.polynomial/2 has only format, variables"),
        (_text_v1(extra=1), r"unknown field 'extra'; polyx.polynomial/1 has only format, variables"),
        (_text(format="polyx.polynomial/1"), r"unknown field 'monomials'; polyx.polynomial/1 has only"),
        (_text(monomials=[[], [0], [1], [1, 0]]), r"monomial of term 4 is \[1, 0\]; list its indices in ascending order"),
        (_text(monomials=[[], [0], [1], [0, 2]]), r"monomial of term 4 is \[0, 2\]; give 0-based variable indices below 2"),
        (_text(monomials=[[], [0], [-1], [0, 1]]), r"monomial of term 3 is \[-1\]; give 0-based variable indices below 2"),
        (_text(monomials=[[], [0], [1.0], [0, 1]]), r"monomial of term 3 is \[1.0\]; give 0-based"),
        (_text(monomials=[[], [0], [True], [0, 1]]), r"monomial of term 3 is \[true\]|monomial of term 3 is \[True\]"),
        (_text(monomials=[[], [0], 1, [0, 1]]), r"'monomials' must be a list with one list of variable indices per term"),
        (_text(monomials=[[], [0], [0], [0, 1]]), r"lists the term x1 twice"),
        (_text_v1(exponents=[[0, 0], [1], [0, 1], [1, 1]]), r"exponents of term 2 has 1 entries; expected 2, one per variable"),
        (_text_v1(exponents=[[0, 0], [1, 0], [0, 1], [1, 1.5]]), r"exponents must be non-negative integers"),
        (_text_v1(exponents=[[0, 0], [1, 0], [0, 1], [1, -1]]), r"exponents must be non-negative integers"),
        (_text_v1(exponents=[[0, 0], [1, 0], [1, 0], [1, 1]]), r"lists the term x1 twice"),
        (_text(coefficients=[[1.0, 2.0, 3.0]]), r"'coefficients\[0\]' has 3 numbers; expected 4"),
        (_text(coefficients=[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]]), r"'coefficients' has 2 lists; expected 1, one per output"),
        (_text(coefficients=[[1.0, "2", 3.0, 4.0]]), r"'coefficients\[0\]' must hold numbers only"),
        (_text(coefficients=[[1.0, None, 3.0, 4.0]]), r"'coefficients\[0\]' must hold numbers only"),
        (_text(center=[0.5]), r"'center' has 1 numbers; expected 2"),
        (_text(variables=["x1", ""]), r"'variables' must be a non-empty list of non-empty names"),
        (_text(variables=["x1", "x1"]), r"duplicate variable names \['x1'\]"),
        (_text(method={"order": 1}), r"method has no 'name'"),
        (_text(provenance={"output_activation": "tanh"}), r"output_activation is 'tanh'; expected null, 'softmax', 'log_softmax' or 'sigmoid'"),
        (_text().replace("0.1,", "NaN,"), r"NaN is not allowed; artifacts hold finite numbers only"),
        (_text().replace("0.1,", "1e999,"), r"'coefficients\[0\]' has a number too large for float64"),
        ('{"format": "polyx.polynomial/2", "format": "x"}', r"the key 'format' appears twice in one object"),
    ],
)
def test_bad_artifacts_are_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(ArtifactError, match=message) as raised:
        polynomial_from_json(text, where="p.json")
    assert str(raised.value).startswith("p.json: ")
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize("version", [1, 2])
def test_unsorted_terms_in_a_file_are_read_in_graded_order(version: int) -> None:
    if version == 1:
        poly = polynomial_from_json(_text_v1(exponents=[[1, 1], [0, 1], [1, 0], [0, 0]]))
    else:
        poly = polynomial_from_json(_text(monomials=[[0, 1], [1], [0], []]))
    assert poly.exponents.tolist() == [[0, 0], [1, 0], [0, 1], [1, 1]]
    assert poly.coefficients.tolist() == [[0.30000000000000004, 1e-17, -2.5, 0.1]]


def test_format_1_files_still_load_to_the_same_polynomial() -> None:
    old, new = polynomial_from_json(_text_v1()), polynomial_from_json(_text())
    assert np.array_equal(old.indices, new.indices) and np.array_equal(_bits(old.coefficients), _bits(new.coefficients))
    assert polynomial_to_json(old) == polynomial_to_json(_example())
    VALIDATOR.validate(json.loads(_text_v1()))


@settings(max_examples=60, deadline=None)
@given(polynomials())
def test_npz_holds_the_same_content_as_the_json(tmp_path_factory: pytest.TempPathFactory, poly: Polynomial) -> None:
    folder = tmp_path_factory.mktemp("npz")
    path = save_polynomial(poly, folder / "p.poly.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert archive["monomials"].dtype == np.int32
    back = load_polynomial(path)
    assert np.array_equal(back.indices, poly.indices)
    assert np.array_equal(_bits(back.coefficients), _bits(poly.coefficients))
    assert polynomial_to_json(back) == polynomial_to_json(poly)
    assert save_polynomial(back, folder / "again.poly.npz").read_bytes() == path.read_bytes()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda arrays: arrays.pop("center"), r"missing array 'center'"),
        (lambda arrays: arrays.update(extra=np.zeros(1)), r"unknown array 'extra'"),
        (lambda arrays: arrays.update(format=np.array("polyx.polynomial/1")), r"this polyx reads 'polyx.polynomial/2' npz"),
        (lambda arrays: arrays.update(coefficients=np.zeros((1, 3))), r"coefficients have shape \(1, 3\); expected \(1, 4\)"),
        (lambda arrays: arrays.update(coefficients=np.full((1, 4), np.nan)), r"coefficients hold NaN or infinity"),
        (lambda arrays: arrays.update(monomials=np.array([[-1, -1], [0, -1], [1, -1], [0, 5]])), r"variable indices 0..1"),
        (lambda arrays: arrays.update(metadata=np.array("{}")), r"'metadata' must be the JSON text of an object"),
        (lambda arrays: arrays.update(variables=np.array([1, 2])), r"'variables' must be a non-empty list"),
    ],
)
def test_bad_npz_files_are_one_clear_line(tmp_path: Path, change, message: str) -> None:
    good = save_polynomial(_example(), tmp_path / "good.npz")
    with np.load(good, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    change(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ArtifactError, match=message) as raised:
        load_polynomial(tmp_path / "bad.npz")
    assert str(raised.value).startswith(str(tmp_path / "bad.npz") + ": ")
    assert "\n" not in str(raised.value)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ArtifactError, match=r"junk.npz: not a polyx npz artifact"):
        load_polynomial(tmp_path / "junk.npz")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda folder: folder / "missing.json", r"missing.json: no such polynomial file; give a .json file written by polyx convert"),
        (lambda folder: folder, r"is a folder, not a polynomial file"),
        (lambda folder: _write(folder / "bin.json", b"\xff\xfe\x00"), r"bin.json: not a polynomial JSON file \(not UTF-8 text\)"),
    ],
)
def test_unreadable_files(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(ArtifactError, match=message):
        load_polynomial(make(tmp_path))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_schema_rejects_what_the_reader_rejects() -> None:
    data = json.loads(_text())
    VALIDATOR.validate(data)
    for field, value in [("format", "x"), ("monomials", [[0, -1]]), ("monomials", [[0.5]]), ("exponents", [[0, 1]]),
                         ("center", "here"), ("method", {})]:
        with pytest.raises(jsonschema.ValidationError):
            VALIDATOR.validate(data | {field: value})
    old = json.loads(_text_v1())
    VALIDATOR.validate(old)
    for field, value in [("exponents", [[0, -1]]), ("monomials", [[0]])]:
        with pytest.raises(jsonschema.ValidationError):
            VALIDATOR.validate(old | {field: value})
    assert FORMAT == polynomial_schema()["properties"]["format"]["enum"][0]


def test_monomial_lines_equal_the_json_encoder_of_the_index_lists() -> None:
    """The per-degree text builder against json.dumps of the unpadded lists (the layout the
    artifact has always had), on tables of mixed degrees 0–4 in any row order, and an empty one."""
    import json

    from polyx.expansion.kernel import monomials as sparse
    from polyx.expansion.writers import artifact

    rng = np.random.default_rng(3)
    for rows in (0, 1, 57):
        lists = [sorted(rng.integers(0, 30, size=rng.integers(0, 5)).tolist()) for _ in range(rows)]
        table = sparse.from_lists(lists) if lists else np.zeros((0, 0), dtype=sparse.INDEX_DTYPE)
        expected = artifact._one_per_line(json.dumps(lists), "], [", 4)
        assert artifact._monomial_lines(table, 4) == expected
