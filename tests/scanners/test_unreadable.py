"""A Kubernetes manifest no YAML parser reads is a finding, once; anything else YAML is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from mergeguard.scanners.base import Target
from mergeguard.scanners.trivy import unreadable

BROKEN = (
    "apiVersion: apps/v1\nkind: Deployment\nspec:\n    containers:\n        - image: x\n"
    + " " * 12
    + "name: web\n"
)
TEMPLATE = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels: {{- toYaml .Values.l | nindent 4 }}\n"


@pytest.mark.parametrize(
    ("name", "text", "found"),
    [
        ("k8s/web.yaml", BROKEN, "mapping values are not allowed in this context (line 6)"),
        ("k8s/web.yml", "\ufeff" + BROKEN.replace("apiVersion", '"apiVersion"'), "(line 6)"),
        ("k8s/web.yaml", BROKEN.encode().replace(b"x\n", b"\xff\n"), "not UTF-8 (byte 0xff, line 5)"),
        # Read as written: several documents, anchors and aliases, tags the safe schema does not know.
        (
            "k8s/web.yaml",
            "apiVersion: v1\nkind: A\nx: &a {b: 1}\ny: *a\n---\napiVersion: v1\nz: !Ref q\n",
            None,
        ),
        ("k8s/web.yaml", "apiVersion: v1\nkind: A\n".encode("utf-16"), None),  # UTF-16 with its BOM: YAML
        ("k8s/web.json", BROKEN, None),  # not YAML by name
        ("chart/templates/web.yaml", TEMPLATE, None),  # YAML once rendered (its chart has Chart.yaml)
        ("template.yaml", BROKEN + "Type: AWS::S3::Bucket\n", None),  # CloudFormation: Checkov lists it
        ("template.yaml", BROKEN.replace("apiVersion", "Resources"), None),  # no manifest
        (".github/workflows/ci.yml", BROKEN, None),  # a workflow, actionlint's
        ("compose.yaml", BROKEN, None),
    ],
)
def test_a_manifest_yaml_cannot_read_is_a_skipped_file(
    tmp_path: Path, name: str, text: str | bytes, found: str | None
) -> None:
    (tmp_path / "chart").mkdir()
    (tmp_path / "chart" / "Chart.yaml").write_text(
        "apiVersion: v2\nname: c\nversion: 0.1.0\n", encoding="utf-8"
    )
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text if isinstance(text, bytes) else text.encode()
    path.write_bytes(data)
    findings = unreadable.findings("trivy-config", "Trivy", Target(tmp_path, (name,), tmp_path))
    if found is None:
        assert findings == []
        return
    (finding,) = findings
    assert (finding.rule_id, finding.severity.name, finding.evidence) == ("skipped-file", "HIGH", "YAML")
    assert found in finding.message and finding.location.path == name
    assert (finding.location.start_line, finding.location.end_line) == (1, data.count(b"\n"))
