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


@cli.command("_raise_brackets_for_test", hidden=True)
def _raise_brackets_for_test() -> None:
    raise DataError('matplotlib is missing; pip install "polyx[plot]"')


def test_error_line_keeps_square_brackets() -> None:
    result = CliRunner().invoke(cli, ["_raise_brackets_for_test"])
    assert result.exit_code == 2
    assert 'pip install "polyx[plot]"' in result.stderr


def test_written_files_get_ordinary_permissions(tmp_path) -> None:
    import os

    from polyx.files import write_atomic

    umask = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "out.json", "{}")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
