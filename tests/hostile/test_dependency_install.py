"""A pull request's requirements are read, never resolved or installed: their build code never runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mergeguard.core.outcome import Status
from mergeguard.scan.runner import run_job
from mergeguard.scanners.base import Job, Target
from mergeguard.scanners.commands import find_executable
from mergeguard.scanners.pip_audit.scanner import PipAuditScanner

# What an attacker's package runs the moment pip builds it: here it only leaves a mark.
SETUP_PY = """\
from pathlib import Path
Path({mark!r}).write_text("setup.py ran")
from setuptools import setup
setup(name="evil", version="1.0")
"""


@pytest.mark.scanner
def test_pip_audit_never_builds_a_requirement_of_the_pull_request(tmp_path: Path) -> None:
    if find_executable("pip-audit") is None:
        pytest.skip("pip-audit is not installed (make install)")
    mark = tmp_path / "pwned"
    (tmp_path / "evil").mkdir()
    (tmp_path / "evil" / "setup.py").write_text(SETUP_PY.format(mark=str(mark)))
    requirements = [
        "./evil",
        "-e ./evil",
        f"evil @ file://{tmp_path / 'evil'}",
        f"file://{tmp_path / 'evil'}#egg=evil",
        "-r /etc/passwd",  # an include outside the tree is not followed either
        "evil>=1",
    ]
    (tmp_path / "requirements.txt").write_text("\n".join(requirements) + "\n")
    (tmp_path / "work").mkdir()
    target = Target(tmp_path, ("requirements.txt",), tmp_path, workdir=tmp_path / "work")
    outcome = run_job(Job(PipAuditScanner(), target, 120))
    assert not mark.exists()
    assert outcome.status is Status.OK, outcome.reason
    assert [f.location.start_line for f in outcome.findings] == [3, 4, 6]  # URLs and the range
    assert "root:" not in repr(outcome)
