"""No clear secret from any input reaches a finding: Gitleaks' Secret, Match, offender, line; Bandit."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from mergeguard.scan.imported import parse_file
from tests.parsers.cases import Case, cases, load, rows

SECRET_TOOLS = {"gitleaks", "bandit", "sarif"}
_QUOTED = re.compile(r"Possible hardcoded password: '([^']+)'")


def clear_secrets(case: Case) -> set[str]:
    """Every clear secret the input itself holds, found by its fields (not by the parser under test)."""
    data: Any = load(case.path)
    found: set[str] = set()
    if case.tool == "gitleaks":
        for record in data:
            found |= {record.get(k, "") for k in ("Secret", "Match", "offender", "line", "Context")}
    elif case.tool == "bandit":
        for result in data["results"]:
            # quoted, as Bandit quotes them: the value "password" is also a word of the redacted message
            found |= {f"'{value}'" for value in _QUOTED.findall(result["issue_text"])}
    elif case.tool == "sarif":
        for run in data["runs"]:
            if run["tool"]["driver"]["name"].lower() == "gitleaks":
                found |= {
                    r["locations"][0]["physicalLocation"]["region"]["snippet"]["text"] for r in run["results"]
                }
    return {s.strip() for s in found if len(s.strip()) >= 6 and s.strip() != "N/A"}


SECRET_CASES = [c for c in cases() if c.tool in SECRET_TOOLS and clear_secrets(c)]


def test_the_inputs_do_hold_clear_secrets() -> None:
    assert {c.id for c in SECRET_CASES} >= {
        "gitleaks/2019-git-no-line-numbers.json",
        "gitleaks/2020-git-operation.json",
        "gitleaks/v7-git-one-aws-leak.json",
        "gitleaks/v8-git-pygoat.json",
        "gitleaks/v8.30.1-dir.json",
        "bandit/v1.9.4-windows-paths.json",
        "sarif/gitleaks-8.30.1.sarif",
    }


@pytest.mark.parametrize("case", SECRET_CASES, ids=[c.id for c in SECRET_CASES])
def test_no_clear_secret_reaches_a_finding(case: Case) -> None:
    findings = parse_file(case.tool, case.path.read_text(encoding="utf-8"), case.path.parent, case.path.name)
    dumped = json.dumps(rows(findings), ensure_ascii=False) + repr(findings)
    leaked = [s for s in clear_secrets(case) if s in dumped]
    assert not leaked
    assert findings


def test_an_unquoted_bandit_password_is_gone_too() -> None:
    case = next(c for c in SECRET_CASES if c.id == "bandit/v1.9.4-windows-paths.json")
    findings = parse_file("bandit", case.path.read_text(), case.path.parent, "b")
    assert "admin123" not in repr(findings)


def test_secret_evidence_is_a_hash_of_the_secret() -> None:
    case = next(c for c in SECRET_CASES if c.id == "gitleaks/v7-git-one-aws-leak.json")
    (finding,) = parse_file("gitleaks", case.path.read_text(), case.path.parent, "x")
    assert re.fullmatch(r"[0-9a-f]{64}", finding.evidence)
