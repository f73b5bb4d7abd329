"""What is in scope: the changed files of a pull request (or every tracked file), classified."""

from __future__ import annotations

import enum
import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from mergeguard.core import (
    basekinds,
    composerefs,
    gitdiff,
    gitrepo,
    globs,
    links,
    renames,
    restated,
    submodules,
    units,
    worktree,
)
from mergeguard.core.errors import ScannerError, UsageError
from mergeguard.core.filekinds import IAC_MARKERS, SNIFFED_SUFFIXES, FileKind, by_first_line, classify
from mergeguard.core.linecount import all_lines
from mergeguard.core.text import plain

_SNIFF_BLOCK = 1 << 20
_MARKER_REACH = 256  # longer than any IAC_MARKERS match
_IAC = frozenset({FileKind.IAC})
_COMPOSE = frozenset({FileKind.COMPOSE})
_SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__"})


@dataclass(frozen=True, slots=True)
class CommitRange:
    """The commits a pull request adds: `base..head`, and how many of them add text lines."""

    base: str
    head: str
    count: int


class Mode(enum.StrEnum):
    """Every tracked file, or only what a pull request changed."""

    ALL = "all-files"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class ChangedFile:
    """A file in scope; `lines` are the lines the change touched (None: the whole file counts)."""

    path: str
    kinds: frozenset[FileKind]
    lines: frozenset[int] | None = None
    origin: str | None = None  # PR mode: where its base copy is, when elsewhere (renamed; a link's target)
    added: bool = False  # PR mode: new in the change, every finding in it the change's whatever line
    # PR mode: lines of `lines` that only restate the base's code (a Python statement the base's copy
    # has token for token, quotes changed or re-wrapped: `core.restated`); not touched for the line rule
    restated: frozenset[int] = frozenset()
    # PR mode: kinds it has now and had not at the base (`core.basekinds`): renamed `notes/build.txt`
    # to `Dockerfile`, made executable with a Python `#!` line; those scanners never checked it there
    gained: frozenset[FileKind] = frozenset()


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """The files in scope under `root`, and in PR mode the commit range that changed them."""

    root: Path
    mode: Mode
    files: tuple[ChangedFile, ...]
    excluded: tuple[str, ...] = ()
    repo: gitrepo.Repo | None = None
    commit_range: CommitRange | None = None
    exclude: tuple[str, ...] = ()
    charts: tuple[str, ...] = ()  # the Helm charts in scope (`core.charts`): in PR mode, whole
    # submodules: another repository's code, never scanned (`core.submodules`); listed in the reports
    submodules: tuple[str, ...] = ()
    _by_path: dict[str, ChangedFile] = field(init=False, repr=False, compare=False)
    _excluded: _Matcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_path", {f.path: f for f in self.files})
        object.__setattr__(self, "_excluded", compile_globs(self.exclude))

    def paths(self, kinds: Iterable[FileKind]) -> tuple[str, ...]:
        """Paths of the files of any of `kinds`."""
        wanted = frozenset(kinds)
        return tuple(f.path for f in self.files if f.kinds & wanted)

    def lookup(self, path: str) -> ChangedFile | None:
        """The file in scope at `path`, if any."""
        return self._by_path.get(path)

    def touched(self, path: str, start: int, end: int) -> bool:
        """Whether the change touched a line from `start` to `end` of `path` (a file in scope with
        no line numbers counts whole; a file not in scope, not at all)."""
        changed = self._by_path.get(path)
        if changed is None or changed.lines is None or changed.added:
            return changed is not None  # a tool may place a finding past a one-line file's end
        return any(n in changed.lines and n not in changed.restated for n in range(start, end + 1))

    def is_excluded(self, path: str) -> bool:
        """Whether the config's exclude globs cover `path`."""
        return self._excluded(path)


def collect(root: Path, base_ref: str | None, exclude: Sequence[str]) -> ChangeSet:
    """The change set of `root`: files changed since merge-base(base_ref, HEAD), or all files."""
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    repo = gitrepo.open_repo(root)
    if base_ref is None:
        listed = gitrepo.tracked(repo) if repo else gitrepo.Tracked(_walk(root), [])
        paths = listed.files
        linked = links.reached(root, listed.links, len(paths))
        known = _Diff(
            linked={item.name: item.target for item in linked}, composed=composerefs.referenced(root, paths)
        )
        changes = _build(root, paths, exclude, repo, known)
        return _nonempty(_with_submodules(changes, listed.submodules), tracked=repo is not None)
    if repo is None:
        raise UsageError(f"{root}: --base needs a git repository (use --all-files elsewhere)")
    diff = _diff(root, repo, gitrepo.merge_base(repo, base_ref), compile_globs(exclude))
    paths = [p for p in diff.changed if p not in diff.linked]
    paths += [p for p in units.read_with(root, paths, diff.manifests) if p not in diff.changed]  # whole units
    paths += sorted(diff.composed & diff.added - {*paths})  # newly included compose files, unchanged
    changes = _build(root, paths, exclude, repo, diff)
    return _with_submodules(changes, diff.submodules)


def _with_submodules(changes: ChangeSet, found: Sequence[str]) -> ChangeSet:
    """`changes` listing the submodules no scanner reads (`core.submodules`), but excluded ones."""
    return replace(changes, submodules=tuple(sorted(p for p in found if not changes.is_excluded(p))))


@dataclass(frozen=True, slots=True)
class _Diff:
    """What PR mode knows of each file: the commits, the lines touched, names reached through links
    (-> the file they lead to), renamed files (-> their old name), the files the change added."""

    commits: CommitRange | None = None
    changed: Mapping[str, str | None] = field(default_factory=dict)
    lines: Mapping[str, frozenset[int]] = field(default_factory=dict)
    linked: Mapping[str, str] = field(default_factory=dict)
    added: frozenset[str] = frozenset()
    manifests: tuple[str, ...] = ()  # the repository's Helm chart manifests (charts using others)
    composed: frozenset[str] = frozenset()  # compose files by what includes them (`core.composerefs`)
    restated: Mapping[str, frozenset[int]] = field(default_factory=dict)  # (`core.restated`)
    submodules: tuple[str, ...] = ()  # added or moved to another commit (`core.submodules`)


def _diff(root: Path, repo: gitrepo.Repo, base: str, matcher: _Matcher) -> _Diff:
    commits = CommitRange(base, gitrepo.head_commit(repo), gitrepo.commit_count(repo, base))
    lines, hunks = gitdiff.patch(repo, base)
    changed = gitrepo.changed_files(repo, base)
    # Python's blocks are its indentation: its files' lines as re-indented too (`core.restated` then
    # leaves out what only changed white space inside a block)
    python = {path for path in changed if FileKind.PYTHON in classify(path, _script_head(root / path))}
    if python:
        indented, indented_hunks = gitdiff.patch(repo, base, indentation=True)
        lines |= {path: indented[path] for path in python if path in indented}
        hunks |= {path: indented_hunks[path] for path in python if path in indented_hunks}
    raw = gitrepo.raw_diff(repo, base)  # blobs and modes, for the three readers below
    moved = renames.missed(repo, raw)  # moved and re-indented: a rename, white space aside
    changed |= {path: move.old for path, move in moved.items()}
    lines |= {path: move.lines for path, move in moved.items()}
    # moved out of an excluded place; LFS, a filter (the diff is not of it): every line is the change's
    whole = {path for path, old in changed.items() if old is not None and matcher(old) and not matcher(path)}
    whole.update(worktree.not_as_committed(root, repo, raw))
    for path in whole:
        lines[path] = all_lines(root / path)
    listed = gitrepo.tracked(repo)
    linked = links.changed_through(root, listed.links, changed, lines, len(listed.files))
    manifests = tuple(f for f in listed.files if f.rsplit("/", 1)[-1] in units.MANIFESTS)
    composed = composerefs.referenced(root, listed.files)
    added = gitrepo.added_files(repo, base).difference(moved) | _newly_composed(repo, base, changed, composed)
    # of the Python files' touched lines, those that only restate the base's code
    rewritten = restated.in_change(repo, raw, {p: lines[p] for p in python - whole if p in lines}, hunks)
    moved_submodules = submodules.changed(raw)
    return _Diff(commits, changed, lines, linked, added, manifests, composed, rewritten, moved_submodules)


def _newly_composed(
    repo: gitrepo.Repo, base: str, changed: Mapping[str, str | None], composed: frozenset[str]
) -> frozenset[str]:
    """The files the change makes compose files by including them (`include: [ops/stack.yaml]` added
    to compose.yaml): new to the compose check whatever they held before, so judged as added files
    (found by a red team: a privileged service merged unchecked under another name, then included)."""
    if not any(path in composed or FileKind.COMPOSE in classify(path) for path in changed):
        return frozenset()  # no file that could include another changed: nothing newly included
    return composed - composerefs.at_base(repo, base)


def _build(
    root: Path, paths: Sequence[str], exclude: Sequence[str], repo: gitrepo.Repo | None, diff: _Diff
) -> ChangeSet:
    """The files in scope: `paths` and the names reached through links, each classified (every file
    of a Helm chart is IaC) and, in PR mode, with its touched lines and base copy's name."""
    mode = Mode.ALL if diff.commits is None else Mode.CHANGED
    matcher = compile_globs(exclude)
    in_charts = units.chart_dirs(root, [*paths, *diff.linked])
    kept, dropped = [], []
    for path in sorted({*paths, *diff.linked}):
        full = root / path
        if matcher(path):
            dropped.append(path)
        elif path in diff.linked or _regular(full, path):
            kept.append(_file(path, _head(full), mode, diff, units.of_charts(path, in_charts)))
    if repo is not None and diff.commits is not None:
        kept = _gained(root, kept, repo, diff.commits.base, diff)
    return ChangeSet(
        root, mode, tuple(kept), tuple(dropped), repo, diff.commits, tuple(exclude), tuple(in_charts)
    )


def _file(path: str, head: bytes, mode: Mode, diff: _Diff, chart: bool) -> ChangedFile:
    touched = diff.lines.get(path, frozenset()) if mode is Mode.CHANGED else None
    kinds = (
        classify(path, head)
        | (_IAC if chart else frozenset())
        | (_COMPOSE if path in diff.composed else frozenset())
    )
    renamed = diff.changed.get(path)
    origin, added = diff.linked.get(path) or renamed, path in diff.added
    return ChangedFile(path, kinds, touched, origin, added, diff.restated.get(path, frozenset()))


def _gained(
    root: Path, files: list[ChangedFile], repo: gitrepo.Repo, base: str, diff: _Diff
) -> list[ChangedFile]:
    """`files` with the kinds each changed one has now and had not at the base, under its old name,
    mode and content there (`core.basekinds`): a file new in the change is every scanner's already."""
    before = {f.path: old for f in files if (old := _base_name(f, diff)) is not None}
    now = {path: classify(path, _head(root / path)) for path in before}
    named = {path: old for path, old in before.items() if now[path] - classify(old)}
    then = basekinds.at_base(repo, base, named)
    return [replace(f, gained=now[f.path] - then[f.path]) if f.path in then else f for f in files]


def _base_name(changed: ChangedFile, diff: _Diff) -> str | None:
    """The name the base held a touched file's content under, when the kinds of that name lack some of
    the file's (it may have gained them); None for a file the change added, or one that gains nothing.

    A link's content is its target's: the base checked it under the link's name only when the link
    led there already and the target was there already. A link re-pointed, or one whose target the
    change moved into place (`Dockerfile -> build/spec`, `notes/build.txt` renamed to `build/spec`),
    reaches content the base held under the target's old name (found by a red team: its problems
    read as pre-existing, though no scanner of a Dockerfile had read that file).
    """
    path = changed.path
    if changed.added:
        return None
    if (target := diff.linked.get(path)) is not None:
        moved = diff.changed.get(target)
        if path not in diff.changed and moved is None:
            return None
        old = moved or target
    elif path in diff.changed:
        old = diff.changed[path] or path
    else:
        return None
    return old if changed.kinds - classify(old) else None


def _regular(full: Path, path: str) -> bool:
    """Whether `full` is a regular file (a symlink is not). A name that cannot even be asked about
    (past the system's path limit) fails the scan naming it: dropped, its change would pass unseen."""
    try:
        return stat.S_ISREG(os.lstat(full).st_mode)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ScannerError(f"{path}: could not be read: {exc.strerror}") from None


def _nonempty(changes: ChangeSet, tracked: bool) -> ChangeSet:
    """A full scan must scan something: a gate that checked nothing would pass by mistake."""
    if changes.files:
        return changes
    if changes.excluded:
        raise UsageError(f"{changes.root}: all {len(changes.excluded)} files are excluded by the config")
    what = "no files tracked by git (new files must be `git add`ed)" if tracked else "no files"
    if found := changes.submodules:  # another repository's code: scanned in its own repository
        names = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        what = f"only submodules ({plain(names)}), which no scanner reads: scan each in its own repository"
    raise UsageError(f"{changes.root}: nothing to scan: {what}")


def _head(path: Path) -> bytes:
    """What `classify` needs of a file's content: the first bytes (a `#!` line) of a file without an
    extension, with one of `SHEBANG_SUFFIXES` (`ping.cgi`) or executable; a YAML or JSON file's up to its
    first IaC marker, read in blocks to the end (a manifest behind 70 comment lines is still one to the
    scanners, whose parsers read it whole); b"" for other names."""
    name = path.name.lower()
    if by_first_line(name, lambda: _executable(path)):  # a script's `#!` line
        return _first_bytes(path, 256)
    if not name.endswith(SNIFFED_SUFFIXES):
        return b""
    read = b""
    try:
        with path.open("rb") as handle:
            while block := handle.read(_SNIFF_BLOCK):
                read = read[-_MARKER_REACH:] + block  # a marker across two blocks is found too
                if IAC_MARKERS.search(read):
                    return read
    except OSError:
        pass
    return b""


def _script_head(path: Path) -> bytes:
    """A script's `#!` line, where `classify` reads one (what it needs to tell Python); b"" elsewhere:
    a YAML file's head, read to its first IaC marker, says nothing of Python."""
    name = path.name.lower()
    return _first_bytes(path, 256) if by_first_line(name, lambda: _executable(path)) else b""


def _executable(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & 0o111)
    except OSError:
        return False


def _first_bytes(path: Path, count: int) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(count)
    except OSError:
        return b""


def _walk(root: Path) -> list[str]:
    """Every regular file below a directory that is not a git work tree (symlinks not followed)."""
    found: list[str] = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        base = Path(current)
        found.extend((base / f).relative_to(root).as_posix() for f in files)
    return found


def compile_globs(patterns: Sequence[str]) -> _Matcher:
    """A test for repo-relative paths matching any of `patterns` (gitignore-like).

    `*` stays within one path segment, `**` spans segments, a pattern without `/` matches a name at
    any depth, and a pattern matching a directory matches everything below it. Built once per list
    (see `globs`): a path costs a few set lookups however many globs there are.
    """
    return globs.compile_globs(tuple(patterns))


_Matcher = globs.GlobMatcher
_glob_regex = globs.glob_regex
