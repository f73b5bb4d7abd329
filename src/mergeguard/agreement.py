"""Less noise by agreement: a secret that only one tool's generic heuristic saw is lowered to medium."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType

from mergeguard.model import Finding, Kind, Severity, SeverityNote

# The one table of generic secret heuristics, per tool: rules that fire on any random-looking string
# or on a word like "password" next to a value, not on one provider's credential format. Every rule
# not listed here (AWS key ids, GitHub tokens, private keys, Slack, Stripe, …, and any tool not listed)
# is provider-specific, and keeps its severity on its own.
HEURISTIC_RULES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        # detect-secrets 1.5.0: the keyword plugin and the two entropy plugins (its plugin `type`).
        "detect-secrets": frozenset(
            {"Secret Keyword", "Base64 High Entropy String", "Hex High Entropy String"}
        ),
        # Checkov 3.3.30 (checkov/secrets/runner.py): CKV_SECRET_6 base64 entropy, _10 keyword, _19 hex
        # entropy, _80 random high entropy (its ENTROPY_CHECK_IDS plus the keyword check).
        "checkov": frozenset({"CKV_SECRET_6", "CKV_SECRET_10", "CKV_SECRET_19", "CKV_SECRET_80"}),
        # Gitleaks 8: the keyword-and-entropy catch-all; Gitleaks 7 named its counterpart by description.
        "gitleaks": frozenset({"generic-api-key", "Generic Credential"}),
        # Trivy 0.76.0: none. Its built-in secret rules are all provider formats (it reports nothing
        # for `password = "…"` or a random 32-character hex string).
        "trivy-secret": frozenset(),
    }
)
# Checkov's secrets framework is its own fork of detect-secrets (bc-detect-secrets) running the same
# keyword and entropy plugins: when both report a heuristic hit, that is one engine seen twice, not a
# second opinion. Agreement needs two engines.
ENGINES: Mapping[str, str] = MappingProxyType({"checkov": "detect-secrets"})
# Bandit's B105 to B107 (hard-coded password) are kind `code`, rated low by Bandit, and not merged with
# secrets: they neither get lowered nor agree. They key on the same variable-name words as the keyword
# plugins (`SECRET_KEY = "…"`), so their agreement with one would say nothing new.
LOWERED_TO = Severity.MEDIUM


def apply(findings: Sequence[Finding], enabled: bool = True) -> list[Finding]:
    """The findings with each secret only one tool's generic heuristics saw lowered to `LOWERED_TO`.

    Runs after `dedupe.merge`, so a finding's `also` lists every other report of the same secret. A
    secret keeps its severity when a second tool saw it or when any report is a provider-specific
    rule. The fingerprint is not built from the severity, so baselines keep matching.
    """
    return [_lowered(f) if enabled else f for f in findings]


def heuristic(tool: str, rule_id: str) -> bool:
    """Whether `rule_id` of `tool` is one of the generic heuristics of `HEURISTIC_RULES`."""
    return rule_id in HEURISTIC_RULES.get(tool, frozenset())


def _lowered(finding: Finding) -> Finding:
    if finding.kind is not Kind.SECRET or finding.severity <= LOWERED_TO:
        return finding
    reports = list(
        dict.fromkeys([(finding.tool, finding.rule_id), *((s.tool, s.rule_id) for s in finding.also)])
    )
    if not all(heuristic(tool, rule) for tool, rule in reports):
        return finding
    if len({ENGINES.get(tool, tool) for tool, _ in reports}) > 1:
        return finding
    note = SeverityNote(finding.severity, _reason(reports))
    return replace(finding, severity=LOWERED_TO, severity_note=note)


def _reason(reports: list[tuple[str, str]]) -> str:
    """ "only a generic heuristic (detect-secrets Secret Keyword) saw it, no second tool agreed"."""
    tools = list(dict.fromkeys(tool for tool, _ in reports))
    which = "a generic heuristic" if len(reports) == 1 else "generic heuristics"
    if len(tools) == 1:
        seen = f"{tools[0]} {', '.join(rule for _, rule in reports)}"
    else:
        seen = "; ".join(f"{tool} {rule}" for tool, rule in reports) + ", one engine: Checkov's is a fork"
    return f"only {which} ({seen}) saw it, no second tool agreed"
