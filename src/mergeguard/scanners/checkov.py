"""Checkov: its offline command line over the scan view, and its JSON report made into findings."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from mergeguard.core.errors import ParseError
from mergeguard.core.filekinds import FileKind
from mergeguard.core.jsonfields import need
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.scanners import detect_secrets
from mergeguard.scanners.base import Command, Target, ToolOutput, load_json, relative_path
from mergeguard.scanners.tool import ConfigFile, Tool
from mergeguard.scanners.toolconfig import yaml_allow

TOOL = "checkov"
# The IaC that FileKind.IAC covers, plus Dockerfiles and secrets in every file. Left out on purpose:
# helm and kustomize shell out to `helm`/`kubectl`, which fetch remote charts and bases and talk to a
# cluster (measured: `kubectl kustomize` connected to localhost:8080 and ran `git fetch` of a GitHub
# base); the kubernetes framework still checks the plain manifests.
FRAMEWORKS = (
    "dockerfile",
    "secrets",
    "kubernetes",
    "terraform",
    "terraform_json",
    "cloudformation",
    "github_actions",
    "bicep",
)
# Every switch that keeps checkov 3.3.30 from reaching the network (each one measured with strace).
OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",  # no guideline/ID mapping download from api0.prismacloud.io
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "True",  # no PyPI version check, made at import time
    # An API key (from the environment or any .checkov.yaml) turns on the platform: upload of the
    # code, secret verification, policy download. An empty variable outranks the config files.
    "BC_API_KEY": "",
    "CKV_VALIDATE_SECRETS": "",  # secret verification; checkov tests it for truth, so "False" would enable it
}
OFFLINE_ARGS = ("--skip-download", "--download-external-modules", "false")
_REPORT_ARGS = ("--enable-secret-scan-all-files", "--quiet", "--compact", "--output", "json", "--soft-fail")

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
_SECRETS = "secrets"  # pragma: allowlist secret - the framework name
_HASH = re.compile(r"[0-9a-f]{40,64}")
_DOCKERFILE_CHECK = re.compile(r"CKV2?_DOCKER_\d+")  # the dockerfile framework's checks


class CheckovScanner:
    """`checkov -d` over the scan view: Dockerfiles, IaC, and secrets in every file, offline."""

    name: ClassVar[str] = TOOL
    executable: ClassVar[str] = TOOL
    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.DOCKERFILE, FileKind.IAC, FileKind.ANY})
    version_args: ClassVar[tuple[str, ...]] = ("--version",)
    frameworks: ClassVar[tuple[str, ...]] = FRAMEWORKS

    def command(self, exe: str, target: Target) -> Command:
        # --compact drops code blocks (they hold the first characters of each secret); --soft-fail
        # exits 0 with findings, but a .checkov.yaml `hard-fail-on`/`soft-fail-on` (honoured, like
        # `checkov:skip`) makes it 1 again; crashes are 2. HOME is scratch space so a ~/.checkov.yaml,
        # which outranks the repository's, cannot change the result.
        scope = ("--directory", str(target.root), "--framework", *self.frameworks)
        env = {**OFFLINE_ENV, "HOME": str(target.workdir)}
        report = _REPORT_ARGS if _SECRETS in self.frameworks else _REPORT_ARGS[1:]
        return Command((exe, *scope, *report, *OFFLINE_ARGS), env=env, ok_exit_codes=frozenset({0, 1}))

    def finding_kinds(self, finding: Finding) -> frozenset[FileKind]:
        """Secrets are about any file, Dockerfile checks about Dockerfiles, every other check about IaC.

        Checkov reads any file whose name contains "dockerfile" (`dockerfile.py`) as a Dockerfile.
        """
        if finding.kind is Kind.SECRET:
            return frozenset({FileKind.ANY})
        if _DOCKERFILE_CHECK.fullmatch(finding.rule_id):
            return frozenset({FileKind.DOCKERFILE})
        return frozenset({FileKind.IAC})

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        if not output.report.strip():
            stderr = _last_line(output.stderr)
            raise ParseError(f"{TOOL} printed no report (exit {output.exit_code}): {stderr}")
        return parse_report(output.report, target)


class CheckovWithoutSecrets(CheckovScanner):
    """Checkov without its secrets framework, for when detect-secrets runs (see `overlap`)."""

    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.DOCKERFILE, FileKind.IAC})
    frameworks: ClassVar[tuple[str, ...]] = tuple(f for f in FRAMEWORKS if f != _SECRETS)


def parse_report(text: str, target: Target) -> list[Finding]:
    """Findings from a `checkov -o json --quiet` report: one framework's object, or a list of them."""
    report = load_json(text, TOOL)
    if isinstance(report, dict) and "check_type" not in report:
        return _nothing_scanned(report)
    frameworks = report if isinstance(report, list) else [report]
    findings = []
    for i, framework in enumerate(frameworks):
        check_type, checks = _failed_checks(framework, i)
        for j, check in enumerate(checks):
            findings.append(_finding(check, check_type, target, f"[{i}].failed_checks[{j}]"))
    return findings


def _nothing_scanned(summary: dict[str, Any]) -> list[Finding]:
    """Checkov's bare summary, printed when no framework found anything to check: no findings."""
    if summary.get("failed") != 0 or "checkov_version" not in summary:
        raise ParseError(f"{TOOL}: the report is neither a framework's results nor an empty summary")
    return []


def _failed_checks(framework: Any, i: int) -> tuple[str, list[dict[str, Any]]]:
    if not isinstance(framework, dict) or not isinstance(framework.get("check_type"), str):
        raise ParseError(f"{TOOL}: report entry [{i}] is not a framework's results (no check_type)")
    results = framework.get("results")
    checks = results.get("failed_checks") if isinstance(results, dict) else None
    if not isinstance(checks, list) or not all(isinstance(c, dict) for c in checks):
        raise ParseError(f"{TOOL}: report entry [{i}] has no results.failed_checks list")
    return framework["check_type"], checks


def _finding(check: dict[str, Any], check_type: str, target: Target, where: str) -> Finding:
    rule_id, title = _text(check, "check_id", where), _text(check, "check_name", where)
    resource = _text(check, "resource", where)
    secret = check_type == _SECRETS
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


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:200] if lines else "nothing on stderr"


# Its config, allow-listed: everything that loads checks (`external-checks-dir/-git`), downloads
# modules, talks to the platform (API keys, repo-id, CA bundle) or redirects output is left out.
_CONFIG = yaml_allow(
    dict.fromkeys(
        (
            *("check", "skip-check", "skip-path", "skip-framework", "skip-cve-package", "hard-fail-on"),
            *("skip-resources-without-violations", "block-list-secret-scan", "enable-secret-scan-all-files"),
            *("soft-fail-on", "evaluate-variables"),
        )
    )
)
TOOLS = (
    Tool(
        TOOL,
        homepage="https://www.checkov.io/",
        scanner=CheckovScanner(),
        reader=CheckovScanner(),
        start_order=10,
        shard_weight=8,
        config_files=(ConfigFile(".checkov.yaml", _CONFIG), ConfigFile(".checkov.yml", _CONFIG)),
        line_concepts={
            "CKV_DOCKER_7": "image-tag-latest",
            "CKV_DOCKER_6": "maintainer-deprecated",
            "CKV_DOCKER_10": "workdir-relative",
            "CKV2_DOCKER_1": "sudo",
            "CKV_DOCKER_1": "port-22-exposed",
            "CKV_DOCKER_4": "add-instead-of-copy",
            "CKV_DOCKER_9": "apt-instead-of-apt-get",
            "CKV_DOCKER_5": "update-alone",
        },
        file_concepts={
            "CKV_DOCKER_3": "runs-as-root",
            "CKV_DOCKER_8": "runs-as-root",
            "CKV_DOCKER_2": "no-healthcheck",
        },
        sarif_kind=Kind.MISCONFIGURATION,
        # 3.3.30 (checkov/secrets/runner.py): CKV_SECRET_6 base64 entropy, _10 keyword, _19 hex entropy,
        # _80 random high entropy (its ENTROPY_CHECK_IDS plus the keyword check).
        secret_heuristics=frozenset({"CKV_SECRET_6", "CKV_SECRET_10", "CKV_SECRET_19", "CKV_SECRET_80"}),
        # Its secrets framework is its own fork of detect-secrets (bc-detect-secrets) running the same
        # keyword and entropy plugins: one engine seen twice, not a second opinion; and left out when
        # detect-secrets runs on every file (scan.overlap).
        engine=detect_secrets.TOOL,
        engine_note="Checkov's is a fork",
        covered_by=detect_secrets.TOOL,
        lighter=CheckovWithoutSecrets(),
    ),
)
