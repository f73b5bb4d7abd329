"""What a pull request did not bring into a Dockerfile or IaC file: the same scanners on the base's copy.

In PR mode a finding is new when the change touched one of its lines. Two kinds of finding defeat
that rule: one about something absent (deleting a `USER app` line leaves "runs as root" on the
untouched FROM line: a pull request that removed the fix passed) and one about a whole resource (a
new image tag inside a Deployment made its old "no security context" new: blocked for nothing).
So each changed Dockerfile and IaC file the merge-base also has is laid out as it was there (a
renamed file's old copy, a link's target's), with the same scanner configs, and scanned by the
tools that declare `rescans_base`; `scan.basecompare` says what that makes of each finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from mergeguard.core import chartview, units
from mergeguard.core.basepolicy import PolicyFiles
from mergeguard.core.changes import ChangedFile, ChangeSet, Mode
from mergeguard.core.config import Config
from mergeguard.core.filekinds import FileKind, is_dockerfile
from mergeguard.core.model import Finding
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.core.sources import SourceLines
from mergeguard.scan.registry import TOOLS
from mergeguard.scan.scope_dir import TOOL_CONFIG_FILES
from mergeguard.scanners.base import Job, Scanner, Target

# A compose service that merges an anchor (`<<: *privileged`) is reported on the anchor's unchanged
# line: only the base's count of findings (their messages name the service) says it is new.
_KINDS = frozenset({FileKind.DOCKERFILE, FileKind.COMPOSE, FileKind.IAC})


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
        chartview.renderable(base_view, chart, _base_charts(policy, commits.base, changes))
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
    """`name`'s scan of the base's copies of `files` (Checkov: without its secrets framework), leaving
    out those that gained a kind it checks: it never checked their base copies (`ChangedFile.gained`)."""
    scanner: Scanner | None = TOOLS[name].lighter or TOOLS[name].scanner
    mine = tuple(
        f.path
        for f in files
        if scanner is not None and f.kinds & scanner.applies_to and not f.gained & scanner.applies_to
    )
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


def _base_charts(policy: PolicyFiles, base: str, changes: ChangeSet) -> chartview.ChartFiles:
    """The chart files of a directory (relative to the scan root) at the base commit."""
    prefix = changes.repo.prefix if changes.repo else ""

    def read(folder: str) -> list[tuple[str, bytes]]:
        folder = _before_renames(folder, changes)
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


def _before_renames(folder: str, changes: ChangeSet) -> str:
    """Where the base has the directory `folder` is now: its old name when the change renamed the files
    in it (`git mv charts deploy/charts`), else its own."""
    for changed in changes.files:
        inner = changed.path[len(folder) :] if folder and changed.path.startswith(folder + "/") else ""
        if changed.origin and inner and changed.origin.endswith(inner):
            return changed.origin[: -len(inner)]
    return folder


# A resource named by its position: Trivy's CloudFormation `(resource template.yaml:14-18)`, Checkov's
# workflow `steps[2]`, a count index `[0]`.
POSITIONED = re.compile(r"\[\d+\]|\S:\d+(-\d+)?\)")


def anchor(finding: Finding, sources: SourceLines) -> Finding:
    """`finding` named by a position, its message followed by the text of its first line: the
    comparison leaves positions out (lines added above a resource move them) but keeps that text, so a
    problem moved to another resource (another bucket, another step) is not the old one.

    A report on a Dockerfile instruction of several lines (a continued RUN) is known by the
    instruction's text without its comment lines and white space: Trivy quotes the command in its
    message as written, so re-indenting the RUN or adding a comment line in it made the problem it
    already had look new. An edit of the command itself, or the problem moved to another
    instruction, is still not the old one (a report quoting the command the base had on the same
    instruction excepted: `scan.instructions`).
    """
    loc = finding.location
    if loc.end_line > loc.start_line > 1 and is_dockerfile(PurePosixPath(loc.path).name):
        lines = sources.lines(loc.path)[loc.start_line - 1 : loc.end_line]
        text = "".join("".join(line.split()) for line in lines if not line.lstrip().startswith("#"))
        return replace(finding, message=f"instruction @ {text}")
    if not POSITIONED.search(finding.message):
        return finding
    text = " ".join(sources.line(loc.path, loc.start_line).split())
    return replace(finding, message=f"{finding.message} @ {text}")


@dataclass(frozen=True, slots=True)
class Rescan:
    """What the base scans found, and which (tool, file) each scanned (a failed one: none). A shard
    records it in its report, and the merge joins the shards' (`scan.merge`)."""

    outcomes: tuple[ScanOutcome, ...] = ()
    scanned: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, plan: Plan, outcomes: Sequence[ScanOutcome]) -> Rescan:
        """Read while the base's copies are laid out: a finding named by a position takes its line."""
        scanned = frozenset(
            (job.scanner.name, path)
            for job, outcome in zip(plan.jobs, outcomes, strict=True)
            if outcome.status is Status.OK and job.target is not None
            for path in job.target.files
        )
        anchored = (
            replace(o, findings=tuple(anchor(f, SourceLines(job.target.root)) for f in o.findings))
            if job.target is not None
            else o
            for job, o in zip(plan.jobs, outcomes, strict=True)
        )
        return cls(tuple(anchored), scanned)

    def joined(self, other: Rescan) -> Rescan:
        return Rescan((*self.outcomes, *other.outcomes), self.scanned | other.scanned)
