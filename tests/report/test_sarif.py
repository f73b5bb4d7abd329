"""Tests for the SARIF writer: GitHub's rules and limits, the official schema, the Multitool, goldens."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import random
import re
import subprocess
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema  # type: ignore[import-untyped]
import pytest

from mergeguard.core import policy
from mergeguard.core.baseline import BaselineEntry
from mergeguard.core.changes import ChangeSet, CommitRange, Mode
from mergeguard.core.config import Config
from mergeguard.core.gitrepo import Repo
from mergeguard.core.model import Finding, Kind, Location, Package, Severity, Sighting
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.core.policy import Assessed, Decision, FindingStatus, Verdict
from mergeguard.report import sarif_json
from mergeguard.report.sarif import (
    FINGERPRINT_KEY,
    MAX_RESULTS,
    MAX_TAGS,
    build_sarif,
    category,
    dumps_sarif,
    gzipped_size,
    level,
)
from mergeguard.scan import fingerprints
from mergeguard.scan.pipeline import ScanResult
from mergeguard.scan.registry import REGISTRY
from mergeguard.scanners.base import ToolOutput
from tests.golden import FIXTURES, case_target

REPO = Path(__file__).parents[2]
SCHEMA_FILE = REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json"
MULTITOOL = REPO / ".venv/node/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
GOLDEN = FIXTURES / "sarif"
# What the version probe says for each pinned scanner (scanners.lock).
VERSIONS = {
    "bandit": "1.9.4",
    "checkov": "3.3.30",
    "detect-secrets": "1.5.0",
    "gitleaks": "8.30.1",
    "hadolint": "2.15.1",
    "trivy-config": "0.76.0",
    "trivy-secret": "0.76.0",
    "trivy-image": "0.76.0",
    "trivy-deps": "0.76.0",
    "pip-audit": "2.10.1",
    "compose-check": "0.1.0",
}
ODD_PATH = "deploy/my keys/#1 100% ünïcode.env"  # a space, non-ASCII, `#` and `%`
# SARIF2006 would GET every URI in the document: off, so the test makes no network connection.
MULTITOOL_CONFIG = """<?xml version="1.0" encoding="utf-8"?>
<Properties>
  <Properties Key="SARIF2006.UrisShouldBeReachable.Options">
    <Property Key="RuleEnabled" Value="Disabled" />
  </Properties>
</Properties>
"""


# --- building scan results by hand -----------------------------------------------------------------


def finding(tool: str, rule: str, severity: Severity, path: str, line: int, **fields: Any) -> Finding:
    """A finding with a title, message and unique fingerprint; `fields` override the rest."""
    digest = hashlib.sha256(f"{tool}|{rule}|{path}|{line}".encode()).hexdigest()[:32]
    where = Location(path, line, column=fields.pop("column", None))
    base = Finding(tool, rule, severity, f"{rule} title", f"{rule} message", where, Kind.CODE)
    return replace(base, fingerprint=digest, **fields)


def ok(tool: str) -> ScanOutcome:
    return ScanOutcome(tool, Status.OK, version=VERSIONS[tool])


def scan_result(
    assessed: Sequence[Assessed],
    outcomes: Sequence[ScanOutcome],
    *,
    prefix: str = "",
    commits: CommitRange | None = None,
) -> ScanResult:
    repo = Repo(Path("/work/repo"), prefix)
    mode = Mode.ALL if commits is None else Mode.CHANGED
    changes = ChangeSet(repo.top / prefix, mode, (), repo=repo, commit_range=commits)
    failed = tuple(o for o in outcomes if o.status is Status.FAILED)
    decision = Decision(Verdict.FAIL, tuple(assessed), failed, 0, "as the test says")
    return ScanResult(changes, tuple(outcomes), decision, Config())


ACCEPTED = BaselineEntry(
    "f" * 32, "hadolint", "DL3008", "Dockerfile", "apt pins come from the base image", "ana"
)
EXPIRED = replace(ACCEPTED, reason="until the migration", expires=dt.date(2024, 1, 31))


def mixed() -> ScanResult:
    """Several tools, a merged duplicate, accepted and expired findings, a failed and a skipped scanner."""
    settings = "app/settings.py"
    merged = finding("bandit", "B105", Severity.HIGH, settings, 8, cwe_ids=("CWE-259",), kind=Kind.SECRET)
    merged = replace(
        merged, also=(Sighting("detect-secrets", "Secret Keyword"), Sighting("gitleaks", "generic"))
    )
    assessed = [
        Assessed(merged, FindingStatus.NEW, True),
        Assessed(
            finding("bandit", "B602", Severity.HIGH, "app/views.py", 33, column=14), FindingStatus.NEW, True
        ),
        Assessed(finding("bandit", "B999", Severity.UNKNOWN, "app/views.py", 40), FindingStatus.NEW, False),
        Assessed(
            finding("gitleaks", "aws-access-token", Severity.CRITICAL, ODD_PATH, 4, kind=Kind.SECRET),
            FindingStatus.NEW,
            True,
        ),
        Assessed(
            finding("hadolint", "DL3008", Severity.MEDIUM, "Dockerfile", 6),
            FindingStatus.ACCEPTED,
            False,
            ACCEPTED,
        ),
        Assessed(finding("hadolint", "DL3059", Severity.INFO, "Dockerfile", 9), FindingStatus.NEW, False),
        Assessed(
            finding("trivy-config", "DS-0002", Severity.HIGH, "Dockerfile", 1),
            FindingStatus.EXPIRED,
            True,
            EXPIRED,
        ),
        Assessed(
            finding("trivy-config", "DS-0026", Severity.LOW, "Dockerfile", 1),
            FindingStatus.PRE_EXISTING,
            False,
        ),
    ]
    outcomes = [
        ok("bandit"),
        ScanOutcome("checkov", Status.FAILED, reason="timed out after 600s", version="3.3.30"),
        ok("detect-secrets"),  # its only sighting was merged into Bandit's finding
        ok("gitleaks"),
        ok("hadolint"),
        ok("trivy-config"),
        ScanOutcome("trivy-secret", Status.SKIPPED, reason="not selected"),
    ]
    return scan_result(assessed, outcomes)


def golden_results() -> dict[str, ScanResult]:
    """The documents kept as golden files: one result; an accepted result beside a failed scanner."""
    b602 = finding("bandit", "B602", Severity.HIGH, "app/views.py", 33, column=14, cwe_ids=("CWE-78",))
    b602 = replace(
        b602,  # the texts as Bandit 1.9.4 reports them (tests/fixtures/bandit/flask-app.report)
        title="subprocess popen with shell equals true",
        message="subprocess call with shell=True identified, security issue. (confidence: high)",
        help_uri="https://bandit.readthedocs.io/en/1.9.4/plugins/b602_subprocess_popen_with_shell_equals_true.html",
    )
    secret = finding("gitleaks", "generic-api-key", Severity.HIGH, ".env", 4, kind=Kind.SECRET, column=1)
    secret = replace(
        secret,  # the texts as Gitleaks 8.30.1 reports them (tests/fixtures/gitleaks/secrets.report)
        title="Detected a Generic API Key",
        message="Detected a Generic API Key, potentially exposing access to various services and sensitive "
        "operations.",
        cwe_ids=("CWE-798",),
    )
    entry = BaselineEntry(
        secret.fingerprint, "gitleaks", "generic-api-key", ".env", "a local dev value", "ana"
    )
    failed = ScanOutcome("checkov", Status.FAILED, reason="exited 2: unparseable output", version="3.3.30")
    return {
        "one-result": scan_result([Assessed(b602, FindingStatus.NEW, True)], [ok("bandit")]),
        "accepted-and-failed": scan_result(
            [Assessed(secret, FindingStatus.ACCEPTED, False, entry)], [ok("gitleaks"), failed, ok("hadolint")]
        ),
    }


def many(count: int, tool: str = "bandit", message: str = "m", start: int = 0) -> list[Assessed]:
    """`count` findings cycling through every severity, each with its own rule id."""
    levels = list(Severity)
    return [
        Assessed(
            finding(
                tool, f"R{i}", levels[i % len(levels)], f"src/m{i % 97}.py", i % 400 + 1, message=message
            ),
            FindingStatus.NEW,
            False,
        )
        for i in range(start, start + count)
    ]


# --- building scan results from the recorded real outputs ------------------------------------------


def fixture_cases() -> list[tuple[str, str]]:
    return [(name, report.stem) for name in REGISTRY for report in sorted((FIXTURES / name).glob("*.report"))]


def fixture_result(cases: Sequence[tuple[str, str]], workdir: Path, *, nest: bool = False) -> ScanResult:
    """The scan result of the adapters' parse of recorded reports, through the real policy."""
    found: dict[str, list[Finding]] = {}
    for name, case in cases:
        scanner = REGISTRY[name]
        target = case_target(scanner, case, workdir)
        report = (FIXTURES / name / f"{case}.report").read_text(encoding="utf-8")
        parsed = fingerprints.assign(scanner.parse(ToolOutput(report), target), target.root)
        if nest:  # several cases side by side, as directories of one repository
            parsed = [
                replace(f, location=replace(f.location, path=f"{case}/{f.location.path}")) for f in parsed
            ]
        found.setdefault(name, []).extend(parsed)
    outcomes = [ScanOutcome(n, Status.OK, tuple(fs), version=VERSIONS[n]) for n, fs in found.items()]
    changes = ChangeSet(FIXTURES, Mode.ALL, ())
    findings = [f for o in outcomes for f in o.findings]
    return ScanResult(
        changes, tuple(outcomes), policy.decide(findings, outcomes, changes, Config()), Config()
    )


def documents(workdir: Path) -> dict[str, dict[str, Any]]:
    """Every kind of document the writer makes, each built from hand-made or recorded real input."""
    docs = {"mixed": build_sarif(mixed()), "trimmed": trimmed()}
    docs["subdirectory"] = build_sarif(
        scan_result(mixed().decision.assessed, mixed().outcomes, prefix="svc/api/")
    )
    docs.update({name: build_sarif(result) for name, result in golden_results().items()})
    for name, case in fixture_cases():
        docs[f"{name}-{case}"] = build_sarif(fixture_result([(name, case)], workdir))
    docs["all-fixtures"] = build_sarif(fixture_result(fixture_cases(), workdir, nest=True))
    return docs


def trimmed() -> dict[str, Any]:
    """A document cut down by both limits (made small here, so the checks stay quick)."""
    found = many(120, "bandit", message="x" * 200) + many(60, "hadolint", message="y" * 200, start=1000)
    return build_sarif(
        scan_result(found, [ok("bandit"), ok("hadolint")]), max_results=100, max_gzip_bytes=6000
    )


def run_of(doc: dict[str, Any], tool: str) -> dict[str, Any]:
    (run,) = [r for r in doc["runs"] if r["automationDetails"]["id"] == category(tool)]
    found: dict[str, Any] = run
    return found


def result_for(doc: dict[str, Any], tool: str, rule: str) -> dict[str, Any]:
    (result,) = [r for r in run_of(doc, tool)["results"] if r["ruleId"] == rule]
    found: dict[str, Any] = result
    return found


def rule_of(run: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = run["tool"]["driver"]["rules"][result["ruleIndex"]]
    return rule


@pytest.fixture(scope="module")
def all_documents(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return documents(tmp_path_factory.mktemp("workdir"))


# --- runs, categories, tools -------------------------------------------------------------------------


def test_one_run_per_scanner_that_ran_none_for_a_skipped_or_failed_one() -> None:
    doc = build_sarif(mixed())
    ids = [run["automationDetails"]["id"] for run in doc["runs"]]
    tools = ["bandit", "detect-secrets", "gitleaks", "hadolint", "trivy-config"]  # checkov failed
    assert ids == [f"mergeguard/{tool}/" for tool in tools]
    assert [run["tool"]["driver"]["name"] for run in doc["runs"]] == [f"mergeguard/{tool}" for tool in tools]


def test_run_keys_are_unique_in_every_document(all_documents: dict[str, dict[str, Any]]) -> None:
    """GitHub rejects a file with two runs of the same tool and category (since July 2025)."""
    for name, doc in all_documents.items():
        keys = [(run["tool"]["driver"]["name"], run["automationDetails"]["id"]) for run in doc["runs"]]
        assert len(keys) == len(set(keys)), name
        assert len(doc["runs"]) <= 20, name


def test_categories_and_locations_carry_no_commit_and_stay_stable_across_commits() -> None:
    base = mixed()
    head = "c0ffee" + "1" * 34
    secret = finding("gitleaks", "github-pat", Severity.HIGH, "tmp.py", 1, commit=head, kind=Kind.SECRET)
    in_pr = scan_result([*base.decision.assessed, Assessed(secret, FindingStatus.NEW, True)], base.outcomes)
    in_pr = replace(in_pr, changes=replace(in_pr.changes, commit_range=CommitRange("a" * 40, head, 1)))
    doc = build_sarif(in_pr)
    ids = [run["automationDetails"]["id"] for run in doc["runs"]]
    assert ids == [run["automationDetails"]["id"] for run in build_sarif(base)["runs"]]
    uris = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for run in doc["runs"]
        for r in run["results"]
    ]
    assert not [text for text in ids + uris if head in text or "sha256" in text]
    assert result_for(doc, "gitleaks", "github-pat")["properties"]["commit"] == head


def test_the_tool_version_is_the_scanners() -> None:
    driver = run_of(build_sarif(mixed()), "hadolint")["tool"]["driver"]
    assert (driver["version"], driver["semanticVersion"]) == ("2.15.1", "2.15.1")
    assert driver["informationUri"].startswith("https://")


def test_an_ok_scanner_without_results_still_has_its_run() -> None:
    """An empty run is what tells code scanning that earlier alerts of that tool are fixed."""
    run = run_of(build_sarif(mixed()), "detect-secrets")
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []
    assert run["invocations"] == [{"executionSuccessful": True}]


def test_a_failed_scanner_gets_no_run_so_its_alerts_are_not_closed() -> None:
    """An empty run would tell code scanning the tool's alerts are fixed; without one they stand."""
    doc = build_sarif(mixed())
    failed = [o.scanner for o in mixed().outcomes if o.status is Status.FAILED]
    assert failed == ["checkov"]
    assert all(run["tool"]["driver"]["name"] != "mergeguard/checkov" for run in doc["runs"])


def test_a_changed_files_scan_has_categories_of_its_own() -> None:
    partial = mixed()
    partial = replace(
        partial,
        changes=replace(partial.changes, mode=Mode.CHANGED, commit_range=CommitRange("a" * 40, "b" * 40, 1)),
    )
    ids = {run["automationDetails"]["id"] for run in build_sarif(partial)["runs"]}
    full = {run["automationDetails"]["id"] for run in build_sarif(mixed())["runs"]}
    assert ids == {f"{c}changed-files/" for c in full}
    assert not ids & full


# --- rules and levels ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "expected_level", "band"),
    [
        (Severity.CRITICAL, "error", (9.0, 10.0)),
        (Severity.HIGH, "error", (7.0, 8.9)),
        (Severity.MEDIUM, "warning", (4.0, 6.9)),
        (Severity.LOW, "note", (0.1, 3.9)),
        (Severity.INFO, "note", None),
        (Severity.UNKNOWN, "note", None),
    ],
)
def test_level_and_security_severity(
    severity: Severity, expected_level: str, band: tuple[float, float] | None
) -> None:
    found = [Assessed(finding("bandit", "R1", severity, "a.py", 3), FindingStatus.NEW, False)]
    run = build_sarif(scan_result(found, [ok("bandit")]))["runs"][0]
    (result,) = run["results"]
    rule = rule_of(run, result)
    assert level(severity) == result["level"] == rule["defaultConfiguration"]["level"] == expected_level
    score = rule["properties"].get("security-severity")
    if band is None:
        assert score is None  # GitHub then shows the level; "0.0" has been seen shown as "Error"
    else:
        assert isinstance(score, str) and band[0] <= float(score) <= band[1]


def test_results_reference_complete_rules(all_documents: dict[str, dict[str, Any]]) -> None:
    for name, doc in all_documents.items():
        for run in doc["runs"]:
            rules = run["tool"]["driver"]["rules"]
            assert len({rule["id"] for rule in rules}) == len(rules), name
            for result in run["results"]:
                rule = rule_of(run, result)
                assert rule["id"] == result["ruleId"], name
                assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"], name
                assert rule["help"]["text"] and rule["help"]["markdown"], name
                assert rule["helpUri"].startswith("https://"), name
                assert "security" in rule["properties"]["tags"], name
                assert len(rule["properties"]["tags"]) <= MAX_TAGS, name
                assert result["message"]["text"].strip(), name


def test_a_rule_takes_its_most_severe_result_and_cwe_tags() -> None:
    low = finding("bandit", "B105", Severity.LOW, "a.py", 1, cwe_ids=("CWE-259",))
    high = finding("bandit", "B105", Severity.HIGH, "b.py", 1, cwe_ids=("CWE-798", "not-a-cwe"))
    found = [Assessed(low, FindingStatus.NEW, False), Assessed(high, FindingStatus.NEW, True)]
    run = build_sarif(scan_result(found, [ok("bandit")]))["runs"][0]
    (rule,) = run["tool"]["driver"]["rules"]
    assert rule["properties"]["security-severity"] == "8.0"
    assert rule["properties"]["tags"] == ["security", "code", "external/cwe/cwe-259", "external/cwe/cwe-798"]
    assert [r["level"] for r in run["results"]] == ["note", "error"]


def test_at_most_ten_tags() -> None:
    cwes = tuple(f"CWE-{n}" for n in range(1, 16))
    found = [
        Assessed(finding("bandit", "R", Severity.HIGH, "a.py", 1, cwe_ids=cwes), FindingStatus.NEW, True)
    ]
    (rule,) = build_sarif(scan_result(found, [ok("bandit")]))["runs"][0]["tool"]["driver"]["rules"]
    assert len(rule["properties"]["tags"]) == MAX_TAGS == 10
    assert rule["properties"]["tags"][:3] == ["security", "code", "external/cwe/cwe-1"]


def test_rule_text_shared_by_all_results_describes_the_rule_else_the_title_does() -> None:
    same = [finding("hadolint", "DL3008", Severity.MEDIUM, p, 2, message="Pin versions.") for p in ("A", "B")]
    differ = [
        finding("trivy-config", "KSV-1", Severity.HIGH, "d.yaml", n, message=f"Pod {n}") for n in (1, 2)
    ]
    found = [Assessed(f, FindingStatus.NEW, False) for f in same + differ]
    doc = build_sarif(scan_result(found, [ok("hadolint"), ok("trivy-config")]))
    hadolint, trivy = (run_of(doc, t)["tool"]["driver"]["rules"][0] for t in ("hadolint", "trivy-config"))
    assert hadolint["fullDescription"]["text"] == "Pin versions."
    assert trivy["fullDescription"]["text"] == "KSV-1 title"
    assert "Pod 1" not in json.dumps(trivy)


def test_markdown_help_escapes_tool_text_and_unsafe_help_links() -> None:
    nasty = finding(
        "bandit",
        "B1",
        Severity.HIGH,
        "a.py",
        1,
        title="[click](https://evil.example) <img src=x onerror=alert(1)> **bold**",
        help_uri="javascript:alert(1)",
    )
    (rule,) = build_sarif(scan_result([Assessed(nasty, FindingStatus.NEW, True)], [ok("bandit")]))["runs"][0][
        "tool"
    ]["driver"]["rules"]
    title = rule["help"]["markdown"].split("\n\n")[0]
    assert title == r"**\[click\]\(https://evil\.example\) \<img src=x onerror=alert\(1\)\> \*\*bold\*\***"
    assert rule["helpUri"] == "https://bandit.readthedocs.io/"  # the tool's page, not the script
    assert "javascript:" not in json.dumps(rule)


# --- results -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "prefix", "uri"),
    [
        ("app/views.py", "", "app/views.py"),
        ("services/report worker/Dockerfile.prod", "", "services/report%20worker/Dockerfile.prod"),
        (ODD_PATH, "", "deploy/my%20keys/%231%20100%25%20%C3%BCn%C3%AFcode.env"),
        ("a:b.py", "", "a%3Ab.py"),  # a colon in the first segment would read as a URI scheme
        ("Dockerfile", "svc/api/", "svc/api/Dockerfile"),
    ],
)
def test_locations_are_repo_relative_uri_references(path: str, prefix: str, uri: str) -> None:
    found = [Assessed(finding("hadolint", "DL1", Severity.LOW, path, 2), FindingStatus.NEW, False)]
    (result,) = build_sarif(scan_result(found, [ok("hadolint")], prefix=prefix))["runs"][0]["results"]
    artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact == {"uri": uri, "uriBaseId": "%SRCROOT%"}
    assert unquote(artifact["uri"]) == prefix + path


@pytest.mark.parametrize(
    ("location", "region"),
    [
        (Location("a.py", 33, 35, 14), {"startLine": 33, "endLine": 35, "startColumn": 14}),
        (Location("a.py", 7), {"startLine": 7, "endLine": 7}),
        (Location("a.py", 0, 0, 0), {"startLine": 1, "endLine": 1}),  # a whole-file finding
    ],
)
def test_regions_always_have_a_start_line(location: Location, region: dict[str, int]) -> None:
    found = [
        Assessed(
            replace(finding("bandit", "B1", Severity.LOW, "a.py", 1), location=location),
            FindingStatus.NEW,
            False,
        )
    ]
    (result,) = build_sarif(scan_result(found, [ok("bandit")]))["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == region
    assert len(result["locations"]) == 1


def test_results_carry_the_fingerprint_tools_kind_and_status() -> None:
    doc = build_sarif(mixed())
    merged = result_for(doc, "bandit", "B105")
    fingerprint = finding("bandit", "B105", Severity.HIGH, "app/settings.py", 8).fingerprint
    assert merged["partialFingerprints"] == {FINGERPRINT_KEY: fingerprint}
    props = merged["properties"]
    assert (props["tools"], props["kind"], props["status"]) == (
        ["bandit", "detect-secrets", "gitleaks"],
        "secret",
        "new",
    )
    assert (props["severity"], props["blocking"]) == ("high", True)


def test_a_merged_finding_appears_once_in_the_run_of_its_tool() -> None:
    doc = build_sarif(mixed())
    fingerprint = result_for(doc, "bandit", "B105")["partialFingerprints"][FINGERPRINT_KEY]
    seen = [
        run["automationDetails"]["id"]
        for run in doc["runs"]
        for r in run["results"]
        if r["partialFingerprints"][FINGERPRINT_KEY] == fingerprint
    ]
    assert seen == ["mergeguard/bandit/"]


def test_accepted_findings_are_suppressed_with_their_reason_expired_ones_are_not() -> None:
    doc = build_sarif(mixed())
    accepted = result_for(doc, "hadolint", "DL3008")
    assert accepted["suppressions"] == [
        {
            "kind": "external",
            "justification": "apt pins come from the base image",
            "properties": {"acceptedBy": "ana"},
        }
    ]
    expired = result_for(doc, "trivy-config", "DS-0002")
    assert "suppressions" not in expired
    assert (expired["properties"]["status"], expired["properties"]["acceptanceExpired"]) == (
        "expired",
        "2024-01-31",
    )
    assert expired["level"] == "error"


def test_an_acceptance_without_who_or_expiry_writes_no_empty_property_bag() -> None:
    entry = BaselineEntry("f" * 32, "bandit", "B1", "a.py", "")
    found = [Assessed(finding("bandit", "B1", Severity.LOW, "a.py", 1), FindingStatus.ACCEPTED, False, entry)]
    (result,) = build_sarif(scan_result(found, [ok("bandit")]))["runs"][0]["results"]
    assert result["suppressions"] == [{"kind": "external", "justification": "accepted in the baseline"}]
    assert {k for k, v in result["properties"].items() if v in (None, {}, [])} == set()


def test_vulnerability_details_go_into_properties() -> None:
    vuln = finding(
        "trivy-config",
        "CVE-2024-0001",
        Severity.CRITICAL,
        "requirements.txt",
        3,
        kind=Kind.VULNERABILITY,
        cve_ids=("CVE-2024-0001",),
        package=Package("flask", "2.0.0", "2.3.2", "pip"),
    )
    (result,) = build_sarif(scan_result([Assessed(vuln, FindingStatus.NEW, True)], [ok("trivy-config")]))[
        "runs"
    ][0]["results"]
    assert result["properties"]["cves"] == ["CVE-2024-0001"]
    assert result["properties"]["package"] == {"name": "flask", "installed": "2.0.0", "fixed": "2.3.2"}


def test_an_empty_message_falls_back_to_the_title_then_the_rule() -> None:
    found = [
        Assessed(finding("bandit", "B1", Severity.LOW, "a.py", 1, message="  "), FindingStatus.NEW, False),
        Assessed(
            finding("bandit", "B2", Severity.LOW, "a.py", 2, message="", title=""), FindingStatus.NEW, False
        ),
    ]
    results = build_sarif(scan_result(found, [ok("bandit")]))["runs"][0]["results"]
    assert [r["message"]["text"] for r in results] == ["B1 title", "B2"]


# --- GitHub's limits -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def over_the_limit() -> dict[str, Any]:
    """25,001 findings of one tool, each its own rule; the one least severe finding comes last."""
    found = [
        Assessed(
            finding("bandit", f"R{i}", Severity.HIGH if i % 2 else Severity.MEDIUM, "a.py", i + 1),
            FindingStatus.NEW,
            False,
        )
        for i in range(MAX_RESULTS)
    ]
    found.append(Assessed(finding("bandit", "LAST", Severity.LOW, "a.py", 1), FindingStatus.NEW, False))
    return build_sarif(scan_result(found, [ok("bandit")]))


def test_at_most_25000_results_per_run_the_most_severe_kept(over_the_limit: dict[str, Any]) -> None:
    (run,) = over_the_limit["runs"]
    assert len(run["results"]) == MAX_RESULTS
    assert "LAST" not in {r["ruleId"] for r in run["results"]}
    assert run["properties"]["dropped"] == {"results": 1, "severities": {"low": 1}}
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert note["level"] == "warning"
    assert note["message"]["text"].startswith("Left out the 1 least severe results (1 low) to stay inside")


def test_never_more_rules_than_results(over_the_limit: dict[str, Any]) -> None:
    (run,) = over_the_limit["runs"]
    assert len(run["tool"]["driver"]["rules"]) == MAX_RESULTS


def test_a_document_over_10_mb_gzipped_is_trimmed_from_the_least_severe() -> None:
    """Real size: 5,000 findings with 3 KB of incompressible text each is about 11 MB gzipped."""
    rng = random.Random(3)  # noqa: S311 - filler text, not a secret
    found = [
        replace(a, finding=replace(a.finding, message=base64.b64encode(rng.randbytes(2250)).decode()))
        for a in many(5000)
    ]
    doc = build_sarif(scan_result(found, [ok("bandit")]))
    assert 9_000_000 < gzipped_size(doc) <= 10_000_000
    (run,) = doc["runs"]
    dropped = run["properties"]["dropped"]
    kept = {r["properties"]["severity"] for r in run["results"]}
    assert dropped["results"] == 5000 - len(run["results"]) > 0
    assert "unknown" in dropped["severities"] and "critical" in kept and "unknown" not in kept


@pytest.mark.parametrize("filler", ["compressible", "incompressible"])
@pytest.mark.parametrize("limit", [1_000, 40_000, 200_000, 10_000_000])
def test_the_measured_size_is_never_below_the_real_one_when_it_fits(filler: str, limit: int) -> None:
    """`measured` skips or eases the compression when the document fits: the size it gives then still
    bounds the real gzipped size from above; over the limit it is the real size, for the trim."""
    rng = random.Random(limit)  # noqa: S311 - filler text, not a secret
    text = "x " * 30_000 if filler == "compressible" else base64.b64encode(rng.randbytes(45_000)).decode()
    doc, size = sarif_json.measured({"runs": [{"results": [{"message": {"text": text}}]}]}, limit)
    real = gzipped_size(doc)
    assert size >= real if size <= limit else size == real
    assert (size <= limit) == (real <= limit)


def test_size_trimming_keeps_the_most_severe_across_runs() -> None:
    found = many(120, "bandit", message="x" * 200) + many(60, "hadolint", message="y" * 200, start=1000)
    doc = build_sarif(scan_result(found, [ok("bandit"), ok("hadolint")]), max_gzip_bytes=6000)
    assert gzipped_size(doc) <= 6000
    rank = {s.label: int(s) for s in Severity}
    runs = [run_of(doc, tool) for tool in ("bandit", "hadolint")]
    kept = [rank[r["properties"]["severity"]] for run in runs for r in run["results"]]
    dropped = [rank[s] for run in runs for s in run["properties"]["dropped"]["severities"]]
    assert kept and dropped and min(kept) >= max(dropped)
    assert sum(len(run["results"]) + run["properties"]["dropped"]["results"] for run in runs) == 180
    assert all(len(run["invocations"][0]["toolExecutionNotifications"]) == 1 for run in runs)


def test_both_limits_together_each_run_keeps_its_most_severe() -> None:
    doc = trimmed()
    bandit = run_of(doc, "bandit")
    assert len(bandit["results"]) < 100 and bandit["properties"]["dropped"]["results"] > 20
    assert gzipped_size(doc) <= 6000


# --- validity: the official schema, Microsoft's Multitool -----------------------------------------------


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def schema_errors(schema: dict[str, Any], doc: dict[str, Any]) -> list[str]:
    """Errors under draft-07 and under the draft the schema itself declares (draft-04)."""
    validators = {jsonschema.Draft7Validator, jsonschema.validators.validator_for(schema)}
    return [f"{e.json_path}: {e.message}" for v in validators for e in v(schema).iter_errors(doc)]


def test_every_document_is_valid_against_the_sarif_schema(
    schema: dict[str, Any], all_documents: dict[str, dict[str, Any]]
) -> None:
    assert {
        name: schema_errors(schema, doc) for name, doc in all_documents.items() if schema_errors(schema, doc)
    } == {}
    broken = json.loads(json.dumps(all_documents["one-result"]))
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert schema_errors(schema, broken)  # the check can fail


@pytest.fixture(scope="module")
def multitool() -> Path:
    if not os.access(MULTITOOL, os.X_OK):
        pytest.skip(f"SARIF Multitool not installed at {MULTITOOL} (make dev installs it with npm)")
    return MULTITOOL


def multitool_errors(exe: Path, files: Sequence[Path], workdir: Path) -> dict[str, list[str]]:
    """The Multitool's errors (GitHub's ingestion rules and SARIF's), by file name."""
    config, report = workdir / "multitool.xml", workdir / "multitool-report.sarif"
    config.write_text(MULTITOOL_CONFIG, encoding="utf-8")
    argv = [
        str(exe),
        "validate",
        "--rule-kind",
        "Gh;Sarif",
        "--config",
        str(config),
        "--log",
        "ForceOverwrite",
    ]
    env = {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1", "DOTNET_CLI_TELEMETRY_OPTOUT": "1"}
    done = subprocess.run(
        [*argv, "-o", str(report), *map(str, files)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0 and f"{len(files)} files scanned" in done.stdout, done.stdout + done.stderr
    errors: dict[str, list[str]] = {}
    for run in json.loads(report.read_text(encoding="utf-8"))["runs"]:
        notes = run["invocations"][0].get("toolExecutionNotifications", [])
        assert not [n for n in notes if n.get("level") == "error"], notes
        for result in run.get("results", []):
            if result.get("level", "warning") == "error":
                name = unquote(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]).rsplit(
                    "/", 1
                )[-1]
                errors.setdefault(name, []).append(f"{result['ruleId']} {result['message'].get('arguments')}")
    return errors


def test_the_multitool_finds_no_error_in_any_document(
    multitool: Path, all_documents: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    files = []
    for name, doc in all_documents.items():
        files.append(tmp_path / f"{name}.sarif")
        files[-1].write_text(dumps_sarif(doc), encoding="ascii")
    broken = json.loads(json.dumps(all_documents["one-result"]))
    del broken["runs"][0]["tool"]["driver"]["rules"]
    files.append(tmp_path / "control-without-rules.sarif")  # must fail, or the check could not
    files[-1].write_text(json.dumps(broken), encoding="ascii")
    errors = multitool_errors(multitool, files, tmp_path)
    assert list(errors) == ["control-without-rules.sarif"]
    assert any(e.startswith("GH1018") for e in errors["control-without-rules.sarif"])


# --- golden files, and no clear secret anywhere -----------------------------------------------------


@pytest.mark.parametrize("name", ["one-result", "accepted-and-failed"])
def test_golden(name: str, regen_golden: bool) -> None:
    """The exact text written; golden files are pretty-printed copies, compared as JSON."""
    doc = build_sarif(golden_results()[name])
    golden = GOLDEN / f"{name}.sarif"
    if regen_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(json.dumps(doc, indent=2) + "\n", encoding="ascii")
    assert json.loads(dumps_sarif(doc)) == doc == json.loads(golden.read_text(encoding="ascii"))


def planted_secrets() -> set[str]:
    """The fake credentials planted in the fixture trees: key ids, tokens, assigned values, PEM bodies."""
    shaped = re.compile(r"AKIA[A-Z2-7]{16}|ghp_[A-Za-z0-9]{36}")
    assigned = re.compile(r"(?i)(?:password|secret|token|key)\w*[\"'\]]*\s*[:=]\s*[\"']?([^\s\"'#$()]{12,})")
    found: set[str] = set()
    for path in FIXTURES.rglob("*"):
        if not path.is_file() or path.suffix in {".report", ".json", ".sarif"} or path.parent == FIXTURES:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found.update(shaped.findall(text))
        found.update(v for v in assigned.findall(text) if re.search(r"\d", v) and re.search(r"[A-Za-z]", v))
        if "PRIVATE KEY-----" in text:
            found.update(
                line.strip()
                for line in text.splitlines()
                if re.fullmatch(r"[A-Za-z0-9+/=]{40,}", line.strip())
            )
    return found


def test_no_planted_secret_in_any_sarif(all_documents: dict[str, dict[str, Any]]) -> None:
    secrets = planted_secrets()
    assert {"AKIAQ4ZR7XK2MB5NWT3J", "Zq8vR2mW9tLx4Kp7"} <= secrets and len(
        secrets
    ) > 20  # the extractor works
    written = [dumps_sarif(doc) for doc in all_documents.values()]
    written += [p.read_text(encoding="ascii") for p in sorted(GOLDEN.glob("*.sarif"))]
    leaks = {secret for secret in secrets for text in written if secret in text}
    assert leaks == set()
