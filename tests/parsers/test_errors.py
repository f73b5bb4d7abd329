"""Input that is not what a tool writes is one UsageError line naming the file, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from mergeguard.core.errors import UsageError
from mergeguard.scan.imported import parse_file
from mergeguard.scan.registry import READERS
from tests.parsers.cases import REJECTED, REPORTS, Case, cases, json_span

ROOT = Path("/repo")
CASES = cases()


def one_line_error(tool: str, text: str, source: str = "report.json") -> str:
    with pytest.raises(UsageError) as info:
        parse_file(tool, text, ROOT, source)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{source}: not a {tool} report: ")
    return message


@pytest.mark.parametrize(("name", "why"), REJECTED.items())
def test_real_files_mergeguard_refuses(name: str, why: str) -> None:
    tool, file = name.split("/")
    path = REPORTS / tool / file
    assert why in one_line_error(tool, path.read_text(encoding="utf-8"), file)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_a_report_cut_off_is_refused(case: Case) -> None:
    text = case.path.read_text(encoding="utf-8")
    start, end = json_span(text)
    for cut in (start + (end - start) // 2, end - 2):
        head = text[:cut]
        if head.rstrip().endswith(("]", "}")):
            continue  # a cut that happens to end a JSON value is still valid JSON
        one_line_error(case.tool, head)


@pytest.mark.parametrize("tool", sorted(READERS))
@pytest.mark.parametrize(
    "text",
    ["", "   \n", "plain text, no report\n", "Error: unknown flag --format\n", "null", "42", '"a string"'],
)
def test_nothing_like_a_report_is_refused(tool: str, text: str) -> None:
    one_line_error(tool, text)


def test_the_wrong_tool_is_refused() -> None:
    grype = (REPORTS / "grype" / "v0.49.0-dir-npm.json").read_text(encoding="utf-8")
    trivy = (REPORTS / "trivy" / "schema2-fs-uv-lock.json").read_text(encoding="utf-8")
    for tool in ("trivy", "pip-audit", "safety", "sarif", "gitleaks", "checkov", "bandit", "detect-secrets"):
        one_line_error(tool, grype)
    for tool in ("grype", "pip-audit", "safety", "sarif", "hadolint"):
        one_line_error(tool, trivy)


def test_stdin_is_named_dash() -> None:
    assert one_line_error("grype", "{}", "-").startswith("-: not a grype report: ")


def test_an_unknown_tool_is_a_usage_error_listing_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"^--tool: unknown tool 'snyk' \(known: trivy, checkov, .*sarif\)$"):
        parse_file("snyk", "[]", ROOT, "x.json")


@pytest.mark.parametrize(
    ("tool", "text", "why"),
    [
        ("sarif", '{"version": "2.0.0", "runs": []}', "SARIF version '2.0.0' is not 2.1.0"),
        (
            "sarif",
            '{"runs": [{"tool": {"driver": {"name": "x"}}, "results": '
            '[{"ruleId": "r", "locations": [{"physicalLocation": 1}]}]}]}',
            "runs[0].results[0].locations[0].physicalLocation is not",
        ),
        (
            "grype",
            '{"matches": [{"vulnerability": {"id": "CVE-1"}, "artifact": {"name": "a", "locations": []}}]}',
            "has no location",
        ),
        (
            "grype",
            '{"matches": [{"vulnerability": {"id": "CVE-1"}, "artifact": {"name": "a", '
            '"locations": [{"path": "C:\\\\src\\\\go.mod"}]}}]}',
            "absolute Windows path outside --root",
        ),
        (
            "pip-audit",
            '{"dependencies": [{"name": "a", "version": "1", "vulns": [{"fix_versions": []}]}]}',
            "dependencies[0].vulns[0].id is missing",
        ),
        ("safety", '{"vulnerabilities": [{"vulnerability_id": "1"}]}', "package_name is missing"),
        (
            "trivy",
            '{"ClusterName": "", "Resources": [{"Namespace": "default", "Kind": "Service", "Results": []}]}',
            "a Kubernetes cluster report (`trivy k8s`: ClusterName, Resources) names the cluster's resources",
        ),
        (
            "trivy",
            '{"Results": [{"Target": "r.txt", "Vulnerabilities": [{"VulnerabilityID": "CVE-1"}]}]}',
            "PkgName is missing",
        ),
        ("gitleaks", '[{"rule": "AWS", "offender": "", "file": "a"}]', "has no rule or offender"),
    ],
)
def test_malformed_records_name_what_is_wrong(tool: str, text: str, why: str) -> None:
    assert why in one_line_error(tool, text)
