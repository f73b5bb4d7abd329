"""PR mode for images: with the base branch's image given too, only advisories absent from it are new."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.cli.main import main
from tests.gitutil import GitTree

TRIVY = Path(__file__).parent / "fixtures" / "reports" / "trivy"
HEAD_IMAGE = TRIVY / "golden-image-debian-buster.json"  # a CRITICAL advisory with a fix, and a LOW one
OTHER_IMAGE = TRIVY / "list-form-pre-0.20-image-debian.json"  # shares bash 5.0-4 CVE-2019-18276 only


@pytest.fixture
def repo(tmp_path: Path) -> GitTree:
    tree = GitTree(tmp_path / "repo")
    tree.write("README.md", "# app\n")
    tree.commit("base")
    tree.git("branch", "base")
    tree.write("app.py", "x = 1\n")
    tree.commit("the pull request")
    return tree


def gate(repo: GitTree, tmp_path: Path, *extra: str) -> tuple[int, dict[str, str]]:
    out = tmp_path / "r.json"
    args = ["scan", str(repo.root), "--base", "base", "--scanners", "none", "--report", f"trivy={HEAD_IMAGE}"]
    code = main([*args, *extra, "--json", str(out)])
    return code, {f["rule_id"]: f["status"] for f in json.loads(out.read_text())["findings"]}


def test_without_the_base_image_every_image_advisory_is_new(repo: GitTree, tmp_path: Path) -> None:
    code, statuses = gate(repo, tmp_path)
    assert code == 1
    assert statuses == {"CVE-2019-18224": "new", "CVE-2019-18276": "new"}


def test_advisories_the_base_image_had_are_pre_existing(repo: GitTree, tmp_path: Path) -> None:
    code, statuses = gate(repo, tmp_path, "--base-report", f"trivy={HEAD_IMAGE}")
    assert code == 0
    assert statuses == {"CVE-2019-18224": "pre-existing", "CVE-2019-18276": "pre-existing"}


def test_only_the_advisory_the_base_image_lacked_is_new(repo: GitTree, tmp_path: Path) -> None:
    code, statuses = gate(repo, tmp_path, "--base-report", f"trivy={OTHER_IMAGE}")
    assert code == 1  # the critical one is new
    assert statuses == {"CVE-2019-18224": "new", "CVE-2019-18276": "pre-existing"}


def test_the_base_image_needs_pr_mode(repo: GitTree, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["scan", str(repo.root), "--scanners", "none", "--report", f"trivy={HEAD_IMAGE}"]
    assert main([*args, "--base-report", f"trivy={HEAD_IMAGE}"]) == 2
    assert "need --base REF" in capsys.readouterr().err


def test_an_untyped_image_result_of_the_oldest_reports_is_in_scope(repo: GitTree, tmp_path: Path) -> None:
    """A list report with no `Type` or `Class` (Trivy before 0.20): placed at the target as a file, its
    findings fell out of scope and the gate passed."""
    report = TRIVY / "list-form-no-type-image-debian.json"  # two HIGH advisories, no fix
    out = tmp_path / "r.json"
    args = ["scan", str(repo.root), "--base", "base", "--scanners", "none", "--report", f"trivy={report}"]
    assert main([*args, "--json", str(out)]) == 1
    found = json.loads(out.read_text())
    assert {f["path"] for f in found["findings"]} == {"container-image/benno001/problematic-project"}
    assert len(found["findings"]) == 4
