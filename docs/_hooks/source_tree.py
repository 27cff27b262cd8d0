"""MkDocs hook: lay out the ``polyx`` package as Python imports it, for mkdocstrings.

The source folders are mapped onto the package by pyproject.toml (``core/`` is ``polyx``, ``cli/`` is
``polyx.cli``, ...), so there is no ``polyx/`` folder for griffe to read, and an editable install only
maps ``polyx`` itself. This hook builds ``build/api-source/polyx`` out of symlinks to the real files
before any page is rendered; mkdocs.yml points mkdocstrings there (``paths``), so the API pages are
generated from the working tree whether polyx is installed, editable or not at all.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority

ROOT = Path(__file__).resolve().parents[2]
TREE = ROOT / "build" / "api-source" / "polyx"
SUBPACKAGES = {"cli": "cli", "converters": "converters", "expansion": "expansion", "sample_models": "sample_models"}


@event_priority(100)  # before mkdocstrings' own on_config, which drops search paths that do not exist yet
def on_config(config: Any, **kwargs: Any) -> Any:
    """Rebuild the symlink tree (cheap) so that a renamed or new module is always seen."""
    if TREE.parent.exists():
        shutil.rmtree(TREE.parent)
    TREE.mkdir(parents=True)
    for source in (ROOT / "core").glob("*.py"):
        (TREE / source.name).symlink_to(source)
    for name, folder in SUBPACKAGES.items():
        (TREE / name).symlink_to(ROOT / folder, target_is_directory=True)
    return config
