"""Grype's JSON report (`grype -o json`): one finding per match of a vulnerability to a package."""

from __future__ import annotations

from typing import Any, ClassVar

from mergeguard.core.errors import ParseError
from mergeguard.core.model import Finding, Kind, Package, Severity
from mergeguard.scanners.base import Target, ToolOutput
from mergeguard.scanners.reading import field, load_report, objects, repo_path, required, strings
from mergeguard.scanners.tool import Tool
from mergeguard.vulns.records import Advisory, image_path, vulnerability_finding

TOOL = "grype"
# Grype's words, one to one; "Negligible" (a distro's "not worth fixing") is information.
SEVERITIES: dict[str, Severity] = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
    "NEGLIGIBLE": Severity.INFO,
    "UNKNOWN": Severity.UNKNOWN,
}
# Package types from an operating system's package database: a vulnerability of the machine or
# image, not of a dependency the repository declares.
OS_PACKAGE_TYPES = frozenset({"rpm", "deb", "apk", "alpm", "portage", "linux-kernel", "linux-kernel-module"})
_FIX_STATES = {"fixed": "", "not-fixed": "not fixed", "wont-fix": "won't fix", "unknown": "fix state unknown"}


class GrypeReport:
    """`grype -o json` of an image, a directory or a file, any version from 0.3x on."""

    name: ClassVar[str] = TOOL

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        report = load_report(output.report, TOOL)
        if not isinstance(report, dict) or "matches" not in report:
            raise ParseError(f"{TOOL}: the report has no matches list")
        image = _image(report)
        return [
            _finding(match, image, target, f"matches[{i}]")
            for i, match in enumerate(objects(report["matches"], TOOL, "matches"))
        ]


def _image(report: dict[str, Any]) -> str | None:
    """The scanned image's name when the source is an image, else None (a directory or file scan)."""
    source = field(report, "source", dict, TOOL, "report")
    if source.get("type") != "image":
        return None
    scanned = source.get("target")
    name = scanned.get("userInput") if isinstance(scanned, dict) else scanned
    if not isinstance(name, str) or not name:
        raise ParseError(f"{TOOL}: source.target names no image")
    return name


def _finding(match: dict[str, Any], image: str | None, target: Target, where: str) -> Finding:
    vulnerability = field(match, "vulnerability", dict, TOOL, where)
    artifact = field(match, "artifact", dict, TOOL, where)
    at = f"{where}.vulnerability"
    fix = field(vulnerability, "fix", dict, TOOL, at)
    fixes = strings(fix.get("versions"), TOOL, f"{at}.fix.versions")
    related = objects(match.get("relatedVulnerabilities"), TOOL, f"{where}.relatedVulnerabilities")
    description = field(vulnerability, "description", str, TOOL, at) or _first_description(related)
    advisory = Advisory(
        id=required(vulnerability, "id", TOOL, at),
        package=_package(artifact, fixes, f"{where}.artifact"),
        severity=SEVERITIES.get(field(vulnerability, "severity", str, TOOL, at).upper(), Severity.UNKNOWN),
        title=_title(description),
        description=description,
        aliases=tuple(field(r, "id", str, TOOL, f"{where}.relatedVulnerabilities") for r in related),
        cwe_ids=tuple(
            field(c, "cwe", str, TOOL, f"{at}.cwes") for c in objects(vulnerability.get("cwes"), TOOL, at)
        ),
        help_uri=field(vulnerability, "dataSource", str, TOOL, at) or None,
        status=_FIX_STATES.get(field(fix, "state", str, TOOL, at), field(fix, "state", str, TOOL, at)),
    )
    path, kind = _placement(artifact, image, target, f"{where}.artifact")
    return vulnerability_finding(TOOL, advisory, path, kind)


def _package(artifact: dict[str, Any], fixes: tuple[str, ...], where: str) -> Package:
    purl = field(artifact, "purl", str, TOOL, where)
    ecosystem = (
        purl[4:].split("/", 1)[0] if purl.startswith("pkg:") else field(artifact, "type", str, TOOL, where)
    )
    return Package(
        name=required(artifact, "name", TOOL, where),
        installed=field(artifact, "version", str, TOOL, where),
        fixed=", ".join(fixes) or None,  # one per maintained branch, as Trivy writes them: the fix plan picks
        ecosystem=ecosystem or None,
    )


def _placement(artifact: dict[str, Any], image: str | None, target: Target, where: str) -> tuple[str, Kind]:
    """Images at their placeholder; otherwise the package's first location, which Grype writes with a
    leading `/` for the scanned directory (`\\go.mod` when run on Windows)."""
    os_package = field(artifact, "type", str, TOOL, where) in OS_PACKAGE_TYPES
    kind = Kind.VULNERABILITY if image or os_package else Kind.DEPENDENCY
    if image is not None:
        return image_path(image), kind
    locations = objects(artifact.get("locations"), TOOL, f"{where}.locations")
    if not locations:
        raise ParseError(f"{TOOL}: {where} has no location")
    return repo_path(required(locations[0], "path", TOOL, f"{where}.locations[0]"), target, TOOL), kind


def _first_description(related: list[dict[str, Any]]) -> str:
    return next((r["description"] for r in related if isinstance(r.get("description"), str)), "")


def _title(description: str) -> str:
    """A short description ("Shell command injection in gitea") is its own title; a long one is not."""
    text = " ".join(description.split())
    return text if 0 < len(text) <= 100 and "\n" not in description else ""


# Read from reports only, never run; its SARIF rules (`CVE-…-PACKAGE`) carry no tag saying what they are.
TOOLS = (Tool(TOOL, reader=GrypeReport(), start_order=920, sarif_kind=Kind.VULNERABILITY),)
