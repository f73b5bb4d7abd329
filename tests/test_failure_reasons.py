"""Failure reasons a person can act on (issue 8.6), and timeouts that are finite and bounded (issue 12.6)."""

from __future__ import annotations

import math
import stat
from pathlib import Path

import pytest

from mergeguard.cli.main import main
from mergeguard.core import config, reasons
from mergeguard.core.outcome import Status
from mergeguard.scan.runner import run_job
from mergeguard.scanners.base import Job, Target
from mergeguard.scanners.pip_audit.scanner import PipAuditScanner
from tests.gitutil import GitTree

# What pip-audit 2.x prints when TLS to PyPI fails inside an image (its stdout stays empty).
PIP_AUDIT_TLS_CRASH = """\
Traceback (most recent call last):
  File "/venv/bin/pip-audit", line 8, in <module>
    sys.exit(audit())
             ^^^^^^^
  File "/venv/lib/python3.11/site-packages/pip_audit/_cli.py", line 529, in audit
    for spec, vulns in auditor.audit(source):
  File "/venv/lib/python3.11/site-packages/requests/adapters.py", line 517, in send
    raise SSLError(e, request=request)
requests.exceptions.SSLError: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded \
with url: /pypi/flask/2.0.0/json (Caused by SSLError(SSLCertVerificationError(1, \
'[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate')))
"""


@pytest.mark.parametrize(
    ("stderr", "line"),
    [
        (PIP_AUDIT_TLS_CRASH, "requests.exceptions.SSLError: HTTPSConnectionPool(host='pypi.org', port=443)"),
        ("", "no error output"),
        ("\n  \n\t\n", "no error output"),
        ("real cause\n\n 45%|████▌     | 9/20 [00:01<00:02]\n", "real cause"),
        ("cause\nDownloading DB  [=====>          ] 40%\r[==========>     ] 80%\n", "cause"),
        ("cause\n" + "-" * 40 + "\n", "cause"),
        (
            "2024-05-01T10:00:00Z\tINFO\tNeed to update DB\n"
            "2024-05-01T10:00:01Z\tFATAL\tFatal error\tinit error: DB error: failed to download\n",
            "FATAL\\x09Fatal error\\x09init error: DB error: failed to download",
        ),
        ("hadolint: openFile: does not exist (No such file or directory)\n", "openFile: does not exist"),
        ("\x1b[31mError:\x1b[0m bad flag\n", "Error: bad flag"),
    ],
)
def test_the_last_meaningful_stderr_line_is_the_reason(stderr: str, line: str) -> None:
    assert line in reasons.last_line(stderr)


def fake_tool(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-pip-audit"
    path.write_text('#!/bin/sh\ncase "$1" in --version) echo "pip-audit 2.9.0"; exit 0;; esac\n' + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


class FakePipAudit(PipAuditScanner):
    def __init__(self, executable: str) -> None:
        self.executable = executable  # type: ignore[misc]


def pip_audit_outcome(tmp_path: Path, body: str) -> str:
    (tmp_path / "requirements.txt").write_text("flask==2.0.0\n")
    (tmp_path / "crash.txt").write_text(PIP_AUDIT_TLS_CRASH)
    target = Target(tmp_path, ("requirements.txt",), tmp_path, workdir=tmp_path)
    outcome = run_job(Job(FakePipAudit(fake_tool(tmp_path, body)), target, 60))
    assert outcome.status is Status.FAILED
    return outcome.reason


def test_a_crashed_pip_audit_says_the_tools_own_error(tmp_path: Path) -> None:
    reason = pip_audit_outcome(tmp_path, f"cat '{tmp_path / 'crash.txt'}' >&2\nexit 1\n")
    assert reason.startswith("printed no report (exit status 1): requests.exceptions.SSLError: ")
    assert "CERTIFICATE_VERIFY_FAILED" in reason
    assert "no JSON report" not in reason


def test_a_silent_crash_says_so_with_its_status(tmp_path: Path) -> None:
    assert pip_audit_outcome(tmp_path, "exit 1\n") == "printed no report (exit status 1): no error output"


def test_a_status_outside_the_accepted_ones_names_status_and_line(tmp_path: Path) -> None:
    reason = pip_audit_outcome(tmp_path, "echo '{\"dependencies\": []}'\necho 'usage: bad' >&2\nexit 2\n")
    assert reason == "exited with status 2: usage: bad"


# --- timeouts: finite, from 1 s to a day ---------------------------------------------------------

BAD_TIMEOUTS = ["0", "-5", "nan", "inf", "-inf", "1e20", "86401", "0.5"]


@pytest.mark.parametrize("value", BAD_TIMEOUTS)
def test_a_bad_timeout_flag_is_exit_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("app.py", "print(1)\n")
    tree.commit("base")
    assert main(["scan", str(tree.root), "--all-files", "--scanners", "none", f"--timeout={value}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("mergeguard: error: --timeout: must be a number of seconds from 1 to 86400")


@pytest.mark.parametrize(
    "text",
    [
        "timeout: 0\n",
        "timeout: -1\n",
        "timeout: 86401\n",
        "timeout: 100000000000000000000\n",
        "timeout: " + "9" * 400 + "\n",
        "scanners:\n  bandit:\n    timeout: 0\n",
    ],
)
def test_a_bad_timeout_in_the_config_is_exit_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write(".mergeguard.yml", text)
    tree.commit("base")
    assert main(["scan", str(tree.root), "--all-files"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert ".mergeguard.yml:" in err and "must be a number of seconds from 1 to 86400" in err


@pytest.mark.parametrize(("value", "seconds"), [(1, 1.0), (600, 600.0), (86_400, 86_400.0), (2.5, 2.5)])
def test_timeouts_in_range_are_accepted(value: float, seconds: float) -> None:
    assert config.timeout_seconds(value) == seconds


@pytest.mark.parametrize("value", [0, -1, 0.999, 86_400.5, math.nan, math.inf, -math.inf, 1e20, 10**400])
def test_one_check_refuses_every_bad_timeout(value: float) -> None:
    with pytest.raises(ValueError, match="from 1 to 86400"):
        config.timeout_seconds(value)
