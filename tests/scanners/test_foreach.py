"""CloudFormation templates written with `Fn::ForEach`, which no scanner expands, are findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.scanners import foreach
from mergeguard.scanners.base import Target

BODY = "    - Name\n    - [Web, Admin]\n    - SG${Name}:\n        Type: AWS::EC2::SecurityGroup\n"
LOOP = "  Fn::ForEach::Groups:\n" + BODY


@pytest.mark.parametrize(
    ("name", "text", "found"),
    [
        ("sg.yaml", f"Transform: AWS::LanguageExtensions\nResources:\n{LOOP}", True),
        ("sg.yaml", f'Resources:\n  "Fn::ForEach::Groups":\n{BODY}', True),
        # A loop over outputs only: every resource is written out, and checked.
        ("sg.yaml", f"Resources:\n  A:\n    Type: AWS::SNS::Topic\nOutputs:\n{LOOP}", False),
        ("sg.json", json.dumps({"Resources": {"Fn::ForEach::Groups": ["Name", ["A"], {}]}}), True),
        ("sg.json", json.dumps({"Outputs": {"Fn::ForEach::Groups": ["Name", ["A"], {}]}}), False),
        ("notes.md", f"Resources:\n{LOOP}", False),
        # Flow style is the same template (a red team's: it passed as clean).
        ("sg.yaml", 'Resources: {"Fn::ForEach::Groups": [Name, [A], {"SG${Name}": {Type: X}}]}', True),
        ("sg.yaml", "Resources:\n  {Fn::ForEach::Groups: [Name, [A], {}]}\n", True),
        # Short-form tags are read (composed, not constructed); a loop under Outputs is still none.
        ("sg.yaml", f"Resources:\n  A:\n    Type: !Sub '${{X}}'\nOutputs:\n{LOOP}", False),
        ("sg.yaml", f"Conditions:\n  C: !Equals [!Ref E, prod]\nResources:\n{LOOP}", True),
        # Not YAML at all, with a loop in it: nothing says where, so it is one (fail closed).
        ("sg.yaml", f"Resources: [\n{LOOP}", True),
    ],
)
def test_a_template_whose_resources_loop_is_not_checked(
    tmp_path: Path, name: str, text: str, found: bool
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    target = Target(root=tmp_path, files=(name,), repo=tmp_path, workdir=tmp_path)
    findings = foreach.findings("trivy-config", "Trivy", target)
    assert [(f.rule_id, f.location.start_line, f.severity.label) for f in findings] == (
        [("skipped-file", 1, "high")] if found else []
    )
