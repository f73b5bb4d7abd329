"""Golden-file checks for scanner adapters: recorded real output in, normalised findings out.

Layout, per scanner `NAME` and case `CASE` under tests/fixtures/NAME/:
  CASE/             the input tree the real tool scans
  CASE.report       the tool's output, recorded by running it (see tests/fixtures/README.md)
  CASE.findings.json  what the adapter must make of it
`pytest --regen-golden` re-runs the real tool and rewrites both files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mergeguard.core.model import Finding
from mergeguard.report.json_report import finding_dict
from mergeguard.scanners.base import Scanner, Target, ToolOutput
from mergeguard.scanners.commands import find_executable, run_command

FIXTURES = Path(__file__).parent / "fixtures"
_PIPELINE = ("fingerprint", "tools", "also")  # filled in after the adapter: fingerprints, dedupe
# The case directory's absolute path, as a recorded report holds it (Checkov names the files it could
# not parse that way): written as this mark, read back as the checkout's own path.
ROOT_MARK = "@CASE_ROOT@"


def case_target(scanner: Scanner, case: str, workdir: Path) -> Target:
    """A target covering every file of the case's input tree."""
    root = FIXTURES / scanner.name / case
    files = tuple(sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()))
    return Target(root=root, files=files, repo=root, workdir=workdir)


def as_json(findings: list[Finding]) -> list[dict[str, Any]]:
    """Findings as golden files hold them: report dicts plus evidence, stable order, no fingerprint."""
    rows = [
        {**{k: v for k, v in finding_dict(f).items() if k not in _PIPELINE}, "evidence": f.evidence}
        for f in findings
    ]
    return sorted(rows, key=lambda r: (r["path"], r["start_line"], r["rule_id"], r["message"]))


def record(scanner: Scanner, case: str, workdir: Path) -> ToolOutput:
    """Run the real tool on the case and return its output."""
    exe = find_executable(scanner.executable)
    if exe is None:
        pytest.skip(f"{scanner.executable} is not installed (make install)")
    target = case_target(scanner, case, workdir)
    return run_command(scanner.command(exe, target), target.root, timeout_s=600)


def check_golden(scanner: Scanner, case: str, workdir: Path, regen: bool) -> list[dict[str, Any]]:
    """Parse the recorded output of `case` and compare it with its golden findings."""
    base = FIXTURES / scanner.name / case
    report_file = base.with_name(case + ".report")
    golden_file = base.with_name(case + ".findings.json")
    target = case_target(scanner, case, workdir)
    root = str(target.root)
    if regen:
        report_file.write_text(
            record(scanner, case, workdir).report.replace(root, ROOT_MARK), encoding="utf-8"
        )
    recorded = report_file.read_text(encoding="utf-8").replace(ROOT_MARK, root)
    parsed = as_json(scanner.parse(ToolOutput(recorded), target))
    if regen:
        golden_file.write_text(json.dumps(parsed, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert parsed == json.loads(golden_file.read_text(encoding="utf-8"))
    return parsed


def check_live(scanner: Scanner, case: str, workdir: Path) -> None:
    """Run the real tool now and check it still yields the golden findings."""
    output = record(scanner, case, workdir)
    live = as_json(scanner.parse(output, case_target(scanner, case, workdir)))
    golden_file = FIXTURES / scanner.name / (case + ".findings.json")
    assert live == json.loads(golden_file.read_text(encoding="utf-8"))
