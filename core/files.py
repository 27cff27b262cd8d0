"""Atomic file output: a failed write never leaves half a file where the user asked for one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from polyx.errors import ArtifactError

__all__ = ["write_atomic"]


def write_atomic(path: str | os.PathLike[str], content: str | bytes) -> Path:
    """Write ``content`` to a temporary file beside ``path`` and rename it into place.

    The rename is atomic on POSIX, so readers (and CI jobs) see either the old file or the
    complete new one, never a truncated artifact.
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ArtifactError(
            f"{target}: cannot write, folder '{folder}' does not exist; create it or choose another path"
        )
    data = content.encode("utf-8") if isinstance(content, str) else content
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temp_name, target)
    except BaseException:
        if os.path.exists(temp_name):
            os.unlink(temp_name)
        raise
    return target
