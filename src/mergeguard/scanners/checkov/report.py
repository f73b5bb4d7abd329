"""Checkov's JSON report (`-o json --quiet`) made into findings, each check rated by its exposure."""

from __future__ import annotations

import re
from typing import Any

from mergeguard.core.errors import ParseError
from mergeguard.core.jsonfields import need
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.scanners import foreach, reread
from mergeguard.scanners.base import IncompleteReport, Target, relative_path
from mergeguard.scanners.checkov import renamed, unparsed
from mergeguard.scanners.reading import load_all

TOOL = "checkov"
SECRETS = "secrets"  # pragma: allowlist secret - the framework name

# Checkov reports a severity only when the platform supplied it (online); it is honoured then.
REPORTED_SEVERITIES: dict[str, Severity] = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
    "INFO": Severity.INFO,
    "NONE": Severity.INFO,
}
# Offline it reports none, so checks are rated here by what a failure exposes. Running as root and
# disabled TLS or signature checks (an attacker in the network path controls what gets installed)
# are HIGH; unpinned or unverified inputs MEDIUM; hygiene LOW; deprecations INFO. Trivy rates the
# same USER, HEALTHCHECK, port 22 and `latest` checks alike; its HIGH for MAINTAINER, a lone
# `apt-get update` and a relative WORKDIR, and CRITICAL for duplicate aliases, overstate them.
CHECK_SEVERITIES: dict[str, Severity] = {
    "CKV_DOCKER_1": Severity.MEDIUM,  # EXPOSE 22: documents an SSH daemon in the image (Trivy DS-0004)
    "CKV_DOCKER_2": Severity.LOW,  # no HEALTHCHECK: availability only (Trivy DS-0026)
    "CKV_DOCKER_3": Severity.HIGH,  # no USER: the process runs as root (Trivy DS-0002)
    "CKV_DOCKER_4": Severity.MEDIUM,  # ADD: fetches URLs unverified, unpacks archives
    "CKV_DOCKER_5": Severity.LOW,  # `update` alone in a RUN: stale package lists
    "CKV_DOCKER_6": Severity.INFO,  # MAINTAINER is deprecated
    "CKV_DOCKER_7": Severity.MEDIUM,  # base image `latest` or untagged: unpinned input
    "CKV_DOCKER_8": Severity.HIGH,  # the last USER is root
    "CKV_DOCKER_9": Severity.INFO,  # `apt` instead of `apt-get`: an unstable CLI
    "CKV_DOCKER_10": Severity.LOW,  # relative WORKDIR
    "CKV_DOCKER_11": Severity.LOW,  # duplicate FROM alias: the wrong stage may be copied
    "CKV2_DOCKER_1": Severity.HIGH,  # sudo: a way back to root
    "CKV2_DOCKER_2": Severity.HIGH,  # curl -k / --insecure
    "CKV2_DOCKER_3": Severity.HIGH,  # wget --no-check-certificate
    "CKV2_DOCKER_4": Severity.HIGH,  # pip --trusted-host
    "CKV2_DOCKER_5": Severity.HIGH,  # ENV PYTHONHTTPSVERIFY=0 (also at run time)
    "CKV2_DOCKER_6": Severity.HIGH,  # ENV NODE_TLS_REJECT_UNAUTHORIZED=0 (also at run time)
    "CKV2_DOCKER_7": Severity.HIGH,  # apk --allow-untrusted
    "CKV2_DOCKER_8": Severity.HIGH,  # apt-get --allow-unauthenticated
    "CKV2_DOCKER_9": Severity.HIGH,  # yum/dnf --nogpgcheck
    "CKV2_DOCKER_10": Severity.HIGH,  # rpm --nosignature and friends
    "CKV2_DOCKER_11": Severity.HIGH,  # apt-get --force-yes
    "CKV2_DOCKER_12": Severity.HIGH,  # ENV NPM_CONFIG_STRICT_SSL=false
    "CKV2_DOCKER_13": Severity.HIGH,  # npm/yarn strict-ssl false
    "CKV2_DOCKER_14": Severity.HIGH,  # ENV GIT_SSL_NO_VERIFY
    "CKV2_DOCKER_15": Severity.HIGH,  # yum/dnf sslverify=false
    "CKV2_DOCKER_16": Severity.HIGH,  # ENV PIP_TRUSTED_HOST
    "CKV2_DOCKER_17": Severity.HIGH,  # chpasswd: a password baked into a layer
    # Kubernetes: a way out of the container to the node is HIGH; probes and resources are hygiene.
    **dict.fromkeys(("CKV_K8S_16", "CKV_K8S_17", "CKV_K8S_18", "CKV_K8S_19"), Severity.HIGH),
    **dict.fromkeys(("CKV_K8S_27", "CKV_K8S_39"), Severity.HIGH),  # docker socket, CAP_SYS_ADMIN
    **dict.fromkeys([f"CKV_K8S_{n}" for n in range(8, 14)], Severity.LOW),
    # GitHub Actions: unsecure commands, shell injection, secrets sent by curl
    **dict.fromkeys(("CKV_GHA_1", "CKV_GHA_2", "CKV_GHA_3"), Severity.HIGH),
}
SECRET_SEVERITY = Severity.HIGH  # every finding of the secrets framework (CKV_SECRET_*)
DEFAULT_SEVERITY = Severity.MEDIUM  # any other check: a failed security best practice
_HASH = re.compile(r"[0-9a-f]{40,64}")
# Checks Checkov gets wrong on some Dockerfiles, decided again by reading the file (`reread`).
RECHECKS: dict[str, reread.Recheck] = {
    "CKV_DOCKER_7": reread.latest,  # blind to ARG defaults: `FROM ${BASE}` with BASE pinned
    "CKV_DOCKER_10": reread.relative_workdir,  # `WORKDIR C:\\app` is absolute on Windows
    "CKV2_DOCKER_1": reread.sudo,  # " sudo " anywhere in a RUN: `apt-get install sudo` runs none
    "CKV_DOCKER_4": reread.verified_add,  # every ADD, a checksummed download too
}


def parse_report(text: str, target: Target) -> list[Finding]:
    """Findings from a `checkov -o json` report (one framework's object, or a list of them), from
    the run on renamed copies of the Dockerfiles it skips by name after it, if the target has any,
    and from the parse-only run's report after those, if any: a finding for each file not parsed."""
    first, *listings = load_all(text, TOOL)
    findings = _failed(first, target)
    if copies := renamed.copies(target.files):  # then the run on Dockerfiles under names it reads
        if not listings:
            raise ParseError(f"{TOOL}: no report of the run on the Dockerfiles copied to names it reads")
        findings += renamed.put_back(_failed(listings.pop(0), renamed.copies_target(target)), copies)
    reports = [framework for report in (first, *listings) for framework in _frameworks(report)]
    unread = unparsed.findings(reports, target, TOOL)
    listed = {f.location.path for f in unread}
    unread += [f for f in foreach.findings(TOOL, "Checkov", target) if f.location.path not in listed]
    found = reread.recheck(findings, target.root, lambda f: RECHECKS.get(f.rule_id)) + unread
    if (incomplete := unparsed.unnamed(reports, target, TOOL)) is not None:
        raise IncompleteReport(incomplete, found)  # files went unchecked: fail closed, keep what it found
    return found


def _failed(report: Any, target: Target) -> list[Finding]:
    findings = []
    for i, framework in enumerate(_frameworks(report)):
        check_type, checks = _failed_checks(framework, i)
        for j, check in enumerate(checks):
            findings.append(_finding(check, check_type, target, f"[{i}].failed_checks[{j}]"))
    return findings


def _frameworks(report: Any) -> list[Any]:
    """The frameworks' results in a report: none in the bare summary printed when none had any."""
    if isinstance(report, dict) and "check_type" not in report:
        return _nothing_scanned(report)
    frameworks = report if isinstance(report, list) else [report]
    for i, framework in enumerate(frameworks):
        if not isinstance(framework, dict) or not isinstance(framework.get("check_type"), str):
            raise ParseError(f"{TOOL}: report entry [{i}] is not a framework's results (no check_type)")
    return frameworks


def _nothing_scanned(summary: dict[str, Any]) -> list[Any]:
    """Checkov's bare summary, printed when no framework found anything to check: no frameworks."""
    if summary.get("failed") != 0 or "checkov_version" not in summary:
        raise ParseError(f"{TOOL}: the report is neither a framework's results nor an empty summary")
    return []


def _failed_checks(framework: dict[str, Any], i: int) -> tuple[str, list[dict[str, Any]]]:
    results = framework.get("results")
    checks = results.get("failed_checks") if isinstance(results, dict) else None
    if not isinstance(checks, list) or not all(isinstance(c, dict) for c in checks):
        raise ParseError(f"{TOOL}: report entry [{i}] has no results.failed_checks list")
    return framework["check_type"], checks


def _finding(check: dict[str, Any], check_type: str, target: Target, where: str) -> Finding:
    rule_id, title = _text(check, "check_id", where), _text(check, "check_name", where)
    resource = _text(check, "resource", where)
    secret = check_type == SECRETS
    path = _path(_text(check, "file_path", where), target)
    start, end = _lines(check, where)
    return Finding(
        tool=TOOL,
        rule_id=rule_id,
        severity=severity(rule_id, check.get("severity"), secret),
        title=title,
        message=_message(title, resource, path, secret),
        # A secret on line n is reported as [n, n + 1]; every other range is inclusive.
        location=Location(path, start, start if secret else end),
        kind=Kind.SECRET if secret else Kind.MISCONFIGURATION,
        cwe_ids=("CWE-798",) if secret else (),
        help_uri=_help_uri(check.get("guideline")),
        evidence=_secret_hash(resource, where) if secret else "",
    )


def severity(rule_id: str, reported: Any, secret: bool) -> Severity:
    """The report's severity when it has one (online), else this module's rating of the check."""
    if isinstance(reported, str) and reported:
        return REPORTED_SEVERITIES.get(reported.upper(), Severity.UNKNOWN)
    if secret:
        return SECRET_SEVERITY
    return CHECK_SEVERITIES.get(rule_id, DEFAULT_SEVERITY)


def _message(title: str, resource: str, path: str, secret: bool) -> str:
    if secret:
        return f"Potential secret found by checkov's {title} check (value withheld)"
    if resource.startswith(f"/{path}."):  # a Dockerfile's resource: its path and an instruction
        return title
    return f"{title} (resource {resource})"


def _secret_hash(resource: str, where: str) -> str:
    """The secret's sha1 (as detect-secrets' hashed_secret) that checkov gives as the resource."""
    hashed = resource.rsplit(":", 1)[-1]  # history scans prefix it with the commit
    if not _HASH.fullmatch(hashed):
        raise ParseError(f"{TOOL}: {where}.resource is not a hashed secret")
    return hashed


def _path(reported: str, target: Target) -> str:
    try:
        return relative_path(reported, target)
    except ParseError as exc:
        raise ParseError(f"{TOOL}: {exc}") from None


def _lines(check: dict[str, Any], where: str) -> tuple[int, int]:
    span = check.get("file_line_range")
    if not (isinstance(span, list) and len(span) == 2 and all(type(n) is int for n in span)):
        raise ParseError(f"{TOOL}: {where}.file_line_range is not a pair of line numbers")
    return span[0], span[1]


def _help_uri(guideline: Any) -> str | None:
    return guideline if isinstance(guideline, str) and guideline.startswith("https://") else None


def _text(check: dict[str, Any], key: str, where: str) -> str:
    return need(check.get(key), str, lambda _: _missing(where, key), empty=False)


def _missing(where: str, key: str) -> ParseError:
    return ParseError(f"{TOOL}: {where}.{key} is missing or not a non-empty string")
