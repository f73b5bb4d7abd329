"""Findings on files that are not of the kind the check is about: dropped, counted, reported."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from mergeguard.cli.main import main
from mergeguard.core.changes import ChangedFile, ChangeSet, Mode
from mergeguard.core.filekinds import classify
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.core.outcome import Misclassified, ScanOutcome, Status
from mergeguard.scan import misclassified
from mergeguard.scanners.base import Scanner, Target
from mergeguard.scanners.checkov.scanner import CheckovScanner
from mergeguard.scanners.commands import find_executable
from mergeguard.scanners.detect_secrets.scanner import DetectSecretsScanner
from mergeguard.scanners.hadolint import HadolintScanner
from mergeguard.scanners.trivy.fs import TrivyConfigScanner
from mergeguard.scanners.trivy.image import TrivyImageScanner
from tests.gitutil import GitTree

DOCKERFILE = "FROM python:3.11-slim\nRUN pip install --no-cache-dir flask==3.0.0\nCMD python app.py\n"
# A Python module whose name contains "dockerfile": Checkov reads it as a Dockerfile.
DOCKERFILE_PY = '"""Reads Dockerfiles."""\n\n\ndef parse(text):\n    return text.splitlines()\n'
PATHS = (
    "Dockerfile",
    "src/dockerfile.py",
    "deploy/pod.yaml",
    "docs/notes.yaml",
    "app/settings.py",
)
CHANGES = ChangeSet(
    Path("/repo"),
    Mode.ALL,
    tuple(ChangedFile(p, classify(p, b"apiVersion: v1\n" if p == "deploy/pod.yaml" else b"")) for p in PATHS),
)


def finding(tool: str, rule: str, path: str, kind: Kind = Kind.MISCONFIGURATION) -> Finding:
    return Finding(tool, rule, Severity.HIGH, rule, rule, Location(path, 1), kind)


CASES: list[tuple[Scanner, Finding, bool]] = [
    # (scanner, finding, kept)
    (CheckovScanner(), finding("checkov", "CKV_DOCKER_3", "Dockerfile"), True),
    (CheckovScanner(), finding("checkov", "CKV_DOCKER_3", "src/dockerfile.py"), False),
    (CheckovScanner(), finding("checkov", "CKV2_DOCKER_1", "src/dockerfile.py"), False),
    (CheckovScanner(), finding("checkov", "CKV_K8S_16", "deploy/pod.yaml"), True),
    (CheckovScanner(), finding("checkov", "CKV_K8S_16", "docs/notes.yaml"), False),
    # Secret checks are about every file, whatever its kind.
    (CheckovScanner(), finding("checkov", "CKV_SECRET_2", "src/dockerfile.py", Kind.SECRET), True),
    (
        DetectSecretsScanner(),
        finding("detect-secrets", "Secret Keyword", "app/settings.py", Kind.SECRET),
        True,
    ),
    (TrivyConfigScanner(), finding("trivy-config", "DS-0002", "Dockerfile"), True),
    (TrivyConfigScanner(), finding("trivy-config", "DS-0002", "deploy/pod.yaml"), False),
    (TrivyConfigScanner(), finding("trivy-config", "KSV-0017", "deploy/pod.yaml"), True),
    (TrivyConfigScanner(), finding("trivy-config", "KSV-0017", "src/dockerfile.py"), False),
    # An adapter without a per-check answer: every kind it applies to.
    (HadolintScanner(), finding("hadolint", "DL3008", "Dockerfile"), True),
    (HadolintScanner(), finding("hadolint", "DL3008", "src/dockerfile.py"), False),
    # Outside the change set: the policy's business (out of scope), not a misclassification.
    (HadolintScanner(), finding("hadolint", "DL3008", "other/Dockerfile.py"), True),
    # Images are not files: their findings are anchored by mergeguard (on the paired Dockerfile).
    (TrivyImageScanner(), finding("trivy-image", "CVE-2024-1", "app/settings.py", Kind.VULNERABILITY), True),
]


@pytest.mark.parametrize(("scanner", "found", "kept"), CASES)
def test_a_finding_is_kept_only_on_a_file_of_the_kind_its_check_is_about(
    scanner: Scanner, found: Finding, kept: bool
) -> None:
    outcome = misclassified.partition(ScanOutcome(scanner.name, Status.OK, (found,)), scanner, CHANGES)
    assert outcome.findings == ((found,) if kept else ())
    if kept:
        assert outcome.misclassified is None
    else:
        assert outcome.misclassified is not None
        assert outcome.misclassified.count == 1
        assert outcome.misclassified.paths == (found.location.path,)


def test_the_count_names_every_kind_and_file_once() -> None:
    found = (
        finding("checkov", "CKV_DOCKER_3", "src/dockerfile.py"),
        finding("checkov", "CKV_DOCKER_2", "src/dockerfile.py"),
        finding("checkov", "CKV_K8S_16", "docs/notes.yaml"),
        finding("checkov", "CKV_DOCKER_3", "Dockerfile"),
    )
    outcome = misclassified.partition(ScanOutcome("checkov", Status.OK, found), CheckovScanner(), CHANGES)
    assert outcome.findings == found[3:]
    assert outcome.misclassified == Misclassified(
        3, ("dockerfile", "iac"), ("docs/notes.yaml", "src/dockerfile.py")
    )
    assert outcome.misclassified.describe() == "3 findings on files not of kind dockerfile or iac dropped"


def test_a_failed_outcome_is_left_as_it_is() -> None:
    failed = ScanOutcome("checkov", Status.FAILED, reason="crashed")
    assert misclassified.partition(failed, CheckovScanner(), CHANGES) is failed


@pytest.fixture
def repo(tmp_path: Path) -> GitTree:
    tree = GitTree(tmp_path / "repo")
    tree.write("api/Dockerfile", DOCKERFILE)
    tree.write("api/dockerfile.py", DOCKERFILE_PY)
    tree.commit("base")
    return tree


@pytest.mark.scanner
def test_checkov_dockerfile_checks_on_a_python_module_are_dropped_and_reported(
    repo: GitTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if find_executable("checkov") is None:
        pytest.skip("checkov is not installed (make install)")
    report, summary = tmp_path / "report.json", tmp_path / "summary.md"
    argv = [
        "scan",
        str(repo.root),
        "--scanners",
        "checkov",
        "--json",
        str(report),
        "--markdown",
        str(summary),
    ]
    main(argv)
    out = capsys.readouterr().out
    data = json.loads(report.read_text())
    paths = {(f["path"], f["rule_id"]) for f in data["findings"]}
    assert ("api/Dockerfile", "CKV_DOCKER_3") in paths  # the real Dockerfile is still checked
    assert not [p for p, _ in paths if p == "api/dockerfile.py"]
    entry = next(s for s in data["scanners"] if s["name"] == "checkov")
    dropped = entry["misclassified"]
    assert dropped["kinds"] == ["dockerfile"] and dropped["paths"] == ["api/dockerfile.py"]
    assert dropped["count"] >= 1 and data["findings_misclassified"] == dropped["count"]
    line = f"{dropped['count']} findings on files not of kind dockerfile dropped"
    assert dropped["reason"] == line
    assert f"Misclassified: checkov: {line} (api/dockerfile.py)." in out
    assert f"Misclassified: checkov: {line} (api/dockerfile.py)" in summary.read_text()


@pytest.mark.scanner
def test_an_imported_report_is_gated_as_given(repo: GitTree, tmp_path: Path) -> None:
    """mergeguard did not choose what an imported report's tool scanned: nothing is dropped from it."""
    exe = find_executable("checkov")
    if exe is None:
        pytest.skip("checkov is not installed (make install)")
    workdir = tmp_path / "work"
    workdir.mkdir()
    command = CheckovScanner().command(
        exe, Target(repo.root, ("api/Dockerfile",), repo.root, workdir=workdir)
    )
    checkov_report = tmp_path / "checkov.json"
    ran = subprocess.run(
        command.argv, check=True, env={**os.environ, **command.env}, capture_output=True, text=True
    )
    checkov_report.write_text(ran.stdout)
    report = tmp_path / "report.json"
    argv = ["scan", str(repo.root), "--scanners", "none", "--report", f"checkov={checkov_report}"]
    main([*argv, "--json", str(report)])
    data = json.loads(report.read_text())
    assert ("api/dockerfile.py", "CKV_DOCKER_3") in {(f["path"], f["rule_id"]) for f in data["findings"]}
    assert data["findings_misclassified"] == 0
