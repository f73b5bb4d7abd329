"""A kustomize patch holds only what it changes: checks of what it leaves out are low there, and
checks of a value it writes keep their severity (real Trivy and Checkov, kubebuilder's layout)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mergeguard.cli import main as cli
from mergeguard.scan import kustomize
from mergeguard.scan.kustomize import REASON
from mergeguard.scanners.commands import find_executable
from tests.gitutil import GitTree

pytestmark = pytest.mark.scanner

MANAGER = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller-manager
  namespace: system
spec:
  template:
    spec:
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: manager
        image: controller:v1.2.3
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        resources:
          limits: {cpu: 500m, memory: 128Mi}
          requests: {cpu: 10m, memory: 64Mi}
"""
# kubebuilder's config/default/manager_webhook_patch.yaml: a port and a volume, nothing else
WEBHOOK_PATCH = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller-manager
  namespace: system
spec:
  template:
    spec:
      containers:
      - name: manager
        ports:
        - containerPort: 9443
          name: webhook-server
          protocol: TCP
"""
PRIVILEGED_PATCH = WEBHOOK_PATCH.replace(
    "          protocol: TCP\n",
    "          protocol: TCP\n        securityContext:\n          privileged: true\n",
)


@pytest.fixture(autouse=True)
def _tools() -> None:
    if find_executable("trivy") is None or find_executable("checkov") is None:
        pytest.skip("trivy or checkov not installed (make install)")


def scan(tmp_path: Path, files: dict[str, str]) -> list[dict[str, Any]]:
    tree = GitTree(tmp_path / "repo")
    for name, text in files.items():
        tree.write(name, text)
    tree.commit("manifests")
    out = tmp_path / "r.json"
    cli.main(
        ["scan", str(tree.root), "--all-files", "--scanners", "trivy-config,checkov", "--json", str(out)]
    )
    findings: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))["findings"]
    return findings


def layout(patch: str) -> dict[str, str]:
    return {
        "config/manager/manager.yaml": MANAGER,
        "config/manager/kustomization.yaml": "resources:\n- manager.yaml\n",
        "config/default/kustomization.yaml": (
            "namespace: project-system\nresources:\n- ../manager\npatches:\n"
            "- path: manager_webhook_patch.yaml\n  target:\n    kind: Deployment\n"
        ),
        "config/default/manager_webhook_patch.yaml": patch,
    }


def test_what_a_patch_leaves_out_does_not_block(tmp_path: Path) -> None:
    findings = scan(tmp_path, layout(WEBHOOK_PATCH))
    in_patch = [f for f in findings if f["path"] == "config/default/manager_webhook_patch.yaml"]
    lowered = [f for f in in_patch if f.get("severity_note")]
    assert lowered, "the tools read the patch as a whole Deployment: something is missing there"
    assert all(f["severity_note"]["reason"] == REASON and f["severity"] == "low" for f in lowered)
    assert not [f for f in findings if f["blocking"]]


def test_a_patch_that_writes_a_risky_field_is_judged_whole(tmp_path: Path) -> None:
    findings = scan(tmp_path, layout(PRIVILEGED_PATCH))
    blocking = {(f["path"], f["rule_id"]) for f in findings if f["blocking"]}
    assert ("config/default/manager_webhook_patch.yaml", "KSV-0017") in blocking  # privileged: true
    assert not [f for f in findings if f.get("severity_note")]


@pytest.mark.parametrize(
    "text",
    [
        # found by a red team: a kustomization naming any YAML file a patch lowered its findings
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"
        "    Properties: {AccessControl: PublicReadWrite}\n",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: all}\n"
        "rules:\n- apiGroups: ['*']\n  resources: ['*']\n  verbs: ['*']\n",
        WEBHOOK_PATCH.replace("      - name: manager\n", "      - name: manager\n        'image' : evil:1\n"),
    ],
)
def test_what_is_no_workload_patch_is_judged_whole_whatever_a_kustomization_says(
    tmp_path: Path, text: str
) -> None:
    findings = scan(tmp_path, layout(text))
    assert [f for f in findings if f["blocking"]] and not [f for f in findings if f.get("severity_note")]


def test_the_same_manifest_not_named_as_a_patch_is_judged_whole(tmp_path: Path) -> None:
    findings = scan(tmp_path, {"deploy/web.yaml": WEBHOOK_PATCH})
    assert [f for f in findings if f["blocking"]] and not [f for f in findings if f.get("severity_note")]


def test_a_whole_workload_named_as_a_patch_is_judged_whole(tmp_path: Path) -> None:
    """A pull request cannot lower its new Deployment's findings by naming it a patch: a file that
    sets a container's image is a resource of its own."""
    files = layout(
        WEBHOOK_PATCH.replace("      - name: manager\n", "      - name: manager\n        image: evil:1\n")
    )
    findings = scan(tmp_path, files)
    assert not [f for f in findings if f.get("severity_note")]
    assert ("config/default/manager_webhook_patch.yaml", "KSV-0014") in {
        (f["path"], f["rule_id"]) for f in findings if f["blocking"]
    }


def test_a_billion_laughs_patch_is_read_once_per_node() -> None:
    """YAML aliases share nodes: walked path by path, this file has 10^12 of them (it hung the scan)."""
    text, previous = "kind: Deployment\nleaf: &l0 [x, x, x, x, x, x, x, x, x, x]\n", "l0"
    for depth in range(1, 12):
        text += f"level{depth}: &l{depth} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
        previous = f"l{depth}"
    assert kustomize._a_workload_patch(text)  # a workload setting no risky field, read in one pass


WEB = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller-manager
  namespace: system
spec:
  template:
    spec:
"""


def test_a_patch_that_deletes_the_bases_hardening_is_judged_whole(tmp_path: Path) -> None:
    """Red team: a patch deleting the base's securityContext wrote none of the risky fields, so its
    KSV-0014 and KSV-0118 (high) were lowered as "the rest is the patched resource's"."""
    patch = (
        WEB + "      securityContext:\n        $patch: delete\n      containers:\n      - name: manager\n"
        "        securityContext:\n          $patch: delete\n"
    )
    findings = scan(tmp_path, layout(patch))
    assert not [f for f in findings if f.get("severity_note")]
    assert ("config/default/manager_webhook_patch.yaml", "KSV-0014") in {
        (f["path"], f["rule_id"]) for f in findings if f["blocking"]
    }


@pytest.mark.parametrize(
    "spec",
    [
        "      securityContext: {$patch: delete}\n",
        "      securityContext: {$patch: replace}\n",
        "      securityContext: ~\n",
        "      securityContext:\n",
        "      $retainKeys: [containers]\n",
        "      $setElementOrder/containers: [{name: manager}]\n",
        "      containers:\n      - name: manager\n        $deleteFromPrimitiveList/args: [--read-only]\n",
        "      containers:\n      - {name: manager, $patch: delete}\n",
        "      securityContext:\n        windowsOptions: {hostProcess: true}\n",
    ],
)
def test_what_deletes_from_the_base_or_runs_on_the_host_is_no_patch_that_leaves_things_out(spec: str) -> None:
    assert kustomize._a_workload_patch(WEB + "      containers:\n      - name: manager\n        ports: []\n")
    assert not kustomize._a_workload_patch(WEB + spec)
