"""Atomic file output: a failed write never leaves half a file where the user asked for one."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from polyx.errors import ArtifactError

__all__ = ["open_atomic", "write_atomic"]


def _default_mode() -> int:
    """The permissions a plain open() would give a new file (0666 minus the umask); mkstemp uses 0600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def open_atomic(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO]:
    """A stream to a temporary file beside ``path``, renamed into place only if the block succeeds.

    The rename is atomic on POSIX, so readers (and CI jobs) see either the old file or the
    complete new one, never a truncated artifact; on any error the temporary file is removed.
    Text mode writes UTF-8 with no newline translation.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ArtifactError(
            f"{target}: cannot write, folder '{folder}' does not exist; create it or choose another path"
        )
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    text = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
    try:
        os.fchmod(handle, _default_mode())
        with os.fdopen(handle, mode, **text) as stream:
            yield stream
        os.replace(temp_name, target)
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)


def write_atomic(path: str | os.PathLike[str], content: str | bytes) -> Path:
    """Write the whole ``content`` atomically (see ``open_atomic``) and return the path."""
    with open_atomic(path, "wb" if isinstance(content, bytes) else "w") as stream:
        stream.write(content)
    return Path(path)
