"""SARIF 2.1.0 for GitHub code scanning: a pure function of the scan result, inside GitHub's limits."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import sarif_om as om  # type: ignore[import-untyped]  # generated attrs classes without type hints

from mergeguard.core.changes import Mode
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.core.policy import Assessed
from mergeguard.report import sarif_limits, sarif_rules
from mergeguard.report.sarif_json import dumps_sarif, gzipped_size, measured, sarif_bytes, to_json
from mergeguard.report.sarif_limits import MAX_GZIP_BYTES, MAX_RESULTS, Planned
from mergeguard.report.sarif_rules import FINGERPRINT_KEY, MAX_TAGS, SRCROOT, level
from mergeguard.scan import registry

if TYPE_CHECKING:
    from mergeguard.scan.pipeline import ScanResult

__all__ = [
    "FINGERPRINT_KEY",
    "HOMEPAGES",
    "MAX_GZIP_BYTES",
    "MAX_RESULTS",
    "MAX_TAGS",
    "SCHEMA_URI",
    "SRCROOT",
    "build_sarif",
    "category",
    "dumps_sarif",
    "gzipped_size",
    "level",
    "sarif_bytes",
    "to_json",
]

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# Each tool's web page, as its own module declares it (`Tool.homepage`).
HOMEPAGES = {name: tool.homepage for name, tool in registry.TOOLS.items() if tool.homepage}
_SEMVER = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


def category(tool: str, partial: bool = False) -> str:
    """The run's `automationDetails.id`: stable per tool, never a tag, digest or commit.

    A scan of only the changed files gets a category of its own: uploaded under the full scan's, it
    would make code scanning mark every alert in the files it did not scan as fixed.
    """
    name = "mergeguard/" + re.sub(r"[^A-Za-z0-9._-]+", "-", tool) + "/"
    return name + "changed-files/" if partial else name


def build_sarif(
    result: ScanResult, *, max_results: int = MAX_RESULTS, max_gzip_bytes: int = MAX_GZIP_BYTES
) -> dict[str, Any]:
    """The SARIF log: one run per scanner that ran or failed, trimmed (and saying so) to fit the limits."""
    prefix = result.changes.repo.prefix if result.changes.repo else ""
    partial = result.changes.mode is Mode.CHANGED
    planned = _plan(result)
    budget: int | None = None
    while True:
        keep = sarif_limits.keep(planned, max_results, budget)
        doc, size = measured(
            _document(
                [_run(tool, o, found, keep[tool], prefix, partial=partial) for tool, o, found in planned]
            ),
            max_gzip_bytes,
        )
        kept = sum(keep.values())
        if size <= max_gzip_bytes or kept == 0:
            return doc
        # Too big: keep fewer (the most severe of all runs), in proportion to the excess, until it fits.
        budget = min(kept - 1, int(kept * max_gzip_bytes / size * 0.95))


def _document(runs: list[dict[str, Any]]) -> dict[str, Any]:
    log = to_json(om.SarifLog(runs=[], version="2.1.0", schema_uri=SCHEMA_URI))
    log["runs"] = runs  # already JSON: converted run by run
    return {"$schema": log.pop("$schema"), "version": log.pop("version"), **log}


def _plan(result: ScanResult) -> list[Planned]:
    """Every tool that ran or reported something, by name.

    A skipped scanner gets no run, and neither does a failed one: an empty run would tell code
    scanning that all of that tool's alerts are fixed, when in fact they are unknown; without a run
    for its category, the previous analysis stands (the JSON and Markdown reports name the failure).
    """
    # One scanner can have several outcomes (trivy-image: one per image and part); any failed part
    # means its alerts are unknown, so the failed outcome stands for the tool.
    outcomes = {o.scanner: o for o in sorted(result.outcomes, key=lambda o: o.status is Status.FAILED)}
    found: dict[str, list[Assessed]] = {}
    for assessed in result.decision.assessed:  # merged duplicates are already folded into one finding
        found.setdefault(assessed.finding.tool, []).append(assessed)
    failed = {name for name, o in outcomes.items() if o.status is Status.FAILED}
    # A failed SARIF import's findings are under its drivers' names: their alerts are unknown too.
    failed |= {f.tool for o in outcomes.values() if o.status is Status.FAILED for f in o.findings}
    tools = ({name for name, o in outcomes.items() if o.status is Status.OK} | set(found)) - failed
    return [
        (tool, outcomes.get(tool), sorted(found.get(tool, []), key=sarif_limits.priority))
        for tool in sorted(tools)
    ]


def _run(
    tool: str, outcome: ScanOutcome | None, found: list[Assessed], keep: int, prefix: str, *, partial: bool
) -> Any:
    kept, dropped = found[:keep], found[keep:]
    rules = sarif_rules.rules(kept, HOMEPAGES.get(tool))
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    version = outcome.version if outcome is not None else ""
    driver = om.ToolComponent(
        name=f"mergeguard/{tool}",
        information_uri=HOMEPAGES.get(tool),
        version=version or None,
        semantic_version=version if _SEMVER.fullmatch(version) else None,
        rules=[],
    )
    run: dict[str, Any] = to_json(
        om.Run(
            tool=om.Tool(driver=driver),
            automation_details=om.RunAutomationDetails(id=category(tool, partial)),
            invocations=[_invocation(tool, outcome, dropped)],
            original_uri_base_ids={SRCROOT: om.ArtifactLocation(description=_text("The repository root."))},
            results=[],
            properties={"dropped": sarif_limits.dropped(dropped)} if dropped else None,
        )
    )
    # Results and rules, thousands of them, are built as JSON directly (what `to_json` would write).
    run["tool"]["driver"]["rules"] = rules
    results = sorted(kept, key=sarif_limits.place)
    run["results"] = [sarif_rules.result(a, index[a.finding.rule_id], prefix) for a in results]
    return run


def _invocation(tool: str, outcome: ScanOutcome | None, dropped: Sequence[Assessed]) -> Any:
    failed = outcome is not None and outcome.status is Status.FAILED
    notes = []
    if outcome is not None and failed:
        reason = outcome.reason or "no reason given"
        notes.append(om.Notification(message=_text(f"Scanner {tool} failed: {reason}"), level="error"))
    if outcome is not None and outcome.oversized is not None:
        text = f"Scanner {tool} {outcome.oversized.describe()} (its per-file size limit)"
        notes.append(om.Notification(message=_text(text), level="warning"))
    if dropped:
        counts = ", ".join(f"{n} {label}" for label, n in sarif_limits.dropped(dropped)["severities"].items())
        text = (
            f"Left out the {len(dropped)} least severe results ({counts}) to stay inside GitHub code "
            "scanning's limits (25,000 results per run, 10 MB gzipped per file)."
        )
        notes.append(om.Notification(message=_text(text), level="warning"))
    return om.Invocation(execution_successful=not failed, tool_execution_notifications=notes or None)


def _text(text: str) -> Any:
    return om.Message(text=text)
