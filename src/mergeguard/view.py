"""Lays out the files in scope in a scratch directory, so directory-scanning tools see only them."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from mergeguard.changes import ChangeSet

# The scanners' own configuration and suppression files: always laid out when tracked at the root,
# so native suppressions keep working even when the change did not touch them.
TOOL_CONFIG_FILES = (
    ".trivyignore",
    ".trivyignore.yaml",
    "trivy.yaml",
    ".gitleaks.toml",
    ".gitleaksignore",
    ".secrets.baseline",
    ".hadolint.yaml",
    ".hadolint.yml",
    ".bandit",
    ".checkov.yaml",
    ".checkov.yml",
    "pyproject.toml",
    "setup.cfg",
)


@contextmanager
def scan_view(changes: ChangeSet) -> Iterator[Path]:
    """A temporary directory holding the in-scope files (hard links, copies across devices)."""
    with tempfile.TemporaryDirectory(prefix="mergeguard-view-") as tmp:
        view = Path(tmp) / "src"
        view.mkdir()
        paths = [f.path for f in changes.files]
        extra = (p for p in TOOL_CONFIG_FILES if p not in changes.excluded and _regular(changes.root / p))
        _populate(changes.root, view, [*paths, *extra])
        yield view


def _populate(root: Path, view: Path, paths: Iterable[str]) -> None:
    for path in dict.fromkeys(paths):
        source, dest = root / path, view / path
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source, dest)
        except OSError:
            shutil.copyfile(source, dest)


def _regular(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()
