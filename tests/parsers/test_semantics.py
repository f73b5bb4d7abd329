"""What each parser makes of the fields that decide a finding: statuses, skips, audits, versions, kinds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mergeguard.core.errors import UsageError
from mergeguard.core.model import Finding, Kind, Severity
from mergeguard.scan.fingerprints import assign
from mergeguard.scan.imported import parse_file
from mergeguard.scan.registry import READERS, TOOLS
from mergeguard.scanners.base import IncompleteReport
from tests.parsers.cases import REPORTS

ROOT = Path("/repo")


def fixture(tool: str, name: str) -> Any:
    return json.loads((REPORTS / tool / name).read_text(encoding="utf-8"))


def test_the_registry_holds_every_tool_under_its_own_name() -> None:
    assert list(READERS) == [name for name, tool in TOOLS.items() if tool.reader is not None]
    assert all(reader.name == name for name, reader in READERS.items())
    # each with real reports to read
    assert sorted(READERS) == sorted(p.name for p in REPORTS.iterdir() if p.is_dir())


@pytest.mark.parametrize(
    ("status", "found"),
    [
        ("affected", True),
        ("will_not_fix", True),
        ("fix_deferred", True),
        ("end_of_life", True),
        ("under_investigation", True),
        ("fixed", True),
        ("not_affected", False),
        ("a status of tomorrow", True),
    ],
)
def test_trivy_statuses(status: str, found: bool) -> None:
    report = fixture("trivy", "golden-image-debian-buster.json")
    report["Results"][0]["Vulnerabilities"][0]["Status"] = status
    findings = parse_file("trivy", json.dumps(report), ROOT, "t.json")
    assert ("CVE-2019-18276" in {f.rule_id for f in findings}) is found
    if found and status not in ("fixed", "affected"):
        assert status.replace("_", " ") in next(f for f in findings if f.rule_id == "CVE-2019-18276").message


def test_a_trivy_result_without_vulnerabilities_key_is_fine_and_fs_packages_are_dependencies() -> None:
    findings = parse_file(
        "trivy", (REPORTS / "trivy" / "schema2-fs-uv-lock.json").read_text(), ROOT, "t.json"
    )
    assert {(f.location.path, f.kind, f.package.fixed) for f in findings} == {  # type: ignore[union-attr]
        ("uv.lock", Kind.DEPENDENCY, "0.16.0"),
        ("uv.lock", Kind.DEPENDENCY, "78.1.1"),
    }


def test_pip_audit_partial_skip_yields_a_finding_per_skipped_dependency() -> None:
    # Real records of two real reports: the offline run's skipped dependencies, and audited ones.
    skipped = fixture("pip-audit", "v2.10.1-offline-all-skipped.json")["dependencies"][:2]
    audited = fixture("pip-audit", "v2.9.0-dependencies.json")
    audited["dependencies"] += skipped
    findings = parse_file("pip-audit", json.dumps(audited), ROOT, "p.json")
    skips = [f for f in findings if f.rule_id == "skipped-dependency"]
    assert [(f.package.name, f.package.installed, f.severity) for f in skips] == [  # type: ignore[union-attr]
        ("flask", "0.12", Severity.HIGH),
        ("requests", "2.19.0", Severity.HIGH),
    ]
    assert len(findings) == 4 and "Dependency not found on PyPI" in skips[0].message


def test_pip_audit_with_every_dependency_skipped_is_not_clean() -> None:
    text = (REPORTS / "pip-audit" / "v2.10.1-offline-all-skipped.json").read_text()
    with pytest.raises(UsageError, match="every one was skipped"):
        parse_file("pip-audit", text, ROOT, "p.json")


def test_pip_audit_fingerprint_evidence_follows_package_version_and_advisory() -> None:
    findings = parse_file(
        "pip-audit", (REPORTS / "pip-audit" / "v2.9.0-dependencies.json").read_text(), ROOT, "p"
    )
    assert {f.evidence for f in findings} == {
        "pip@25.2#GHSA-4xh5-x5gv-qwph",
        "urllib3@1.26.20#GHSA-pq67-6m6q-mj2v",
    }
    assert {f.cve_ids for f in findings} == {
        ("CVE-2025-8869", "GHSA-4xh5-x5gv-qwph"),
        ("CVE-2025-50181", "GHSA-pq67-6m6q-mj2v"),
    }


def test_detect_secrets_baseline_keeps_unaudited_and_real_but_drops_audited_false_positives() -> None:
    baseline = fixture("detect-secrets", "v0.13.1-ibm-audited-false.json")
    assert parse_file("detect-secrets", json.dumps(baseline), ROOT, "b") == []
    baseline["results"]["docs/scan.md"][0]["is_secret"] = True
    del baseline["results"]["docs/audit.md"][0]["is_secret"]
    assert {f.location.path for f in parse_file("detect-secrets", json.dumps(baseline), ROOT, "b")} == {
        "docs/scan.md",
        "docs/audit.md",
    }


def test_old_bandit_results_get_no_invented_column_or_cwe() -> None:
    for name in ("v1.6.2-flask-app.json", "v1.7.0-flask-app.json"):
        findings = parse_file("bandit", (REPORTS / "bandit" / name).read_text(), ROOT, name)
        assert findings and all(f.location.column is None and f.cwe_ids == () for f in findings)


def test_bandit_hardcoded_password_text_is_redacted() -> None:
    findings = parse_file("bandit", (REPORTS / "bandit" / "v1.9.4-windows-paths.json").read_text(), ROOT, "b")
    passwords = [f for f in findings if f.rule_id in ("B105", "B107")]
    assert len(passwords) == 2 and all("redacted" in f.message for f in passwords)


def test_gitleaks_git_mode_keeps_commits_and_v7_zero_commits_are_none() -> None:
    pygoat = parse_file("gitleaks", (REPORTS / "gitleaks" / "v8-git-pygoat.json").read_text(), ROOT, "g")
    assert {f.commit for f in pygoat} == {
        "81c7e88d275ddb310e455f2e7ccb0b0af69feecf",
        "ff94a38e4f5425a69f70319ef76f12389ae2e854",
    }
    assert all(f.location.column is None for f in pygoat)  # git mode: the column is a diff hunk's
    staged = fixture("gitleaks", "v7-git-one-aws-leak.json")
    staged[0]["commit"] = "0" * 40  # gitleaks 6/7 write all zeros for staged changes
    assert parse_file("gitleaks", json.dumps(staged), ROOT, "g")[0].commit is None


def test_grype_kinds_fix_states_and_aliases() -> None:
    image = parse_file("grype", (REPORTS / "grype" / "v0.34.7-image-rhel7.json").read_text(), ROOT, "g")
    assert {f.kind for f in image} == {Kind.VULNERABILITY}
    assert "won't fix" in next(f for f in image if f.rule_id == "CVE-2005-2541").message
    go = parse_file("grype", (REPORTS / "grype" / "db-v6-windows-go-mod.json").read_text(), ROOT, "g")
    assert {f.kind for f in go} == {Kind.DEPENDENCY}
    assert {f.rule_id: f.cve_ids[0] for f in go} == {
        "GHSA-3h6c-c475-jm7v": "CVE-2020-14144",
        "GHSA-p5f9-c9j9-g8qx": "CVE-2022-30781",
    }


def test_sarif_severity_tool_kind_and_cwe() -> None:
    codeql = parse_file("sarif", (REPORTS / "sarif" / "codeql-2.12.6-js.sarif").read_text(), ROOT, "c")
    assert {(f.tool, f.severity, f.kind) for f in codeql} == {("codeql", Severity.HIGH, Kind.CODE)}  # 7.5
    assert codeql[0].cwe_ids == ("CWE-1333", "CWE-730", "CWE-400")  # external/cwe/cwe-1333 …
    trivy = parse_file("sarif", (REPORTS / "sarif" / "trivy-0.76.0-secret.sarif").read_text(), ROOT, "t")
    assert {(f.severity, f.kind) for f in trivy} == {
        (Severity.CRITICAL, Kind.SECRET)
    }  # security-severity 9.5
    semgrep = parse_file("sarif", (REPORTS / "sarif" / "semgrep-1.182.0.sarif").read_text(), ROOT, "s")
    assert {(f.tool, f.rule_id.rsplit(".", 1)[-1], f.severity) for f in semgrep} == {
        ("semgrep", "subprocess-shell-true", Severity.HIGH),  # level error
        ("semgrep", "yaml-load", Severity.MEDIUM),  # level warning
    }
    checkov = parse_file("sarif", (REPORTS / "sarif" / "checkov-3.3.30.sarif").read_text(), ROOT, "k")
    assert sum(f.rule_id == "CKV_SECRET_2" for f in checkov) == 1  # the other one is suppressed in source
    assert next(f for f in checkov if f.rule_id == "CKV_SECRET_2").kind is Kind.SECRET


def test_sarif_written_loosely_by_other_producers_reads_as_meant() -> None:
    """Found by a real-input round (each refused or misread): a draft's version string, a line as a
    float, a relative URI with a query and fragment, an "informational" result (no problem, §3.27.9)."""
    log = fixture("sarif", "semgrep-1.182.0.sarif")
    log["version"] = "2.1.0-rtm.5"
    first, second = log["runs"][0]["results"][:2]
    located = first["locations"][0]["physicalLocation"]
    located["region"]["startLine"] = float(located["region"]["startLine"])
    uri = located["artifactLocation"]["uri"]
    located["artifactLocation"]["uri"] = uri + "?ref=main#L3"
    second["kind"] = "informational"
    findings = parse_file("sarif", json.dumps(log), ROOT, "s.sarif")
    assert len(findings) == len(log["runs"][0]["results"]) - 1
    assert findings[0].location.path == uri and findings[0].location.start_line == int(
        located["region"]["startLine"]
    )


def test_trivy_image_sarif_is_placed_at_the_image_and_identified_by_package() -> None:
    """Trivy's SARIF of an image names the image's repository where a file's URI belongs; read as a
    file, its findings fell out of a pull request's scope and the gate passed."""
    log = fixture("sarif", "trivy-0.38.1-image-rocky.sarif")
    findings = parse_file("sarif", json.dumps(log), ROOT, "t.sarif")
    assert {(f.location.path, f.kind) for f in findings} == {
        ("container-image/rockylinux/rockylinux", Kind.VULNERABILITY)
    }
    assert findings[0].evidence == "rockylinux/rockylinux: platform-python@3.6.8-48.el8_7.rocky.0"
    assert findings[0].cve_ids == ("CVE-2020-10735",)
    log["runs"][0]["results"].reverse()  # the same advisories in another order: the same fingerprints
    backwards = parse_file("sarif", json.dumps(log), ROOT, "t.sarif")
    assert fingerprints(findings) == fingerprints(backwards)


def fingerprints(findings: list[Finding]) -> dict[tuple[str, str], str]:
    """Each finding's fingerprint by its rule and message (which name the package)."""
    return {(f.rule_id, f.message): f.fingerprint for f in assign(findings, ROOT)}


def test_a_trivy_run_naming_its_image_places_every_advisory_there() -> None:
    """Newer Trivy names the image (`properties.imageName`, pkg/report/sarif.go): a language package's
    advisory in it (its URI a path inside the image) is the image's too; a secret is not moved."""
    log = fixture("sarif", "trivy-0.38.1-image-rocky.sarif")
    run = log["runs"][0]
    run["properties"] = {"imageName": "rockylinux/rockylinux:8.7", "repoTags": ["rockylinux/rockylinux:8.7"]}
    for rule in run["tool"]["driver"]["rules"]:
        rule["name"] = "LanguageSpecificPackageVulnerability"
    run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "usr/lib/app/go.sum"
    del run["results"][1]["locations"][0]["message"]  # older Trivy: the package is read from the message
    secret = fixture("sarif", "trivy-0.76.0-secret.sarif")["runs"][0]
    run["tool"]["driver"]["rules"] += secret["tool"]["driver"]["rules"]
    run["results"] += secret["results"]
    findings = parse_file("sarif", json.dumps(log), ROOT, "t.sarif")
    advisories = [f for f in findings if f.kind is not Kind.SECRET]
    assert {f.location.path for f in advisories} == {"container-image/rockylinux/rockylinux"}
    assert advisories[1].evidence == "platform-python@3.6.8-48.el8_7.rocky.0"
    assert {f.location.path for f in findings if f.kind is Kind.SECRET} == {
        f.location.path for f in parse_file("sarif", json.dumps({**log, "runs": [secret]}), ROOT, "s.sarif")
    }


def test_only_trivy_results_are_read_as_an_image() -> None:
    log = fixture("sarif", "trivy-0.38.1-image-rocky.sarif")
    log["runs"][0]["tool"]["driver"]["name"] = "Other Scanner"
    log["runs"][0]["properties"] = {"imageName": "rockylinux/rockylinux:8.7"}
    findings = parse_file("sarif", json.dumps(log), ROOT, "t.sarif")
    assert {(f.location.path, f.evidence) for f in findings} == {("rockylinux/rockylinux", "")}


def failed_codeql(*notifications: dict[str, Any], successful: object = False) -> str:
    """CodeQL's recorded log, its run saying it did not complete (the invocation the recording cut)."""
    log = fixture("sarif", "codeql-2.12.6-js.sarif")
    invocation = {"executionSuccessful": successful, "toolExecutionNotifications": list(notifications)}
    log["runs"][0]["invocations"] = [{"executionSuccessful": True}, invocation]
    return json.dumps(log)


def note(level: str | None, text: str) -> dict[str, Any]:
    return {"message": {"text": text}, **({"level": level} if level else {})}


def test_a_sarif_run_that_did_not_complete_fails_with_its_error_and_keeps_its_results() -> None:
    text = failed_codeql(
        note(None, "Scanned 3 files"),  # a notification's level defaults to warning (SARIF §3.58.6)
        note("error", "Could not process any files:\n the build failed"),
    )
    with pytest.raises(IncompleteReport) as failed:
        parse_file("sarif", text, ROOT, "c.sarif")
    assert str(failed.value) == "codeql did not complete: Could not process any files: the build failed"
    assert [f.rule_id for f in failed.value.findings] == ["js/redos", "js/polynomial-redos"]


@pytest.mark.parametrize(
    ("notes", "said"),
    [((note("warning", "out of memory"),), "out of memory"), ((), "executionSuccessful is false")],
)
def test_a_failed_sarif_run_without_an_error_notification_says_what_it_has(
    notes: tuple[dict[str, Any], ...], said: str
) -> None:
    with pytest.raises(IncompleteReport, match=f"^codeql did not complete: {said}$"):
        parse_file("sarif", failed_codeql(*notes), ROOT, "c.sarif")


def test_a_sarif_run_that_completed_is_read_whatever_its_notifications() -> None:
    text = failed_codeql(note("error", "1 file could not be extracted"), successful=True)
    assert len(parse_file("sarif", text, ROOT, "c.sarif")) == 2


def test_a_sarif_run_whose_configuration_failed_says_why() -> None:
    """ESLint 8.10 could not parse four files: the errors are configuration notifications."""
    text = (REPORTS.parent / "incomplete" / "eslint-8.10-parsing-errors.sarif").read_text(encoding="utf-8")
    with pytest.raises(IncompleteReport) as failed:
        parse_file("sarif", text, Path("/Users/dyw/Documents/2048"), "eslint.sarif")
    assert str(failed.value) == "eslint did not complete: Parsing error: Unexpected token ="
    assert len(failed.value.findings) == 6


def test_a_sarif_result_finds_its_rule_by_index_or_by_the_id_it_descends_from() -> None:
    """SARIF §3.27.5-6: `ruleIndex` names the rule, and "CWE-78/api-handler" is a case of rule CWE-78."""
    rules = [
        {"id": "TUT0001", "defaultConfiguration": {"level": "error"}, "shortDescription": {"text": "one"}},
        {"id": "CWE-78", "defaultConfiguration": {"level": "error"}, "shortDescription": {"text": "cmd"}},
    ]
    results = [
        {"ruleId": "TUT1001", "ruleIndex": 0, "message": {"text": "a"}},
        {"ruleId": "CWE-78/api-handler", "message": {"text": "b"}},
        {"ruleId": "CWE-78/api/handler", "ruleIndex": 7, "message": {"text": "c"}},  # out of range
        {"ruleId": "other/x", "message": {"text": "d"}},  # no rule of its own or above it
    ]
    log = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "t", "rules": rules}}, "results": results}],
    }
    found = parse_file("sarif", json.dumps(log), ROOT, "r.sarif")
    assert [(f.rule_id, f.severity, f.title) for f in found] == [
        ("TUT1001", Severity.HIGH, "one"),
        ("CWE-78/api-handler", Severity.HIGH, "cmd"),
        ("CWE-78/api/handler", Severity.HIGH, "cmd"),
        ("other/x", Severity.MEDIUM, "other/x"),
    ]


def test_hadolint_runs_appended_to_one_file_are_all_read() -> None:
    findings = parse_file(
        "hadolint", (REPORTS / "hadolint" / "concatenated-runs.json").read_text(), ROOT, "h"
    )
    assert sorted(f.rule_id for f in findings) == ["DL3016", "DL3059"]


@pytest.mark.parametrize(
    ("severity", "label"),
    [
        (None, "high"),
        ("high", "high"),
        ("Critical", "critical"),
        ("low", "low"),
        ({"cvssv3": {"base_severity": "MEDIUM"}}, "medium"),
    ],
)
def test_safety_severity_as_null_a_word_or_cvss(severity: object, label: str) -> None:
    record = {"vulnerability_id": "1", "package_name": "a", "analyzed_version": "1.0", "severity": severity}
    [finding] = parse_file("safety", json.dumps({"vulnerabilities": [record]}), ROOT, "s.json")
    assert finding.severity.label == label


def test_safety_severity_of_another_type_is_refused() -> None:
    record = {"vulnerability_id": "1", "package_name": "a", "analyzed_version": "1.0", "severity": 7}
    with pytest.raises(UsageError, match=r"severity is neither null, a severity word nor an object"):
        parse_file("safety", json.dumps({"vulnerabilities": [record]}), ROOT, "s.json")


def _safety_scan(location: str, raw: str, known: list[dict[str, Any]]) -> str:
    """A `safety scan --output json` report (schema 3.0) of one project at /work/app, one dependency."""
    spec = {"raw": raw, "vulnerabilities": {"known_vulnerabilities": known, "remediation": None}}
    files = [{"location": location, "type": "requirements.txt", "categories": ["python"],
              "results": {"dependencies": [{"name": "werkzeug", "specifications": [spec]}]}}]  # fmt: skip
    project = {"id": "app", "location": "/work/app", "files": files}
    meta = {"scan_type": "scan", "scan_locations": ["/work/app"], "schema_version": "3.0"}
    return json.dumps({"meta": meta, "scan_results": {"files": [], "projects": [project]}})


def test_safety_scan_reports_are_read_ignored_advisories_left_out() -> None:
    """Safety 3's `scan` (check is deprecated): it was refused as having no vulnerabilities list."""
    ignored = {
        "id": "1",
        "vulnerable_spec": "<2",
        "ignored": {"code": "manual", "reason": "x", "expires": None},
    }
    known: list[dict[str, Any]] = [{"id": "84324", "vulnerable_spec": "<3.1.5"}, ignored]
    found = parse_file("safety", _safety_scan("/work/app/reqs/base.txt", "werkzeug==3.1.4", known), ROOT, "s")
    assert [(f.rule_id, f.location.path, f.package.installed if f.package else None) for f in found] == [
        ("84324", "reqs/base.txt", "3.1.4")  # below the directory Safety scanned
    ]
    assert found[0].severity is Severity.HIGH and found[0].kind is Kind.DEPENDENCY


@pytest.mark.parametrize(
    ("raw", "installed"), [("werkzeug>=2", ""), ("werkzeug==3.*", ""), ("not a spec!", "")]
)
def test_safety_scan_of_a_range_names_no_installed_version(raw: str, installed: str) -> None:
    found = parse_file(
        "safety",
        _safety_scan("/repo/requirements.txt", raw, [{"id": "9", "vulnerable_spec": "<3"}]),
        ROOT,
        "s",
    )
    assert [(f.location.path, f.package.installed if f.package else None) for f in found] == [
        ("requirements.txt", installed)  # under --root (/repo)
    ]


def test_a_safety_scan_that_found_no_dependency_file_is_not_clean() -> None:
    """Safety run where there is no requirements file says nothing was found: nothing was checked."""
    report = json.loads(_safety_scan("/work/app/requirements.txt", "werkzeug==3.1.4", []))
    report["scan_results"]["projects"][0]["files"] = []
    with pytest.raises(IncompleteReport, match=r"^safety found no dependency file to check under /work/app$"):
        parse_file("safety", json.dumps(report), ROOT, "s")


@pytest.mark.parametrize(
    ("driver", "rule", "kind", "cves"),
    [
        ("grype", "CVE-2021-3711-openssl", Kind.VULNERABILITY, ("CVE-2021-3711",)),  # Grype: id-package
        ("osv-scanner", "GHSA-jfh8-c2jp-5v3q", Kind.DEPENDENCY, ("GHSA-jfh8-c2jp-5v3q",)),
        ("snyk", "cve-2020-1234", Kind.VULNERABILITY, ("CVE-2020-1234",)),  # untagged, unknown tool
        ("defsec", "aws-s3-enable-versioning", Kind.MISCONFIGURATION, ()),  # tfsec's driver name
        ("snyk", "SNYK-PYTHON-FLASK-42", Kind.CODE, ()),
        ("Snyk Open Source", "SNYK-PYTHON-FLASK-42", Kind.DEPENDENCY, ()),  # by its whole driver name
        ("Snyk Open Source", "npm:hoek:20180212", Kind.DEPENDENCY, ()),
        ("SnykCode", "javascript/Sqli", Kind.CODE, ()),
    ],
)
def test_an_untagged_sarif_rule_is_a_vulnerability_when_its_tool_or_id_says_so(
    driver: str, rule: str, kind: Kind, cves: tuple[str, ...]
) -> None:
    """A `fail-on-kind` threshold for vulnerabilities did not apply to them: they were `code`."""
    result = {"ruleId": rule, "message": {"text": "m"}}
    log = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": driver}}, "results": [result]}]}
    [finding] = parse_file("sarif", json.dumps(log), ROOT, "r.sarif")
    assert (finding.kind, finding.cve_ids) == (kind, cves)


def test_snyk_open_source_results_are_dependencies_with_the_cves_their_rules_name() -> None:
    """Snyk's rule ids are its own advisories' (`SNYK-JS-BL-608877`, `npm:hoek:20180212`): read as
    code, a `fail-on-kind` threshold for dependencies did not apply and their CVEs were not listed."""
    text = (REPORTS / "sarif" / "snyk-oss-npm-two-vuln-deps.sarif").read_text(encoding="utf-8")
    findings = parse_file("sarif", text, ROOT, "snyk.sarif")
    assert {(f.tool, f.kind) for f in findings} == {("snyk", Kind.DEPENDENCY)}
    assert {f.rule_id: f.cve_ids for f in findings} == {
        "SNYK-JS-BL-608877": ("CVE-2020-8244",),  # fullDescription "(CVE-2020-8244) bl@1.1.2"
        "npm:hoek:20180212": ("CVE-2018-3728",),
        "npm:ms:20170412": (),  # "ms@0.7.3": no CVE named
        "npm:tunnel-agent:20170305": (),
    }
