"""Runs one tool process (the only place that does: no shell, minimal environment); asks its version."""

from __future__ import annotations

import os
import re
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from mergeguard.core import procs, reasons
from mergeguard.core.errors import ScannerError
from mergeguard.scanners.base import Command, Scanner, Target, ToolOutput

_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?")
_VERSION_TIMEOUT_S = 60.0
# Tools are run with a plain, colourless environment; adapters add their own offline switches.
_BASE_ENV = {"NO_COLOR": "1", "TERM": "dumb", "PYTHONIOENCODING": "utf-8"}


def find_executable(name: str) -> str | None:
    """The tool next to the running interpreter (mergeguard's venv) first, then on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


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
    """Run `command` in its own `cwd` or else `cwd` (no shell, minimal environment); ScannerError if
    it cannot start, times out, is cancelled or fails. Its whole process group is ended however it ends."""
    env = procs.minimal_env({**_BASE_ENV, **command.env})
    deadline = time.monotonic() + timeout_s
    runs, outputs = (command.argv, *command.then), []
    for number, argv in enumerate(runs, start=1):  # the runs share the time allowed
        try:
            left = timeout_s if number == 1 else max(0.0, deadline - time.monotonic())
            done = procs.run(argv, command.cwd or cwd, env, left)
        except ScannerError:
            if number > 1 and time.monotonic() >= deadline:
                why = f"timed out after {timeout_s:g}s (in run {number} of {len(runs)})"
                raise ScannerError(why) from None
            raise
        outputs.append(_finished(command, done.code, _text(done.stdout), _text(done.stderr)))
    if len(outputs) == 1:
        return outputs[0]
    return ToolOutput(
        report="\n".join(o.report for o in outputs),
        stderr="".join(o.stderr for o in outputs),
        exit_code=next((o.exit_code for o in reversed(outputs) if o.exit_code), 0),
        runs=tuple(outputs),
    )


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
