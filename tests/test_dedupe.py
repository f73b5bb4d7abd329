"""Cross-tool dedupe: one finding per problem, naming every tool that saw it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from mergeguard.core import kubedocs
from mergeguard.core.changes import ChangeSet, Mode
from mergeguard.core.config import Config
from mergeguard.core.model import Finding, Kind, Location, Package, Severity, Sighting
from mergeguard.core.outcome import ScanOutcome, Status
from mergeguard.core.sources import SourceLines
from mergeguard.scan import dedupe, equivalence, fingerprints, pipeline, resources
from mergeguard.scanners.commands import find_executable
from tests.gitutil import GitTree


def finding(
    tool: str,
    rule: str,
    line: int = 1,
    end: int = 0,
    *,
    path: str = "Dockerfile",
    kind: Kind = Kind.MISCONFIGURATION,
    severity: Severity = Severity.HIGH,
    package: Package | None = None,
    cves: tuple[str, ...] = (),
) -> Finding:
    return Finding(
        tool, rule, severity, rule, "m", Location(path, line, end), kind, package=package, cve_ids=cves
    )


ROOT_USER = [
    finding("trivy-config", "DS-0002", 1),
    finding("checkov", "CKV_DOCKER_3", 1, 12),
    finding("hadolint", "DL3002", 9, severity=Severity.MEDIUM),
]


def test_three_root_user_reports_become_one_finding_naming_three_tools() -> None:
    merged, folded = dedupe.merge(ROOT_USER)
    assert folded == 2
    (one,) = merged
    assert one.tools == ("trivy-config", "checkov", "hadolint")
    assert one.severity is Severity.HIGH
    assert one.location == Location("Dockerfile", 1, 1)  # the narrowest of the most severe reports
    assert set(one.also) == {Sighting("checkov", "CKV_DOCKER_3"), Sighting("hadolint", "DL3002")}


def test_root_user_in_two_dockerfiles_stays_two() -> None:
    merged, folded = dedupe.merge([*ROOT_USER, finding("checkov", "CKV_DOCKER_3", path="web/Dockerfile")])
    assert folded == 2
    assert sorted(f.location.path for f in merged) == ["Dockerfile", "web/Dockerfile"]


def test_line_concepts_merge_per_line_only() -> None:
    sudo = [
        finding("trivy-config", "DS-0010", 7),
        finding("hadolint", "DL3004", 7),
        finding("checkov", "CKV2_DOCKER_1", 9),
    ]
    merged, _ = dedupe.merge(sudo)
    assert sorted((f.location.start_line, f.tools) for f in merged) == [
        (7, ("trivy-config", "hadolint")),
        (9, ("checkov",)),
    ]


def test_copy_of_several_sources_to_a_non_directory_is_one_problem() -> None:
    merged, _ = dedupe.merge(
        [finding("trivy-config", "DS-0011", 4, severity=Severity.CRITICAL), finding("hadolint", "DL3021", 4)]
    )
    assert [(f.tools, f.severity) for f in merged] == [(("trivy-config", "hadolint"), Severity.CRITICAL)]


def test_one_kubernetes_problem_per_resource_whichever_tool_and_range() -> None:
    """Checkov reports the whole resource, Trivy the pod spec or the container: both end where the
    resource ends. Another resource of the same file (its own last line) stays apart."""
    path = "deploy/exporter.yaml"
    merged, folded = dedupe.merge(
        [
            finding("checkov", "CKV_K8S_19", 1, 11, path=path),
            finding("trivy-config", "KSV-0009", 6, 11, path=path),
            finding("trivy-config", "KSV-0009", 18, 25, path=path),
            finding("checkov", "CKV_K8S_22", 1, 11, path=path, severity=Severity.MEDIUM),
            finding("trivy-config", "KSV-0014", 10, 11, path=path),
        ]
    )
    assert folded == 2
    assert [(f.rule_id, f.location.start_line, f.tools) for f in merged] == [
        ("KSV-0009", 6, ("trivy-config", "checkov")),  # the narrower report leads
        ("KSV-0009", 18, ("trivy-config",)),
        ("KSV-0014", 10, ("trivy-config", "checkov")),
    ]


def test_a_kubernetes_problem_has_one_fingerprint_whichever_tool_reported_it(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nspec:\n  hostNetwork: true\n")
    by_checkov = fingerprints.assign([finding("checkov", "CKV_K8S_19", 1, 4, path="pod.yaml")], tmp_path)
    by_trivy = fingerprints.assign([finding("trivy-config", "KSV-0009", 3, 4, path="pod.yaml")], tmp_path)
    assert by_checkov[0].fingerprint == by_trivy[0].fingerprint


def test_a_secret_keeps_the_commit_that_added_it_whichever_report_leads() -> None:
    """Gitleaks reads the range's commits: merged under Trivy's report (no commit), the commit stays,
    so the secret is new in PR mode even where the change's diff does not show its line."""
    seen = [
        replace(
            finding("trivy-secret", "aws-access-key-id", 7, kind=Kind.SECRET), severity=Severity.CRITICAL
        ),
        replace(finding("gitleaks", "aws-access-token", 7, kind=Kind.SECRET), commit="c0ffee"),
    ]
    (one,) = dedupe.merge(seen)[0]
    assert (one.tool, one.commit) == ("trivy-secret", "c0ffee")


def test_the_same_secret_at_the_same_place_is_one_finding() -> None:
    reports = [
        finding(tool, rule, 17, path="api/app.py", kind=Kind.SECRET)
        for tool, rule in [
            ("gitleaks", "aws-access-token"),
            ("detect-secrets", "AWS Access Key"),
            ("trivy-secret", "aws-access-key-id"),
            ("checkov", "CKV_SECRET_2"),
        ]
    ]
    other_line = finding("gitleaks", "generic-api-key", 18, path="api/app.py", kind=Kind.SECRET)
    merged, folded = dedupe.merge([*reports, other_line])
    assert folded == 3
    assert [len(f.tools) for f in merged] == [4, 1]


def test_the_same_advisory_by_its_aliases_in_the_same_package_and_version() -> None:
    pkg = Package("Flask", "0.12.2", "1.0", "pypi")
    trivy = finding("trivy", "CVE-2018-1000656", path="requirements.txt", kind=Kind.DEPENDENCY, package=pkg)
    pip_audit = finding(
        "pip-audit",
        "PYSEC-2018-66",
        path="requirements.txt",
        kind=Kind.DEPENDENCY,
        package=Package("flask", "0.12.2", "0.12.3"),
        cves=("CVE-2018-1000656",),
    )
    newer = finding(
        "grype",
        "CVE-2018-1000656",
        path="requirements.txt",
        kind=Kind.DEPENDENCY,
        package=Package("flask", "1.0.0"),
    )
    merged, folded = dedupe.merge([trivy, pip_audit, newer])
    assert folded == 1
    assert sorted(len(f.tools) for f in merged) == [1, 2]


def test_unrelated_findings_are_untouched_and_in_order() -> None:
    items = [finding("bandit", "B602", 3, path="a.py", kind=Kind.CODE), finding("hadolint", "DL3008", 5)]
    assert dedupe.merge(items) == (items, 0)


def test_a_concept_has_one_fingerprint_whichever_tool_reported_it(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11\nUSER root\nCMD x\n")
    alone = fingerprints.assign([finding("trivy-config", "DS-0002", 2)], tmp_path)[0]
    via_checkov = fingerprints.assign([finding("checkov", "CKV_DOCKER_3", 1, 3)], tmp_path)[0]
    merged = fingerprints.assign(dedupe.merge(ROOT_USER)[0], tmp_path)[0]
    assert alone.fingerprint == via_checkov.fingerprint == merged.fingerprint


def test_old_trivy_ids_normalise() -> None:
    assert equivalence.normalise_rule("trivy-config", "DS002") == "DS-0002"
    assert equivalence.normalise_rule("trivy-config", "AVD-DS-0026") == "DS-0026"
    assert equivalence.normalise_rule("hadolint", "DL3002") == "DL3002"
    assert equivalence.concept(finding("trivy", "DS002")) == ("file", "runs-as-root")


def test_the_order_a_tool_prints_its_findings_in_changes_nothing(tmp_path: Path) -> None:
    """Checkov's worker pool finishes files in any order: the result is the same whatever the order."""
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\nUSER root\nADD . /app\nRUN pip install x\n")
    checkov = [
        finding("checkov", "CKV_DOCKER_3", 1, 4),
        finding("checkov", "CKV_DOCKER_4", 3, severity=Severity.MEDIUM),
        finding("checkov", "CKV_DOCKER_2", 1, 4, severity=Severity.LOW),
        finding("checkov", "CKV_DOCKER_3", 1, 4, path="api/Dockerfile"),
        finding("checkov", "CKV_DOCKER_3", 1, 4, path="api/Dockerfile", severity=Severity.LOW),  # one kept
    ]
    trivy = [
        finding("trivy-config", "DS-0002", 2),
        finding("trivy-config", "DS-0026", 1, severity=Severity.LOW),
    ]

    def concluded(order: list[int]) -> list[tuple[str, str, str, tuple[Sighting, ...]]]:
        outcomes = [
            ScanOutcome("trivy-config", Status.OK, tuple(trivy)),
            ScanOutcome("checkov", Status.OK, tuple(checkov[i] for i in order)),
        ]
        changes = ChangeSet(tmp_path, Mode.ALL, ())
        result = pipeline.conclude(pipeline.ScanRequest(tmp_path), Config(), changes, outcomes)
        return [(a.finding.rule_id, a.finding.location.path, a.finding.fingerprint, a.finding.also)
                for a in result.decision.assessed]  # fmt: skip

    printed = concluded([0, 1, 2, 3, 4])
    assert len(printed) == 4  # DS-0002 + CKV_DOCKER_3, DS-0026 + CKV_DOCKER_2, CKV_DOCKER_4, api's one
    assert concluded([4, 2, 3, 1, 0]) == printed == concluded([1, 3, 0, 4, 2])


POD = """apiVersion: v1
kind: Pod
metadata:
  name: exporter
  namespace: monitoring
spec:
  hostNetwork: true
  hostPID: true
  containers:
  - name: app
    image: quay.io/prometheus/node-exporter:v1.6.1
"""


def _real_config_scan(tmp_path: Path, path: str, text: str) -> pipeline.ScanResult:
    """A repository of one manifest scanned by the real Checkov and trivy-config, both completing."""
    missing = [tool for tool in ("checkov", "trivy") if find_executable(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (make install)")
    tree = GitTree(tmp_path / "repo")
    tree.write(path, text)
    tree.commit()
    result = pipeline.scan(pipeline.ScanRequest(tree.root, scanners=("checkov", "trivy-config")), Config())
    assert [o.status for o in result.outcomes if o.scanner in ("checkov", "trivy-config")] == [Status.OK] * 2
    return result


@pytest.mark.scanner
def test_real_checkov_and_trivy_on_a_pod_give_one_finding_per_problem(tmp_path: Path) -> None:
    result = _real_config_scan(tmp_path, "deploy/exporter.yaml", POD)
    host = [
        a.finding
        for a in result.decision.assessed
        if equivalence.concept(a.finding) == ("resource", "k8s-host-network")
    ]
    assert [set(f.tools) for f in host] == [{"checkov", "trivy-config"}]
    assert result.merged >= 9  # host network and PID, limits, requests, escalation, root, seccomp, UID


DEPLOYMENT_THEN_POD = """apiVersion: apps/v1
kind: Deployment
metadata: {name: d, namespace: prod}
spec:
  selector: {matchLabels: {a: b}}
  template:
    metadata: {labels: {a: b}}
    spec:
      containers:
      - name: c
        image: nginx:1.25
        securityContext: {privileged: true}
      nodeSelector:
        kubernetes.io/os: linux
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: prod}
spec:
  containers:
  - name: c
    image: nginx:1.25
    securityContext: {privileged: true}
  volumes:
  - name: data
    emptyDir: {}
"""


@pytest.mark.scanner
def test_a_container_that_is_not_last_in_its_resource_is_still_one_problem(tmp_path: Path) -> None:
    """Trivy's container range ends before the resource does (kubernetes-sigs/metrics-server's
    deployment: `nodeSelector` after the containers): merged by the resource, not the last line."""
    missing = [tool for tool in ("checkov", "trivy") if find_executable(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (make install)")
    tree = GitTree(tmp_path / "repo")
    tree.write("deploy/app.yaml", DEPLOYMENT_THEN_POD)
    tree.commit()
    result = pipeline.scan(pipeline.ScanRequest(tree.root, scanners=("checkov", "trivy-config")), Config())
    privileged = [
        a.finding
        for a in result.decision.assessed
        if equivalence.concept(a.finding) == ("resource", "k8s-privileged")
    ]
    assert sorted(
        (f.location.start_line, set(f.tools) == {"checkov", "trivy-config"}) for f in privileged
    ) == [
        (10, True),
        (21, True),
    ]


def test_resources_are_documents_and_the_items_of_a_list() -> None:
    text = (
        "kind: List\nitems:\n- kind: Pod\n  spec: {}\n- kind: Pod\n  spec:\n    containers:\n    - name: c\n"
    )
    text += "metadata: {}\n---\nkind: Pod\n...\n"
    assert kubedocs.starts(text.split("\n")) == [3, 5, 10, 12]


def test_a_resource_is_named_once_however_many_findings_it_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each finding asks for its resource's name; a long resource is read once, not once a finding."""
    pod = "kind: Pod\nmetadata:\n  name: {}\n  namespace: ns\nspec:\n" + "  x: 1\n" * 2000
    (tmp_path / "pods.yaml").write_text(pod.format("a") + "---\n" + pod.format("b"))
    read: list[int] = []

    def named(lines: list[str]) -> str:
        read.append(len(lines))
        return f"Pod/ns/{len(read)}"

    monkeypatch.setattr(kubedocs, "named", named)
    index = resources.Resources(SourceLines(tmp_path))
    names = [index.name("pods.yaml", line) for line in (*range(1, 2006, 5), *range(2007, 4011, 5))]
    assert set(names) == {"Pod/ns/1", "Pod/ns/2"}
    assert names.count("Pod/ns/1") == 401
    assert len(read) == 2  # one read per resource


def test_two_containers_of_one_resource_keep_their_own_findings(tmp_path: Path) -> None:
    """Trivy reports writable root filesystems per container, Checkov once per resource: the reports
    pair up in order, and the second container's problem is not folded into the first's."""
    (tmp_path / "ds.yaml").write_text("kind: DaemonSet\n" + "x: 1\n" * 20)
    reports = [
        finding("checkov", "CKV_K8S_22", 1, 20, path="ds.yaml", severity=Severity.MEDIUM),
        finding("trivy-config", "KSV-0014", 5, 9, path="ds.yaml"),
        finding("trivy-config", "KSV-0014", 10, 14, path="ds.yaml"),
    ]
    merged, folded = dedupe.merge(reports, resources.Resources(SourceLines(tmp_path)))
    assert [(f.location.start_line, f.tools) for f in merged] == [
        (5, ("trivy-config", "checkov")),
        (10, ("trivy-config",)),
    ]
    assert folded == 1


SOCKET_AND_SYS_ADMIN = """apiVersion: v1
kind: Pod
metadata:
  name: fuse
  namespace: tools
spec:
  containers:
  - name: fuse
    image: example/sshfs:1.0
    securityContext:
      capabilities:
        add: ["SYS_ADMIN"]
    volumeMounts:
    - name: sock
      mountPath: /var/run/docker.sock
  volumes:
  - name: sock
    hostPath:
      path: /var/run/docker.sock
"""


@pytest.mark.scanner
def test_the_docker_socket_and_sys_admin_are_one_finding_each(tmp_path: Path) -> None:
    """Checkov's CKV_K8S_27 and Trivy's KSV-0006 (the socket), CKV_K8S_39 and KSV-0005 (SYS_ADMIN):
    both high, each pair one blocking finding, not two."""
    result = _real_config_scan(tmp_path, "pod.yaml", SOCKET_AND_SYS_ADMIN)
    rules = {"CKV_K8S_27", "KSV-0006", "CKV_K8S_39", "KSV-0005"}
    found = [
        a.finding
        for a in result.decision.assessed
        if {a.finding.rule_id, *(s.rule_id for s in a.finding.also)} & rules
    ]
    assert sorted((equivalence.concept(f), set(f.tools)) for f in found) == [
        (("resource", "k8s-cap-sys-admin"), {"checkov", "trivy-config"}),
        (("resource", "k8s-docker-socket"), {"checkov", "trivy-config"}),
    ]
