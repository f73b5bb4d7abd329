"""Helm charts Trivy could not render: each a finding, never a silent "nothing found".

Trivy renders a chart with its own values before checking it; when that fails (a `required` value
without a default, a template error) it logs `WARN [helm scanner] Skipping chart` and reports
nothing for the chart, exit 0. A pull request could make a chart unrenderable on purpose and add
`hostPID: true` beside it. Each such chart is a high finding spanning its `Chart.yaml`, like a file
Bandit could not parse; in PR mode it is new when the base's copy rendered (`scan.basescan`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from mergeguard.core.chartview import aliases, stand_ins
from mergeguard.core.linecount import line_count
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.core.reasons import clean
from mergeguard.core.units import CHART_FILE, manifest
from mergeguard.scanners.base import Target, relative_path

RULE = "skipped-chart"
_SUBCHART = re.compile(r"^(.+?)/charts/([^/]+)/(.+)$")  # CHART/charts/ALIAS/REST
_SKIPPED = re.compile(
    r'\[helm scanner\] Skipping chart\s+file_path="((?:[^"\\]|\\.)*)"\s+err="((?:[^"\\]|\\.)*)"'
)
_MAX_REASON = 300


def placed(findings: list[Finding], target: Target) -> list[Finding]:
    """The findings with a path through a subchart's alias (`charts/web/…`, a directory that does not
    exist) put on the subchart's files (`charts/app/…`): under the alias they fell out of scope, and a
    `privileged: true` set for the subchart passed."""
    return [_unaliased(finding, target.root) for finding in findings]


def _unaliased(finding: Finding, root: Path) -> Finding:
    path = finding.location.path
    match = _SUBCHART.match(path)
    if match is None or (root / path).exists():
        return finding
    chart, alias, rest = match.groups()
    try:
        manifest = (root / chart / CHART_FILE).read_text(encoding="utf-8", errors="replace") if chart else ""
    except OSError:
        return finding
    name = aliases(manifest).get(alias)
    if name is None or not (root / chart / "charts" / name / rest).is_file():
        return finding
    return replace(finding, location=replace(finding.location, path=f"{chart}/charts/{name}/{rest}"))


def unrendered(stderr: str, tool: str, target: Target) -> list[Finding]:
    """A finding for each chart Trivy's log says it skipped."""
    found = []
    for match in _SKIPPED.finditer(stderr):
        chart = relative_path(match.group(1).replace('\\"', '"'), target).rstrip("/")
        path = manifest(chart)
        reason = clean(match.group(2).replace('\\"', '"').replace("\\n", " "))[:_MAX_REASON]
        message = f"Trivy could not render this Helm chart, so none of its templates was checked: {reason}"
        message += _vendor_hint(target.root, chart)
        found.append(
            Finding(
                tool=tool,
                rule_id=RULE,
                severity=Severity.HIGH,
                title="Helm chart not checked by Trivy",
                message=message,
                location=Location(path, 1, line_count(target.root / path) or 1),
                kind=Kind.MISCONFIGURATION,
                evidence=RULE,  # one per chart, whatever the reason says this time
            )
        )
    return found


def _vendor_hint(view: Path, chart: str) -> str:
    """How to fix a chart scanned with empty stand-ins for dependencies it did not vendor."""
    missing = stand_ins(view, chart)
    if not missing:
        return ""
    return (
        f" (its dependencies {', '.join(missing)} are not vendored, so they were empty stand-ins: run"
        f" `helm dependency build {chart or '.'}` before the scan, or commit its charts/ directory)"
    )
