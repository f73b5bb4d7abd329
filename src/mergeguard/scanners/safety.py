"""Safety's JSON report (`safety check --json`, 2.x and 3.x): its vulnerabilities made into findings."""

from __future__ import annotations

from typing import Any, ClassVar

from mergeguard.core.errors import ParseError
from mergeguard.core.model import Finding, Kind, Package, Severity
from mergeguard.scanners.base import Target, ToolOutput, under_root
from mergeguard.scanners.reading import basename, field, load_report, objects, repo_path, required, strings
from mergeguard.scanners.tool import Tool
from mergeguard.vulns.records import DEPENDENCY_PLACEHOLDER, Advisory, vulnerability_finding

TOOL = "safety"
# Safety rates a vulnerability only for accounts with an API key (`severity.cvssv3.base_severity`);
# its word maps one to one. Without a rating (`"severity": null`, the common case) the advisory is
# rated HIGH, as pip-audit's are, so the default gate blocks a known vulnerability.
SEVERITIES: dict[str, Severity] = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
    "NONE": Severity.INFO,
}
DEFAULT_SEVERITY = Severity.HIGH


class SafetyReport:
    """`safety check --json` (Safety 2.x, and 3.x's deprecated `check`); banners around it are skipped.

    Entries under `ignored_vulnerabilities`, or marked `ignored`, are Safety's own suppressions
    (its policy file, unpinned requirements) and make no finding.
    """

    name: ClassVar[str] = TOOL

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        report = load_report(output.report, TOOL)
        if not isinstance(report, dict) or "vulnerabilities" not in report:
            raise ParseError(
                f"{TOOL}: the report has no vulnerabilities list (`safety check --json` writes one)"
            )
        scanned = strings(field(report, "report_meta", dict, TOOL, "report").get("scanned"), TOOL, "scanned")
        findings = []
        for i, record in enumerate(objects(report["vulnerabilities"], TOOL, "vulnerabilities")):
            if not record.get("ignored"):
                findings.append(_finding(record, scanned, target, f"vulnerabilities[{i}]"))
        return findings


def _finding(record: dict[str, Any], scanned: tuple[str, ...], target: Target, where: str) -> Finding:
    fixes = strings(record.get("fixed_versions"), TOOL, f"{where}.fixed_versions")
    package = Package(
        name=required(record, "package_name", TOOL, where),
        installed=field(record, "analyzed_version", str, TOOL, where),
        fixed=fixes[0] if fixes else None,
        ecosystem="pypi",
    )
    cve, rated = _cve(record.get("CVE"), where)
    advisory = Advisory(
        id=str(required(record, "vulnerability_id", TOOL, where)),
        package=package,
        severity=_severity(record.get("severity") or rated, where),
        title=f"{cve} in {package.name}" if cve else "",
        description=field(record, "advisory", str, TOOL, where),
        aliases=(cve,) if cve else (),
        help_uri=field(record, "more_info_url", str, TOOL, where) or None,
    )
    return vulnerability_finding(TOOL, advisory, _manifest(record, scanned, target, where), Kind.DEPENDENCY)


def _cve(value: Any, where: str) -> tuple[str, dict[str, Any] | None]:
    """The CVE id, and the object that rates it: Safety writes `"CVE": "CVE-…"` or, with CVSS data,
    `"CVE": {"name": "CVE-…", "cvssv2": {…}, "cvssv3": {…}}` (rated like `severity`)."""
    if value is None or isinstance(value, str):
        return value or "", None
    if not isinstance(value, dict):
        raise ParseError(f"{TOOL}: {where}.CVE is neither a string nor an object")
    name = field(value, "name", str, TOOL, f"{where}.CVE")
    return name, value if isinstance(value.get("cvssv3") or value.get("cvssv2"), dict) else None


def _severity(value: Any, where: str) -> Severity:
    if value is None:
        return DEFAULT_SEVERITY
    if isinstance(value, str) and value.strip().upper() in SEVERITIES:  # a plain word, as some tools write it
        return SEVERITIES[value.strip().upper()]
    if not isinstance(value, dict):
        raise ParseError(f"{TOOL}: {where}.severity is neither null, a severity word nor an object")
    cvss = value.get("cvssv3") or value.get("cvssv2") or {}
    word = cvss.get("base_severity") if isinstance(cvss, dict) else None
    return SEVERITIES.get(str(word).upper(), DEFAULT_SEVERITY) if word else DEFAULT_SEVERITY


def _manifest(record: dict[str, Any], scanned: tuple[str, ...], target: Target, where: str) -> str:
    """The requirements file the package was found in, repo-relative.

    Safety writes it absolute (`found`); it is placed under --root when it is there, else matched by
    name with the files the report says it scanned (written as the user gave them; with no `found`,
    as when `analyzed_requirement` is only a specifier, the one file scanned), else the path as
    written when relative, else the documented placeholder (an environment scan names no file).
    """
    requirement = record.get("analyzed_requirement")  # an object, or only the specifier ("==0.1.0")
    if requirement is not None and not isinstance(requirement, dict | str):
        raise ParseError(f"{TOOL}: {where}.analyzed_requirement is neither an object nor a string")
    holder = requirement if isinstance(requirement, dict) else {}
    found = field(holder, "found", str, TOOL, f"{where}.analyzed_requirement").replace("\\", "/")
    if under_root(found, target):
        return repo_path(found, target, TOOL)
    relative = [s for s in scanned if not s.startswith("/")]
    only = relative if len(relative) == 1 else []
    same_name = [s for s in relative if basename(s) == basename(found)] if found else only
    if same_name:
        return repo_path(same_name[0], target, TOOL)
    return repo_path(found, target, TOOL) if found and not found.startswith("/") else DEPENDENCY_PLACEHOLDER


TOOLS = (Tool(TOOL, reader=SafetyReport(), start_order=910),)  # read from reports only, never run
