"""The whole flow in one place: changes, scanners in parallel, dedupe, fingerprints, baseline, policy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

from mergeguard.core import baseline, policy, preexisting, reasons
from mergeguard.core.basepolicy import PolicyFiles
from mergeguard.core.changes import ChangeSet, Mode, collect
from mergeguard.core.config import Config
from mergeguard.core.errors import ConfigError, UsageError
from mergeguard.core.model import Finding
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.core.sources import SourceLines
from mergeguard.scan import (
    agreement,
    basecompare,
    basescan,
    dedupe,
    fingerprints,
    imported,
    kustomize,
    misclassified,
    overlap,
    placeholders,
    policydiff,
    readded,
    shard_files,
    shards,
    sizelimit,
    suppressions,
)
from mergeguard.scan.registry import REGISTRY, TOOLS
from mergeguard.scan.resources import Resources
from mergeguard.scan.runner import run_all
from mergeguard.scan.scope_dir import scan_view
from mergeguard.scanners.base import IncompleteReport, Job, Scanner, Target
from mergeguard.vulns.database import VulnDb
from mergeguard.vulns.images import ImageSpec


@dataclass(frozen=True, slots=True)
class ImportedReport:
    """A report a tool wrote elsewhere (an earlier CI step), read at the edge: its tool, name and text."""

    tool: str
    source: str
    text: str


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """What to scan: a directory, the base to compare with (None: every file), which scanners."""

    root: Path
    base_ref: str | None = None
    scanners: tuple[str, ...] | None = None  # None: every scanner the config leaves enabled
    accepted: tuple[baseline.BaselineEntry, ...] = ()  # the baseline's entries
    reports: tuple[ImportedReport, ...] = ()  # ingested instead of (or as well as) running tools
    images: tuple[ImageSpec, ...] = ()  # container images to scan (trivy-image)
    base_images: tuple[ImageSpec, ...] = ()  # the base branch's images: their advisories are pre-existing
    base_reports: tuple[ImportedReport, ...] = ()  # or their reports, made elsewhere
    vuln_db: VulnDb = field(default_factory=VulnDb)  # its cache directory, offline or not
    policy: PolicyFiles | None = None  # where the config, baselines and scanner configs were read
    shard: shards.Shard | None = None  # run only this shard's scanners (`scan --shard I/N`)


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Everything the reporters need. `merged` counts duplicate reports folded into other findings."""

    changes: ChangeSet
    outcomes: tuple[ScanOutcome, ...]
    decision: policy.Decision
    config: Config
    merged: int = 0
    policy_changes: tuple[policydiff.PolicyChange, ...] = ()  # PR mode: the change's policy edits
    shard_parts: tuple[shard_files.Part, ...] = ()  # `scan --shard`: the split scanners' parts it ran
    rescan: basescan.Rescan | None = None  # PR mode: the base's copies scanned (a shard records it)


def scan(request: ScanRequest, config: Config) -> ScanResult:
    """Run the gate: the flow of DESIGN.md, stage after stage."""
    if request.scanners == () and not request.reports:  # an image is scanned by trivy-image: `none` too
        raise UsageError("no scanner selected (`none`) and no report to gate on: nothing would be checked")
    if request.scanners is None and not request.reports and not any(map(config.enabled, REGISTRY)):
        raise ConfigError(
            config.source,
            config.lines.get("scanners"),
            "scanners",
            "turns every scanner off and no report is given to gate on: nothing would be checked",
        )
    policy_changes = policydiff.compare(request.policy, REGISTRY.keys())
    changes = collect(request.root, request.base_ref, config.exclude)
    imported = [imported_outcome(report, changes.root) for report in request.reports]
    base_imported = [imported_outcome(report, changes.root) for report in request.base_reports]
    with scan_view(changes, request.policy) as view:
        is_selected = partial(_selected, requested=request.scanners, config=config)
        chosen = overlap.without_duplicates(REGISTRY.values(), is_selected, changes)
        names = {s.name for s in chosen}
        jobs = [j for j in _image_jobs(request, changes, view, config) if j.scanner.name in names]
        jobs += [_job(s, request, changes, view, config) for s in chosen if s.name not in _IMAGE_TOOLS]
        share = shards.assigned(jobs, request.shard, is_selected)  # all jobs when not sharded
        jobs = list(share.jobs)  # a shard's scanners; a split per-file scanner on its part of the files
        base_jobs = _base_image_jobs(request, changes, view, config)
        plan = basescan.plan(changes, request.policy, view, config, jobs)
        ran = run_all([*jobs, *base_jobs, *plan.jobs])
        rescanned = len(ran) - len(plan.jobs)
        rescan = basescan.Rescan.of(plan, ran[rescanned:])  # reads the base's copies: still laid out
    own = zip(jobs, ran[: len(jobs)], strict=True)
    checked = [
        sizelimit.noted(misclassified.partition(outcome, job.scanner, changes), job.scanner, changes)
        for job, outcome in own
    ]
    for tool in TOOLS.values():
        checked = tool.annotate(checked, request.vuln_db) if tool.annotate else checked
    outcomes = [*checked, *imported]
    base_outcomes = [*ran[len(jobs) : rescanned], *base_imported]
    result = conclude(
        request, config, changes, outcomes, base_outcomes, policy_changes=policy_changes, rescan=rescan
    )
    return replace(result, shard_parts=share.parts)


def conclude(
    request: ScanRequest,
    config: Config,
    changes: ChangeSet,
    outcomes: Sequence[ScanOutcome],
    base_outcomes: Sequence[ScanOutcome] = (),
    *,
    policy_changes: tuple[policydiff.PolicyChange, ...] = (),
    rescan: basescan.Rescan | None = None,
) -> ScanResult:
    """The scanners' outcomes to a result: dedupe, fingerprints, baseline, policy (`merge` too)."""
    sources = SourceLines(changes.root)  # each file read once, for every stage that reads lines
    outcomes = suppressions.covered(outcomes, changes, sources)  # `# hadolint ignore=DL3015`: DS-0029 too
    found = [finding for outcome in outcomes for finding in sorted(outcome.findings, key=_reading_order)]
    put_back = readded.spots(found, changes)  # before dedupe folds a secret's reports into one
    merged, folded = dedupe.merge(found, Resources(sources))
    merged = agreement.apply(merged, config.secret_agreement, sources)  # after dedupe: the sightings
    merged = placeholders.apply(merged, sources)  # a placeholder, a sample password, a key's header
    merged = kustomize.apply(merged, sources)  # what a kustomize patch leaves out
    merged = [
        f if (at := sources.within(f.location)) is f.location else replace(f, location=at) for f in merged
    ]
    findings = fingerprints.assign(merged, changes.root, sources, changes.charts)
    at_base = preexisting.pinned_at_base(changes, findings)
    in_base_image = (
        preexisting.advisories_of(f for o in base_outcomes for f in o.findings) if base_outcomes else None
    )
    decision = policy.decide(
        findings,
        [*outcomes, *_failed_base(base_outcomes)],
        changes,
        config,
        baseline=request.accepted,
        at_base=at_base,
        in_base_image=in_base_image,
        image_scanners=frozenset(name for name, tool in TOOLS.items() if tool.scans_images),
        rescanned=basecompare.compare(rescan, outcomes, changes).new if rescan else None,
        readded=put_back,
        applies_to=APPLIES_TO,
    )
    policy_changes = (*policy_changes, *policydiff.inline_suppressions(changes, sources))
    decision = policydiff.gate(decision, policy_changes, config)
    return ScanResult(changes, tuple(outcomes), decision, config, folded, policy_changes, rescan=rescan)


def _reading_order(finding: Finding) -> tuple[str, int, int, int, str, int, str, str, str, str]:
    """One order for a tool's findings whatever order it printed them in (Checkov's worker pool
    finishes files in any order): the reports, dedupe's choices and the occurrence indexes of
    fingerprints are then the same from run to run and for shards merged."""
    loc = finding.location
    return (
        loc.path, loc.start_line, loc.end_line, loc.column or 0, finding.rule_id, -finding.severity,
        finding.title, finding.message, finding.evidence, finding.commit or "",
    )  # fmt: skip


def _image_jobs(request: ScanRequest, changes: ChangeSet, view: Path, config: Config) -> list[Job]:
    """The jobs of every tool that scans the images given (one skipped job each when there are none)."""
    return [
        job
        for tool in TOOLS.values()
        if tool.image_jobs is not None
        for job in tool.image_jobs(
            request.images,
            changes,
            view,
            config,
            request.vuln_db,
            selected=_selected(tool.name, request.scanners, config),
            base=False,
        )
    ]


def _base_image_jobs(request: ScanRequest, changes: ChangeSet, view: Path, config: Config) -> list[Job]:
    """Vulnerability scans of the base branch's images, in a scratch space of their own."""
    if not request.base_images:
        return []
    base_view = view.parent / "base-images" / "src"
    base_view.mkdir(parents=True)
    return [
        job
        for tool in TOOLS.values()
        if tool.image_jobs is not None
        for job in tool.image_jobs(
            request.base_images, changes, base_view, config, request.vuln_db, selected=True, base=True
        )
    ]


def _failed_base(outcomes: Sequence[ScanOutcome]) -> list[ScanOutcome]:
    """A base image that could not be scanned leaves every image advisory looking new: fail closed."""
    return [
        replace(o, scanner=f"{o.scanner} (base image)", findings=())
        for o in outcomes
        if o.status is Status.FAILED
    ]


def imported_outcome(report: ImportedReport, root: Path) -> ScanOutcome:
    """A report made elsewhere as the outcome of its tool (UsageError if it is not that tool's report)."""
    source = f"imported from {report.source}"
    try:
        findings = imported.parse_file(report.tool, report.text, root, report.source)
    except IncompleteReport as exc:  # fail closed, with what the run did report
        return ScanOutcome(
            report.tool, Status.FAILED, exc.findings, reason=f"{reasons.clean(str(exc))} ({source})"
        )
    return ScanOutcome(report.tool, Status.OK, tuple(findings), reason=source)


def _job(scanner: Scanner, request: ScanRequest, changes: ChangeSet, view: Path, config: Config) -> Job:
    timeout = config.timeout_for(scanner.name)
    if not _selected(scanner.name, request.scanners, config):
        return Job(scanner, None, timeout, skip_reason="not selected")
    files, oversized = sizelimit.split(scanner, changes.root, changes.paths(scanner.applies_to))
    if not files and not _reads_range(scanner.name, changes):
        kinds = ", ".join(sorted(k.value for k in scanner.applies_to))
        reason = oversized.describe() if oversized else f"no files of kind {kinds} in scope"
        return Job(scanner, None, timeout, skip_reason=reason)
    workdir = view.parent / scanner.name
    workdir.mkdir()
    repo_top, prefix = (changes.repo.top, changes.repo.prefix) if changes.repo else (changes.root, "")
    target = Target(view, files, repo_top, prefix, changes.commit_range, workdir, request.vuln_db)
    return Job(scanner, target, timeout)


def _reads_range(name: str, changes: ChangeSet) -> bool:
    """A tool that reads the PR's commits has work with no file in scope: the commits may add some."""
    commits = changes.commit_range
    return TOOLS[name].reads_commits and commits is not None and commits.count > 0


APPLIES_TO = {name: tool.scanner.applies_to for name, tool in TOOLS.items() if tool.scanner is not None}
_IMAGE_TOOLS = frozenset(name for name, tool in TOOLS.items() if tool.image_jobs is not None)


def _selected(name: str, requested: Sequence[str] | None, config: Config) -> bool:
    return name in requested if requested is not None else config.enabled(name)


def convert(report: ImportedReport, root: Path, config: Config) -> ScanResult:
    """Another tool's report as a scan result, one finding per record (no dedupe), for the reporters."""
    changes = ChangeSet(root, Mode.ALL, ())
    outcome = imported_outcome(report, root)
    findings = fingerprints.assign(outcome.findings, root)
    decision = policy.decide(findings, [outcome], changes, config)
    return ScanResult(changes, (outcome,), decision, config)
