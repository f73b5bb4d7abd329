"""Every form of inline suppression a scanner honours is one the change cannot use on itself in PR mode.

Each case writes, in a change, a finding its scanner blocks and the marker that would silence it:
the marker is blanked out of the scan view (the finding blocks) and listed as a policy change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mergeguard.cli import main as cli
from tests.gitutil import GitTree

pytestmark = pytest.mark.scanner


@pytest.fixture
def tree(tmp_path: Path) -> GitTree:
    git = GitTree(tmp_path / "repo")
    git.write("README.md", "# app\n")
    git.commit("base")
    git.git("branch", "base")
    return git


def scan(tree: GitTree, capsys: pytest.CaptureFixture[str], scanners: str) -> tuple[int, dict[str, Any]]:
    out = tree.root.parent / "r.json"
    code = cli.main(["scan", str(tree.root), "--base", "base", "--scanners", scanners, "--json", str(out)])
    assert "Traceback" not in capsys.readouterr().err
    return code, json.loads(out.read_text(encoding="utf-8"))


def listed(report: dict[str, Any], path: str) -> list[str]:
    """The effects of the change's inline suppressions in `path`."""
    return [e for c in report["policy_changes"] if c["path"] == path for e in c["effects"]]


SSH_OPEN = """#tfsec:ignore:*
resource "aws_security_group" "ssh" {
  name = "ssh"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"] # trivy:exp:2099-01-01:ignore:AVD-AWS-0107
  }
}
"""


def test_trivys_legacy_and_expiring_ignore_comments_are_not_honoured(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """Trivy reads `tfsec:ignore:` as `trivy:ignore:`, and key:value pairs before `ignore`."""
    tree.write("main.tf", SSH_OPEN)
    tree.commit("ssh from anywhere")
    code, report = scan(tree, capsys, "trivy-config")
    assert code == 1, report["reason"]
    assert any(f["path"] == "main.tf" and f["blocking"] for f in report["findings"])
    assert [e.split(" (")[0] for e in listed(report, "main.tf")] == [
        "line 1 adds trivy-config's inline suppression",
        "line 8 adds trivy-config's inline suppression",
    ]


INJECTION = """name: triage
on: issues
permissions: {contents: read, issues: write}
jobs:
  triage: # bridgecrew:skip=CKV_GHA_2:reviewed
    runs-on: ubuntu-latest
    steps:
      - name: label # cortex:skip=CKV_GHA_2:reviewed
        run: echo "New issue ${{ github.event.issue.title }}" | ./label.sh
"""


def test_checkovs_bridgecrew_and_cortex_skip_comments_are_not_honoured(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """Checkov reads `bridgecrew:skip=` and `cortex:skip=` as `checkov:skip=`."""
    tree.write(".github/workflows/triage.yml", INJECTION)
    tree.commit("a script injection")
    code, report = scan(tree, capsys, "checkov")
    assert code == 1, report["reason"]
    assert ("CKV_GHA_2", True) in {(f["rule_id"], f["blocking"]) for f in report["findings"]}
    assert [e.split(" (")[0] for e in listed(report, ".github/workflows/triage.yml")] == [
        "line 5 adds checkov's inline suppression",
        "line 8 adds checkov's inline suppression",
    ]


PRIVILEGED_POD = """apiVersion: v1
kind: Pod
metadata:
  name: tools
  annotations:
    checkov.io/skip1: CKV_K8S_16=ok
    "bridgecrew.io/skip2": CKV_K8S_17=ok
    team: ops
spec:
  hostPID: true
  containers:
  - name: c
    image: alpine:3.20
    securityContext:
      privileged: true
"""


def test_checkovs_skip_annotations_are_not_honoured(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """`checkov.io/skipN: CHECK=reason` annotations skip checks on their resource; blanked, the
    manifest still parses (the key keeps its first letters, so its indentation)."""
    tree.write("k8s/pod.yaml", PRIVILEGED_POD)
    tree.commit("a privileged pod")
    code, report = scan(tree, capsys, "checkov")
    assert code == 1, report["reason"]
    blocking = {f["rule_id"] for f in report["findings"] if f["blocking"]}
    assert {"CKV_K8S_16", "CKV_K8S_17"} <= blocking
    assert listed(report, "k8s/pod.yaml") == [
        "line 6 adds checkov's inline suppression (checkov.io/skip), not honoured until merged",
        "line 7 adds checkov's inline suppression (bridgecrew.io/skip), not honoured until merged",
    ]


def test_hadolints_global_ignore_and_shell_pragmas_are_not_honoured(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """`# hadolint global ignore=DL3026` lifts the base's trusted registries for the whole file;
    `# hadolint shell=powershell` turns ShellCheck off for its RUN lines."""
    tree.write(".hadolint.yaml", "trustedRegistries:\n  - registry.acme.example.com\n")
    tree.commit("trusted registries")
    tree.git("branch", "-f", "base")
    tree.write(
        "Dockerfile",
        "# hadolint global ignore=DL3026\n# hadolint shell=powershell\n"
        f"FROM ghcr.io/attacker/python:3.12@sha256:{'1' * 64}\nUSER nobody\nHEALTHCHECK CMD true\n",
    )
    tree.commit("an untrusted registry")
    code, report = scan(tree, capsys, "hadolint")
    assert code == 1, report["reason"]
    assert ("DL3026", 3, True) in {(f["rule_id"], f["start_line"], f["blocking"]) for f in report["findings"]}
    assert [e.split(" (")[0] for e in listed(report, "Dockerfile")] == [
        "line 1 adds hadolint's inline suppression",
        "line 2 adds hadolint's inline suppression",
    ]


def test_a_blanked_nosec_leaves_the_rest_of_its_comment_a_comment(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """Blanking `# nosec` with its `#` made `B602 reviewed` code: Bandit could not parse the file and
    reported only that, instead of what it holds."""
    tree.write(
        "app.py",
        "import subprocess  # nosec B404 - reviewed\n\n\n"
        "def run(cmd):\n    return subprocess.call(cmd, shell=True)  # nosec B602 - reviewed\n",
    )
    tree.commit("suppressed with reasons")
    code, report = scan(tree, capsys, "bandit")
    assert code == 1, report["reason"]
    found = {(f["rule_id"], f["start_line"]) for f in report["findings"]}
    assert ("B602", 5) in found and ("B404", 1) in found
    assert "skipped-file" not in {rule for rule, _ in found}


def test_detect_secrets_older_whitelist_pragma_is_not_honoured(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """detect-secrets 1.5.0 still honours `pragma: whitelist secret`: with it, a key only it and one
    other engine saw lost their agreement and stopped blocking."""
    secret = "Qm7vR2xK" + "9pL4wT8zHk3mZr5"  # split: this file holds no secret for the gate's own scan
    tree.write("settings.py", f'SECRET_KEY = "{secret}"  # pragma: whitelist secret\n')
    tree.commit("a key, whitelisted")
    code, report = scan(tree, capsys, "detect-secrets,gitleaks")
    assert code == 1, report["reason"]
    assert "detect-secrets" in {f["tool"] for f in report["findings"] if f["blocking"]}
    assert listed(report, "settings.py") == [
        "line 1 adds detect-secrets's inline suppression (pragma: whitelist), not honoured until merged"
    ]


def test_a_nosec_run_into_the_next_word_is_not_honoured(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bandit reads `# nosecurity-reviewed` and `#nosec_B602` as `# nosec` (no word boundary; its
    unknown test names skip every test): the gate's marker must not need one either."""
    tree.write(
        "app.py",
        "import subprocess\n\n\ndef run(cmd):\n"
        "    subprocess.call(cmd, shell=True)  # nosecurity-reviewed\n"
        '    subprocess.call("ls " + cmd, shell=True)  #nosec_B602\n',
    )
    tree.commit("suppressed without a space")
    code, report = scan(tree, capsys, "bandit")
    assert code == 1, report["reason"]
    assert {f["start_line"] for f in report["findings"] if f["rule_id"] == "B602" and f["blocking"]} == {5, 6}
    assert listed(report, "app.py") == [
        "line 5 adds bandit's inline suppression (# nosec), not honoured until merged",
        "line 6 adds bandit's inline suppression (#nosec), not honoured until merged",
    ]


def test_a_statement_wrapped_around_an_untouched_nosec_of_the_base_is_not_silenced(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bandit honours a `# nosec` on any line of the call it reports: a new call written around a
    comment line of the base would be silenced by a marker the change did not add."""
    tree.write(
        "ops.py",
        "import subprocess  # nosec B404\n\n\ndef listing():\n    # nosec - the arguments are constant\n"
        '    return subprocess.run(["ls", "-l"], check=True)\n',
    )
    tree.commit("accepted at the base")
    tree.git("branch", "-f", "base")
    tree.write(
        "ops.py",
        "import subprocess  # nosec B404\n\n\ndef listing(pattern):\n"
        '    return subprocess.run("ls -l " + pattern,\n    # nosec - the arguments are constant\n'
        "        shell=True, check=True)\n",
    )
    tree.commit("a shell command around it")
    code, report = scan(tree, capsys, "bandit")
    assert code == 1, report["reason"]
    assert "B602" in {f["rule_id"] for f in report["findings"] if f["blocking"]}
    assert listed(report, "ops.py") == [
        "line 6 holds bandit's inline suppression (# nosec), which reaches a line the change edits:"
        " not honoured until merged"
    ]


def test_an_untouched_allowlist_nextline_pragma_of_the_base_does_not_cover_the_line_the_change_writes(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """detect-secrets applies `pragma: allowlist nextline secret` to the line after it: a change that
    writes a key there, under the base's untouched pragma, is judged without it."""
    tree.write("settings.py", 'DEBUG = False\n# pragma: allowlist nextline secret\nSECRET_KEY = "dev"\n')
    tree.commit("a dev key, allowed at the base")
    tree.git("branch", "-f", "base")
    secret = "Qm7vR2xK" + "9pL4wT8zHk3mZr5"  # split: this file holds no secret for the gate's own scan
    tree.write(
        "settings.py", f'DEBUG = False\n# pragma: allowlist nextline secret\nSECRET_KEY = "{secret}"\n'
    )
    tree.commit("a real key under it")
    code, report = scan(tree, capsys, "detect-secrets,gitleaks")
    assert code == 1, report["reason"]
    assert "detect-secrets" in {f["tool"] for f in report["findings"] if f["blocking"]}
    assert listed(report, "settings.py") == [
        "line 2 holds detect-secrets's inline suppression (pragma: allowlist), which reaches a line the"
        " change edits: not honoured until merged"
    ]
