"""The bundled examples as a new user meets them: the demo app fails broadly, the clean app passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.scanner
def test_demo_app_fails_with_findings_from_at_least_five_scanners(tmp_path: Path) -> None:
    report = tmp_path / "demo.json"
    assert main(["scan", str(EXAMPLES / "demo-app"), "--all-files", "--json", str(report)]) == 1
    data = json.loads(report.read_text())
    assert all(s["status"] == "ok" for s in data["scanners"]), data["scanners"]
    tools_with_findings = {tool for f in data["findings"] for tool in f["tools"]}
    assert len(tools_with_findings) >= 5, tools_with_findings
    reports = [(f["path"], s) for f in data["findings"] for s in [f, *f["also"]]]
    planted = {(path, report["rule_id"]) for path, report in reports}
    assert {("api/app.py", "B602"), ("api/app.py", "B506"), ("api/Dockerfile", "CKV_DOCKER_3")} <= planted
    assert ("docker-compose.yml", "Secret Keyword") in planted
    assert ("web/Dockerfile", "DL3018") in planted


@pytest.mark.scanner
def test_clean_app_passes_with_every_scanner_ok(tmp_path: Path) -> None:
    report = tmp_path / "clean.json"
    assert main(["scan", str(EXAMPLES / "clean-app"), "--all-files", "--json", str(report)]) == 0
    data = json.loads(report.read_text())
    assert data["verdict"] == "pass"
    assert [s["status"] for s in data["scanners"]] == ["ok"] * len(data["scanners"])
