"""Reports made elsewhere, end to end: a run its tool says failed, and what the reports count."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mergeguard.cli import commands
from mergeguard.cli.main import main
from mergeguard.core.config import Config
from mergeguard.report import parallel
from mergeguard.scan import pipeline
from mergeguard.scanners.commands import find_executable
from tests.gitutil import GitTree

REPORTS = Path(__file__).parent / "fixtures" / "reports"


@pytest.fixture
def repo(tmp_path: Path) -> GitTree:
    tree = GitTree(tmp_path / "repo")
    tree.write("app.js", "console.log(1)\n")
    tree.commit("base")
    return tree


def failed_codeql(tmp_path: Path, *, results: bool = True) -> Path:
    """CodeQL's recorded log whose run says it did not complete, with an error notification."""
    log: dict[str, Any] = json.loads((REPORTS / "sarif" / "codeql-2.12.6-js.sarif").read_text())
    note = {"level": "error", "message": {"text": "Could not process any files:\n\x1b[31mbuild failed"}}
    log["runs"][0]["invocations"] = [{"executionSuccessful": False, "toolExecutionNotifications": [note]}]
    if not results:
        log["runs"][0]["results"] = []
    path = tmp_path / "codeql.sarif"
    path.write_text(json.dumps(log))
    return path


REASON = "codeql did not complete: Could not process any files: \\x1b[31mbuild failed"


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def test_a_failed_sarif_run_with_no_results_fails_the_gate_closed(
    repo: GitTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = failed_codeql(tmp_path, results=False)
    argv = ["scan", str(repo.root), "--all-files", "--scanners", "none", "--report", f"sarif={report}"]
    assert main(argv) == 3
    assert last_line(capsys.readouterr().out) == (
        f"mergeguard: ERROR: scanner sarif failed: {REASON} (imported from {report})"
    )


def test_a_failed_sarif_run_keeps_the_findings_it_reported(
    repo: GitTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report, out = failed_codeql(tmp_path), tmp_path / "out"
    argv = ["scan", str(repo.root), "--all-files", "--scanners", "none", "--report", f"sarif={report}"]
    assert main([*argv, "--json", str(out / "r.json"), "--sarif", str(out / "r.sarif")]) == 1
    assert f"; scanner sarif failed: {REASON}" in last_line(capsys.readouterr().out)
    data = json.loads((out / "r.json").read_text())
    assert [(s["status"], s["findings"]) for s in data["scanners"] if s["name"] == "sarif"] == [("failed", 2)]
    assert {f["tool"] for f in data["findings"]} == {"codeql"}
    # No codeql run for code scanning: a partial one would close every alert the run did not reach.
    assert json.loads((out / "r.sarif").read_text())["runs"] == []


def test_convert_of_a_failed_sarif_run_writes_its_findings_then_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report, out = failed_codeql(tmp_path), tmp_path / "c.json"
    assert main(["convert", "--tool", "sarif", str(report), "--root", str(tmp_path), "--json", str(out)]) == 3
    assert len(json.loads(out.read_text())["findings"]) == 2
    line = f"mergeguard: error: scanner sarif failed: {REASON} (imported from {report})"
    assert capsys.readouterr().err.splitlines()[-1] == line


def test_a_sarif_imports_findings_count_under_sarif_in_every_report(
    repo: GitTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Semgrep's findings carry the driver's name; the scanner row is `sarif`, in each report alike."""
    report, out = REPORTS / "sarif" / "semgrep-1.182.0.sarif", tmp_path / "out"
    argv = ["scan", str(repo.root), "--all-files", "--scanners", "none", "--report", f"sarif={report}"]
    assert main([*argv, "--json", str(out / "r.json"), "--markdown", str(out / "r.md")]) == 1
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("sarif "))
    assert row.split()[-6:] == ["0", "2", "1", "0", "0", "0"]  # critical high medium low info unknown
    data = json.loads((out / "r.json").read_text())
    assert [s["findings"] for s in data["scanners"] if s["name"] == "sarif"] == [3]
    markdown = (out / "r.md").read_text()
    assert "No findings from sarif" not in markdown
    assert next(line for line in markdown.splitlines() if line.startswith("| sarif |")).endswith("| 3 |")


def test_trivy_image_sarif_gates_a_pull_request(repo: GitTree, tmp_path: Path) -> None:
    """Trivy's SARIF of an image names its repository (`rockylinux/rockylinux`) where a file belongs:
    read as a file, every finding fell out of the pull request's scope and the gate passed."""
    repo.git("branch", "base")
    repo.write("app.js", "console.log(2)\n")
    repo.commit("the pull request")
    report, out = REPORTS / "sarif" / "trivy-0.38.1-image-rocky.sarif", tmp_path / "r.json"
    argv = ["scan", str(repo.root), "--base", "base", "--fail-on", "medium", "--scanners", "none"]
    assert main([*argv, "--report", f"sarif={report}", "--json", str(out)]) == 1
    findings = json.loads(out.read_text())["findings"]
    assert len(findings) == 10
    assert {(f["path"], f["kind"]) for f in findings} == {
        ("container-image/rockylinux/rockylinux", "vulnerability")
    }


def test_a_dependency_threshold_applies_to_snyk_open_source_sarif(repo: GitTree) -> None:
    """Snyk Open Source's results were `code`: a threshold for dependencies let its high one pass."""
    report = REPORTS / "sarif" / "snyk-oss-npm-two-vuln-deps.sarif"
    repo.write(".mergeguard.yml", "fail-on: critical\nfail-on-kind:\n  dependency: high\n")
    argv = ["scan", str(repo.root), "--all-files", "--scanners", "none", "--report", f"sarif={report}"]
    assert main(argv) == 1


@pytest.mark.scanner
def test_a_sarif_finding_on_a_file_named_with_a_hash_stays_on_that_file(
    repo: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team: hadolint's SARIF names `Dockerfile#prod` unencoded; read as `Dockerfile#prod` minus its
    fragment, the findings landed on the unchanged `Dockerfile` and fell out of scope (PASS)."""
    hadolint = find_executable("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (make install)")
    repo.write("Dockerfile", "FROM ubuntu:22.04\nRUN useradd app\nUSER app\n")
    repo.commit("base")
    repo.git("branch", "base")
    repo.write("Dockerfile#prod", "FROM ubuntu:latest\nRUN sudo apt-get update\nUSER root\n")
    repo.commit("prod")
    run = subprocess.run(
        [hadolint, "-f", "sarif", "--no-fail", "Dockerfile#prod"],
        check=False,
        cwd=repo.root,
        capture_output=True,
    )
    assert b'"Dockerfile#prod"' in run.stdout  # written unencoded
    report = repo.root.parent / "hadolint.sarif"
    report.write_bytes(run.stdout)
    out = repo.root.parent / "r.json"
    args = ["scan", str(repo.root), "--base", "base", "--scanners", "none", "--json", str(out)]
    assert main([*args, "--report", f"sarif={report}"]) == 1
    findings = json.loads(out.read_text(encoding="utf-8"))["findings"]
    assert findings and {f["path"] for f in findings} == {"Dockerfile#prod"}


def _trivy_report(path: Path, vulns: int) -> Path:
    """A Trivy image report of `vulns` vulnerabilities, one of them without a fixed version."""
    found = [
        {"VulnerabilityID": f"CVE-2024-{n:05d}", "PkgName": f"pkg{n % 40}", "InstalledVersion": "1.0",
         "FixedVersion": "" if n == 0 else "1.1", "Severity": ("LOW", "HIGH")[n % 2], "Title": f"problem {n}"}
        for n in range(vulns)
    ]  # fmt: skip
    report = {"ArtifactName": "app:1", "ArtifactType": "container_image",
              "Results": [{"Target": "app:1 (debian 12.5)", "Class": "os-pkgs", "Type": "debian",
                           "Vulnerabilities": found}]}  # fmt: skip
    path.write_text(json.dumps(report))
    return path


def _convert_to_files(report: Path, root: Path, out: Path) -> dict[str, bytes]:
    formats = ("json", "sarif", "markdown")
    argv = ["convert", "--tool", "trivy", str(report), "--root", str(root)]
    assert main([*argv, *(a for fmt in formats for a in (f"--{fmt}", str(out / f"r.{fmt}")))]) == 0
    return {fmt: (out / f"r.{fmt}").read_bytes() for fmt in formats}


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The children forked to convert apart, even on a one-core machine."""
    forked: list[int] = []
    fork = parallel._fork  # counted, not replaced

    def counted(job: Callable[[], object]) -> int | None:
        pid = fork(job)  # returns in this process only
        forked.extend([pid] if pid else [])
        return pid

    monkeypatch.setattr(parallel, "_spare_cores", lambda: 1)
    monkeypatch.setattr(parallel, "_fork", counted)
    return forked


def test_a_big_report_is_converted_in_two_processes_to_the_same_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: list[int]
) -> None:
    report = _trivy_report(tmp_path / "trivy.json", 300)
    alone = _convert_to_files(report, tmp_path, tmp_path / "alone")
    assert children == []  # smaller than the limit
    monkeypatch.setattr(commands, "APART_MIN_CHARS", report.stat().st_size)
    assert _convert_to_files(report, tmp_path, tmp_path / "split") == alone
    assert len(children) == 1
    assert len(json.loads(alone["sarif"])["runs"][0]["results"]) == 300


_PARENT = os.getpid()


def _killed_in_child(report: pipeline.ImportedReport, root: Path) -> pipeline.ScanResult:
    if os.getpid() != _PARENT:
        os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's OOM killer does
    return pipeline.convert(report, root, Config())


def test_a_child_that_dies_leaves_its_file_to_be_written_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, children: list[int]
) -> None:
    report = _trivy_report(tmp_path / "trivy.json", 300)
    alone = _convert_to_files(report, tmp_path, tmp_path / "alone")
    monkeypatch.setattr(commands, "APART_MIN_CHARS", 0)
    monkeypatch.setattr(commands, "_converted", _killed_in_child)
    assert _convert_to_files(report, tmp_path, tmp_path / "split") == alone
    assert len(children) == 1
