"""Submodules in scope: another repository's code at a recorded commit, which no scanner reads.

mergeguard scans the files git tracks in this repository; a submodule is only a commit id here (mode
160000), and its content, checked out or not, is the other repository's. A pull request that moves
a submodule to a commit adding a key, a `sudo` Dockerfile or `shell=True` changes no file of this
one: the reports list such submodules as not scanned, so "0 files" is never read as "checked".
"""

from __future__ import annotations

from mergeguard.core.gitrepo import GITLINK, Repo


def changed(repo: Repo, base: str) -> tuple[str, ...]:
    """The submodules under the scanned directory, relative to it, that base..HEAD added or moved to
    another commit (a full scan lists every one `gitrepo.tracked` found)."""
    # `--ignore-submodules=none`: neither the user's config nor the change's own `.gitmodules`
    # (`ignore = all`) may hide a submodule's new commit.
    raw = repo.git("diff", *_RAW, base, "HEAD", "--", repo.prefix or ".")
    fields = raw.split("\0")  # ":old-mode new-mode old new status", path, ...
    found = [
        path for meta, path in zip(fields[::2], fields[1::2], strict=False) if meta.split()[1:2] == [GITLINK]
    ]
    return tuple(sorted(p[len(repo.prefix) :] for p in found if p.startswith(repo.prefix)))


_RAW = ("--raw", "-z", "--no-abbrev", "--no-renames", "--ignore-submodules=none")
