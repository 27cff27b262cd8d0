"""The notebook API: ``polyx.convert`` in one call, a Polynomial's display, ``to_frame`` and ``predict(frame)``.

Oracles: the CLI's own conversion (same artifact coefficients), the explicit sum of monomials
(tests/oracles.py) for predictions, the coefficient array for the frame; the displays are
checked for what they must hold (the largest terms, the count of the rest) and nothing else.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import polyx
from oracles import explicit_values
from polyx.cli.main import cli
from polyx.errors import DataError
from test_verify_cli import DATA, MODEL

# The exact float64 of each text, as polyx reads it (pandas' own CSV parser may round differently).
ROWS = pd.DataFrame(np.loadtxt(DATA, delimiter=",", skiprows=1), columns=DATA.read_text().split("\n", 1)[0].split(","))


@pytest.fixture(scope="module")
def poly() -> polyx.Polynomial:
    return polyx.convert(MODEL, method="nn2poly", order=3)


def test_convert_is_the_cli_conversion(tmp_path: Path, poly: polyx.Polynomial) -> None:
    result = CliRunner().invoke(cli, ["convert", str(MODEL), "--order", "3", "-o", str(tmp_path / "m.poly.json")])
    assert result.exit_code == 0, result.stderr
    np.testing.assert_array_equal(polyx.load_polynomial(tmp_path / "m.poly.json").coefficients, poly.coefficients)
    network = polyx.load_network(MODEL)
    np.testing.assert_array_equal(polyx.convert(network, order=3).coefficients, poly.coefficients)


def test_convert_takes_rows_as_a_path_a_frame_or_an_array(poly: polyx.Polynomial) -> None:
    from_path = polyx.convert(MODEL, method="lsq", order=2, data=str(DATA))
    from_frame = polyx.convert(MODEL, method="lsq", order=2, data=ROWS)
    from_array = polyx.convert(MODEL, method="lsq", order=2, data=ROWS[["x1", "x2", "x3", "x4"]].to_numpy())
    np.testing.assert_array_equal(from_frame.coefficients, from_array.coefficients)
    np.testing.assert_array_equal(from_path.coefficients, from_array.coefficients)
    assert from_path.method["input_source"] == str(DATA) if "input_source" in from_path.method else True
    with pytest.raises(DataError, match="not the model's inputs"):
        polyx.convert(MODEL, method="lsq", order=2, data=ROWS.rename(columns={"x1": "a"}))


def test_convert_reports_progress(poly: polyx.Polynomial) -> None:
    stages: set[str] = set()
    polyx.convert(MODEL, order=3, progress=lambda stage, done, total: stages.add(stage))
    assert "layer" in stages  # a one-hidden-layer network is contracted in one step: no per-degree Horner loop


def test_to_frame_lists_every_term_with_its_degree_and_coefficients(poly: polyx.Polynomial) -> None:
    frame = poly.to_frame()
    assert list(frame.columns) == ["term", "degree", *poly.outputs]
    assert frame["term"].tolist() == poly.term_names(ascii=True)
    np.testing.assert_array_equal(frame["degree"].to_numpy(), poly.exponents.sum(axis=1))
    for k, output in enumerate(poly.outputs):
        np.testing.assert_array_equal(frame[output].to_numpy(), poly.coefficients[k])


def test_predict_matches_frame_columns_by_name(poly: polyx.Polynomial) -> None:
    shuffled = ROWS[["y", "x4", "x2", "x3", "x1"]].set_index(ROWS.index + 100)
    predicted = poly.predict(shuffled)
    expected = explicit_values(poly.exponents, poly.coefficients, ROWS[["x1", "x2", "x3", "x4"]].to_numpy())
    assert list(predicted.columns) == list(poly.outputs) and (predicted.index == shuffled.index).all()
    np.testing.assert_allclose(predicted.to_numpy(), expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(poly.predict(ROWS[["x1", "x2", "x3", "x4"]].to_numpy()), expected, rtol=1e-12, atol=1e-14)
    with pytest.raises(DataError, match="no column 'x3'"):
        poly.predict(ROWS.drop(columns="x3"))


def test_the_displays_show_the_largest_terms_and_count_the_rest(poly: polyx.Polynomial) -> None:
    html, latex = poly._repr_html_(), poly._repr_latex_()
    names = poly.term_names()
    largest = names[int(np.argmax(np.abs(poly.coefficients[0])))]
    smallest = names[int(np.argmin(np.abs(poly.coefficients[0])))]
    assert f"<td>{largest}</td>" in html and f"<td>{smallest}</td>" not in html
    assert f"largest 8 terms of {poly.n_terms}" in html
    assert latex.startswith("$$\\begin{aligned}") and latex.endswith("\\end{aligned}$$") and "\\dots" in latex
    small = poly.pruned(top=3)
    assert "\\dots" not in small._repr_latex_() and "of " not in small._repr_html_().split("caption>")[1]


def test_without_pandas_to_frame_says_how_to_install_it(poly: polyx.Polynomial, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"pip install 'polyx\[pandas\]'"):
        poly.to_frame()
