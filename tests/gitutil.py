"""A tiny git work tree builder for tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


class GitTree:
    """A git repository in a temporary directory, written to and committed from tests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        cmd = [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
            *args,
        ]
        return subprocess.run(cmd, cwd=self.root, check=True, capture_output=True, text=True).stdout

    def write(self, path: str, text: str | bytes) -> Path:
        full = self.root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            full.write_bytes(text)
        else:
            full.write_text(text, encoding="utf-8")
        return full

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


def pr(tmp_path: Path, files: dict[str, str], changed: dict[str, str | None]) -> GitTree:
    """A repository at `tmp_path/repo` whose branch `base` holds `files` and whose HEAD is one commit
    on it writing `changed` (None: the file removed)."""
    tree = GitTree(tmp_path / "repo")
    for name, text in files.items():
        tree.write(name, text)
    tree.commit("base")
    tree.git("branch", "base")
    for name, new in changed.items():
        if new is None:
            tree.git("rm", "-q", name)
        else:
            tree.write(name, new)
    tree.commit("the change")
    return tree


def moved_and_edited(tree: GitTree, extra: str = "") -> str:
    """Three modules (ending with `extra`) moved from pkg/ to src/ and re-headed, the repository's
    `diff.renameLimit` at 1: the base commit."""
    body = "".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(8)) + extra
    for i in range(3):
        tree.write(f"pkg/mod_{i}.py", f"# 2023\n{body}")
    base = tree.commit("base")
    tree.git("config", "diff.renameLimit", "1")
    for i in range(3):
        (tree.root / f"pkg/mod_{i}.py").unlink()
        tree.write(f"src/module_{i}.py", f"# 2024\n{body}")
    tree.commit("move pkg under src, bump the year")
    return base


# What a developer's ~/.gitconfig may set that changes what git prints (PR mode run from a laptop).
USER_GIT_CONFIG = """\
[diff]
\tnoprefix = true
\tmnemonicPrefix = true
\tinterHunkContext = 5
[color]
\tui = always
\tdiff = always
[format]
\tpretty = oneline
[log]
\tabbrevCommit = true
\tdate = relative
\tdecorate = full
"""


def with_user_git_config(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """USER_GIT_CONFIG as the ~/.gitconfig of `home`, made HOME (as the scanners' environment has it)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / ".gitconfig").write_text(USER_GIT_CONFIG, encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    for name in ("GIT_CONFIG_GLOBAL", "XDG_CONFIG_HOME"):
        monkeypatch.delenv(name, raising=False)
