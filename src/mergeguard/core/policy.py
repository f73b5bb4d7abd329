"""Decides the verdict: partitions findings (new, pre-existing, accepted, expired), and fails closed."""

from __future__ import annotations

import datetime as dt
import enum
import functools
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from mergeguard.core.baseline import BaselineEntry
from mergeguard.core.blocks import Block, BlockRule, thresholds
from mergeguard.core.changes import ChangeSet, Mode
from mergeguard.core.config import Config
from mergeguard.core.filekinds import FileKind
from mergeguard.core.model import Finding, Kind, Severity
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.core.packagenames import normalise
from mergeguard.core.preexisting import advisory_key
from mergeguard.core.quickinit import quick_init

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


@quick_init
@dataclass(frozen=True, slots=True)
class Assessed:
    """A finding tagged with its status, whether it blocks and by which rule, and its baseline entry."""

    finding: Finding
    status: FindingStatus
    blocking: bool
    entry: BaselineEntry | None = None
    block: Block | None = None  # the rule that makes it block; `decide` sets it on every blocking one

    def __post_init__(self) -> None:
        if self.block is not None and not self.blocking:
            raise ValueError("a finding that does not block has no rule blocking it")


@dataclass(frozen=True, slots=True)
class Decision:
    """The verdict, every in-scope finding tagged, and what the baseline no longer matches."""

    verdict: Verdict
    assessed: tuple[Assessed, ...]
    failed: tuple[ScanOutcome, ...]
    out_of_scope: int
    reason: str
    stale: tuple[BaselineEntry, ...] = ()
    rules: tuple[BlockRule, ...] = ()  # the rules that decided a verdict other than pass, in policy order

    @property
    def blocking(self) -> tuple[Assessed, ...]:
        return tuple(a for a in self.assessed if a.blocking)

    def blocked_by(self, rule: BlockRule, why: str) -> Decision:
        """This decision failed by a rule of the whole run (`policy-changes`), `why` added to the reason."""
        reason = why if self.verdict is Verdict.PASS else f"{self.reason}; {why}"
        rules = self.rules if rule in self.rules else (*self.rules, rule)
        return replace(self, verdict=Verdict.FAIL, reason=reason, rules=rules)


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
    image_scanners: frozenset[str] = frozenset(),
    rescanned: Callable[[Finding], bool | None] | None = None,
    readded: frozenset[tuple[str, int]] = frozenset(),
    applies_to: Mapping[str, frozenset[FileKind]] | None = None,
) -> Decision:
    """Tag every in-scope finding, then answer pass, fail (blocking findings) or error.

    `image_scanners` names the tools that scan a built image whole (the registry's `scans_images`);
    `rescanned` says whether a finding is new by the base's copy of its file (`scan.basescan`);
    `readded` lists the (path, first line) whose range commits only put back the base's secrets
    (`scan.readded`); `applies_to` gives the kinds of file each tool checks (its scanner's).
    """
    today = today or dt.date.today()
    accepted = {entry.fingerprint: entry for entry in baseline}
    rules = _Rules(
        config, accepted, today, at_base, in_base_image, image_scanners, rescanned, readded, applies_to or {}
    )
    assessed = tuple(_assess(f, changes, rules) for f in findings if _in_scope(f, changes, rules))
    failed = tuple(o for o in outcomes if o.status is Status.FAILED)
    blocking = sum(a.blocking for a in assessed)
    errors = bool(failed) and config.fail_on_scanner_error
    verdict = Verdict.FAIL if blocking else Verdict.ERROR if errors else Verdict.PASS
    stale = _stale(baseline, {f.fingerprint for f in findings}, outcomes, changes)
    reason = _reason(assessed, failed, config)
    out = len(findings) - len(assessed)
    return Decision(verdict, assessed, failed, out, reason, stale, _rules(assessed, errors))


def _in_scope(finding: Finding, changes: ChangeSet, rules: _Rules) -> bool:
    """Full scans keep all but excluded paths; PR mode keeps changed files and the range's commits."""
    if changes.is_excluded(finding.location.path):
        return False
    if changes.mode is Mode.ALL or changes.lookup(finding.location.path) is not None:
        return True
    # An image built for this pull request is scanned whole: its findings stay, and they are new only
    # where the change touched the Dockerfile line they are anchored on (else pre-existing).
    return _of_image(finding, rules) or _in_range(finding, changes)


def _of_image(finding: Finding, rules: _Rules) -> bool:
    return finding.tool in rules.image_scanners or finding.location.path.startswith(IMAGE_PATH)


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
    image_scanners: frozenset[str] = frozenset()  # tools whose findings are of an image, scanned whole
    # scan.basescan: new (True) or pre-existing (False) by the base's copy of its file; None: no say
    rescanned: Callable[[Finding], bool | None] | None = None
    readded: frozenset[tuple[str, int]] = frozenset()  # scan.readded: history findings judged by lines
    applies_to: Mapping[str, frozenset[FileKind]] = field(default_factory=dict)  # tool -> kinds it checks


def _assess(finding: Finding, changes: ChangeSet, rules: _Rules) -> Assessed:
    config, entry = rules.config, rules.accepted.get(finding.fingerprint)
    meets = _meets(finding, config)
    if entry is not None and not entry.expired(rules.today):
        return Assessed(finding, FindingStatus.ACCEPTED, False, entry)
    if entry is not None:  # an expired acceptance stops suppressing, wherever the finding is
        return _tagged(finding, FindingStatus.EXPIRED, meets, BlockRule.EXPIRED_ACCEPTANCE, entry)
    if _is_new(finding, changes, rules):
        return _tagged(finding, FindingStatus.NEW, meets)
    pre_existing = meets if config.fail_on_pre_existing else None
    return _tagged(finding, FindingStatus.PRE_EXISTING, pre_existing, BlockRule.FAIL_ON_PRE_EXISTING)


def _meets(finding: Finding, config: Config) -> Block | None:
    """The threshold rule the finding meets (`fail-on-kind` for its kind, else `fail-on`), if any."""
    own = config.fail_on_kind.get(finding.kind)
    if finding.severity < config.threshold(finding.kind) or (config.ignore_unfixed and unfixed(finding)):
        return None
    if own is None:
        return _block(BlockRule.FAIL_ON, config.fail_on, None)
    return _block(BlockRule.FAIL_ON_KIND, own, finding.kind)


@functools.lru_cache(maxsize=256)  # a value, shared: one per rule and threshold, not one per finding
def _block(rule: BlockRule, threshold: Severity, kind: Kind | None) -> Block:
    return Block(rule, threshold, kind)


def _tagged(
    finding: Finding,
    status: FindingStatus,
    meets: Block | None,
    rule: BlockRule | None = None,
    entry: BaselineEntry | None = None,
) -> Assessed:
    """The finding blocking by `rule` (else by the threshold it meets) when it meets one."""
    block = _block(rule, meets.threshold, meets.kind) if meets is not None and rule is not None else meets
    return Assessed(finding, status, block is not None, entry, block)


def unfixed(finding: Finding) -> bool:
    """An advisory no version fixes yet (nothing to upgrade to)."""
    return finding.package is not None and not (finding.package.fixed or "").strip()


def _is_new(finding: Finding, changes: ChangeSet, rules: _Rules) -> bool:
    """In PR mode, new when the change touched one of its lines (or added it in a range commit).

    A range commit that only put back a secret the base had where it is (line endings converted, a
    deletion reverted: `scan.readded`) did not add it: such a finding is judged as the others. A
    finding by a tool of a kind its file gained in the change is new, wherever it is. An advisory in
    a changed manifest is new unless the base pinned that package at that version. An image's
    advisory is new unless the base branch's image (when given) had it too; with no base image, an
    image no Dockerfile anchors is new (the change built it).
    """
    if changes.mode is Mode.ALL or _committed(finding, changes, rules) or _gained(finding, changes, rules):
        return True
    path = finding.location.path
    if _of_image(finding, rules):
        if rules.in_base_image is not None:
            return advisory_key(finding) not in rules.in_base_image
        if path.startswith(IMAGE_PATH):
            return True
    if (pkg := finding.package) is not None and changes.lookup(path) is not None:
        return (path, normalise(pkg.name), pkg.installed) not in rules.at_base
    if rules.rescanned is not None and (said := rules.rescanned(finding)) is not None:
        return said
    loc = finding.location
    return changes.touched(path, loc.start_line, loc.end_line)


def _committed(finding: Finding, changes: ChangeSet, rules: _Rules) -> bool:
    """Whether a commit of the range added it, not only put back what the base had there."""
    loc = finding.location
    return _in_range(finding, changes) and (loc.path, loc.start_line) not in rules.readded


def _gained(finding: Finding, changes: ChangeSet, rules: _Rules) -> bool:
    """Whether a tool that reported it checks a kind its file gained in the change (renamed to
    `Dockerfile`, made an executable Python script): it never checked the base's copy, so none of the
    file's lines is the base's for it, as in a file moved out of an excluded place."""
    changed = changes.lookup(finding.location.path)
    if changed is None or not changed.gained:
        return False
    return any(rules.applies_to.get(tool, frozenset()) & changed.gained for tool in finding.tools)


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


def _rules(assessed: Sequence[Assessed], errors: bool) -> tuple[BlockRule, ...]:
    """The rules that decided the verdict: each blocking finding's, then the scanners' failure."""
    found = {a.block.rule for a in assessed if a.block is not None}
    return tuple(r for r in BlockRule if r in found or (errors and r is BlockRule.SCANNER_ERROR))


_NOTES = {  # the threshold rules that say more than "at or above": counted in the verdict's reason
    BlockRule.EXPIRED_ACCEPTANCE: "whose baseline acceptance expired",
    BlockRule.FAIL_ON_PRE_EXISTING: "pre-existing that fail-on-pre-existing blocks",
}


def _reason(assessed: Sequence[Assessed], failed: Sequence[ScanOutcome], config: Config) -> str:
    parts = []
    blocking = [a for a in assessed if a.blocking]
    if blocking:
        plural = "s" if len(blocking) != 1 else ""
        counts = Counter(a.block.rule for a in blocking if a.block is not None)
        notes = ", ".join(f"{counts[rule]} {text}" for rule, text in _NOTES.items() if counts[rule])
        note = f" ({notes})" if notes else ""
        parts.append(f"{len(blocking)} finding{plural} at or above {thresholds(config)} severity{note}")
    for outcome in failed:
        effect = "" if config.fail_on_scanner_error else " (allowed by fail-on-scanner-error: false)"
        parts.append(f"scanner {outcome.scanner} failed: {outcome.reason}{effect}")
    return "; ".join(parts) if parts else "no blocking findings"
