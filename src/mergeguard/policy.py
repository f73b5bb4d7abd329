"""Decides the verdict: partitions findings (new, pre-existing, accepted, expired), and fails closed."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from mergeguard.basecompare import advisory_key, normalise
from mergeguard.baseline import BaselineEntry
from mergeguard.changes import ChangeSet, Mode
from mergeguard.config import Config
from mergeguard.model import Finding
from mergeguard.scanners.base import ScanOutcome, Status

IMAGE_SCANNER = "trivy-image"
IMAGE_PATH = "container-image/"  # where an image's findings are placed when no Dockerfile matches it


class FindingStatus(enum.StrEnum):
    """Where a finding stands: against the change under review, and against the baseline."""

    NEW = "new"
    PRE_EXISTING = "pre-existing"
    ACCEPTED = "accepted"
    EXPIRED = "expired"


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
    """A finding tagged with its status, whether it blocks, and the baseline entry that matched it."""

    finding: Finding
    status: FindingStatus
    blocking: bool
    entry: BaselineEntry | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict, every in-scope finding tagged, and what the baseline no longer matches."""

    verdict: Verdict
    assessed: tuple[Assessed, ...]
    failed: tuple[ScanOutcome, ...]
    out_of_scope: int
    reason: str
    stale: tuple[BaselineEntry, ...] = ()

    @property
    def blocking(self) -> tuple[Assessed, ...]:
        return tuple(a for a in self.assessed if a.blocking)


def decide(
    findings: Sequence[Finding],
    outcomes: Sequence[ScanOutcome],
    changes: ChangeSet,
    config: Config,
    *,
    baseline: Sequence[BaselineEntry] = (),
    today: dt.date | None = None,
    at_base: frozenset[tuple[str, str, str]] = frozenset(),
    in_base_image: frozenset[tuple[str, str, str]] | None = None,
) -> Decision:
    """Tag every in-scope finding, then answer pass, fail (blocking findings) or error."""
    today = today or dt.date.today()
    rules = _Rules(config, {entry.fingerprint: entry for entry in baseline}, today, at_base, in_base_image)
    assessed = tuple(_assess(f, changes, rules) for f in findings if _in_scope(f, changes))
    failed = tuple(o for o in outcomes if o.status is Status.FAILED)
    blocking = sum(a.blocking for a in assessed)
    errors = bool(failed) and config.fail_on_scanner_error
    verdict = Verdict.FAIL if blocking else Verdict.ERROR if errors else Verdict.PASS
    stale = _stale(baseline, {f.fingerprint for f in findings}, outcomes, changes)
    reason = _reason(assessed, failed, config)
    return Decision(verdict, assessed, failed, len(findings) - len(assessed), reason, stale)


def _in_scope(finding: Finding, changes: ChangeSet) -> bool:
    """Full scans keep all but excluded paths; PR mode keeps changed files and the range's commits."""
    if changes.is_excluded(finding.location.path):
        return False
    if changes.mode is Mode.ALL or changes.lookup(finding.location.path) is not None:
        return True
    # An image built for this pull request is scanned whole: its findings stay, and they are new only
    # where the change touched the Dockerfile line they are anchored on (else pre-existing).
    path = finding.location.path
    return finding.tool == IMAGE_SCANNER or path.startswith(IMAGE_PATH) or _in_range(finding, changes)


def _in_range(finding: Finding, changes: ChangeSet) -> bool:
    return finding.commit is not None and changes.commit_range is not None


@dataclass(frozen=True, slots=True)
class _Rules:
    """What a finding is judged by: the policy, the baseline, today, and what the base already had."""

    config: Config
    accepted: dict[str, BaselineEntry]
    today: dt.date
    at_base: frozenset[tuple[str, str, str]]
    in_base_image: frozenset[tuple[str, str, str]] | None = None  # None: no base-branch image given


def _assess(finding: Finding, changes: ChangeSet, rules: _Rules) -> Assessed:
    config, entry = rules.config, rules.accepted.get(finding.fingerprint)
    over = finding.severity >= config.threshold(finding.kind) and not (
        config.ignore_unfixed and unfixed(finding)
    )
    if entry is not None and not entry.expired(rules.today):
        return Assessed(finding, FindingStatus.ACCEPTED, False, entry)
    if entry is not None:  # an expired acceptance stops suppressing, wherever the finding is
        return Assessed(finding, FindingStatus.EXPIRED, over, entry)
    if _is_new(finding, changes, rules):
        return Assessed(finding, FindingStatus.NEW, over)
    return Assessed(finding, FindingStatus.PRE_EXISTING, over and config.fail_on_pre_existing)


def unfixed(finding: Finding) -> bool:
    """An advisory no version fixes yet (nothing to upgrade to)."""
    return finding.package is not None and not (finding.package.fixed or "").strip()


def _is_new(finding: Finding, changes: ChangeSet, rules: _Rules) -> bool:
    """In PR mode, new when the change touched one of its lines (or added it in a range commit).

    An advisory in a changed manifest is new unless the base pinned that package at that version. An
    image's advisory is new unless the base branch's image (when given) had it too; with no base
    image, an image no Dockerfile anchors is new (the change built it).
    """
    if changes.mode is Mode.ALL or _in_range(finding, changes):
        return True
    path = finding.location.path
    if finding.tool == IMAGE_SCANNER or path.startswith(IMAGE_PATH):
        if rules.in_base_image is not None:
            return advisory_key(finding) not in rules.in_base_image
        if path.startswith(IMAGE_PATH):
            return True
    if (pkg := finding.package) is not None and changes.lookup(path) is not None:
        return (path, normalise(pkg.name), pkg.installed) not in rules.at_base
    changed = changes.lookup(path)
    if changed is None or changed.lines is None:
        return changed is not None
    loc = finding.location
    return any(line in changed.lines for line in range(loc.start_line, loc.end_line + 1))


def _stale(
    baseline: Sequence[BaselineEntry], seen: set[str], outcomes: Sequence[ScanOutcome], changes: ChangeSet
) -> tuple[BaselineEntry, ...]:
    """Entries nothing matched, where their tool ran and their file was in scope (else: unknown)."""
    ran = {o.scanner for o in outcomes if o.status is Status.OK}
    return tuple(
        e
        for e in baseline
        if e.fingerprint not in seen
        and e.tool in ran
        and (changes.mode is Mode.ALL or changes.lookup(e.path) is not None)
    )


def _thresholds(config: Config) -> str:
    """ "high", or "high (vulnerability: critical)" when some kinds have their own threshold."""
    own = ", ".join(f"{kind.value}: {level.label}" for kind, level in config.fail_on_kind.items())
    return f"{config.fail_on.label} ({own})" if own else config.fail_on.label


def _reason(assessed: Sequence[Assessed], failed: Sequence[ScanOutcome], config: Config) -> str:
    parts = []
    blocking = [a for a in assessed if a.blocking]
    if blocking:
        plural = "s" if len(blocking) != 1 else ""
        expired = sum(a.status is FindingStatus.EXPIRED for a in blocking)
        note = f" ({expired} whose baseline acceptance expired)" if expired else ""
        parts.append(f"{len(blocking)} finding{plural} at or above {_thresholds(config)} severity{note}")
    for outcome in failed:
        effect = "" if config.fail_on_scanner_error else " (allowed by fail-on-scanner-error: false)"
        parts.append(f"scanner {outcome.scanner} failed: {outcome.reason}{effect}")
    return "; ".join(parts) if parts else "no blocking findings"
