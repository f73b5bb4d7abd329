"""The change's misconfigurations against the base's (`scan.basescan` scanned its copies): which are new.

Counted per (tool, rule, file, message): more now than at the base, those on changed lines are new,
and every one when too few are; as many, pre-existing wherever they land. A one-line finding on a
touched line keeps the line rule, unless it is about the whole file (runs as root); a finding over
several lines the change wrote whole is new. Positions a tool names a resource by, and resources
renamed with a Terraform `moved` block, are taken out of the messages compared; a report quoting the
command of a Dockerfile instruction the change edited counts as the base's report on it
(`scan.instructions`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from mergeguard.core import units
from mergeguard.core.changes import ChangeSet
from mergeguard.core.model import Finding, Kind
from mergeguard.core.outcome import ScanOutcome
from mergeguard.core.sources import SourceLines
from mergeguard.scan import instructions
from mergeguard.scan.basescan import Rescan, anchor
from mergeguard.scan.equivalence import concept
from mergeguard.scan.registry import TOOLS
from mergeguard.scanners.checkov.unparsed import RULE as SKIPPED_FILE
from mergeguard.scanners.trivy.charts import RULE as SKIPPED_CHART


@dataclass(frozen=True, slots=True)
class Comparison:
    """How many more reports there are now than at the base, and how many of those are on lines the
    change touched, per (tool, rule, file, message): Trivy's messages name the container and the
    resource, Checkov's the resource with its namespace, so a fix in one place does not cancel a new
    problem in another."""

    surplus: dict[tuple[str, ...], int]
    touched: dict[tuple[str, ...], int]
    # (path, first line, last line) of the findings over two or more lines that the change added
    # whole: a resource it wrote, new even when it removed another with the same problem
    written: frozenset[tuple[str, int, int]] = frozenset()
    # (path, first line, last line) of the findings the line rule judges exactly: one line that the
    # change touched
    by_lines: frozenset[tuple[str, int, int]] = frozenset()
    # the `Chart.yaml` of each chart the change touched a file of: a chart Trivy could render
    # neither before nor now was checked neither time, and a change to it is judged by nothing
    touched_charts: frozenset[str] = frozenset()
    # Terraform resources the change renamed with a `moved` block: new name -> old (`core.units`)
    moves: tuple[tuple[str, str], ...] = ()
    sources: SourceLines | None = None  # the change's files, for the line a position names

    def new(self, finding: Finding) -> bool | None:
        """True: new, False: pre-existing, None: not for this comparison to say (the line rule does)."""
        loc = finding.location
        if finding.rule_id == SKIPPED_CHART:
            return loc.path in self.touched_charts
        if finding.rule_id == SKIPPED_FILE:  # checked neither before nor now: judged by the change's lines
            return None
        if (loc.path, loc.start_line, loc.end_line) in self.by_lines and not _of_file(finding):
            return None
        keys = [k for k in _keys_of(finding, self.moves, self.sources) if k in self.surplus]
        if not keys:
            return None
        if all(self.surplus[key] <= 0 for key in keys):
            return (loc.path, loc.start_line, loc.end_line) in self.written
        return True if any(self.surplus[key] > self.touched[key] for key in keys) else None


def _keys_of(
    finding: Finding, moves: Sequence[tuple[str, str]], sources: SourceLines | None
) -> list[tuple[str, ...]]:
    """The keys of a finding's own report and of every other tool's report merged into it."""
    reports = [
        finding,
        *(replace(finding, tool=s.tool, rule_id=s.rule_id, message=s.message) for s in finding.also),
    ]
    return [_key(anchor(r, sources) if sources else r, moves) for r in reports]


def _unmoved(message: str, moves: Sequence[tuple[str, str]]) -> str:
    """`message` naming a renamed resource by its old name, as the base's report names it, and
    without the positions some tools name a resource by (Trivy's CloudFormation `template.yaml:14-18`,
    Checkov's `steps[2]`, a chart template's rendered line): lines or steps added above it must not make
    its old findings new."""
    for new, old in moves:
        message = re.sub(rf"\(resource {re.escape(new)}(?=[.)\[])", f"(resource {old}", message)
    return _POSITION.sub("", units.without_rendered_line(message))


# A Kubernetes resource's namespace as the tools name it (Trivy: `in default namespace`, `in 'default'
# namespace`, `(namespace: default)`; Checkov: `Deployment.default.web`).
_NAMESPACE = re.compile(
    r"""(?<=in )['"]?([^\s'"]+)['"]? namespace\b|(?<=\(namespace: )([^)]+)(?=\))"""
    r"|(?<=\(resource )([A-Z][A-Za-z]*)\.([^.()\s]+)(?=\.)"
)


def _namespace_added(surplus: dict[tuple[str, ...], int]) -> None:
    """Counts of a resource that was in the default namespace and now names one moved onto it: the
    tools name the namespace in their messages, and adding `namespace:` to a resource (as a fix of
    "the default namespace") moves none of its other problems into the change. Between two named
    namespaces (privileged moved from staging's `web` to prod's) nothing moves."""
    missing = {}  # (tool, rule, path, message with the namespace blanked) -> the default-namespace key
    for key, count in surplus.items():
        blank, names = _blanked(key[3])
        if count < 0 and names == {"default"}:
            missing[(*key[:3], blank)] = key
    for key, count in surplus.items():
        blank, names = _blanked(key[3])
        source = missing.get((*key[:3], blank))
        if count > 0 and source is not None and "default" not in names:
            moved = min(count, -surplus[source])
            surplus[key] -= moved
            surplus[source] += moved


def _blanked(message: str) -> tuple[str, set[str]]:
    """`message` with its namespace names taken out, and those names."""
    found = list(_NAMESPACE.finditer(message))
    names = {name for m in found for name in (m.group(1), m.group(2), m.group(4)) if name}
    return _NAMESPACE.sub(lambda m: f"{m.group(3)}." if m.group(3) else "", message), names


_POSITION = re.compile(r"(?<=\[)\d+(?=\])|(?<=\S):\d+(-\d+)?(?=\))")


def compare(rescan: Rescan, now: Sequence[ScanOutcome], changes: ChangeSet) -> Comparison:
    """The comparison of the change's reports with the base's, for the (tool, file) scanned there."""
    scanned = rescan.scanned - _unparsed(rescan.outcomes)
    base = _misconfigurations(rescan.outcomes, scanned)  # anchored as they were scanned
    sources = SourceLines(changes.root)
    reports = _misconfigurations(now, scanned)
    found = [anchor(f, sources) for f in reports]
    moves = tuple(units.moved(changes.root, [f.path for f in changes.files if f.lines or f.added]).items())
    before = Counter(_key(f, ()) for f in base)
    after = Counter(_key(f, moves) for f in found)
    touched = Counter(_key(f, moves) for f in found if _on_changed_lines(f, changes))
    keys = {*after, *before}
    surplus = {k: after[k] - before[k] for k in keys}
    _namespace_added(surplus)
    at_base = [(_key(f, ()), f) for f in base]
    instructions.carry(
        surplus, at_base, [(_key(f, moves), r) for f, r in zip(found, reports, strict=True)], changes, sources
    )
    return Comparison(
        surplus,
        {k: touched[k] for k in keys},
        frozenset(_span(f) for f in found if _written_whole(f, changes)),
        frozenset(_span(f) for f in found if _by_lines(f) and _on_changed_lines(f, changes)),
        frozenset(units.manifest(chart) for chart in _touched_charts(changes)),
        moves,
        sources,
    )


def _unparsed(outcomes: Sequence[ScanOutcome]) -> frozenset[tuple[str, str]]:
    """The (tool, file) pairs whose base copy the tool could not parse (hadolint's DL1000, Checkov's
    skipped-file): it checked nothing there, so its count of every problem at the base is no count
    (a change that made the file parseable would make all of them new); the change's lines judge."""
    return frozenset(
        (f.tool, f.location.path)
        for o in outcomes
        for f in o.findings
        if (tool := TOOLS.get(f.tool)) is not None and f.rule_id in tool.unparsed_rules
    )


def _touched_charts(changes: ChangeSet) -> list[str]:
    return [
        chart
        for chart in changes.charts
        if any((f.lines or f.added) and units.of_charts(f.path, [chart]) for f in changes.files)
    ]


def _misconfigurations(outcomes: Sequence[ScanOutcome], scanned: frozenset[tuple[str, str]]) -> list[Finding]:
    """The misconfigurations reported on the (tool, file) pairs scanned at the base (a secret or an
    advisory is judged its own way)."""
    return [
        f
        for o in outcomes
        for f in o.findings
        if f.kind is not Kind.SECRET and f.package is None and (f.tool, f.location.path) in scanned
    ]


def _key(finding: Finding, moves: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    return finding.tool, finding.rule_id, finding.location.path, _unmoved(finding.message, moves)


def _by_lines(finding: Finding) -> bool:
    """A one-line finding, not one about the whole file wherever its tool puts it (Trivy's "no USER"
    on line 1, the FROM line a base-image bump touches). A finding over several lines, a Dockerfile
    instruction's too, is judged by counting (`basescan.anchor` knows an instruction by its first line)."""
    return finding.location.start_line == finding.location.end_line and not _of_file(finding)


def _of_file(finding: Finding) -> bool:
    """A problem of the whole file (`equivalence.FILE_CONCEPTS`: runs as root, no HEALTHCHECK)."""
    return any(
        (found := concept(report)) is not None and found[0] == "file"
        for report in (finding, *(replace(finding, tool=s.tool, rule_id=s.rule_id) for s in finding.also))
    )


def _span(finding: Finding) -> tuple[str, int, int]:
    return finding.location.path, finding.location.start_line, finding.location.end_line


def _written_whole(finding: Finding, changes: ChangeSet) -> bool:
    loc = finding.location
    changed = changes.lookup(loc.path)
    if loc.end_line <= loc.start_line or changed is None or units.in_templates(loc.path, changes.charts):
        return False
    return changed.lines is None or all(n in changed.lines for n in range(loc.start_line, loc.end_line + 1))


def _on_changed_lines(finding: Finding, changes: ChangeSet) -> bool:
    """Whether the change touched the finding's lines; never for a chart's template, whose finding
    Trivy places on the lines of the rendered manifest (`core.charts`)."""
    loc = finding.location
    return not units.in_templates(loc.path, changes.charts) and changes.touched(
        loc.path, loc.start_line, loc.end_line
    )
