"""Continued Dockerfile instructions the change only edited: their quoting reports keep the base's count.

`basescan.anchor` knows a report on an instruction of several lines by the instruction's text, and
Trivy quotes the command in its message (DS-0029 "'--no-install-recommends' flag is missed: '…'",
DS-0013, DS-0015, DS-0025), so a package added to an `apt-get install` made the flag that RUN always
lacked new, while hadolint's DL3015 on it stayed pre-existing. Such a report, one whose message
quotes its instruction's command, is counted as the base's when the base's copy of that instruction
(its first line, the keyword's, left where the base had it) had the same rule: a new instruction
reusing an old one's other lines is not it. A report that does not quote
the command (sudo, a secret in ENV, Checkov's curl -k) keeps the instruction's text as its identity:
what an edit writes into an instruction is new there unless the base reported that rule on it.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import PurePosixPath

from mergeguard.core import gitrepo
from mergeguard.core.changes import ChangeSet
from mergeguard.core.filekinds import is_dockerfile
from mergeguard.core.model import Finding
from mergeguard.core.sources import SourceLines

Key = tuple[str, ...]
_MAX_LINES = 5_000  # a longer Dockerfile keeps the instruction's text as identity (real ones are short)


def carry(
    surplus: dict[Key, int],
    base: Sequence[tuple[Key, Finding]],
    now: Sequence[tuple[Key, Finding]],
    changes: ChangeSet,
    sources: SourceLines,
) -> None:
    """Move a count from the base's key of an instruction to the change's key of the same instruction
    edited, for each report now (as the tool wrote it, with its key) that quotes its command."""
    lines = _BaseLines(changes, sources)
    for key, finding in now:
        if surplus[key] <= 0 or not quotes_command(finding, sources):
            continue
        first = lines.first(finding)  # the instruction's own line (its keyword) left where the base had it
        for old_key, old in base:
            same = old_key[:3] == key[:3] and surplus[old_key] < 0  # tool, rule, file
            if same and first is not None and old.location.start_line == first:
                surplus[key] -= 1
                surplus[old_key] += 1
                break


def quotes_command(finding: Finding, sources: SourceLines) -> bool:
    """Whether `finding`, on a Dockerfile instruction of several lines, quotes its command: the
    instruction's lines after its keyword, without comment lines, continuation backslashes and white
    space, are in the message (so written too)."""
    loc = finding.location
    lines = sources.lines(loc.path)[loc.start_line - 1 : loc.end_line]
    dockerfile = is_dockerfile(PurePosixPath(loc.path).name)
    if not dockerfile or loc.end_line <= loc.start_line or not lines or len(lines[0].split(None, 1)) < 2:
        return False
    lines[0] = lines[0].split(None, 1)[1]  # the command starts after the keyword (RUN, ENV…)
    code = (line.rstrip().removesuffix("\\") for line in lines if not line.lstrip().startswith("#"))
    command = "".join("".join(line.split()) for line in code)
    return bool(command) and command in "".join(finding.message.split())


class _BaseLines:
    """For a file the change modified, the base line each of its unchanged lines was (white space
    aside, as the change's lines are told apart), from the base copy `basescan` scanned."""

    def __init__(self, changes: ChangeSet, sources: SourceLines) -> None:
        self._changes, self._sources = changes, sources
        self._maps: dict[str, dict[int, int]] = {}

    def first(self, finding: Finding) -> int | None:
        """The base line the first line of `finding`'s instruction was, when the change left it there;
        None when that line is the change's (a new instruction reusing an old one's other lines is
        not that instruction: the problem moved to it is new)."""
        loc = finding.location
        if loc.path not in self._maps:
            self._maps[loc.path] = self._map(loc.path)
        return self._maps[loc.path].get(loc.start_line)

    def _map(self, path: str) -> dict[int, int]:
        changes, changed = self._changes, self._changes.lookup(path)
        commits, repo = changes.commit_range, changes.repo
        if changed is None or changed.added or commits is None or repo is None:
            return {}
        data = gitrepo.regular_blob(repo, commits.base, repo.prefix + (changed.origin or path))
        if data is None:
            return {}
        before = _normalised(data.decode("utf-8", "replace").split("\n"))
        after = _normalised(self._sources.lines(path))
        if max(len(before), len(after)) > _MAX_LINES:  # the alignment grows as their product
            return {}
        blocks = difflib.SequenceMatcher(None, before, after, autojunk=False).get_matching_blocks()
        return {b.b + i + 1: b.a + i + 1 for b in blocks for i in range(b.size)}


def _normalised(lines: Sequence[str]) -> list[str]:
    return [" ".join(line.split()) for line in lines]
