"""Trivy's `Vulnerabilities` (image and filesystem scans, every report version) made into findings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mergeguard.errors import ParseError
from mergeguard.model import Finding, Kind, Package, Severity
from mergeguard.scanners.base import Target
from mergeguard.scanners.report_json import field, objects, repo_path, required, strings
from mergeguard.scanners.vulns import Advisory, image_path, vulnerability_finding

# Trivy's vulnerability statuses (pkg/types). Every one but `not_affected` (a VEX statement that the
# package is not affected) is a finding; the status shows in the message. A status Trivy adds later
# is a finding too: fail closed.
NOT_A_FINDING = frozenset({"not_affected"})
# Result types of OS package databases in reports older than 0.20, which have no `Class`.
_OS_TYPES = frozenset(
    {
        "alpine",
        "amazon",
        "cbl-mariner",
        "centos",
        "debian",
        "fedora",
        "oracle",
        "photon",
        "redhat",
        "rocky",
        "alma",
        "opensuse",
        "opensuse.leap",
        "sles",
        "suse linux enterprise server",
        "ubuntu",
        "wolfi",
        "chainguard",
        "azurelinux",
        "bottlerocket",
        "echo",
        "minimos",
    }
)
_TARGET_SUFFIX = re.compile(r"\s+\([^()]*\)$")  # "python:3.11-slim (debian 12.5)"


def vulnerabilities(
    result: dict[str, Any],
    report: dict[str, Any],
    where: str,
    *,
    tool: str,
    severities: Mapping[str, Severity],
    target: Target,
) -> list[Finding]:
    """One finding per vulnerability of one result; image results are placed at the image's placeholder."""
    image = _in_image(result, report)
    kind = Kind.VULNERABILITY if image else Kind.DEPENDENCY
    findings = []
    for j, record in enumerate(objects(result.get("Vulnerabilities"), tool, f"{where}.Vulnerabilities")):
        at = f"{where}.Vulnerabilities[{j}]"
        if field(record, "Status", str, tool, at) in NOT_A_FINDING:
            continue
        if image:
            path = _image_path(result, report, tool, where)
        else:
            path = _file_path(result, record, target, tool, at)
        findings.append(_finding(record, result, at, scale=(tool, severities), placement=(path, kind)))
    return findings


def _finding(
    record: dict[str, Any],
    result: dict[str, Any],
    at: str,
    *,
    scale: tuple[str, Mapping[str, Severity]],
    placement: tuple[str, Kind],
) -> Finding:
    tool, severities = scale
    package = Package(
        name=required(record, "PkgName", tool, at),
        installed=field(record, "InstalledVersion", str, tool, at),
        fixed=field(record, "FixedVersion", str, tool, at) or None,
        ecosystem=field(result, "Type", str, tool, at) or None,
    )
    status = field(record, "Status", str, tool, at)
    advisory = Advisory(
        id=required(record, "VulnerabilityID", tool, at),
        package=package,
        severity=severities.get(field(record, "Severity", str, tool, at).upper(), Severity.UNKNOWN),
        title=field(record, "Title", str, tool, at),
        description=field(record, "Description", str, tool, at),
        aliases=strings(record.get("VendorIDs"), tool, f"{at}.VendorIDs"),
        cwe_ids=strings(record.get("CweIDs"), tool, f"{at}.CweIDs"),
        help_uri=field(record, "PrimaryURL", str, tool, at) or None,
        status="" if status == "fixed" else status,
    )
    return vulnerability_finding(tool, advisory, *placement)


def _in_image(result: dict[str, Any], report: dict[str, Any]) -> bool:
    """A container image scan, or an OS package result (the only kind old list reports had in images)."""
    if report.get("ArtifactType") in ("container_image", "vm"):
        return True
    if result.get("Class") == "os-pkgs":
        return True
    return "Class" not in result and str(result.get("Type", "")).lower() in _OS_TYPES


def _image_path(result: dict[str, Any], report: dict[str, Any], tool: str, where: str) -> str:
    name = field(report, "ArtifactName", str, tool, "report") or field(result, "Target", str, tool, where)
    if not name:
        raise ParseError(f"{tool}: {where} names no image (no ArtifactName or Target)")
    return image_path(_TARGET_SUFFIX.sub("", name))


def _file_path(result: dict[str, Any], record: dict[str, Any], target: Target, tool: str, at: str) -> str:
    """The package's own file when Trivy names it (`PkgPath`), else the result's manifest (`Target`)."""
    reported = field(record, "PkgPath", str, tool, at) or required(
        result, "Target", tool, at.rsplit(".", 1)[0]
    )
    return repo_path(reported, target, tool)
