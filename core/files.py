"""File output: targets checked before any work, and atomic writes that never leave half a file or lose an old one.

Every OSError while writing (a folder where a file was asked for, a full disk, no permission)
becomes one ArtifactError line, so bad output paths are reported like every other bad input.
Model files are identified by their sha256 (``file_sha256``).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import stat
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator, Sequence

from polyx.errors import ArtifactError
from polyx.interrupts import deferred

__all__ = [
    "STDOUT",
    "check_writable",
    "check_outputs",
    "default_output_name",
    "file_sha256",
    "is_stdout",
    "reaches_stdout",
    "open_atomic",
    "write_atomic",
    "write_all_atomic",
    "writes_in_place",
]


STDOUT = "-"
"""The output name that means standard output (``-o -``)."""

_STREAM_LINK = re.compile(r"^/dev/(stdout|stderr|fd/\d+)$|^/proc/[^/]+/fd/\d+$")


def is_stdout(path: str | os.PathLike[str] | None) -> bool:
    """``-``: the user asked for the output on standard output."""
    return path is not None and os.fspath(path) == STDOUT


def reaches_stdout(path: str | os.PathLike[str] | None) -> bool:
    """``-``, or a path that is this process's standard output (``/dev/stdout``, ``/dev/fd/1``, a link to them).

    Commands that write a file there send their own result lines to stderr, so the file stays clean.
    """
    if path is None:
        return False
    if is_stdout(path):
        return True
    try:
        written, out = os.stat(path), os.fstat(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        return False
    return (written.st_dev, written.st_ino) == (out.st_dev, out.st_ino)


def _link_chain(path: str | os.PathLike[str]) -> list[str]:
    """The path, then each symlink target it leads to (absolute), as far as the links go."""
    steps = [os.path.abspath(os.fspath(path))]
    for _ in range(40):
        try:
            target = os.readlink(steps[-1])
        except OSError:
            break
        steps.append(os.path.normpath(os.path.join(os.path.dirname(steps[-1]), target)))
    return steps


def writes_in_place(path: str | os.PathLike[str]) -> bool:
    """True for outputs that must be written directly, not replaced by a renamed temporary file.

    Standard output (``-``, ``/dev/stdout``, ``/dev/fd/N``, also behind a symlink), devices such
    as ``/dev/null``, FIFOs and sockets: replacing them would swap the device for a regular file
    (as root) or write to a file nobody reads instead of the pipe the user gave.
    """
    if is_stdout(path):
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        return True
    return any(_STREAM_LINK.match(step) for step in _link_chain(path))


def _name_too_long(path: Path) -> str | None:
    """Why the file system will refuse this name, or None; checked up front so it is a clear line."""
    limit = 255
    try:
        limit = os.pathconf(path.parent, "PC_NAME_MAX")
    except (OSError, ValueError):
        pass
    size = len(os.fsencode(path.name))
    if size > limit:
        return f"file name is {size} bytes, longer than the {limit} this file system allows; choose a shorter name"
    return None


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Refuse an output path that cannot work (a folder, a file in a missing folder, a name too long).

    Commands call it on every output before loading models or data, so a typo in ``-o`` fails
    in a second instead of after a long expansion, and before any other file is written. A
    symlink is checked at its target, where the file will be written.
    """
    target = Path(path)
    if writes_in_place(target):
        return target
    real = Path(os.path.realpath(target))
    try:
        too_long = _name_too_long(real)
        if too_long:
            raise ArtifactError(f"{target}: cannot write, {too_long}")
        if real.is_dir():
            raise ArtifactError(f"{target}: is a folder; give a file name")
        if not real.parent.is_dir():
            raise ArtifactError(
                f"{target}: cannot write, folder '{target.parent}' does not exist; create it or choose another path"
            )
    except OSError as error:
        raise _write_error(target, error) from None
    return target


def check_outputs(outputs: dict[str, str | os.PathLike[str] | None]) -> None:
    """``check_writable`` for each output a command was given (by option name), and no two naming one file,
    where the second write would silently replace the first."""
    seen: dict[str, str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        check_writable(path)
        key = STDOUT if is_stdout(path) else os.path.realpath(path)
        if key in seen:
            raise ArtifactError(f"{path}: {seen[key]} and {option} both name this file; give each output its own name")
        seen[key] = option


def default_output_name(source: str | os.PathLike[str], known_suffixes: Sequence[str], ending: str) -> Path:
    """``source``'s file name without the first of ``known_suffixes`` it ends with, plus ``ending``, here.

    Default outputs go to the current directory under the input's name, so the result of
    ``polyx convert models/m.onnx`` is ``m.poly.json`` beside the user, never beside the model.
    """
    name = Path(source).name
    for suffix in known_suffixes:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return Path(f"{name}{ending}")


WRITE_DELAY_VARIABLE = "POLYX_TEST_WRITE_DELAY"
"""Tests only: seconds every write waits once its temporary files are complete (to signal it mid-write)."""

_NAME_BYTES_IN_TEMP = 200


def _default_mode() -> int:
    """The permissions a plain open() would give a new file (0666 minus the umask); mkstemp uses 0600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _mode_for(target: Path) -> int:
    """Keep a replaced file's permissions; a new file gets what a plain open() would give it."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return _default_mode()


def _write_error(target: Path, error: OSError) -> ArtifactError:
    return ArtifactError(
        f"{target}: cannot write ({error.strerror or error}); check the folder's permissions and free space, "
        "or choose another path"
    )


def _test_pause() -> None:
    delay = os.environ.get(WRITE_DELAY_VARIABLE)
    if delay:
        time.sleep(float(delay))


def _hidden_name(name: str) -> str:
    """'.name.' with the name cut so the temporary and backup names stay within 255 bytes."""
    return "." + os.fsdecode(os.fsencode(name)[:_NAME_BYTES_IN_TEMP]) + "."


def _bytes(content: str | bytes) -> bytes:
    return content if isinstance(content, bytes) else content.encode("utf-8")


@dataclass
class _Staged:
    """One file of a write: its complete temporary copy beside the target, and the previous contents kept."""

    path: Path
    target: Path
    temp: str
    handle: int
    backup: str | None = None

    def keep_previous(self) -> None:
        """A hard link (else a copy) to the file about to be replaced, so a failed write can put it back."""
        if not os.path.lexists(self.target):
            return
        for _ in range(100):
            name = os.path.join(self.target.parent, f"{_hidden_name(self.target.name)}{os.urandom(4).hex()}.bak")
            try:
                os.link(self.target, name)
            except FileExistsError:
                continue
            except OSError:
                shutil.copy2(self.target, name)
            self.backup = name
            return

    def restore(self) -> None:
        """Put the previous contents back (or remove a file that did not exist before)."""
        if self.backup is not None:
            os.replace(self.backup, self.target)
            self.backup = None
        else:
            os.unlink(self.target)

    def discard(self) -> None:
        """Remove what is left of the temporary file and the backup."""
        for name in (self.temp, self.backup):
            if name is not None and os.path.lexists(name):
                os.unlink(name)


def _create_temp(path: Path) -> _Staged:
    """An empty temporary file beside the file ``path`` leads to (a symlink is written through)."""
    target = Path(os.path.realpath(path))
    try:
        handle, temp = tempfile.mkstemp(prefix=_hidden_name(target.name), suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise _write_error(path, error) from None
    staged = _Staged(path, target, temp, handle)
    try:
        os.fchmod(handle, _mode_for(target))
    except BaseException:
        os.close(handle)
        staged.discard()
        raise
    return staged


def _stage(path: Path, content: bytes, staged: list[_Staged]) -> None:
    """A complete temporary copy of ``content`` beside ``path``, registered in ``staged`` before any
    byte is written: the file is created and listed while signals wait, so an interrupt can never
    leave a temporary file that the cleanup does not know about."""
    with deferred():
        item = _create_temp(path)
        staged.append(item)
    try:
        with os.fdopen(item.handle, "wb") as stream:
            stream.write(content)
    except OSError as error:
        raise _write_error(path, error) from None


def _commit(staged: Sequence[_Staged]) -> None:
    """Rename every temporary file into place; if one rename fails, put back what the others replaced.

    Signals wait until this is done (``deferred``), so an interrupted command leaves all the old
    files or all the new ones.
    """
    done: list[_Staged] = []
    with deferred():
        try:
            for item in staged:
                if len(staged) > 1:
                    item.keep_previous()
                os.replace(item.temp, item.target)
                done.append(item)
        except OSError as error:
            for previous in reversed(done):
                previous.restore()
            raise _write_error(item.path, error) from None
        finally:
            for item in staged:
                item.discard()


def _write_in_place(path: Path, content: bytes) -> None:
    """Standard output, a device, a FIFO: written directly, as ``cat > /dev/null`` would."""
    try:
        if is_stdout(path):
            sys.stdout.flush()
            sys.stdout.buffer.write(content)
            sys.stdout.buffer.flush()
            return
        with open(path, "wb") as stream:
            stream.write(content)
    except OSError as error:
        raise _write_error(path, error) from None


@contextmanager
def _open_in_place(path: Path, mode: str, text: dict) -> Iterator[IO]:
    if is_stdout(path):
        sys.stdout.flush()
        yield sys.stdout.buffer if "b" in mode else sys.stdout
        (sys.stdout.buffer if "b" in mode else sys.stdout).flush()
        return
    with open(path, mode, **text) as stream:
        yield stream


@contextmanager
def open_atomic(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO]:
    """A stream to a temporary file beside ``path``, renamed into place only if the block succeeds.

    The rename is atomic on POSIX, so readers (and CI jobs) see either the old file or the
    complete new one, never a truncated artifact; on any error or signal the temporary file is
    removed. A symlink is written through (its target is replaced, the link kept); standard
    output (``-``) and special files are written directly. Text mode writes UTF-8 with no
    newline translation.
    """
    target = check_writable(path)
    text = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
    if writes_in_place(target):
        try:
            with _open_in_place(target, mode, text) as stream:
                yield stream
        except OSError as error:
            raise _write_error(target, error) from None
        return
    staged: _Staged | None = None
    try:
        with deferred():  # the temporary file exists only once the cleanup below knows it
            staged = _create_temp(target)
        try:
            with os.fdopen(staged.handle, mode, **text) as stream:
                yield stream
            _test_pause()
            _commit([staged])
        except OSError as error:
            raise _write_error(target, error) from None
    finally:
        if staged is not None:
            staged.discard()


def write_atomic(path: str | os.PathLike[str], content: str | bytes) -> Path:
    """Write the whole ``content`` atomically (see ``open_atomic``) and return the path."""
    return write_all_atomic([(Path(path), content)])[0]


def write_all_atomic(contents: Sequence[tuple[Path, str | bytes]]) -> list[Path]:
    """Write several files as one result: all of them, or none and the previous files as they were.

    Every temporary file is written first; only when all are complete are they renamed into
    place, and if a rename still fails the files already replaced get their previous contents
    back. A command that promised a JSON artifact and its LaTeX must neither leave the JSON alone
    behind (a CI job would take the run for a success) nor lose the user's earlier JSON.
    """
    for path, _ in contents:
        check_writable(path)
    staged: list[_Staged] = []
    try:
        for path, content in contents:
            if not writes_in_place(path):
                _stage(Path(path), _bytes(content), staged)
        _test_pause()
        for path, content in contents:
            if writes_in_place(path):
                _write_in_place(Path(path), _bytes(content))
        _commit(staged)
    finally:
        for item in staged:
            item.discard()
    return [Path(path) for path, _ in contents]


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file: how an artifact names the exact model it came from.

    Verification checks the digest against the artifact and reports it; the file is read and
    hashed once for as long as its size and modification time stay the same.
    """
    target = Path(path).resolve()
    stat_result = target.stat()
    return _sha256(target, stat_result.st_size, stat_result.st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
