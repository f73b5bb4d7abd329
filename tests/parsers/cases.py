"""The report fixtures, what each must yield, and an independent count of the records each holds."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mergeguard.core.model import Finding

REPORTS = Path(__file__).parent.parent / "fixtures" / "reports"
_DECODER = json.JSONDecoder()


def json_span(text: str) -> tuple[int, int]:
    """Where the first JSON value of a fixture starts and ends, text around it left out (a banner
    line may start with a bracket too: Grype's "[0000]  WARN …")."""
    starts = [0] if text[:1] in "[{" else []
    starts += sorted(
        i + 1 for i, char in enumerate(text) if char == "\n" and text[i + 1 : i + 2] in ("[", "{")
    )
    for start in starts:
        try:
            return start, _DECODER.raw_decode(text, start)[1]
        except json.JSONDecodeError:
            continue
    raise ValueError("no JSON value starts a line of the fixture")


def load(path: Path) -> Any:
    """The JSON value in a fixture, skipping text around it (as the parsers do, by other means)."""
    text = path.read_text(encoding="utf-8")
    return _DECODER.raw_decode(text, json_span(text)[0])[0]


def _trivy(report: Any) -> int:
    results = report if isinstance(report, list) else report.get("Results") or []
    vulns = sum(len(r.get("Vulnerabilities") or []) for r in results)
    misconfigs = sum(
        1 for r in results for m in r.get("Misconfigurations") or [] if m.get("Status") == "FAIL"
    )
    return vulns + misconfigs + sum(len(r.get("Secrets") or []) for r in results)


def _checkov(report: Any) -> int:
    frameworks = report if isinstance(report, list) else [report]
    return sum(len(f.get("results", {}).get("failed_checks", [])) for f in frameworks)


def _detect_secrets(report: Any) -> int:
    return sum(
        1 for entries in report["results"].values() for e in entries if e.get("is_secret") is not False
    )


def _pip_audit(report: Any) -> int:
    dependencies = report["dependencies"] if isinstance(report, dict) else report
    return sum(len(d.get("vulns", [])) + ("skip_reason" in d) for d in dependencies)


def _bandit(report: Any) -> int:
    return len(report["results"]) + len(report["errors"])


def _sarif(report: Any) -> int:
    """Results, less those suppressed (Checkov writes `checkov:skip` comments as inSource suppressions)
    and those whose `kind` says they report no problem (KICS writes its informational checks)."""
    no_problem = ("pass", "notApplicable", "informational")
    return sum(
        1
        for run in report["runs"]
        for r in run.get("results", [])
        if not r.get("suppressions") and r.get("kind", "fail") not in no_problem
    )


def _safety_scan(report: Any) -> int:
    """`safety scan --output json`: the advisories known against each specification, less those ignored."""
    results = report["scan_results"]
    files = [*results.get("files", []), *(f for p in results.get("projects", []) for f in p.get("files", []))]
    return sum(
        1
        for f in files
        for dependency in f["results"]["dependencies"]
        for spec in dependency["specifications"]
        for known in spec["vulnerabilities"]["known_vulnerabilities"]
        if not known.get("ignored")
    )


def _hadolint(path: Path) -> int:
    text, position, count = path.read_text(encoding="utf-8"), 0, 0
    while position < len(text.rstrip()):
        value, position = _DECODER.raw_decode(text, position)
        count += len(value)
    return count


COUNTERS: dict[str, Callable[[Any], int]] = {
    "trivy": _trivy,
    "checkov": _checkov,
    "bandit": _bandit,
    "detect-secrets": _detect_secrets,
    "gitleaks": len,
    "pip-audit": _pip_audit,
    "safety": lambda r: (
        _safety_scan(r)
        if "scan_results" in r
        else sum(1 for v in r["vulnerabilities"] if not v.get("ignored"))
    ),
    "grype": lambda r: len(r["matches"]),
    "sarif": _sarif,
    "compose-check": lambda r: len(r["results"]) + len(r["skipped"]),
}


@dataclass(frozen=True)
class Case:
    """One report fixture that converts: the tool it is for and where its golden findings are."""

    tool: str
    path: Path

    @property
    def id(self) -> str:
        return f"{self.tool}/{self.path.name}"

    @property
    def golden(self) -> Path:
        return self.path.with_name(self.path.name + ".findings.json")

    def records(self) -> int:
        if self.tool == "hadolint":
            return _hadolint(self.path)
        return COUNTERS[self.tool](load(self.path))


# Fixtures that are not a report of their tool, or whose report mergeguard must refuse.
REJECTED = {
    "trivy/table-format-not-json.txt": "trivy printed no JSON report",
    "safety/v3.7.0-scan-text-not-json.txt": "no JSON report in the input",
    "pip-audit/v2.10.1-offline-all-skipped.json": "none of its 11 dependencies: every one was skipped",
    "gitleaks/v7-dir-outside-root.json": "is outside the scanned directory",
    "sarif/tfsec-1.28.14-windows-paths.sarif": "is an absolute Windows path outside --root",
}


def cases() -> list[Case]:
    found = []
    for folder in sorted(p for p in REPORTS.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            if path.name.endswith((".findings.json", ".yml")) or f"{folder.name}/{path.name}" in REJECTED:
                continue
            found.append(Case(folder.name, path))
    return found


def rows(findings: list[Finding]) -> list[dict[str, Any]]:
    """Findings as the golden files hold them: every field but the fingerprint, in a stable order."""
    out = []
    for f in findings:
        loc, pkg = f.location, f.package
        out.append(
            {
                "tool": f.tool,
                "rule_id": f.rule_id,
                "severity": f.severity.label,
                "title": f.title,
                "message": f.message,
                "path": loc.path,
                "start_line": loc.start_line,
                "end_line": loc.end_line,
                "column": loc.column,
                "kind": f.kind.value,
                "package": None if pkg is None else [pkg.name, pkg.installed, pkg.fixed, pkg.ecosystem],
                "cve_ids": list(f.cve_ids),
                "cwe_ids": list(f.cwe_ids),
                "help_uri": f.help_uri,
                "commit": f.commit,
                "evidence": f.evidence,
            }
        )
    return sorted(out, key=lambda r: (r["path"], r["start_line"], r["rule_id"], r["message"], r["evidence"]))
