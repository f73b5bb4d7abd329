"""Helm charts are read whole: a change to any file of a chart is judged on the rendered chart,
against the base's rendering (Trivy places a template's findings on the rendered manifest's lines)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from mergeguard.cli import main as cli
from mergeguard.core import changes, chartview, units
from mergeguard.core.filekinds import FileKind
from mergeguard.scanners.commands import find_executable
from tests.gitutil import GitTree

pytestmark = pytest.mark.scanner

CHART = "charts/exporter"
FILES = {
    "Chart.yaml": "apiVersion: v2\nname: exporter\ntype: application\nversion: 1.0.0\nappVersion: 1.9.1\n",
    "values.yaml": "revisionHistoryLimit: 10\nhostPID: true\nhostIPC: false\n"
    "image: quay.io/prometheus/node-exporter:v1.9.1\n",
    "templates/_helpers.tpl": '{{- define "exporter.name" -}}\n{{ .Chart.Name }}\n{{- end }}\n',
    "templates/daemonset.yaml": """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ include "exporter.name" . }}
spec:
  selector:
    matchLabels:
      app: {{ include "exporter.name" . }}
  revisionHistoryLimit: {{ .Values.revisionHistoryLimit }}
  template:
    metadata:
      labels:
        app: {{ include "exporter.name" . }}
    spec:
      hostPID: {{ .Values.hostPID }}
      hostIPC: {{ .Values.hostIPC }}
      containers:
        - name: exporter
          image: {{ .Values.image }}
""",
}


@pytest.fixture
def tree(tmp_path: Path) -> GitTree:
    if find_executable("trivy") is None:
        pytest.skip("trivy not installed (make install)")
    git = GitTree(tmp_path / "repo")
    for name, text in FILES.items():
        git.write(f"{CHART}/{name}", text)
    git.write("README.md", "# charts\n")
    git.commit("base")
    git.git("branch", "base")
    return git


def scan(tree: GitTree) -> tuple[int, list[dict[str, Any]]]:
    out = tree.root.parent / "r.json"
    code = cli.main(
        ["scan", str(tree.root), "--base", "base", "--scanners", "trivy-config", "--json", str(out)]
    )
    return code, json.loads(out.read_text(encoding="utf-8"))["findings"]


def new_and_old(findings: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """The high findings' rules: new ones, pre-existing ones (KSV-0008 host IPC, KSV-0010 host PID)."""
    high = [f for f in findings if f["severity"] in ("high", "critical")]
    return {f["rule_id"] for f in high if f["status"] == "new"}, {
        f["rule_id"] for f in high if f["status"] != "new"
    }


def test_a_values_change_alone_is_checked_on_the_rendered_chart(tree: GitTree) -> None:
    """`hostIPC: false -> true` in values.yaml: no template changed, yet the rendered DaemonSet did."""
    tree.write(f"{CHART}/values.yaml", FILES["values.yaml"].replace("hostIPC: false", "hostIPC: true"))
    tree.commit("share the host's IPC namespace")
    code, findings = scan(tree)
    new, old = new_and_old(findings)
    assert new == {"KSV-0008"} and "KSV-0010" in old
    assert code == 1


def test_a_harmless_template_change_leaves_the_charts_old_findings_pre_existing(tree: GitTree) -> None:
    """The line rule read the rendered lines as the template's: an unrelated edit made them new."""
    daemonset = FILES["templates/daemonset.yaml"].replace("{{ .Values.revisionHistoryLimit }}", "5")
    tree.write(f"{CHART}/templates/daemonset.yaml", daemonset)
    tree.commit("pin the history limit")
    code, findings = scan(tree)
    new, old = new_and_old(findings)
    assert not new and "KSV-0010" in old
    assert code == 0


def test_a_values_change_that_shifts_the_rendered_lines_keeps_the_baseline_matching(tree: GitTree) -> None:
    """Found on a real chart: Trivy numbers a template's findings by the rendered manifest's lines, and
    their fingerprints hashed whatever template line had that number, so an annotation added in the
    values un-accepted the baselined findings and main's next full scan failed."""
    baseline = tree.root / ".mergeguard-baseline.yml"
    args = ["--scanners", "trivy-config", "--baseline", str(baseline)]
    assert cli.main(["baseline", "create", str(tree.root), "--reason", "legacy", *args]) == 0
    daemonset = FILES["templates/daemonset.yaml"].replace(
        "    metadata:\n      labels:\n",
        "    metadata:\n      annotations: {{ toYaml .Values.annotations | nindent 8 }}\n      labels:\n",
    )
    tree.write(f"{CHART}/templates/daemonset.yaml", daemonset)
    tree.write(f"{CHART}/values.yaml", FILES["values.yaml"] + "annotations: {a: b, c: d, e: f}\n")
    tree.commit("annotate the pods")
    out = tree.root.parent / "full.json"
    code = cli.main(["scan", str(tree.root), "--all-files", *args, "--json", str(out)])
    findings = json.loads(out.read_text(encoding="utf-8"))["findings"]
    assert findings and {f["status"] for f in findings} == {"accepted"}
    assert code == 0


def test_a_templates_findings_are_placed_on_the_template_never_past_its_end(tree: GitTree) -> None:
    """Found in a trial on a real chart: Trivy numbers a template's findings by the rendered manifest's
    lines, helpers expanded and values filled in, so a 41-line template had findings on lines 54 and 57
    (terminal, JSON and SARIF alike: GitHub annotated nowhere). Each is on the whole template, the line
    Trivy gave in its message; the fingerprints are the message's without it, as before."""
    daemonset = FILES["templates/daemonset.yaml"].replace(
        "    metadata:\n      labels:\n",
        "    metadata:\n      annotations: {{ toYaml .Values.annotations | nindent 8 }}\n      labels:\n",
    )
    tree.write(f"{CHART}/templates/daemonset.yaml", daemonset)
    annotations = "".join(f"  note{n}: text\n" for n in range(30))
    tree.write(f"{CHART}/values.yaml", f"{FILES['values.yaml']}annotations:\n{annotations}")
    tree.commit("annotate the pods")
    out, sarif = tree.root.parent / "all.json", tree.root.parent / "all.sarif"
    args = ["scan", str(tree.root), "--all-files", "--scanners", "trivy-config"]
    assert cli.main([*args, "--json", str(out), "--sarif", str(sarif)]) == 1
    length = len(daemonset.splitlines())
    findings = [
        f
        for f in json.loads(out.read_text(encoding="utf-8"))["findings"]
        if f["path"].endswith("daemonset.yaml")
    ]
    assert {(f["start_line"], f["end_line"]) for f in findings} == {(1, length)}
    rendered = [int(f["message"].rsplit("(rendered line ", 1)[1].rstrip(")")) for f in findings]
    assert max(rendered) > length  # the container's checks, below the 30 annotations
    regions = [
        result["locations"][0]["physicalLocation"]["region"]
        for run in json.loads(sarif.read_text(encoding="utf-8"))["runs"]
        for result in run["results"]
    ]
    assert regions and all(r["startLine"] == 1 and r["endLine"] == length for r in regions)


def test_the_rendered_line_is_left_out_of_what_identifies_a_finding() -> None:
    said = units.with_rendered_line("Container 'a' of DaemonSet 'x' should set 'privileged' to false", 57)
    assert said.endswith("(rendered line 57)")
    assert units.without_rendered_line(said) == units.without_rendered_line(said.replace("57", "112"))


def test_a_template_hard_coding_a_host_namespace_is_new(tree: GitTree) -> None:
    daemonset = FILES["templates/daemonset.yaml"].replace("{{ .Values.hostIPC }}", "true")
    tree.write(f"{CHART}/templates/daemonset.yaml", daemonset)
    tree.commit("hard-code hostIPC")
    code, findings = scan(tree)
    new, old = new_and_old(findings)
    assert new == {"KSV-0008"} and "KSV-0010" in old
    assert code == 1


def test_every_file_of_a_chart_the_change_touches_is_iac_and_in_scope(tree: GitTree) -> None:
    tree.write(f"{CHART}/values.yaml", FILES["values.yaml"] + "# a comment\n")
    tree.commit("values only")
    found = changes.collect(tree.root, "base", [])
    assert found.charts == (CHART,)
    kinds = {f.path.removeprefix(CHART + "/"): FileKind.IAC in f.kinds for f in found.files}
    assert kinds == dict.fromkeys(FILES, True)
    untouched = {f.path for f in found.files if not f.lines}
    assert untouched == {f"{CHART}/{name}" for name in FILES if name != "values.yaml"}


def test_a_chart_trivy_cannot_render_is_a_finding_not_a_silent_pass(tree: GitTree) -> None:
    """`required` with no value: Trivy logs "Skipping chart" and reports nothing, exit 0. Made so by
    the change (beside a hard-coded hostIPC), it is new and blocks; the base's rendered."""
    daemonset = FILES["templates/daemonset.yaml"].replace("{{ .Values.hostIPC }}", "true")
    daemonset = daemonset.replace(
        "{{ .Values.image }}", '{{ required "set registry" .Values.registry }}/exporter:1'
    )
    tree.write(f"{CHART}/templates/daemonset.yaml", daemonset)
    tree.commit("unrenderable")
    code, findings = scan(tree)
    skipped = [(f["path"], f["status"], f["blocking"]) for f in findings if f["rule_id"] == "skipped-chart"]
    assert skipped == [(f"{CHART}/Chart.yaml", "new", True)]
    assert code == 1


def test_a_chart_whose_dependencies_are_not_vendored_is_checked_without_them(tree: GitTree) -> None:
    """`charts/` left to `helm dependency build` (gitignored): Trivy skipped the whole chart, so a
    hard-coded hostIPC passed. The chart's own templates are checked, its subcharts are not."""
    chart = (
        FILES["Chart.yaml"]
        + "dependencies:\n  - name: redis\n    version: 18.6.1\n    repository: https://charts.bitnami.com/bitnami\n"
    )
    tree.write(f"{CHART}/Chart.yaml", chart)
    tree.write(".gitignore", f"{CHART}/charts/\n")
    tree.commit("a dependency, not vendored")
    tree.git("branch", "-f", "base")
    tree.write(
        f"{CHART}/templates/daemonset.yaml",
        FILES["templates/daemonset.yaml"].replace("{{ .Values.hostIPC }}", "true"),
    )
    tree.commit("hard-code hostIPC")
    code, findings = scan(tree)
    new, _ = new_and_old(findings)
    assert new == {"KSV-0008"} and not [f for f in findings if f["rule_id"] == "skipped-chart"]
    assert code == 1
    assert tree.git("status", "--porcelain") == ""  # the chart's stand-ins are the scan view's alone
    assert (tree.root / CHART / "Chart.yaml").read_text() == chart


LIBRARY = {  # a library chart (bjw-s/common, bitnami/common): helpers the charts using it include
    "Chart.yaml": "apiVersion: v2\nname: common\ntype: library\nversion: 2.0.0\n",
    "templates/_daemonset.tpl": '{{- define "common.daemonset" -}}\n'
    + FILES["templates/daemonset.yaml"].replace('include "exporter.name" .', ".Chart.Name")
    + "{{- end }}\n",
}
USES_LIBRARY = "dependencies:\n  - name: common\n    version: 2.0.0\n    repository: file://../common\n"


def on_the_library(tree: GitTree) -> None:
    """The exporter made of the library's helper, the library a chart of the repository (file://)."""
    for name, text in LIBRARY.items():
        tree.write(f"charts/common/{name}", text)
    tree.write(f"{CHART}/Chart.yaml", FILES["Chart.yaml"] + USES_LIBRARY)
    tree.write(f"{CHART}/templates/daemonset.yaml", '{{ include "common.daemonset" . }}\n')
    tree.commit("the exporter on the common library")
    tree.git("branch", "-f", "base")


def test_a_dependency_in_the_repository_is_used_so_templates_calling_its_helpers_render(
    tree: GitTree,
) -> None:
    """An empty stand-in for a `file://` library made `include "common.daemonset"` fail: Trivy skipped
    the chart (a high skipped-chart on every chart built on a library). The repository's own copy of
    the library is laid out in the scan view, so the chart renders and hostIPC: true is found."""
    on_the_library(tree)
    tree.write(f"{CHART}/values.yaml", FILES["values.yaml"].replace("hostIPC: false", "hostIPC: true"))
    tree.commit("share the host's IPC namespace")
    code, findings = scan(tree)
    new, old = new_and_old(findings)
    assert new == {"KSV-0008"} and "KSV-0010" in old
    assert not [f for f in findings if f["rule_id"] == "skipped-chart"] and code == 1
    assert tree.git("status", "--porcelain") == ""  # laid out in the scan view alone


def test_the_base_is_rendered_with_the_base_copy_of_a_dependency_in_the_repository(tree: GitTree) -> None:
    """A change to the library and a touch of the chart: the base's rendering uses the base's library,
    else the hostIPC the change put in the library would be there at the base too, and pass."""
    on_the_library(tree)
    helper = LIBRARY["templates/_daemonset.tpl"].replace("{{ .Values.hostIPC }}", "true")
    tree.write("charts/common/templates/_daemonset.tpl", helper)
    tree.write(f"{CHART}/values.yaml", FILES["values.yaml"].replace("Limit: 10", "Limit: 11"))
    tree.commit("hard-code hostIPC in the library")
    code, findings = scan(tree)
    new, _ = new_and_old(findings)
    assert new == {"KSV-0008"} and code == 1


def test_a_change_to_a_library_alone_is_checked_on_the_charts_using_it(tree: GitTree) -> None:
    """Found by a red team: a library's helper hard-coding hostIPC, no chart using it touched, passed
    with nothing in scope but the library, which renders nothing of its own."""
    on_the_library(tree)
    helper = LIBRARY["templates/_daemonset.tpl"].replace("{{ .Values.hostIPC }}", "true")
    tree.write("charts/common/templates/_daemonset.tpl", helper)
    tree.commit("hard-code hostIPC in the library")
    code, findings = scan(tree)
    new, _ = new_and_old(findings)
    assert new == {"KSV-0008"} and code == 1


def test_charts_moved_with_their_library_keep_their_findings_pre_existing(tree: GitTree) -> None:
    """Found on a real repository: `git mv charts deploy/charts` looked the library up at its new path
    in the base, where it was not; the base could not render, and every finding of the chart was new."""
    on_the_library(tree)
    tree.git("mv", "charts", "deploy")
    tree.commit("move the charts")
    code, findings = scan(tree)
    assert findings and {f["status"] for f in findings} == {"pre-existing"}
    assert code == 0


def test_a_chart_that_needs_a_remote_dependency_says_how_to_vendor_it(tree: GitTree) -> None:
    chart = FILES["Chart.yaml"] + "dependencies:\n  - name: common\n    version: 2.0.0\n"
    tree.write(f"{CHART}/Chart.yaml", chart + "    repository: https://charts.example.com/stable\n")
    tree.write(f"{CHART}/templates/daemonset.yaml", '{{ include "common.daemonset" . }}\n')
    tree.commit("the exporter on a library from a chart repository, not vendored")
    _, findings = scan(tree)
    (skipped,) = [f for f in findings if f["rule_id"] == "skipped-chart"]
    assert "`helm dependency build charts/exporter` before the scan" in skipped["message"]
    assert "its dependencies common are not vendored" in skipped["message"]


def test_a_credential_in_a_dependency_that_is_not_vendored_is_still_read(tree: GitTree) -> None:
    repository = "https://ci-bot:" + "Xk29fLq0pWz7RvB3t@charts.example-internal.com/stable"
    chart = (
        FILES["Chart.yaml"]
        + f"dependencies:\n  - name: redis\n    version: 18.6.1\n    repository: {repository}\n"
    )
    tree.write(f"{CHART}/Chart.yaml", chart)
    tree.commit("a private chart repository")
    out = tree.root.parent / "r.json"
    cli.main(["scan", str(tree.root), "--base", "base", "--scanners", "detect-secrets", "--json", str(out)])
    findings = json.loads(out.read_text(encoding="utf-8"))["findings"]
    assert [(f["path"], f["rule_id"], f["blocking"]) for f in findings] == [
        (f"{CHART}/Chart.yaml", "Basic Auth Credentials", True)
    ]


def test_a_change_to_a_chart_trivy_could_render_neither_before_nor_now_is_not_judged_by_nothing(
    tree: GitTree,
) -> None:
    image = '{{ required "set registry" .Values.registry }}/exporter:1'
    tree.write(
        f"{CHART}/templates/daemonset.yaml",
        FILES["templates/daemonset.yaml"].replace("{{ .Values.image }}", image),
    )
    tree.commit("needs a registry value")
    tree.git("branch", "-f", "base")
    daemonset = (
        (tree.root / CHART / "templates" / "daemonset.yaml")
        .read_text()
        .replace("{{ .Values.hostIPC }}", "true")
    )
    tree.write(f"{CHART}/templates/daemonset.yaml", daemonset)
    tree.commit("hard-code hostIPC in a chart nothing can render")
    code, findings = scan(tree)
    skipped = [(f["status"], f["blocking"]) for f in findings if f["rule_id"] == "skipped-chart"]
    assert skipped == [("new", True)] and code == 1


def test_a_file_a_thousand_directories_deep_is_asked_about_without_recursion(tmp_path: Path) -> None:
    assert units.chart_dirs(tmp_path, ["/".join(["d"] * 2000) + "/values.yaml"]) == []


def test_a_subchart_installed_under_an_alias_is_checked_on_its_own_files(tmp_path: Path) -> None:
    """`alias: web` for the vendored `charts/app`: Trivy names its files `charts/web/…`, a directory
    that does not exist, so `web.privileged: true` fell out of scope and passed."""
    if find_executable("trivy") is None:
        pytest.skip("trivy not installed (make install)")
    git = GitTree(tmp_path / "repo")
    git.write(
        "chart/Chart.yaml",
        "apiVersion: v2\nname: shop\nversion: 0.1.0\n"
        "dependencies:\n  - name: app\n    version: 0.1.0\n    alias: web\n",
    )
    git.write("chart/values.yaml", "web:\n  privileged: false\n")
    git.write("chart/charts/app/Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n")
    git.write("chart/charts/app/values.yaml", "privileged: false\n")
    git.write(
        "chart/charts/app/templates/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\nspec:\n  containers:\n    - name: web\n"
        "      image: nginx:1.25\n      securityContext:\n        privileged: {{ .Values.privileged }}\n",
    )
    git.commit("a subchart under an alias")
    git.git("branch", "base")
    git.write("chart/values.yaml", "web:\n  privileged: true\n")
    git.commit("privileged, through the alias")
    code, findings = scan(git)
    privileged = [(f["path"], f["status"]) for f in findings if f["rule_id"] == "KSV-0017"]
    assert privileged == [("chart/charts/app/templates/pod.yaml", "new")] and code == 1


def test_dependencies_that_name_their_own_chart_are_copied_a_bounded_number_of_times(tmp_path: Path) -> None:
    """Found by a red team: four `file://.` dependencies were copied 4^8 times (3 GB) before any scanner
    started, a stall no --timeout bounded."""
    deps = "".join(f"  - name: d{i}\n    version: 1.0.0\n    repository: file://.\n" for i in range(4))
    (tmp_path / "Chart.yaml").write_text(f"apiVersion: v2\nname: loop\nversion: 1.0.0\ndependencies:\n{deps}")
    view = tmp_path / "view"
    view.mkdir()
    (view / "Chart.yaml").write_text((tmp_path / "Chart.yaml").read_text())
    chartview.renderable(view, "", chartview.tree_files(tmp_path))
    assert len(list(view.rglob("Chart.yaml"))) <= 1 + 64 + 4 * 65  # copies, then stand-ins past the bound


AGENT = """apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: {{ .Release.Name }}-agent
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      containers:
      - name: agent
        image: busybox:1.36
        securityContext: {privileged: true}
"""


def _subchart_archive(path: Path, top: str = "agent") -> bytes:
    """A chart `agent` packed as `helm package` packs it (its files under one directory)."""
    files = {
        "Chart.yaml": b"apiVersion: v2\nname: agent\nversion: 0.1.0\n",
        "templates/ds.yaml": AGENT.encode(),
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path.read_bytes()


@pytest.mark.parametrize(
    ("archive", "top"), [("agent-0.1.0.tgz", "agent"), ("vendor.tgz", "other")], ids=["helm-named", "renamed"]
)
def test_a_subchart_vendored_as_an_archive_is_judged_on_the_archive(
    tree: GitTree, archive: str, top: str
) -> None:
    """Red team: Trivy reports a packed subchart's findings at `charts/agent/templates/…`, a path that
    does not exist, so they fell out of scope and a privileged DaemonSet passed. They are placed on the
    archive (found by the chart name inside it, whatever the file is called) and are new with it."""
    tree.write(f"{CHART}/charts/{archive}", _subchart_archive(tree.root.parent / archive, top))
    tree.commit("vendor the agent")
    code, findings = scan(tree)
    on_archive = {
        f["rule_id"] for f in findings if f["path"] == f"{CHART}/charts/{archive}" and f["status"] == "new"
    }
    assert {"KSV-0009", "KSV-0017"} <= on_archive
    assert code == 1
    tree.git("branch", "-f", "base")
    tree.write(
        f"{CHART}/values.yaml",
        FILES["values.yaml"].replace("revisionHistoryLimit: 10", "revisionHistoryLimit: 5"),
    )
    tree.commit("a change to the chart, not to the archive")
    code, findings = scan(tree)
    old = {
        f["rule_id"] for f in findings if f["path"] == f"{CHART}/charts/{archive}" and f["status"] != "new"
    }
    assert {"KSV-0009", "KSV-0017"} <= old and not [f for f in findings if f["status"] == "new"]
