"""Tests for the Bandit adapter: recorded real runs, the command line, and malformed reports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from mergeguard.core.errors import ParseError
from mergeguard.core.model import Finding, Kind, Severity
from mergeguard.scan.imported import parse_file
from mergeguard.scanners.bandit import SEVERITY, SKIPPED_RULE, BanditScanner, excluded_dir
from mergeguard.scanners.base import IncompleteReport, Target, ToolOutput
from mergeguard.scanners.commands import find_executable, run_command
from tests.golden import FIXTURES, check_golden, check_live

SCANNER = BanditScanner()
CASES = ["flask-app", "unparseable", "clean", "tarfile-filter"]
ROOT = Path("/work/view")


def _target(*files: str) -> Target:
    return Target(root=ROOT, files=files, repo=ROOT)


def _result(**overrides: object) -> dict[str, object]:
    result: dict[str, object] = {
        "code": "12     return subprocess.call(cmd, shell=True)\n",
        "col_offset": 11,
        "end_col_offset": 43,
        "filename": "./app/run.py",
        "issue_confidence": "HIGH",
        "issue_cwe": {"id": 78, "link": "https://cwe.mitre.org/data/definitions/78.html"},
        "issue_severity": "HIGH",
        "issue_text": "subprocess call with shell=True identified, security issue.",
        "line_number": 12,
        "line_range": [12],
        "more_info": "https://bandit.readthedocs.io/en/1.9.4/plugins/b602.html",
        "test_id": "B602",
        "test_name": "subprocess_popen_with_shell_equals_true",
    }
    return {**result, **overrides}


def _report(results: list[Any] | None = None, errors: list[Any] | None = None) -> str:
    return json.dumps({"errors": errors or [], "metrics": {}, "results": results or []})


def _parse(report: str, *files: str) -> list[Finding]:
    return SCANNER.parse(ToolOutput(report), _target(*(files or ("app/run.py",))))


def _line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    [number] = [n for n, line in enumerate(lines, start=1) if needle in line]
    return number


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, tmp_path: Path, regen_golden: bool) -> None:
    check_golden(SCANNER, case, tmp_path, regen_golden)


@pytest.mark.scanner
@pytest.mark.parametrize("case", CASES)
def test_live(case: str, tmp_path: Path) -> None:
    check_live(SCANNER, case, tmp_path)


def test_nosec_line_is_not_reported(tmp_path: Path) -> None:
    views = FIXTURES / "bandit" / "flask-app" / "app" / "views.py"
    nosec = _line_of(views, "# nosec")
    unmarked = _line_of(views, "tar czf")
    rows = check_golden(SCANNER, "flask-app", tmp_path, regen=False)
    in_views = [(r["start_line"], r["rule_id"]) for r in rows if r["path"] == "app/views.py"]
    assert (unmarked, "B602") in in_views
    assert nosec not in {line for line, _ in in_views}


def test_files_under_dot_github_are_scanned(tmp_path: Path) -> None:
    rows = check_golden(SCANNER, "flask-app", tmp_path, regen=False)
    assert any(r["path"].startswith(".github/") and r["rule_id"] == "B602" for r in rows)


def test_hard_coded_secret_is_reported_but_never_kept(tmp_path: Path) -> None:
    source = (FIXTURES / "bandit" / "flask-app" / "app" / "__init__.py").read_text(encoding="utf-8")
    [secret] = re.findall(r'"SECRET_KEY"\] = "([^"]+)"', source)
    rows = check_golden(SCANNER, "flask-app", tmp_path, regen=False)
    assert [r["rule_id"] for r in rows if r["path"] == "app/__init__.py"] == ["B105"]
    assert secret in (FIXTURES / "bandit" / "flask-app.report").read_text(encoding="utf-8")
    assert secret not in json.dumps(rows)


def test_each_file_bandit_could_not_parse_is_a_finding(tmp_path: Path) -> None:
    rows = check_golden(SCANNER, "unparseable", tmp_path, regen=False)
    skipped = {r["path"]: r for r in rows if r["rule_id"] == SKIPPED_RULE}
    assert set(skipped) == {"service/broken.py", "service/modern.py"}
    assert all(r["severity"] == "high" and r["start_line"] == 1 and r["evidence"] for r in skipped.values())
    assert any(r["path"] == "service/jobs.py" for r in rows)


def test_command_line() -> None:
    files = ("app/views.py", "-scripts/x.py", "tools/my tool/ünïcode.py")
    argv = SCANNER.command("/bin/bandit", _target(*files)).argv
    assert argv[0] == "/bin/bandit"
    assert argv[argv.index("-f") + 1] == "json"
    assert {"-q", "--exit-zero", "--exclude="} <= set(argv[: argv.index("--")])
    assert argv[argv.index("--") + 1 :] == files
    assert not {"--ignore-nosec", "-r", "-b", "-c", "--ini"} & set(argv)


@pytest.mark.parametrize("present", [True, False])
def test_command_names_pyproject_toml_only_when_present(tmp_path: Path, present: bool) -> None:
    if present:
        (tmp_path / "pyproject.toml").write_text("[tool.bandit]\nskips = []\n", encoding="utf-8")
    argv = SCANNER.command("bandit", Target(root=tmp_path, files=("a.py",), repo=tmp_path)).argv
    options = argv[: argv.index("--")]
    assert ("-c" in options and options[options.index("-c") + 1] == "pyproject.toml") is present
    assert "--ini" not in options


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        ("HIGH", Severity.HIGH),
        ("MEDIUM", Severity.MEDIUM),
        ("LOW", Severity.LOW),
        ("UNDEFINED", Severity.UNKNOWN),
        ("medium", Severity.MEDIUM),
        ("CRITICAL", Severity.UNKNOWN),
    ],
)
def test_severity(level: str, severity: Severity) -> None:
    [finding] = _parse(_report([_result(issue_severity=level)]))
    assert finding.severity is severity
    assert SEVERITY.get(level.upper(), Severity.UNKNOWN) is severity


@pytest.mark.parametrize("confidence", ["LOW", "MEDIUM", "HIGH"])
def test_confidence_is_in_the_message_not_the_severity(confidence: str) -> None:
    [finding] = _parse(_report([_result(issue_confidence=confidence)]))
    assert finding.message.endswith(f"(confidence: {confidence.lower()})")
    assert finding.severity is Severity.HIGH


@pytest.mark.parametrize("rule", ["B105", "B106", "B107"])
def test_password_rules_are_redacted(rule: str) -> None:
    text = "Possible hardcoded password: 'hunter2-Sup3rSecret'"
    [finding] = _parse(_report([_result(test_id=rule, issue_text=text, test_name="hardcoded_password")]))
    assert "hunter2" not in f"{finding.title} {finding.message} {finding.evidence}"
    assert finding.title == "hardcoded password"


def test_finding_fields() -> None:
    [finding] = _parse(_report([_result(line_number=12, line_range=[12, 13, 14], col_offset=4)]))
    assert (finding.tool, finding.rule_id, finding.kind) == ("bandit", "B602", Kind.CODE)
    assert finding.title == "subprocess popen with shell equals true"
    assert finding.message.startswith("subprocess call with shell=True identified")
    assert (finding.location.start_line, finding.location.end_line, finding.location.column) == (12, 14, 5)
    assert finding.cwe_ids == ("CWE-78",)
    assert finding.help_uri == _result()["more_info"]
    assert finding.evidence == ""


@pytest.mark.parametrize(
    ("cwe", "ids"), [({}, ()), ({"id": 0}, ()), ({"id": 502, "link": "x"}, ("CWE-502",))]
)
def test_cwe_ids(cwe: dict[str, object], ids: tuple[str, ...]) -> None:
    [finding] = _parse(_report([_result(issue_cwe=cwe)]))
    assert finding.cwe_ids == ids


def test_blacklist_title_comes_from_its_text() -> None:
    text = "Consider possible security implications associated with pickle module. See docs."
    [finding] = _parse(_report([_result(test_id="B403", test_name="blacklist", issue_text=text)]))
    assert finding.title == "Consider possible security implications associated with pickle module"


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ("./app/run.py", "app/run.py"),
        ("././app/run.py", "app/run.py"),
        ("/app/run.py", "app/run.py"),
        (f"{ROOT}/app/run.py", "app/run.py"),
        ("./-scripts/x.py", "-scripts/x.py"),
        ("./tools/my tool/ünïcode.py", "tools/my tool/ünïcode.py"),
    ],
)
def test_paths_become_repo_relative(reported: str, expected: str) -> None:
    [finding] = _parse(_report([_result(filename=reported)]), expected)
    assert finding.location.path == expected


@pytest.mark.parametrize("reason", ["No such file or directory", "Permission denied", "Is a directory"])
def test_a_file_bandit_could_not_open_fails_the_scan_and_keeps_what_it_found(reason: str) -> None:
    """The run is incomplete (a scanner failure, fail closed); its results stay (`convert` writes
    them, then exits 3), where the whole report used to be refused as not Bandit's."""
    errors = [{"filename": "./app/gone.py", "reason": reason}]
    with pytest.raises(IncompleteReport, match=f"^bandit could not read app/gone.py: {reason}$") as run:
        _parse(_report([_result()], errors), "app/run.py", "app/gone.py")
    assert [f.location.path for f in run.value.findings] == ["app/run.py"]


def test_a_real_report_of_a_file_bandit_could_not_open_is_an_incomplete_run() -> None:
    """Bandit 1.8 in a CI job, run on a path that did not exist: its only entry an error."""
    text = (FIXTURES / "incomplete" / "bandit-1.8-file-not-found.json").read_text(encoding="utf-8")
    with pytest.raises(
        IncompleteReport, match=r"^bandit could not read src/somefile\.py: No such file"
    ) as run:
        parse_file("bandit", text, Path("/repo"), "bandit.json")
    assert run.value.findings == ()


@pytest.mark.parametrize(
    "report",
    [
        "",
        "[main]\tERROR\tno such option",
        '{"errors": [], "results": [{"test_id": "B602", "filename": "./app/ru',
        "[]",
        '{"errors": []}',
        '{"errors": {}, "results": []}',
        '{"results": []}',
        _report(["B602"]),
        _report([{k: v for k, v in _result().items() if k != "test_id"}]),
        _report([_result(line_number="12")]),
        _report([_result(line_number=True)]),
        _report([_result(line_range=["12"])]),
        _report([_result(col_offset=None)]),
        _report([_result(issue_cwe=[78])]),
        _report([_result(issue_cwe={"id": "78"})]),
        _report([_result(issue_severity=3)]),
        _report(errors=[{"filename": "./app/x.py"}]),
        _report(errors=["./app/x.py"]),
    ],
)
def test_malformed_reports_raise_parse_error(report: str) -> None:
    with pytest.raises(ParseError, match="bandit"):
        _parse(report)


@pytest.mark.scanner
def test_live_odd_paths_and_nosec(tmp_path: Path) -> None:
    exe = find_executable(SCANNER.executable)
    if exe is None:
        pytest.skip("bandit is not installed (make install)")
    code = (
        "import subprocess\nsubprocess.call('ls', shell=True)\nsubprocess.call('ls', shell=True)  # nosec\n"
    )
    files = ("-scripts/run.py", "tools/my tool/ünïcode.py", ".tox/keep.py")
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(code, encoding="utf-8")
    target = Target(root=tmp_path, files=files, repo=tmp_path)
    found = SCANNER.parse(run_command(SCANNER.command(exe, target), tmp_path, 120), target)
    shell = sorted((f.location.path, f.location.start_line) for f in found if f.rule_id == "B602")
    assert shell == sorted((name, 2) for name in files)


@pytest.mark.scanner
def test_live_tool_bandit_table_is_honoured(tmp_path: Path) -> None:
    exe = find_executable(SCANNER.executable)
    if exe is None:
        pytest.skip("bandit is not installed (make install)")
    (tmp_path / "pyproject.toml").write_text('[tool.bandit]\nskips = ["B101"]\n', encoding="utf-8")
    (tmp_path / "check.py").write_text("import pickle\nassert pickle\n", encoding="utf-8")
    target = Target(root=tmp_path, files=("check.py",), repo=tmp_path)
    found = SCANNER.parse(run_command(SCANNER.command(exe, target), tmp_path, 120), target)
    assert sorted(f.rule_id for f in found) == ["B403"]


def test_exclude_dirs_leaves_out_whole_names_only(tmp_path: Path) -> None:
    """`exclude_dirs = ["tests"]`, the usual setting: Bandit alone also left out `app/contests/` and
    `app/attests.py` (it matches an entry as text inside the path), so a file named so went unscanned;
    mergeguard applies the entries itself, as whole names."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.bandit]\nexclude_dirs = ["tests", "./build/"]\nskips = ["B101"]\n'
    )
    shell = "import subprocess\nsubprocess.call(input(), shell=True)\nassert shell\n"
    files: tuple[str, ...] = ("tests/test_a.py", "app/tests/b.py", "build/c.py", "app/contests/views.py")
    files += ("app/attests.py", "app/[t]ests/helper.py")  # `[t]ests`: what a bracketed glob would leave out
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(shell)
    workdir = tmp_path.parent / f"{tmp_path.name}-work"
    workdir.mkdir()
    target = Target(tmp_path, files, tmp_path, workdir=workdir)
    exe = find_executable("bandit")
    if exe is None:
        pytest.skip("bandit not installed (make install)")
    command = SCANNER.command(exe, target)
    output = run_command(command, tmp_path, 120)
    found = {(f.location.path, f.rule_id) for f in SCANNER.parse(output, target)}
    assert {path for path, _ in found} == {"app/contests/views.py", "app/attests.py", "app/[t]ests/helper.py"}
    assert not any(rule == "B101" for _, rule in found)  # the rest of the table still applies
    paths = ("a/tests/x.py", "x.gen.py", "tests", "a/tests.py")
    assert [excluded_dir(path, ["tests", "*.gen.py", 3]) for path in paths] == [True, True, True, False]


def test_a_scope_exclude_dirs_leaves_empty_reads_nothing_and_fails_nothing(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.bandit]\nexclude_dirs = ["tests"]\n')
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.py").write_text("import subprocess\nsubprocess.call(input(), shell=True)\n")
    workdir = tmp_path.parent / f"{tmp_path.name}-work"
    workdir.mkdir()
    target = Target(tmp_path, ("tests/t.py",), tmp_path, workdir=workdir)
    exe = find_executable("bandit")
    if exe is None:
        pytest.skip("bandit not installed (make install)")
    output = run_command(SCANNER.command(exe, target), tmp_path, 120)
    assert output.exit_code == 0 and SCANNER.parse(output, target) == []


@pytest.mark.scanner
@pytest.mark.parametrize(
    ("requirements", "severity"),
    [
        (None, Severity.HIGH),
        ("pycryptodome==3.20.0\n", Severity.LOW),  # the maintained library in pyCrypto's namespace
        ("pycryptodome==3.20.0\npycrypto==2.6.1\n", Severity.HIGH),  # pyCrypto itself too
    ],
)
def test_pycrypto_import_is_low_where_the_project_names_pycryptodome(
    requirements: str | None, severity: Severity, tmp_path: Path
) -> None:
    """Found by a real-input round: B413 blocked `from Crypto.Cipher import AES` of pycryptodome."""
    (tmp_path / "crypto_util.py").write_text("from Crypto.Cipher import AES\n\nCIPHER = AES\n")
    if requirements is not None:
        (tmp_path / "requirements.txt").write_text(requirements)
    target = Target(root=tmp_path, files=("crypto_util.py",), repo=tmp_path, workdir=tmp_path)
    exe = find_executable(SCANNER.executable)
    if exe is None:
        pytest.skip("bandit is not installed (make install)")
    output = run_command(SCANNER.command(exe, target), tmp_path, timeout_s=300)
    [finding] = [f for f in SCANNER.parse(output, target) if f.rule_id == "B413"]
    assert finding.severity is severity
    assert (finding.severity_note is not None) is (severity is Severity.LOW)
