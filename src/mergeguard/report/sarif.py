"""SARIF 2.1.0 for GitHub code scanning: a pure function of the scan result, inside GitHub's limits."""

from __future__ import annotations

import functools
import gzip
import re
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import attr
import sarif_om as om  # type: ignore[import-untyped]  # generated attrs classes without type hints

from mergeguard.baseline import BaselineEntry
from mergeguard.changes import Mode
from mergeguard.model import Finding, Severity
from mergeguard.policy import Assessed, FindingStatus
from mergeguard.report.jsontext import dumps_compact
from mergeguard.report.text import path_bytes, shown_tree
from mergeguard.scanners.base import ScanOutcome, Status

if TYPE_CHECKING:
    from mergeguard.pipeline import ScanResult

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "mergeguard/v1"
SRCROOT = "%SRCROOT%"
# GitHub code scanning's upload limits; "10 MB" is read as 10**7 bytes, the stricter reading.
MAX_RUNS, MAX_RESULTS, MAX_TAGS, MAX_GZIP_BYTES = 20, 25_000, 10, 10_000_000
# One score per level, inside GitHub's bands. INFO and UNKNOWN get none, so GitHub shows their
# `level` ("Note"); a score of "0.0" has been reported shown as "Error" (github/docs#21221).
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
}
HOMEPAGES = {
    "bandit": "https://bandit.readthedocs.io/",
    "checkov": "https://www.checkov.io/",
    "detect-secrets": "https://github.com/Yelp/detect-secrets",  # pragma: allowlist secret - a tool name
    "gitleaks": "https://github.com/gitleaks/gitleaks",
    "hadolint": "https://github.com/hadolint/hadolint",
    "trivy-config": "https://trivy.dev/",
    "trivy-secret": "https://trivy.dev/",  # pragma: allowlist secret - a tool name
}
_SEMVER = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
_SAFE_URL = re.compile(r"https?://[^\s<>()\[\]{}\"'`\\|^]+")
# Markdown's special characters, each escaped with a backslash.
_MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|<>~&"  # the backslash first: escapes are not escaped again
_CWE = re.compile(r"CWE-(\d+)", re.IGNORECASE)
_ALWAYS_WRITTEN = frozenset({"level"})  # equals SARIF's default "warning", yet readers look for it

Planned = tuple[str, ScanOutcome | None, list[Assessed]]  # tool, its outcome, findings most severe first


def level(severity: Severity) -> str:
    """The SARIF `level` of a severity: the one place this mapping lives."""
    if severity >= Severity.HIGH:
        return "error"
    return "warning" if severity is Severity.MEDIUM else "note"


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
        keep = _keep(planned, max_results, budget)
        doc = _document(
            [_run(tool, o, found, keep[tool], prefix, partial=partial) for tool, o, found in planned]
        )
        size, kept = gzipped_size(doc), sum(keep.values())
        if size <= max_gzip_bytes or kept == 0:
            return doc
        # Too big: keep fewer (the most severe of all runs), in proportion to the excess, until it fits.
        budget = min(kept - 1, int(kept * max_gzip_bytes / size * 0.95))


def dumps_sarif(doc: dict[str, Any]) -> str:
    """The SARIF text as written: compact, ASCII-only JSON (any text a tool printed survives)."""
    if _MEASURED and _MEASURED[0][0] is doc:  # `build_sarif` measured it: tens of MB are not written twice
        return _MEASURED.pop()[1]
    return dumps_compact(doc) + "\n"


def gzipped_size(doc: dict[str, Any]) -> int:
    """Bytes of the written document gzipped as an uploader would (zlib's default level)."""
    text = dumps_sarif(doc)
    _MEASURED[:] = [(doc, text)]
    return len(gzip.compress(text.encode("ascii"), compresslevel=6, mtime=0))


# The last document measured and its text, until it is written (every caller writes what it built).
_MEASURED: list[tuple[dict[str, Any], str]] = []


def split_runs(doc: dict[str, Any], max_runs: int = MAX_RUNS) -> list[dict[str, Any]]:
    """The log cut into documents of at most `max_runs` runs (GitHub rejects more in one file)."""
    runs = doc["runs"]
    return [{**doc, "runs": runs[i : i + max_runs]} for i in range(0, len(runs), max_runs)] or [doc]


def to_json(value: Any) -> Any:
    """A sarif-om object as SARIF JSON: camelCase names; no None, schema default or empty property bag.

    Lists stay even when empty: GitHub requires `results` on every run and `rules` on every driver.
    """
    if type(value) is str or isinstance(value, str | int | float):  # most values: strings
        return value
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items() if item is not None}
    out = {}
    for name, key, default in _fields(value.__class__):
        item = getattr(value, name)
        if item is not None and item != default and (written := to_json(item)) != {}:
            out[key] = written
    return out


@functools.cache
def _fields(cls: Any) -> tuple[tuple[str, str, Any], ...]:
    """(attribute, JSON name, default to leave out) of a sarif-om class, read once from its metadata."""
    fields = []
    for field in attr.fields(cls):
        default = field.default
        if isinstance(default, attr.Factory):  # type: ignore[arg-type]  # attrs' sentinel class
            default = default.factory()
        if field.name in _ALWAYS_WRITTEN:
            default = None  # None is never written: nothing is left out for equalling it
        fields.append((field.name, field.metadata["schema_property_name"], default))
    return tuple(fields)


def _document(runs: list[dict[str, Any]]) -> dict[str, Any]:
    log = to_json(om.SarifLog(runs=[], version="2.1.0", schema_uri=SCHEMA_URI))
    log["runs"] = runs  # already JSON: converted run by run
    log = shown_tree(log)
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
    tools = ({name for name, o in outcomes.items() if o.status is Status.OK} | set(found)) - failed
    return [(tool, outcomes.get(tool), sorted(found.get(tool, []), key=_priority)) for tool in sorted(tools)]


def _priority(assessed: Assessed) -> tuple[Any, ...]:
    """Most severe first, blocking before not, then by place: the order in which results are kept."""
    return (-assessed.finding.severity, not assessed.blocking, *_place(assessed))


def _place(assessed: Assessed) -> tuple[Any, ...]:
    f = assessed.finding
    return (f.location.path, f.location.start_line, f.location.column or 0, f.rule_id, f.fingerprint)


def _keep(planned: Sequence[Planned], cap: int, budget: int | None) -> dict[str, int]:
    """How many results each run keeps: at most `cap`, and only the `budget` most severe of all runs."""
    keep = {tool: min(cap, len(found)) for tool, _, found in planned}
    if budget is None:
        return keep
    kept = sorted((a for tool, _, found in planned for a in found[: keep[tool]]), key=_priority)[:budget]
    counts = Counter(a.finding.tool for a in kept)
    return {tool: counts[tool] for tool in keep}


def _run(
    tool: str, outcome: ScanOutcome | None, found: list[Assessed], keep: int, prefix: str, *, partial: bool
) -> Any:
    kept, dropped = found[:keep], found[keep:]
    rules = _rules(kept)
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
            properties={"dropped": _dropped(dropped)} if dropped else None,
        )
    )
    # Results and rules, thousands of them, are built as JSON directly (what `to_json` would write).
    run["tool"]["driver"]["rules"] = rules
    run["results"] = [_result(a, index[a.finding.rule_id], prefix) for a in sorted(kept, key=_place)]
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
        counts = ", ".join(f"{n} {label}" for label, n in _dropped(dropped)["severities"].items())
        text = (
            f"Left out the {len(dropped)} least severe results ({counts}) to stay inside GitHub code "
            "scanning's limits (25,000 results per run, 10 MB gzipped per file)."
        )
        notes.append(om.Notification(message=_text(text), level="warning"))
    return om.Invocation(execution_successful=not failed, tool_execution_notifications=notes or None)


def _dropped(dropped: Sequence[Assessed]) -> dict[str, Any]:
    counts = Counter(a.finding.severity for a in dropped)
    severities = {s.label: counts[s] for s in sorted(counts, reverse=True)}
    return {"results": len(dropped), "severities": severities}


def _rules(kept: Sequence[Assessed]) -> list[dict[str, Any]]:
    """One rule per rule id of the kept results, so never more rules than results."""
    groups: dict[str, list[Finding]] = {}
    for assessed in kept:  # most severe first: each group starts with its most severe finding
        groups.setdefault(assessed.finding.rule_id, []).append(assessed.finding)
    return [_rule(rule_id, groups[rule_id]) for rule_id in sorted(groups)]


def _rule(rule_id: str, findings: Sequence[Finding]) -> dict[str, Any]:
    top = findings[0]
    title = _line(top.title) or rule_id
    messages = {_line(f.message) for f in findings}
    # A message every result shares describes the rule; messages that differ describe results.
    about = messages.pop() if len(messages) == 1 and "" not in messages else title
    uri = top.help_uri if top.help_uri and _SAFE_URL.fullmatch(top.help_uri) else HOMEPAGES.get(top.tool)
    cwes = sorted({int(m.group(1)) for f in findings for c in f.cwe_ids if (m := _CWE.fullmatch(c.strip()))})
    tags = ["security", top.kind.value, *(f"external/cwe/cwe-{n}" for n in cwes)]
    properties: dict[str, Any] = {"tags": tags[:MAX_TAGS]}
    if top.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[top.severity]
    # The keys in sarif-om's order, as `to_json` of an `om.ReportingDescriptor` writes them.
    rule: dict[str, Any] = {
        "id": rule_id,
        "defaultConfiguration": {"level": level(top.severity)},
        "fullDescription": {"text": about},
        "help": _help(top, [title] if about == title else [title, about], cwes, uri),
    }
    if uri is not None:
        rule["helpUri"] = uri
    rule["properties"] = properties
    rule["shortDescription"] = {"text": title}
    return rule


def _help(top: Finding, lines: list[str], cwes: list[int], uri: str | None) -> dict[str, str]:
    """The rule's help as text and as Markdown, every tool-supplied character escaped in the latter."""
    lines = [*lines, f"Reported by {top.tool} as {top.rule_id} ({top.kind.value})."]
    cwe_urls = [(f"CWE-{n}", f"https://cwe.mitre.org/data/definitions/{n}.html") for n in cwes]
    more = [("More about this rule", uri)] if uri else []
    text = [*lines, *(f"{name}: {url}" for name, url in cwe_urls + more)]
    markdown = [f"**{_md(lines[0])}**", *(_md(line) for line in lines[1:])]
    markdown += [f"[{name}]({url})" for name, url in cwe_urls + more]
    return {"text": "\n\n".join(text), "markdown": "\n\n".join(markdown)}


def _result(assessed: Assessed, rule_index: int, prefix: str) -> dict[str, Any]:
    """A result as JSON, its keys in sarif-om's order (what `to_json` of an `om.Result` writes)."""
    f = assessed.finding
    result: dict[str, Any] = {
        "message": {"text": _line(f.message) or _line(f.title) or f.rule_id},
        "level": level(f.severity),
        "locations": [_location(f, prefix)],  # one, so far inside the 1,000 locations per result
    }
    if f.fingerprint:
        result["partialFingerprints"] = {FINGERPRINT_KEY: f.fingerprint}
    result["properties"] = _properties(assessed)
    result["ruleId"] = f.rule_id
    if rule_index != -1:
        result["ruleIndex"] = rule_index
    if assessed.status is FindingStatus.ACCEPTED:
        result["suppressions"] = _suppressions(assessed)
    return result


def _location(finding: Finding, prefix: str) -> dict[str, Any]:
    """The repo-relative path as a percent-encoded URI reference, with a region GitHub accepts."""
    loc = finding.location
    start = max(1, loc.start_line)
    column = loc.column if loc.column is not None and loc.column >= 1 else None
    region: dict[str, int] = {"endLine": max(start, loc.end_line)}
    if column is not None:
        region["startColumn"] = column
    region["startLine"] = start
    artifact = {"uri": quote(path_bytes(prefix + loc.path), safe="/"), "uriBaseId": SRCROOT}
    return {"physicalLocation": {"artifactLocation": artifact, "region": region}}


def _suppressions(assessed: Assessed) -> list[dict[str, Any]]:
    entry = assessed.entry
    reason = entry.reason.strip() if entry is not None else ""
    bag = {"acceptedBy": entry.accepted_by or None, "expires": _date(entry)} if entry is not None else {}
    suppression: dict[str, Any] = {"kind": "external", "justification": reason or "accepted in the baseline"}
    if bag := {key: value for key, value in bag.items() if value is not None}:
        suppression["properties"] = bag
    # sarif-om 1.0.4 predates the final schema's `status`; a suppression without one is in effect.
    return [suppression]


def _properties(assessed: Assessed) -> dict[str, Any]:
    f, pkg = assessed.finding, assessed.finding.package
    expired = assessed.status is FindingStatus.EXPIRED
    package = {"name": pkg.name, "installed": pkg.installed, "fixed": pkg.fixed} if pkg else None
    properties = {
        "tools": list(f.tools),
        "kind": f.kind.value,
        "status": assessed.status.value,
        "severity": f.severity.label,
        "severityNote": f.severity_note.text if f.severity_note else None,
        "blocking": assessed.blocking,
        "commit": f.commit,
        "cves": list(f.cve_ids) or None,
        "package": {k: v for k, v in package.items() if v is not None} if package else None,
        "acceptanceExpired": _date(assessed.entry) if expired else None,
    }
    return {key: value for key, value in properties.items() if value is not None}


def _date(entry: BaselineEntry | None) -> str | None:
    return entry.expires.isoformat() if entry is not None and entry.expires is not None else None


def _text(text: str) -> Any:
    return om.Message(text=text)


def _line(text: str) -> str:
    return " ".join(text.split())


def _md(text: str) -> str:
    """Tool-supplied text made inert in Markdown: one line, every special character escaped."""
    text = _line(text)
    for char in _MARKDOWN_SPECIAL:  # a backslash before each; `str.replace` is the fastest way
        if char in text:
            text = text.replace(char, "\\" + char)
    return text
