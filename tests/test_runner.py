"""The runner fails closed: missing, killed, timed out, failing or garbage-printing tools are FAILED."""

from __future__ import annotations

import stat
import time
from pathlib import Path
from typing import ClassVar

import pytest

from mergeguard.core.errors import ScannerError
from mergeguard.core.filekinds import FileKind
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.core.outcome import Status
from mergeguard.scan.runner import run_all, run_job
from mergeguard.scanners.base import Command, Job, Target, ToolOutput, load_json
from mergeguard.scanners.commands import run_command


class ScriptScanner:
    """A scanner whose tool is a shell script written by the test (fault injection)."""

    name: ClassVar[str] = "script"
    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.ANY})
    version_args: ClassVar[tuple[str, ...]] = ("--version",)

    def __init__(self, executable: str) -> None:
        self.executable = executable

    def command(self, exe: str, target: Target) -> Command:
        return Command((exe, "--", *target.files), ok_exit_codes=frozenset({0, 1}))

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        rows = load_json(output.report, self.name)
        return [
            Finding(self.name, r["rule"], Severity.LOW, "t", "m", Location(r["path"]), Kind.CODE)
            for r in rows
        ]


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "tool.sh"
    path.write_text('#!/bin/sh\nif [ "$1" = --version ]; then echo "tool 1.2.3"; exit 0; fi\n' + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def job(tmp_path: Path, body: str, timeout: float = 30) -> Job:
    target = Target(tmp_path, ("-dash file.py",), tmp_path, workdir=tmp_path)
    return Job(ScriptScanner(script(tmp_path, body)), target, timeout)  # type: ignore[arg-type]


def test_a_good_run_gives_findings_version_and_time(tmp_path: Path) -> None:
    outcome = run_job(job(tmp_path, 'echo "[{\\"rule\\": \\"R1\\", \\"path\\": \\"$2\\"}]"\nexit 1\n'))
    assert outcome.status is Status.OK, outcome.reason
    assert outcome.version == "1.2.3"
    assert [f.location.path for f in outcome.findings] == ["-dash file.py"]
    assert outcome.duration_s > 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("kill -SEGV $$\n", "killed by signal SIGSEGV"),
        ("echo 'boom: no such rule' >&2\nexit 2\n", "exited with status 2: boom: no such rule"),
        ("echo 'Traceback (most recent call last):'\n", "printed no JSON report"),
        ("echo '[{\"rule\": '\n", "printed unparseable JSON"),
        ("exit 0\n", "printed no report (exit status 0): no error output"),
    ],
)
def test_faults_end_as_failed_with_the_reason(tmp_path: Path, body: str, reason: str) -> None:
    outcome = run_job(job(tmp_path, body))
    assert outcome.status is Status.FAILED
    assert reason in outcome.reason
    assert outcome.findings == ()


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "child-survived"
    body = f"(sleep 3; touch '{marker}') &\nsleep 30\n"
    started = time.monotonic()
    outcome = run_job(job(tmp_path, body, timeout=0.5))
    assert outcome.status is Status.FAILED
    assert outcome.reason == "timed out after 0.5s"
    assert time.monotonic() - started < 10
    time.sleep(3.5)
    assert not marker.exists()


def test_further_runs_of_a_command_follow_the_first(tmp_path: Path) -> None:
    """`Command.then`: the tool again with other arguments; reports back to back, the last failure's
    status; a failing run fails the command, and the runs share the time allowed."""
    exe = script(
        tmp_path,
        'echo "{\\"run\\": \\"$1\\"}"\necho "note $1" >&2\n'
        '[ "$1" = b ] && exit 1\n[ "$1" = c ] && sleep 30\nexit 0\n',
    )
    output = run_command(
        Command((exe, "a"), ok_exit_codes=frozenset({0, 1}), then=((exe, "b"), (exe, "a"))), tmp_path, 30
    )
    assert (output.report.split(), output.stderr, output.exit_code) == (
        ['{"run":', '"a"}', '{"run":', '"b"}', '{"run":', '"a"}'],
        "note a\nnote b\nnote a\n",
        1,
    )
    with pytest.raises(ScannerError, match=r"exited with status 1"):
        run_command(Command((exe, "a"), then=((exe, "b"),)), tmp_path, 30)
    with pytest.raises(ScannerError, match=r"^timed out after 1s \(in run 2 of 2\)$"):
        run_command(Command((exe, "a"), then=((exe, "c"),)), tmp_path, 1)


def test_missing_tool_is_a_failure_not_an_empty_result(tmp_path: Path) -> None:
    target = Target(tmp_path, ("a",), tmp_path)
    outcome = run_job(Job(ScriptScanner(str(tmp_path / "nope")), target, 5))  # type: ignore[arg-type]
    assert outcome.status is Status.FAILED
    assert "not found" in outcome.reason


def test_non_executable_tool_cannot_start(tmp_path: Path) -> None:
    path = tmp_path / "tool"
    path.write_text("not a program")
    path.chmod(0o700)
    target = Target(tmp_path, ("a",), tmp_path)
    outcome = run_job(Job(ScriptScanner(str(path)), target, 5))  # type: ignore[arg-type]
    assert outcome.status is Status.FAILED
    assert "cannot start" in outcome.reason


def test_skip_and_order_are_kept_in_parallel(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    slow = job(tmp_path / "s", 'sleep 1\necho "[]"\n')
    fast = job(tmp_path, 'echo "[]"\n')
    skipped = Job(ScriptScanner("x"), None, 1, skip_reason="no files")  # type: ignore[arg-type]
    outcomes = run_all([slow, skipped, fast], workers=2)
    assert [o.status for o in outcomes] == [Status.OK, Status.SKIPPED, Status.OK]
    assert outcomes[1].reason == "no files"
