"""Renames git misses: a file moved and re-indented in one change, paired with its old name.

git pairs a deleted file with an added one by comparing bytes, so a file renamed and re-indented
(`docker-compose.yml` to `compose.yaml`, 2 spaces to 4) falls below its 50 % threshold and reads as
deleted plus added, every old finding in it new. The line rule already reads white space changes as
no change (`core.gitdiff`); this pairs what git left unpaired by the same measure: two files of the
same kinds whose lines, white space aside, are at least half alike (git's default threshold, weighed
by bytes as git weighs them). Such a file is then a renamed one: compared with its old copy, its
touched lines those `git diff --ignore-space-change` shows, so a problem it adds is still new.
A YAML (or JSON) file moved and re-dumped (`yq`, prettier: quotes dropped, flow made block) shares
few lines with its old copy; two such files left unpaired are paired by the same measure over what
PyYAML reads in them instead, each node a line (`core.yamlcompare.entries`: events, nothing built).

A change may add and delete thousands of files: files over `_MAX_BYTES` are left as git left them
(added), only files of the same kinds and sizes within `_SIZE_RATIO` of each other are compared, and
at most `_MAX_TRIED` such pairs, reading at most `_MAX_READ` bytes, are compared at all; of those,
files of at most `_MAX_PARSED` bytes in all are parsed as YAML.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from mergeguard.core import gitdiff, gitrepo, yamlcompare
from mergeguard.core.filekinds import FileKind, classify

_MAX_BYTES = 1 << 20  # a bigger file stays added: every finding in it new, as git left it
_MAX_TRIED = 1_000  # pairs compared, after the cheap filter (same kinds, similar size)
_MAX_READ = 64 << 20  # bytes of the files in those pairs read from git
_SIZE_RATIO = 3  # re-indenting changes a file's size less; past it, no half of it can be alike
_MAX_PARSED = 1 << 20  # bytes of the files left unpaired parsed as YAML (dense flow YAML: 3 s per MiB)
_THRESHOLD = 0.5  # git's default (`-M50%`)
_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json"}  # files paired by what they read as
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Move:
    """A file the change added that is a deleted one moved: its old name, and the lines the change
    touched in it as `git diff --ignore-space-change` reads them."""

    old: str
    lines: frozenset[int]


@dataclass(frozen=True, slots=True)
class _Blob:
    """An added or deleted regular file: its path (relative to the prefix), blob, size, kinds by name."""

    path: str
    blob: str
    size: int
    kinds: frozenset[FileKind]


@dataclass(frozen=True, slots=True)
class _Text:
    """A file's kinds by name and content, and its lines without white space, each with its weight."""

    kinds: frozenset[FileKind]
    lines: Counter[bytes]
    weight: int


def missed(repo: gitrepo.Repo, raw: gitrepo.RawDiff) -> dict[str, Move]:
    """The files the range of `raw` added that git left unpaired and that are a file it deleted,
    moved (white space aside), by their new name."""
    added, deleted = _unpaired(repo, raw)
    if not added or not deleted:
        return {}
    tried = _candidates(added, deleted)
    contents = _read(repo, {blob for pair in tried for blob in pair})
    texts = {f: _text(f.path, data) for f, data in contents.items()}
    pairs = _best(tried, texts)
    paired = {f for pair in pairs for f in pair}
    left = [(new, old) for new, old in tried if not {new, old} & paired and _same_format(new, old)]
    if left:
        pairs += _best(left, _documents(left, contents, texts))
    return {
        new.path: Move(
            old.path,
            gitdiff.lines_between(repo, old.blob, new.blob, indentation=FileKind.PYTHON in texts[new].kinds),
        )
        for new, old in pairs
    }


def _unpaired(repo: gitrepo.Repo, raw: gitrepo.RawDiff) -> tuple[list[_Blob], list[_Blob]]:
    """The regular files under the prefix that the change added and deleted and git paired with
    nothing, none empty or over `_MAX_BYTES`. The whole repository is diffed, as
    `gitrepo.changed_files` diffs it: a file moved in from outside the prefix is git's rename."""
    found = [
        (c.status == "A", path, c.blob if c.status == "A" else c.old_blob)
        for path, c in raw.items()
        if (c.status == "A" and c.mode in gitrepo.REGULAR)
        or (c.status == "D" and c.old_mode in gitrepo.REGULAR)
    ]
    sizes = _sizes(repo, [blob for _, _, blob in found])
    files = [(added, _Blob(path, blob, sizes[blob], classify(path))) for added, path, blob in found]
    kept = [(added, f) for added, f in files if 0 < f.size <= _MAX_BYTES]
    return [f for added, f in kept if added], [f for added, f in kept if not added]


def _sizes(repo: gitrepo.Repo, blobs: Sequence[str]) -> dict[str, int]:
    """The size of each blob, from one `git cat-file --batch-check`."""
    listed = "".join(f"{blob}\n" for blob in blobs).encode()
    out = gitrepo.run_git_bytes(repo.top, ("cat-file", "--batch-check"), listed).decode()
    return {blob: int(size) for blob, _, size in (line.split(" ") for line in out.splitlines())}


def _candidates(added: list[_Blob], deleted: list[_Blob]) -> list[tuple[_Blob, _Blob]]:
    """The (added, deleted) pairs worth comparing: same kinds by name, sizes within `_SIZE_RATIO`;
    at most `_MAX_TRIED` of them, whose files come to at most `_MAX_READ` bytes (in path order)."""
    by_kinds: dict[frozenset[FileKind], list[_Blob]] = {}
    for old in sorted(deleted, key=lambda f: (f.size, f.path)):
        by_kinds.setdefault(old.kinds, []).append(old)
    sizes = {kinds: [f.size for f in olds] for kinds, olds in by_kinds.items()}
    tried: list[tuple[_Blob, _Blob]] = []
    read: set[_Blob] = set()
    total = 0
    for new in sorted(added, key=lambda f: f.path):
        olds, near = by_kinds.get(new.kinds, []), sizes.get(new.kinds, [])
        start = bisect.bisect_left(near, new.size / _SIZE_RATIO)
        for old in olds[start : bisect.bisect_right(near, new.size * _SIZE_RATIO)]:
            more = sum(f.size for f in {new, old} - read)
            if len(tried) == _MAX_TRIED or total + more > _MAX_READ:
                return tried
            tried.append((new, old))
            read |= {new, old}
            total += more
    return tried


def _read(repo: gitrepo.Repo, files: set[_Blob]) -> dict[_Blob, bytes]:
    """Each file's bytes, in path order, from one `git cat-file --batch`."""
    ordered = sorted(files, key=lambda f: (f.path, f.blob))
    return dict(zip(ordered, gitrepo.read_blobs(repo, [f.blob for f in ordered]), strict=True))


def _text(path: str, data: bytes) -> _Text:
    """A file's kinds (by name and content, as `core.changes` gives them) and plain lines: split at
    `\\n`, git's white space (space, tab, CR, VT, FF) left out at either end and each run inside made
    one space: re-indented or re-aligned, a line is the same line. A line weighs its bytes and
    newline, as in git's measure, so blank lines cannot make two files alike."""
    lines = Counter(b" ".join(line.split()) for line in data.removeprefix(_BOM).split(b"\n"))
    return _Text(classify(path, data), lines, _weight(lines))


def _same_format(new: _Blob, old: _Blob) -> bool:
    """Both YAML or both JSON, by their names."""
    formats = {_FORMATS.get(PurePosixPath(f.path).suffix.lower()) for f in (new, old)}
    return len(formats) == 1 and None not in formats


def _documents(
    tried: list[tuple[_Blob, _Blob]], contents: dict[_Blob, bytes], texts: dict[_Blob, _Text]
) -> dict[_Blob, _Text]:
    """The files of `tried` (in path order, at most `_MAX_PARSED` bytes of them) with what PyYAML
    reads in them as their lines (`yamlcompare.entries`); a file it cannot read is left out."""
    read, total = {}, 0
    for file in sorted({f for pair in tried for f in pair}, key=lambda f: (f.path, f.blob)):
        if total + file.size > _MAX_PARSED:
            continue
        total += file.size
        data = contents[file]
        try:
            found = yamlcompare.entries(data.decode("utf-8"))
        except UnicodeDecodeError:
            continue
        if found is not None:
            read[file] = _Text(texts[file].kinds, found, _weight(found))
    return read


def _weight(lines: Counter[bytes]) -> int:
    return sum((len(line) + 1) * count for line, count in lines.items())


def _best(tried: list[tuple[_Blob, _Blob]], texts: dict[_Blob, _Text]) -> list[tuple[_Blob, _Blob]]:
    """The pairs at or above the threshold, each file in one: a file's own old copy first (the same
    directory and name but for its ending: `web.yaml` written back as `web.yml`), then the most alike,
    as git pairs. Else a privileged `dev/web.yaml` and a plain `prod/web.yaml` deleted and written
    back swapped paired across: prod's new privileged manifest read as dev's moved, pre-existing."""
    scored = []
    for new, old in tried:
        if new not in texts or old not in texts:
            continue  # not read as YAML
        if (score := _similarity(texts[new], texts[old])) is not None:
            scored.append((_place(new.path) != _place(old.path), -score, new.path, old.path, new, old))
    taken: set[_Blob] = set()
    pairs = []
    for *_, new, old in sorted(scored, key=lambda s: s[:4]):
        if new not in taken and old not in taken:
            taken |= {new, old}
            pairs.append((new, old))
    return pairs


def _place(path: str) -> PurePosixPath:
    """A file's directory and name without its ending."""
    return PurePosixPath(path).with_suffix("")


def _similarity(new: _Text, old: _Text) -> float | None:
    """How alike two files' plain lines are, by weight (None below the threshold, or when their kinds
    differ: a YAML file that is a manifest is not a note that is not)."""
    if new.kinds != old.kinds or min(new.weight, old.weight) < _THRESHOLD * max(new.weight, old.weight):
        return None  # what they share weighs at most the lighter: below the threshold without counting
    score = _weight(new.lines & old.lines) / max(new.weight, old.weight)
    return score if score >= _THRESHOLD else None
