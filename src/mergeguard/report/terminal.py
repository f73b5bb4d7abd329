"""The terminal summary: scanners by severity, then the findings that decide the verdict."""

from __future__ import annotations

from collections import Counter

from mergeguard.core.model import Severity
from mergeguard.core.outcome import Status, by_scanner
from mergeguard.core.policy import Assessed, FindingStatus
from mergeguard.core.text import inert_lines, plain
from mergeguard.scan.pipeline import ScanResult

_STATUS_WORDS = {
    FindingStatus.NEW: "new below {}",
    FindingStatus.PRE_EXISTING: "pre-existing",
    FindingStatus.ACCEPTED: "accepted in the baseline",
    FindingStatus.EXPIRED: "with an expired acceptance, below {}",
}
_LEVELS = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO, Severity.UNKNOWN)


def render(result: ScanResult) -> str:
    """The summary printed at the end of a scan (the final verdict line is printed separately)."""
    lines = [_heading(result), "", *_scanner_table(result), ""]
    blocking = sorted(result.decision.blocking, key=_order)
    if blocking:
        lines.append(f"Findings that decide the verdict ({len(blocking)}):")
        lines.extend(f"  {_finding_line(a)}" for a in blocking)
        lines.append("")
    others = Counter(a.status for a in result.decision.assessed if not a.blocking)
    if others:
        parts = [
            f"{n} {_STATUS_WORDS[status].format(result.config.fail_on.label)}" for status, n in others.items()
        ]
        lines.append(f"Not blocking: {', '.join(parts)} (all listed in the JSON report).")
    if result.merged:
        lines.append(f"Merged: {result.merged} duplicate reports of the same problem by other tools.")
    lines.extend(_misclassified(result))
    lines.extend(
        f"Not scanned: {o.scanner}: {plain(o.oversized.describe(), 500)}."
        for o in result.outcomes
        if o.oversized
    )
    if modules := result.changes.submodules:
        lines.append(f"Not scanned: {_submodules(modules)}.")
    for entry in result.decision.stale:
        lines.append(
            f"Stale baseline entry (nothing matches it any more): {plain(entry.path)} {plain(entry.rule)}"
        )
    return inert_lines("\n".join(lines).rstrip() + "\n")  # every cell is plain(); this is the backstop


def _misclassified(result: ScanResult) -> list[str]:
    """A line per scanner whose findings on files of another kind were dropped."""
    lines = []
    for outcome in result.outcomes:
        if dropped := outcome.misclassified:
            paths = plain(", ".join(dropped.paths), 200)
            lines.append(f"Misclassified: {outcome.scanner}: {dropped.describe()} ({paths}).")
    return lines


def _submodules(paths: tuple[str, ...]) -> str:
    """One line: "1 submodule (another repository's code, at the commit recorded here): vendor/lib"."""
    noun = "submodule" if len(paths) == 1 else "submodules"
    listed = plain(", ".join(paths), 500)
    return f"{len(paths)} {noun} (another repository's code, at the commit recorded here): {listed}"


def _heading(result: ScanResult) -> str:
    changes = result.changes
    scope = "every tracked file" if changes.commit_range is None else "files changed since the merge-base"
    excluded = f", {len(changes.excluded)} excluded" if changes.excluded else ""
    return f"mergeguard: {scope} of {plain(str(changes.root))} ({len(changes.files)} files{excluded})"


def _scanner_table(result: ScanResult) -> list[str]:
    header = f"{'scanner':<15} {'version':<9} {'status':<8} {'time':>6}  " + " ".join(
        f"{s.label[:4]:>4}" for s in _LEVELS
    )
    rows = [header]
    found = by_scanner(result.outcomes, (a.finding for a in result.decision.assessed))
    by_tool = Counter((row, finding.severity) for row, finding in found)  # as the Markdown table counts
    for outcome in result.outcomes:
        time = f"{outcome.duration_s:.1f}s" if outcome.status is Status.OK else ""
        counts = " ".join(f"{by_tool[(outcome.scanner, s)]:>4}" for s in _LEVELS)
        row = f"{outcome.scanner:<15} {outcome.version or '-':<9} {outcome.status.value:<8} {time:>6}  "
        if outcome.status is Status.OK:
            rows.append(row + counts)
        else:
            rows.append(row + plain(outcome.reason, 120))
    return rows


def _order(assessed: Assessed) -> tuple[int, str, int, str]:
    f = assessed.finding
    return (-f.severity, f.location.path, f.location.start_line, f.tool)


def _finding_line(assessed: Assessed) -> str:
    f = assessed.finding
    where = f"{f.location.path}:{f.location.start_line}"
    why = f"  [{assessed.block.describe()}]" if assessed.block is not None else ""
    return (
        f"{plain(where)}  {f.severity.label}  {f.tool}  {plain(f.rule_id)}  "
        f"{plain(f.title or f.message, 160)}{why}"
    )
