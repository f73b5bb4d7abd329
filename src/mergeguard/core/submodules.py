"""Submodules in scope: another repository's code at a recorded commit, which no scanner reads.

mergeguard scans the files git tracks in this repository; a submodule is only a commit id here (mode
160000), and its content, checked out or not, is the other repository's. A pull request that moves
a submodule to a commit adding a key, a `sudo` Dockerfile or `shell=True` changes no file of this
one: the reports list such submodules as not scanned, so "0 files" is never read as "checked".
"""

from __future__ import annotations

from mergeguard.core.gitrepo import GITLINK, RawDiff


def changed(raw: RawDiff) -> tuple[str, ...]:
    """The submodules under the scanned directory, relative to it, that the range of `raw` added or
    moved to another commit (a full scan lists every one `gitrepo.tracked` found). `raw` is read with
    `--ignore-submodules=none`: neither the user's config nor the change's own `.gitmodules`
    (`ignore = all`) may hide a submodule's new commit."""
    return tuple(sorted(path for path, change in raw.items() if change.mode == GITLINK))
