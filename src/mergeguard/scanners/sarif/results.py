"""What a SARIF result or its rule says: its kind, severity, tags, text and secret evidence."""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from mergeguard.core.model import Kind, Severity
from mergeguard.scanners.reading import field, objects, strings

NAME = "sarif"
# SARIF `level`, used when no `security-severity` is given (result, then rule default, then "warning").
LEVELS: dict[str, Severity] = {
    "error": Severity.HIGH,
    "warning": Severity.MEDIUM,
    "note": Severity.LOW,
    "none": Severity.INFO,
}
# A secret scanner that rates nothing (Gitleaks writes no level) leaves SARIF's default "warning";
# every credential is HIGH in mergeguard's own secret adapters, so it is HIGH here too.
UNRATED_SECRET_SEVERITY = Severity.HIGH
# `properties.security-severity` (a CVSS-like score as a string), banded as GitHub code scanning does.
SCORE_BANDS = ((9.0, Severity.CRITICAL), (7.0, Severity.HIGH), (4.0, Severity.MEDIUM), (0.1, Severity.LOW))
# The kind of an untagged result, by driver name lower-cased (whole, else its first word): tools
# mergeguard does not run; its own tools declare theirs (`Tool.sarif_kind`), given to `SarifReport`
# by the registry.
_OTHER_TOOLS: Mapping[str, Kind] = MappingProxyType(
    {
        **dict.fromkeys(("trufflehog", "ggshield", "talisman"), Kind.SECRET),
        **dict.fromkeys(("tfsec", "defsec", "kics", "terrascan", "kube-linter"), Kind.MISCONFIGURATION),
        "osv-scanner": Kind.DEPENDENCY,  # a project's lock files
        # Its rule ids are Snyk's advisories (`SNYK-JS-BL-608877`, `npm:hoek:20180212`); by the whole
        # name: "Snyk Container" and "Snyk IaC" share the first word, and Snyk Code is "SnykCode".
        "snyk open source": Kind.DEPENDENCY,
    }
)
# An advisory's id starting the rule id (Grype writes "CVE-2021-3711-openssl"): the rule is a vulnerability.
_ADVISORY = re.compile(r"CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|PYSEC-\d{4}-\d+", re.IGNORECASE)


# CVE ids in parentheses starting a rule's fullDescription, where Snyk names those of its own
# advisory: "(CVE-2020-8244) bl@1.1.2".
_DESCRIBED = re.compile(r"\A\((CVE-\d{4}-\d{4,}(?:\s*,\s*CVE-\d{4}-\d{4,})*)\)\s", re.IGNORECASE)


def described_advisories(rule: dict[str, Any]) -> tuple[str, ...]:
    """The CVE ids a rule's fullDescription starts with, in parentheses (Snyk's advisories)."""
    found = _DESCRIBED.match(_text(rule.get("fullDescription")))
    return tuple(dict.fromkeys(i.strip().upper() for i in found[1].split(","))) if found else ()


def advisory_of(rule_id: str) -> tuple[str, ...]:
    """The advisory id a rule id starts with, upper-cased as databases write it (GHSA's tail stays)."""
    match = _ADVISORY.match(rule_id)
    if match is None:
        return ()
    found = match.group(0)
    return (found if found[:4].upper() == "GHSA" else found.upper(),)


def _severity(
    result: dict[str, Any], rule: dict[str, Any], kind: Kind, rule_scored: Severity | None
) -> Severity:
    """The result's score, else its rule's (`rule_scored`, read once per rule), else the level."""
    scored = _scored(result) if "properties" in result else None
    if scored is not None or (scored := rule_scored) is not None:
        return scored
    level = result.get("level") or field(rule, "defaultConfiguration", dict, NAME, "rule").get("level")
    if level is None and kind is Kind.SECRET:
        return UNRATED_SECRET_SEVERITY
    return LEVELS.get(str(level or "warning"), Severity.UNKNOWN)


def _scored(holder: dict[str, Any]) -> Severity | None:
    """The severity band of `properties.security-severity`, None without a number there."""
    score = field(holder, "properties", dict, NAME, "properties").get("security-severity")
    try:
        value = float(score) if score is not None else None
    except (TypeError, ValueError, OverflowError):  # 1e400 as an integer overflows a float
        value = None
    if value is None:
        return None
    return next((s for floor, s in SCORE_BANDS if value >= floor), Severity.INFO)


@functools.lru_cache(maxsize=4096)  # asked once per result, of a few rules
def _kind(declared: Kind | None, rule_id: str, tags: tuple[str, ...]) -> Kind:
    """Secret for a secret scanner, a `secret` tag or rule (Checkov's CKV_SECRET_*); vulnerability or
    misconfiguration by tag, else the kind the tool's results have (`declared`); anything else is code."""
    words = {t.lower() for t in tags}
    if declared is Kind.SECRET or "secret" in words or "secret" in rule_id.lower():
        return Kind.SECRET
    if "vulnerability" in words:
        return Kind.VULNERABILITY
    if "misconfiguration" in words:
        return Kind.MISCONFIGURATION
    if declared is None and _ADVISORY.match(rule_id):  # untagged, the rule an advisory (Snyk, Dependabot)
        return Kind.VULNERABILITY
    return declared or Kind.CODE


def _tags(holder: dict[str, Any]) -> tuple[str, ...]:
    return strings(field(holder, "properties", dict, NAME, "properties").get("tags"), NAME, "tags")


def _text(message: Any) -> str:
    if not isinstance(message, dict):
        return ""
    text = message.get("text") or message.get("markdown") or ""
    return " ".join(str(text).split())


def _https(uri: Any) -> str | None:
    return uri if isinstance(uri, str) and uri.startswith("https://") else None


def _secret_evidence(result: dict[str, Any]) -> str:
    """sha256 of the matched text a secret scanner puts in the region's snippet (Gitleaks: the clear
    secret), never the text itself; without a snippet the source line identifies it, as for code."""
    for location in objects(result.get("locations"), NAME, "locations"):
        physical = location.get("physicalLocation")
        region = physical.get("region") if isinstance(physical, dict) else None
        holder = region.get("snippet") if isinstance(region, dict) else None
        snippet = holder.get("text") if isinstance(holder, dict) else None
        if isinstance(snippet, str) and snippet:
            return hashlib.sha256(snippet.encode("utf-8", "surrogatepass")).hexdigest()
    return ""
