"""Requirements files read with PEP 508: exact pins are audited, every other requirement is one finding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.cli.main import main
from mergeguard.core.errors import ScannerError
from mergeguard.core.model import Kind, Severity
from mergeguard.core.outcome import Status
from mergeguard.scan.runner import run_job
from mergeguard.scanners.base import Job, Target, ToolOutput
from mergeguard.scanners.commands import find_executable
from mergeguard.scanners.pip_audit.scanner import PipAuditScanner
from mergeguard.vulns import manifests
from mergeguard.vulns import requirements as pip_requirements
from tests.gitutil import GitTree

TOKEN = "ghp_" + "x" * 36  # fake, shaped like a GitHub token


@pytest.mark.parametrize(
    ("line", "name", "why"),
    [
        ("flask", "flask", "no version is given"),
        ("lxml>=4", "lxml", "the range >=4"),
        ("requests~=2.0", "requests", "the range ~=2.0"),
        ("Django>=2,<3", "django", "the range <3,>=2"),
        ("Django==3.2.0,<3", "django", "the range <3,==3.2.0"),  # no version satisfies it
        ("Django==3.2.0,==3.2.1", "django", "the range ==3.2.0,==3.2.1"),
        ("jinja2==2.*", "jinja2", "the range ==2.*"),
        ("pkg @ https://example.com/pkg-1.0.zip", "pkg", "a direct URL reference"),
        ("https://example.com/pkgs/foo-1.0.tar.gz", "foo-1.0.tar.gz", "a URL requirement"),
        ("-e git+https://github.com/org/lib.git@main#egg=Org_Lib", "org-lib", "an editable checkout"),
        ("--editable=git+https://github.com/org/lib.git", "lib", "an editable checkout"),
        ("no way!", "no", "it is not a PEP 508 requirement (Expected"),
    ],
)
def test_each_requirement_without_an_exact_pin_says_why(line: str, name: str, why: str) -> None:
    found = pip_requirements.parse(f"# deps\n{line}\n", "requirements.txt")
    assert found.pins == ()
    [item] = found.unpinned
    assert (item.name, item.line) == (name, 2)
    assert item.why.startswith(why), item.why


@pytest.mark.parametrize(
    ("line", "requirement", "audited"),
    [
        ("Flask==3.1.2", "Flask==3.1.2", "flask==3.1.2"),
        ("flask[async] == 3.1.2  # web", "flask[async]==3.1.2", "flask==3.1.2"),
        (
            'urllib3==1.26.5 ; python_version >= "3"',
            'urllib3==1.26.5; python_version >= "3"',
            "urllib3==1.26.5",
        ),
        ("urllib3===1.26.5", "urllib3===1.26.5", "urllib3===1.26.5"),
        ("Django==3.2.0,<4", "Django<4,==3.2.0", "django==3.2.0"),  # an exact pin with a bound
        ("Django >=3, ==3.2.0, !=3.2.1", "Django!=3.2.1,==3.2.0,>=3", "django==3.2.0"),
        ("urllib3==1.26.5 --hash=sha256:aa \\\n    --hash=sha256:bb", "urllib3==1.26.5", "urllib3==1.26.5"),
    ],
)
def test_exact_pins_go_to_the_audit_without_hashes_comments_extras_or_markers(
    line: str, requirement: str, audited: str
) -> None:
    found = pip_requirements.parse(f"{line}\n", "requirements.txt")
    assert found.unpinned == ()
    assert [(p.requirement, p.line) for p in found.pins] == [(requirement, 1)]
    assert found.audit_files() == [f"{audited}\n"]


def test_a_package_pinned_at_two_versions_is_audited_at_each_in_its_own_file(tmp_path: Path) -> None:
    """pip-audit refuses one package at two versions in a run: two services of a monorepo, or a pin
    per Python version (markers left out, so the pin for the other Python is audited too)."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "requirements.txt").write_text("packaging==24.1\nflask==3.1.2\nnumpy==1.24.4\n")
    (tmp_path / "b" / "requirements.txt").write_text(
        'Packaging==23.1\nFlask[async]==3.1.2\nnumpy==1.24.4; python_version < "3.9"\n'
        'numpy==1.26.4; python_version >= "3.9"\npackaging==24.1\n'
    )
    found = pip_requirements.read(tmp_path, ["a/requirements.txt", "b/requirements.txt"])
    assert found.audit_files() == [
        "packaging==24.1\nflask==3.1.2\nnumpy==1.24.4\n",
        "packaging==23.1\nnumpy==1.26.4\n",
    ]
    assert pip_requirements.Requirements().audit_files() == [""]  # nothing pinned: one empty file


@pytest.mark.parametrize(
    "line",
    [
        "-r other.txt",
        "--requirement=base.txt",
        "-c constraints.txt",
        "--index-url https://x/simple",
        "-e .",
        "./vendor/pkg",
    ],
)
def test_includes_options_and_the_projects_own_code_are_neither_pins_nor_findings(line: str) -> None:
    assert pip_requirements.parse(f"{line}\n", "requirements.txt") == pip_requirements.Requirements()


@pytest.mark.parametrize("path", ["constraints.txt", "constraints/py38.txt", "requirements/constraints.txt"])
def test_a_constraints_file_bounds_without_asking_for_anything(path: str, tmp_path: Path) -> None:
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_text("flask<3\nlxml==5.2.1\n")
    found = pip_requirements.read(tmp_path, [path, "missing.txt"])
    assert found.unpinned == () and [p.name for p in found.pins] == ["lxml"]


def test_a_byte_order_mark_is_not_part_of_the_first_requirement(tmp_path: Path) -> None:
    """Notepad writes UTF-8 with a BOM; pip strips it, so the first line is a pin (or an option)."""
    (tmp_path / "requirements.txt").write_bytes("\ufeffPyYAML==5.3.1\r\nrequests==2.31.0\r\n".encode())
    (tmp_path / "requirements-dev.txt").write_bytes(
        "\ufeff--index-url https://x/simple\nflask==3.1.2\n".encode()
    )
    found = pip_requirements.read(tmp_path, ["requirements.txt", "requirements-dev.txt"])
    assert found.unpinned == ()
    assert [(p.name, p.version, p.line) for p in found.pins] == [
        ("pyyaml", "5.3.1", 1),
        ("requests", "2.31.0", 2),
        ("flask", "3.1.2", 2),
    ]


def test_one_low_dependency_finding_per_requirement_on_its_line_with_credentials_masked() -> None:
    text = f"flask==3.1.2\nlxml>=4\n-e git+https://bot:{TOKEN}@github.com/org/lib.git#egg=lib\n"
    findings = pip_requirements.findings("pip-audit", pip_requirements.parse(text, "app/requirements.txt"))
    assert [(f.rule_id, f.location.path, f.location.start_line) for f in findings] == [
        ("unpinned-requirement", "app/requirements.txt", 2),
        ("unpinned-requirement", "app/requirements.txt", 3),
    ]
    assert {(f.severity, f.kind, f.tool) for f in findings} == {(Severity.LOW, Kind.DEPENDENCY, "pip-audit")}
    assert findings[0].message.startswith("lxml>=4 could not be audited: the range >=4 leaves the version")
    assert TOKEN not in repr(findings) and "https://***@github.com/org/lib.git" in findings[1].message


def test_a_vulnerability_lands_on_the_exact_pin_of_its_version() -> None:
    found = pip_requirements.parse("flask==2.0.0\nFlask==3.1.2\n", "requirements.txt")
    assert found.lines_of("FLASK", "3.1.2") == [("requirements.txt", 2)]
    assert found.lines_of("flask", "9.9") == [("requirements.txt", 1)]
    assert found.lines_of("lxml", "5") == []


def test_a_vulnerability_lands_on_each_file_pinning_its_version(tmp_path: Path) -> None:
    """pip-audit audits pyyaml==5.3.1 once for two files: each file's pin gets the finding, so in
    PR mode each is judged (one file's old pin must not hide another's new one)."""
    for path, text in {
        "a/requirements.txt": "flask==3.1.2\npyyaml==5.3.1\n",
        "b/requirements.txt": "pyyaml==6.0.1\n",
        "c/requirements.txt": "# c\n\nPyYAML==5.3.1\npyyaml==5.3.1\n",
    }.items():
        (tmp_path / path).parent.mkdir()
        (tmp_path / path).write_text(text)
    files = ("a/requirements.txt", "b/requirements.txt", "c/requirements.txt")
    report = {
        "dependencies": [
            {"name": "flask", "version": "3.1.2", "vulns": []},
            {
                "name": "pyyaml",
                "version": "5.3.1",
                "vulns": [{"id": "GHSA-8q59-q68h-6hv4", "fix_versions": ["5.4"]}],
            },
            {"name": "pyyaml", "version": "6.0.1", "vulns": []},
        ],
        "fixes": [],
    }
    target = Target(tmp_path, files, tmp_path, workdir=tmp_path)
    found = PipAuditScanner().parse(ToolOutput(json.dumps(report), exit_code=1), target)
    assert [(f.rule_id, f.location.path, f.location.start_line) for f in found] == [
        ("GHSA-8q59-q68h-6hv4", "a/requirements.txt", 2),
        ("GHSA-8q59-q68h-6hv4", "c/requirements.txt", 3),
    ]


@pytest.mark.scanner
def test_the_real_pip_audit_reports_unpinned_requirements_and_stays_ok(tmp_path: Path) -> None:
    if find_executable("pip-audit") is None:
        pytest.skip("pip-audit is not installed (make install)")
    (tmp_path / "requirements.txt").write_text("flask\nlxml>=4\n-r base.txt\n")
    (tmp_path / "work").mkdir()
    target = Target(tmp_path, ("requirements.txt",), tmp_path, workdir=tmp_path / "work")
    outcome = run_job(Job(PipAuditScanner(), target, 120))
    assert outcome.status is Status.OK, outcome.reason
    assert [(f.rule_id, f.location.start_line) for f in outcome.findings] == [
        ("unpinned-requirement", 1),
        ("unpinned-requirement", 2),
    ]


@pytest.mark.scanner
def test_an_app_with_unpinned_flask_passes_the_gate_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: pip-audit refused the whole file and the gate exited 3."""
    if find_executable("pip-audit") is None:
        pytest.skip("pip-audit is not installed (make install)")
    repo = GitTree(tmp_path / "app")
    repo.write("requirements.txt", "flask\nlxml\n")
    repo.write("app.py", "print('hi')\n")
    repo.commit()
    report = tmp_path / "report.json"
    code = main(["scan", str(repo.root), "--scanners", "pip-audit", "--offline", "--json", str(report)])
    assert code == 0, capsys.readouterr().out
    data = json.loads(report.read_text())
    assert [s["status"] for s in data["scanners"] if s["name"] == "pip-audit"] == ["ok"]
    assert [(f["rule_id"], f["severity"], f["start_line"]) for f in data["findings"]] == [
        ("unpinned-requirement", "low", 1),
        ("unpinned-requirement", "low", 2),
    ]


@pytest.mark.parametrize(
    ("path", "text", "declared"),
    [
        (
            "pyproject.toml",
            '[project]\ndependencies = ["flask==0.12.2", "lxml>=4"]\n[project.optional-dependencies]\n'
            'yaml = ["pyyaml==5.3.1"]\n[tool.poetry.dependencies]\nrequests = "2.0"\n',
            [(2, "flask==0.12.2"), (2, "lxml>=4"), (4, "pyyaml==5.3.1"), (6, "requests==2.0")],
        ),
        (  # Poetry's own tables: a bare version is that version exactly; ranges and Python are not pins
            "pyproject.toml",
            '[tool.poetry.dependencies]\npython = "3.11"\nFlask = "0.12.2"\nfastapi = "^0.109.1"\n'
            'werkzeug = {version = "==0.14.1", extras = ["watchdog"]}\nlib = {git = "https://x/lib.git"}\n'
            '[tool.poetry.group.dev.dependencies]\npyyaml = [{version = "5.3.1", python = "<3.12"}]\n'
            '[tool.poetry.dev-dependencies]\nlxml = "~4.9"\nrequests = "2.0.*"\n',
            [(3, "Flask==0.12.2"), (5, "werkzeug==0.14.1"), (8, "pyyaml==5.3.1")],
        ),
        (  # Poetry 2's PEP 508 strings, written back as pip writes them (Trivy reads no parentheses)
            "pyproject.toml",
            '[project]\ndependencies = [\n  "fastapi (==0.104.1)",\n  "pydantic[email] (>=2.11.5,<3)",\n]\n',
            [(3, "fastapi==0.104.1"), (4, "pydantic[email]<3,>=2.11.5")],
        ),
        (
            "svc/Pipfile",
            '[[source]]\nname = "pypi"\n[packages]\n"Flask" = "==0.12.2"\nlib = {git = "https://x/lib.git"}\n',
            [(4, "Flask==0.12.2")],
        ),
        (
            "setup.cfg",
            "[options]\ninstall_requires =\n  flask==0.12.2\n  lxml\n",
            [(3, "flask==0.12.2"), (4, "lxml")],
        ),
        (
            "pdm.lock",
            '[[package]]\nname = "flask"\nversion = "0.12.2"\n[[package]]\nname = "x"\n',
            [(2, "flask==0.12.2")],
        ),
        (  # Trivy reads only `default`: the `develop` pins it does not hold
            "Pipfile.lock",
            '{\n  "default": {\n    "flask": {"version": "==0.12.2"}\n  },\n  "develop": {\n'
            '    "flask": {"version": "==0.12.2"},\n    "pyyaml": {\n      "version": "==5.3.1"\n    },\n'
            '    "lib": {"git": "https://x/lib.git"}\n  }\n}\n',
            [(7, "pyyaml==5.3.1")],
        ),
    ],
)
def test_manifests_trivy_does_not_read_give_their_requirements_on_their_lines(
    path: str, text: str, declared: manifests.Declared
) -> None:
    assert manifests.declared(path, text) == declared


@pytest.mark.parametrize(
    "text",
    ['[project]\ndependencies = ["flask==0.12.2"\n', "a = " + "[" * 100_000],  # the second: hostile
)
def test_a_manifest_that_does_not_parse_is_a_scanner_error_not_no_dependencies(text: str) -> None:
    with pytest.raises(ScannerError, match=r"pyproject\.toml: its dependencies could not be read"):
        manifests.declared("pyproject.toml", text)
    with pytest.raises(ScannerError, match=r"Pipfile\.lock: its dependencies could not be read"):
        manifests.declared("Pipfile.lock", '{"develop": {"pyyaml": {"version": "==5.3.1",}}}')


def test_a_lock_files_package_entries_are_found_by_their_first_name_line() -> None:
    text = (
        '[[package]]\nname = "app"\nversion = "0.1.0"\n\n[[package.metadata.requires-dist]]\n'
        'name = "flask"\nspecifier = "==0.12.2"\n\n[[package]]\nname = "flask"  # web\nversion = "0.12.2"\n'
        '[package.dependencies]\nclick = "*"\n'
    )
    assert manifests.package_lines(text) == {("app", "0.1.0"): 2, ("flask", "0.12.2"): 10}
