"""Runs the scan's jobs in parallel, failing closed: every way a scanner can go wrong is a FAILED outcome."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace

from mergeguard.core import reasons
from mergeguard.core.errors import ParseError, ScannerError
from mergeguard.core.model import Finding
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.scan import history, spread, versions
from mergeguard.scanners import commands
from mergeguard.scanners.base import Job, Scanner, Target, ToolOutput


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
    exe = commands.find_executable(job.scanner.executable)
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
            version = side.submit(versions.cached, exe, lambda: commands.tool_version(exe, args, env))
            output = commands.run_command(command, job.target.root, job.timeout_s)
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
