"""pip-audit on the pip requirements files in scope: it fails, never passes, when it could not check one.

pip-audit says "No known vulnerabilities found" and exits 0 after checking nothing when its service
is unreachable (every dependency "skipped"). Here any skipped dependency is a scanner error naming it
(pip-audit's `--strict` in spirit; `--strict` itself stops at the first skip and prints no report).
Requirements are read, never installed (`--disable-pip --no-deps`): a pull request's `setup.py` or
build backend must not run inside the gate, so only pinned (`==`) requirements can be audited.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any, ClassVar

from mergeguard import vulndb
from mergeguard.errors import ScannerError
from mergeguard.filekinds import FileKind
from mergeguard.model import Finding, Location
from mergeguard.scanners import pip_audit
from mergeguard.scanners.base import Command, Target, ToolOutput
from mergeguard.scanners.report_json import load_report

NAME = "pip-audit"
_ERROR = re.compile(r"^ERROR:[\w.]+:(.*)$", re.MULTILINE)
_SEPARATORS = re.compile(r"[-_.]+")
_SHOWN = 3  # skipped dependencies named in the error line


class PipAuditScanner:
    """`pip-audit -f json --disable-pip --no-deps -r FILE…` (pip-audit exits 1 when it finds something)."""

    name: ClassVar[str] = NAME
    executable: ClassVar[str] = "pip-audit"
    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.PIP_REQUIREMENTS})
    version_args: ClassVar[tuple[str, ...]] = ("--version",)

    def command(self, exe: str, target: Target) -> Command:
        if vulndb.of(target).offline:
            raise ScannerError(
                "pip-audit asks PyPI about every dependency and --offline forbids the network; turn it "
                "off for offline runs (scanners: pip-audit: false): trivy-deps checks the same files"
            )
        argv = (exe, "-f", "json", "--progress-spinner", "off", "--disable-pip", "--no-deps")
        files = [arg for path in target.files for arg in ("-r", path)]
        return Command((*argv, *files), ok_exit_codes=frozenset({0, 1}))

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        errors = _ERROR.findall(output.stderr)
        if output.exit_code != 0 and errors:  # a requirement it refused: unpinned, unreadable
            raise ScannerError(f"pip-audit: {errors[-1].strip()}")
        report = _without_editables(load_report(output.report, NAME))
        _fail_on_skips(report)
        pins = _pins(target)
        return [_placed(f, pins, target) for f in pip_audit.parse_report(json.dumps(report), target)]


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
    shown = "; ".join(f"{d.get('name')}: {d.get('skip_reason')}" for d in skipped[:_SHOWN])
    more = f"; and {len(skipped) - _SHOWN} more" if len(skipped) > _SHOWN else ""
    raise ScannerError(
        f"pip-audit could not check {len(skipped)} of {len(dependencies)} dependencies ({shown}{more})"
    )


def _editable(name: object) -> bool:
    return isinstance(name, str) and name.startswith("-e")


def _pins(target: Target) -> dict[str, tuple[str, int]]:
    """Normalised package name → (file, line) of its first pin in the requirements files in scope."""
    pins: dict[str, tuple[str, int]] = {}
    for path in target.files:
        try:
            text = (target.root / path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if match := re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", line):
                pins.setdefault(_normalise(match.group(1)), (path, number))
    return pins


def _placed(finding: Finding, pins: dict[str, tuple[str, int]], target: Target) -> Finding:
    """The finding on the line that pins its package (pip-audit names no file), else the first file."""
    name = _normalise(finding.package.name) if finding.package else ""
    path, line = pins.get(name, (target.files[0] if target.files else finding.location.path, 1))
    return replace(finding, location=Location(path, line))


def _normalise(name: str) -> str:
    return _SEPARATORS.sub("-", name).lower()
