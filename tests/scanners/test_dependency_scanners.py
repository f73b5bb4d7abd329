"""trivy-deps and pip-audit: findings on the pinning lines, and failing closed when nothing was checked."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from mergeguard.core.errors import ScannerError
from mergeguard.core.filekinds import FileKind, classify
from mergeguard.core.model import Kind
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.scan.runner import run_job
from mergeguard.scanners.base import Job, Target, ToolOutput
from mergeguard.scanners.commands import find_executable
from mergeguard.scanners.pip_audit.scanner import PipAuditScanner
from mergeguard.scanners.trivy.db_age import with_database_age
from mergeguard.scanners.trivy.deps import TrivyDepsScanner
from mergeguard.vulns import database as vulndb
from mergeguard.vulns.database import VulnDb
from tests.golden import FIXTURES

DEPS = FIXTURES / "trivy-deps"
AUDIT = FIXTURES / "pip-audit-scanner"
STDERR = FIXTURES / "trivy-image"


def test_trivy_fs_findings_land_on_the_line_that_pins_the_package() -> None:
    root = DEPS / "pip-requirements"
    target = Target(root, ("requirements.txt",), root)
    report = (DEPS / "pip-requirements.report").read_text()
    findings = TrivyDepsScanner().parse(ToolOutput(report), target)
    assert {(f.rule_id, f.location.path, f.location.start_line) for f in findings} == {
        ("CVE-2019-14806", "requirements.txt", 6),
        ("CVE-2020-28724", "requirements.txt", 6),
        ("unpinned-requirement", "requirements.txt", 5),  # MarkupSafe>2.0.0, which Trivy passes over
    }
    lines = (root / "requirements.txt").read_text().splitlines()
    assert lines[5] == "Werkzeug==0.11"  # Trivy's Locations point at the pin itself
    assert {f.kind for f in findings} == {Kind.DEPENDENCY}
    assert {f.evidence for f in findings} == {
        "Werkzeug@0.11#CVE-2019-14806",
        "Werkzeug@0.11#CVE-2020-28724",
        "markupsafe#unpinned-requirement",
    }


@pytest.mark.parametrize(
    ("pin", "named"),
    [
        ("pyyaml==5.3.1", r"pyyaml==5\.3\.1"),
        # A red team's: `===5.3.1` installs 5.3.1, Trivy lists nothing for it, and only `==` pins were
        # checked against its list (the scan was clean).
        ("pyyaml===5.3.1", r"pyyaml===5\.3\.1"),
    ],
)
def test_a_pin_trivy_listed_in_no_report_fails_the_scanner(pin: str, named: str, tmp_path: Path) -> None:
    """Trivy says nothing about a file it did not read: the pins missing from its report were not
    audited, and the scan is not clean (the recorded report is of the file without the last pin)."""
    root = tmp_path / "view"
    root.mkdir()
    text = (DEPS / "pip-requirements" / "requirements.txt").read_text()
    (root / "requirements.txt").write_text(f"{text}{pin}\n")
    target = Target(root, ("requirements.txt",), root, workdir=tmp_path)
    report = (DEPS / "pip-requirements.report").read_text()
    with pytest.raises(ScannerError, match=rf"did not read 1 exact pin.*requirements\.txt:9 {named}"):
        TrivyDepsScanner().parse(ToolOutput(report), target)


@pytest.mark.parametrize("name", ["uv.lock", "poetry.lock", "pylock.toml"])
def test_a_lock_file_that_is_not_toml_fails_the_scanner(name: str, tmp_path: Path) -> None:
    """Trivy reads nothing of a broken TOML lock and says nothing: it is no clean result."""
    root = tmp_path / "view"
    (root / "app").mkdir(parents=True)
    (root / "app" / name).write_text('[[package]]\nname = "werkzeug"\nversion = "0.14.1\n')  # unclosed
    target = Target(root, (f"app/{name}",), root, workdir=tmp_path)
    report = json.dumps({"SchemaVersion": 2, "ArtifactName": str(root), "ArtifactType": "filesystem"})
    with pytest.raises(ScannerError, match=rf"app/{name} is not valid TOML \(.*\): Trivy read nothing of it"):
        TrivyDepsScanner().parse(ToolOutput(report), target)


@pytest.mark.parametrize(
    ("name", "offline", "expected"),
    [
        ("db-download-failed", False, 'could not be downloaded (Get "https://mirror.gcr.io/v2/"'),
        ("skip-update-first-run", True, "--offline forbids downloading it; restore it with actions/cache"),
    ],
)
def test_a_database_that_cannot_be_had_is_one_clear_line(
    name: str, offline: bool, expected: str, tmp_path: Path
) -> None:
    text = (STDERR / f"{name}.stderr").read_text()
    target = _target(tmp_path, VulnDb(cache_dir=tmp_path / "cache", offline=offline))
    with pytest.raises(ScannerError) as error:
        TrivyDepsScanner().parse(ToolOutput("", text, 1), target)
    line = str(error.value)
    assert expected in line and "\n" not in line
    assert f"Trivy's vulnerability database is not in {tmp_path / 'cache'}" in line


def test_offline_without_a_cached_database_fails_before_running_trivy(tmp_path: Path) -> None:
    target = _target(tmp_path, VulnDb(cache_dir=tmp_path / "nothing", offline=True))
    with pytest.raises(ScannerError, match=r"is not in .*nothing and --offline forbids downloading it"):
        TrivyDepsScanner().command("trivy", target)


@pytest.mark.scanner
def test_the_database_switches_online_and_offline(tmp_path: Path) -> None:
    if find_executable("trivy") is None:
        pytest.skip("trivy is not installed (make install)")
    (tmp_path / "requirements.txt").write_text("flask==0.12\n")
    target = Target(tmp_path, ("requirements.txt",), tmp_path, workdir=tmp_path)
    cache = tmp_path / "cache"
    (cache / "db").mkdir(parents=True)  # metadata without the database itself: Trivy refuses
    (cache / "db" / "metadata.json").write_text('{"Version": 2, "UpdatedAt": "2026-01-01T00:00:00Z"}')
    settings = VulnDb(cache_dir=cache, offline=False)
    scanner = TrivyDepsScanner()
    command = scanner.command("trivy", _with(target, settings))
    assert command.argv[command.argv.index("--cache-dir") + 1] == str(cache)
    assert "--skip-db-update" not in command.argv  # online: Trivy may refresh the database
    outcome = run_job(Job(scanner, _with(target, VulnDb(cache_dir=tmp_path / "none", offline=True)), 120))
    assert outcome.status is Status.FAILED and "--offline forbids downloading it" in outcome.reason


@pytest.mark.scanner
def test_database_age_comes_from_trivy_version(tmp_path: Path) -> None:
    if find_executable("trivy") is None:
        pytest.skip("trivy is not installed (make install)")
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "metadata.json").write_text(
        json.dumps({"Version": 2, "NextUpdate": "2026-11-21T06:00:00Z", "UpdatedAt": "2026-11-20T06:00:00Z"})
    )
    outcomes = [ScanOutcome("trivy-deps", Status.OK), ScanOutcome("bandit", Status.OK)]
    now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    annotated = with_database_age(outcomes, VulnDb(cache_dir=tmp_path), now)
    assert [o.reason for o in annotated] == [
        "vulnerability database of 2026-11-20 06:00 UTC (3 days old)",
        "",
    ]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert with_database_age(outcomes, VulnDb(cache_dir=empty), now) == outcomes  # none cached: no claim


@pytest.mark.parametrize(
    ("path", "pip", "lockfile"),
    [
        ("requirements.txt", True, False),
        ("requirements/dev.txt", True, False),
        ("constraints.txt", True, False),
        ("requirements.in", False, False),
        ("requirements-dev.txt", True, False),
        ("dev-requirements.txt", True, False),
        ("test_requirements.txt", True, False),
        ("docs/Test-Requirements.txt", True, False),
        ("reqs/prod.txt", True, False),
        ("requirements/base.txt", True, False),
        # Nested folders (edx-platform's requirements/edx/base.txt), and a constraints/ folder.
        ("requirements/edx/base.txt", True, False),
        ("services/api/requirements/dev/base.txt", True, False),
        ("reqs/ci/lint.txt", True, False),
        ("constraints/py38.txt", True, False),
        ("requirements/edx/base.in", False, False),
        ("dev-requirements.in", False, False),
        ("requirements_notes.md", False, False),
        ("myrequirements.txt", False, False),
        ("requirements.txt.bak", False, False),
        ("docs/prod.txt", False, False),
        ("notes.txt", False, False),
        ("poetry.lock", False, False),
        ("requirements.lock", True, False),  # Rye's locks: pip's format
        ("requirements-dev.lock", True, False),
        ("pylock.toml", False, False),  # PEP 751: Trivy reads it where it is
        ("pylock.dev.toml", False, False),
        ("web/package-lock.json", False, True),
        ("go.mod", False, True),
        ("Cargo.lock", False, True),
        ("package.json", False, False),
    ],
)
def test_which_files_the_dependency_scanners_read(path: str, pip: bool, lockfile: bool) -> None:
    kinds = classify(path)
    assert (FileKind.PIP_REQUIREMENTS in kinds, FileKind.LOCKFILE in kinds) == (pip, lockfile)
    requirements = path.endswith(".in") and "requirements" in path
    locks = ("poetry.lock", "pylock.toml", "pylock.dev.toml")
    assert (FileKind.PY_REQUIREMENTS in kinds) == (pip or requirements or path in locks)


def test_pip_audit_findings_land_on_the_pinning_line(tmp_path: Path) -> None:
    root = AUDIT / "vulnflask"
    target = Target(root, ("requirements.txt",), root)
    report = (AUDIT / "vulnflask.report").read_text()
    findings = PipAuditScanner().parse(ToolOutput(report, exit_code=1), target)
    assert [(f.rule_id, f.location.path, f.location.start_line) for f in findings] == [
        ("GHSA-4xh5-x5gv-qwph", "requirements.txt", 4)
    ]


def test_pip_audit_that_skipped_dependencies_is_a_scanner_error_naming_them(tmp_path: Path) -> None:
    report = (
        AUDIT / "offline-skipped.report"
    ).read_text()  # what pip-audit wrote here, "No known vulnerabilities"
    with pytest.raises(
        ScannerError, match=r"could not check 2 of 2 dependencies \(flask, .*\): PyPI's JSON API .* 404"
    ):
        PipAuditScanner().parse(ToolOutput(report), _target(tmp_path, VulnDb()))


def test_pip_audit_leaves_editable_installs_out_and_fails_on_any_other_skip(tmp_path: Path) -> None:
    report: dict[str, list[dict[str, object]]] = {
        "dependencies": [
            {"name": "-e -", "skip_reason": "could not deduce package version from URL requirement"},
            {"name": "flask", "version": "3.1.2", "vulns": []},
        ],
        "fixes": [],
    }
    assert PipAuditScanner().parse(ToolOutput(json.dumps(report)), _target(tmp_path, VulnDb())) == []
    skipped: dict[str, object] = {"name": "internal-lib", "skip_reason": "Dependency not found on PyPI"}
    report = {**report, "dependencies": [*report["dependencies"], skipped]}
    with pytest.raises(ScannerError, match=r"could not check 1 of 2 dependencies \(internal-lib"):
        PipAuditScanner().parse(ToolOutput(json.dumps(report)), _target(tmp_path, VulnDb()))


def test_pip_audit_refuses_offline_runs(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask==3.1.2\n")
    with pytest.raises(ScannerError, match=r"--offline forbids the network; turn it off"):
        PipAuditScanner().command("pip-audit", _target(tmp_path, VulnDb(offline=True)))


def test_pip_audit_offline_with_nothing_pinned_reads_an_empty_list(tmp_path: Path) -> None:
    """Nothing to ask PyPI about: the unpinned requirements are findings, offline or not."""
    (tmp_path / "requirements.txt").write_text("flask\nlxml>=4\n")
    command = PipAuditScanner().command("pip-audit", _target(tmp_path, VulnDb(offline=True)))
    audited = Path(command.argv[command.argv.index("-r") + 1])
    assert audited.parent == tmp_path and audited.read_text() == ""
    assert command.argv.count("-r") == 1 and {"--disable-pip", "--no-deps"} <= set(command.argv)


def test_pip_audit_runs_once_per_version_of_a_package_and_reads_the_runs_as_one(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("packaging==24.1\nflask==3.1.2\n")
    (tmp_path / "tests.txt").write_text("packaging==23.1\n")
    target = Target(tmp_path, ("requirements.txt", "tests.txt"), tmp_path, workdir=tmp_path)
    command = PipAuditScanner().command("pip-audit", target)
    audited = [Path(argv[argv.index("-r") + 1]).read_text() for argv in (command.argv, *command.then)]
    assert audited == ["packaging==24.1\nflask==3.1.2\n", "packaging==23.1\n"]
    first = {"dependencies": [{"name": "packaging", "version": "24.1", "vulns": []}], "fixes": []}
    vuln = {
        "id": "GHSA-aaaa-bbbb-cccc",
        "fix_versions": ["23.2"],
        "aliases": ["CVE-2099-1"],
        "description": "x",
    }
    second = {"dependencies": [{"name": "packaging", "version": "23.1", "vulns": [vuln]}], "fixes": []}
    findings = PipAuditScanner().parse(
        ToolOutput(f"{json.dumps(first)}\n{json.dumps(second)}", exit_code=1), target
    )
    assert [(f.rule_id, f.location.path, f.location.start_line) for f in findings] == [
        ("GHSA-aaaa-bbbb-cccc", "tests.txt", 1)
    ]
    skipped = {
        "dependencies": [{"name": "packaging", "skip_reason": "Dependency not found on PyPI"}],
        "fixes": [],
    }
    with pytest.raises(ScannerError, match=r"could not check 1 of 2 dependencies \(packaging"):
        PipAuditScanner().parse(ToolOutput(f"{json.dumps(first)}\n{json.dumps(skipped)}"), target)


def test_a_pip_audit_run_that_crashed_fails_the_scanner_whatever_the_other_runs_said(tmp_path: Path) -> None:
    """pip-audit exits 1 both when it finds something and when it crashes (a traceback, no report): the
    crashed run's pins were lost behind the other run's report, and the gate passed."""
    (tmp_path / "requirements.txt").write_text("pywin32-ctypes===0.2.0\nflask==0.12.2\n")
    (tmp_path / "tests.txt").write_text("flask==2.3.3\n")
    target = Target(tmp_path, ("requirements.txt", "tests.txt"), tmp_path, workdir=tmp_path)
    crashed = ToolOutput(
        "", "Traceback (most recent call last):\nInvalidVersion: Invalid version: '=0.2.0'\n", 1
    )
    clean = ToolOutput(json.dumps({"dependencies": [{"name": "flask", "version": "2.3.3", "vulns": []}]}))
    runs = (crashed, clean)
    output = ToolOutput(f"\n{clean.report}", crashed.stderr, 1, runs=runs)
    reason = r"run 1 of 2, so the pins of requirements\.txt were not audited: InvalidVersion: Invalid version"
    with pytest.raises(ScannerError, match=reason):
        PipAuditScanner().parse(output, target)


@pytest.mark.scanner
@pytest.mark.parametrize(
    ("requirements", "reason"),
    [
        # Not on PyPI, so unchecked with or without network: the gate must fail, not pass.
        ("mergeguard-test-no-such-package-4b1d==1.0\n", "could not check 1 of 1 dependencies"),
        # An unpinned requirement beside a pin no longer hides the pin's failure (nor causes one).
        ("flask>=2\nmergeguard-test-no-such-package-4b1d==1.0\n", "answered 404 Not Found for each"),
        # Two versions of one package: pip-audit refuses them in one run ("duplicate requirements");
        # in two runs both are asked about (and neither is on PyPI).
        (
            "mergeguard-test-no-such-package-4b1d==1.0\nmergeguard-test-no-such-package-4b1d==2.0\n",
            "could not check 2 of 2 dependencies",
        ),
        # A run that crashed (`===` makes pip-audit 2.10 raise InvalidVersion) is not hidden by the
        # other run's report.
        (
            "mergeguard-test-no-such-package-4b1d===1.0\nmergeguard-test-no-such-package-4b1d==2.0\n",
            "so the pins of requirements.txt were not audited: packaging.version.InvalidVersion",
        ),
    ],
)
def test_the_real_pip_audit_fails_closed(requirements: str, reason: str, tmp_path: Path) -> None:
    if find_executable("pip-audit") is None:
        pytest.skip("pip-audit is not installed (make install)")
    (tmp_path / "requirements.txt").write_text(requirements)
    target = Target(tmp_path, ("requirements.txt",), tmp_path, workdir=tmp_path)
    outcome = run_job(Job(PipAuditScanner(), target, 120))
    assert outcome.status is Status.FAILED and reason in outcome.reason, outcome.reason


def _target(tmp_path: Path, settings: VulnDb) -> Target:
    return _with(Target(tmp_path, ("requirements.txt",), tmp_path, workdir=tmp_path), settings)


def _with(target: Target, settings: VulnDb) -> Target:
    """The target carrying database settings: `Target.vuln_db` once base.py has it (see the report)."""
    fields = {
        name: getattr(target, name) for name in ("root", "files", "repo", "prefix", "commit_range", "workdir")
    }
    if "vuln_db" in getattr(Target, "__dataclass_fields__", {}):
        return Target(**fields, vuln_db=settings)  # type: ignore[call-arg,unused-ignore]
    return _SettingsTarget(settings, **fields)


class _SettingsTarget(Target):
    """Until Target has its field: a Target that answers `vuln_db` (how vulndb.of reads it)."""

    __slots__ = ("vuln_db",)

    def __init__(self, settings: VulnDb, **fields: object) -> None:
        super().__init__(**fields)  # type: ignore[arg-type]
        object.__setattr__(self, "vuln_db", settings)


def test_the_settings_reach_the_adapters_through_the_target(tmp_path: Path) -> None:
    assert vulndb.of(_target(tmp_path, VulnDb(offline=True))).offline
    assert vulndb.of(Target(tmp_path, (), tmp_path)) == VulnDb()  # none given: the defaults
