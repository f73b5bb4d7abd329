"""Less noise by agreement: a secret only one tool's generic heuristic saw is medium, and says why."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mergeguard.core import config
from mergeguard.core.changes import ChangeSet, Mode
from mergeguard.core.errors import ConfigError
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.core.policy import decide
from mergeguard.core.sources import SourceLines
from mergeguard.report import json_report, sarif
from mergeguard.report.markdown import render_comment, render_summary
from mergeguard.scan import agreement, dedupe, fingerprints
from mergeguard.scan.pipeline import ScanRequest, ScanResult, scan
from mergeguard.scanners.commands import find_executable
from tests.gitutil import GitTree

KEYWORD_ONLY = "only a generic heuristic (detect-secrets Secret Keyword) saw it, no second tool agreed"


def secret(
    tool: str, rule: str, line: int = 3, path: str = ".env", severity: Severity = Severity.HIGH
) -> Finding:
    return Finding(tool, rule, severity, rule, "m", Location(path, line), Kind.SECRET, evidence="ab" * 20)


def agreed(*findings: Finding, enabled: bool = True) -> list[Finding]:
    merged, _ = dedupe.merge(findings)
    return agreement.apply(merged, enabled)


def test_a_secret_only_a_keyword_heuristic_saw_is_medium_with_its_reason() -> None:
    (one,) = agreed(secret("detect-secrets", "Secret Keyword"))
    assert one.severity is Severity.MEDIUM
    assert one.severity_note is not None
    assert one.severity_note.original is Severity.HIGH
    assert one.severity_note.reason == KEYWORD_ONLY
    assert one.severity_note.text == f"lowered from high: {KEYWORD_ONLY}"


def test_a_second_tool_that_agrees_keeps_the_severity() -> None:
    (one,) = agreed(secret("detect-secrets", "Secret Keyword"), secret("gitleaks", "generic-api-key"))
    assert one.tools == ("detect-secrets", "gitleaks")
    assert (one.severity, one.severity_note) == (Severity.HIGH, None)


def test_two_heuristics_of_one_tool_are_not_a_second_opinion() -> None:
    (one,) = agreed(
        secret("detect-secrets", "Hex High Entropy String"), secret("detect-secrets", "Secret Keyword")
    )
    assert one.severity is Severity.MEDIUM
    assert one.severity_note is not None
    assert (
        "generic heuristics (detect-secrets Hex High Entropy String, Secret Keyword)"
        in one.severity_note.reason
    )


def test_checkovs_fork_of_detect_secrets_is_the_same_engine_not_a_second_opinion() -> None:
    (one,) = agreed(secret("detect-secrets", "Secret Keyword"), secret("checkov", "CKV_SECRET_10"))
    assert set(one.tools) == {"checkov", "detect-secrets"}
    assert one.severity is Severity.MEDIUM
    assert one.severity_note is not None
    assert "one engine" in one.severity_note.reason
    (two,) = agreed(secret("checkov", "CKV_SECRET_10"), secret("gitleaks", "generic-api-key"))
    assert (two.severity, two.severity_note) == (Severity.HIGH, None)


def test_the_table_names_heuristics_per_tool() -> None:
    assert agreement.heuristic("checkov", "CKV_SECRET_6") and agreement.heuristic(
        "gitleaks", "generic-api-key"
    )
    assert not agreement.heuristic("checkov", "CKV_SECRET_2")  # AWS access key
    assert not agreement.heuristic("trufflehog", "Secret Keyword")  # a tool the table does not know


@pytest.mark.parametrize(
    ("tool", "rule", "severity"),
    [
        ("detect-secrets", "AWS Access Key", Severity.HIGH),
        ("detect-secrets", "Private Key", Severity.CRITICAL),
        ("gitleaks", "github-pat", Severity.HIGH),
        ("gitleaks", "private-key", Severity.CRITICAL),
        ("trivy-secret", "aws-access-key-id", Severity.CRITICAL),
        ("checkov", "CKV_SECRET_14", Severity.HIGH),  # Slack token
    ],
)
def test_a_provider_specific_rule_alone_keeps_its_severity(tool: str, rule: str, severity: Severity) -> None:
    (one,) = agreed(secret(tool, rule, severity=severity))
    assert (one.severity, one.severity_note) == (severity, None)


def test_a_provider_rule_keeps_the_heuristics_of_the_same_tool_on_its_line() -> None:
    (one,) = agreed(secret("detect-secrets", "Secret Keyword"), secret("detect-secrets", "AWS Access Key"))
    assert (one.severity, one.severity_note) == (Severity.HIGH, None)


def test_only_secrets_above_medium_are_touched() -> None:
    code = Finding("bandit", "B105", Severity.HIGH, "t", "m", Location("a.py", 3), Kind.CODE)
    low = secret("detect-secrets", "Secret Keyword", severity=Severity.LOW)
    assert agreed(code, low) == [code, low]


def test_the_switch_turns_it_off() -> None:
    finding = secret("detect-secrets", "Secret Keyword")
    assert agreed(finding, enabled=False) == [finding]


def test_the_fingerprint_does_not_change(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=1\nB=2\nDB_PASSWORD=x\n")
    merged, _ = dedupe.merge([secret("detect-secrets", "Secret Keyword"), secret("gitleaks", "jwt", 1)])
    on = fingerprints.assign(agreement.apply(merged, True), tmp_path)
    off = fingerprints.assign(agreement.apply(merged, False), tmp_path)
    assert [f.severity for f in on] != [f.severity for f in off]
    assert [f.fingerprint for f in on] == [f.fingerprint for f in off]


def test_the_config_switch_is_read_strictly(tmp_path: Path) -> None:
    path = tmp_path / ".mergeguard.yml"
    assert config.Config().secret_agreement is True
    path.write_text("fail-on: high\nsecret-agreement: false\n")
    assert config.load(path, ()).secret_agreement is False
    path.write_text("fail-on: high\nsecret-agreement: sometimes\n")
    with pytest.raises(ConfigError) as caught:
        config.load(path, ())
    assert str(caught.value).startswith(f"{path}:2: secret-agreement: ")
    assert "true or false" in str(caught.value)


# --- the reports say why -----------------------------------------------------------------------


def lowered_result(tmp_path: Path) -> ScanResult:
    findings = fingerprints.assign(agreed(secret("detect-secrets", "Secret Keyword")), tmp_path)
    outcomes = (ScanOutcome("detect-secrets", Status.OK, tuple(findings), version="1.5.0"),)
    changes, settings = ChangeSet(tmp_path, Mode.ALL, ()), config.Config()
    return ScanResult(changes, outcomes, decide(findings, outcomes, changes, settings), settings)


def test_the_json_report_says_why_the_severity_was_lowered(tmp_path: Path) -> None:
    (row,) = json_report.build(lowered_result(tmp_path))["findings"]
    assert (row["severity"], row["blocking"]) == ("medium", False)
    assert row["severity_note"] == {
        "original": "high",
        "reason": KEYWORD_ONLY,
        "text": f"lowered from high: {KEYWORD_ONLY}",
    }
    assert "severity_note" not in json_report.finding_dict(secret("gitleaks", "jwt"))


def test_the_comment_and_summary_say_why(tmp_path: Path) -> None:
    result = lowered_result(tmp_path)
    for text in (render_comment(result), render_summary(result)):
        # escaped as every tool text is: the parentheses become entities
        assert (
            "<sub>lowered from high: only a generic heuristic &#40;detect-secrets Secret Keyword&#41;" in text
        )
        assert "1 secret lowered to medium: only one tool's generic heuristic saw it" in text


def test_sarif_carries_the_reason_in_the_result_properties(tmp_path: Path) -> None:
    doc = sarif.build_sarif(lowered_result(tmp_path))
    (result,) = doc["runs"][0]["results"]
    assert result["properties"]["severityNote"] == f"lowered from high: {KEYWORD_ONLY}"
    assert result["level"] == sarif.level(Severity.MEDIUM)


# --- real scanners ----------------------------------------------------------------------------

TOOLS = ("detect-secrets", "gitleaks", "trivy-secret")
AWS_KEY_ID = "AKIA" + "QYLPMN5HFIUJXZ2K"  # fake, shaped like a real one


@pytest.mark.scanner
def test_real_scanners_a_keyword_alone_is_medium_an_aws_key_several_tools_saw_still_blocks(
    tmp_path: Path,
) -> None:
    missing = [tool for tool in ("detect-secrets", "gitleaks", "trivy") if find_executable(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (make install)")
    tree = GitTree(tmp_path / "repo")
    tree.write(".env", "DB_HOST=db\nDB_PASSWORD=changeme-please\n")
    tree.write("credentials.ini", f"[default]\naws_access_key_id = {AWS_KEY_ID}\n")
    tree.commit()
    on = scan(ScanRequest(tree.root, scanners=TOOLS), config.Config())
    off = scan(ScanRequest(tree.root, scanners=TOOLS), replace(config.Config(), secret_agreement=False))
    assert [o.status for o in on.outcomes if o.scanner in TOOLS] == [Status.OK] * 3
    by_path = {a.finding.location.path: a for a in on.decision.assessed}
    keyword, aws = by_path[".env"], by_path["credentials.ini"]
    assert (keyword.finding.tools, keyword.finding.severity, keyword.blocking) == (
        ("detect-secrets",),
        Severity.MEDIUM,
        False,
    )
    assert keyword.finding.severity_note is not None
    assert keyword.finding.severity_note.reason == KEYWORD_ONLY
    assert set(aws.finding.tools) == set(TOOLS)
    assert aws.finding.severity >= Severity.HIGH and aws.blocking and aws.finding.severity_note is None
    before = {a.finding.location.path: a for a in off.decision.assessed}
    assert before[".env"].finding.severity is Severity.HIGH and before[".env"].blocking
    assert len(off.decision.blocking) - len(on.decision.blocking) == 1
    assert {a.finding.fingerprint for a in on.decision.assessed} == {
        a.finding.fingerprint for a in off.decision.assessed
    }


SHA512 = (
    "e09fa32f0a0eab2b879ccbbc4d0e4fb9751486eedda75e35fac65802cc9faa26"
    "6425edf83e261137a2f4d16281ce2c1a5f4502930fe75154723da014214f0655"
)  # nginx's signing key checksum, as docker-library/nginx publishes it


@pytest.mark.parametrize(
    ("line", "lowered"),
    [
        (f'KEY_SHA512="{SHA512}"', True),
        (f"ENV NODE_CHECKSUM {SHA512[:64]}", True),
        (f"sha256sums=('{SHA512[:64]}')", True),
        (f'API_KEY="{SHA512[:64]}"', False),  # a hex credential under a credential's name
        (f'CONSUMER_SECRET="{SHA512[:64]}"', False),  # "sum" inside a word is no checksum's name
        (f'KEY_SHA512="{SHA512[:63]}"', False),  # no digest's length
        (f"    checksum/secret: {SHA512[:64]}", True),  # Helm's restart-on-change annotation
        ("ENV GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D", True),  # Python's release manager's
        ("export NODE_GPG_KEYS='0x4ED778F539E3634C'", True),
        ("API_TOKEN=A035C8C19219BA821ECEA86B64E628F8D684696D", False),  # hex under a credential's name
        ("GPG_PASSPHRASE=A035C8C19219BA821ECEA86B64E628F8D684696D1", False),  # no fingerprint's length
        # A red team's: the rule speaks for its own value, not for a password beside it on the line.
        ('API_TOKEN="q8ZrT3vN6yB1xK5wQ2mJ7pL4" # rotated, gpg 3AA5C34371567BD2', False),
        ("export GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D DB_PASSWORD=Vq7zL2pX9wK4", False),
        (f"export APP_SHA256={SHA512[:64]} API_TOKEN=q8ZrT3vN6yB1xK5wQ2mJ7pL4", False),
        ("ENV GPG_PASSWORD=A035C8C19219BA821ECEA86B64E628F8D684696D", False),  # a password under GPG
    ],
)
def test_a_checksum_or_a_pgp_fingerprint_generic_heuristics_saw_is_medium(
    line: str, lowered: bool, tmp_path: Path
) -> None:
    (tmp_path / "install.sh").write_text(f"#!/bin/sh\n{line}\n")
    seen = [
        secret("detect-secrets", "Hex High Entropy String", 2, "install.sh"),
        secret("gitleaks", "generic-api-key", 2, "install.sh"),
    ]
    merged, _ = dedupe.merge(seen)
    (one,) = agreement.apply(merged, True, SourceLines(tmp_path))
    assert one.severity is (Severity.MEDIUM if lowered else Severity.HIGH)
    if lowered:
        assert one.severity_note is not None and one.severity_note.reason.startswith(
            ("a checksum (", "a public PGP")
        )
    provider = agreement.apply(
        [secret("gitleaks", "aws-access-token", 2, "install.sh")], True, SourceLines(tmp_path)
    )
    assert provider[0].severity is Severity.HIGH  # a provider's format is never taken for a checksum
