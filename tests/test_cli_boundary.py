"""The CLI's error boundary: library errors become one stderr line and exit code 2.

The commands that raise are added to the real ``polyx`` group for one test only (the fixture
removes them), so the boundary under test is the production one and no other test sees them.
"""

from __future__ import annotations

import os
from typing import Iterator

import click
import pytest
from click.testing import CliRunner

from oracles import one_error_line
from polyx import __version__
from polyx.cli.main import cli, main
from polyx.errors import DataError

LINE = "data.csv, line 3, column 'x1': 'abc' is not a number; fix the value or drop the row"


@click.command("raise-for-test", hidden=True)
@click.argument("words", nargs=-1)
def _raise(words: tuple[str, ...]) -> None:
    raise DataError(" ".join(words) or LINE)


@click.command("crash-for-test", hidden=True)
def _crash() -> None:
    raise ZeroDivisionError("a polyx bug")


@pytest.fixture
def raising() -> Iterator[None]:
    for command in (_raise, _crash):
        cli.add_command(command)
    yield
    for command in (_raise, _crash):
        cli.commands.pop(str(command.name))


def test_polyx_error_is_one_line_and_exit_2(raising: None) -> None:
    assert one_error_line(CliRunner().invoke(cli, ["raise-for-test"])) == f"polyx: error: {LINE}"


def test_error_line_keeps_square_brackets(raising: None) -> None:
    line = one_error_line(CliRunner().invoke(cli, ["raise-for-test", 'pip install "polyx[plot]"']))
    assert line == 'polyx: error: pip install "polyx[plot]"'


def test_any_other_exception_is_an_internal_error_with_exit_3(raising: None) -> None:
    result = CliRunner().invoke(cli, ["crash-for-test"])
    assert result.exit_code == 3 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "polyx: error: internal error (ZeroDivisionError: a polyx bug); rerun with --debug and report it"
    )


def test_debug_shows_traceback(raising: None) -> None:
    result = CliRunner().invoke(cli, ["--debug", "raise-for-test"])
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and result.stderr.strip().endswith(f"polyx: error: {LINE}")


@pytest.mark.parametrize("args", [["raise-for-test", "--debug"], ["--debug", "raise-for-test"], ["raise-for-test", "a", "--debug", "b"]])
def test_main_accepts_debug_anywhere_before_a_double_dash(raising: None, capsys: pytest.CaptureFixture, args: list[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        main(args)
    assert stop.value.code == 2
    assert "Traceback" in capsys.readouterr().err


def test_debug_after_a_double_dash_is_an_argument(raising: None, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["raise-for-test", "--", "--debug"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and "Traceback" not in err
    assert err.strip() == "polyx: error: --debug"


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"polyx, version {__version__}"


def test_written_files_get_ordinary_permissions(tmp_path) -> None:
    from polyx.files import write_atomic

    umask = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "out.json", "{}")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
