"""The policy says why: each rule that blocks reaches the verdict line, the JSON report and the comment."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from mergeguard.cli.main import main
from mergeguard.core.baseline import BaselineEntry
from mergeguard.core.blocks import Block, BlockRule
from mergeguard.core.changes import ChangedFile, ChangeSet, CommitRange, Mode
from mergeguard.core.config import Config
from mergeguard.core.filekinds import FileKind
from mergeguard.core.model import Finding, Kind, Location, Package, Severity
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.core.policy import Assessed, Decision, FindingStatus, Verdict, decide
from mergeguard.core.text import plain
from mergeguard.report import json_report, terminal
from mergeguard.report.markdown import escape, render_comment, render_summary
from mergeguard.report.workflow_commands import annotation_commands
from mergeguard.scan import policydiff
from mergeguard.scan.pipeline import ScanResult
from tests.gitutil import GitTree

ANY = frozenset({FileKind.ANY})
TODAY = dt.date(2026, 11, 23)
OK = (ScanOutcome("bandit", Status.OK), ScanOutcome("trivy", Status.OK))
ALL = ChangeSet(Path("/r"), Mode.ALL, (ChangedFile("a.py", ANY), ChangedFile("requirements.txt", ANY)))
PR = ChangeSet(
    Path("/r"),
    Mode.CHANGED,
    (ChangedFile("a.py", ANY, frozenset({10})),),
    commit_range=CommitRange("b", "h", 1),
)
CODE = Finding(
    "bandit", "B602", Severity.HIGH, "shell", "m", Location("a.py", 3), Kind.CODE, fingerprint="a" * 32
)
VULN = Finding(
    "trivy",
    "CVE-2019-14806",
    Severity.MEDIUM,
    "werkzeug",
    "m",
    Location("requirements.txt", 1),
    Kind.VULNERABILITY,
    package=Package("werkzeug", "0.11", "0.15.3", "pip"),
)


@dataclass(frozen=True)
class Case:
    """A policy, a finding it blocks by one rule, and what each report must then say."""

    finding: Finding
    config: Config
    changes: ChangeSet
    rule: BlockRule
    setting: str
    threshold: str
    why: str  # the finding's reason
    verdict: str  # what the verdict line says
    baseline: tuple[BaselineEntry, ...] = ()


EXPIRED = BaselineEntry(CODE.fingerprint, "bandit", "B602", "a.py", "legacy", "ada", dt.date(2026, 1, 1))
CASES = {
    "fail-on": Case(
        CODE, Config(), ALL, BlockRule.FAIL_ON, "fail-on", "high", "at or above high (fail-on)",
        "1 finding at or above high severity",
    ),
    "fail-on-kind": Case(
        VULN, Config(fail_on_kind=MappingProxyType({Kind.VULNERABILITY: Severity.MEDIUM})), ALL,
        BlockRule.FAIL_ON_KIND, "fail-on-kind.vulnerability", "medium",
        "at or above medium (fail-on-kind.vulnerability)",
        "1 finding at or above high (vulnerability: medium) severity",
    ),
    "expired-acceptance": Case(
        CODE, Config(), ALL, BlockRule.EXPIRED_ACCEPTANCE, "fail-on", "high",
        "baseline acceptance expired; at or above high (fail-on)",
        "1 finding at or above high severity (1 whose baseline acceptance expired)", (EXPIRED,),
    ),
    "fail-on-pre-existing": Case(
        CODE, Config(fail_on_pre_existing=True), PR, BlockRule.FAIL_ON_PRE_EXISTING, "fail-on", "high",
        "pre-existing, at or above high (fail-on), and fail-on-pre-existing is true",
        "1 finding at or above high severity (1 pre-existing that fail-on-pre-existing blocks)",
    ),
}  # fmt: skip


def result_of(case: Case) -> ScanResult:
    decision = decide([case.finding], OK, case.changes, case.config, baseline=case.baseline, today=TODAY)
    return ScanResult(case.changes, OK, decision, case.config)


@pytest.mark.parametrize("name", CASES)
def test_each_rule_is_carried_by_the_finding_and_said_in_every_report(name: str) -> None:
    case = CASES[name]
    result = result_of(case)
    (assessed,) = result.decision.blocking
    assert assessed.block is not None and assessed.block.rule is case.rule
    assert assessed.block.describe() == case.why
    assert result.decision.verdict is Verdict.FAIL and result.decision.rules == (case.rule,)
    # The verdict line (cli and action print `mergeguard: VERDICT: reason`).
    assert result.decision.reason == case.verdict
    # The JSON report: the finding's rule, the key that set its threshold, the threshold and why.
    report = json_report.build(result)
    (row,) = report["findings"]
    assert row["blocking"] is True
    expected = {
        "rule": case.rule.value,
        "setting": case.setting,
        "threshold": case.threshold,
        "reason": case.why,
    }
    assert row["blocked_by"] == expected
    assert report["verdict_rules"] == [case.rule.value] and report["reason"] == case.verdict
    # The PR comment and the job summary: in the table of findings that decide the verdict.
    for text in (render_comment(result), render_summary(result)):
        assert f"| {escape(case.why)} |" in text
        assert f"**{escape(case.verdict)}**" in text
    # The terminal summary and the annotation.
    assert f"[{case.why}]" in terminal.render(result)
    annotations = annotation_commands(result.decision.assessed)
    if assessed.status is FindingStatus.PRE_EXISTING:  # not what the change is about: never annotated
        assert annotations == []
    else:
        (annotation,) = annotations
        assert annotation.startswith("::error ") and annotation.endswith(f"Blocks the merge: {case.why}.")


def test_findings_that_do_not_block_have_no_rule_in_any_report() -> None:
    medium = replace(CODE, severity=Severity.MEDIUM)
    decision = decide([medium], OK, ALL, Config(), today=TODAY)
    result = ScanResult(ALL, OK, decision, Config())
    (assessed,) = decision.assessed
    assert not assessed.blocking and assessed.block is None and decision.rules == ()
    report = json_report.build(result)
    assert report["findings"][0]["blocked_by"] is None and report["verdict_rules"] == []
    assert "blocks because" not in render_comment(result)


def test_ignore_unfixed_keeps_an_advisory_without_a_fix_from_any_rule() -> None:
    unfixed = replace(VULN, severity=Severity.CRITICAL, package=Package("werkzeug", "0.11", None, "pip"))
    decision = decide([unfixed], OK, ALL, Config(ignore_unfixed=True), today=TODAY)
    assert decision.verdict is Verdict.PASS and decision.assessed[0].block is None


def test_a_failed_scanner_is_a_rule_of_the_whole_run() -> None:
    failed = (*OK, ScanOutcome("checkov", Status.FAILED, reason="timed out after 5s"))
    decision = decide([CODE], failed, ALL, Config(), today=TODAY)
    assert decision.rules == (BlockRule.FAIL_ON, BlockRule.SCANNER_ERROR)
    report = json_report.build(ScanResult(ALL, failed, decision, Config()))
    assert report["verdict_rules"] == ["fail-on", "fail-on-scanner-error"]
    allowed = decide([], failed, ALL, Config(fail_on_scanner_error=False), today=TODAY)
    assert allowed.verdict is Verdict.PASS and allowed.rules == ()


def test_a_policy_change_is_a_rule_of_the_whole_run_with_its_own_reason() -> None:
    block = Config(policy_changes="block")
    change = policydiff.PolicyChange(".mergeguard.yml", "modified", ("fail-on: high → critical",))
    passed = decide([], OK, ALL, block, today=TODAY)
    gated = policydiff.gate(passed, (change,), block)
    assert gated.verdict is Verdict.FAIL and gated.rules == (BlockRule.POLICY_CHANGES,)
    assert gated.reason.startswith("the change edits the gate's policy (.mergeguard.yml)")
    both = policydiff.gate(decide([CODE], OK, ALL, block, today=TODAY), (change,), block)
    assert both.rules == (BlockRule.FAIL_ON, BlockRule.POLICY_CHANGES)
    assert both.reason.startswith("1 finding at or above high severity; the change edits the gate's policy")
    report = json_report.build(ScanResult(ALL, OK, both, block, policy_changes=(change,)))
    assert report["verdict_rules"] == ["fail-on", "policy-changes"]
    assert policydiff.gate(passed, (change,), Config()) is passed  # `warn`: noted, not a rule that blocks


def test_both_notes_are_counted_when_rules_mix() -> None:
    config = Config(fail_on_pre_existing=True)
    expired = replace(CODE, location=Location("a.py", 10))
    entry = replace(EXPIRED, fingerprint=expired.fingerprint)
    findings = [CODE, replace(expired, fingerprint="b" * 32), expired]
    entries = (replace(entry, fingerprint="b" * 32),)
    decision = decide(findings, OK, PR, config, baseline=entries, today=TODAY)
    rules = sorted(a.block.rule for a in decision.assessed if a.block)
    assert rules == sorted([BlockRule.FAIL_ON_PRE_EXISTING, BlockRule.EXPIRED_ACCEPTANCE, BlockRule.FAIL_ON])
    assert decision.reason == (
        "3 findings at or above high severity "
        "(1 whose baseline acceptance expired, 1 pre-existing that fail-on-pre-existing blocks)"
    )


def test_a_rule_is_only_carried_by_a_blocking_finding() -> None:
    with pytest.raises(ValueError, match="does not block"):
        Assessed(CODE, FindingStatus.NEW, False, None, Block(BlockRule.FAIL_ON, Severity.HIGH))
    with pytest.raises(ValueError, match="whole run"):
        Block(BlockRule.SCANNER_ERROR, Severity.HIGH)
    decision = Decision(Verdict.PASS, (), (), 0, "no blocking findings")
    assert decision.blocked_by(BlockRule.POLICY_CHANGES, "why").reason == "why"


def test_block_text_in_the_comment_is_escaped() -> None:
    case = CASES["fail-on-kind"]
    text = render_comment(result_of(case))
    assert "(fail-on-kind.vulnerability)" not in text  # parentheses are entities in Markdown cells
    assert escape("at or above medium (fail-on-kind.vulnerability)") in text
    assert f"blocking at **{escape('high (vulnerability: medium)')}** and above" in text


# --- the real command line: the verdict line, the JSON report and the Markdown summary ---------------

SHELL = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


def cli(root: Path, out: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[str, Any, str]:
    json_file, md_file = out / "r.json", out / "r.md"
    code = main(
        [
            "scan",
            str(root),
            "--scanners",
            "bandit",
            "--json",
            str(json_file),
            "--markdown",
            str(md_file),
            *args,
        ]
    )
    assert code == 1
    printed = capsys.readouterr().out
    return printed, json.loads(json_file.read_text()), md_file.read_text()


@pytest.mark.scanner
def test_cli_says_a_finding_blocks_by_its_kinds_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitTree(tmp_path / "repo")
    repo.write("tasks.py", SHELL)
    repo.write(".mergeguard.yml", "fail-on: critical\nfail-on-kind:\n  code: high\n")
    repo.commit("base")
    printed, report, summary = cli(repo.root, tmp_path, capsys, "--all-files")
    why = "at or above high (fail-on-kind.code)"
    verdict = "1 finding at or above critical (code: high) severity"
    assert printed.strip().splitlines()[-1] == f"mergeguard: FAIL: {verdict}"
    assert "tasks.py:5  high  bandit  B602" in printed and f"[{why}]" in printed
    (b602,) = [f for f in report["findings"] if f["rule_id"] == "B602"]
    assert b602["blocked_by"] == {
        "rule": "fail-on-kind",
        "setting": "fail-on-kind.code",
        "threshold": "high",
        "reason": why,
    }
    assert report["verdict_rules"] == ["fail-on-kind"]
    assert f"| {escape(why)} |" in summary and f"**{escape(verdict)}**" in summary


@pytest.mark.scanner
def test_cli_says_a_pre_existing_finding_blocks_by_fail_on_pre_existing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = GitTree(tmp_path / "repo")
    repo.write("tasks.py", SHELL)
    repo.write(".mergeguard.yml", "fail-on-pre-existing: true\n")
    repo.commit("base")
    repo.git("branch", "base")
    repo.write("tasks.py", SHELL + "\n\ndef other():\n    return 1\n")
    repo.commit("touch another line")
    printed, report, summary = cli(repo.root, tmp_path, capsys, "--base", "base")
    why = "pre-existing, at or above high (fail-on), and fail-on-pre-existing is true"
    verdict = "1 finding at or above high severity (1 pre-existing that fail-on-pre-existing blocks)"
    assert printed.strip().splitlines()[-1] == f"mergeguard: FAIL: {plain(verdict)}"
    (b602,) = [f for f in report["findings"] if f["rule_id"] == "B602"]
    assert b602["status"] == "pre-existing" and b602["blocked_by"]["rule"] == "fail-on-pre-existing"
    assert b602["blocked_by"]["reason"] == why
    assert f"| {escape(why)} |" in summary
