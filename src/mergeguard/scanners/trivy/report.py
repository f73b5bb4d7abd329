"""Trivy's JSON report read as findings: failed misconfigurations, secrets and vulnerabilities."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from typing import Any, ClassVar, TypeVar

from mergeguard.core import dockerfile, reasons
from mergeguard.core.errors import ParseError
from mergeguard.core.jsonfields import dig, objects_in, or_empty
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.scanners import reread
from mergeguard.scanners.base import Target, ToolOutput, load_json, relative_path
from mergeguard.scanners.trivy import documents, pins
from mergeguard.scanners.trivy.vulnerabilities import IMAGE_TYPES, image_name, vulnerabilities
from mergeguard.vulns import anchors as image_anchors
from mergeguard.vulns.images import ImageKind, ImageSpec

_T = TypeVar("_T")

# Trivy rates with the same five words as mergeguard, one to one. A word it may add later maps to
# UNKNOWN, as does a missing one (every field of Trivy's JSON is `omitempty`).
SEVERITIES: dict[str, Severity] = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
    "UNKNOWN": Severity.UNKNOWN,
}

# Misconfiguration statuses: Trivy lists only FAIL unless asked for `--include-non-failures` (PASS);
# EXCEPTION marks a check a Rego exception waived. An absent status is read as FAIL (fail closed).
_FINDING_STATUSES = frozenset({"FAIL", ""})
_NON_FINDING_STATUSES = frozenset({"PASS", "EXCEPTION"})

# A Trivy report has at least one of these (`Results` is left out when nothing was found); another
# tool's JSON has none, and must not read as a clean Trivy report.
_TRIVY_KEYS = frozenset({"SchemaVersion", "ArtifactName", "ArtifactType", "Results"})


_ID = re.compile(r"^(?:AVD-)?([A-Z]+)-?0*(\d+)$")
# Checks Trivy gets wrong on some Dockerfiles, decided again by reading the file (`reread`), by id.
RECHECKS: dict[str, reread.Recheck] = {
    "DS-0009": reread.relative_workdir,  # Windows `WORKDIR C:\\app`
    "DS-0005": reread.verified_add,  # `ADD --checksum=… URL`
    "DS-0031": reread.secret_file_env,  # `ENV POSTGRES_PASSWORD_FILE=/run/secrets/db`
}


def rule_id(rule: str) -> str:
    """An id written as 0.76 writes it (DS-0002), whatever version wrote it (DS002, AVD-DS-0002)."""
    match = _ID.match(rule.upper())
    return f"{match.group(1)}-{int(match.group(2)):04d}" if match else rule


class TrivyReport:
    """Any Trivy JSON report a user hands to `convert`: misconfigurations, secrets and vulnerabilities."""

    name: ClassVar[str] = "trivy"

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        report = load_json(output.report, self.name)
        if isinstance(report, dict) and "ClusterName" in report and "Results" not in report:
            raise ParseError(
                f"{self.name}: a Kubernetes cluster report (`trivy k8s`: ClusterName, Resources) names the"
                " cluster's resources, not the repository's files: convert a report of the manifests"
                " (`trivy config`) or of each image (`trivy image`) instead"
            )
        if isinstance(report, dict) and not _TRIVY_KEYS & report.keys():
            raise ParseError(
                f"{self.name}: the JSON has none of a Trivy report's keys ({', '.join(sorted(_TRIVY_KEYS))})"
            )
        findings = parse_value(report, self.name, target)  # parsed once: a big report takes a second
        if _is_image(report):
            return _in_image(findings, report, self.name)
        return (
            pins.on_pinning_lines(findings, report, target, self.name)
            if isinstance(report, dict)
            else findings
        )


def _is_image(report: Any) -> bool:
    return isinstance(report, dict) and report.get("ArtifactType") in IMAGE_TYPES


def _in_image(findings: list[Finding], report: dict[str, Any], tool: str) -> list[Finding]:
    """An image report's secrets and image-config checks placed as `trivy image` places them without a
    Dockerfile: at the image's placeholder, where its vulnerabilities are. The paths inside the image
    (`app/.env`) and the artifact's name are no files of the repository: PR mode would drop them."""
    name = image_name(report, tool)
    spec = ImageSpec(name, ImageKind.DAEMON)  # its repository: the placeholder the vulnerabilities have
    contents = [f for f in findings if f.package is None]
    if not contents:  # only vulnerabilities, placed already: the layer origins would go unread
        return findings
    placed = image_anchors.anchor_all(contents, image_anchors.origins(report), spec, None)
    return [*(f for f in findings if f.package is not None), *placed]


def parse_report(text: str, tool: str, target: Target) -> list[Finding]:
    """Findings from a Trivy JSON report, as `tool`: failed misconfigurations, secrets, vulnerabilities.

    Reports before Trivy 0.20 are a bare list of results instead of an object with `Results`.
    """
    return parse_value(load_json(text, tool), tool, target)


def parse_value(report: Any, tool: str, target: Target) -> list[Finding]:
    """`parse_report` of the report's parsed JSON."""
    if isinstance(report, list):
        report = {"Results": report}
    if not isinstance(report, dict):
        raise ParseError(f"{tool}: the Trivy report is not a JSON object")
    findings: list[Finding] = []
    for i, result in enumerate(_records(report, "Results", tool, "report")):
        findings += _result(result, report, tool, target, f"Results[{i}]")
    return findings


def _result(
    result: dict[str, Any], report: dict[str, Any], tool: str, target: Target, where: str
) -> list[Finding]:
    findings = vulnerabilities(result, report, where, tool=tool, severities=SEVERITIES, target=target)
    misconfigurations = _records(result, "Misconfigurations", tool, where)
    secrets = _records(result, "Secrets", tool, where)
    path = _path(result, tool, where, target) if misconfigurations or secrets else ""
    records = [
        (record, f"{where}.Misconfigurations[{j}]")
        for j, record in enumerate(misconfigurations)
        if _failed(record, tool, f"{where}.Misconfigurations[{j}]") and not _no_secret(record)
    ]
    failed = [_misconfiguration(record, tool, path, at) for record, at in records]
    # A check that gives no line (KSV-0109) is on the document of the resource it names, not line 1.
    lineless = [not dig(record, ("CauseMetadata", "StartLine")) for record, _ in records]
    failed = documents.placed(failed, lineless, target.root)
    if failed:
        findings += reread.recheck(failed, target.root, lambda f: RECHECKS.get(rule_id(f.rule_id)))
    for j, record in enumerate(secrets):
        findings.append(_secret(record, tool, path, f"{where}.Secrets[{j}]"))
    return findings


def _no_secret(record: dict[str, Any]) -> bool:
    """A secret-in-ENV (DS-0031) whose cause, as Trivy quotes it, sets only PGP key ids under GPG/PGP
    names (`reread.sets_public_key_ids`). The quoted cause serves a Dockerfile and an image's
    configuration (its base's ENV) alike."""
    if rule_id(str(record.get("ID") or record.get("AVDID") or "")) != "DS-0031":
        return False
    lines = objects_in(dig(record, ("CauseMetadata", "Code", "Lines")))
    causes = [str(line.get("Content", "")) for line in lines if line.get("IsCause")]
    instructions = [ins for cause in causes for ins in dockerfile.parse(cause)]
    return bool(instructions) and all(reread.sets_public_key_ids(ins) for ins in instructions)


def _misconfiguration(record: dict[str, Any], tool: str, path: str, where: str) -> Finding:
    rule_id = _get(record, "ID", str, tool, where) or _get(record, "AVDID", str, tool, where)
    if not rule_id:
        raise ParseError(f"{tool}: {where} in the Trivy report has no ID")
    title = _get(record, "Title", str, tool, where) or rule_id
    cause = _get(record, "CauseMetadata", dict, tool, where) or {}
    # Some checks quote the instruction (DS-0029: "'RUN apt-get … -H \"Authorization: token …\"' missing
    # …"): a credential written in it is masked, as in every other report text.
    message = reasons.redact(_get(record, "Message", str, tool, where)) or title
    # Terraform's and CloudFormation's resource (`module.web.aws_s3_bucket.this`), as Checkov names
    # it: "Bucket has a public ACL" alone is the same for every bucket of a file (scan.basescan).
    resource = _get(cause, "Resource", str, tool, f"{where}.CauseMetadata")
    return Finding(
        tool=tool,
        rule_id=rule_id,
        severity=_severity(record, tool, where),
        title=title,
        message=f"{message} (resource {resource})" if resource and resource not in message else message,
        location=_location(path, cause, tool, f"{where}.CauseMetadata"),
        kind=Kind.MISCONFIGURATION,
        help_uri=_get(record, "PrimaryURL", str, tool, where) or None,
    )


def _secret(record: dict[str, Any], tool: str, path: str, where: str) -> Finding:
    """A secret finding; Trivy never prints the clear secret, so neither do we (see _secret_evidence)."""
    rule_id = _get(record, "RuleID", str, tool, where)
    if not rule_id:
        raise ParseError(f"{tool}: {where} in the Trivy report has no RuleID")
    title = _get(record, "Title", str, tool, where) or rule_id
    return Finding(
        tool=tool,
        rule_id=rule_id,
        severity=_severity(record, tool, where),
        title=title,
        message=title,  # never the Match: it is the whole matched line
        location=_key_header(record, _location(path, record, tool, where)),
        kind=Kind.SECRET,
        evidence=_secret_evidence(rule_id, _get(record, "Match", str, tool, where)),
    )


_PEM_HEADER = re.compile(r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY( BLOCK)?-----")


def _key_header(record: dict[str, Any], location: Location) -> Location:
    """A private key from its `-----BEGIN … PRIVATE KEY-----` line, where the other tools place it:
    Trivy starts it at the body's first line, and one key was two blocking findings."""
    above = location.start_line - 1
    header = [
        line
        for line in objects_in(dig(record, ("Code", "Lines")))
        if line.get("Number") == above and _PEM_HEADER.search(str(line.get("Content", "")))
    ]
    return replace(location, start_line=above) if header else location


def _secret_evidence(rule_id: str, masked_match: str) -> str:
    """sha256 of the rule id and Trivy's masked match, the only identity Trivy gives for a secret.

    Trivy replaces every character of the secret with `*` in `Match` (the matched line; the first
    masked line of a private key), so the clear secret cannot be hashed. The same secret on the
    same line text keeps its evidence wherever the line moves; a different secret of the same
    length on an identical line gets the same evidence (the pipeline's occurrence index separates
    two in one file).
    """
    return hashlib.sha256(f"{rule_id}\0{masked_match}".encode("utf-8", "surrogatepass")).hexdigest()


def _path(result: dict[str, Any], tool: str, where: str, target: Target) -> str:
    """The result's Target (a path relative to the scanned directory) made repo-relative."""
    reported = _get(result, "Target", str, tool, where)
    if not reported:
        raise ParseError(f"{tool}: {where} in the Trivy report has no Target")
    try:
        return relative_path(reported, target)
    except ParseError as exc:
        raise ParseError(f"{tool}: {where} in the Trivy report: {exc}") from None


def _failed(record: dict[str, Any], tool: str, where: str) -> bool:
    status = _get(record, "Status", str, tool, where)
    if status in _FINDING_STATUSES:
        return True
    if status in _NON_FINDING_STATUSES:
        return False
    raise ParseError(f"{tool}: {where} in the Trivy report has an unknown Status {status!r}")


def _severity(record: dict[str, Any], tool: str, where: str) -> Severity:
    return SEVERITIES.get(_get(record, "Severity", str, tool, where).upper(), Severity.UNKNOWN)


def _location(path: str, holder: dict[str, Any], tool: str, where: str) -> Location:
    """Lines from StartLine/EndLine; 0 or absent (whole-file checks such as DS-0002) means line 1."""
    start = _get(holder, "StartLine", int, tool, where)
    end = _get(holder, "EndLine", int, tool, where)
    return Location(path, start_line=start, end_line=end)  # Location makes 0 line 1


def _records(holder: dict[str, Any], key: str, tool: str, where: str) -> list[dict[str, Any]]:
    """The list of objects under `key`; absent or null (Trivy found nothing) is an empty list."""
    value = holder.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ParseError(f"{tool}: {where}.{key} in the Trivy report is not a list of objects")
    return value


def _get(holder: dict[str, Any], key: str, kind: type[_T], tool: str, where: str) -> _T:
    """`holder[key]` checked to be a `kind`; absent or null gives the empty `kind()` (0, "", {})."""
    return or_empty(holder.get(key), kind, lambda _: _not_a(kind, tool, f"{where}.{key}"))


def _not_a(kind: type, tool: str, where: str) -> ParseError:
    return ParseError(f"{tool}: {where} in the Trivy report is not a {kind.__name__}")
