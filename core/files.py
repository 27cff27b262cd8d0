"""File output: targets checked before any work, and atomic writes that never leave half a file.

Every OSError while writing (a folder where a file was asked for, a full disk, no permission)
becomes one ArtifactError line, so bad output paths are reported like every other bad input.
Model files are identified by their sha256 (``file_sha256``).
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator, Sequence

from polyx.errors import ArtifactError

__all__ = [
    "check_writable",
    "check_outputs",
    "default_output_name",
    "file_sha256",
    "open_atomic",
    "write_atomic",
    "write_all_atomic",
]


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Refuse an output path that cannot work (a folder, or a file in a missing folder).

    Commands call it on every output before loading models or data, so a typo in ``-o`` fails
    in a second instead of after a long expansion, and before any other file is written.
    """
    target = Path(path)
    if target.is_dir():
        raise ArtifactError(f"{target}: is a folder; give a file name")
    if not target.parent.is_dir():
        raise ArtifactError(
            f"{target}: cannot write, folder '{target.parent}' does not exist; create it or choose another path"
        )
    return target


def check_outputs(outputs: dict[str, str | os.PathLike[str] | None]) -> None:
    """``check_writable`` for each output a command was given (by option name), and no two naming one file,
    where the second write would silently replace the first."""
    seen: dict[Path, str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        key = check_writable(path).resolve()
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


def _default_mode() -> int:
    """The permissions a plain open() would give a new file (0666 minus the umask); mkstemp uses 0600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_error(target: Path, error: OSError) -> ArtifactError:
    return ArtifactError(
        f"{target}: cannot write ({error.strerror or error}); check the folder's permissions and free space, "
        "or choose another path"
    )


@contextmanager
def open_atomic(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO]:
    """A stream to a temporary file beside ``path``, renamed into place only if the block succeeds.

    The rename is atomic on POSIX, so readers (and CI jobs) see either the old file or the
    complete new one, never a truncated artifact; on any error the temporary file is removed.
    Text mode writes UTF-8 with no newline translation.
    """
    target = check_writable(path)
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise _write_error(target, error) from None
    text = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
    try:
        os.fchmod(handle, _default_mode())
        with os.fdopen(handle, mode, **text) as stream:
            yield stream
        os.replace(temp_name, target)
    except OSError as error:
        raise _write_error(target, error) from None
    finally:
        if os.path.exists(temp_name):
            os.unlink(temp_name)


def write_atomic(path: str | os.PathLike[str], content: str | bytes) -> Path:
    """Write the whole ``content`` atomically (see ``open_atomic``) and return the path."""
    with open_atomic(path, "wb" if isinstance(content, bytes) else "w") as stream:
        stream.write(content)
    return Path(path)


def write_all_atomic(contents: Sequence[tuple[Path, str | bytes]]) -> list[Path]:
    """Write several files as one result: when one write fails, the ones already written are removed.

    A command that promised a JSON artifact and its LaTeX must not leave the JSON alone behind
    when the LaTeX cannot be written: a CI job would find a file and take the run for a success.
    """
    written: list[Path] = []
    try:
        for path, content in contents:
            written.append(write_atomic(path, content))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return written


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file: how an artifact names the exact model it came from.

    Verification checks the digest against the artifact and reports it; the file is read and
    hashed once for as long as its size and modification time stay the same.
    """
    target = Path(path).resolve()
    stat = target.stat()
    return _sha256(target, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=32)
def _sha256(path: Path, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
