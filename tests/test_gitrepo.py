"""Questions to git that must fail closed: a refused repository, a clone cut short."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mergeguard.core import gitdiff, gitrepo
from mergeguard.core.errors import UsageError
from tests.gitutil import GitTree, moved_and_edited


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


@pytest.fixture
def merged(tmp_path: Path) -> GitTree:
    """A pull request of three commits, the second adding a key the third removes, merged onto main
    as GitHub builds refs/pull/N/merge."""
    tree = GitTree(tmp_path / "origin")
    tree.write("README.md", "# app\n")
    base = tree.commit("base")
    tree.git("checkout", "-q", "-b", "pr")
    for text in ("KEY = env()\n", "KEY = 'ghp_R2d2C3poLuke0Skywalker1Leia2Han3Solo4'\n", "KEY = env()\n"):
        tree.write("cfg.py", text)
        tree.commit("edit")
    tree.git("checkout", "-q", "--detach", base)
    tree.git("merge", "-q", "--no-ff", "-m", "Merge pr into main", "pr")
    return tree


def _clone(origin: GitTree, dest: Path, depth: int) -> gitrepo.Repo:
    tree = GitTree(dest)
    tree.git("fetch", "-q", f"--depth={depth}", f"file://{origin.root}", "+HEAD:refs/remotes/merge")
    tree.git("checkout", "-q", "--detach", "refs/remotes/merge")
    return gitrepo.Repo(tree.root, "")


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_a_shallow_clone_that_cuts_the_changes_commits_is_refused(
    merged: GitTree, tmp_path: Path, depth: int
) -> None:
    """Past the boundary, Gitleaks reads only the commits left (a key committed and removed inside the
    pull request passed), and a commit with its parents hidden reads as adding every file it has."""
    repo = _clone(merged, tmp_path / "clone", depth)
    with pytest.raises(UsageError) as caught:
        gitrepo.merge_base(repo, "HEAD^1")
    message = str(caught.value)
    assert "the clone is shallow inside the change's commits" in message and "fetch-depth: 0" in message
    assert "\n" not in message


@pytest.mark.parametrize("depth", [5, 0])
def test_a_clone_deep_enough_for_the_changes_commits_is_accepted(
    merged: GitTree, tmp_path: Path, depth: int
) -> None:
    repo = _clone(merged, tmp_path / "clone", depth) if depth else gitrepo.Repo(merged.root, "")
    fork = gitrepo.merge_base(repo, "HEAD^1")
    assert fork == repo.git("rev-parse", "HEAD^1").strip()
    assert gitrepo.commit_count(repo, fork) == 3


def test_renames_are_found_past_any_rename_limit(tmp_path: Path) -> None:
    """Past `diff.renameLimit` git stops pairing files moved and edited: each read as added, every old
    finding in it new (3,000 modules moved and re-headed blocked 90 old findings). A limit of 1 in the
    repository's config shows it with three."""
    tree = GitTree(tmp_path / "repo")
    base = moved_and_edited(tree)
    repo = gitrepo.Repo(tree.root, "")
    moved = {f"src/module_{i}.py": f"pkg/mod_{i}.py" for i in range(3)}
    assert gitrepo.changed_files(repo, base) == moved
    assert gitrepo.added_files(repo, base) == frozenset()
    assert gitrepo.deleted_files(repo, base) == frozenset()
    assert gitdiff.added_lines(repo, base) == {path: frozenset({1}) for path in moved}
