"""SARIF results and rules: each finding a result, each rule id described once, with inert help."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from mergeguard.core.baseline import BaselineEntry
from mergeguard.core.model import Finding, Severity
from mergeguard.core.policy import Assessed, FindingStatus
from mergeguard.core.text import path_bytes

FINGERPRINT_KEY = "mergeguard/v1"
SRCROOT = "%SRCROOT%"
MAX_TAGS = 10  # tags per rule GitHub code scanning keeps
# One score per level, inside GitHub's bands. INFO and UNKNOWN get none, so GitHub shows their
# `level` ("Note"); a score of "0.0" has been reported shown as "Error" (github/docs#21221).
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
}
_SAFE_URL = re.compile(r"https?://[^\s<>()\[\]{}\"'`\\|^]+")
# Markdown's special characters, each escaped with a backslash.
_MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|<>~&"  # the backslash first: escapes are not escaped again
_CWE = re.compile(r"CWE-(\d+)", re.IGNORECASE)


def level(severity: Severity) -> str:
    """The SARIF `level` of a severity: the one place this mapping lives."""
    if severity >= Severity.HIGH:
        return "error"
    return "warning" if severity is Severity.MEDIUM else "note"


def rules(kept: Sequence[Assessed], homepage: str | None) -> list[dict[str, Any]]:
    """One rule per rule id of the kept results, so never more rules than results."""
    groups: dict[str, list[Finding]] = {}
    for assessed in kept:  # most severe first: each group starts with its most severe finding
        groups.setdefault(assessed.finding.rule_id, []).append(assessed.finding)
    return [_rule(rule_id, groups[rule_id], homepage) for rule_id in sorted(groups)]


def _rule(rule_id: str, findings: Sequence[Finding], homepage: str | None) -> dict[str, Any]:
    top = findings[0]
    title = _line(top.title) or rule_id
    messages = {_line(f.message) for f in findings}
    # A message every result shares describes the rule; messages that differ describe results.
    about = messages.pop() if len(messages) == 1 and "" not in messages else title
    uri = top.help_uri if top.help_uri and _SAFE_URL.fullmatch(top.help_uri) else homepage
    cwes = sorted({n for f in findings for n in _cwe_numbers(f.cwe_ids)})
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


def result(assessed: Assessed, rule_index: int, prefix: str) -> dict[str, Any]:
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
    artifact = {"uri": _uri(prefix + loc.path), "uriBaseId": SRCROOT}
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


def _line(text: str) -> str:
    return " ".join(text.split())


def _md(text: str) -> str:
    """Tool-supplied text made inert in Markdown: one line, every special character escaped."""
    text = _line(text)
    for char in _MARKDOWN_SPECIAL:  # a backslash before each; `str.replace` is the fastest way
        if char in text:
            text = text.replace(char, "\\" + char)
    return text


@functools.lru_cache(maxsize=4096)  # a report repeats a few lists ("CWE-79") over thousands of rules
def _cwe_numbers(cwe_ids: tuple[str, ...]) -> frozenset[int]:
    return frozenset(int(m.group(1)) for c in cwe_ids if (m := _CWE.fullmatch(c.strip())))


@functools.lru_cache(maxsize=4096)  # results are at a few paths (an image's placeholder: all of them)
def _uri(path: str) -> str:
    return quote(path_bytes(path), safe="/")
