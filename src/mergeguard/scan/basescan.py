"""What a pull request did not bring into a Dockerfile or IaC file: the same scanners on the base's copy.

In PR mode a finding is new when the change touched one of its lines. Two kinds of finding defeat
that rule: one about something absent (deleting a `USER app` line leaves "runs as root" on the
untouched FROM line: a pull request that removed the fix passed) and one about a whole resource (a
new image tag inside a Deployment made its old "no security context" new: blocked for nothing).
So each changed Dockerfile and IaC file the merge-base also has is laid out as it was there, with
the same scanner configs, and scanned by the tools that declare `rescans_base`. Per (tool, rule,
file): as many reports at the base as now, pre-existing wherever they land; more now, the ones on
changed lines are new, and all of them when too few are on changed lines to make up the difference.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mergeguard.core import charts
from mergeguard.core.basepolicy import PolicyFiles
from mergeguard.core.changes import ChangedFile, ChangeSet, Mode
from mergeguard.core.config import Config
from mergeguard.core.filekinds import FileKind
from mergeguard.core.model import Finding, Kind
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.scan.registry import TOOLS
from mergeguard.scan.scope_dir import TOOL_CONFIG_FILES
from mergeguard.scanners.base import Job, Scanner, Target

_KINDS = frozenset({FileKind.DOCKERFILE, FileKind.IAC})
Key = tuple[str, str, str]  # tool, rule id, path


@dataclass(frozen=True, slots=True)
class Plan:
    """The base scans to run beside the change's: one job per tool, on the files the base also has."""

    jobs: tuple[Job, ...] = ()


def plan(
    changes: ChangeSet, policy: PolicyFiles | None, view: Path, config: Config, running: Iterable[Job]
) -> Plan:
    """Jobs scanning the base's copies of the changed Dockerfiles and IaC files with the tools of the
    `running` jobs that declare `rescans_base`, each on the files its job has (PR mode only; in a
    shard, a split scanner's part)."""
    commits = changes.commit_range
    given: dict[str, set[str]] = {}
    for job in running:
        if job.target is not None and TOOLS[job.scanner.name].rescans_base:
            given.setdefault(job.scanner.name, set()).update(job.target.files)
    if changes.mode is not Mode.CHANGED or commits is None or policy is None or not policy.from_base:
        return Plan()
    names = list(given)
    wanted = [f for f in changes.files if f.kinds & _KINDS]
    base_view = view.parent / "base-files" / "src"
    present = _lay_out(wanted, policy, commits.base, changes, base_view) if names and wanted else []
    if not present:
        return Plan()
    for name in TOOL_CONFIG_FILES:  # the same scanner configs as the change's scan: the policy's
        if (view / name).is_file():
            (base_view / name).write_bytes((view / name).read_bytes())
    jobs = []
    for name in names:
        scanner: Scanner | None = TOOLS[name].lighter or TOOLS[name].scanner  # Checkov: no secrets framework
        if scanner is None:
            continue
        mine = tuple(f.path for f in present if f.kinds & scanner.applies_to and f.path in given[name])
        if mine:
            workdir = view.parent / f"base-{name}"
            workdir.mkdir()
            repo_top, prefix = (changes.repo.top, changes.repo.prefix) if changes.repo else (changes.root, "")
            target = Target(base_view, mine, repo_top, prefix, None, workdir)
            jobs.append(Job(scanner, target, config.timeout_for(name)))
    return Plan(tuple(jobs))


def _lay_out(
    wanted: Sequence[ChangedFile], policy: PolicyFiles, base: str, changes: ChangeSet, view: Path
) -> list[ChangedFile]:
    """The files the base also has (under the same name), written into `view` as the base has them."""
    prefix = changes.repo.prefix if changes.repo else ""
    present = []
    for changed in wanted:
        data = policy.blob(base, prefix + changed.path)
        if data is None:
            continue  # new in the change (or renamed): every line is the change's, the line rule holds
        dest = view / changed.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        present.append(changed)
    return present


@dataclass(frozen=True, slots=True)
class Comparison:
    """Per (tool, rule, file) scanned at the base: how many more reports now, and how many of those
    now are on lines the change touched."""

    surplus: dict[Key, int]
    touched: dict[Key, int]
    # (path, first line, last line) of the findings over two or more lines that the change added
    # whole: a resource it wrote, new even when it removed another with the same problem
    written: frozenset[tuple[str, int, int]] = frozenset()

    def new(self, finding: Finding) -> bool | None:
        """True: new, False: pre-existing, None: not for this comparison to say (the line rule does)."""
        path = finding.location.path
        reports = [(finding.tool, finding.rule_id), *((s.tool, s.rule_id) for s in finding.also)]
        keys = [(tool, rule, path) for tool, rule in reports if (tool, rule, path) in self.surplus]
        if not keys:
            return None
        if all(self.surplus[key] <= 0 for key in keys):
            loc = finding.location
            return (path, loc.start_line, loc.end_line) in self.written
        return True if any(self.surplus[key] > self.touched[key] for key in keys) else None


@dataclass(frozen=True, slots=True)
class Rescan:
    """What the base scans found, and which (tool, file) each scanned (a failed one: none). A shard
    records it in its report, and the merge joins the shards' (`scan.merge`)."""

    outcomes: tuple[ScanOutcome, ...] = ()
    scanned: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, plan: Plan, outcomes: Sequence[ScanOutcome]) -> Rescan:
        scanned = frozenset(
            (job.scanner.name, path)
            for job, outcome in zip(plan.jobs, outcomes, strict=True)
            if outcome.status is Status.OK and job.target is not None
            for path in job.target.files
        )
        return cls(tuple(outcomes), scanned)

    def joined(self, other: Rescan) -> Rescan:
        return Rescan((*self.outcomes, *other.outcomes), self.scanned | other.scanned)


def compare(rescan: Rescan, now: Sequence[ScanOutcome], changes: ChangeSet) -> Comparison:
    """The comparison of the change's reports with the base's, for the (tool, file) scanned there."""
    scanned, base = rescan.scanned, rescan.outcomes
    before = Counter(k for k in _keys(base) if (k[0], k[2]) in scanned)
    after = Counter(k for k in _keys(now) if (k[0], k[2]) in scanned)
    touched = Counter(k for k, f in _keyed(now) if (k[0], k[2]) in scanned and _on_changed_lines(f, changes))
    keys = {*after, *(k for k in before if (k[0], k[2]) in scanned)}
    written = frozenset(
        (f.location.path, f.location.start_line, f.location.end_line)
        for k, f in _keyed(now)
        if (k[0], k[2]) in scanned and _written_whole(f, changes)
    )
    return Comparison({k: after[k] - before[k] for k in keys}, {k: touched[k] for k in keys}, written)


def _keyed(outcomes: Sequence[ScanOutcome]) -> list[tuple[Key, Finding]]:
    """The misconfigurations reported (a secret or an advisory is judged its own way, by its line)."""
    return [
        ((f.tool, f.rule_id, f.location.path), f)
        for o in outcomes
        for f in o.findings
        if f.kind is not Kind.SECRET and f.package is None
    ]


def _keys(outcomes: Sequence[ScanOutcome]) -> list[Key]:
    return [key for key, _ in _keyed(outcomes)]


def _written_whole(finding: Finding, changes: ChangeSet) -> bool:
    loc = finding.location
    changed = changes.lookup(loc.path)
    if loc.end_line <= loc.start_line or changed is None or charts.in_chart(loc.path, changes.charts):
        return False
    return changed.lines is None or all(n in changed.lines for n in range(loc.start_line, loc.end_line + 1))


def _on_changed_lines(finding: Finding, changes: ChangeSet) -> bool:
    """Whether the change touched the finding's lines; never for a chart's template, whose finding
    Trivy places on the lines of the rendered manifest (`core.charts`)."""
    loc = finding.location
    return not charts.in_chart(loc.path, changes.charts) and changes.touched(
        loc.path, loc.start_line, loc.end_line
    )
