"""Which reports from different tools are one problem: the equivalence table and the identities it gives.

Each concept names the rules that several tools use for the same problem, as measured on one
Dockerfile planted with every classic mistake (Trivy 0.76.0, hadolint 2.15.1, Checkov 3.3.30).
Line concepts are one problem per line (every tool points at the same instruction); file concepts
are one problem per file (the tools point at different lines: Trivy at the USER line or nowhere,
Checkov at the whole file). Secrets at the same place and the same advisory in the same package and
version are one problem whichever tools reported them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from mergeguard.model import Finding, Kind

_LINE_CONCEPTS: Mapping[str, frozenset[tuple[str, str]]] = {
    "image-tag-latest": frozenset(
        {
            ("trivy-config", "DS-0001"),
            ("hadolint", "DL3007"),
            ("hadolint", "DL3006"),
            ("checkov", "CKV_DOCKER_7"),
        }
    ),
    "maintainer-deprecated": frozenset(
        {("trivy-config", "DS-0022"), ("hadolint", "DL4000"), ("checkov", "CKV_DOCKER_6")}
    ),
    "workdir-relative": frozenset(
        {("trivy-config", "DS-0009"), ("hadolint", "DL3000"), ("checkov", "CKV_DOCKER_10")}
    ),
    "sudo": frozenset({("trivy-config", "DS-0010"), ("hadolint", "DL3004"), ("checkov", "CKV2_DOCKER_1")}),
    "port-22-exposed": frozenset({("trivy-config", "DS-0004"), ("checkov", "CKV_DOCKER_1")}),
    "add-instead-of-copy": frozenset(
        {("trivy-config", "DS-0005"), ("hadolint", "DL3020"), ("checkov", "CKV_DOCKER_4")}
    ),
    "apk-no-cache": frozenset({("trivy-config", "DS-0025"), ("hadolint", "DL3019")}),
    "apt-get-no-install-recommends": frozenset({("trivy-config", "DS-0029"), ("hadolint", "DL3015")}),
    "apt-instead-of-apt-get": frozenset({("hadolint", "DL3027"), ("checkov", "CKV_DOCKER_9")}),
    "update-alone": frozenset({("trivy-config", "DS-0017"), ("checkov", "CKV_DOCKER_5")}),
    "secret-in-env": frozenset({("trivy-config", "DS-0031")}),
    # A requirement neither dependency scanner could audit (pip_requirements): one problem per line.
    "unpinned-requirement": frozenset(
        {("pip-audit", "unpinned-requirement"), ("trivy-deps", "unpinned-requirement")}
    ),
}
_FILE_CONCEPTS: Mapping[str, frozenset[tuple[str, str]]] = {
    "runs-as-root": frozenset(
        {
            ("trivy-config", "DS-0002"),
            ("hadolint", "DL3002"),
            ("checkov", "CKV_DOCKER_3"),
            ("checkov", "CKV_DOCKER_8"),
        }
    ),
    "no-healthcheck": frozenset({("trivy-config", "DS-0026"), ("checkov", "CKV_DOCKER_2")}),
}
_BY_RULE = {member: ("line", name) for name, rules in _LINE_CONCEPTS.items() for member in rules} | {
    member: ("file", name) for name, rules in _FILE_CONCEPTS.items() for member in rules
}
_TRIVY_ID = re.compile(r"^(?:AVD-)?([A-Z]+)-?0*(\d+)$")
# A converted Trivy report names its tool "trivy"; an image's configuration is checked with the same
# Dockerfile checks as the Dockerfile itself (DS-0002 root user, DS-0031 secret in ENV).
_TOOL_FAMILY = {"trivy": "trivy-config", "trivy-image": "trivy-config"}


def concept(finding: Finding) -> tuple[str, str] | None:
    """("line" | "file" | "secret" | "advisory", name) when other tools may report the same problem."""
    if finding.kind is Kind.SECRET:
        # A secret inside an image is placed on the Dockerfile line that copied it in, with others
        # that line copied: it is one problem only with itself (its evidence names its file).
        return None if finding.tool == "trivy-image" else ("secret", "secret")
    if finding.package is not None:
        return ("advisory", advisory_id(finding))
    tool = _TOOL_FAMILY.get(finding.tool, finding.tool)
    return _BY_RULE.get((tool, normalise_rule(tool, finding.rule_id)))


def group_key(finding: Finding) -> tuple[object, ...] | None:
    """Findings with the same key (within one scan) are one problem; None: only itself."""
    found = concept(finding)
    if found is None:
        return None
    scope, name = found
    loc = finding.location
    if scope == "file":
        return (scope, name, loc.path)
    if scope == "advisory" and (pkg := finding.package) is not None:
        return (scope, name, loc.path, pkg.name.lower(), pkg.installed)
    return (scope, name, loc.path, loc.start_line)


def identity(finding: Finding) -> tuple[str, str | None]:
    """The (namespace, content) a fingerprint is built from; content None means "the source line".

    A problem several tools report gets the same identity whichever of them found it, so turning a
    scanner on or off does not reopen a baselined finding.
    """
    found = concept(finding)
    if found is None:
        return (f"{finding.tool}\x1f{finding.rule_id}", finding.evidence or None)
    scope, name = found
    if scope == "file":
        return (f"concept:{name}", "")
    if scope == "advisory" and (pkg := finding.package) is not None:
        return ("advisory", f"{pkg.name.lower()}@{pkg.installed}#{name}")
    return (f"concept:{name}", None)


def advisory_id(finding: Finding) -> str:
    """One id per advisory across databases: the lowest CVE id when there is one, else the rule id."""
    rule, ids = finding.rule_id.upper(), finding.cve_ids
    if not ids or (len(ids) == 1 and ids[0].upper() == rule):  # the usual case: the rule id, or none
        return rule
    cves = sorted(i.upper() for i in (finding.rule_id, *finding.cve_ids) if i.upper().startswith("CVE-"))
    return cves[0] if cves else finding.rule_id.upper()


def normalise_rule(tool: str, rule: str) -> str:
    """Trivy's ids written as 0.76 writes them (DS-0002), whatever version wrote them (DS002, AVD-DS-0002)."""
    if tool != "trivy-config":
        return rule
    match = _TRIVY_ID.match(rule.upper())
    return f"{match.group(1)}-{int(match.group(2)):04d}" if match else rule
