"""pip-audit's JSON report: every known vulnerability, and every dependency it could not check."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from mergeguard.core.errors import ParseError, ScannerError
from mergeguard.core.model import Finding, Kind, Location, Package, Severity
from mergeguard.scanners.base import Target, ToolOutput
from mergeguard.scanners.reading import field, load_report, objects, required, strings
from mergeguard.vulns.records import DEPENDENCY_PLACEHOLDER, SKIPPED_RULE, Advisory, vulnerability_finding

TOOL = "pip-audit"
# pip-audit reports no severity. A published advisory against an installed version is rated HIGH so
# that the default gate blocks it; the advisory's own rating (CVSS) is not in the report.
VULNERABILITY_SEVERITY = Severity.HIGH
# A dependency pip-audit skipped (not on PyPI, its service unreachable) was not checked at all: a
# finding of its own, HIGH like Bandit's unparseable file, so that nothing unchecked passes silently.
SKIPPED_SEVERITY = Severity.HIGH
_VERSION_IN_REASON = re.compile(r"\(([^()\s]+)\)\s*$")  # "…could not be audited: flask (0.12)"


class PipAuditReport:
    """`pip-audit -f json`: 2.x's `{"dependencies": […], "fixes": […]}` and 1.x's bare list."""

    name: ClassVar[str] = TOOL

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        return parse_report(output.report, target)


def parse_report(text: str, target: Target) -> list[Finding]:
    """A finding per vulnerability and per skipped dependency; ScannerError when every one was skipped."""
    dependencies = _dependencies(load_report(text, TOOL))
    skipped = [d for d in dependencies if "skip_reason" in d]
    if dependencies and len(skipped) == len(dependencies):
        reason = field(skipped[0], "skip_reason", str, TOOL, "dependencies[0]")
        raise ScannerError(
            f"{TOOL} checked none of its {len(dependencies)} dependencies: every one was skipped ({reason})"
        )
    findings: list[Finding] = []
    for i, dependency in enumerate(dependencies):
        where = f"dependencies[{i}]"
        if "skip_reason" in dependency:
            findings.append(_skipped(dependency, where))
        else:
            findings += _vulnerable(dependency, where)
    return findings


def _dependencies(report: Any) -> list[dict[str, Any]]:
    if isinstance(report, dict) and "dependencies" in report:
        return objects(report["dependencies"], TOOL, "dependencies")
    if isinstance(report, list):  # pip-audit 1.x
        return objects(report, TOOL, "report")
    raise ParseError(f"{TOOL}: the report has no dependencies list")


def _vulnerable(dependency: dict[str, Any], where: str) -> list[Finding]:
    name = required(dependency, "name", TOOL, where)
    version = required(dependency, "version", TOOL, where)
    findings = []
    for j, vuln in enumerate(objects(dependency.get("vulns"), TOOL, f"{where}.vulns")):
        at = f"{where}.vulns[{j}]"
        fixes = strings(vuln.get("fix_versions"), TOOL, f"{at}.fix_versions")
        advisory = Advisory(
            id=required(vuln, "id", TOOL, at),
            package=Package(name, version, fixes[0] if fixes else None, "pypi"),
            severity=VULNERABILITY_SEVERITY,
            description=field(vuln, "description", str, TOOL, at),
            aliases=strings(vuln.get("aliases"), TOOL, f"{at}.aliases"),
        )
        findings.append(vulnerability_finding(TOOL, advisory, DEPENDENCY_PLACEHOLDER, Kind.DEPENDENCY))
    return findings


def _skipped(dependency: dict[str, Any], where: str) -> Finding:
    name = required(dependency, "name", TOOL, where)
    reason = required(dependency, "skip_reason", TOOL, where)
    match = _VERSION_IN_REASON.search(reason)
    version = field(dependency, "version", str, TOOL, where) or (match.group(1) if match else "")
    return Finding(
        tool=TOOL,
        rule_id=SKIPPED_RULE,
        severity=SKIPPED_SEVERITY,
        title=f"Dependency {name} not audited by pip-audit",
        message=f"pip-audit did not check {name}, so its vulnerabilities went unseen: {reason}",
        location=Location(DEPENDENCY_PLACEHOLDER),
        kind=Kind.DEPENDENCY,
        package=Package(name, version, None, "pypi"),
        evidence=f"{name}#{SKIPPED_RULE}",
    )
