"""Submodules in scope: another repository's code at a recorded commit, which no scanner reads.

mergeguard scans the files git tracks in this repository; a submodule is only a commit id here (mode
160000), and its content, checked out or not, is the other repository's. A pull request that moves
a submodule to a commit adding a key, a `sudo` Dockerfile or `shell=True` changes no file of this
one: the reports list such submodules as not scanned, so "0 files" is never read as "checked".
"""

from __future__ import annotations

from mergeguard.core.gitrepo import Repo

_GITLINK = "160000"


def unchecked(repo: Repo, base: str | None) -> tuple[str, ...]:
    """The submodules under the scanned directory, relative to it: every one in a full scan (`base`
    None); in PR mode those that base..HEAD added or moved to another commit."""
    scope = repo.prefix or "."
    if base is None:
        listing = repo.git("ls-files", "-z", "--stage", "--", scope)
        found = [r.split("\t", 1)[1] for r in listing.split("\0") if r.startswith(f"{_GITLINK} ")]
    else:
        # `--ignore-submodules=none`: neither the user's config nor the change's own `.gitmodules`
        # (`ignore = all`) may hide a submodule's new commit.
        raw = repo.git("diff", *_RAW, base, "HEAD", "--", scope)
        fields = raw.split("\0")  # ":old-mode new-mode old new status", path, ...
        found = [
            path
            for meta, path in zip(fields[::2], fields[1::2], strict=False)
            if meta.split()[1:2] == [_GITLINK]
        ]
    return tuple(sorted(p[len(repo.prefix) :] for p in found if p.startswith(repo.prefix)))


_RAW = ("--raw", "-z", "--no-abbrev", "--no-renames", "--ignore-submodules=none")
