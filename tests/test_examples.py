"""The bundled examples as a new user meets them: the demo app fails broadly, the clean app passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.cli.main import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# These need a vulnerability database or PyPI; without them they fail closed (never "clean").
NEEDS_DATA = {"trivy-deps", "pip-audit"}
DATA_REASONS = ("vulnerability database", "PyPI", "pip-audit")


def check_scanners(scanners: list[dict[str, str]]) -> None:
    """Every offline scanner ran; the data-bound ones ran, or failed saying why."""
    for s in scanners:
        if s["name"] in NEEDS_DATA and s["status"] == "failed":
            assert any(word in s["reason"] for word in DATA_REASONS), s
        else:
            assert s["status"] in ("ok", "skipped"), s


@pytest.mark.scanner
def test_demo_app_fails_with_findings_from_at_least_five_scanners(tmp_path: Path) -> None:
    report = tmp_path / "demo.json"
    assert main(["scan", str(EXAMPLES / "demo-app"), "--all-files", "--json", str(report)]) == 1
    data = json.loads(report.read_text())
    check_scanners(data["scanners"])
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
    code = main(["scan", str(EXAMPLES / "clean-app"), "--all-files", "--json", str(report)])
    data = json.loads(report.read_text())
    check_scanners(data["scanners"])
    failed = {s["name"] for s in data["scanners"] if s["status"] == "failed"}
    # Where the dependency scanners have their data the clean app passes; without it, fail closed.
    assert (code, data["verdict"]) == ((3, "error") if failed else (0, "pass"))
    assert failed <= NEEDS_DATA
    assert not data["findings"] or all(not f["blocking"] for f in data["findings"])


PLANTED = (
    "AKIAMKFQRXJ7GEI4TSWX",
    "Ufdv4Gn60C/aBzLDUOTbEANPOYK9uQQwHhclVB2f",
    "f3b1c9e0a7d24e5f9c8b6a1d0e2f4c7b",
    "Wq7!vR2pXz9#kT4m",
    "9a2e10a5ee101550d9ae0440865d2bee5b0d2ca75ccc28c330202870797acc04",
)


@pytest.mark.scanner
def test_no_planted_secret_reaches_any_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = EXAMPLES / "demo-app"
    for value in PLANTED:  # the values are really in the demo app: the test can fail
        assert any(value in p.read_text() for p in app.rglob("*") if p.is_file())
    outputs = {name: tmp_path / name for name in ("r.json", "r.sarif", "r.md")}
    args = [
        "--json",
        str(outputs["r.json"]),
        "--sarif",
        str(outputs["r.sarif"]),
        "--markdown",
        str(outputs["r.md"]),
    ]
    assert main(["scan", str(app), "--all-files", *args]) == 1
    printed = capsys.readouterr()
    texts = [p.read_text() for p in outputs.values()] + [printed.out, printed.err]
    for value in PLANTED:
        assert not any(value in text for text in texts), value
