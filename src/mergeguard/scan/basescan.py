"""What a pull request did not bring into a Dockerfile or IaC file: the same scanners on the base's copy.

In PR mode a finding is new when the change touched one of its lines. Two kinds of finding defeat
that rule: one about something absent (deleting a `USER app` line leaves "runs as root" on the
untouched FROM line: a pull request that removed the fix passed) and one about a whole resource (a
new image tag inside a Deployment made its old "no security context" new: blocked for nothing).
So each changed Dockerfile and IaC file the merge-base also has is laid out as it was there (a
renamed file's old copy, a link's target's), with the same scanner configs, and scanned by the
tools that declare `rescans_base`; `Comparison` says what that makes of each finding.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from mergeguard.core import units
from mergeguard.core.basepolicy import PolicyFiles
from mergeguard.core.changes import ChangedFile, ChangeSet, Mode
from mergeguard.core.config import Config
from mergeguard.core.filekinds import FileKind
from mergeguard.core.linecount import line_count
from mergeguard.core.model import Finding, Kind
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.scan.equivalence import concept
from mergeguard.scan.registry import TOOLS
from mergeguard.scan.scope_dir import TOOL_CONFIG_FILES
from mergeguard.scanners.base import Job, Scanner, Target
from mergeguard.scanners.trivy.charts import RULE as SKIPPED_CHART

_KINDS = frozenset({FileKind.DOCKERFILE, FileKind.IAC})


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
    commits, given = changes.commit_range, _given(running)
    if changes.mode is not Mode.CHANGED or commits is None or policy is None or not policy.from_base:
        return Plan()
    wanted = [f for f in changes.files if f.kinds & _KINDS]
    base_view = view.parent / "base-files" / "src"
    present = _lay_out(wanted, policy, commits.base, changes, base_view) if given and wanted else []
    if not present:
        return Plan()
    for name in TOOL_CONFIG_FILES:  # the same scanner configs as the change's scan: the policy's
        if (view / name).is_file():
            (base_view / name).write_bytes((view / name).read_bytes())
    for chart in changes.charts:  # its file:// dependencies as the base has them, as its own files
        units.renderable(base_view, chart, _base_charts(policy, commits.base, changes))
    jobs = (
        _job(name, [f for f in present if f.path in files], changes, base_view, config)
        for name, files in given.items()
    )
    return Plan(tuple(job for job in jobs if job is not None))


def _given(running: Iterable[Job]) -> dict[str, set[str]]:
    """The files each running tool that rescans the base was given."""
    given: dict[str, set[str]] = {}
    for job in running:
        if job.target is not None and TOOLS[job.scanner.name].rescans_base:
            given.setdefault(job.scanner.name, set()).update(job.target.files)
    return given


def _job(
    name: str, files: Sequence[ChangedFile], changes: ChangeSet, base_view: Path, config: Config
) -> Job | None:
    """`name`'s scan of the base's copies of `files` (Checkov: without its secrets framework)."""
    scanner: Scanner | None = TOOLS[name].lighter or TOOLS[name].scanner
    mine = tuple(f.path for f in files if scanner is not None and f.kinds & scanner.applies_to)
    if scanner is None or not mine:
        return None
    workdir = base_view.parent.parent / f"base-{name}"
    workdir.mkdir()
    repo_top, prefix = (changes.repo.top, changes.repo.prefix) if changes.repo else (changes.root, "")
    return Job(scanner, Target(base_view, mine, repo_top, prefix, None, workdir), config.timeout_for(name))


def _lay_out(
    wanted: Sequence[ChangedFile], policy: PolicyFiles, base: str, changes: ChangeSet, view: Path
) -> list[ChangedFile]:
    """The files the base also has, written into `view` under their names now as the base has them
    (a renamed file's old copy, a link's target's)."""
    prefix = changes.repo.prefix if changes.repo else ""
    present = []
    for changed in wanted:
        data = policy.blob(base, prefix + (changed.origin or changed.path))
        if data is None:
            continue  # new in the change: every line is the change's, the line rule holds
        dest = view / changed.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        present.append(changed)
    return present


def _base_charts(policy: PolicyFiles, base: str, changes: ChangeSet) -> units.ChartFiles:
    """The chart files of a directory (relative to the scan root) at the base commit."""
    prefix = changes.repo.prefix if changes.repo else ""

    def read(folder: str) -> list[tuple[str, bytes]]:
        top = (prefix + folder).rstrip("/") or "."
        listing = (
            policy.repo.git("ls-tree", "-r", "-z", "--name-only", base, "--", top) if policy.repo else ""
        )
        inner = [name[len(prefix) :] for name in listing.split("\0") if name.startswith(prefix) and name]
        found = []
        for path in (p for p in inner if units.is_chart_file(p, folder)):
            data = policy.blob(base, prefix + path)  # None: a symlink, never followed
            if data is not None:
                found.append((path[len(folder) + 1 :] if folder else path, data))
        return found

    return read


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
    # (path, first line, last line) of the findings the line rule judges exactly: one line, or one
    # Dockerfile instruction (a continued RUN), that the change touched
    by_lines: frozenset[tuple[str, int, int]] = frozenset()
    # the `Chart.yaml` of each chart the change touched a file of: a chart Trivy could render
    # neither before nor now was checked neither time, and a change to it is judged by nothing
    touched_charts: frozenset[str] = frozenset()
    # Terraform resources the change renamed with a `moved` block: new name -> old (`core.units`)
    moves: tuple[tuple[str, str], ...] = ()

    def new(self, finding: Finding) -> bool | None:
        """True: new, False: pre-existing, None: not for this comparison to say (the line rule does)."""
        loc = finding.location
        if finding.rule_id == SKIPPED_CHART:
            return loc.path in self.touched_charts
        if (loc.path, loc.start_line, loc.end_line) in self.by_lines and not _of_file(finding):
            return None
        keys = [k for k in _keys_of(finding, self.moves) if k in self.surplus]
        if not keys:
            return None
        if all(self.surplus[key] <= 0 for key in keys):
            return (loc.path, loc.start_line, loc.end_line) in self.written
        return True if any(self.surplus[key] > self.touched[key] for key in keys) else None


def _keys_of(finding: Finding, moves: Sequence[tuple[str, str]]) -> list[tuple[str, ...]]:
    """The keys of a finding's own report and of every other tool's report merged into it."""
    path = finding.location.path
    reports = [
        (finding.tool, finding.rule_id, finding.message),
        *((s.tool, s.rule_id, s.message) for s in finding.also),
    ]
    return [(tool, rule, path, _unmoved(message, moves)) for tool, rule, message in reports]


def _unmoved(message: str, moves: Sequence[tuple[str, str]]) -> str:
    """`message` naming a renamed resource by its old name, as the base's report names it, and
    without the positions some tools name a resource by (Trivy's CloudFormation `template.yaml:14-18`,
    Checkov's `steps[2]`): lines or steps added above it must not make its old findings new."""
    for new, old in moves:
        message = re.sub(rf"\(resource {re.escape(new)}(?=[.)\[])", f"(resource {old}", message)
    return _POSITION.sub("", message)


_POSITION = re.compile(r"(?<=\[)\d+(?=\])|(?<=\S):\d+(-\d+)?(?=\))")


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
    base = _misconfigurations(rescan.outcomes, rescan.scanned)
    found = _misconfigurations(now, rescan.scanned)
    moves = tuple(units.moved(changes.root, [f.path for f in changes.files if f.lines or f.added]).items())
    before = Counter(_key(f, ()) for f in base)
    after = Counter(_key(f, moves) for f in found)
    touched = Counter(_key(f, moves) for f in found if _on_changed_lines(f, changes))
    keys = {*after, *before}
    return Comparison(
        {k: after[k] - before[k] for k in keys},
        {k: touched[k] for k in keys},
        frozenset(_span(f) for f in found if _written_whole(f, changes)),
        frozenset(_span(f) for f in found if _by_lines(f, changes) and _on_changed_lines(f, changes)),
        frozenset(units.manifest(chart) for chart in _touched_charts(changes)),
        moves,
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


def _by_lines(finding: Finding, changes: ChangeSet) -> bool:
    """A one-line finding, or a Dockerfile's on some instructions (its instruction changed: the
    change's), not on the whole file (Checkov's "no HEALTHCHECK" spans it: judged by counting), nor
    one about the whole file wherever its tool puts it (Trivy's "no USER" on line 1, the FROM line a
    base-image bump touches)."""
    loc, changed = finding.location, changes.lookup(finding.location.path)
    if _of_file(finding):
        return False
    if loc.start_line == loc.end_line:
        return True
    if changed is None or FileKind.DOCKERFILE not in changed.kinds:
        return False
    return loc.start_line > 1 or loc.end_line < (line_count(changes.root / loc.path) or 0)


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
