"""Which secrets the pull request's commits only put back where the base had them (`policy` asks).

Gitleaks reads the change commit by commit, so a commit that writes again a line the base already
had shows that line's secret as added: line endings converted, `=` signs re-aligned, a deletion
reverted in the next commit, a file removed in one commit and added under another name in the next.
The change as a whole touched none of those lines, and the other scanners call the secret
pre-existing. A history finding is such a re-add when its lines, lines its commit added (as the
commit's own patch has them: what Gitleaks read), are lines of the base's copy of the file (of the
name it had at the base, when renamed), and the change as a whole adds none of them to the file.
As the line rule does for every tool, this trusts the line Gitleaks names, but not its file name
when that could be another's: Gitleaks writes a byte that is not UTF-8 as U+FFFD, the adapter reads
`\\` as `/`, so `cfg\\app.env` reads as `cfg/app.env`. A finding whose commit did not change the
file it names, or changed another that reads the same, is new. Lines are compared as the change's
diff compares them: white space runs as one, CR and spaces at the end and a byte order mark left
out. A secret committed and removed again is new (the base's copy never had its line), as is one
the base had in another file only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mergeguard.core.changes import ChangeSet, Mode
from mergeguard.core.errors import UsageError
from mergeguard.core.gitrepo import DIFF_AS_TEXT, Repo
from mergeguard.core.model import Finding

_HUNK = re.compile(r"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")  # old count, new start, new count
_SPACE = re.compile(r"[ \t\v\f\r]+")  # git's white space (`--ignore-space-change`), not Unicode's
# The patch as Gitleaks reads it (`git log -p -U0 --text --no-textconv`), whatever the user's config.
_PATCH = (*DIFF_AS_TEXT, "--no-color", "--no-renames", "-U0")
# Every file a commit changed, by either name when moved; against each parent of a merge, whose
# remerge diff (what Gitleaks reads of it) names only files that differ from one of them.
_CHANGED = ("diff-tree", "-r", "-m", "--no-commit-id", "--no-renames", "-z", "--name-only")
_REPLACED = re.compile("\ufffd+")

Spot = tuple[str, int]  # (path, first line): where `dedupe` gathers the reports of one secret


def spots(findings: Iterable[Finding], changes: ChangeSet) -> frozenset[Spot]:
    """The places whose history findings are all re-adds of the base's secrets.

    Asked of the findings before `dedupe` folds one secret's reports into one finding: that finding
    keeps a range commit when any of them had one, so a place is listed only when no commit of the
    range brought a secret of its own there.
    """
    if changes.mode is Mode.ALL or changes.repo is None or changes.commit_range is None:
        return frozenset()
    history = _History(changes, changes.repo, changes.commit_range.base)
    judged = [(_spot(f), history.readded(f)) for f in findings if f.commit is not None]
    new = {spot for spot, readded in judged if not readded}
    return frozenset(spot for spot, _ in judged) - new


def _spot(finding: Finding) -> Spot:
    return (finding.location.path, finding.location.start_line)


@dataclass(frozen=True, slots=True)
class _Hunk:
    """The lines one hunk of a commit's patch added, white space made plain, from line `start` on."""

    start: int
    lines: tuple[str, ...]

    def holds(self, start: int, end: int) -> bool:
        return self.start <= start <= end < self.start + len(self.lines)


class _History:
    """The commits' patches, the base's copies and the change's files, each read once."""

    def __init__(self, changes: ChangeSet, repo: Repo, base: str) -> None:
        self.changes, self.repo, self.base = changes, repo, base
        self.patches: dict[tuple[str, str], list[_Hunk]] = {}
        self.bases: dict[str, frozenset[str] | None] = {}
        self.changed: dict[str, dict[str, set[str]]] = {}
        self.renamed: dict[str, list[str]] = {}
        for changed in changes.files:
            if changed.origin is not None:
                self.renamed.setdefault(changed.origin, []).append(changed.path)

    def readded(self, finding: Finding) -> bool:
        loc, commit = finding.location, str(finding.commit)
        changed = self.changes.lookup(loc.path)
        at_base = self._base(changed.origin if changed and changed.origin else loc.path)
        if at_base is None:
            return False  # a file the base did not have: the usual new secret, no patch read
        if not self._named(commit, loc.path):
            return False  # which file's patch holds the secret is not known
        hunk = next((h for h in self._patch(commit, loc.path) if h.holds(loc.start_line, loc.end_line)), None)
        if hunk is None:
            return False  # not a line its commit added: nothing to say what it is
        secret = hunk.lines[loc.start_line - hunk.start : loc.end_line - hunk.start + 1]
        if not at_base.issuperset(secret):
            return False
        return not any(self._added(path, secret) for path in (loc.path, *self.renamed.get(loc.path, ())))

    def _patch(self, commit: str, path: str) -> list[_Hunk]:
        if (commit, path) not in self.patches:
            patch = self._git("diff", *_PATCH, f"{commit}^", commit, "--", self.repo.prefix + path)
            self.patches[commit, path] = _hunks(patch)
        return self.patches[commit, path]

    def _named(self, commit: str, path: str) -> bool:
        """Whether `path` is the one file `commit` changed that a finding names as it names `path`."""
        if commit not in self.changed:
            names = (self._git(*_CHANGED, commit) or "").split("\0")
            self.changed[commit] = {}
            for name in filter(None, names):
                self.changed[commit].setdefault(_as_shown(name), set()).add(name)
        full = self.repo.prefix + path
        return self.changed[commit].get(_as_shown(full)) == {full}

    def _base(self, path: str) -> frozenset[str] | None:
        """The plain lines of the base's copy of `path`; None when the base has no such file."""
        if path not in self.bases:
            text = self._git("cat-file", "blob", f"{self.base}:{self.repo.prefix}{path}")
            self.bases[path] = None if text is None else frozenset(map(_plain, text.split("\n")))
        return self.bases[path]

    def _added(self, path: str, secret: Sequence[str]) -> bool:
        """Whether the change as a whole added a line of `secret` where `path` holds it now."""
        if self.changes.lookup(path) is None:
            return False  # a file the change left as it was, or deleted
        try:
            text = (self.changes.root / path).read_bytes().decode("utf-8", "surrogateescape")
        except OSError:
            return True
        lines, size = [_plain(line) for line in text.split("\n")], len(secret)
        return any(
            lines[at : at + size] == list(secret) and self.changes.touched(path, at + 1, at + size)
            for at in range(len(lines) - size + 1)
        )

    def _git(self, *args: str) -> str | None:
        try:
            return self.repo.git("--literal-pathspecs", *args)
        except UsageError:  # a root commit, a commit or file the clone lacks: judged new
            return None


def _hunks(patch: str | None) -> list[_Hunk]:
    """Each hunk's added lines, counted off its header (an added line reading `++ x` is content)."""
    found: list[_Hunk] = []
    added: list[str] = []
    left = start = 0
    for text in (patch or "").split("\n"):
        if left:
            left -= not text.startswith("\\")  # "\ No newline at end of file" is not counted
            if text.startswith("+"):
                added.append(_plain(text[1:]))
            if not left and added:
                found.append(_Hunk(start, tuple(added)))
        elif match := _HUNK.match(text):
            removed, start, count = (int(n) if n else 1 for n in match.group(1, 2, 3))
            left, added = removed + count, []
    return found


def _plain(line: str) -> str:
    """`line` as `git diff --ignore-space-change --ignore-cr-at-eol` compares it, without a BOM."""
    return _SPACE.sub(" ", line.removeprefix("\ufeff")).rstrip(" ")


def _as_shown(path: str) -> str:
    """`path` as a finding may name it, or another file Gitleaks shows the same.

    Gitleaks writes each byte that is not UTF-8 as U+FFFD (Go's JSON) and the adapter reads `\\` as a
    Windows separator, `.` parts and doubled separators dropped (`cfg\\.\\app.env` is `cfg/app.env`). A
    run of U+FFFD counts as one: Go replaces a broken sequence byte by byte, Python as a whole.
    """
    shown = path.encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\\", "/")
    parts = (part for part in shown.split("/") if part not in ("", "."))
    return _REPLACED.sub("\ufffd", "/".join(parts))
