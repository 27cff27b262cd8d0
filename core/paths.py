"""The paths a command reads and writes, checked before any work: what pip, git and rsync promise.

Two rules protect what the user owns. An input must be a regular file (a folder only where the
caller says one is accepted, such as a Parquet dataset): a FIFO would block the open forever, a
device would stream without end. And no output may name one of the command's own inputs, through
the same path, a symlink or a hard link: ``polyx convert m.onnx -o m.onnx`` would replace the
model with its polynomial. Every command states its inputs and outputs once, to ``check_paths``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Mapping, Optional, Union

from polyx.errors import ArtifactError, DataError, PolyxError
from polyx.files import check_outputs, is_stdout
from polyx.native_files import native_folder_format, refusal

__all__ = ["check_paths", "require_input", "same_file"]

PathLike = Union[str, "os.PathLike[str]"]

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def require_input(
    path: PathLike, what: str = "input", *, folders: bool = False, error: type[PolyxError] = DataError
) -> Path:
    """Refuse, without opening it, an input that exists but is not a regular file (or a folder where allowed).

    Opening a FIFO blocks until a writer appears, and a device such as /dev/zero never ends, so
    these are refused from their ``stat`` alone. A missing file is left to the reader, which
    names what it expected; a name the system cannot even look up (too long) is refused here.
    """
    target = Path(path)
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:
        return target
    except OSError as problem:
        raise error(f"{target}: cannot read the {what} ({problem.strerror or problem}); check the path") from None
    if stat.S_ISREG(mode):
        return target
    if stat.S_ISDIR(mode):
        if folders:
            return target
        framework = native_folder_format(target)  # a SavedModel or Orbax folder: say how to export it
        if framework is not None:
            raise error(refusal(framework, target))
        raise error(f"{target}: is a folder, not a {what} file; give the file itself")
    raise error(f"{target}: is {_kind(mode)}, not a {what} file; polyx reads regular files only, so save it to a file first")


def same_file(first: PathLike, second: PathLike) -> bool:
    """Whether two paths name one file: equal once symlinks are resolved, or the same (device, inode)."""
    if os.path.realpath(first) == os.path.realpath(second):
        return True
    try:
        a, b = os.stat(first), os.stat(second)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def check_paths(
    outputs: Mapping[str, Optional[PathLike]],
    inputs: Mapping[str, Optional[PathLike]],
    *,
    folders: tuple[str, ...] = (),
) -> None:
    """Everything a command checks before it loads anything: inputs readable as files, outputs writable,
    no two outputs the same file, and no output the same file as an input.

    ``outputs`` maps an option (``-o``) to a path or None, ``inputs`` a description (``model``,
    ``--data data``) to a path or None; ``folders`` names the inputs that may be folders. Standard
    output (``-``) is never compared with inputs.
    """
    for label, path in inputs.items():
        if path is not None:
            require_input(path, label, folders=label in folders)
    check_outputs(dict(outputs))
    for option, output in outputs.items():
        if output is None or is_stdout(output):
            continue
        for label, path in inputs.items():
            if path is not None and same_file(output, path):
                raise ArtifactError(
                    f"{output}: {option} names the same file as the {label} {path}; choose another output path"
                )
