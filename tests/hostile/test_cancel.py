"""Ctrl-C and SIGTERM end every scanner and exit 130/143; a scanner's leftover child never hangs the gate."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import ClassVar

import pytest

from mergeguard.core.filekinds import FileKind
from mergeguard.core.model import Finding
from mergeguard.core.outcome import Status
from mergeguard.scan.runner import run_job
from mergeguard.scanners.base import Command, Job, Target, ToolOutput, load_json
from tests.gitutil import GitTree

# `mergeguard scan` in a process of its own, with bandit replaced by the script named in argv[1].
WRAPPER = """
import sys
from mergeguard.scanners import commands
commands.find_executable = lambda name: sys.argv[1] if name == "bandit" else None
from mergeguard.cli.main import main
sys.exit(main(sys.argv[2:]))
"""
# A scanner that hangs, with a child of its own; both write their pids so the test can look for them.
SLOW = 'echo $$ > "{pids}.main"\nsleep 300 &\necho $! > "{pids}.child"\nsleep 300\n'


def write_script(path: Path, body: str) -> str:
    path.write_text('#!/bin/sh\ncase "$1" in --version) echo "tool 9.9.9"; exit 0;; esac\n' + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting for a reaper that is not there counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


def wait_for(path: Path, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not (path.exists() and path.read_text().strip()):
        if time.monotonic() > deadline:
            pytest.fail(f"{path.name} never appeared")
        time.sleep(0.05)


def gone(pids: list[int], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while any(alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_ends_every_scanner_and_exits_cancelled(tmp_path: Path, signum: int, code: int) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("app.py", "print(1)\n")
    tree.commit("base")
    pids = tmp_path / "pids"
    tool = write_script(tmp_path / "slow-bandit", SLOW.format(pids=pids))
    argv = [
        sys.executable,
        "-c",
        WRAPPER,
        tool,
        "scan",
        str(tree.root),
        "--all-files",
        "--scanners",
        "bandit",
    ]
    gate = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(pids.with_suffix(".child"))
        scanner = [int(pids.with_suffix(s).read_text()) for s in (".main", ".child")]
        gate.send_signal(signum)
        out, err = gate.communicate(timeout=60)
    finally:
        if gate.poll() is None:
            gate.kill()
    assert gate.returncode == code
    assert err.strip().splitlines()[-1] == "mergeguard: cancelled"
    assert "Traceback" not in out + err
    assert "FAIL" not in out  # no verdict: the run was cancelled, not judged
    assert gone(scanner), "a scanner process outlived the cancelled run"


class EchoScanner:
    """A scanner whose tool is a script: it prints a JSON list of rules (empty here)."""

    name: ClassVar[str] = "echo"
    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.ANY})
    version_args: ClassVar[tuple[str, ...]] = ("--version",)

    def __init__(self, executable: str) -> None:
        self.executable = executable

    def command(self, exe: str, target: Target) -> Command:
        return Command((exe,))

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        assert load_json(output.report, self.name) == []
        return []


def run_script(tmp_path: Path, body: str, timeout: float = 300) -> Status:
    target = Target(tmp_path, ("a.py",), tmp_path, workdir=tmp_path)
    scanner = EchoScanner(write_script(tmp_path / "tool.sh", body))
    outcome = run_job(Job(scanner, target, timeout))  # type: ignore[arg-type]
    assert outcome.status is Status.OK, outcome.reason
    return outcome.status


def test_a_child_holding_the_pipes_does_not_hang_the_gate_and_is_ended(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    started = time.monotonic()
    run_script(tmp_path, f"sleep 1000 &\necho $! > '{pid_file}'\necho '[]'\nexit 0\n")
    # Not a timing test: without the fix this waits for the 300 s timeout (and then fails).
    assert time.monotonic() - started < 60
    assert gone([int(pid_file.read_text())])


def test_a_child_in_a_session_of_its_own_is_stopped_being_read_from(tmp_path: Path) -> None:
    """A child the group kill cannot reach (setsid) holds the pipe: reading stops shortly after exit."""
    pid_file = tmp_path / "child.pid"
    body = f"setsid sh -c 'echo $$ > \"{pid_file}\"; exec sleep 1000' &\nsleep 0.5\necho '[]'\nexit 0\n"
    started = time.monotonic()
    try:
        run_script(tmp_path, body)
        assert time.monotonic() - started < 60
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_output_written_just_before_exit_is_all_read(tmp_path: Path) -> None:
    """Killing the group once the tool exits loses nothing it wrote: the pipes are drained first."""
    big = tmp_path / "big.json"
    big.write_text("[" + " " * 1_000_000 + "]")
    run_script(tmp_path, f"sleep 1000 &\ncat '{big}'\nexit 0\n")
