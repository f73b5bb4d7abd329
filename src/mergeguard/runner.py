"""Runs scanner processes (the only place that does), in parallel, failing closed."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from mergeguard import versions
from mergeguard.errors import ScannerError
from mergeguard.scanners.base import Command, Scanner, ScanOutcome, Status, Target, ToolOutput

_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?")
_VERSION_TIMEOUT_S = 60.0
# Tools are run with a plain, colourless environment; adapters add their own offline switches.
_BASE_ENV = {"NO_COLOR": "1", "TERM": "dumb", "PYTHONIOENCODING": "utf-8"}


@dataclass(frozen=True, slots=True)
class Job:
    """One scanner to run on one target, or to skip with a reason when `target` is None."""

    scanner: Scanner
    target: Target | None
    timeout_s: float
    skip_reason: str = ""


def find_executable(name: str) -> str | None:
    """The tool next to the running interpreter (mergeguard's venv) first, then on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def run_all(jobs: Sequence[Job], workers: int | None = None) -> list[ScanOutcome]:
    """Every job's outcome, in the jobs' order, running at most `workers` at once (CPU count)."""
    workers = workers or os.cpu_count() or 2
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run_job, jobs))


def run_job(job: Job) -> ScanOutcome:
    """Run one scanner; every way it can go wrong ends as a FAILED outcome naming the reason."""
    name = job.scanner.name
    if job.target is None:
        return ScanOutcome(name, Status.SKIPPED, reason=job.skip_reason)
    exe = find_executable(job.scanner.executable)
    if exe is None:
        reason = f"{job.scanner.executable} not found (run `make install` or put it on PATH)"
        return ScanOutcome(name, Status.FAILED, reason=reason)
    started = time.monotonic()
    version: Future[str] | None = None
    with ThreadPoolExecutor(max_workers=1) as side:
        try:
            command = job.scanner.command(exe, job.target)
            # The version probe gets the scan's environment (its offline switches) and runs alongside.
            args, env = job.scanner.version_args, command.env
            version = side.submit(versions.cached, exe, lambda: tool_version(exe, args, env))
            output = run_command(command, job.target.root, job.timeout_s)
            findings = job.scanner.parse(output, job.target)
            outcome = ScanOutcome(name, Status.OK, tuple(findings), version=version.result())
        except ScannerError as exc:
            outcome = ScanOutcome(name, Status.FAILED, reason=str(exc), version=_quiet(version))
    return replace(outcome, duration_s=time.monotonic() - started)


def _quiet(version: Future[str] | None) -> str:
    """The version when the probe worked, "" when it did not (the scan's failure says enough)."""
    try:
        return version.result() if version is not None else ""
    except ScannerError:
        return ""


def probe_version(scanner: Scanner, exe: str) -> str:
    """The scanner's version, asked with the environment its scans get (their offline switches)."""
    with tempfile.TemporaryDirectory(prefix="mergeguard-probe-") as tmp:
        scratch = Path(tmp)
        env = scanner.command(exe, Target(scratch, ("probe",), scratch, workdir=scratch)).env
        return tool_version(exe, scanner.version_args, env)


def tool_version(exe: str, args: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """The first dotted version number the tool prints for `args` ("" if it prints none)."""
    output = run_command(Command((exe, *args), env or {}), Path.cwd(), _VERSION_TIMEOUT_S)
    match = _VERSION.search(output.report + output.stderr)
    return match.group(0) if match else ""


def run_command(command: Command, cwd: Path, timeout_s: float) -> ToolOutput:
    """Run `command` in `cwd` (no shell); ScannerError if it cannot start, times out or fails."""
    env = {**os.environ, **_BASE_ENV, **command.env}
    try:
        process = subprocess.Popen(
            command.argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so a timeout kills its children too
        )
    except OSError as exc:
        raise ScannerError(f"cannot start {command.argv[0]}: {exc.strerror}") from None
    try:
        stdout, stderr = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise ScannerError(f"timed out after {timeout_s:g}s") from None
    return _finished(command, process.returncode, _text(stdout), _text(stderr))


def _finished(command: Command, code: int, stdout: str, stderr: str) -> ToolOutput:
    if code < 0:
        raise ScannerError(f"killed by signal {signal.Signals(-code).name}")
    if code not in command.ok_exit_codes:
        raise ScannerError(f"exited with status {code}: {_summary(stderr or stdout)}")
    report = stdout
    if command.report_file is not None:
        try:
            report = command.report_file.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ScannerError(f"wrote no report at {command.report_file}: {exc.strerror}") from None
    return ToolOutput(report=report, stderr=stderr, exit_code=code)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _summary(text: str) -> str:
    """The first and last lines of a tool's complaint: Python puts the cause last, Go and GHC first."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "no output"
    summary = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"
    return summary if len(summary) <= 240 else summary[:240] + "..."
