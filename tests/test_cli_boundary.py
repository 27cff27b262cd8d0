"""The CLI's error boundary: library errors become one stderr line and exit code 2."""

import click
from click.testing import CliRunner

from polyx.cli.main import cli
from polyx.errors import DataError


@cli.command("_raise_for_test", hidden=True)
def _raise_for_test() -> None:
    raise DataError("data.csv, line 3, column 'x1': 'abc' is not a number; fix the value or drop the row")


def test_polyx_error_is_one_line_and_exit_2() -> None:
    result = CliRunner().invoke(cli, ["_raise_for_test"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "line 3, column 'x1'" in lines[0]


def test_debug_shows_traceback() -> None:
    result = CliRunner().invoke(cli, ["--debug", "_raise_for_test"])
    assert result.exit_code == 2
    assert "Traceback" in result.stderr


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert "polyx" in result.output
    assert isinstance(cli, click.Group)
