"""The command line end to end: verdicts, the JSON contract, and one clear line for every failure."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mergeguard.cli.main import BROKEN_PIPE, ERROR_LIMIT, main
from mergeguard.core.errors import UsageError
from mergeguard.scan.registry import REGISTRY, select
from mergeguard.scanners import commands
from tests.gitutil import GitTree

AWS_KEY_ID = "AKIA" + "QYLPMN5HFIUJXZ2K"  # fake, shaped like a real one
DOCKERFILE = "FROM python:3.11-slim\nRUN pip install flask\nCMD python app.py\n"
CODE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"


@pytest.fixture
def repo(tmp_path: Path) -> GitTree:
    tree = GitTree(tmp_path / "repo")
    tree.write("api/Dockerfile", DOCKERFILE)
    tree.write("api/tasks.py", CODE)
    tree.write("README.md", "# service\n")
    tree.commit("base")
    tree.git("branch", "base")
    return tree


def fake_tools(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **bodies: str) -> None:
    """Replace named tools with shell scripts (fault injection); other tools stay real."""
    real: Callable[[str], str | None] = commands.find_executable
    scripts = {}
    for name, body in bodies.items():
        path = tmp_path / f"fake-{name}"
        path.write_text(
            f'#!/bin/sh\ncase "$1" in --version|version) echo "{name} 9.9.9"; exit 0;; esac\n{body}'
        )
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
        scripts[name.replace("_", "-")] = str(path)
    monkeypatch.setattr(commands, "find_executable", lambda name: scripts.get(name, real(name)))


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


@pytest.mark.scanner
def test_full_scan_fails_with_a_json_report(
    repo: GitTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "out" / "report.json"
    code = main(
        ["scan", str(repo.root), "--all-files", "--scanners", "bandit,hadolint", "--json", str(report)]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert last_line(out) == "mergeguard: FAIL: 1 finding at or above high severity"
    assert "api/tasks.py:5  high  bandit  B602" in out
    data = json.loads(report.read_text())
    assert data["version"] == 1 and data["verdict"] == "fail"
    statuses = {s["name"]: s["status"] for s in data["scanners"]}
    assert statuses.pop("hadolint") == statuses.pop("bandit") == "ok"
    assert set(statuses.values()) == {"skipped"}  # every other scanner: not selected
    b602 = next(f for f in data["findings"] if f["rule_id"] == "B602")
    assert b602["status"] == "new" and b602["blocking"] is True
    assert {
        "tool",
        "rule_id",
        "severity",
        "title",
        "message",
        "path",
        "start_line",
        "end_line",
        "kind",
    } <= set(b602)
    assert len(b602["fingerprint"]) == 32


@pytest.mark.scanner
def test_fail_on_critical_passes_the_same_tree(repo: GitTree, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", str(repo.root), "--scanners", "bandit", "--fail-on", "critical"])
    assert code == 0
    assert last_line(capsys.readouterr().out) == "mergeguard: PASS: no blocking findings"


@pytest.mark.scanner
def test_pr_mode_reports_only_the_file_the_head_commit_adds(
    repo: GitTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("config/aws.py", f'AWS_ACCESS_KEY_ID = "{AWS_KEY_ID}"\n')
    repo.commit("add credentials")
    report = tmp_path / "pr.json"
    code = main(["scan", str(repo.root), "--base", "base", "--json", str(report)])
    data = json.loads(report.read_text())
    assert code == 1, capsys.readouterr().out
    assert {f["path"] for f in data["findings"]} == {"config/aws.py"}
    seen_by = {tool for f in data["findings"] for tool in f["tools"]}
    # Checkov's secrets framework (a fork of detect-secrets) is left out while detect-secrets runs.
    assert {"gitleaks", "detect-secrets", "trivy-secret"} <= seen_by
    assert data["duplicates_merged"] >= 2
    assert all(f["status"] == "new" for f in data["findings"])
    assert AWS_KEY_ID not in report.read_text()
    assert AWS_KEY_ID not in capsys.readouterr().out


@pytest.mark.scanner
def test_pr_mode_touching_other_lines_leaves_old_findings_pre_existing(
    repo: GitTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("api/tasks.py", "# a new comment\n" + CODE)
    repo.commit("comment")
    report = tmp_path / "pr.json"
    code = main(["scan", str(repo.root), "--base", "base", "--scanners", "bandit", "--json", str(report)])
    assert code == 0, capsys.readouterr().out
    statuses = {f["rule_id"]: f["status"] for f in json.loads(report.read_text())["findings"]}
    assert statuses["B602"] == "pre-existing"


FAULTS = [
    ("hadolint", "kill -KILL $$\n", "killed by signal SIGKILL"),
    (
        "hadolint",
        "echo 'hadolint: internal error' >&2; exit 70\n",
        "exited with status 70: hadolint: internal error",
    ),
    ("hadolint", "echo 'this is not JSON'\n", "printed no JSON report"),
    ("hadolint", "sleep 20\n", "timed out after 1s"),
    ("bandit", 'echo \'{"results": [], "errors": [\'\n', "unparseable JSON"),
]


@pytest.mark.parametrize(("tool", "body", "reason"), FAULTS)
def test_each_fault_is_exit_3_naming_the_scanner(
    repo: GitTree,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tool: str,
    body: str,
    reason: str,
) -> None:
    fake_tools(monkeypatch, tmp_path, **{tool: body})
    code = main(["scan", str(repo.root), "--scanners", tool, "--timeout", "1"])
    out = capsys.readouterr().out
    assert code == 3
    assert last_line(out).startswith(f"mergeguard: ERROR: scanner {tool} failed: ")
    assert reason in last_line(out)


def test_a_missing_tool_is_exit_3(
    repo: GitTree, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(commands, "find_executable", lambda name: None)
    code = main(["scan", str(repo.root), "--scanners", "hadolint"])
    assert code == 3
    assert "scanner hadolint failed: hadolint not found" in last_line(capsys.readouterr().out)


def test_gitleaks_scanning_zero_commits_is_exit_3(
    repo: GitTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write("new.py", "x = 1\n")
    repo.commit("pr")
    fake_tools(monkeypatch, tmp_path, gitleaks="echo 'INF 0 commits scanned.' >&2\necho '[]'\n")
    code = main(["scan", str(repo.root), "--base", "base", "--scanners", "gitleaks"])
    assert code == 3
    assert "scanner gitleaks failed: gitleaks scanned 0 commits" in last_line(capsys.readouterr().out)


def test_scanner_errors_can_be_allowed_by_config(
    repo: GitTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_tools(monkeypatch, tmp_path, hadolint="exit 9\n")
    repo.write(".mergeguard.yml", "fail-on-scanner-error: false\n")
    repo.commit("allow")
    assert main(["scan", str(repo.root), "--scanners", "hadolint"]) == 0
    assert "allowed by fail-on-scanner-error: false" in last_line(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("fail-on: hihg\n", ".mergeguard.yml:1: fail-on: unknown severity 'hihg'"),
        ("scanners:\n  trivy: false\n", ".mergeguard.yml:2: scanners.trivy: unknown scanner"),
        ("exclude: [\n", ".mergeguard.yml:2: (file): not valid YAML"),
    ],
)
def test_bad_config_is_exit_2_in_one_line(
    repo: GitTree, capsys: pytest.CaptureFixture[str], config: str, message: str
) -> None:
    repo.write(".mergeguard.yml", config)
    assert main(["scan", str(repo.root)]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("mergeguard: error: ") and message in captured.err
    assert "Traceback" not in captured.err + captured.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--base", "origin/nope"], "fetch-depth: 0"),
        (["--scanners", "hadolint,semgrepp"], "--scanners: unknown semgrepp"),
        (["--config", "missing.yml"], "config file not found"),
        (["--timeout", "0"], "--timeout: must be a number of seconds from 1 to 86400, got 0"),
    ],
)
def test_usage_errors_are_exit_2_in_one_line(
    repo: GitTree, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["scan", str(repo.root), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_an_error_quoting_a_huge_value_stays_a_readable_line(
    repo: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """A value as long as a flag or an input allows (100,000 characters) is cut in the one error line."""
    assert main(["scan", str(repo.root), "--scanners", "x" * 100_000]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mergeguard: error: --scanners: unknown")
    assert len(err) <= len("mergeguard: error: ") + ERROR_LIMIT + 1 and "x…x" in err


def test_bad_fail_on_flag_is_exit_2(repo: GitTree, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["scan", str(repo.root), "--fail-on", "severe"])
    assert caught.value.code == 2
    assert "unknown severity 'severe'" in capsys.readouterr().err


@pytest.mark.scanner
def test_baseline_lifecycle(repo: GitTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = str(repo.root)
    assert (
        main(
            [
                "baseline",
                "create",
                root,
                "--scanners",
                "bandit,hadolint",
                "--reason",
                "legacy: SEC-12",
                "--by",
                "ada",
            ]
        )
        == 0
    )
    assert "entries (" in capsys.readouterr().out
    assert main(["scan", root, "--scanners", "bandit,hadolint"]) == 0
    # Lines inserted above every finding, and an edit elsewhere in the file: still accepted.
    repo.write("api/tasks.py", "'''Tasks.'''\n\n\n" + CODE + "\n\ndef other():\n    return 1\n")
    repo.write("api/Dockerfile", "# syntax=docker/dockerfile:1\n# build the API\n" + DOCKERFILE)
    capsys.readouterr()
    assert main(["scan", root, "--scanners", "bandit,hadolint"]) == 0, capsys.readouterr().out
    # Expire one entry by hand: that finding fails the gate again.
    path = repo.root / ".mergeguard-baseline.yml"
    text = path.read_text().replace(
        "  reason: 'legacy: SEC-12'\n  accepted_by: ada\n",
        "  reason: 'legacy: SEC-12'\n  accepted_by: ada\n  expires: 2020-01-01\n",
        1,
    )
    path.write_text(text)
    capsys.readouterr()
    assert main(["scan", root, "--scanners", "bandit,hadolint", "--fail-on", "low"]) == 1
    assert "whose baseline acceptance expired" in last_line(capsys.readouterr().out)
    # A fixed finding leaves a stale entry, listed by scan and removed by prune.
    repo.write("api/tasks.py", "def run():\n    return 0\n")
    assert main(["scan", root, "--scanners", "bandit,hadolint"]) == 0
    assert "Stale baseline entry" in capsys.readouterr().out
    before = len(baseline_entries(path))
    assert main(["baseline", "prune", root, "--scanners", "bandit,hadolint"]) == 0
    assert len(baseline_entries(path)) < before


def baseline_entries(path: Path) -> list[object]:
    import yaml  # noqa: PLC0415 - only this test reads the file back raw

    entries: list[object] = yaml.safe_load(path.read_text())["entries"]
    return entries


def test_a_corrupt_baseline_is_exit_2_and_never_read_as_empty(
    repo: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.write(".mergeguard-baseline.yml", "version: 1\nentries:\n  - fingerprint: [oops\n")
    assert main(["scan", str(repo.root), "--scanners", "bandit"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ".mergeguard-baseline.yml:4: (file): not valid YAML" in err


def test_baseline_create_needs_a_reason_and_refuses_to_overwrite(
    repo: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["baseline", "create", str(repo.root), "--scanners", "none"]) == 2
    assert "--reason is required" in capsys.readouterr().err
    repo.write(".mergeguard-baseline.yml", "version: 1\nentries: []\n")
    assert main(["baseline", "create", str(repo.root), "--reason", "x"]) == 2
    assert "a baseline exists already" in capsys.readouterr().err


REPORTS = Path(__file__).parent / "fixtures" / "reports"


def test_convert_writes_schema_shaped_sarif_json_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    args = [
        "convert",
        "--tool",
        "trivy",
        str(REPORTS / "trivy" / "golden-image-debian-buster.json"),
        "--root",
        str(tmp_path),
    ]
    assert (
        main(
            [
                *args,
                "--sarif",
                str(out / "t.sarif"),
                "--json",
                str(out / "t.json"),
                "--markdown",
                str(out / "t.md"),
            ]
        )
        == 0
    )
    data = json.loads((out / "t.json").read_text())
    sarif_doc = json.loads((out / "t.sarif").read_text())
    results = [r for run in sarif_doc["runs"] for r in run["results"]]
    assert len(results) == len(data["findings"]) > 0  # one result per record of the input, no dedupe
    assert "mergeguard: failed" in (out / "t.md").read_text().splitlines()[0]
    assert f"converted {len(results)} findings" in capsys.readouterr().err


def test_convert_without_outputs_prints_sarif(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "convert",
                "--tool",
                "gitleaks",
                str(REPORTS / "gitleaks" / "v8.30.1-dir.json"),
                "--root",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["version"] == "2.1.0"


@pytest.mark.parametrize(
    ("tool", "name", "message"),
    [
        ("pip-audit", "v2.10.1-offline-all-skipped.json", "not a pip-audit report"),
        ("trivy", "../pip-audit/v2.9.0-dependencies.json", "not a trivy report"),
    ],
)
def test_convert_of_something_else_is_exit_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], tool: str, name: str, message: str
) -> None:
    path = REPORTS / tool / name
    assert main(["convert", "--tool", tool, str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and str(path) in err
    assert "Traceback" not in err


def test_scan_gates_on_an_imported_report_with_no_scanner(
    repo: GitTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = REPORTS / "gitleaks" / "v8.30.1-dir.json"
    code = main(
        [
            "scan",
            str(repo.root),
            "--scanners",
            "none",
            "--report",
            f"gitleaks={report}",
            "--json",
            str(tmp_path / "r.json"),
        ]
    )
    data = json.loads((tmp_path / "r.json").read_text())
    assert code == 1
    assert [s["name"] for s in data["scanners"] if s["status"] == "ok"] == ["gitleaks"]
    assert data["scanners"][-1]["reason"] == f"imported from {report}"
    assert all(f["tool"] == "gitleaks" for f in data["findings"])


def test_scanners_none_without_reports_is_a_usage_error(
    repo: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", str(repo.root), "--scanners", "none"]) == 2
    assert "nothing would be checked" in capsys.readouterr().err
    # An image is scanned by trivy-image, which `none` leaves out: it passed with nothing scanned.
    assert main(["scan", str(repo.root), "--scanners", "none", "--image", "alpine:3.20", "--offline"]) == 2
    assert "nothing would be checked" in capsys.readouterr().err


def test_a_config_turning_every_scanner_off_is_refused_naming_it(
    repo: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by a trial: `scanners: {every one: false}` passed with every scanner "not selected"."""
    off = ", ".join(f"{name}: false" for name in REGISTRY)
    repo.write(".mergeguard.yml", f"fail-on: high\nscanners: {{{off}}}\n")
    assert main(["scan", str(repo.root)]) == 2
    err = capsys.readouterr().err
    assert last_line(err).endswith(
        ".mergeguard.yml:2: scanners: turns every scanner off and no report"
        " is given to gate on: nothing would be checked"
    )
    report = REPORTS / "gitleaks" / "v8.30.1-dir.json"
    assert main(["scan", str(repo.root), "--report", f"gitleaks={report}"]) == 1  # a report to gate on


@pytest.mark.parametrize("spec", ["gitleaks", "nosuchtool=x.json", "gitleaks="])
def test_bad_report_flag_is_exit_2(repo: GitTree, capsys: pytest.CaptureFixture[str], spec: str) -> None:
    assert main(["scan", str(repo.root), "--scanners", "none", "--report", spec]) == 2
    assert "expected TOOL=FILE" in capsys.readouterr().err


def test_a_named_baseline_must_exist(repo: GitTree, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(repo.root), "--scanners", "bandit", "--baseline", "nope.yml"]) == 2
    assert "nope.yml: (file): baseline file not found" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (None, None),
        ("", None),
        ("none", ()),
        ("bandit, hadolint", ("bandit", "hadolint")),
        ("bandit\ngitleaks\n", ("bandit", "gitleaks")),
        ("bandit hadolint\tgitleaks", ("bandit", "hadolint", "gitleaks")),  # found by a trial: refused
        ("Bandit, HADOLINT", ("bandit", "hadolint")),
        ("NONE", ()),
    ],
)
def test_scanner_lists_from_flag_or_input(text: str | None, names: tuple[str, ...] | None) -> None:
    assert select(text, "--scanners") == names


def test_an_unknown_scanner_names_where_it_came_from() -> None:
    with pytest.raises(UsageError, match=r"^input scanners: unknown trivvy \(known: .*, none\)$"):
        select("bandit,trivvy", "input scanners")


@pytest.mark.scanner
def test_pr_mode_blocks_a_compose_service_given_the_host(repo: GitTree, tmp_path: Path) -> None:
    """No installed scanner checks compose files: mergeguard's own compose check does."""
    repo.write("docker-compose.yml", "services:\n  web:\n    image: nginx:1.27\n")
    repo.commit("compose")
    repo.git("branch", "-f", "base")
    repo.write(
        "docker-compose.yml",
        "x-defaults: &defaults\n  restart: unless-stopped\nservices:\n  web:\n    <<: *defaults\n"
        "    image: nginx:1.27\n    privileged: true\n    pid: host\n"
        "    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n",
    )
    repo.commit("give it the host")
    report = tmp_path / "pr.json"
    code = main(["scan", str(repo.root), "--base", "base", "--json", str(report)])
    blocking = [
        (f["path"], f["rule_id"], f["start_line"]) for f in json.loads(report.read_text())["findings"]
    ]
    assert code == 1
    assert sorted(blocking) == [
        ("docker-compose.yml", "COMPOSE-001", 7),
        ("docker-compose.yml", "COMPOSE-003", 8),
        ("docker-compose.yml", "COMPOSE-010", 10),
    ]


@pytest.mark.scanner
def test_pr_mode_a_new_compose_service_merging_a_dangerous_anchor_is_new(
    repo: GitTree, tmp_path: Path
) -> None:
    """The finding sits on the anchor's unchanged line: the base's scan says the service is new."""
    base = "x-host: &host\n  privileged: true\nservices:\n  agent:\n    <<: *host\n    image: agent:1\n"
    repo.write("docker-compose.yml", base)
    repo.commit("compose")
    repo.git("branch", "-f", "base")
    repo.write("docker-compose.yml", base + "  web:\n    <<: *host\n    image: nginx:1.27\n")
    repo.commit("a second service on the host")
    report = tmp_path / "pr.json"
    code = main(
        ["scan", str(repo.root), "--base", "base", "--scanners", "compose-check", "--json", str(report)]
    )
    statuses = sorted((f["start_line"], f["status"]) for f in json.loads(report.read_text())["findings"])
    assert code == 1
    assert statuses == [(2, "new"), (2, "pre-existing")]


def _sarif_log(path: Path, results: int) -> Path:
    found = [{"ruleId": "R1", "message": {"text": f"problem {n}"}} for n in range(results)]
    path.write_text(
        json.dumps({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t"}}, "results": found}]})
    )
    return path


def test_a_reader_that_closes_standard_output_gets_one_line_and_status_141(tmp_path: Path) -> None:
    log = _sarif_log(tmp_path / "r.sarif", 10)
    argv = [
        sys.executable,
        "-m",
        "mergeguard",
        "convert",
        "--tool",
        "sarif",
        str(log),
        "--root",
        str(tmp_path),
    ]
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written (`| head` that has read its lines)
    try:
        done = subprocess.run(argv, stdout=write, stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(write)
    assert done.returncode == BROKEN_PIPE
    assert done.stderr.splitlines() == ["mergeguard: error: standard output was closed by its reader"]


def test_the_command_leaves_what_remains_to_the_exit_not_to_the_collector() -> None:
    check = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print(gc.isenabled(), gc.get_freeze_count() > 1000))\n"
        "from mergeguard.cli.main import run\n"
        "sys.argv = ['mergeguard', 'scanners']\n"
        "run()\n"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=False)
    assert done.stdout.splitlines()[-1] == "False True"


def test_a_commands_result_is_left_to_the_process_end_only_in_the_command() -> None:
    """`leave_to_exit` keeps a result alive past its last use (the OS frees it with the process) only
    once `run` has said the process ends with the command; in-process callers keep nothing."""
    check = (
        "import gc, sys, weakref\n"
        "from mergeguard.core import gcpause\n"
        "class Result: pass\n"
        "gc.disable()\n"
        "first = Result(); seen = weakref.ref(first)\n"
        "gcpause.leave_to_exit(first); del first\n"
        "print(seen() is None)\n"
        "gcpause.leaving_to_exit()\n"
        "second = Result(); kept = weakref.ref(second)\n"
        "gcpause.leave_to_exit(second); del second\n"
        "print(kept() is not None)\n"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=False)
    assert done.stdout.split() == ["True", "True"], done.stderr
