"""Nothing the user owns is lost: own inputs never overwritten, special files never opened or replaced,
signals and failed writes leave the previous files as they were, and ``verify`` never passes garbage.

Issue 12's six cases are here by name (own output path, symlink alias, FIFO, no-gate verify on a useless
polynomial, SIGINT during convert, predict over its own data), with hard links, SIGTERM, rollback and
device/symlink outputs beside them. Signals are sent to real ``polyx`` processes while a write is held
open by ``POLYX_TEST_WRITE_DELAY`` (the temporary file exists, the old file is still in place).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result

from oracles import one_error_line
from polyx import save_polynomial
from polyx.cli.main import cli
from polyx.errors import ArtifactError
from polyx.expansion.polynomials.polynomial import Polynomial
from polyx.files import WRITE_DELAY_VARIABLE, write_all_atomic
from test_verify import ort_outputs
from test_verify_cli import DATA, MODEL, fitted

SAMPLES = Path(__file__).resolve().parents[1] / "sample_models"
POLYX = [sys.executable, "-c", "from polyx.cli.main import main; main()"]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """m.onnx, its polynomial m.poly.json (a least-squares fit, R² > 0.99), data.csv (x1..x4, y)."""
    shutil.copy(MODEL, tmp_path / "m.onnx")
    shutil.copy(DATA, tmp_path / "data.csv")
    save_polynomial(fitted(tmp_path / "m.onnx", 3), tmp_path / "m.poly.json")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file in the folder (hidden temporaries included) with its bytes; links as their target."""
    return {p.name: (b"->" + os.readlink(p).encode()) if p.is_symlink() else p.read_bytes()
            for p in sorted(folder.iterdir()) if p.is_symlink() or p.is_file()}


def refused(args: list[str], folder: Path, *expected: str) -> str:
    """Run, expect exit 2 with one line holding every ``expected`` text, and no file changed."""
    before = snapshot(folder)
    line = one_error_line(run(*args))
    for text in expected:
        assert text in line, line
    assert snapshot(folder) == before
    return line


# --- issue 12: own output path, symlink alias, hard link -------------------------------------------

OWN_INPUTS = [
    (["convert", "m.onnx", "-q", "2", "-o", "m.onnx"], "m.onnx: --output names the same file as the model m.onnx"),
    (["convert", "m.onnx", "-o", "a.json", "--latex", "data.csv", "--data", "data.csv"], "--latex names the same file as the --data data.csv"),
    (["convert", "m.onnx", "-o", "m.poly.json", "-m", "taylor", "--at-mean", "m.poly.json"], "--output names the same file as the --at-mean m.poly.json"),
    (["predict", "m.poly.json", "data.csv", "-o", "data.csv", "--exclude", "y"], "data.csv: --output names the same file as the data data.csv"),
    (["predict", "m.poly.json", "data.csv", "-o", "m.poly.json", "--exclude", "y"], "--output names the same file as the polynomial m.poly.json"),
    (["verify", "data.csv", "--exclude", "y", "--report", "data.csv"], "--report names the same file as the data data.csv"),
    (["verify", "data.csv", "--exclude", "y", "--junit", "m.poly.json"], "--junit names the same file as the polynomial m.poly.json"),
    (["verify", "data.csv", "--exclude", "y", "--report", "m.onnx"], "--report names the same file as the model m.onnx"),
    (["export", "m.poly.json", "-o", "m.onnx"], "--output names the same file as the network the polynomial was made from"),
    (["plot", "m.poly.json", "--kind", "diagonal", "--data", "data.csv", "--exclude", "y", "-o", "m.onnx.png",
      "--model", "m.onnx.png"], "--output names the same file as the --model m.onnx.png"),
]


@pytest.mark.parametrize(("args", "message"), OWN_INPUTS, ids=[" ".join(a[:1] + a[-2:]) for a, _ in OWN_INPUTS])
def test_a_command_never_writes_over_its_own_input(project: Path, args: list[str], message: str) -> None:
    (project / "m.onnx.png").write_bytes(b"not an image, an input")
    refused(args, project, message, "choose another output path")


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_an_alias_of_the_model_is_refused_as_output(project: Path, link: str) -> None:
    (os.symlink if link == "symlink" else os.link)("m.onnx", project / "alias.onnx")
    refused(["convert", "m.onnx", "-q", "2", "-o", "alias.onnx"], project, "alias.onnx: --output names the same file as the model m.onnx")
    refused(["convert", "alias.onnx", "-q", "2", "-o", "m.onnx"], project, "m.onnx: --output names the same file as the model alias.onnx")


def test_a_hard_link_of_the_data_is_refused_as_prediction_output(project: Path) -> None:
    os.link("data.csv", project / "same.csv")
    refused(["predict", "m.poly.json", "data.csv", "-o", "same.csv", "--exclude", "y"], project,
            "same.csv: --output names the same file as the data data.csv")


def test_demo_refuses_the_folder_of_its_packaged_samples() -> None:
    """The folder the installed package reads its samples from (the repository's with an editable
    install, site-packages otherwise)."""
    from importlib import resources

    packaged = Path(str(resources.files("polyx.sample_models")))
    before = snapshot(packaged)
    line = one_error_line(run("demo", "--out", str(packaged)))
    assert "names the same file as the packaged sample" in line
    assert snapshot(packaged) == before


# --- issue 12: inputs are regular files (FIFO, socket, device, folder) ------------------------------

def test_inspect_of_a_fifo_is_refused_at_once(project: Path) -> None:
    """The issue's hang: a real process, so a blocking open would show as a timeout, not a stuck suite."""
    os.mkfifo(project / "pipe.onnx")
    done = subprocess.run([*POLYX, "inspect", "pipe.onnx"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        "polyx: error: pipe.onnx: is a named pipe (FIFO), not a model file; polyx reads regular files only, so save it to a file first"
    ]


SPECIAL_INPUTS = [
    (["inspect", "{}"], "model file"),
    (["show", "{}"], "polynomial file"),
    (["convert", "{}"], "model file"),
    (["convert", "m.onnx", "-o", "a.json", "--data", "{}", "--exclude", "y"], "--data file"),
    (["convert", "m.onnx", "-o", "a.json", "-m", "lsq", "--gaussian", "{}"], "--gaussian file"),
    (["predict", "{}", "data.csv"], "polynomial file"),
    (["predict", "m.poly.json", "{}"], "data file"),
    (["verify", "{}"], "data file"),
    (["verify", "data.csv", "--model", "{}"], "model file"),
    (["export", "{}"], "polynomial file"),
    (["plot", "{}", "--kind", "coefficients", "-o", "p.png"], "source file"),
]


@pytest.mark.parametrize("kind", ["fifo", "socket", "device", "folder"])
@pytest.mark.parametrize(("args", "what"), SPECIAL_INPUTS, ids=[" ".join(a[:2]) + f" {w}" for a, w in SPECIAL_INPUTS])
def test_special_inputs_are_refused_without_opening(project: Path, kind: str, args: list[str], what: str) -> None:
    name = {"fifo": "special", "socket": "special", "folder": "special", "device": "/dev/zero"}[kind]
    keep = None
    if kind == "fifo":
        os.mkfifo(project / name)
    elif kind == "socket":
        keep = socket.socket(socket.AF_UNIX)
        keep.bind(str(project / name))
    elif kind == "folder":
        (project / name).mkdir()
    described = {"fifo": "is a named pipe (FIFO)", "socket": "is a socket", "device": "is a character device",
                 "folder": "is a folder"}[kind]
    expected = f"{name}: {described}, not a {what}"
    if kind == "folder" and what in ("--data file", "data file"):
        # a folder of Parquet files is one dataset (tabular.resolve_data_path); an empty one is refused
        expected = f"{name}: no data files in the folder {name}"
    try:
        line = refused([arg.replace("{}", name) for arg in args], project, expected)
    finally:
        if keep is not None:
            keep.close()
    assert line.count("polyx: error:") == 1


# --- issue 12: verify's default gate ---------------------------------------------------------------

def useless(poly: Polynomial) -> Polynomial:
    """The fit with its coefficients negated and shifted: R² against the network far below zero."""
    return Polynomial(poly.variables, poly.outputs, poly.exponents, -3.0 * poly.coefficients + 1.0,
                      method=poly.method, provenance=poly.provenance)


def independent_r2(poly: Polynomial) -> float:
    """R² of the polynomial against onnxruntime, computed here in float64 from the CSV."""
    x = np.loadtxt(DATA, delimiter=",", skiprows=1)[:, :4]
    network = ort_outputs(MODEL, x)[:, 0]
    values = poly.evaluate(x)[:, 0]
    return float(1.0 - np.sum((values - network) ** 2) / np.sum((network - network.mean()) ** 2))


def test_verify_with_no_gate_fails_a_useless_polynomial(project: Path) -> None:
    poly = useless(fitted(project / "m.onnx", 3))
    save_polynomial(poly, project / "m.poly.json")
    r2 = independent_r2(poly)
    assert r2 < -1
    result = run("verify", "data.csv", "--exclude", "y")
    assert result.exit_code == 1, result.output
    gate_row = next(line for line in result.stdout.splitlines() if "(default)" in line)
    assert "r2 >= 0.99 (default)" in gate_row and "FAILED" in gate_row
    assert float(gate_row.split("│")[3]) == pytest.approx(r2, rel=1e-5)  # the table shows 6 digits
    assert result.stdout.strip().splitlines()[-1] == "FAILED: 1 of 2 gates"
    assert "passed" not in result.stdout.strip().splitlines()[-1]


def test_verify_with_no_gate_passes_a_good_polynomial_under_the_default_gate(project: Path) -> None:
    assert independent_r2(fitted(project / "m.onnx", 3)) > 0.99
    result = run("verify", "data.csv", "--exclude", "y", "--junit", "j.xml")
    assert result.exit_code == 0, result.output
    assert "r2 >= 0.99 (default)" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "passed: all 2 gates"
    assert 'name="r2 &gt;= 0.99 (default)' in (project / "j.xml").read_text()


def test_no_default_gate_says_not_checked_never_passed(project: Path) -> None:
    save_polynomial(useless(fitted(project / "m.onnx", 3)), project / "m.poly.json")
    result = run("verify", "data.csv", "--exclude", "y", "--no-default-gate")
    assert result.exit_code == 0, result.output
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("not checked: no gate given and --no-default-gate")
    assert "passed:" not in result.stdout


def test_explicit_gates_replace_the_default(project: Path) -> None:
    save_polynomial(useless(fitted(project / "m.onnx", 3)), project / "m.poly.json")
    result = run("verify", "data.csv", "--exclude", "y", "--max-abs", "1e9")
    assert result.exit_code == 0, result.output
    assert "(default)" not in result.stdout


# --- writes: rollback, devices, stdout, symlinks, long names ---------------------------------------

def test_failed_second_file_leaves_the_existing_artifact_intact(project: Path) -> None:
    """Issue 19: convert -o out.json --latex /proc/x.tex removed an existing out.json."""
    (project / "out.json").write_text("the user's earlier artifact")
    refused(["convert", "m.onnx", "-o", "out.json", "--latex", "/proc/x.tex"], project, "/proc/x.tex: cannot write")
    assert (project / "out.json").read_text() == "the user's earlier artifact"


def test_a_rename_that_fails_midway_restores_every_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commit step itself fails on the third file: the first two get their old contents back."""
    old = {"a.txt": "old a", "b.txt": "old b", "c.txt": "old c"}
    for name, text in old.items():
        (tmp_path / name).write_text(text)
    real_replace, calls = os.replace, []

    def failing_third(source: str, target: str) -> None:
        calls.append(target)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", failing_third)
    with pytest.raises(ArtifactError, match="c.txt: cannot write"):
        write_all_atomic([(tmp_path / name, f"new {name}") for name in [*old, "new.txt"]])
    monkeypatch.setattr(os, "replace", real_replace)
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == old


def test_all_files_are_written_together(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old")
    write_all_atomic([(tmp_path / "a.txt", "new a"), (tmp_path / "b.txt", b"new b")])
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"a.txt": "new a", "b.txt": "new b"}


def test_dev_null_is_written_not_replaced(project: Path) -> None:
    before = os.stat("/dev/null")
    for args in (["convert", "m.onnx", "-o", "/dev/null"], ["predict", "m.poly.json", "data.csv", "--exclude", "y", "-o", "/dev/null"],
                 ["verify", "data.csv", "--exclude", "y", "--report", "/dev/null", "--junit", "j.xml"],
                 ["export", "m.poly.json", "-o", "/dev/null"]):
        result = run(*args)
        assert result.exit_code == 0, result.output
    after = os.stat("/dev/null")
    assert (after.st_ino, after.st_rdev, after.st_mode) == (before.st_ino, before.st_rdev, before.st_mode)
    assert not [name for name in os.listdir("/dev") if name.startswith(".null.")]


def test_dash_writes_the_file_to_stdout_and_the_messages_to_stderr(project: Path) -> None:
    result = run("convert", "m.onnx", "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith('{\n  "format": "polyx.polynomial/2"')
    assert "wrote -" in result.stderr
    assert not (project / "-").exists()
    result = run("predict", "m.poly.json", "data.csv", "--exclude", "y", "-o", "-")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2001
    assert not (project / "-").exists()


def test_dev_stdout_reaches_the_pipe(project: Path) -> None:
    """/dev/stdout is a symlink: replacing it would send the artifact to a file nobody reads."""
    done = subprocess.run([*POLYX, "convert", "m.onnx", "-o", "/dev/stdout"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('{\n  "format": "polyx.polynomial/2"')
    assert "wrote /dev/stdout" in done.stderr
    assert os.path.islink("/dev/stdout")


def test_a_symlinked_output_is_written_through_to_its_target(project: Path) -> None:
    (project / "real").mkdir()
    (project / "real" / "target.json").write_text("old")
    os.symlink("real/target.json", project / "link.json")
    result = run("convert", "m.onnx", "-o", "link.json")
    assert result.exit_code == 0, result.output
    assert os.readlink(project / "link.json") == "real/target.json"
    assert (project / "real" / "target.json").read_text().startswith('{\n  "format": "polyx.polynomial/2"')
    assert sorted(os.listdir(project / "real")) == ["target.json"]


def test_an_output_name_over_255_bytes_is_one_line(project: Path) -> None:
    name = "a" * 300 + ".json"
    line = refused(["convert", "m.onnx", "-o", name], project, "file name is 305 bytes, longer than the 255")
    assert "internal error" not in line
    refused(["predict", "m.poly.json", "data.csv", "-o", "é" * 130 + ".csv"], project, "file name is 264 bytes")


def test_an_output_name_near_255_bytes_still_writes(project: Path) -> None:
    """The temporary name ('.NAME.XXXXXXXX.tmp') is longer than the output's: it is cut to fit."""
    name = "b" * 250 + ".json"
    result = run("convert", "m.onnx", "-o", name)
    assert result.exit_code == 0, result.output
    assert (project / name).is_file()


# --- issue 12 and 20: SIGINT and SIGTERM during every writer ---------------------------------------

SIGNALLED = [
    ("convert", ["convert", "m.onnx", "-q", "3", "-o", "old.json"], signal.SIGINT),
    ("convert --latex --sympy", ["convert", "m.onnx", "-o", "old.json", "--latex", "new.tex", "--sympy", "new.py"], signal.SIGTERM),
    ("predict -o", ["predict", "m.poly.json", "data.csv", "--exclude", "y", "-o", "old.json"], signal.SIGTERM),
    ("verify --report --junit", ["verify", "data.csv", "--exclude", "y", "--report", "old.json", "--junit", "new.xml"], signal.SIGINT),
    ("plot", ["plot", "m.poly.json", "--kind", "coefficients", "-o", "old.json.png"], signal.SIGTERM),
    ("export", ["export", "m.poly.json", "-o", "old.json.onnx"], signal.SIGINT),
]


@pytest.mark.parametrize(("args", "signum"), [(a, s) for _, a, s in SIGNALLED], ids=[name for name, _, _ in SIGNALLED])
def test_a_signal_mid_write_exits_128_plus_signal_and_leaves_the_old_files(project: Path, args: list[str], signum: int) -> None:
    for name in ("old.json", "old.json.png", "old.json.onnx"):
        (project / name).write_text(f"the user's {name}")
    before = snapshot(project)
    env = {**os.environ, WRITE_DELAY_VARIABLE: "60"}
    process = subprocess.Popen([*POLYX, *args], cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while not any(name.endswith(".tmp") for name in os.listdir(project)):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "no temporary file appeared"
            time.sleep(0.05)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    name = signal.Signals(signum).name
    assert process.returncode == 128 + signum, stderr
    assert stderr.strip().splitlines() == [f"polyx: error: interrupted by {name}; no file was left half-written"]
    assert snapshot(project) == before


def test_a_signal_during_the_renames_waits_until_they_are_done() -> None:
    """``deferred``: the signal is held inside the block and raised, as Interrupted, when it ends."""
    from polyx import interrupts

    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    reached = []
    try:
        interrupts.install()
        with pytest.raises(interrupts.Interrupted) as raised:
            with interrupts.deferred():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)
                reached.append("end of block")
        assert reached == ["end of block"]
        assert (raised.value.exit_code, raised.value.name) == (143, "SIGTERM")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
