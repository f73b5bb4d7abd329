"""Inline suppressions (`# nosec`, `gitleaks:allow`, `checkov:skip=`…): a pull request's own are not
honoured in its scan, as its edits to the config and baseline are not; one tool's covers the same
problem other tools report there.

Each tool declares the comments that make it skip a finding on their line
(`Tool.inline_suppressions`). On the lines a change adds, the scan view gets them blanked out (the
same number of spaces: lines and columns stay), and the change's policy report lists each one: it
takes effect once merged, when the base holds it. A tool that says which rules its comment skips
where (`Tool.inline_ignores`) has them cover the other tools' reports of the same line concept
(`scan.equivalence`) on that instruction of a Dockerfile.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from mergeguard.core.changes import ChangeSet, Mode
from mergeguard.core.filekinds import FileKind
from mergeguard.core.model import Finding
from mergeguard.core.outcome import ScanOutcome
from mergeguard.core.sources import SourceLines
from mergeguard.scan.equivalence import concept
from mergeguard.scan.registry import TOOLS
from mergeguard.scanners.tool import Tool

# (tool, its marker), any letter case.
MARKERS = [
    (name, re.compile(pattern, re.IGNORECASE))
    for name, tool in TOOLS.items()
    for pattern in tool.inline_suppressions
]


# A run inside a marker that no tool's own words make (`bridgecrew.io/skip`, the date of
# `trivy:exp:2030-01-01:ignore:`): 17 characters with a digit, or 21. Trivy's marker reads anything
# between `trivy:` and `ignore:`, which a key could be written into.
_LONG_RUN = re.compile(r"(?=[^\s:=]*\d)[^\s:=]{17,}|[^\s:=]{21,}")


def found(line: str) -> list[tuple[str, str]]:
    """(tool, the marker as written, any long run in it elided: the report must not show a secret
    written inside one) for each inline suppression on `line`."""
    return [
        (tool, _LONG_RUN.sub("…", match.group(0)))
        for tool, marker in MARKERS
        for match in marker.finditer(line)
    ]


def blanked(data: bytes, lines: Collection[int]) -> bytes | None:
    """`data` with every inline suppression on `lines` (1-based) turned into spaces; None: none."""
    text = data.decode("utf-8", "surrogateescape").split("\n")
    changed = False
    for number in lines:
        if 0 < number <= len(text):
            line = text[number - 1]
            for _, marker in MARKERS:
                line = marker.sub(spaces, line)
            changed |= line != text[number - 1]
            text[number - 1] = line
    return "\n".join(text).encode("utf-8", "surrogateescape") if changed else None


@dataclass(frozen=True, slots=True)
class _Cover:
    """One tool's inline ignore in a file: its comment's line, the lines it covers, the line concepts
    of the rules it names."""

    tool: str
    line: int
    first: int
    last: int
    concepts: frozenset[str]


def covered(outcomes: Sequence[ScanOutcome], changes: ChangeSet, sources: SourceLines) -> list[ScanOutcome]:
    """`outcomes` without the reports another tool's inline ignore covers: a report of a line concept
    on a Dockerfile's instruction that a comment such as `# hadolint ignore=DL3015` skips that
    concept's rule on (Trivy's DS-0029 there), as if its tool had honoured the comment.

    In PR mode neither the comment's line nor the report's lines may be ones the change touched (nor
    any line of a file it added): the change's comments are blanked for the tools themselves, and
    an old comment does not reach an instruction the change wrote or rewrote under it.
    """
    covers: dict[str, list[_Cover]] = {}
    kept = []
    for outcome in outcomes:
        findings = tuple(f for f in outcome.findings if not _is_covered(f, changes, sources, covers))
        kept.append(
            outcome if len(findings) == len(outcome.findings) else replace(outcome, findings=findings)
        )
    return kept


def _is_covered(
    finding: Finding, changes: ChangeSet, sources: SourceLines, covers: dict[str, list[_Cover]]
) -> bool:
    loc = finding.location
    found = concept(finding)
    if found is None or found[0] != "line" or _touched(changes, loc.path, loc.start_line, loc.end_line):
        return False
    if loc.path not in covers:
        covers[loc.path] = _covers(loc.path, changes, sources)
    return any(
        cover.tool != finding.tool
        and cover.first <= loc.start_line <= cover.last
        and found[1] in cover.concepts
        and not _touched(changes, loc.path, cover.line, cover.line)
        for cover in covers[loc.path]
    )


def _covers(path: str, changes: ChangeSet, sources: SourceLines) -> list[_Cover]:
    """Every tool's inline ignores in `path`, when it is a Dockerfile."""
    changed = changes.lookup(path)
    if changed is None or FileKind.DOCKERFILE not in changed.kinds:
        return []
    return [
        _Cover(tool.name, ignore.line, ignore.first, ignore.last, _concepts(tool, ignore.rules))
        for tool in TOOLS.values()
        if tool.inline_ignores is not None
        for ignore in tool.inline_ignores(sources.lines(path))
    ]


def _concepts(tool: Tool, rules: Collection[str]) -> frozenset[str]:
    return frozenset(name for rule in rules if (name := tool.line_concepts.get(tool.rule_id(rule))))


def _touched(changes: ChangeSet, path: str, start: int, end: int) -> bool:
    """In PR mode, whether the change touched one of these lines (every line of a file it added)."""
    return changes.mode is Mode.CHANGED and changes.touched(path, start, end)


def spaces(match: re.Match[str]) -> str:
    """The marker turned into spaces, or only its `blank` group when it has one: a YAML key
    (`checkov.io/skip1:`) keeps its first letters, so its indentation, and stays a key."""
    start, end = match.span("blank") if "blank" in match.re.groupindex else match.span()
    text, at = match.group(0), match.start()
    return text[: start - at] + " " * (end - start) + text[end - at :]
