"""A failing scanner's error line keeps no secret and cannot speak to the log (issue 12: error lines)."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from mergeguard.cli.main import main
from mergeguard.core import reasons
from mergeguard.scanners import commands
from tests.gitutil import GitTree

AWS_KEY_ID = "AKIA" + "QYLPMN5HFIUJXZ2K"  # fake, shaped like a real one
GITHUB_TOKEN = "ghp_" + "R4nd0mL00k1ngT0k3nV4lu3xyzABCD12345"
PASSWORD = "hunter2-" + "correct-horse"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY----- MIIEowIBAAKCAQEA7"
CLEAR = (AWS_KEY_ID, GITHUB_TOKEN, PASSWORD, "MIIEowIBAAKCAQEA7")


@pytest.fixture
def tree(tmp_path: Path) -> GitTree:
    tree = GitTree(tmp_path / "repo")
    tree.write("app.py", f"KEY = '{AWS_KEY_ID}'\n")
    tree.commit("base")
    return tree


def fake_bandit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    script = tmp_path / "fake-bandit"
    script.write_text('#!/bin/sh\ncase "$1" in --version) echo "bandit 9.9.9"; exit 0;; esac\n' + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    real: Callable[[str], str | None] = commands.find_executable
    monkeypatch.setattr(
        commands, "find_executable", lambda name: str(script) if name == "bandit" else real(name)
    )


def scan(
    tree: GitTree, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> tuple[int, str, dict[str, object]]:
    report = tmp_path / "report.json"
    code = main(["scan", str(tree.root), "--all-files", "--scanners", "bandit", "--json", str(report)])
    out = capsys.readouterr()
    return code, out.out + out.err + report.read_text(), json.loads(report.read_text())


def test_findings_on_stdout_of_a_failing_scanner_never_reach_the_reason(
    tree: GitTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    findings = json.dumps({"results": [{"code": f"KEY = '{AWS_KEY_ID}'", "token": GITHUB_TOKEN}]})
    fake_bandit(tmp_path, monkeypatch, f"echo '{findings}'\necho 'bandit: internal error' >&2\nexit 2\n")
    code, everything, _ = scan(tree, capsys, tmp_path)
    assert code == 3
    assert all(secret not in everything for secret in CLEAR)
    assert "exited with status 2: bandit: internal error" in everything


def test_a_secret_in_the_tools_own_error_line_is_redacted(
    tree: GitTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    line = f"error: cannot use {AWS_KEY_ID} with password={PASSWORD} token {GITHUB_TOKEN} {PRIVATE_KEY}"
    fake_bandit(tmp_path, monkeypatch, f"echo '{line}' >&2\nexit 2\n")
    code, everything, _ = scan(tree, capsys, tmp_path)
    assert code == 3
    assert all(secret not in everything for secret in CLEAR)
    assert "error: cannot use [redacted] with password=[redacted]" in everything


def test_an_error_line_cannot_issue_workflow_commands_or_break_lines(
    tree: GitTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_bandit(tmp_path, monkeypatch, "printf '::error::owned\\r::add-mask::x \\033[2J\\n' >&2\nexit 2\n")
    code, everything, _ = scan(tree, capsys, tmp_path)
    assert code == 3
    assert not any(line.lstrip().startswith("::") for line in everything.splitlines())
    assert "\x1b" not in everything
    assert "\r" not in everything


@pytest.mark.parametrize(
    ("text", "hidden", "kept"),
    [
        (f"key {AWS_KEY_ID} found", AWS_KEY_ID, "key [redacted] found"),
        ("ASIAY34FZKBOKMUTVV7A in use", "ASIAY34FZKBOKMUTVV7A", "in use"),
        (f"auth {GITHUB_TOKEN}", GITHUB_TOKEN, "auth [redacted]"),
        ("ghs_" + "a" * 36, "ghs_" + "a" * 36, "[redacted]"),
        ("github_pat_" + "11ABC" * 10, "11ABC11ABC", "[redacted]"),
        (f"{PRIVATE_KEY}\nrest", "MIIEow", "[redacted]"),
        (f"password={PASSWORD} user=bob", PASSWORD, "password=[redacted] user=bob"),
        ("SECRET: 's3cr3t value'", "s3cr3t", "SECRET: [redacted]"),
        ("api_key=abc123;x", "abc123", "api_key=[redacted];x"),
        ("https://bob:pa55w0rd@pypi.example/simple", "pa55w0rd", "https://[redacted]@pypi.example/simple"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0", "eyJhbGciOiJ", "Authorization: "),
        ("aws_secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY.", "bPxRfiCY", "aws_secret [redacted]."),
        ("digest 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "9f86d08", "digest "),
    ],
)
def test_redaction_table(text: str, hidden: str, kept: str) -> None:
    cleaned = reasons.clean(text)
    assert hidden not in cleaned
    assert kept in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "/usr/lib/python3.11/site-packages/Checkov_2/main.py line 12",
        "No such file or directory: 'requirements-dev.txt'",
        "ConnectionError: HTTPSConnectionPool(host='pypi.org', port=443)",
        "unknown check CKV_DOCKER_2 in MyVeryLongConfigurationSectionName",
    ],
)
def test_plain_error_text_is_kept(text: str) -> None:
    assert reasons.clean(text) == text


def test_control_characters_are_escaped_and_the_line_is_bounded() -> None:
    cleaned = reasons.clean("::warning::a\nb\rc\x1b[31md\u202ee\x00" + "x" * 1000)
    assert cleaned.startswith("warning::a\\x0ab\\x0dc\\x1b[31md\\u202ee\\x00")
    assert len(cleaned) <= 303
