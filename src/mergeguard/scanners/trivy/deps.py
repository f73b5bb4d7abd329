"""`trivy fs --scanners vuln`: known vulnerabilities in the dependency manifests and lock files in scope."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from mergeguard.core.errors import ParseError, ScannerError
from mergeguard.core.filekinds import FileKind, classify
from mergeguard.core.jsonfields import objects_in
from mergeguard.core.model import Finding, Location
from mergeguard.scanners.base import Command, Target, ToolOutput, load_json
from mergeguard.scanners.reading import repo_path
from mergeguard.scanners.trivy import database as trivy_db
from mergeguard.scanners.trivy import report as trivy
from mergeguard.vulns import database as vulndb
from mergeguard.vulns import requirements as pip_requirements

NAME = "trivy-deps"
_ANY_EXIT = frozenset(range(256))  # parse reads every status: a database failure gets its own line


class TrivyDepsScanner:
    """Trivy's vulnerability scan of the view: Python requirements and lock files, npm, Go, Cargo…"""

    name: ClassVar[str] = NAME
    executable: ClassVar[str] = "trivy"
    applies_to: ClassVar[frozenset[FileKind]] = frozenset({FileKind.PY_REQUIREMENTS, FileKind.LOCKFILE})
    version_args: ClassVar[tuple[str, ...]] = ("--version",)

    def command(self, exe: str, target: Target) -> Command:
        settings = vulndb.of(target)
        trivy_db.require(settings)
        argv = (
            exe,
            "fs",
            "--scanners",
            "vuln",
            "--skip-version-check",
            "--disable-telemetry",
            "--config",
            "",  # no trivy.yaml from the pull request (see trivy.py)
            "--format",
            "json",
            "--exit-code",
            "0",
            "--list-all-pkgs",  # packages with the lines that pin them (Locations)
            *trivy_db.trivy_args(settings),
        )
        return Command((*argv, "--", str(target.root)), ok_exit_codes=_ANY_EXIT)

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        if output.exit_code != 0:
            raise ScannerError(trivy_db.failure(output.stderr, output.exit_code, vulndb.of(target)))
        report = load_json(output.report, NAME)
        if not isinstance(report, dict):
            raise ParseError(f"{NAME}: the Trivy report is not a JSON object")
        lines = pinned_lines(report, target)
        found = [_on_line(f, lines) for f in trivy.parse_report(output.report, NAME, target)]
        # Trivy passes over a pip requirement that is not `==`-pinned without a word: say so.
        pip_files = [path for path in target.files if FileKind.PIP_REQUIREMENTS in classify(path)]
        return [*found, *pip_requirements.findings(NAME, pip_requirements.read(target.root, pip_files))]


def pinned_lines(report: dict[str, Any], target: Target) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(manifest path, package, version) → the lines pinning it, from the packages' `Locations`."""
    lines: dict[tuple[str, str, str], tuple[int, int]] = {}
    for result in objects_in(report.get("Results")):
        manifest = str(result.get("Target", ""))
        path = repo_path(manifest, target, NAME) if manifest else ""
        for package in objects_in(result.get("Packages")):
            located = objects_in(package.get("Locations"))
            start, end = (located[0].get("StartLine"), located[0].get("EndLine")) if located else (0, 0)
            if isinstance(start, int) and start > 0:
                key = (path, str(package.get("Name", "")), str(package.get("Version", "")))
                lines.setdefault(key, (start, end if isinstance(end, int) else start))
    return lines


def _on_line(finding: Finding, lines: dict[tuple[str, str, str], tuple[int, int]]) -> Finding:
    """The finding moved to the line that pins its package, so a pull request adding the pin owns it."""
    pkg = finding.package
    found = lines.get((finding.location.path, pkg.name, pkg.installed)) if pkg else None
    if found is None:
        return finding
    return replace(finding, location=Location(finding.location.path, found[0], found[1]))
