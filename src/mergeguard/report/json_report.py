"""The JSON report (`--json FILE`): a versioned, documented contract."""

from __future__ import annotations

from typing import Any

from mergeguard.model import Finding


def finding_dict(finding: Finding) -> dict[str, Any]:
    """One finding as the JSON report writes it."""
    loc = finding.location
    row: dict[str, Any] = {
        "tool": finding.tool,
        "rule_id": finding.rule_id,
        "severity": finding.severity.label,
        "title": finding.title,
        "message": finding.message,
        "path": loc.path,
        "start_line": loc.start_line,
        "end_line": loc.end_line,
        "column": loc.column,
        "kind": finding.kind.value,
        "fingerprint": finding.fingerprint,
        "cve_ids": list(finding.cve_ids),
        "cwe_ids": list(finding.cwe_ids),
        "help_uri": finding.help_uri,
        "commit": finding.commit,
    }
    if finding.package is not None:
        pkg = finding.package
        row["package"] = {
            "name": pkg.name,
            "installed": pkg.installed,
            "fixed": pkg.fixed,
            "ecosystem": pkg.ecosystem,
        }
    return row
