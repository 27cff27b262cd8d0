"""Names from files reach terminals and generated files safely (issue 20).

Control and invisible characters in an artifact's names are refused when it is read (and never
written); anything printed on the terminal shows them as visible escapes and never as rich
markup; LaTeX escapes them; the generated SymPy module has ASCII, unique identifiers that do not
shadow ``sympy`` or a builtin, and importing it gives each variable its own symbol, checked
against ``Polynomial.evaluate`` (numpy) at random points.
"""

from __future__ import annotations

import importlib.util
import io
import json
import keyword
import re
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import sympy
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from oracles import one_error_line
from polyx.cli.main import cli
from polyx.cli.terminal import PlainTable, Terminal
from polyx.errors import ArtifactError
from polyx.expansion.writers.artifact import polynomial_from_json, polynomial_schema, polynomial_to_json, save_polynomial
from polyx.expansion.polynomials.latex import latex_name, render_latex
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.expansion.writers.sympy_io import render_sympy_module
from polyx.names import printable, unsafe_characters

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"
TANH = SAMPLES / "k3_t2o15_seq_tanh_4-8-1.onnx"
ESC = "\x1b"
HOSTILE = ["x\x1b[2Jy", "bell\x07", "a\nb", "tab\tname", "rl\u202eo", "zero\u200bwidth", "nul\x00", "c1\x9b31m"]


def linear(variables: tuple[str, ...], outputs: tuple[str, ...] = ("y",)) -> Polynomial:
    """y_k = (k+1)·(1 + Σ (i+1)·x_i): each variable's coefficient tells which symbol it is."""
    n = len(variables)
    exponents = np.vstack([np.zeros(n, dtype=np.int64), np.eye(n, dtype=np.int64)])
    row = np.concatenate([[1.0], np.arange(1.0, n + 1)])
    coefficients = np.array([row * (k + 1) for k in range(len(outputs))])
    return Polynomial(variables, outputs, exponents, coefficients, method={"name": "test"})


def artifact_text(variables: list[str], outputs: list[str]) -> str:
    """A valid artifact's JSON with these names written in (bypassing the writer's own check)."""
    data = json.loads(polynomial_to_json(linear(tuple(f"x{i}" for i in range(len(variables))), tuple(f"y{k}" for k in range(len(outputs))))))
    data["variables"], data["outputs"] = variables, outputs
    return json.dumps(data)


# --- artifacts: refused when read, never written ----------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("field", ["variables", "outputs"])
def test_artifact_with_control_characters_in_names_is_refused_when_read(name: str, field: str) -> None:
    names = {"variables": ["ok", "ok2"], "outputs": ["y"]}
    names[field][0] = name
    character = unsafe_characters(name)[0]
    with pytest.raises(ArtifactError, match=rf"'{field}' name .* holds U\+{ord(character):04X} .*rename it in the file"):
        polynomial_from_json(artifact_text(names["variables"], names["outputs"]))


def test_show_refuses_an_escape_in_a_name_with_one_clean_line(tmp_path: Path) -> None:
    path = tmp_path / "evil.poly.json"
    path.write_text(artifact_text(["x\x1b[2J\x1b[31mred", "x2"], ["y"]))
    line = one_error_line(CliRunner().invoke(cli, ["show", str(path)]))
    assert "holds U+001B" in line and ESC not in line


@pytest.mark.parametrize("name", HOSTILE)
def test_writing_refuses_what_reading_would_refuse(name: str, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="cannot write the polynomial: 'variables' name"):
        save_polynomial(linear((name, "x2")), tmp_path / "p.json")
    assert not (tmp_path / "p.json").exists()


def test_a_csv_header_with_an_escape_never_becomes_an_artifact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text("a\x1b[2Jb,c,d,e\n0.1,0.2,0.3,0.4\n")
    result = CliRunner().invoke(cli, ["convert", str(TANH), "-m", "taylor", "--at-mean", "data.csv", "-o", "p.json"])
    line = one_error_line(result)
    assert "cannot write the polynomial: 'variables' name" in line and "U+001B" in line and ESC not in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


@pytest.mark.parametrize("name", HOSTILE)
def test_the_schema_refuses_what_the_reader_refuses(name: str) -> None:
    validator = jsonschema.Draft202012Validator(polynomial_schema())
    assert not validator.is_valid(json.loads(artifact_text([name, "x2"], ["y"])))
    assert not validator.is_valid(json.loads(artifact_text(["x1"], [name])))
    assert validator.is_valid(json.loads(artifact_text(["größe", "x²"], ["[bold]y"])))


def test_the_schema_and_the_reader_draw_the_same_line() -> None:
    """Every BMP character (surrogates aside) is unsafe for the schema exactly when it is for polyx.names."""
    forbidden = re.compile(polynomial_schema()["properties"]["variables"]["items"]["not"]["pattern"])
    characters = [chr(code) for code in range(0x10000) if not 0xD800 <= code < 0xE000]
    assert [c for c in characters if bool(forbidden.search(c)) != bool(unsafe_characters(c))] == []


def test_names_any_other_unicode_still_round_trip() -> None:
    names = ("größe", "x²", "ﬁ", "温度", "[bold]x", "a b")
    poly = linear(names)
    assert polynomial_from_json(polynomial_to_json(poly)).variables == names


# --- the terminal: escapes shown, markup not read ---------------------------------------------------


def captured() -> tuple[Terminal, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    terminal = Terminal(Console(file=out, width=200, force_terminal=True), Console(file=err, width=200, force_terminal=True))
    return terminal, out, err


def test_terminal_shows_control_characters_as_escapes_everywhere() -> None:
    terminal, out, err = captured()
    terminal.info("name x\x1b]0;pwned\x07 done")
    terminal.styled(("bold \x1b[2J", "bold"), " plain \u202e")
    table = PlainTable("col\x1b", title="title\x1b")
    table.add_row("cell\x1b[31m")
    terminal.table(table)
    terminal.warning("warn\x1b[5m\nsecond")
    terminal.error("err\x1b[2J\nsecond line")
    # Every ESC left is one rich wrote for a style, immediately followed by '[' and a style code.
    text = out.getvalue() + err.getvalue()
    assert "\\x1b]0;pwned\\x07" in text and "\\x1b[2J" in text and "\\u202e" in text and "cell\\x1b[31m" in text
    assert "\x07" not in text and "\u202e" not in text and "]0;" not in text.replace("\\x1b]0;", "")
    assert "err\\x1b[2J\\nsecond line" in err.getvalue() and "warn\\x1b[5m\\nsecond" in err.getvalue()


def test_show_prints_bracketed_names_literally_not_as_markup(tmp_path: Path) -> None:
    path = tmp_path / "p.poly.json"
    save_polynomial(linear(("[bold]x", "[red]y[/red]"), ("[link=http://e.vil]out",)), path)
    result = CliRunner().invoke(cli, ["show", str(path)])
    assert result.exit_code == 0, result.stderr
    assert "([bold]x, [red]y[/red])" in result.stdout and "[link=http://e.vil]out" in result.stdout


def test_warnings_escape_csv_column_names(tmp_path: Path) -> None:
    path = tmp_path / "p.poly.json"
    save_polynomial(linear(("x1", "x2")), path)
    (tmp_path / "d.csv").write_text("a\x1b[2J,b\n1,2\n")
    result = CliRunner().invoke(cli, ["predict", str(path), str(tmp_path / "d.csv")])
    assert result.exit_code == 0, result.stderr
    assert "a\\x1b[2J as x1" in result.stderr and ESC not in result.stderr


def test_printable_keeps_everything_else() -> None:
    assert printable("größe x² ﬁ 温度 [b]") == "größe x² ﬁ 温度 [b]"
    assert printable("a\nb\tc", keep="\n\t") == "a\nb\tc"
    assert printable("a\nb\x85") == "a\\nb\\x85"


# --- LaTeX ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE)
def test_latex_escapes_control_characters_in_names(name: str) -> None:
    text = render_latex(linear((name,), (name + "out",)), 6, 0.0)
    assert not unsafe_characters(text.replace("\n", "")), repr(text)
    assert "\\backslash{}" in latex_name(name)


# --- SymPy modules ------------------------------------------------------------------------------------


def import_module(source: str, path: Path):
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"polyx_generated_{abs(hash(source))}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def check_module(poly: Polynomial, path: Path) -> None:
    """Import the generated module; every identifier is ASCII, sympy is sympy, and each symbol is its variable."""
    source = render_sympy_module(poly)
    module = import_module(source, path)
    defined = {name: value for name, value in vars(module).items() if not name.startswith("__")}
    assert all(name.isascii() and name.isidentifier() and not keyword.iskeyword(name) for name in defined)
    assert module.sympy is sympy
    symbols = [value for value in defined.values() if isinstance(value, sympy.Symbol)]
    assert len(symbols) == len(poly.variables), "one module-level symbol per variable, none lost to a collision"
    assert [symbol.name for symbol in module.VARIABLES] == list(poly.variables)
    assert list(module.OUTPUTS) == list(poly.outputs)
    x = np.random.default_rng(0).uniform(-2, 2, size=(3, len(poly.variables)))
    expected = poly.evaluate(x)
    for k, name in enumerate(poly.outputs):
        for row, values in zip(expected, x):
            got = float(module.OUTPUTS[name].evalf(30, subs=dict(zip(module.VARIABLES, map(sympy.Float, values)))))
            assert got == pytest.approx(row[k], rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(
    "variables",
    [
        ("ﬁ", "fi"),  # NFKC: the ligature is 'fi'
        ("ｓｙｍｐｙ", "x"),  # fullwidth 'sympy' would rebind the module
        ("x²", "x2"),  # 'x²' is a SyntaxError; NFKC makes it 'x2'
        ("sympy", "VARIABLES", "OUTPUTS"),
        ("print", "float", "None", "class", "match", "_"),
        ("__name__", "__builtins__", "__doc__"),
        ("1x", "x-1", "x 1", "x.1"),
        ("a\x1bb", "a\u202eb", "a\nb"),  # in memory only: the artifact would refuse these
        ("y", "y_2"),  # a variable named like the suffix another one would get
    ],
)
def test_generated_module_identifiers_are_ascii_unique_and_right(variables: tuple[str, ...], tmp_path: Path) -> None:
    check_module(linear(variables, ("y", "ｙ")), tmp_path / "m.py")


NAMES = st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=5)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(NAMES, min_size=1, max_size=5, unique=True), outputs=st.lists(NAMES, min_size=1, max_size=2, unique=True))
def test_generated_module_is_right_for_any_names(names: list[str], outputs: list[str], tmp_path: Path) -> None:
    check_module(linear(tuple(names), tuple(outputs)), tmp_path / "m.py")
