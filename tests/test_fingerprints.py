"""Fingerprints survive unrelated line moves and never carry a line number or a clear secret."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mergeguard.cli.main import main
from mergeguard.core.model import Finding, Kind, Location, Severity
from mergeguard.scan.fingerprints import assign
from tests.gitutil import GitTree


def finding(path: str, line: int, rule: str = "B602", evidence: str = "") -> Finding:
    return Finding(
        tool="bandit",
        rule_id=rule,
        severity=Severity.HIGH,
        title="t",
        message="m",
        location=Location(path, line),
        kind=Kind.CODE,
        evidence=evidence,
    )


def test_moving_lines_keeps_the_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import subprocess\nsubprocess.call(cmd, shell=True)\n")
    before = assign([finding("a.py", 2)], tmp_path)[0].fingerprint
    (tmp_path / "a.py").write_text(
        "import subprocess\n\n# comment\n\n    subprocess.call(cmd,  shell=True)\n"
    )
    after = assign([finding("a.py", 5)], tmp_path)[0].fingerprint
    assert before == after
    assert len(before) == 32


def test_a_line_is_the_line_the_tool_numbered(tmp_path: Path) -> None:
    """Tools and git count lines at `\\n`: a form feed (PEP 8 allows one) or U+2028 before the
    finding is no line break, so the finding's own line is read, not the one above it."""
    (tmp_path / "plain.py").write_text("import os\nos.system(x)\n")
    (tmp_path / "ff.py").write_text("import os\x0c\u2028\nos.system(x)\n")
    plain, with_ff = assign([finding("plain.py", 2), finding("ff.py", 2)], tmp_path)
    moved = assign([finding("plain.py", 2)], tmp_path)[0]
    (tmp_path / "plain.py").write_text("import os\r\nos.system(x)\r\n")  # CRLF reads the same
    assert assign([finding("plain.py", 2)], tmp_path)[0].fingerprint == moved.fingerprint == plain.fingerprint
    (tmp_path / "plain.py").write_text("import os\nos.system(y)\n")
    assert assign([finding("plain.py", 2)], tmp_path)[0].fingerprint != plain.fingerprint  # the line counts
    (tmp_path / "ff.py").write_text("import os\x0c\u2028\nos.system(y)\n")
    assert assign([finding("ff.py", 2)], tmp_path)[0].fingerprint != with_ff.fingerprint  # its own line


def test_changing_the_offending_line_changes_it(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("subprocess.call(cmd, shell=True)\n")
    before = assign([finding("a.py", 1)], tmp_path)[0].fingerprint
    (tmp_path / "a.py").write_text("subprocess.call(other, shell=True)\n")
    assert assign([finding("a.py", 1)], tmp_path)[0].fingerprint != before


def test_identical_lines_get_distinct_fingerprints_by_occurrence(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("run(x, shell=True)\nrun(x, shell=True)\n")
    first, second = assign([finding("a.py", 2), finding("a.py", 1)], tmp_path)
    assert first.fingerprint != second.fingerprint
    # Order of input does not matter: the occurrence index follows line order.
    again = assign([finding("a.py", 1), finding("a.py", 2)], tmp_path)
    assert {f.fingerprint for f in again} == {first.fingerprint, second.fingerprint}
    assert again[0].fingerprint == second.fingerprint


def test_evidence_replaces_source_lines_and_no_clear_secret_is_kept(tmp_path: Path) -> None:
    secret = "AKIAZ3MPLE7QWERTY234"
    (tmp_path / "s.py").write_text(f'key = "{secret}"\n')
    hashed = "0" * 64
    one = assign([finding("s.py", 1, "aws", evidence=hashed)], tmp_path)[0]
    (tmp_path / "s.py").write_text(f'KEY = "{secret}"  # moved and renamed\n')
    two = assign([finding("s.py", 1, "aws", evidence=hashed)], tmp_path)[0]
    assert one.fingerprint == two.fingerprint
    assert secret not in one.fingerprint


def test_tool_rule_and_path_are_part_of_the_identity(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x\n")
    (tmp_path / "b.py").write_text("x\n")
    prints = {
        f.fingerprint
        for f in assign([finding("a.py", 1), finding("b.py", 1), finding("a.py", 1, "B105")], tmp_path)
    }
    assert len(prints) == 3


def test_missing_file_still_fingerprints(tmp_path: Path) -> None:
    assert assign([finding("deleted.py", 3)], tmp_path)[0].fingerprint


def _deployment(name: str) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n"
        "      containers:\n      - name: app\n        securityContext: {privileged: true}\n"
    )


def _privileged(text: str) -> list[Finding]:
    """Trivy's KSV-0017 (a problem of the whole resource) on each Deployment's container line."""
    lines = text.split("\n")
    return [
        Finding(
            "trivy-config",
            "KSV-0017",
            Severity.HIGH,
            "t",
            "m",
            Location("k.yaml", n, n),
            Kind.MISCONFIGURATION,
        )
        for n, line in enumerate(lines, start=1)
        if line.startswith("      - name: app")
    ]


def test_a_resource_inserted_above_another_takes_none_of_its_fingerprints(tmp_path: Path) -> None:
    """Found on a real repository: identified by their order alone, a Deployment inserted between two
    baselined ones took over the second's acceptance (a new privileged container passed)."""
    before = _deployment("api") + "---\n" + _deployment("worker")
    after = _deployment("api") + "---\n" + _deployment("metrics") + "---\n" + _deployment("worker")
    (tmp_path / "k.yaml").write_text(before)
    old = [f.fingerprint for f in assign(_privileged(before), tmp_path)]
    (tmp_path / "k.yaml").write_text(after)
    new = [f.fingerprint for f in assign(_privileged(after), tmp_path)]
    assert new[0] == old[0] and new[2] == old[1]
    assert new[1] not in old


def _daemonset(name: str, image: str) -> dict[str, Any]:
    container = {"name": "agent", "image": image, "securityContext": {"privileged": True}}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": "monitoring"},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"hostPID": True, "hostNetwork": True, "containers": [container]},
            },
        },
    }


@pytest.mark.scanner
@pytest.mark.parametrize(
    ("path", "dump"),
    [
        ("k8s/exporter.json", lambda d: json.dumps(d, indent=2)),
        ("k8s/exporter.yaml", lambda d: json.dumps(d, indent=2)),  # YAML written in JSON syntax
        ("k8s/exporter.yaml", lambda d: yaml.safe_dump(d, sort_keys=False)),
    ],
    ids=["json", "yaml-in-json-syntax", "yaml"],
)
def test_an_accepted_workload_replaced_by_another_in_its_file_is_new(
    tmp_path: Path, path: str, dump: Callable[[dict[str, Any]], str]
) -> None:
    """Red team: in a JSON manifest (or a .yaml with quoted keys) the resource was never named, so a
    baselined privileged DaemonSet renamed, with another image, kept all its acceptances."""
    tree = GitTree(tmp_path / "repo")
    tree.write(path, dump(_daemonset("node-exporter", "quay.io/prometheus/node-exporter:v1.8.1")) + "\n")
    tree.commit("exporter")
    args = ["--scanners", "trivy-config", "--baseline", str(tmp_path / "baseline.yml")]
    assert main(["baseline", "create", str(tree.root), "--reason", "needs the host", *args]) == 0
    tree.write(path, dump(_daemonset("kube-proxy-helper", "example.com/miner:latest")) + "\n")
    tree.commit("another workload")
    out = tmp_path / "scan.json"
    assert main(["scan", str(tree.root), "--all-files", *args, "--json", str(out)]) == 1
    findings = json.loads(out.read_text(encoding="utf-8"))["findings"]
    assert findings and not [f for f in findings if f["status"] == "accepted"]


def test_a_label_called_name_does_not_name_the_resource(tmp_path: Path) -> None:
    """Only metadata's own `name` names the resource: a label `name: api` kept a renamed Deployment
    in the baselined one's identity."""
    renamed = [
        _deployment("metrics").replace("  name: metrics\n", "  labels:\n    name: api\n  name: metrics\n"),
        _deployment("metrics").replace(
            "metadata:\n  name: metrics\n", "metadata: {name: metrics, labels: {name: api}}\n"
        ),
    ]
    (tmp_path / "k.yaml").write_text(_deployment("api"))
    old = assign(_privileged(_deployment("api")), tmp_path)[0].fingerprint
    for text in renamed:
        (tmp_path / "k.yaml").write_text(text)
        assert assign(_privileged(text), tmp_path)[0].fingerprint != old


def test_a_fingerprint_does_not_depend_on_the_other_findings_keys(tmp_path: Path) -> None:
    """Only findings of one key number each other: a unique key's fingerprint is the same alone or
    among others, repeated keys or not, in any order."""
    (tmp_path / "a.py").write_text("run(x, shell=True)\nrun(x, shell=True)\nos.system(y)\n")
    alone = assign([finding("a.py", 3, "B605")], tmp_path)[0].fingerprint
    mixed = assign([finding("a.py", 2), finding("a.py", 3, "B605"), finding("a.py", 1)], tmp_path)
    assert mixed[1].fingerprint == alone
    assert mixed[0].fingerprint != mixed[2].fingerprint
    assert mixed[2].fingerprint == assign([finding("a.py", 1)], tmp_path)[0].fingerprint  # first by line
