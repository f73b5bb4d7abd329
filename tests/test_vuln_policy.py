"""`--ignore-unfixed` and per-kind thresholds, gated on real Trivy reports with no scanner run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.cli.main import main
from tests.gitutil import GitTree

TRIVY = Path(__file__).parent / "fixtures" / "reports" / "trivy"
BLOCKING = ("HIGH", "CRITICAL")


def advisories(report: Path) -> list[dict[str, str]]:
    data = json.loads(report.read_text())
    results = data if isinstance(data, list) else data.get("Results") or []
    return [v for r in results for v in r.get("Vulnerabilities") or [] if v.get("Status") != "not_affected"]


def expected_exit(report: Path, ignore_unfixed: bool) -> int:
    """What the gate must say, worked out from the raw report, not from mergeguard's parser."""
    blocking = [
        v
        for v in advisories(report)
        if v["Severity"] in BLOCKING and (v.get("FixedVersion") or not ignore_unfixed)
    ]
    return 1 if blocking else 0


@pytest.fixture
def repo(tmp_path: Path) -> GitTree:
    tree = GitTree(tmp_path / "repo")
    tree.write("README.md", "# app\n")
    tree.commit("base")
    return tree


@pytest.mark.parametrize(
    "name",
    ["golden-image-debian-buster.json", "list-form-pre-0.20-image-debian.json", "schema2-fs-uv-lock.json"],
)
@pytest.mark.parametrize("ignore_unfixed", [False, True])
def test_ignore_unfixed_gates_exactly_on_advisories_with_fixes(
    repo: GitTree, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, ignore_unfixed: bool
) -> None:
    report = TRIVY / name
    flags = ["--ignore-unfixed"] if ignore_unfixed else []
    out = tmp_path / "r.json"
    code = main(
        [
            "scan",
            str(repo.root),
            "--scanners",
            "none",
            "--report",
            f"trivy={report}",
            "--fail-on",
            "high",
            *flags,
            "--json",
            str(out),
        ]
    )
    assert code == expected_exit(report, ignore_unfixed), capsys.readouterr().out
    vulns = [
        f for f in json.loads(out.read_text())["findings"] if f["kind"] in ("vulnerability", "dependency")
    ]
    assert len(vulns) == len(advisories(report))  # unfixed advisories are still reported


def test_the_two_reports_tell_pass_from_fail() -> None:
    """The cases above are not all one outcome: the unfixed-only report passes only with the flag."""
    unfixed_only = TRIVY / "list-form-pre-0.20-image-debian.json"
    assert (expected_exit(unfixed_only, False), expected_exit(unfixed_only, True)) == (1, 0)
    assert expected_exit(TRIVY / "golden-image-debian-buster.json", True) == 1


def test_per_kind_thresholds(repo: GitTree, capsys: pytest.CaptureFixture[str]) -> None:
    """A critical image CVE blocks under `vulnerability: critical`; raising the bar above it passes."""
    report = TRIVY / "golden-image-debian-buster.json"
    assert {v["Severity"] for v in advisories(report)} == {"LOW", "CRITICAL"}
    args = ["scan", str(repo.root), "--scanners", "none", "--report", f"trivy={report}", "--fail-on", "low"]
    repo.write(".mergeguard.yml", "fail-on-kind:\n  vulnerability: critical\n")
    assert main(args) == 1  # the critical one still blocks; the low one no longer does
    assert "1 finding at or above low (vulnerability: critical) severity" in capsys.readouterr().out


def test_unknown_kind_in_config_is_exit_2(repo: GitTree, capsys: pytest.CaptureFixture[str]) -> None:
    repo.write(".mergeguard.yml", "fail-on-kind:\n  image: critical\n")
    assert (
        main(
            [
                "scan",
                str(repo.root),
                "--scanners",
                "none",
                "--report",
                f"trivy={TRIVY / 'golden-image-debian-buster.json'}",
            ]
        )
        == 2
    )
    assert ".mergeguard.yml:2: fail-on-kind.image: unknown kind" in capsys.readouterr().err
