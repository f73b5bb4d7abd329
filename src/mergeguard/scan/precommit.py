"""The gate before a commit: the staged files (the index, not the work tree) under HEAD's policy."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mergeguard.core import gitrepo
from mergeguard.core.basepolicy import PolicyFiles
from mergeguard.core.errors import UsageError
from mergeguard.scan.registry import TOOLS
from mergeguard.scan.scope_dir import TOOL_CONFIG_FILES

# Fast scanners that need no database and no network: seconds on a commit's worth of files.
FAST_SCANNERS = tuple(name for name, tool in TOOLS.items() if tool.precommit and tool.scanner is not None)
_GIT_TIMEOUT_S = 120.0


@dataclass(frozen=True, slots=True)
class Staged:
    """The staged tree laid out in `root`, its paths, and the policy read at HEAD."""

    root: Path
    paths: tuple[str, ...]
    policy: PolicyFiles


def staged_paths(repo: gitrepo.Repo) -> tuple[str, ...]:
    """Repo-relative paths added, copied, modified, renamed or retyped in the index (deletions left out)."""
    out = repo.git("diff", "--cached", "--name-only", "-z", "--no-renames", "--diff-filter=ACMRT")
    return tuple(p for p in out.split("\0") if p)


def head_commit(repo: gitrepo.Repo) -> str | None:
    """HEAD's commit, or None before the first commit."""
    try:
        return repo.git("rev-parse", "--verify", "--quiet", "HEAD^{commit}").strip() or None
    except UsageError:
        return None


@contextmanager
def staged_tree(path: Path, config: str | None, baseline: str | None) -> Iterator[Staged]:
    """A scratch directory holding the index's copy of each staged file, plus HEAD's copies of the
    scanners' own config files that are not staged (their native suppressions keep working)."""
    repo = gitrepo.open_repo(path)
    if repo is None:
        raise UsageError(f"{path}: precommit needs a git repository")
    top = repo.top
    head = head_commit(repo)
    policy = PolicyFiles(
        top,
        Path(config) if config else top / ".mergeguard.yml",
        Path(baseline) if baseline else top / ".mergeguard-baseline.yml",
        repo if head else None,
        head,
    )
    paths = staged_paths(repo)
    with tempfile.TemporaryDirectory(prefix="mergeguard-staged-") as tmp:
        root = Path(tmp) / "index"
        root.mkdir()
        _checkout_index(top, root, paths)
        for name in TOOL_CONFIG_FILES:
            data = policy.blob(head, name) if head and name not in paths else None
            if data:
                (root / name).write_bytes(data)
        yield Staged(root, paths, policy)


def _checkout_index(top: Path, dest: Path, paths: tuple[str, ...]) -> None:
    """Write the index's blobs of `paths` below `dest` (symlinks and submodules as git writes them)."""
    if not paths:
        return
    argv = ["git", "-c", f"safe.directory={top}", "checkout-index", f"--prefix={dest}/", "-z", "--stdin"]
    try:
        done = subprocess.run(
            argv,
            cwd=top,
            input="\0".join(paths).encode("utf-8", "surrogateescape"),
            capture_output=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"git checkout-index failed: {exc}") from None
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"git checkout-index: {lines[-1] if lines else 'failed'}")
