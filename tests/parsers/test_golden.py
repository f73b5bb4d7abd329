"""Every real report fixture converts to its golden findings, one finding per record it holds."""

from __future__ import annotations

import json

import pytest

from mergeguard.scan.imported import parse_file
from mergeguard.scan.registry import READERS
from tests.parsers.cases import Case, cases, rows

CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_golden(case: Case, regen_golden: bool) -> None:
    found = rows(
        parse_file(case.tool, case.path.read_text(encoding="utf-8"), case.path.parent, case.path.name)
    )
    if regen_golden:
        case.golden.write_text(json.dumps(found, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert found == json.loads(case.golden.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_one_finding_per_record(case: Case) -> None:
    findings = parse_file(case.tool, case.path.read_text(encoding="utf-8"), case.path.parent, case.path.name)
    assert len(findings) == case.records()


def test_every_tool_has_fixtures_of_several_versions() -> None:
    per_tool: dict[str, int] = {}
    for case in CASES:
        per_tool[case.tool] = per_tool.get(case.tool, 0) + 1
    assert set(per_tool) == set(READERS)
    assert all(count >= 2 for count in per_tool.values()), per_tool


def test_fixtures_that_convert_to_nothing_are_few_and_known() -> None:
    empty = {c.id for c in CASES if c.records() == 0}
    assert empty == {
        "checkov/v3.3.30-summary-only.json",
        "detect-secrets/v0.13.1-ibm-audited-false.json",
        "pip-audit/v2.10.1-clean.json",
        "safety/v3.6.1-check-json-windows-ignored.txt",
    }
