"""Reads the policy's files where a pull request cannot have written them: at the base branch's commit."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from mergeguard.core import baseline, config, gitrepo
from mergeguard.core.errors import FileError, UsageError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PolicyFiles:
    """The policy's files (config, baseline, scanner configs) and where they are read.

    `base` is the base ref's own commit in PR mode (the branch the change goes into, as it stands):
    every file inside the repository is then read from it, never from the change's tree; a file
    absent there counts as absent. Not the merge-base: the change's author picks where it forks,
    and an old fork point would bring an old, laxer policy, while the merge keeps the branch's own.
    `merge_base` is where the change starts (what `scan.policydiff` compares HEAD with). With
    `base` None (full scans) the work tree is read, as the files stand.
    """

    root: Path
    config: Path  # the config file: named, or ROOT/.mergeguard.yml
    baseline: Path  # the baseline file: named, or ROOT/.mergeguard-baseline.yml
    repo: gitrepo.Repo | None = None
    base: str | None = None
    merge_base: str | None = None  # None: `base`

    @property
    def from_base(self) -> bool:
        return self.base is not None and self.repo is not None

    def repo_path(self, path: Path) -> str | None:
        """`path` relative to the repository's top level; None outside it (or with no repository)."""
        if self.repo is None:
            return None
        full, root = _lexical(path), _lexical(self.root)
        if full == root or full.startswith(root + os.sep):
            return self.repo.prefix + Path(os.path.relpath(full, root)).as_posix()
        for top in {_lexical(self.repo.top), os.path.realpath(self.repo.top)}:
            if full.startswith(top + os.sep):
                return Path(os.path.relpath(full, top)).as_posix()
        return None

    def label(self, path: Path) -> str:
        """How messages name `path`: `PATH (base abc1234)` when it is read from the base."""
        rel = self.repo_path(path) if self.from_base else None
        return f"{rel} (base {str(self.base)[:7]})" if rel is not None else str(path)

    def read(self, path: Path) -> bytes | None:
        """The policy's copy of `path`: at the base in PR mode (outside the repository: on disk)."""
        rel = self.repo_path(path) if self.from_base else None
        if rel is None:
            return read_regular(path)
        return self.blob(str(self.base), rel)

    def blob(self, commit: str, rel: str) -> bytes | None:
        """The bytes of repo-relative `rel` at `commit`; None when absent or not a regular file."""
        return gitrepo.regular_blob(self.repo, commit, rel) if self.repo is not None else None

    def load(self, path: Path, loader: Callable[[Path], T]) -> T | None:
        """`loader` applied to the policy's copy of `path` (None if absent), errors naming that copy."""
        data = self.read(path)
        return None if data is None else parse_bytes(data, path.name, self.label(path), loader)


def locate(
    root: Path, base_ref: str | None, config_name: str | None, baseline_name: str | None
) -> PolicyFiles:
    """The policy's files for a scan of `root`: at `base_ref`'s commit, or in the tree."""
    config_path, baseline_path = config.path_for(config_name, root), baseline.path_for(baseline_name, root)
    if base_ref is None:
        return PolicyFiles(root, config_path, baseline_path)
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    repo = gitrepo.open_repo(root)
    if repo is None:
        raise UsageError(f"{root}: --base needs a git repository (use --all-files elsewhere)")
    fork = gitrepo.merge_base(repo, base_ref)  # first: it names the fix when the base is not fetched
    return PolicyFiles(root, config_path, baseline_path, repo, gitrepo.commit_of(repo, base_ref), fork)


def parse_bytes(data: bytes, name: str, label: str, loader: Callable[[Path], T]) -> T:
    """`loader` run on `data` laid out as a file called `name`; its errors say `label` instead."""
    with tempfile.TemporaryDirectory(prefix="mergeguard-policy-") as tmp:
        copy = Path(tmp) / (name or "file")
        copy.write_bytes(data)
        try:
            return loader(copy)
        except FileError as exc:
            raise type(exc)(label, exc.line, exc.key, exc.problem) from None


def _lexical(path: Path) -> str:
    """`path` made absolute without following symlinks: a link the change added must not lead outside."""
    return os.path.abspath(path)  # noqa: PTH100 - Path.resolve() would follow the symlinks


def read_regular(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file (a symlink is not followed), else None."""
    try:
        return path.read_bytes() if path.is_file() and not path.is_symlink() else None
    except OSError:
        return None
