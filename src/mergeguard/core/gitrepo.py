"""Read-only questions to git: where the repository is, what a range changed, which lines."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mergeguard.core.errors import UsageError

_DUBIOUS = re.compile(r"detected dubious ownership in repository at '(.*)'")
_GIT_TIMEOUT_S = 120.0
# The change's own .gitattributes must not hide its lines: `-diff`, `binary` or a textconv driver
# would turn a file's diff into "Binary files differ" (or a filter's output), and a file with a NUL
# byte is binary to git. Every changed byte is diffed as text.
DIFF_AS_TEXT = ("--text", "--no-textconv", "--no-ext-diff")
# Settings of git's that decide what mergeguard reads, given to every git command it runs and to the
# tools that run git themselves (Gitleaks' `git log -p`), above the user's and the repository's own.
# Renames found however many files moved: past `diff.renameLimit` (1,000 by default) git stops
# pairing, and each file moved and edited reads as added, every old finding in it new (3,000
# modules moved and re-headed: 90 old findings blocked).
GIT_SETTINGS = (
    ("diff.renames", "true"),
    ("diff.renameLimit", "0"),
    # What git prints, as it prints it by default whatever a user's ~/.gitconfig says: with
    # `diff.noprefix` the patch read `+++ app/run.py`, no `b/`, and every edit of an existing file
    # read as pre-existing (Gitleaks named `util.py` for `app/util.py`); `color.ui=always` coloured
    # the log Gitleaks parses (0 commits scanned), as `format.pretty`, `log.date` and
    # `log.abbrevCommit` change it; `diff.interHunkContext` put unchanged lines into `-U0` hunks.
    ("diff.noprefix", "false"),
    ("diff.mnemonicPrefix", "false"),
    ("diff.srcPrefix", "a/"),  # git 2.45 and later; an unknown key to older ones
    ("diff.dstPrefix", "b/"),
    ("diff.interHunkContext", "0"),
    ("color.ui", "never"),
    ("color.diff", "never"),
    ("format.pretty", "medium"),
    ("log.abbrevCommit", "false"),
    ("log.date", "default"),
    ("log.decorate", "false"),
    ("log.showSignature", "false"),
)


class UnsafeRepository(UsageError):
    """git refuses a repository another user owns ("dubious ownership"): never to be taken for no
    repository, which would scan the folder's untracked files and skip every check of the commits."""


@dataclass(frozen=True, slots=True)
class Repo:
    """A git work tree: its top-level directory and the scanned directory's prefix inside it."""

    top: Path
    prefix: str  # "" or "sub/dir/"

    def git(self, *args: str) -> str:
        """Output of `git args` in the top-level; UsageError with git's own words on failure."""
        return run_git(self.top, *args)


def run_git(cwd: Path, *args: str) -> str:
    return run_git_bytes(cwd, args).decode("utf-8", "surrogateescape")


def run_git_bytes(cwd: Path, args: Sequence[str], stdin: bytes = b"") -> bytes:
    """Output of `git args` fed `stdin`, as bytes; UsageError with git's own words on failure."""
    # safe.directory for this one repository: inside a container the workspace belongs to another
    # user, and git would otherwise refuse it (and tools built on git would silently scan nothing).
    settings = [("safe.directory", str(cwd)), ("core.quotePath", "false"), *GIT_SETTINGS]
    argv = ["git", *(arg for key, value in settings for arg in ("-c", f"{key}={value}")), *args]
    try:
        result = subprocess.run(
            argv,
            cwd=cwd,
            env=_environment(),
            capture_output=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
            input=stdin,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"git {' '.join(args)} failed: {exc}") from None
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", "replace")
        if refused := _DUBIOUS.search(stderr):
            raise _unsafe(refused.group(1))
        message = stderr.strip().splitlines()
        raise UsageError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return result.stdout


def _environment() -> dict[str, str]:
    """The environment without GIT_DIFF_OPTS, which git lets override `-U0` (`-u3`: three unchanged
    lines on each side of every change, read as changed)."""
    return {key: value for key, value in os.environ.items() if key != "GIT_DIFF_OPTS"}


def _unsafe(top: str) -> UnsafeRepository:
    return UnsafeRepository(
        f'git refuses the repository {top!r}: another user owns it ("dubious ownership"), and its'
        f" configuration could run commands; if it is yours to scan, trust it first with"
        f" `git config --global --add safe.directory {top}`"
    )


def open_repo(path: Path) -> Repo | None:
    """The repository `path` lies in, or None when it is not in one (UnsafeRepository when git
    refuses the one it lies in)."""
    try:
        top = run_git(path, "rev-parse", "--show-toplevel").strip()
        prefix = run_git(path, "rev-parse", "--show-prefix").strip()
    except UnsafeRepository:
        raise
    except UsageError:
        return None
    return Repo(Path(top), prefix)


def tracked_files(repo: Repo) -> list[str]:
    """Regular files tracked under the scanned directory, relative to it."""
    return tracked(repo).files


GITLINK = "160000"  # a submodule's mode: a commit of another repository, not a file
REGULAR = ("100644", "100755")  # a regular file's modes (a symlink, 120000, is never followed)


@dataclass(frozen=True, slots=True)
class Tracked:
    """What git tracks under the scanned directory, relative to it, from one `git ls-files`: regular
    files, symlinks, and submodules (another repository's commit, mode 160000: no scanner reads it)."""

    files: list[str]
    links: list[str]
    submodules: list[str] = field(default_factory=list)


def tracked(repo: Repo) -> Tracked:
    out = repo.git("ls-files", "-z", "--stage", "--", repo.prefix or ".")
    found = Tracked([], [])
    for record in filter(None, out.split("\0")):
        meta, path = record.split("\t", 1)
        mode = meta.split()[0]
        if mode in REGULAR:
            found.files.append(path[len(repo.prefix) :])
        elif mode == "120000":
            found.links.append(path[len(repo.prefix) :])
        elif mode == GITLINK:
            found.submodules.append(path[len(repo.prefix) :])
    return found


def files_at(repo: Repo, commit: str) -> dict[str, str]:
    """The regular files under the scanned directory at `commit`, relative to it, each with its blob."""
    out = repo.git("ls-tree", "-r", "-z", "--full-name", commit, "--", repo.prefix or ".")
    found = {}
    for record in filter(None, out.split("\0")):
        meta, path = record.split("\t", 1)
        mode, kind, blob = meta.split()
        if mode in REGULAR and kind == "blob" and path.startswith(repo.prefix):
            found[path[len(repo.prefix) :]] = blob
    return found


def regular_blob(repo: Repo, commit: str, rel: str) -> bytes | None:
    """The bytes of repo-relative `rel` at `commit`; None when absent or not a regular file (a
    symlink is never followed)."""
    listing = repo.git("ls-tree", "-z", commit, "--", rel).split("\0")[0]
    meta, _, name = listing.partition("\t")
    fields = meta.split()
    if name != rel or len(fields) != 3 or fields[0] not in REGULAR or fields[1] != "blob":
        return None
    return repo.git("cat-file", "blob", fields[2]).encode("utf-8", "surrogateescape")


def blob_bytes(repo: Repo, blob: str) -> bytes:
    return run_git_bytes(repo.top, ("cat-file", "blob", blob))


def commit_of(repo: Repo, ref: str) -> str:
    """The commit `ref` names (UsageError when it names none)."""
    return repo.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()


def merge_base(repo: Repo, base_ref: str) -> str:
    """merge-base(base_ref, HEAD), or UsageError naming the fix for a shallow clone (one that lacks the
    base, or cuts the change's commits)."""
    try:
        repo.git("rev-parse", "--verify", "--quiet", f"{base_ref}^{{commit}}")
    except UsageError:
        raise UsageError(f"base ref {base_ref!r} is not in this clone: {_SHALLOW_FIX}") from None
    try:
        fork = repo.git("merge-base", base_ref, "HEAD").strip()
    except UsageError:
        raise UsageError(f"no merge-base between {base_ref!r} and HEAD: {_SHALLOW_FIX}") from None
    if cut := _cut_commits(repo, fork):
        raise UsageError(
            f"the clone is shallow inside the change's commits {fork[:12]}..HEAD ({cut[0][:12]} shows no"
            " parents): history scanners would miss what they committed; fetch the whole history"
            " (actions/checkout with `fetch-depth: 0`, or `git fetch --unshallow origin`)"
        )
    return fork


_SHALLOW_FIX = (
    "fetch the base branch with its history (actions/checkout with `fetch-depth: 0`, "
    "or `git fetch --unshallow origin`)"
)


def _cut_commits(repo: Repo, fork: str) -> list[str]:
    """The commits of fork..HEAD whose parents a shallow clone hides (git lists them in its `shallow`
    file): their history is missing, and each reads as adding every file it has."""
    if repo.git("rev-parse", "--is-shallow-repository").strip() != "true":
        return []
    shallow = repo.top / repo.git("rev-parse", "--git-path", "shallow").strip()
    boundary = set(shallow.read_text(encoding="ascii").split())
    return [commit for commit in repo.git("rev-list", f"{fork}..HEAD").split() if commit in boundary]


def changed_files(repo: Repo, base: str) -> dict[str, str | None]:
    """Files added, copied, modified or renamed in base..HEAD, under the prefix: each new name, and
    the name a renamed file had at the base (None for the others, and for one moved in from outside
    the prefix: see `added_files`).

    Binary files count too (diffed as text): a NUL byte must not hide a secret from the scanners.
    """
    numstat = repo.git(
        "diff", *DIFF_AS_TEXT, "-z", "--numstat", "-M", "--diff-filter=ACMRT", base, "HEAD", "--"
    )
    files: dict[str, str | None] = {}
    fields = iter(numstat.split("\0"))
    for entry in fields:
        if not entry:
            continue
        _added, _deleted, path = entry.split("\t", 2)
        old = None
        if not path:  # a rename: the old and new names follow as their own fields
            old = next(fields)
            path = next(fields)
        if path.startswith(repo.prefix):  # numstat marks a binary file "-" even with --text: kept
            origin = old[len(repo.prefix) :] if old is not None and old.startswith(repo.prefix) else None
            files[path[len(repo.prefix) :]] = origin
    return files


def added_files(repo: Repo, base: str) -> frozenset[str]:
    """Files the change added under the prefix (not at the base under any name, or moved in from
    outside the prefix), relative to it.

    A directory scanned alone (a monorepo's `services/api`) judges only what lies in it: a file moved
    in from elsewhere was never judged by this scan, as one moved out of an excluded place, so each of
    its findings is the change's.
    """
    names = repo.git("diff", "-z", "--name-status", "-M", "--diff-filter=AR", base, "HEAD", "--")
    fields, added = iter(names.split("\0")), set()
    for status in fields:
        if not status:
            continue
        old = next(fields) if status.startswith("R") else None
        path = next(fields)
        if path.startswith(repo.prefix) and (old is None or not old.startswith(repo.prefix)):
            added.add(path[len(repo.prefix) :])
    return frozenset(added)


def deleted_files(repo: Repo, base: str) -> frozenset[str]:
    """Files the change deleted (a rename git detects is not a deletion), relative to the prefix."""
    names = repo.git("diff", "-z", "--name-only", "-M", "--diff-filter=D", base, "HEAD", "--")
    return frozenset(n[len(repo.prefix) :] for n in names.split("\0") if n and n.startswith(repo.prefix))


def commit_count(repo: Repo, base: str) -> int:
    """How many commits in base..HEAD add text lines (the ones a history secret scanner reads).

    Merges, empty commits and commits that only rename, delete or add binary files carry no new
    text, and history scanners such as Gitleaks do not count them as scanned.
    """
    log = repo.git("log", "--no-merges", "-M", "--format=%x00", "--numstat", f"{base}..HEAD")
    return sum(1 for commit in log.split("\0")[1:] if _adds_text(commit))


def _adds_text(numstat: str) -> bool:
    return any(line.split("\t", 1)[0] not in ("-", "0") for line in numstat.split("\n") if "\t" in line)


def head_commit(repo: Repo) -> str:
    return repo.git("rev-parse", "HEAD").strip()


_BATCH_HEADER = re.compile(rb"[0-9a-f]{40,64} blob (\d+)")


@dataclass(frozen=True, slots=True)
class RawChange:
    """One file of `git diff --raw`: its status letter (A, C, D, M, R, T), old mode and blob, mode and
    blob (zeros for the side it lacks)."""

    status: str
    old_mode: str
    old_blob: str
    mode: str
    blob: str


RawDiff = dict[str, RawChange]  # by path relative to the prefix: a deleted file's old one, else its new


def raw_diff(repo: Repo, base: str) -> RawDiff:
    """`git diff --raw` of base..HEAD (renames found, with no limit) for the files under the prefix,
    read once for every caller that needs blobs or modes (`core.changes` passes it on)."""
    # `--ignore-submodules=none`: a submodule's new commit is listed whatever config says (`core.submodules`)
    raw = repo.git("diff", "--raw", "-z", "--no-abbrev", "-M", "--ignore-submodules=none", base, "HEAD", "--")
    found: RawDiff = {}
    fields = iter(raw.split("\0"))
    for meta in fields:
        if not meta:
            continue
        old_mode, mode, old_blob, blob, status = meta.lstrip(":").split(" ", 4)
        path = next(fields)
        if status[0] in "RC":  # renamed or copied: the old name, then the new one
            path = next(fields)
        if path.startswith(repo.prefix):
            found[path[len(repo.prefix) :]] = RawChange(status[0], old_mode, old_blob, mode, blob)
    return found


def head_blobs(repo: Repo, raw: RawDiff) -> dict[str, bytes]:
    """The bytes HEAD commits (no filter, no end-of-line conversion) for each regular file the range
    of `raw` added, copied, modified or renamed under the prefix, relative to it.

    One `git cat-file --batch` reads them all (asked by path, it would walk the tree for each).
    """
    blobs = {path: c.blob for path, c in raw.items() if c.status in "ACMRT" and c.mode in REGULAR}
    return dict(zip(blobs, read_blobs(repo, list(blobs.values())), strict=True))


def read_blobs(repo: Repo, blobs: Sequence[str]) -> list[bytes]:
    """The bytes of each blob, in order, read by one `git cat-file --batch` (UsageError for one git
    cannot give)."""
    if not blobs:
        return []
    out = run_git_bytes(repo.top, ("cat-file", "--batch"), "".join(f"{b}\n" for b in blobs).encode())
    content: list[bytes] = []
    at = 0
    for _ in blobs:
        end = out.index(b"\n", at)
        header = _BATCH_HEADER.fullmatch(out, at, end)
        if header is None:
            raise UsageError(f"git cat-file --batch: {out[at:end].decode('ascii', 'replace')}")
        size = int(header.group(1))
        content.append(out[end + 1 : end + 1 + size])
        at = end + 2 + size  # the content, then a newline
    return content


def rewritten_blobs(raw: RawDiff) -> dict[str, tuple[str, str]]:
    """The base's blob and HEAD's of each regular file the range of `raw` modified or renamed (a
    regular file at both ends), by its path now relative to the prefix."""
    return {
        path: (c.old_blob, c.blob)
        for path, c in raw.items()
        if c.status in "MR" and c.old_mode in REGULAR and c.mode in REGULAR
    }
