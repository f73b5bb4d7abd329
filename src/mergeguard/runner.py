"""Runs scanner processes (the only place that does), in parallel, failing closed."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from mergeguard import history, procs, reasons, spread, versions
from mergeguard.errors import ParseError, ScannerError
from mergeguard.model import Finding
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
    """Every job's outcome, in the jobs' order, running at most `workers` at once (CPU count).

    Per-file scanners with long file lists run as chunks, one per core (`spread`); the units start
    costliest first by the durations of the last run (`history`), the jobs' order where unmeasured.
    """
    workers = workers or os.cpu_count() or 2
    units = spread.units(jobs, workers)
    started = [units[i] for i in history.order([u.job.scanner.name for u in units], history.load())]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [(unit, pool.submit(run_job, unit.job)) for unit in started]
        done = [(unit, future.result()) for unit, future in futures]
    by_job: dict[int, list[tuple[spread.Unit, ScanOutcome]]] = {}
    for unit, outcome in sorted(done, key=lambda pair: (pair[0].index, pair[0].part)):
        by_job.setdefault(unit.index, []).append((unit, outcome))
    outcomes = [spread.merge(by_job[i]) for i in range(len(jobs))]
    history.record(o for o, job in zip(outcomes, jobs, strict=True) if job.target is not None)
    return outcomes


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
            findings = _parse(job.scanner, output, job.target)
            outcome = ScanOutcome(name, Status.OK, tuple(findings), version=version.result())
        except ScannerError as exc:
            reason = reasons.clean(str(exc))  # every reason is redacted and one line, whoever wrote it
            outcome = ScanOutcome(name, Status.FAILED, reason=reason, version=_quiet(version))
    return replace(outcome, duration_s=time.monotonic() - started)


def _parse(scanner: Scanner, output: ToolOutput, target: Target) -> list[Finding]:
    """The adapter's findings; a report it cannot read from a tool that printed none, or that exited
    non-zero, is the tool's failure: its exit status and own last error line say why, not the parser."""
    try:
        return scanner.parse(output, target)
    except ParseError as exc:
        if not output.report.strip():
            line = reasons.last_line(output.stderr)
            raise ScannerError(f"printed no report (exit status {output.exit_code}): {line}") from None
        if output.exit_code != 0:
            raise ScannerError(f"{exc} ({reasons.exit_reason(output.exit_code, output.stderr)})") from None
        raise


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
    """Run `command` in `cwd` (no shell, minimal environment); ScannerError if it cannot start,
    times out, is cancelled or fails. Its whole process group is ended however it ends."""
    env = procs.minimal_env({**_BASE_ENV, **command.env})
    done = procs.run(command.argv, cwd, env, timeout_s)
    return _finished(command, done.code, _text(done.stdout), _text(done.stderr))


def _finished(command: Command, code: int, stdout: str, stderr: str) -> ToolOutput:
    if code < 0:
        raise ScannerError(f"killed by signal {signal.Signals(-code).name}: {reasons.last_line(stderr)}")
    if code not in command.ok_exit_codes:
        # stderr only: stdout is the report, and a report holds the secrets it found, in clear.
        raise ScannerError(reasons.exit_reason(code, stderr))
    report = stdout
    if command.report_file is not None:
        try:
            report = command.report_file.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise ScannerError(f"wrote no report at {command.report_file}: {exc.strerror}") from None
    return ToolOutput(report=report, stderr=stderr, exit_code=code)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
