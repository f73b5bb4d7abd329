"""`trivy fs --scanners vuln`: known vulnerabilities in the dependency manifests and lock files in scope."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from typing import Any, ClassVar

from mergeguard.core.basepolicy import read_regular
from mergeguard.core.errors import ParseError, ScannerError
from mergeguard.core.filekinds import FileKind, classify, toml_lock
from mergeguard.core.jsonfields import objects_in
from mergeguard.core.model import Finding, Location
from mergeguard.core.packagenames import normalise
from mergeguard.scanners.base import Command, Target, ToolOutput
from mergeguard.scanners.reading import load_all, repo_path
from mergeguard.scanners.trivy import database as trivy_db
from mergeguard.scanners.trivy import pins, pipview
from mergeguard.scanners.trivy import report as trivy
from mergeguard.vulns import database as vulndb
from mergeguard.vulns import requirements as pip_requirements

NAME = "trivy-deps"
_ANY_EXIT = frozenset(range(256))  # parse reads every status: a database failure gets its own line
_SHOWN = 3  # unread pins named in the error line


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
            # Trivy leaves out what it takes for development dependencies (uv's dependency groups,
            # Poetry's dev group, every package of an old poetry.lock whose names' case differs from
            # the pyproject's, npm's devDependencies), with an INFO line: they are installed too.
            "--include-dev-deps",
            *trivy_db.trivy_args(settings),
        )
        # A second run reads the files Trivy skips by name, each laid out as a requirements.txt.
        then = ((*argv, "--", str(pipview.root(target))),) if pipview.lay_out(target) else ()
        return Command((*argv, "--", str(target.root)), ok_exit_codes=_ANY_EXIT, then=then)

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        if output.exit_code != 0:
            raise ScannerError(trivy_db.failure(output.stderr, output.exit_code, vulndb.of(target)))
        laid = pipview.laid_out(target)
        reports = load_all(output.report, NAME)
        if len(reports) != 1 + bool(laid):
            raise ParseError(f"{NAME}: {len(reports)} reports for {1 + bool(laid)} runs of Trivy")
        found, listed = _read(reports[0], target)
        if laid:
            view = replace(target, root=pipview.root(target), files=tuple(laid))
            in_view, listed_there = _read(reports[1], view)
            found += [_real(f, laid[f.location.path]) for f in in_view]
            listed |= {(laid[path].path, name, version) for path, name, version in listed_there}
        _fail_on_unread(target, laid, listed)
        _fail_on_unreadable_locks(target)
        # Trivy passes over a pip requirement that is not `==`-pinned without a word: say so.
        pip_files = [path for path in target.files if FileKind.PIP_REQUIREMENTS in classify(path)]
        return [*found, *pip_requirements.findings(NAME, pip_requirements.read(target.root, pip_files))]


Listed = set[tuple[str, str, str]]  # (path, canonical package name, version) of each package listed


def _read(report: Any, target: Target) -> tuple[list[Finding], Listed]:
    """One run's findings, each on the line pinning its package, and the packages it listed."""
    if not isinstance(report, dict):
        raise ParseError(f"{NAME}: the Trivy report is not a JSON object")
    found = pins.on_pinning_lines(trivy.parse_value(report, NAME, target), report, target, NAME)
    listed: Listed = set()
    for result in objects_in(report.get("Results")):
        manifest = str(result.get("Target", ""))
        path = repo_path(manifest, target, NAME) if manifest else ""
        packages = objects_in(result.get("Packages"))
        listed |= {(path, normalise(str(p.get("Name", ""))), str(p.get("Version", ""))) for p in packages}
    return found, listed


def _real(finding: Finding, laid: pipview.Laid) -> Finding:
    """A finding of a laid-out copy put back on the real file's line."""
    start, end = laid.real_line(finding.location.start_line), laid.real_line(finding.location.end_line)
    return replace(finding, location=Location(laid.path, start, max(start, end)))


def _fail_on_unread(target: Target, laid: dict[str, pipview.Laid], listed: Listed) -> None:
    """ScannerError naming the exact pins Trivy listed in no report: never read as none found."""
    files = [*laid.values(), *(_as_is(target, p) for p in target.files if pipview.read_by_trivy(p))]
    unread = [
        f"{file.path}:{file.real_line(pin.line)} {pin.spec}"
        for file in files
        for pin in pip_requirements.parse(file.text, file.path).pins
        if (file.path, pin.name, pin.version) not in listed  # `==` and `===`: Trivy skips the latter
    ]
    if unread:
        more = f" and {len(unread) - _SHOWN} more" if len(unread) > _SHOWN else ""
        shown = ", ".join(unread[:_SHOWN])
        raise ScannerError(f"Trivy did not read {len(unread)} exact pin(s), not audited: {shown}{more}")


def _fail_on_unreadable_locks(target: Target) -> None:
    """ScannerError naming a TOML lock file that is not TOML: Trivy reads nothing of it and says
    nothing (uv.lock, poetry.lock, pylock.toml, Cargo.lock), which would pass as no advisory."""
    for path in filter(toml_lock, target.files):
        data = read_regular(target.root / path)
        try:
            tomllib.loads(data.decode("utf-8-sig") if data is not None else "")
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ScannerError(
                f"{path} is not valid TOML ({exc}): Trivy read nothing of it, not audited"
            ) from None


def _as_is(target: Target, path: str) -> pipview.Laid:
    """A `requirements.txt` Trivy reads where it is, as a layout of itself."""
    data = read_regular(target.root / path)
    text = data.decode("utf-8-sig", errors="replace") if data is not None else ""
    return pipview.Laid(path, text, tuple(range(1, len(text.splitlines()) + 1)))
