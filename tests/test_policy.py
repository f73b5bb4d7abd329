"""The verdict: new versus pre-existing, the severity threshold, and scanner errors failing closed."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from mergeguard.core.baseline import BaselineEntry
from mergeguard.core.changes import ChangedFile, ChangeSet, CommitRange, Mode
from mergeguard.core.config import Config
from mergeguard.core.filekinds import FileKind
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.core.policy import FindingStatus, Verdict, decide

ANY = frozenset({FileKind.ANY})


def finding(path: str, line: int, severity: Severity = Severity.HIGH, commit: str | None = None) -> Finding:
    return Finding("bandit", "B1", severity, "t", "m", Location(path, line), Kind.CODE, commit=commit)


def pr_changes(**touched: frozenset[int]) -> ChangeSet:
    files = tuple(ChangedFile(path.replace("_", "."), ANY, lines) for path, lines in touched.items())
    return ChangeSet(Path("/r"), Mode.CHANGED, files, commit_range=CommitRange("b", "h", 2))


ALL = ChangeSet(Path("/r"), Mode.ALL, (ChangedFile("a.py", ANY), ChangedFile("b.py", ANY)))
OK = [ScanOutcome("bandit", Status.OK)]


@pytest.mark.parametrize(
    ("severity", "fail_on", "verdict"),
    [
        (Severity.HIGH, Severity.HIGH, Verdict.FAIL),
        (Severity.CRITICAL, Severity.HIGH, Verdict.FAIL),
        (Severity.MEDIUM, Severity.HIGH, Verdict.PASS),
        (Severity.LOW, Severity.LOW, Verdict.FAIL),
        (Severity.UNKNOWN, Severity.INFO, Verdict.PASS),
    ],
)
def test_threshold(severity: Severity, fail_on: Severity, verdict: Verdict) -> None:
    decision = decide([finding("a.py", 1, severity)], OK, ALL, Config(fail_on=fail_on))
    assert decision.verdict is verdict
    assert decision.verdict.exit_code == {Verdict.PASS: 0, Verdict.FAIL: 1}[verdict]


def test_pr_mode_marks_untouched_lines_pre_existing() -> None:
    changes = pr_changes(a_py=frozenset({10, 11}))
    decision = decide([finding("a.py", 10), finding("a.py", 3)], OK, changes, Config())
    statuses = [(a.finding.location.start_line, a.status, a.blocking) for a in decision.assessed]
    assert statuses == [(10, FindingStatus.NEW, True), (3, FindingStatus.PRE_EXISTING, False)]
    assert decision.verdict is Verdict.FAIL


def test_pre_existing_can_be_made_to_block() -> None:
    changes = pr_changes(a_py=frozenset({10}))
    decision = decide([finding("a.py", 3)], OK, changes, Config(fail_on_pre_existing=True))
    assert decision.verdict is Verdict.FAIL


def test_findings_outside_the_change_are_counted_not_reported() -> None:
    changes = pr_changes(a_py=frozenset({1}))
    decision = decide([finding("a.py", 1), finding("other.py", 1)], OK, changes, Config())
    assert [a.finding.location.path for a in decision.assessed] == ["a.py"]
    assert decision.out_of_scope == 1


def test_a_secret_in_a_range_commit_is_new_even_if_the_file_is_gone() -> None:
    changes = pr_changes(a_py=frozenset({1}))
    decision = decide([finding("deleted.env", 4, commit="abc")], OK, changes, Config())
    assert decision.assessed[0].status is FindingStatus.NEW
    assert decision.verdict is Verdict.FAIL


def test_a_range_commit_that_only_put_back_a_secret_leaves_it_to_the_line_rule() -> None:
    """`scan.readded` lists where the commits only re-added the base's secrets: judged as any other."""
    changes = pr_changes(a_py=frozenset({1}))
    found = [
        finding("a.py", 1, commit="abc"),
        finding("a.py", 3, commit="abc"),
        finding("gone.py", 2, commit="abc"),
    ]
    readded = frozenset({("a.py", 1), ("a.py", 3), ("gone.py", 2)})
    decision = decide(found, OK, changes, Config(), readded=readded)
    statuses = [(a.finding.location.path, a.finding.location.start_line, a.status) for a in decision.assessed]
    assert statuses == [
        ("a.py", 1, FindingStatus.NEW),  # a line the change touched
        ("a.py", 3, FindingStatus.PRE_EXISTING),
        ("gone.py", 2, FindingStatus.PRE_EXISTING),  # kept in the report: the commits carry it
    ]
    assert decide(found[1:], OK, changes, Config()).verdict is Verdict.FAIL


def test_a_kind_the_file_gained_makes_its_tools_findings_new_on_every_line() -> None:
    """Renamed `notes/build.txt -> Dockerfile`: hadolint never checked it at the base; a secret
    scanner, which checks every file, did."""
    dockerfile = ChangedFile("Dockerfile", frozenset({FileKind.ANY, FileKind.DOCKERFILE}), frozenset())
    changes = ChangeSet(
        Path("/r"),
        Mode.CHANGED,
        (replace(dockerfile, origin="notes/build.txt", gained=frozenset({FileKind.DOCKERFILE})),),
        commit_range=CommitRange("b", "h", 1),
    )
    lint = Finding(
        "hadolint", "DL3020", Severity.HIGH, "t", "m", Location("Dockerfile", 3), Kind.MISCONFIGURATION
    )
    secret = replace(lint, tool="trivy-secret", rule_id="aws", kind=Kind.SECRET)
    applies_to = {"hadolint": frozenset({FileKind.DOCKERFILE}), "trivy-secret": ANY}
    decision = decide([lint, secret], OK, changes, Config(), applies_to=applies_to)
    assert [(a.finding.tool, a.status) for a in decision.assessed] == [
        ("hadolint", FindingStatus.NEW),
        ("trivy-secret", FindingStatus.PRE_EXISTING),
    ]


def test_a_failed_scanner_fails_closed_and_is_named() -> None:
    outcomes = [*OK, ScanOutcome("checkov", Status.FAILED, reason="timed out after 5s")]
    decision = decide([], outcomes, ALL, Config())
    assert decision.verdict is Verdict.ERROR
    assert decision.verdict.exit_code == 3
    assert "scanner checkov failed: timed out after 5s" in decision.reason


def test_scanner_errors_can_be_allowed_by_policy() -> None:
    outcomes = [ScanOutcome("checkov", Status.FAILED, reason="crashed")]
    decision = decide([], outcomes, ALL, Config(fail_on_scanner_error=False))
    assert decision.verdict is Verdict.PASS
    assert "allowed by fail-on-scanner-error: false" in decision.reason


def test_blocking_findings_win_over_scanner_errors_and_both_are_said() -> None:
    outcomes = [ScanOutcome("checkov", Status.FAILED, reason="crashed")]
    decision = decide([finding("a.py", 1)], outcomes, ALL, Config())
    assert decision.verdict is Verdict.FAIL
    assert "1 finding at or above high" in decision.reason and "checkov failed" in decision.reason


def test_skipped_scanners_are_not_errors() -> None:
    decision = decide([], [ScanOutcome("hadolint", Status.SKIPPED, reason="no Dockerfile")], ALL, Config())
    assert decision.verdict is Verdict.PASS


def accepted_entry(f: Finding, expires: dt.date | None = None) -> BaselineEntry:
    return BaselineEntry(
        f.fingerprint, f.tool, f.rule_id, f.location.path, "accepted: tracked in SEC-1", "ada", expires
    )


def with_print(f: Finding, fp: str) -> Finding:
    return replace(f, fingerprint=fp)


TODAY = dt.date(2026, 11, 23)


def test_accepted_findings_are_kept_tagged_and_do_not_block() -> None:
    f = with_print(finding("a.py", 1), "a" * 32)
    decision = decide([f], OK, ALL, Config(), baseline=[accepted_entry(f)], today=TODAY)
    assert decision.verdict is Verdict.PASS
    (only,) = decision.assessed
    assert only.status is FindingStatus.ACCEPTED and not only.blocking
    assert only.entry is not None and only.entry.reason == "accepted: tracked in SEC-1"


def test_an_expired_acceptance_fails_the_gate_again() -> None:
    f = with_print(finding("a.py", 1), "a" * 32)
    decision = decide([f], OK, ALL, Config(), baseline=[accepted_entry(f, TODAY)], today=TODAY)
    assert decision.verdict is Verdict.FAIL
    assert decision.assessed[0].status is FindingStatus.EXPIRED
    assert "1 whose baseline acceptance expired" in decision.reason


def test_stale_entries_only_where_their_tool_ran_and_their_file_was_scanned() -> None:
    gone = BaselineEntry("b" * 32, "bandit", "B1", "a.py", "x")
    tool_not_run = BaselineEntry("c" * 32, "checkov", "CKV_DOCKER_3", "a.py", "x")
    file_not_changed = BaselineEntry("d" * 32, "bandit", "B1", "other.py", "x")
    entries = [gone, tool_not_run, file_not_changed]
    assert decide([], OK, ALL, Config(), baseline=entries).stale == (gone, file_not_changed)
    assert decide([], OK, pr_changes(a_py=frozenset({1})), Config(), baseline=entries).stale == (gone,)
