"""Questions to git that must fail closed: a refused repository, a clone cut short."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mergeguard.core import gitrepo
from tests.gitutil import GitTree


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_a_repository_git_refuses_is_not_taken_for_a_plain_folder(tmp_path: Path) -> None:
    """Scanned from a subdirectory, a repository another user owns is refused by git ("dubious
    ownership"): read as no repository, its untracked files were scanned and the range never checked."""
    tree = GitTree(tmp_path / "repo")
    tree.write("app/main.py", "print(1)\n")
    tree.commit("start")
    for path in [tree.root, *tree.root.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)
    with pytest.raises(gitrepo.UnsafeRepository) as caught:
        gitrepo.open_repo(tree.root / "app")
    message = str(caught.value)
    assert f"git refuses the repository '{tree.root}'" in message and "safe.directory" in message
    assert "\n" not in message
    assert gitrepo.open_repo(tree.root) == gitrepo.Repo(tree.root, "")  # the directory given is trusted
    assert gitrepo.open_repo(tmp_path) is None  # no repository at all: a plain folder
