"""Gitleaks' JSON report (v8, and v7's older records) made into findings; secrets hashed on sight."""

from __future__ import annotations

import hashlib
from typing import Any, TypeVar

from mergeguard.core.errors import ParseError
from mergeguard.core.jsonfields import or_empty
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.scanners.base import Target, load_json, relative_path

_T = TypeVar("_T")
TOOL = "gitleaks"

# Keyed by Gitleaks' RuleID (8.30.1 ships 222 rules). Gitleaks rates nothing, and every rule
# matches a credential, so every rule is HIGH, except a clear-text private key, which is a whole
# credential on its own: CRITICAL. Rules from a repository's own .gitleaks.toml are HIGH too.
SEVERITIES: dict[str, Severity] = {
    "private-key": Severity.CRITICAL,
    "age-secret-key": Severity.CRITICAL,
    "Asymmetric Private Key": Severity.CRITICAL,  # Gitleaks v7's rule name for the same key
}
DEFAULT_SEVERITY = Severity.HIGH


def parse_report(text: str, target: Target) -> list[Finding]:
    """Findings from a `gitleaks … --report-format json` report (a git-mode report keeps its commits)."""
    records = load_json(text, TOOL)
    if not isinstance(records, list):
        raise ParseError(f"{TOOL}: the report is not a JSON list")
    findings = []
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise ParseError(f"{TOOL}: report[{i}] is not an object")
        legacy = _is_v7(record)
        path = _path(_get(record, "file" if legacy else "File", str, f"report[{i}]"), target)
        if path is None:  # a commit's file outside the scanned directory
            continue
        build = _v7_finding if legacy else _finding
        findings.append(build(record, path, target, f"report[{i}]"))
    return findings


def _path(reported: str, target: Target) -> str | None:
    """A repo-relative path; git mode reports paths from the git top-level, outside `prefix` too."""
    if target.commit_range is None:
        return relative_path(reported, target)
    prefix = target.prefix.strip("/")
    prefix = prefix + "/" if prefix else ""
    if not reported.startswith(prefix):
        return None
    return relative_path(reported[len(prefix) :], target)


def _finding(record: dict[str, Any], path: str, target: Target, where: str) -> Finding:
    rule_id = _get(record, "RuleID", str, where)
    if not rule_id:
        raise ParseError(f"{TOOL}: {where}.RuleID is missing")
    description = _get(record, "Description", str, where) or rule_id
    start = _get(record, "StartLine", int, where)
    return Finding(
        tool=TOOL,
        rule_id=rule_id,
        severity=SEVERITIES.get(rule_id, DEFAULT_SEVERITY),
        title=_title(description),
        message=description,  # never Match or Secret: both hold the clear secret
        location=Location(path, start, _get(record, "EndLine", int, where), _column(record, target, where)),
        kind=Kind.SECRET,
        cwe_ids=("CWE-798",),
        commit=_commit(record, target, where),
        evidence=_evidence(record, where),
    )


def _is_v7(record: dict[str, Any]) -> bool:
    """A record of Gitleaks 7 or older: lower-case keys, the secret in `offender`, its line in `line`."""
    return "RuleID" not in record and "rule" in record and "offender" in record


def _v7_finding(record: dict[str, Any], path: str, target: Target, where: str) -> Finding:
    """A v7 record: `offender` and `line` hold the clear secret, so only their hash is kept."""
    rule = _get(record, "rule", str, where)
    offender = _get(record, "offender", str, where)
    if not rule or not offender:
        raise ParseError(f"{TOOL}: {where} has no rule or offender")
    tags = _get(record, "tags", str, where)
    return Finding(
        tool=TOOL,
        rule_id=rule,
        severity=SEVERITIES.get(rule, DEFAULT_SEVERITY),
        title=rule,
        message=f"Potential secret found by Gitleaks' {rule} rule" + (f" (tags: {tags})" if tags else ""),
        location=Location(path, _get(record, "lineNumber", int, where)),  # before v6: no line number
        kind=Kind.SECRET,
        cwe_ids=("CWE-798",),
        commit=_v7_commit(record, where),
        evidence=hashlib.sha256(offender.encode("utf-8", "surrogatepass")).hexdigest(),
    )


def _v7_commit(record: dict[str, Any], where: str) -> str | None:
    """The commit, except none (dir mode) or all zeros (v6 and v7's "staged changes")."""
    commit = _get(record, "commit", str, where)
    return commit if commit.strip("0") else None


def _title(description: str) -> str:
    """The description's first clause: "Identified a Private Key, which may…" → "Identified a Private Key"."""
    return description.split(", ", 1)[0].rstrip(".")


def _column(record: dict[str, Any], target: Target, where: str) -> int | None:
    """StartColumn corrected: gitleaks counts the newline before every line but a fragment's first.

    In dir mode a fragment is the file (measured on 8.30.1), so lines after the first are one too
    high. In git mode a fragment is a diff hunk, which the report does not give: no column.
    """
    column = _get(record, "StartColumn", int, where)
    if column < 1 or target.commit_range is not None or _get(record, "Commit", str, where):
        return None
    return column - 1 if _get(record, "StartLine", int, where) > 1 and column > 1 else column


def _commit(record: dict[str, Any], target: Target, where: str) -> str | None:
    if target.commit_range is None:  # dir mode has none; a git-mode report read by `convert` keeps it
        return _get(record, "Commit", str, where) or None
    commit = _get(record, "Commit", str, where)
    if not commit:
        raise ParseError(f"{TOOL}: {where}.Commit is missing from a git-history finding")
    return commit


def _evidence(record: dict[str, Any], where: str) -> str:
    """sha256 of the secret, or of the match for a rule on file names ("file detected: x.p12": no secret)."""
    secret = _get(record, "Secret", str, where) or _get(record, "Match", str, where)
    if not secret:
        raise ParseError(f"{TOOL}: {where} has neither Secret nor Match")
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _get(record: dict[str, Any], key: str, kind: type[_T], where: str) -> _T:
    """`record[key]` checked to be a `kind`; absent or null gives the empty `kind()` ("" or 0)."""
    return or_empty(record.get(key), kind, lambda _: _not_a(kind, f"{where}.{key}"))


def _not_a(kind: type, where: str) -> ParseError:
    return ParseError(f"{TOOL}: {where} is not a {kind.__name__}")
