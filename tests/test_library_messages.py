"""The library names parameters, never command-line flags; the CLI shows the flags.

A message raised or warned in ``expansion/``, ``converters/`` or ``core/`` is read by Python users
too, who never typed ``--order``: it names the parameter (`order`, in backticks) and the CLI shows
the running command's flag instead (``polyx.cli.flags``). The source test reads every string
constant of those packages that is not a docstring (messages are often built in a variable
before the ``raise``, so every string is checked, not only the ones inside ``raise``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from nn2poly_helpers import anchor_case, onnx_from_weights
from polyx.cli.main import cli
from polyx.converters.ir.chain import Activation, DenseLayer, Network
from polyx.errors import DataError, MethodError, PolyxError

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ("expansion", "converters", "core")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*|(?<![\w-])-[a-zA-Z](?![\w-])")
"""A long flag (``--order``) or a short one standing alone (``-o``)."""

ALLOWED = {
    # Another program's command line, quoted for the user to run (tf2onnx's own flags).
    ("core/native_files.py", "--saved-model"),
    ("core/native_files.py", "--output"),
    ("core/native_files.py", "--opset"),
    ("core/native_files.py", "-c"),  # python -c "…": the export one-liner for the user to run
    ("core/native_files.py", "-m"),  # python -m tf2onnx.convert
    # "a 2-d array": the f-string's literal part starts after the number, so "-d" looks like a flag.
    ("expansion/writers/artifact_npz.py", "-d"),
    # A comment inside generated source code that names the polyx command regenerating it.
    ("expansion/writers/codegen/program.py", "--to"),
}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (module, class, function, or attribute docs)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for statement in body:
            if (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
                    and isinstance(statement.value.value, str)):
                found.add(id(statement.value))
    return found


def _flag_strings() -> list[tuple[str, int, str]]:
    hits = []
    for folder in LIBRARY:
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            tree = ast.parse(path.read_text(encoding="utf-8"))
            docs = _docstrings(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                    for flag in FLAG.findall(node.value):
                        if (relative, flag) not in ALLOWED:
                            hits.append((relative, node.lineno, flag))
    return hits


def test_no_library_string_names_a_command_line_flag() -> None:
    hits = _flag_strings()
    assert not hits, "library strings that name CLI flags (name the parameter in backticks instead):\n" + "\n".join(
        f"{path}:{line}: {flag}" for path, line, flag in hits)


def test_the_source_check_sees_a_flag_in_an_f_string_and_skips_docstrings(tmp_path: Path) -> None:
    """The check itself: an f-string's literal part is a Constant node; a docstring is not a message."""
    tree = ast.parse('def f(x):\n    """Use --order."""\n    raise ValueError(f"lower --order, got {x}")\n')
    docs = _docstrings(tree)
    strings = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
               and isinstance(node.value, str) and id(node) not in docs]
    assert [FLAG.findall(text) for text in strings] == [["--order"]]


def test_an_error_carries_the_parameters_its_message_names() -> None:
    error = DataError("`gaussian` and `data` both give the input model; use only one of them")
    assert error.options == ("gaussian", "data") and error.option == "gaussian"
    assert DataError("a plain message").option is None
    assert MethodError("x0 is missing", option="at").options == ("at",)


def test_the_python_api_names_the_parameter_not_the_flag() -> None:
    """``polyx.expand(net, "taylor")`` without a point: the message names `at`, never ``--at``."""
    import polyx

    network = Network([DenseLayer(np.array([[1.0, -0.5], [0.3, 0.8]]), np.zeros(2), Activation("tanh")),
                       DenseLayer(np.array([[1.0, 2.0]]), np.array([0.1]), Activation("linear"))])
    with pytest.raises(MethodError) as raised:
        polyx.expand(network, "taylor", 2)
    message = str(raised.value)
    assert "x0" in message and "`at`" in message and "--" not in message
    assert raised.value.option == "at"
    with pytest.raises(PolyxError) as raised:
        polyx.expand(network, "nn2poly", 2, taylor_orders=0)
    assert str(raised.value) == "`taylor_orders` must be ≥ 1, got 0"


def _cli_error(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("polyx: error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["convert", "{model}", "--method", "taylor"],
         "none was given; pass --at=0.5,-0.2, --at-row DATA.csv:N or --at-mean DATA.csv"),
        (["convert", "{model}", "--at", "0.5,0.5"], "--at applies to --method taylor, not nn2poly"),
        (["convert", "{model}", "--taylor-orders", "0"], "--taylor-orders must be ≥ 1, got 0"),
        (["convert", "{model}", "--method", "lsq", "--mixture", "2"], "--mixture k fits a k-component Gaussian mixture to --data"),
        (["convert", "{model}", "--method", "lsq", "--gaussian", "{model}", "--data", "{model}"],
         "--gaussian and --data both give the input model"),
        (["convert", "{model}", "-o", "{model}"], "--output names the same file as the model"),
    ],
)
def test_the_cli_still_shows_the_flags(args: list[str], expected: str, tmp_path: Path) -> None:
    model = onnx_from_weights(anchor_case("case05"), tmp_path / "net.onnx")
    line = _cli_error(*(arg.format(model=model) for arg in args))
    assert expected in line and "`" not in line, line


def test_a_warning_shows_the_flag_on_the_command_line_and_the_parameter_in_the_artifact(tmp_path: Path) -> None:
    """``--logits`` on a network without a classifier output: the warning line names the flag, the artifact the parameter."""
    import json

    model = onnx_from_weights(anchor_case("case05"), tmp_path / "net.onnx")
    out = tmp_path / "net.poly.json"
    result = CliRunner().invoke(cli, ["convert", str(model), "--logits", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: the network has no sigmoid or softmax output: --logits changes nothing" in result.stderr
    warnings = json.loads(out.read_text(encoding="utf-8"))["diagnostics"]["warnings"]
    assert "the network has no sigmoid or softmax output: `logits` changes nothing" in warnings
    shown = CliRunner().invoke(cli, ["show", str(out)])
    assert shown.exit_code == 0 and "output: --logits changes nothing" in shown.stdout, shown.output


def test_a_method_parameter_given_under_another_flag_is_shown_as_that_flag() -> None:
    """``components`` (inside the lsq method) is what ``convert --mixture`` gives; ``mean`` comes from ``--gaussian``."""
    import click

    from polyx.cli.flags import for_cli

    convert = cli.commands["convert"]
    with click.Context(cli) as context, click.Context(convert, parent=context):
        assert for_cli("`components` k needs `data`; `mean` too", convert) == "--mixture k needs --data; --gaussian too"
        assert for_cli("`fit_margin` is Python-only", convert) == "`fit_margin` is Python-only"
    verify = cli.commands["verify"]
    with click.Context(cli) as context, click.Context(verify, parent=context):
        assert for_cli("`data` has 3 rows; `order` 2", verify) == "DATA has 3 rows; --order 2"
