"""Trivy's `Vulnerabilities` (image and filesystem scans, every report version) made into findings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mergeguard.core.errors import ParseError
from mergeguard.core.model import Finding, Kind, Package, Severity
from mergeguard.scanners.base import Target
from mergeguard.scanners.reading import field, objects, repo_path, required, strings
from mergeguard.vulns.records import finding_of, image_path

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
# The report's ArtifactType when it is of an image (a tuple: a list or object there is no error).
IMAGE_TYPES = ("container_image", "vm")
_TARGET_SUFFIX = re.compile(r"\s+\([^()]*\)$")  # "python:3.11-slim (debian 12.5)"
_TARGET_OS = re.compile(r"\(([^()]+)\s[^()\s]+\)$")  # "(debian 10.2)": debian; "(amazon 2 (Karoo))": none


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
    image_at = ""  # the image's placeholder, found once (on the first finding: none, no error)
    records = objects(result.get("Vulnerabilities"), tool, f"{where}.Vulnerabilities")
    ecosystem = (field(result, "Type", str, tool, where) or _target_os(result) or None) if records else None
    scale = (tool, severities, ecosystem)
    for j, record in enumerate(records):
        texts = _texts(record, tool, where, j)
        if texts[_STATUS] in NOT_A_FINDING:
            continue
        if image:
            path = image_at = image_at or _image_path(result, report, tool, where)
        else:
            path = _file_path(result, record, target, tool, _at(where, j))
        findings.append(_finding(record, (where, j), texts, scale, path, kind))
    return findings


def _at(where: str, index: int) -> str:
    """Where a record is in the report, for an error line ("Results[0].Vulnerabilities[3]"): written
    only when needed, as a report of 100,000 records (nearly always) needs none."""
    return f"{where}.Vulnerabilities[{index}]"


# The string fields of a vulnerability, read in one pass (a report can hold 100,000 of them).
_TEXT_KEYS = (
    "Status", "PkgName", "InstalledVersion", "FixedVersion", "VulnerabilityID", "Severity", "Title",
    "Description", "PrimaryURL",
)  # fmt: skip
_STATUS = _TEXT_KEYS.index("Status")
_ABSENT = ("",) * len(_TEXT_KEYS)
_STR = frozenset({str})


def _texts(record: dict[str, Any], tool: str, where: str, index: int) -> list[str]:
    """The record's `_TEXT_KEYS` as `field` reads them (null or absent: ""), with its errors."""
    values = list(map(record.get, _TEXT_KEYS, _ABSENT))
    if {*map(type, values)} <= _STR:  # the usual case (strings, or absent), checked at C speed
        return values
    return [field(record, key, str, tool, _at(where, index)) for key in _TEXT_KEYS]


def _finding(  # noqa: PLR0917 - positional: called once per record of a report of 100,000
    record: dict[str, Any],
    position: tuple[str, int],  # `_at`'s arguments
    texts: list[str],
    scale: tuple[str, Mapping[str, Severity], str | None],  # tool, its severities, the result's Type
    path: str,
    kind: Kind,
) -> Finding:
    tool, severities, ecosystem = scale
    status, name, installed, fixed, advisory_id, severity, title, description, url = texts
    if not name.strip():
        required(record, "PkgName", tool, _at(*position))  # raises, naming the field
    if not advisory_id.strip():
        required(record, "VulnerabilityID", tool, _at(*position))
    package = Package(name, installed, fixed or None, ecosystem)
    return finding_of(
        tool,
        advisory_id,
        package,
        severities.get(severity.upper(), Severity.UNKNOWN),
        title,
        description,
        _strings(record, "VendorIDs", tool, position),
        _strings(record, "CweIDs", tool, position),
        url or None,
        "" if status == "fixed" else status,
        path,
        kind,
    )


def _strings(record: dict[str, Any], key: str, tool: str, position: tuple[str, int]) -> tuple[str, ...]:
    """`strings` of `record[key]`, absent and one-string lists (most `CweIDs`) read without it."""
    value = record.get(key)
    if value is None:
        return ()
    if type(value) is list and len(value) == 1 and type(value[0]) is str:
        return (value[0],)
    return strings(value, tool, f"{_at(*position)}.{key}")


def _in_image(result: dict[str, Any], report: dict[str, Any]) -> bool:
    """A container image scan, or an OS package result (the only kind old list reports had in images)."""
    if report.get("ArtifactType") in IMAGE_TYPES:
        return True
    if result.get("Class") == "os-pkgs":
        return True
    return "Class" not in result and (
        str(result.get("Type", "")).lower() in _OS_TYPES or bool(_target_os(result))
    )


def _target_os(result: dict[str, Any]) -> str:
    """The OS a result of the oldest reports (no `Class`, no `Type`) is of, as its Target ends:
    "benno001/problematic-project (debian 10.2)"; "" when it names none of `_OS_TYPES`."""
    target = result.get("Target")
    if "Class" in result or "Type" in result or not isinstance(target, str):
        return ""
    found = _TARGET_OS.search(target)
    name = found[1].strip().lower() if found else ""
    return name if name in _OS_TYPES else ""


def _image_path(result: dict[str, Any], report: dict[str, Any], tool: str, where: str) -> str:
    return image_path(image_name(report, tool, result, where))


def image_name(
    report: dict[str, Any], tool: str, result: dict[str, Any] | None = None, where: str = ""
) -> str:
    """The image a report is of, as its placeholder names it: the ArtifactName, else the result's
    Target, without Trivy's "(debian 12.5)"."""
    name = field(report, "ArtifactName", str, tool, "report")
    name = name or (field(result, "Target", str, tool, where) if result is not None else "")
    if not name:
        raise ParseError(f"{tool}: {where or 'the report'} names no image (no ArtifactName or Target)")
    return _TARGET_SUFFIX.sub("", name)


def _file_path(result: dict[str, Any], record: dict[str, Any], target: Target, tool: str, at: str) -> str:
    """The package's own file when Trivy names it (`PkgPath`), else the result's manifest (`Target`)."""
    reported = field(record, "PkgPath", str, tool, at) or required(
        result, "Target", tool, at.rsplit(".", 1)[0]
    )
    return repo_path(reported, target, tool)
