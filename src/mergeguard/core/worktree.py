"""The changed files whose work tree is not what HEAD commits: their diff cannot say which lines changed.

The lines a change touched are read from git's diff of the committed blobs, while the scanners read
the work tree. The two differ under a clean/smudge filter (Git LFS commits a three-line pointer and
checks out the real file; any `.gitattributes` `filter=` does the same) and when the work tree was
edited after the commit: a diff of pointers would make every line of the real file pre-existing. In
such a file every line is the change's. End-of-line conversion alone (`text=auto`, `eol=crlf`, a
CRLF checkout) changes no line and is not such a difference.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mergeguard.core import gitrepo


def not_as_committed(root: Path, repo: gitrepo.Repo, raw: gitrepo.RawDiff) -> list[str]:
    """The regular files the range of `raw` changed whose work-tree copy under `root` is not HEAD's."""
    return [path for path, blob in gitrepo.head_blobs(repo, raw).items() if not _holds(root / path, blob)]


def _holds(path: Path, blob: bytes) -> bool:
    """Whether `path` holds `blob`, but for CRLF written for LF (a checkout's conversion can at most
    double the size: a bigger file, such as the content behind an LFS pointer, is not read). A
    symlink or a missing file is left to the code that lays files out: no scanner reads it as such."""
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            return True
        if info.st_size > 2 * len(blob):
            return False
        data = path.read_bytes()
    except OSError:
        return True
    return data == blob or data.replace(b"\r\n", b"\n") == blob.replace(b"\r\n", b"\n")
