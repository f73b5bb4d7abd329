"""Safety's JSON reports (`safety check --json`, 2.x and 3.x; `safety scan --output json`, 3.x): their
vulnerabilities made into findings."""

from __future__ import annotations

from typing import Any, ClassVar

from packaging.requirements import InvalidRequirement, Requirement

from mergeguard.core.errors import ParseError
from mergeguard.core.model import Finding, Kind, Package, Severity
from mergeguard.scanners.base import IncompleteReport, Target, ToolOutput, under_root
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
        if isinstance(report, dict) and "scan_results" in report:
            return _scanned(report, target)
        if not isinstance(report, dict) or "vulnerabilities" not in report:
            raise ParseError(
                f"{TOOL}: the report has neither a vulnerabilities list (`safety check --json` writes one)"
                " nor scan results (`safety scan --output json`)"
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


def _scanned(report: dict[str, Any], target: Target) -> list[Finding]:
    """`safety scan --output json` (schema 3.0): per file scanned, each dependency's specifications and
    the advisories known against each. It names no severity (rated HIGH, as `check`'s unrated ones)
    and no CVE; an advisory Safety was told to ignore (its policy) makes no finding."""
    results = field(report, "scan_results", dict, TOOL, "report")
    meta = field(report, "meta", dict, TOOL, "report")
    scanned_from = strings(meta.get("scan_locations"), TOOL, "meta.scan_locations")
    files = [(f, scanned_from) for f in objects(results.get("files"), TOOL, "scan_results.files")]
    for i, project in enumerate(objects(results.get("projects"), TOOL, "scan_results.projects")):
        at = f"scan_results.projects[{i}]"
        bases = (field(project, "location", str, TOOL, at), *scanned_from)
        files += [(f, bases) for f in objects(project.get("files"), TOOL, f"{at}.files")]
    if not files:  # "clean" of nothing: no requirements file, pyproject.toml or Pipfile was found
        where = ", ".join(scanned_from) or "its scan location"
        raise IncompleteReport(f"{TOOL} found no dependency file to check under {where}", [])
    findings = []
    for j, (record, bases) in enumerate(files):
        where = f"scan_results file {j}"
        path = _scanned_path(field(record, "location", str, TOOL, where), bases, target)
        dependencies = objects(field(record, "results", dict, TOOL, where).get("dependencies"), TOOL, where)
        for dependency in dependencies:
            name = required(dependency, "name", TOOL, where)
            for spec in objects(dependency.get("specifications"), TOOL, f"{where} {name}"):
                findings += _specification(name, spec, path, f"{where} {name}")
    return findings


def _specification(name: str, spec: dict[str, Any], path: str, where: str) -> list[Finding]:
    raw = field(spec, "raw", str, TOOL, where)
    vulnerabilities = field(spec, "vulnerabilities", dict, TOOL, where)
    remediation = field(vulnerabilities, "remediation", dict, TOOL, where)
    package = Package(
        name=name,
        installed=_pinned(raw),
        fixed=field(remediation, "recommended", str, TOOL, where) or None,
        ecosystem="pypi",
    )
    found = []
    for known in objects(
        vulnerabilities.get("known_vulnerabilities"), TOOL, f"{where} known_vulnerabilities"
    ):
        if known.get("ignored"):
            continue
        spec_text = field(known, "vulnerable_spec", str, TOOL, where)
        advisory = Advisory(
            id=required(known, "id", TOOL, where),
            package=package,
            severity=DEFAULT_SEVERITY,
            description=f"Safety's advisory: versions {spec_text} are vulnerable." if spec_text else "",
        )
        found.append(vulnerability_finding(TOOL, advisory, path, Kind.DEPENDENCY))
    return found


def _pinned(raw: str) -> str:
    """The version a specification pins (`werkzeug==3.1.4`), else "" (a range: no one version)."""
    try:
        specifiers = list(Requirement(raw).specifier)
    except InvalidRequirement:
        return ""
    exact = [s.version for s in specifiers if s.operator in ("==", "===") and "*" not in s.version]
    return exact[0] if len(specifiers) == 1 and exact else ""


def _scanned_path(location: str, bases: tuple[str, ...], target: Target) -> str:
    """The file, repo-relative: under --root when it is there, else below the directory Safety scanned
    (its absolute `location`), else as written when relative, else the documented placeholder."""
    location = location.replace("\\", "/")
    if under_root(location, target):
        return repo_path(location, target, TOOL)
    for base in (b.replace("\\", "/").rstrip("/") for b in bases if b):
        if location.startswith(f"{base}/"):
            return repo_path(location[len(base) + 1 :], target, TOOL)
    return (
        repo_path(location, target, TOOL)
        if location and not location.startswith("/")
        else DEPENDENCY_PLACEHOLDER
    )


TOOLS = (Tool(TOOL, reader=SafetyReport(), start_order=910),)  # read from reports only, never run
