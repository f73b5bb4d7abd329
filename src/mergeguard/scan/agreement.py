"""Less noise by agreement: a secret that only one tool's generic heuristic saw is lowered to medium."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from mergeguard.core.model import Finding, Kind, Severity, SeverityNote
from mergeguard.core.sources import SourceLines
from mergeguard.scan import registry

# Each tool declares its generic secret heuristics (`Tool.secret_heuristics`): rules that fire on any
# random-looking string or on a word like "password" next to a value, not on one provider's credential
# format. Every rule not declared (AWS key ids, GitHub tokens, private keys, Slack, Stripe, …, and any
# tool not registered) is provider-specific, and keeps its severity on its own. A tool whose detection
# engine is a fork of another's (`Tool.engine`) counts as that engine: one engine seen twice is not a
# second opinion, and agreement needs two engines.
# Bandit's B105 to B107 (hard-coded password) are kind `code`, rated low by Bandit, and not merged with
# secrets: they neither get lowered nor agree. They key on the same variable-name words as the keyword
# plugins (`SECRET_KEY = "…"`), so their agreement with one would say nothing new.
LOWERED_TO = Severity.MEDIUM
# A hex digest (MD5 to SHA-512) given to a name that says it is one: `KEY_SHA512="e09f…"`,
# `sha256sum: 4f2a…`, `ENV NODE_CHECKSUM 9c1b…` (generic entropy rules see a random string).
_DIGEST_WORD = r"(?:sha(?:1|224|256|384|512)?(?:sums?)?|md5(?:sums?)?|checksums?|digest|hash|sums?)"
# Helm's `checksum/config: 4f2a…` annotation (the rendered config's sha256) names its parts with `/`.
_CHECKSUM = re.compile(
    rf"\b((?:[a-z0-9]+[_./-])*{_DIGEST_WORD}(?:[_./-][a-z0-9]+)*)"  # the word a part of the name
    r"[\"']?\s*[:=\s]\s*[(\"']*\s*"
    r"([0-9a-f]{128}|[0-9a-f]{96}|[0-9a-f]{64}|[0-9a-f]{56}|[0-9a-f]{40}|[0-9a-f]{32})(?![0-9a-z])",
    re.IGNORECASE,
)
# A PGP key's fingerprint or long id given to a GPG/PGP name (`ENV GPG_KEY=A035C8C1…`, in every
# official Python image): public, as keyservers publish them.
_FINGERPRINT = re.compile(
    r"\b((?:[a-z0-9]+[_./-])*(?:gpg|pgp)(?:[_./-](?!pass|pwd|secret|token)[a-z0-9]+)*)"
    r"[\"']?\s*[:=\s]\s*[(\"']*\s*(?:0x)?([0-9a-f]{40}|[0-9a-f]{16})(?![0-9a-z])",
    re.IGNORECASE,
)


# A credential's name holds one of these words (`DB_PASSWORD`, `api_key`; `scan.namedvalues` too).
_CREDENTIAL_WORD = r"(?:pass|pwd|secret|token|key|auth|cred)"
_CREDENTIAL_NAME = re.compile(_CREDENTIAL_WORD, re.IGNORECASE)
# What else on a line could be a secret, once the value a rule explains away is taken out of it: a
# value given to a credential's name (`DB_PASSWORD="…"`, `api_key: …`), or a run of 12 or more
# characters with letters and digits mixed (two of each at least, as a generated secret has).
_CREDENTIAL_VALUE = re.compile(
    rf"{_CREDENTIAL_WORD}[\w.-]*[\"']?\s*[:=]\s*[\"']?[^\s\"',;]{{6,}}", re.IGNORECASE
)
_RUN = re.compile(r"[A-Za-z0-9+/_=#!@$%^&*~-]{12,}")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s@\"';]*", re.IGNORECASE)  # one with no credentials in it


def credential_name(name: str) -> bool:
    """Whether `name` is a credential's, as `holds_more` reads one: `DB_PASSWORD`, `api_key`."""
    return _CREDENTIAL_NAME.search(name) is not None


def holds_more(rest: str) -> bool:
    """Whether `rest`, a line without the value a rule explained away, still holds what a secret
    could be: the rule then speaks for that value only, not for every report on the line."""
    if _CREDENTIAL_VALUE.search(rest):
        return True
    rest = _URL.sub("", rest)
    return any(
        sum(c.isdigit() for c in run) >= 2 and sum(c.isalpha() for c in run) >= 2
        for run in _RUN.findall(rest)
    )


def apply(
    findings: Sequence[Finding], enabled: bool = True, sources: SourceLines | None = None
) -> list[Finding]:
    """The findings with each secret only one tool's generic heuristics saw lowered to `LOWERED_TO`,
    and each that generic heuristics alone saw on a checksum (a hex digest given to a name such as
    `KEY_SHA512`, read from its line in `sources`) or on a PGP key's fingerprint given to a GPG/PGP
    name, however many tools saw it.

    Runs after `dedupe.merge`, so a finding's `also` lists every other report of the same secret. A
    secret keeps its severity when a second tool saw it or when any report is a provider-specific
    rule. The fingerprint is not built from the severity, so baselines keep matching.
    """
    if not enabled:
        return list(findings)
    return [_lowered(f, sources) for f in findings]


def heuristic(tool: str, rule_id: str) -> bool:
    """Whether `rule_id` of `tool` is one of the generic heuristics its declaration lists."""
    declared = registry.TOOLS.get(tool)
    return declared is not None and rule_id in declared.secret_heuristics


def _engine(tool: str) -> str:
    """The detection engine `tool` runs: its own, or the one its declaration says it is a fork of."""
    declared = registry.TOOLS.get(tool)
    return declared.engine if declared is not None and declared.engine else tool


def _engine_notes(tools: list[str]) -> str:
    """ ", one engine: Checkov's is a fork" for the forks among `tools`."""
    notes = [t.engine_note for t in (registry.TOOLS.get(name) for name in tools) if t and t.engine_note]
    return f", one engine: {'; '.join(notes)}" if notes else ""


def _lowered(finding: Finding, sources: SourceLines | None) -> Finding:
    if finding.kind is not Kind.SECRET or finding.severity <= LOWERED_TO:
        return finding
    reports = list(
        dict.fromkeys([(finding.tool, finding.rule_id), *((s.tool, s.rule_id) for s in finding.also)])
    )
    if not all(heuristic(tool, rule) for tool, rule in reports):
        return finding
    line = sources.line(finding.location.path, finding.location.start_line) if sources else ""
    if (checksum := _CHECKSUM.search(line)) and not holds_more(_without(line, checksum)):
        name, digits = checksum.group(1), len(checksum.group(2))
        reason = f"a checksum ({digits} hex digits given to {name}), seen only by generic heuristics"
        return replace(finding, severity=LOWERED_TO, severity_note=SeverityNote(finding.severity, reason))
    if (key := _FINGERPRINT.search(line)) and not holds_more(_without(line, key)):
        reason = f"a public PGP key's fingerprint (given to {key.group(1)}), seen only by generic heuristics"
        return replace(finding, severity=LOWERED_TO, severity_note=SeverityNote(finding.severity, reason))
    if len({_engine(tool) for tool, _ in reports}) > 1:
        return finding
    note = SeverityNote(finding.severity, _reason(reports))
    return replace(finding, severity=LOWERED_TO, severity_note=note)


def _without(line: str, match: re.Match[str]) -> str:
    return line[: match.start()] + line[match.end() :]


def _reason(reports: list[tuple[str, str]]) -> str:
    """ "only a generic heuristic (detect-secrets Secret Keyword) saw it, no second tool agreed"."""
    tools = list(dict.fromkeys(tool for tool, _ in reports))
    which = "a generic heuristic" if len(reports) == 1 else "generic heuristics"
    if len(tools) == 1:
        seen = f"{tools[0]} {', '.join(rule for _, rule in reports)}"
    else:
        seen = "; ".join(f"{tool} {rule}" for tool, rule in reports) + _engine_notes(tools)
    return f"only {which} ({seen}) saw it, no second tool agreed"
