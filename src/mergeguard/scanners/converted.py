"""The gate's own adapters opened to the older report versions and shapes users hand to `convert`."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, ClassVar

from mergeguard.model import Finding
from mergeguard.scanners.bandit import BanditScanner
from mergeguard.scanners.base import Target, ToolOutput
from mergeguard.scanners.hadolint import HadolintScanner
from mergeguard.scanners.report_json import load_all, load_report


class BanditReport:
    """Bandit's JSON report from any version: before 1.7.3 results had no `issue_cwe`, before 1.7.1
    no `col_offset`. Such results get no CWE and no column, never an invented one."""

    name: ClassVar[str] = "bandit"

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        report = load_report(output.report, self.name)
        results = report.get("results") if isinstance(report, dict) else None
        if not isinstance(results, list):
            return BanditScanner().parse(output, target)  # raises the adapter's own ParseError
        columnless = [isinstance(r, dict) and "col_offset" not in r for r in results]
        upgraded = {**report, "results": [_upgrade(r) for r in results]}
        findings = BanditScanner().parse(ToolOutput(json.dumps(upgraded)), target)
        return [
            replace(f, location=replace(f.location, column=None))
            if i < len(columnless) and columnless[i]
            else f
            for i, f in enumerate(findings)
        ]


def _upgrade(result: Any) -> Any:
    if not isinstance(result, dict):
        return result
    return {"issue_cwe": {}, "col_offset": 0, **result}


class HadolintReport:
    """hadolint's JSON array, or several appended to one file by repeated runs (`[][][{…}]`)."""

    name: ClassVar[str] = "hadolint"

    def parse(self, output: ToolOutput, target: Target) -> list[Finding]:
        values = load_all(output.report, self.name)
        if len(values) > 1 and all(isinstance(v, list) for v in values):
            merged = json.dumps([item for value in values for item in value])
            return HadolintScanner().parse(ToolOutput(merged), target)
        return HadolintScanner().parse(output, target)  # one run, or another format printed first
