"""What `classify` made of a changed file at the base: under its old name, with its old mode and content.

A pull request that renames `notes/build.txt` to `Dockerfile`, or makes a script with a `#!/usr/bin/env
python3` line executable, brings a file no scanner of its new kind ever checked: its old lines are
not pre-existing problems of that kind, as a file moved out of an excluded place's are not
(`core.changes` marks them; the policy counts every line for those scanners).
"""

from __future__ import annotations

from collections.abc import Mapping

from mergeguard.core.filekinds import IAC_MARKERS, SNIFFED_SUFFIXES, FileKind, by_first_line, classify
from mergeguard.core.gitrepo import REGULAR, Repo, read_blobs

_BATCH = 1_000  # names per `git ls-tree`


def at_base(repo: Repo, base: str, names: Mapping[str, str]) -> dict[str, frozenset[FileKind]]:
    """The kinds at `base` of each file of `names` (its path now -> its name at the base, relative to
    the prefix); a file the base does not hold as a regular file is left out."""
    entries = _entries(repo, base, set(names.values()))
    sniffed = [old for old, (mode, _) in entries.items() if _reads_content(old, mode)]
    content = dict(zip(sniffed, read_blobs(repo, [entries[old][1] for old in sniffed]), strict=True))
    return {
        path: classify(old, _head(old, content.get(old, b"")))
        for path, old in names.items()
        if old in entries
    }


def _entries(repo: Repo, base: str, names: set[str]) -> dict[str, tuple[str, str]]:
    """Each of `names` the base holds as a regular file: its mode and blob."""
    ordered = sorted(names)
    listing = "".join(  # in batches: a pull request may rename more names than one command line holds
        repo.git("--literal-pathspecs", "ls-tree", "-z", "--full-name", base, "--", *batch)
        for batch in (
            [repo.prefix + n for n in ordered[i : i + _BATCH]] for i in range(0, len(ordered), _BATCH)
        )
    )
    found = {}
    for record in filter(None, listing.split("\0")):
        meta, path = record.split("\t", 1)
        mode, kind, blob = meta.split()
        name = path[len(repo.prefix) :]
        if kind == "blob" and mode in REGULAR and path.startswith(repo.prefix) and name in names:
            found[name] = (mode, blob)
    return found


def _reads_content(name: str, mode: str) -> bool:
    """Whether `classify` needs the content of `name` (as `core.changes` reads it of the file now)."""
    return name.lower().endswith(SNIFFED_SUFFIXES) or by_first_line(
        name.rsplit("/", 1)[-1], lambda: mode == "100755"
    )


def _head(name: str, data: bytes) -> bytes:
    """What `classify` is given of a file's content: a script's first bytes, a YAML or JSON file's up
    to its first IaC marker."""
    if not name.lower().endswith(SNIFFED_SUFFIXES):
        return data[:256]
    return data if IAC_MARKERS.search(data) else b""
