"""Property-based tests of every command's options (issue 20): bad values are one line, exit 2, nothing written.

The options are read from the commands themselves (``polyx.cli.commands.ALL``), so an option
added later is fuzzed too, and a numeric option left with click's bare ``float``/``int`` (which
accept NaN, inf and any size) fails ``test_every_numeric_option_has_a_checked_type``. Values are
drawn per type: NaN and infinities in their spellings, numbers just outside the range, huge and
negative numbers, empty strings, and arbitrary Unicode with control characters that Python's own
``float``/``int`` (the oracle) do not read as numbers.
"""

from __future__ import annotations

import math
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from polyx.cli import commands
from polyx.cli.main import cli
from polyx.cli.options import FiniteFloat, FiniteFloatList, MemorySize, TaylorOrders

# The arguments each command needs to reach option parsing; none of these files exists, and none
# is opened: a refused option stops the command before any file is touched.
BASE = {
    "convert": ["model.onnx"], "inspect": ["model.onnx"], "verify": ["data.csv"], "show": ["poly.json"],
    "predict": ["poly.json", "data.csv"], "export": ["poly.json"], "plot": ["poly.json", "--kind", "coefficients"],
    "demo": [], "trace": ["model.onnx"],
}
CHECKED = (FiniteFloat, FiniteFloatList, TaylorOrders, MemorySize, click.IntRange)
NON_FINITE = ["nan", "NaN", "-nan", "inf", "-inf", "+inf", "Infinity", "-Infinity", "1e999", "-1e999"]


def _is_float(text: str) -> bool:
    try:
        float(text)
    except (ValueError, OverflowError):
        return False
    return True


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


JUNK = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
"""Any text, control characters and all, including the empty string."""
NOT_A_FLOAT = JUNK.filter(lambda text: not _is_float(text))
NOT_AN_INT = JUNK.filter(lambda text: not _is_int(text))
HUGE = st.integers(10**12, 10**40)


def numeric_options() -> list[tuple[str, click.Option]]:
    """(command, option) for every option whose value is a number or a list of numbers."""
    found = []
    for command in commands.ALL:
        for param in command.params:
            if isinstance(param, click.Option) and not param.is_flag and isinstance(param.type, CHECKED):
                found.append((command.name, param))
    return found


OPTIONS = numeric_options()


def _long(param: click.Option) -> str:
    return next(opt for opt in param.opts if opt.startswith("--"))


def bad_float(kind: FiniteFloat) -> st.SearchStrategy[str]:
    outside = []
    if kind.min is not None:
        below = st.floats(max_value=kind.min, allow_nan=False, allow_infinity=False, exclude_max=not kind.min_open)
        outside.append(below.filter(lambda x: x < kind.min or (kind.min_open and x == kind.min)).map(repr))
    if kind.max is not None:
        above = st.floats(min_value=kind.max, allow_nan=False, allow_infinity=False, exclude_min=not kind.max_open)
        outside.append(above.filter(lambda x: x > kind.max or (kind.max_open and x == kind.max)).map(repr))
    return st.one_of(st.sampled_from(NON_FINITE), NOT_A_FLOAT, *outside)


def bad_int(kind: click.IntRange) -> st.SearchStrategy[str]:
    outside = [st.sampled_from(["1.5", "1e3", "nan", "inf", "0x10"])]
    if kind.min is not None:
        outside.append(st.integers(max_value=kind.min - 1).map(str))
    if kind.max is not None:
        outside.append(st.integers(min_value=kind.max + 1).map(str) | HUGE.map(lambda n: str(kind.max + n)))
    return st.one_of(NOT_AN_INT, *outside)


def bad_list(kind: FiniteFloatList) -> st.SearchStrategy[str]:
    element = st.one_of(st.sampled_from(NON_FINITE), NOT_A_FLOAT.filter(lambda t: "," not in t),
                        st.floats(min_value=kind.limit, exclude_min=True, allow_infinity=False).map(repr))
    good = st.floats(-1, 1).map(repr)
    return st.tuples(st.lists(good, max_size=3), element, st.lists(good, max_size=3)).map(
        lambda parts: ",".join([*parts[0], parts[1], *parts[2]])
    ) | st.sampled_from(["", ",", "1,,2", " "])


def bad_value(param: click.Option) -> st.SearchStrategy[str]:
    kind = param.type
    if isinstance(kind, FiniteFloat):
        return bad_float(kind)
    if isinstance(kind, click.IntRange):
        return bad_int(kind)
    if isinstance(kind, FiniteFloatList):
        return bad_list(kind)
    if isinstance(kind, TaylorOrders):
        return st.one_of(st.sampled_from(["1.5", "65", "1e30", "8,nan", "8,,1", ""] + NON_FINITE), NOT_A_FLOAT)
    return st.one_of(st.sampled_from(["nan", "-1", "0", "1e400", "4XB", "", "inf"]), NOT_A_FLOAT)  # MemorySize


@st.composite
def refused_calls(draw: st.DrawFn) -> tuple[str, click.Option, str]:
    command, param = draw(st.sampled_from(OPTIONS))
    return command, param, draw(bad_value(param))


def test_every_numeric_option_has_a_checked_type() -> None:
    """No option is left with click's bare FLOAT or INT, which accept NaN, inf and any size."""
    loose = [f"{command.name} {param.opts[0]}" for command in commands.ALL for param in command.params
             if isinstance(param, click.Option) and not param.is_flag
             and (param.type in (click.FLOAT, click.INT) or type(param.type) in (click.FloatRange,))]
    assert loose == []
    assert {name for name, _ in OPTIONS} >= {"convert", "inspect", "verify", "show", "plot"}
    assert len(OPTIONS) >= 25


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(call=refused_calls())
def test_a_bad_option_value_is_one_line_exit_2_and_writes_nothing(call, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    command, param, value = call
    monkeypatch.chdir(tmp_path)
    name = _long(param)
    result = CliRunner().invoke(cli, [command, *BASE[command], f"{name}={value}"])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, (command, name, value, result.stderr)
    assert len(lines) == 1 and lines[0].startswith("polyx: error: "), result.stderr
    assert f"'{name}'" in lines[0], lines[0]
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert "\x1b" not in result.stderr and "\x00" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_finite_values_in_range_are_accepted_exactly(data: st.DataObject) -> None:
    """The other side of the property: every finite float in an option's range is read back as itself."""
    floats = [param for _, param in OPTIONS if isinstance(param.type, FiniteFloat)]
    param = data.draw(st.sampled_from(floats))
    kind = param.type
    value = data.draw(st.floats(min_value=kind.min, max_value=kind.max, exclude_min=kind.min_open,
                                exclude_max=kind.max_open, allow_nan=False, allow_infinity=False))
    assert kind.convert(repr(value), param, None) == value
    listed = data.draw(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=4))
    assert FiniteFloatList().convert(",".join(map(repr, listed)), None, None) == tuple(listed)
    assert all(math.isfinite(v) for v in listed)


# --- usage errors: one line for every command ---------------------------------------------------------


def _one_usage_line(args: list[str]) -> str:
    result = CliRunner().invoke(cli, args, prog_name="polyx")
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("polyx: error: ") and "Usage:" not in result.stderr and "Try '" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("command", [command.name for command in commands.ALL])
def test_an_unknown_option_is_one_line_with_the_help_hint(command: str) -> None:
    line = _one_usage_line([command, *BASE[command], "--no-such-option"])
    assert "No such option '--no-such-option'" in line and line.endswith(f"(see 'polyx {command} --help')")


@pytest.mark.parametrize("command", [command.name for command in commands.ALL if BASE[command.name]])
def test_a_missing_argument_is_one_line_with_the_help_hint(command: str) -> None:
    line = _one_usage_line([command])
    assert "Missing argument" in line and line.endswith(f"(see 'polyx {command} --help')")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--bogus"], "polyx: error: No such option '--bogus' (see 'polyx --help')"),
        (["conver"], "polyx: error: No such command 'conver'. Did you mean 'convert'? (see 'polyx --help')"),
        (["convert", "m.onnx", "--method", "nope"], "'--method' / '-m': 'nope' is not one of"),
        (["show", "p.json", "--format", "html"], "'--format': 'html' is not one of"),
        (["plot", "p.json"], "Missing option '--kind' / '-k'"),
        (["convert", "m.onnx", "--order"], "Option '--order' requires an argument (see 'polyx convert --help')"),
        (["show", "p.json", "--eig", "--format", "latex"], "--eig prints a table or JSON"),
        (["export", "p.json", "extra-argument"], "Got unexpected extra argument (extra-argument)"),
    ],
)
def test_other_usage_errors_are_one_line(args: list[str], expected: str) -> None:
    assert expected in _one_usage_line(args)


def test_help_is_still_help() -> None:
    result = CliRunner().invoke(cli, ["convert", "--help"], prog_name="polyx")
    assert result.exit_code == 0 and result.stdout.startswith("Usage: polyx convert [OPTIONS] MODEL")
    bare = CliRunner().invoke(cli, [], prog_name="polyx")
    assert "Usage: polyx [OPTIONS] COMMAND [ARGS]..." in bare.output and "polyx: error" not in bare.output
