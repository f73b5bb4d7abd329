"""Tests for the hadolint adapter: recorded real runs, the command line, and malformed reports."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from mergeguard.core import dockerfile
from mergeguard.core.errors import ParseError, ScannerError
from mergeguard.core.model import Finding, Kind, Severity
from mergeguard.scanners.base import Target, ToolOutput
from mergeguard.scanners.commands import find_executable, run_command
from mergeguard.scanners.hadolint import SEVERITY, HadolintScanner, help_uri
from tests.golden import FIXTURES, check_golden, check_live

SCANNER = HadolintScanner()
CASES = [
    "api",
    "frontend",
    "variants",
    "clean",
    "heredoc",
    "unparseable",
    "windows",
    "windows-shell",
    "rereads",
]
ROOT = Path("/work/view")


def _target(*files: str) -> Target:
    return Target(root=ROOT, files=files, repo=ROOT, workdir=Path("/tmp/mg"))


def _record(**overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "code": "DL3008",
        "column": 1,
        "file": "Dockerfile",
        "level": "warning",
        "line": 2,
        "message": "Pin versions in apt get install. Instead of `apt-get install <package>` use it",
    }
    return {**record, **overrides}


def _parse(records: list[dict[str, object]], stderr: str = "") -> list[Finding]:
    return list(SCANNER.parse(ToolOutput(json.dumps(records), stderr), _target("Dockerfile")))


def _recorded(case: str) -> str:
    return (FIXTURES / "hadolint" / f"{case}.report").read_text(encoding="utf-8")


def _lines_matching(path: Path, needle: str) -> list[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [number for number, line in enumerate(lines, start=1) if needle in line]


def _run_live(tmp_path: Path, files: dict[str, str]) -> list[Finding]:
    exe = find_executable(SCANNER.executable)
    if exe is None:
        pytest.skip("hadolint is not installed (make install)")
    root = tmp_path / "view"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    dockerfiles = tuple(name for name in files if "Dockerfile" in name)
    target = Target(root=root, files=dockerfiles, repo=root, workdir=tmp_path / "work")
    return list(SCANNER.parse(run_command(SCANNER.command(exe, target), root, 120), target))


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str, tmp_path: Path, regen_golden: bool) -> None:
    check_golden(SCANNER, case, tmp_path, regen_golden)


@pytest.mark.scanner
@pytest.mark.parametrize("case", CASES)
def test_live(case: str, tmp_path: Path) -> None:
    check_live(SCANNER, case, tmp_path)


def test_inline_ignore_pragma_is_honoured(tmp_path: Path) -> None:
    dockerfile = FIXTURES / "hadolint" / "api" / "Dockerfile"
    ignored = [line + 1 for line in _lines_matching(dockerfile, "# hadolint ignore=DL3013")]
    reported = _lines_matching(dockerfile, "RUN pip install --no-cache-dir gunicorn")
    rows = check_golden(SCANNER, "api", tmp_path, regen=False)
    assert [r["start_line"] for r in rows if r["rule_id"] == "DL3013"] == reported
    assert ignored and not set(ignored) & set(reported)


def test_clean_dockerfile_yields_nothing(tmp_path: Path) -> None:
    assert check_golden(SCANNER, "clean", tmp_path, regen=False) == []
    assert json.loads(_recorded("clean")) == []


def test_unparseable_dockerfile_is_a_high_finding_saying_nothing_was_checked(tmp_path: Path) -> None:
    rows = check_golden(SCANNER, "unparseable", tmp_path, regen=False)
    assert [(r["rule_id"], r["severity"]) for r in rows] == [("DL1000", "high")]
    assert rows[0]["message"].startswith("hadolint could not parse this file")
    assert "\n" not in rows[0]["message"]


def test_command_line() -> None:
    files = ("Dockerfile", "-legacy/Dockerfile", "services/my worker/Containerfile")
    command = SCANNER.command("/bin/hadolint", _target(*files))
    argv = command.argv
    assert argv[0] == "/bin/hadolint"
    assert argv[argv.index("-f") + 1] == "json"
    assert "--no-fail" in argv
    assert argv[argv.index("--") + 1 :] == files
    assert not {"--disable-ignore-pragma", "--ignore", "-c", "--config"} & set(argv)
    assert command.ok_exit_codes == frozenset({0})


def test_command_keeps_personal_config_out() -> None:
    env = SCANNER.command("/bin/hadolint", _target("Dockerfile")).env
    assert env["HOME"] == env["XDG_CONFIG_HOME"]
    assert Path(env["HOME"]).is_relative_to(Path("/tmp/mg"))
    assert not Path(env["HOME"]).is_relative_to(ROOT)


@pytest.mark.parametrize(
    ("level", "severity"),
    [
        ("error", Severity.HIGH),
        ("warning", Severity.MEDIUM),
        ("info", Severity.LOW),
        ("style", Severity.INFO),
        ("ignore", Severity.UNKNOWN),
        ("fatal", Severity.UNKNOWN),
    ],
)
def test_severity(level: str, severity: Severity) -> None:
    [finding] = SCANNER.parse(ToolOutput(json.dumps([_record(level=level)])), _target("Dockerfile"))
    assert finding.severity is severity
    assert SEVERITY.get(level, Severity.UNKNOWN) is severity


@pytest.mark.parametrize(
    ("code", "uri"),
    [
        ("DL3008", "https://github.com/hadolint/hadolint/wiki/DL3008"),
        ("SC2086", "https://www.shellcheck.net/wiki/SC2086"),
        ("DL1000", None),
        ("DL30081", None),
        ("../../x", None),
        ("XX1234", None),
    ],
)
def test_help_uri(code: str, uri: str | None) -> None:
    assert help_uri(code) == uri
    [finding] = SCANNER.parse(ToolOutput(json.dumps([_record(code=code)])), _target("Dockerfile"))
    assert finding.help_uri == uri


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        ("Dockerfile", "Dockerfile"),
        ("./deploy/Containerfile", "deploy/Containerfile"),
        ("/deploy/Containerfile", "deploy/Containerfile"),
        (f"{ROOT}/services/my worker/Dockerfile", "services/my worker/Dockerfile"),
        ("-legacy/Dockerfile", "-legacy/Dockerfile"),
    ],
)
def test_paths_become_repo_relative(reported: str, expected: str) -> None:
    [finding] = SCANNER.parse(ToolOutput(json.dumps([_record(file=reported)])), _target(expected))
    assert finding.location.path == expected


def test_finding_fields() -> None:
    [finding] = _parse([_record(line=7, column=3)])
    assert (finding.tool, finding.rule_id, finding.kind) == ("hadolint", "DL3008", Kind.MISCONFIGURATION)
    assert finding.title == "Pin versions in apt get install"
    assert finding.message == str(_record()["message"])
    assert (finding.location.start_line, finding.location.end_line, finding.location.column) == (7, 7, 3)
    assert finding.evidence == ""


@pytest.mark.parametrize("extra", ["tty", "json", "sarif", "checkstyle"])
def test_a_format_from_hadolint_yaml_does_not_hide_the_json(extra: str) -> None:
    # Measured: hadolint prints the config's format first, then ours, sometimes on the same line.
    report = _recorded("api")
    prefix = {
        "tty": "Dockerfile:6 DL3008 warning: Pin versions [sic]\n",
        "json": report.strip(),
        "sarif": '{"runs": [{"results": [{"ruleId": "DL3008"}]}], "version": "2.1.0"}',
        "checkstyle": "<?xml version='1.0'?><checkstyle><file name=\"[x]\"/></checkstyle>",
    }[extra]
    target = Target(root=FIXTURES / "hadolint" / "api", files=("Dockerfile",), repo=ROOT)
    alone = SCANNER.parse(ToolOutput(report), target)
    assert alone
    assert SCANNER.parse(ToolOutput(prefix + report), target) == alone


def test_unreadable_hadolint_yaml_is_a_scanner_error() -> None:
    stderr = "\"Error parsing your config file in  '/work/view/.hadolint.yaml':\\nIt should contain...\"\n"
    with pytest.raises(ScannerError, match=r"hadolint could not parse \.hadolint\.yaml"):
        _parse([_record()], stderr=stderr)


@pytest.mark.parametrize(
    "report",
    [
        "",
        "hadolint: Dockerfile: withBinaryFile: does not exist (No such file or directory)",
        '[{"code":"DL3008","column":1,"file":"Dockerfile","level":"warning","line":2,"mess',
        "{}",
        '{"results": []}',
        "42",
        "[1]",
        '["DL3008"]',
        json.dumps([{k: v for k, v in _record().items() if k != "code"}]),
        json.dumps([_record(line="2")]),
        json.dumps([_record(line=True)]),
        json.dumps([_record(file=None)]),
        json.dumps([_record(message=["x"])]),
        json.dumps([_record(file="../outside/Dockerfile")]),
    ],
)
def test_malformed_reports_raise_parse_error(report: str) -> None:
    with pytest.raises(ParseError, match=r"hadolint|outside"):
        SCANNER.parse(ToolOutput(report), _target("Dockerfile"))


@pytest.mark.scanner
def test_live_repo_config_is_honoured_and_personal_config_is_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    personal = tmp_path / "home"
    (personal / ".config").mkdir(parents=True)
    (personal / ".config" / "hadolint.yaml").write_text("ignored: [DL3008, DL3009]\n", encoding="utf-8")
    monkeypatch.setenv("HOME", str(personal))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(personal / ".config"))
    dockerfile = "FROM debian:12-slim\nRUN apt-get update && apt-get install -y curl\n"
    repo_config = "format: sarif\nignored: [DL3015]\noverride:\n  error: [DL3008]\n"
    found = _run_live(tmp_path, {"-legacy/Dockerfile": dockerfile, ".hadolint.yaml": repo_config})
    rules = {f.rule_id: f for f in found}
    assert set(rules) == {"DL3008", "DL3009"}
    assert rules["DL3008"].severity is Severity.HIGH
    assert rules["DL3008"].location.path == "-legacy/Dockerfile"


@pytest.mark.scanner
def test_live_broken_repo_config_fails_the_scanner(tmp_path: Path) -> None:
    files = {"Dockerfile": "FROM debian:12-slim\n", ".hadolint.yaml": "ignored: [DL3008\n"}
    with pytest.raises(ScannerError, match=r"\.hadolint\.yaml"):
        _run_live(tmp_path, files)


# --- heredocs: hadolint's parser stops at an instruction right after one (hadolint#960) -----------------

HEREDOC_THEN_FROM = "FROM debian:12\nRUN <<EOT\nset -eux\napt-get update\nEOT\nFROM debian:latest\nUSER 1\n"


@pytest.mark.parametrize(
    ("text", "spaced"),
    [
        (HEREDOC_THEN_FROM, HEREDOC_THEN_FROM.replace("EOT\nFROM", "EOT\n FROM")),
        ("FROM d\nRUN <<EOT bash\nx\nEOT\n# c\nUSER 1\n", "FROM d\nRUN <<EOT bash\nx\nEOT\n # c\nUSER 1\n"),
        (
            "FROM d\r\nCOPY <<EOF /x\r\ny\r\nEOF\r\nUSER 1\r\n",
            "FROM d\r\nCOPY <<EOF /x\r\ny\r\nEOF\r\n USER 1\r\n",
        ),
        (
            "FROM d\nRUN a \\\n && cat <<'E' > /x \\\n && b\nz\nE\nCOPY a b\n",
            "FROM d\nRUN a \\\n && cat <<'E' > /x \\\n && b\nz\nE\n COPY a b\n",
        ),
        (
            "FROM d\nRUN a \\\n# c\n && cat <<E\nz\nE\nUSER 1\n",
            "FROM d\nRUN a \\\n# c\n && cat <<E\nz\nE\n USER 1\n",
        ),
        ("FROM d\nRUN <<EOT\nx\nEOT\n\nUSER 1\n", None),  # a blank line already: nothing to do
        ("FROM d\nRUN <<EOT\nx\nEOT", None),  # the heredoc ends the file
        ("FROM d\nRUN cat <<<'a-b'\nUSER 1\n", None),  # a here-string, not a heredoc
        ("FROM d\nRUN echo $((1<<2))\nLABEL a=<<b\nUSER 1\n", None),  # a shift; LABEL takes no heredoc
        ("FROM d\nRUN <<EOT\nEOT2\nUSER 1\n", None),  # never closed: nothing after it is an instruction
    ],
)
def test_a_space_before_what_follows_a_heredoc_and_nothing_else(text: str, spaced: str | None) -> None:
    assert dockerfile.spaced_after_heredocs(text) == spaced
    if spaced is not None:
        assert spaced.count("\n") == text.count("\n")  # the same lines: findings keep their numbers


@pytest.mark.scanner
def test_a_valid_heredoc_is_linted_not_reported_unparseable(tmp_path: Path) -> None:
    """The real hadolint on Dockerfiles with heredocs: every rule runs, at the original paths and lines,
    with the repository's .hadolint.yaml and inline pragmas still applied; the view is not written."""
    files = {
        "Dockerfile": HEREDOC_THEN_FROM,
        "svc/Dockerfile": "FROM debian:12\nCOPY <<EOF /x\ny\nEOF\n"
        "# hadolint ignore=DL3007\nFROM debian:latest\nUSER 1\n",
        "plain/Dockerfile": "FROM debian:latest\nUSER root\n",
        ".hadolint.yaml": "ignored: [DL3002]\n",
    }
    found = {(f.location.path, f.location.start_line, f.rule_id) for f in _run_live(tmp_path, files)}
    assert found == {
        ("Dockerfile", 6, "DL3007"),  # the FROM right after the heredoc, at its own line
        ("plain/Dockerfile", 1, "DL3007"),
        ("plain/Dockerfile", 2, "DL3066"),  # "root" is not a numeric id
    }  # no DL1000; DL3007 on svc/Dockerfile ignored by its pragma; DL3002 (USER root) by the config
    assert (tmp_path / "view" / "Dockerfile").read_text() == HEREDOC_THEN_FROM  # the shared view as it was


def test_no_heredoc_runs_in_the_view_itself(tmp_path: Path) -> None:
    """Nor does a heredoc when one of the files cannot be copied: hadolint sees them where they are."""
    (tmp_path / "Dockerfile").write_text(HEREDOC_THEN_FROM)
    target = Target(root=tmp_path, files=("Dockerfile",), repo=tmp_path, workdir=tmp_path / "w")
    assert SCANNER.command("/bin/hadolint", target).cwd == tmp_path / "w" / "hadolint-view"
    with_missing = replace(target, files=("Dockerfile", "missing/Dockerfile"), workdir=tmp_path / "v")
    assert SCANNER.command("/bin/hadolint", with_missing).cwd is None
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nUSER 1\n")
    assert SCANNER.command("/bin/hadolint", replace(target, workdir=tmp_path / "u")).cwd is None
    assert not (tmp_path / "v").exists() and not (tmp_path / "u").exists()


# --- mounts: hadolint requires a target that BuildKit does not (bind and cache mounts) ---------------------

TARGET = f",target={dockerfile.NO_TARGET}"


@pytest.mark.parametrize(
    ("text", "targeted"),
    [
        (
            "FROM d\nRUN --mount=type=bind,source=. make\n",
            f"FROM d\nRUN --mount=type=bind,source=.{TARGET} make\n",
        ),
        ("FROM d\nrun --mount=type=cache,id=x make\n", f"FROM d\nrun --mount=type=cache,id=x{TARGET} make\n"),
        (  # docker/buildx's own: the first of two mounts on continued lines, a heredoc after
            "FROM d\nRUN --mount=from=bin \\\n  --mount=type=bind,from=v,target=/v <<EOT\nx\nEOT\n",
            f"FROM d\nRUN --mount=from=bin{TARGET} \\\n  --mount=type=bind,from=v,target=/v <<EOT\nx\nEOT\n",
        ),
        (
            "FROM d\nRUN --network=none \\\n# c\n    --mount=from=s\\\n    make\n",
            f"FROM d\nRUN --network=none \\\n# c\n    --mount=from=s{TARGET}\\\n    make\n",
        ),
        (
            "FROM d\nONBUILD RUN --mount=type=cache,id=x make\n",
            f"FROM d\nONBUILD RUN --mount=type=cache,id=x{TARGET} make\n",
        ),
        ("FROM d\nRUN --mount=type=cache,dst=/c make\n", None),  # targets under their other names
        ("FROM d\nRUN --mount=destination=/c,from=s make\n", None),
        ("FROM d\nRUN --mount=type=secret,id=k make\n", None),  # secret and ssh have default targets
        ("FROM d\nRUN --mount=type=tmpfs make\n", None),  # tmpfs needs one in BuildKit too
        ("FROM d\nRUN make --mount=from=s\n", None),  # the command's words, not RUN's flags
        ("FROM d\nRUN make \\\n  --mount=from=s\n", None),
        ("FROM d\nRUN <<EOT\n--mount=from=s\nEOT\n", None),  # a heredoc's body
        ("FROM d\nCOPY --mount=from=s a b\n", None),  # only RUN takes mounts
        ('FROM d\nRUN --mount="type=cache,id=x" make\n', None),  # quoted: hadolint cannot read it anyway
    ],
)
def test_a_target_for_each_mount_without_one_and_nothing_else(text: str, targeted: str | None) -> None:
    assert dockerfile.targeted_mounts(text) == targeted
    if targeted is not None:
        assert targeted.count("\n") == text.count("\n")  # the same lines: findings keep their numbers


@pytest.mark.scanner
def test_a_mount_without_a_target_is_linted_not_reported_unparseable(tmp_path: Path) -> None:
    """docker/buildx's Dockerfile (`RUN --mount=from=binaries`) was one high DL1000 and no lint at all:
    now every rule runs, at the original lines; the added target hides nothing (DL3042 is not
    skipped as it is for a cache mount on pip's cache), and pragmas still apply."""
    files = {
        "Dockerfile": "FROM python:3.12\nRUN --mount=type=cache,id=pip \\\n    --mount=from=src \\\n"
        "    pip install flask==3.0.0\nRUN --mount=type=bind,source=. <<EOT\nset -eux\nEOT\n"
        "# hadolint ignore=DL3004\nRUN --mount=type=cache,id=x sudo true\nFROM debian:latest\nUSER 1\n",
    }
    found = {(f.location.path, f.location.start_line, f.rule_id) for f in _run_live(tmp_path, files)}
    assert found == {("Dockerfile", 2, "DL3042"), ("Dockerfile", 10, "DL3007")}
    assert (tmp_path / "view" / "Dockerfile").read_text() == files["Dockerfile"]  # the view as it was
