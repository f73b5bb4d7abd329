"""Decides the verdict: which findings are new, which block, and whether scanner errors fail the gate."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from mergeguard.changes import ChangeSet, Mode
from mergeguard.config import Config
from mergeguard.model import Finding
from mergeguard.scanners.base import ScanOutcome, Status


class FindingStatus(enum.StrEnum):
    """Where a finding stands against the change under review."""

    NEW = "new"
    PRE_EXISTING = "pre-existing"


class Verdict(enum.StrEnum):
    """The gate's answer, and the exit status it maps to."""

    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    ERROR = "error"

    @property
    def exit_code(self) -> int:
        return {Verdict.PASS: 0, Verdict.FAIL: 1, Verdict.ERROR: 3}[self]


@dataclass(frozen=True, slots=True)
class Assessed:
    """A finding tagged with its status and whether it blocks the merge."""

    finding: Finding
    status: FindingStatus
    blocking: bool


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict, the findings in scope (tagged), and how many were outside the scope."""

    verdict: Verdict
    assessed: tuple[Assessed, ...]
    failed: tuple[ScanOutcome, ...]
    out_of_scope: int
    reason: str

    @property
    def blocking(self) -> tuple[Assessed, ...]:
        return tuple(a for a in self.assessed if a.blocking)


def decide(
    findings: Sequence[Finding], outcomes: Sequence[ScanOutcome], changes: ChangeSet, config: Config
) -> Decision:
    """Tag every in-scope finding, then answer pass, fail (blocking findings) or error."""
    in_scope = [f for f in findings if _in_scope(f, changes)]
    assessed = tuple(_assess(f, changes, config) for f in in_scope)
    failed = tuple(o for o in outcomes if o.status is Status.FAILED)
    blocking = sum(a.blocking for a in assessed)
    errors = bool(failed) and config.fail_on_scanner_error
    verdict = Verdict.FAIL if blocking else Verdict.ERROR if errors else Verdict.PASS
    reason = _reason(blocking, failed, config)
    return Decision(verdict, assessed, failed, len(findings) - len(in_scope), reason)


def _in_scope(finding: Finding, changes: ChangeSet) -> bool:
    """Findings in scanned files; a secret in a commit of the range stays even if the file is gone."""
    if changes.lookup(finding.location.path) is not None:
        return True
    return _in_range(finding, changes)


def _in_range(finding: Finding, changes: ChangeSet) -> bool:
    return finding.commit is not None and changes.commit_range is not None


def _assess(finding: Finding, changes: ChangeSet, config: Config) -> Assessed:
    status = FindingStatus.NEW if _is_new(finding, changes) else FindingStatus.PRE_EXISTING
    counts = status is FindingStatus.NEW or config.fail_on_pre_existing
    return Assessed(finding, status, counts and finding.severity >= config.fail_on)


def _is_new(finding: Finding, changes: ChangeSet) -> bool:
    """In PR mode, new when the change touched one of its lines (or added it in a range commit)."""
    if changes.mode is Mode.ALL or _in_range(finding, changes):
        return True
    changed = changes.lookup(finding.location.path)
    if changed is None or changed.lines is None:
        return changed is not None
    loc = finding.location
    return any(line in changed.lines for line in range(loc.start_line, loc.end_line + 1))


def _reason(blocking: int, failed: Sequence[ScanOutcome], config: Config) -> str:
    parts = []
    if blocking:
        plural = "s" if blocking != 1 else ""
        parts.append(f"{blocking} finding{plural} at or above {config.fail_on.label} severity")
    for outcome in failed:
        effect = "" if config.fail_on_scanner_error else " (allowed by fail-on-scanner-error: false)"
        parts.append(f"scanner {outcome.scanner} failed: {outcome.reason}{effect}")
    return "; ".join(parts) if parts else "no blocking findings"
