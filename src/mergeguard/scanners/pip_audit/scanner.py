"""pip-audit on the pip requirements files in scope: it fails, never passes, when it could not check one.

pip-audit says "No known vulnerabilities found" and exits 0 after checking nothing when its service
is unreachable (every dependency "skipped"). Here any skipped dependency is a scanner error naming it
(pip-audit's `--strict` in spirit; `--strict` itself stops at the first skip and prints no report).
Requirements are read, never installed: without `--disable-pip`, pip-audit `pip install`s every `-r`
file into a scratch virtualenv, which runs a pull request's `setup.py` or build backend inside the
gate. With `--disable-pip --no-deps` it only reads the files, but refuses all of them at the first
requirement that is not `==`-pinned, and a file where any line has a `--hash` makes every line need
one. So mergeguard reads the files itself (pip_requirements): the exact pins go to pip-audit in one
file of its own (no hashes, no `-r` includes, no URLs), every other requirement is one
`unpinned-requirement` finding on its line, and the run stays ok.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any, ClassVar

from mergeguard.core import reasons
from mergeguard.core.errors import ScannerError
from mergeguard.core.filekinds import FileKind
from mergeguard.core.model import Finding, Location
from mergeguard.scanners.base import Command, Target, ToolOutput
from mergeguard.scanners.pip_audit import report as pip_audit
from mergeguard.scanners.reading import load_all
from mergeguard.scanners.trivy import deps as trivy_deps
from mergeguard.vulns import database as vulndb
from mergeguard.vulns import requirements as pip_requirements

NAME = "pip-audit"
_ERROR = re.compile(r"^ERROR:[\w.]+:(.*)$", re.MULTILINE)
AUDIT_FILE = "pinned-requirements-{}.txt"  # in the scanner's scratch directory, one per run
# pip-audit 2.10 says "not found on PyPI" exactly when PyPI's JSON API answered 404 for NAME/VERSION;
# for every dependency at once that is a mirror or proxy without that API (measured here), not PyPI.
_NOT_FOUND = "Dependency not found on PyPI"
_NOT_FOUND_WHY = (
    ": PyPI's JSON API (pypi.org/pypi/NAME/VERSION/json, its vulnerability service) answered 404 Not Found"
    " for each (not on PyPI, or for all: a proxy or mirror without that API)"
)
_SHOWN = 3  # skipped dependencies named in the error line


class PipAuditScanner:
    """`pip-audit -f json --disable-pip --no-deps -r FILE…` (pip-audit exits 1 when it finds something)."""

    name: ClassVar[str] = NAME
    executable: ClassVar[str] = "pip-audit"
    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.PIP_REQUIREMENTS})
    version_args: ClassVar[tuple[str, ...]] = ("--version",)

    def command(self, exe: str, target: Target) -> Command:
        requirements = pip_requirements.read(target.root, target.files)
        if vulndb.of(target).offline and requirements.pins:
            raise ScannerError(
                "pip-audit asks PyPI about every dependency and --offline forbids the network; turn it "
                f"off for offline runs (scanners: pip-audit: false): {trivy_deps.NAME} checks the same files"
            )
        argv = (exe, "-f", "json", "--progress-spinner", "off", "--disable-pip", "--no-deps")
        runs = []  # one run per file: a package pinned at two versions is audited at each
        for number, text in enumerate(requirements.audit_files(), start=1):
            pinned = target.workdir / AUDIT_FILE.format(number)  # no pin at all: it reads nothing, offline
            pinned.write_text(text, encoding="utf-8")
            runs.append((*argv, "-r", str(pinned)))
        return Command(runs[0], ok_exit_codes=frozenset({0, 1}), then=tuple(runs[1:]))

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        errors = _ERROR.findall(output.stderr)
        if output.exit_code != 0 and errors:  # a requirement it refused: unpinned, unreadable
            raise ScannerError(f"pip-audit: {errors[-1].strip()}")
        requirements = pip_requirements.read(target.root, target.files)
        _fail_on_crashed_runs(output, requirements)
        report = _without_editables(_joined(load_all(output.report, NAME)))
        _fail_on_skips(report)
        reported = pip_audit.parse_report(json.dumps(report), target)
        found = [placed for f in reported for placed in _placed(f, requirements, target)]
        return [*found, *pip_requirements.findings(NAME, requirements)]


def _fail_on_crashed_runs(output: ToolOutput, requirements: pip_requirements.Requirements) -> None:
    """ScannerError naming the files whose pins a run printed no report for (a traceback, exit 1 like
    a run that found something): the other runs' reports say nothing about them."""
    for number, (run, pins) in enumerate(zip(output.runs, requirements.audit_files(), strict=False), 1):
        if not run.report.strip():
            files = ", ".join(requirements.files_of(pins)) or "no file"
            raise ScannerError(
                f"printed no report (exit status {run.exit_code}) in run {number} of {len(output.runs)}, "
                f"so the pins of {files} were not audited: {reasons.last_line(run.stderr)}"
            )


def _joined(reports: list[Any]) -> Any:
    """The runs' reports (one run per audit file) as one: their dependencies and fixes, in order."""
    if len(reports) == 1:
        return reports[0]
    for report in reports:  # the first of another shape: pip_audit.parse_report names what is wrong
        lists = [report.get(key, []) for key in _LISTS] if isinstance(report, dict) else [None]
        if not all(isinstance(items, list) for items in lists):
            return report
    return {key: [item for report in reports for item in report.get(key, [])] for key in _LISTS}


_LISTS = ("dependencies", "fixes")


def _without_editables(report: Any) -> Any:
    """The report less editable installs (`-e .`): the project itself, which no advisory database knows."""
    if not isinstance(report, dict) or not isinstance(report.get("dependencies"), list):
        return report  # pip_audit.parse_report names what is wrong with it
    kept = [d for d in report["dependencies"] if not (isinstance(d, dict) and _editable(d.get("name")))]
    return {**report, "dependencies": kept}


def _fail_on_skips(report: Any) -> None:
    """ScannerError naming the dependencies pip-audit could not check."""
    dependencies = report.get("dependencies") if isinstance(report, dict) else None
    if not isinstance(dependencies, list):
        return
    skipped = [d for d in dependencies if isinstance(d, dict) and "skip_reason" in d]
    if not skipped:
        return
    more = f"; and {len(skipped) - _SHOWN} more" if len(skipped) > _SHOWN else ""
    counted = f"pip-audit could not check {len(skipped)} of {len(dependencies)} dependencies"
    if all(_NOT_FOUND in str(d.get("skip_reason")) for d in skipped):
        names = ", ".join(str(d.get("name")) for d in skipped[:_SHOWN])
        raise ScannerError(f"{counted} ({names}{more}){_NOT_FOUND_WHY}")
    shown = "; ".join(f"{d.get('name')}: {d.get('skip_reason')}" for d in skipped[:_SHOWN])
    raise ScannerError(f"{counted} ({shown}{more})")


def _editable(name: object) -> bool:
    return isinstance(name, str) and name.startswith("-e")


def _placed(finding: Finding, requirements: pip_requirements.Requirements, target: Target) -> list[Finding]:
    """The finding on the line pinning its package in each file that pins it (pip-audit names no
    file, and audits a package at a version once), else on the first file."""
    pkg = finding.package
    found = requirements.lines_of(pkg.name, pkg.installed) if pkg else []
    places = found or [(target.files[0] if target.files else finding.location.path, 1)]
    return [replace(finding, location=Location(path, line)) for path, line in places]
