"""Tests for the detect-secrets adapter: golden cases, offline command, baseline subtraction, bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from mergeguard.core.errors import ParseError
from mergeguard.core.model import Severity
from mergeguard.scanners.base import Target, ToolOutput
from mergeguard.scanners.commands import find_executable, run_command
from mergeguard.scanners.detect_secrets.scanner import (
    DEFAULT_SEVERITY,
    DOCUMENTED_EXAMPLES,
    SEVERITIES,
    DetectSecretsScanner,
    accepted_in_baseline,
    parse_report,
)
from tests.golden import FIXTURES, case_target, check_golden, check_live

SCANNER = DetectSecretsScanner()
CASES = ["microservice", "baseline", "clean"]
ROOT = Path("/scan/view")
TARGET = Target(root=ROOT, files=("app.py",), repo=ROOT, workdir=Path("/scratch"))
# The clear secrets in the fixtures: none may reach a finding.
CLEAR_SECRETS = [
    "Zq8vR2mW9tLx4Kp7",
    "Pg-0rders-Pr0d-2024!",
    "7d3f9a1c5e8b2d4f6a0c9e7b5d3f1a8c",
    "AKIAQ4ZR7XK2MB5NWT3J",
]
VERIFY_FILTER = "detect_secrets.filters.common.is_ignored_due_to_verification_policies"


def rules(rows: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    return sorted((r["path"], r["rule_id"], r["start_line"]) for r in rows)


def report(results: Any) -> str:
    return json.dumps({"version": "1.5.0", "results": results})


def entry(**fields: Any) -> dict[str, Any]:
    return {"type": "Secret Keyword", "hashed_secret": "ab" * 20, "line_number": 3, **fields}


def exe_or_skip() -> str:
    exe = find_executable(SCANNER.executable)
    if exe is None:
        pytest.skip("detect-secrets is not installed (make install)")
    return exe


# --- golden files: recorded real output in, normalised findings out -------------------------------


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "microservice",
            [
                (".env", "Secret Keyword", 4),
                ("app/settings.py", "Hex High Entropy String", 8),
                ("app/settings.py", "Secret Keyword", 8),
                ("deploy/deploy_key.pem", "Private Key", 1),
                ("docker-compose.yml", "Secret Keyword", 13),
                ("scripts/deploy.sh", "AWS Access Key", 4),
            ],
        ),
        # .env and settings.py are accepted in .secrets.baseline (settings.py moved a line since);
        # the compose password is in it too but audited as a real secret; deploy.sh is new.
        (
            "baseline",
            [("docker-compose.yml", "Secret Keyword", 13), ("scripts/deploy.sh", "AWS Access Key", 4)],
        ),
        ("clean", []),  # environment lookups, and one `# pragma: allowlist secret`
    ],
)
def test_golden(case: str, expected: list[Any], tmp_path: Path, regen_golden: bool) -> None:
    rows = check_golden(SCANNER, case, tmp_path, regen_golden)
    assert rules(rows) == expected
    assert all(r["kind"] == "secret" and r["tool"] == "detect-secrets" for r in rows)


@pytest.mark.scanner
@pytest.mark.parametrize("case", CASES)
def test_live(case: str, tmp_path: Path) -> None:
    check_live(SCANNER, case, tmp_path)


def test_evidence_is_the_sha1_of_the_secret_and_no_clear_secret_is_kept(tmp_path: Path) -> None:
    rows = check_golden(SCANNER, "microservice", tmp_path, regen=False)
    (env,) = [r for r in rows if r["path"] == ".env"]
    assert env["evidence"] == hashlib.sha1(b"Zq8vR2mW9tLx4Kp7").hexdigest()  # noqa: S324 - detect-secrets' hash
    text = json.dumps(rows)
    assert [s for s in CLEAR_SECRETS if s in text] == []


def test_private_key_is_critical_and_the_rest_high(tmp_path: Path) -> None:
    rows = check_golden(SCANNER, "microservice", tmp_path, regen=False)
    assert {r["rule_id"]: r["severity"] for r in rows} == {
        "Private Key": "critical",
        "Secret Keyword": "high",
        "Hex High Entropy String": "high",
        "AWS Access Key": "high",
    }
    assert all(r["cwe_ids"] == ["CWE-798"] for r in rows)


# --- the command line ------------------------------------------------------------------------------


def test_command_never_verifies_and_passes_files_after_double_dash() -> None:
    target = Target(root=ROOT, files=("-rf.env", "dir with space/ünï.py"), repo=ROOT)
    argv = SCANNER.command("/bin/detect-secrets", target).argv
    assert argv[:3] == ("/bin/detect-secrets", "scan", "--no-verify")
    assert argv[argv.index("--") + 1 :] == ("-rf.env", "dir with space/ünï.py")
    excluded = argv[argv.index("--exclude-files") + 1]
    assert excluded == r"(^|/)(\.secrets\.baseline|\.mergeguard-baseline\.yml)$"
    assert "--baseline" not in argv  # it would rewrite the user's baseline


@pytest.mark.scanner
def test_no_verify_takes_effect_in_that_position(tmp_path: Path) -> None:
    """detect-secrets lists its verification filter in the report only when it verifies."""
    (tmp_path / "aws.py").write_text('KEY = "AKIAQ4ZR7XK2MB5NWT3J"\n', encoding="utf-8")
    target = Target(root=tmp_path, files=("aws.py",), repo=tmp_path)
    output = run_command(SCANNER.command(exe_or_skip(), target), tmp_path, timeout_s=120)
    used = [f["path"] for f in json.loads(output.report)["filters_used"]]
    assert "detect_secrets.filters.heuristic.is_sequential_string" in used
    assert VERIFY_FILTER not in used


@pytest.mark.scanner
def test_named_files_are_scanned_outside_git_whatever_their_names(tmp_path: Path) -> None:
    files = {
        "-dash.env": "DB_PASSWORD=Zq8vR2mW9tLx4Kp7\n",
        "sub dir/ünï.py": 'KEY = "AKIAQ4ZR7XK2MB5NWT3J"\n',
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    target = Target(root=tmp_path, files=tuple(files), repo=tmp_path)
    output = run_command(SCANNER.command(exe_or_skip(), target), tmp_path, timeout_s=120)
    found = sorted((f.location.path, f.rule_id) for f in SCANNER.parse(output, target))
    assert found == [("-dash.env", "Secret Keyword"), ("sub dir/ünï.py", "AWS Access Key")]


def test_the_aws_documentation_example_keys_are_no_secrets(tmp_path: Path) -> None:
    """detect-secrets reports AWS's documented example key pair as an AWS key (Gitleaks and Trivy
    do not); a real-shaped key beside it still is one."""
    text = (
        "e.g. AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"  # pragma: allowlist secret
        "KEY = AKIAI44QH8DHBEXAMPLE\n"  # pragma: allowlist secret
        "REAL = AKIAQ4ZR7XK2MB5NWT3J\n"  # pragma: allowlist secret
    )
    (tmp_path / "README.md").write_text(text, encoding="utf-8")
    target = Target(root=tmp_path, files=("README.md",), repo=tmp_path)
    output = run_command(SCANNER.command(exe_or_skip(), target), tmp_path, timeout_s=120)
    reported = {r["hashed_secret"] for rs in json.loads(output.report)["results"].values() for r in rs}
    assert DOCUMENTED_EXAMPLES & reported  # what the tool itself reports
    assert [(f.location.start_line, f.rule_id) for f in SCANNER.parse(output, target)] == [
        (3, "AWS Access Key")
    ]


# --- parsing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Traceback (most recent call last):\n  File ...",
        '{"version": "1.5.0", "results": {".env": [',  # truncated
        "[]",
        '{"version": "1.5.0"}',  # no results
        report([]),
        report({".env": {"type": "Secret Keyword"}}),
        report({".env": ["not an object"]}),
        report({".env": [entry(type=None)]}),
        report({".env": [entry(hashed_secret="")]}),
        report({".env": [entry(line_number="3")]}),
        report({".env": [entry(line_number=True)]}),
        report({"../outside.py": [entry()]}),
    ],
)
def test_unexpected_output_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError, match=r"detect-secrets|outside"):
        parse_report(text, TARGET)


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ("app.py", "app.py"),
        ("./app.py", "app.py"),
        ("/app.py", "app.py"),
        (f"{ROOT}/sub/app.py", "sub/app.py"),
    ],
)
def test_paths_are_repo_relative(reported: str, expected: str) -> None:
    (finding,) = parse_report(report({reported: [entry()]}), TARGET)
    assert finding.location.path == expected


@pytest.mark.parametrize(
    ("kind", "severity"),
    [
        ("Private Key", Severity.CRITICAL),
        ("AWS Access Key", Severity.HIGH),
        ("Secret Keyword", Severity.HIGH),
        ("Base64 High Entropy String", Severity.HIGH),
        ("Public IP (ipv4)", Severity.LOW),
        ("Some Custom Plugin Type", Severity.HIGH),
    ],
)
def test_severity_table(kind: str, severity: Severity) -> None:
    (finding,) = parse_report(report({"a.py": [entry(type=kind)]}), TARGET)
    assert finding.severity == severity == SEVERITIES.get(kind, DEFAULT_SEVERITY)


def test_a_public_ip_is_not_a_hard_coded_credential() -> None:
    (ip,) = parse_report(report({"a.py": [entry(type="Public IP (ipv4)")]}), TARGET)
    assert ip.cwe_ids == ()


# --- the baseline ----------------------------------------------------------------------------------


def baseline(results: Any) -> str:
    return json.dumps({"version": "1.5.0", "plugins_used": [], "results": results})


def test_baseline_accepts_unaudited_and_false_positives_but_not_real_secrets() -> None:
    text = baseline(
        {
            "a.py": [entry(), entry(type="Hex High Entropy String", is_secret=False)],
            "./b.py": [entry(is_secret=None)],
            "c.py": [entry(is_secret=True)],
        }
    )
    assert accepted_in_baseline(text, TARGET) == {
        ("a.py", "Secret Keyword", "ab" * 20),
        ("a.py", "Hex High Entropy String", "ab" * 20),
        ("b.py", "Secret Keyword", "ab" * 20),
    }


def test_baseline_match_ignores_line_numbers_but_not_type_hash_or_path(tmp_path: Path) -> None:
    (tmp_path / ".secrets.baseline").write_text(baseline({"a.py": [entry(line_number=1)]}), encoding="utf-8")
    target = Target(root=tmp_path, files=("a.py",), repo=tmp_path)
    found = {
        "a.py": [entry(line_number=40), entry(type="AWS Access Key"), entry(hashed_secret="cd" * 20)],
        "b.py": [entry()],
    }
    kept = SCANNER.parse(ToolOutput(report(found)), target)
    assert sorted((f.location.path, f.rule_id, f.evidence[:2]) for f in kept) == [
        ("a.py", "AWS Access Key", "ab"),
        ("a.py", "Secret Keyword", "cd"),
        ("b.py", "Secret Keyword", "ab"),
    ]


def test_no_baseline_keeps_everything(tmp_path: Path) -> None:
    target = Target(root=tmp_path, files=("a.py",), repo=tmp_path)
    assert len(SCANNER.parse(ToolOutput(report({"a.py": [entry()]})), target)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "",
        "{not json",
        '{"results": {"a.py": [',
        "[]",
        json.dumps({"version": "1.5.0"}),
        baseline({"a.py": "oops"}),
        baseline({"a.py": [{"hashed_secret": "ab" * 20}]}),
        baseline({"a.py": [entry(hashed_secret=12)]}),
        baseline({"a.py": [entry(is_secret="yes")]}),
    ],
)
def test_a_malformed_baseline_is_a_parse_error_naming_the_file(text: str, tmp_path: Path) -> None:
    (tmp_path / ".secrets.baseline").write_text(text, encoding="utf-8")
    target = Target(root=tmp_path, files=("a.py",), repo=tmp_path)
    with pytest.raises(ParseError, match=r"detect-secrets: \.secrets\.baseline"):
        SCANNER.parse(ToolOutput(report({"a.py": [entry()]})), target)


def test_the_baseline_case_fixture_holds_what_the_golden_case_relies_on() -> None:
    """Guards the fixture itself: an audited-real entry and one whose line has since moved."""
    results = json.loads((FIXTURES / "detect-secrets/baseline/.secrets.baseline").read_text())["results"]
    assert [e.get("is_secret") for e in results["docker-compose.yml"]] == [True]
    assert {e["line_number"] for e in results["app/settings.py"]} == {8}
    target = case_target(SCANNER, "baseline", Path("/scratch"))
    assert ".secrets.baseline" in target.files  # so the --exclude-files pattern is exercised
