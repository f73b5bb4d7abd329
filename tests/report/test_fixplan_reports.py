"""The fix plan in the JSON report (`fixes`) and in the PR comment and job summary (a short table)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from mergeguard.core.baseline import BaselineEntry
from mergeguard.core.changes import ChangeSet, Mode
from mergeguard.core.config import Config
from mergeguard.core.model import Finding, Kind, Location, Package, Severity
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.core.policy import decide
from mergeguard.report import json_report
from mergeguard.report.markdown import LinkContext, render_comment, render_summary
from mergeguard.scan import fingerprints
from mergeguard.scan.imported import parse_file
from mergeguard.scan.pipeline import ScanResult
from tests.golden import FIXTURES
from tests.report.test_markdown import assert_inert, visible

REPORTS = FIXTURES / "reports"
GOLDEN = FIXTURES / "markdown" / "fixplan-comment.md"
LINKS = LinkContext("https://github.com", "acme/shop", "9b8e7d6c5b4a39281706f5e4d3c2b1a098765432")
TODAY = dt.date(2026, 1, 15)
ALPINE = "container-image/testdata/fixtures/images/alpine-310.tar.gz"
NONE = "\u2013"  # the en dash the table shows for "nothing"


def parsed(tool: str, name: str) -> list[Finding]:
    path = REPORTS / name
    return parse_file(tool, path.read_text(encoding="utf-8"), path.parent, name)


def result_of(findings: list[Finding], baseline: tuple[BaselineEntry, ...] = ()) -> ScanResult:
    findings = fingerprints.assign(findings, REPORTS)
    outcomes = tuple(
        ScanOutcome(tool, Status.OK, tuple(f for f in findings if f.tool == tool), version="x")
        for tool in dict.fromkeys(f.tool for f in findings)
    )
    changes = ChangeSet(Path("/work/shop"), Mode.ALL, ())
    config = Config()
    decision = decide(findings, outcomes, changes, config, baseline=baseline, today=TODAY)
    return ScanResult(changes, outcomes, decision, config)


def recorded() -> ScanResult:
    """Trivy on an Alpine image and on a requirements file, Trivy on UBI 7 (won't fix), Grype on a jar."""
    return result_of(
        [
            *parsed("trivy", "trivy/golden-image-alpine-310.json"),
            *parsed("trivy", "trivy/golden-repo-pip-requirements.json"),
            *parsed("trivy", "trivy/golden-image-ubi7-will-not-fix.json"),
            *parsed("grype", "grype/v0.114.0-file-leading-slash.json"),
        ]
    )


def test_json_report_fixes() -> None:
    fixes = json_report.build(recorded())["fixes"]
    by_package = {f["package"]: f for f in fixes}
    assert by_package["libcrypto1.1"] == {
        "ecosystem": "alpine",
        "package": "libcrypto1.1",
        "installed": "1.1.1c-r0",
        "target": "1.1.1d-r2",
        "fixes": ["CVE-2019-1549", "CVE-2019-1551"],
        "unfixed": [],
        "path": ALPINE,
        "origin": "base-image",
        "ordering": "apk",
    }
    assert by_package["Werkzeug"]["target"] == "0.15.3"
    assert by_package["Werkzeug"]["origin"] == "application"
    assert (by_package["bash"]["target"], by_package["bash"]["unfixed"]) == (None, ["CVE-2019-18276"])
    assert by_package["jackson-core"]["ordering"] == "generic"
    assert [f["package"] for f in fixes][:1] == ["Werkzeug"]  # the only high one first
    assert len(fixes) == 6


def test_accepted_findings_stay_out_of_the_plan() -> None:
    findings = fingerprints.assign(parsed("trivy", "trivy/golden-repo-pip-requirements.json"), REPORTS)
    high = next(f for f in findings if f.rule_id == "CVE-2019-14806")
    accepted = BaselineEntry(
        high.fingerprint, "trivy", high.rule_id, high.location.path, "debug PIN unused", "ops"
    )
    (werkzeug,) = json_report.build(result_of(findings, (accepted,)))["fixes"]
    assert (werkzeug["target"], werkzeug["fixes"]) == ("0.11.6", ["CVE-2020-28724"])


@pytest.mark.parametrize("render", [render_comment, render_summary])
def test_markdown_table(render: object, regen_golden: bool) -> None:
    result = recorded()
    text = render(result, links=LINKS)  # type: ignore[operator]
    assert "#### Fix plan (6 packages)" in text
    assert f"| Werkzeug | 0.11 → **0.15.3** | 1 high, 1 medium | {NONE} | requirements.txt |" in text
    assert (
        f"| libcrypto1.1 | 1.1.1c-r0 → **1.1.1d-r2** | 2 medium | {NONE} | {ALPINE} <sub>base image</sub> |"
        in text
    )
    ubi = "container-image/testdata/fixtures/images/ubi-7.tar.gz"
    assert (
        f"| bash | 4.2.46-33.el7: no fixed version | {NONE} | 1 low | {ubi} <sub>base image</sub> |" in text
    )
    assert "| jackson-core | 2.19.0 → **2.21.1** <sub>generic version order</sub> | 1 medium |" in text
    assert "Base-image packages are fixed by a newer base image (change `FROM`)" in text
    assert_inert(text, result)
    if render is render_comment:
        if regen_golden:
            GOLDEN.write_text(text, encoding="utf-8")
        assert text == GOLDEN.read_text(encoding="utf-8")


def test_no_vulnerabilities_no_fix_plan() -> None:
    code = Finding("bandit", "B602", Severity.HIGH, "t", "m", Location("app.py", 3), Kind.CODE)
    text = render_comment(result_of([code]))
    assert "Fix plan" not in text
    assert json_report.build(result_of([code]))["fixes"] == []


def test_comment_table_is_bounded_summary_longer() -> None:
    base = parsed("trivy", "trivy/golden-repo-pip-requirements.json")[0]
    assert base.package is not None
    many = [
        replace(base, package=replace(base.package, name=f"pkg{i:02d}"), evidence=f"pkg{i:02d}")
        for i in range(40)
    ]
    result = result_of(many)
    comment, summary = visible(render_comment(result)), visible(render_summary(result))
    assert "Fix plan (40 packages)" in comment
    assert comment.count("→ 0.15.3") == 15
    assert "… and 25 more (the JSON report lists every package under fixes)." in comment
    assert summary.count("→ 0.15.3") == 40


def test_tool_text_in_a_package_is_inert() -> None:
    hostile = Package("<img src=x onerror=alert(1)> @team #1", "1.0 | x", "2.0`", "npm")
    where = Location("package-lock.json")
    finding = Finding("grype", "GHSA-x", Severity.HIGH, "t", "m", where, Kind.DEPENDENCY, package=hostile)
    result = result_of([finding])
    text = render_comment(result, links=LINKS)
    assert_inert(text, result)
    (row,) = [line for line in text.splitlines() if "onerror" in line]
    assert row.count("|") == 6  # five cells: no tool `|` splits one
    assert "<img src=x onerror=alert(1)> @team #1" in visible(row)
    assert "1.0 | x → 2.0` generic version order" in visible(row)
