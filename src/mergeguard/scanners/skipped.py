"""A file an IaC scanner did not check, as a finding: never a silent "nothing found"."""

from __future__ import annotations

from pathlib import Path

from mergeguard.core.linecount import line_count
from mergeguard.core.model import Finding, Kind, Location, Severity

RULE = "skipped-file"  # Bandit's and Checkov's id for a file they could not parse


def skipped_file(tool: str, name: str, path: str, root: Path, *, message: str, evidence: str) -> Finding:
    """A high finding of `tool` (called `name` in its title) on the whole file at `path`, saying why
    nothing in it was checked; `evidence` identifies it (one per file and cause, whatever its lines)."""
    return Finding(
        tool=tool,
        rule_id=RULE,
        severity=Severity.HIGH,
        title=f"File not checked by {name}",
        message=message,
        location=Location(path, 1, line_count(root / path) or 1),
        kind=Kind.MISCONFIGURATION,
        evidence=evidence,
    )
