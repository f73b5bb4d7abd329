"""A pull request cannot switch the gate off: in PR mode the policy is the base's, not the change's.

Each case adds a secret and, in the same change, one edit to the policy that would let it pass if
mergeguard read the change's tree. The full scan of the same tree (which does read the tree, as
documented) passes: that shows each edit really is a bypass, and that PR mode is what stops it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mergeguard.cli import main as cli
from tests.gitutil import GitTree

KEY = "AKIA" + "QYLPMN5HFIQR7XYZ"  # AWS-shaped (AKIA + 16 of A-Z2-7), split so no scanner flags this file
SECRET_FILE = "creds.py"
OTHERS = ("checkov", "pip-audit", "trivy-config", "trivy-deps", "bandit", "hadolint")
SECRET_SCANNERS = ("detect-secrets", "gitleaks", "trivy-secret")

pytestmark = pytest.mark.scanner


def config_text(on: tuple[str, ...], extra: str = "") -> str:
    """A config with only the scanners `on` running (of the offline ones)."""
    off = [name for name in (*OTHERS, *SECRET_SCANNERS) if name not in on]
    return "scanners:\n" + "".join(f"  {name}: false\n" for name in off) + extra


def repo(tmp_path: Path, on: tuple[str, ...], extra: str = "") -> GitTree:
    tree = GitTree(tmp_path / "repo")
    tree.write("README.md", "# app\n")
    tree.write(".mergeguard.yml", config_text(on, extra))
    tree.commit("base")
    tree.git("branch", "base")
    tree.write(SECRET_FILE, f'AWS_KEY = "{KEY}"\n')
    tree.commit("add credentials")
    return tree


def scan(tree: GitTree, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    out = tree.root.parent
    code = cli.main(
        ["scan", str(tree.root), *args, "--json", str(out / "r.json"), "--markdown", str(out / "r.md")]
    )
    printed = capsys.readouterr()
    assert "Traceback" not in printed.err
    markdown = (out / "r.md").read_text(encoding="utf-8")
    for text in (printed.out, printed.err, markdown, (out / "r.json").read_text(encoding="utf-8")):
        assert KEY not in text  # the secret itself never leaves the scanners
    return code, json.loads((out / "r.json").read_text(encoding="utf-8")), markdown


def assert_gate_holds(tree: GitTree, capsys: pytest.CaptureFixture[str], changed: str, effect: str) -> None:
    """PR mode fails on the secret and shows the policy edit; a full scan of the same tree passes."""
    code, report, markdown = scan(tree, capsys, "--base", "base")
    assert code == 1, report["reason"]
    assert report["verdict"] == "fail"
    assert any(f["path"] == SECRET_FILE and f["blocking"] for f in report["findings"])
    (change,) = [c for c in report["policy_changes"] if c["path"] == changed]
    assert any(effect in e for e in change["effects"]), change
    assert "Policy change: this pull request edits" in markdown and "take effect only after merge" in markdown
    full, full_report, _ = scan(tree, capsys, "--all-files")
    assert full == 0, full_report["reason"]  # read from the tree, the edit does switch the gate off


def test_disabling_the_secret_scanners_in_the_change_does_not_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = repo(tmp_path, SECRET_SCANNERS)
    tree.write(".mergeguard.yml", config_text(()))
    tree.commit("quieter")
    assert_gate_holds(tree, capsys, ".mergeguard.yml", "turns scanner gitleaks off")


def test_raising_fail_on_in_the_change_does_not_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = repo(tmp_path, ("detect-secrets", "gitleaks"))
    tree.write(".mergeguard.yml", config_text(("detect-secrets", "gitleaks"), "fail-on: critical\n"))
    tree.commit("only critical")
    assert_gate_holds(tree, capsys, ".mergeguard.yml", "fail-on high → critical: fewer findings block")


def test_excluding_its_own_file_in_the_change_does_not_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = repo(tmp_path, SECRET_SCANNERS)
    tree.write(".mergeguard.yml", config_text(SECRET_SCANNERS, f"exclude:\n  - {SECRET_FILE}\n"))
    tree.commit("exclude")
    assert_gate_holds(tree, capsys, ".mergeguard.yml", f"excludes {SECRET_FILE}")


def test_adding_its_finding_to_the_baseline_does_not_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = repo(tmp_path, ("detect-secrets", "gitleaks"))
    _, report, _ = scan(tree, capsys, "--base", "base")
    entries = [
        {
            "fingerprint": f["fingerprint"],
            "tool": f["tool"],
            "rule": f["rule_id"],
            "path": f["path"],
            "reason": "ok",
        }
        for f in report["findings"]
    ]
    tree.write(".mergeguard-baseline.yml", json.dumps({"version": 1, "entries": entries}))
    tree.commit("accept")
    assert_gate_holds(tree, capsys, ".mergeguard-baseline.yml", f"in {SECRET_FILE}: ok")


def detect_secrets_baseline(tree: GitTree) -> None:
    exe = Path(sys.executable).parent / "detect-secrets"
    result = subprocess.run([str(exe), "scan", SECRET_FILE], cwd=tree.root, capture_output=True, check=True)
    tree.write(".secrets.baseline", result.stdout)


def gitleaks_ignore(tree: GitTree) -> None:
    head = tree.git("rev-parse", "HEAD").strip()
    # the PR-mode (commit) and full-scan (file) forms of the same finding's fingerprint
    tree.write(
        ".gitleaksignore", f"{head}:{SECRET_FILE}:aws-access-token:1\n{SECRET_FILE}:aws-access-token:1\n"
    )


def gitleaks_allowlist(tree: GitTree) -> None:
    tree.write(".gitleaks.toml", f'[extend]\nuseDefault = true\n[allowlist]\npaths = ["{SECRET_FILE}"]\n')


def trivy_ignore(tree: GitTree) -> None:
    tree.write(".trivyignore", "aws-access-key-id\n")


@pytest.mark.parametrize(
    ("scanner", "suppress", "changed", "effect"),
    [
        ("detect-secrets", detect_secrets_baseline, ".secrets.baseline", f"secret in {SECRET_FILE}"),
        ("gitleaks", gitleaks_ignore, ".gitleaksignore", "ignores "),
        ("gitleaks", gitleaks_allowlist, ".gitleaks.toml", "scanner's own settings"),
        ("trivy-secret", trivy_ignore, ".trivyignore", "ignores aws-access-key-id"),
    ],
)
def test_a_native_suppression_added_by_the_change_does_not_count(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    scanner: str,
    suppress: Callable[[GitTree], None],
    changed: str,
    effect: str,
) -> None:
    tree = repo(tmp_path, (scanner,))
    suppress(tree)
    tree.commit("suppress")
    assert_gate_holds(tree, capsys, changed, effect)


def test_policy_changes_block_fails_a_change_that_only_edits_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("README.md", "# app\n")
    tree.write(".mergeguard.yml", config_text(("detect-secrets",), "policy-changes: block\n"))
    tree.commit("base")
    tree.git("branch", "base")
    tree.write(".mergeguard.yml", config_text(("detect-secrets",), "policy-changes: warn\n"))
    tree.commit("relax")
    code, report, markdown = scan(tree, capsys, "--base", "base")
    assert code == 1 and report["verdict"] == "fail"
    assert "edits the gate's policy (.mergeguard.yml)" in report["reason"]
    assert report["policy_changes_block"] is True
    assert "[!CAUTION]" in markdown and "a required reviewer decides" in markdown


def test_warn_is_the_default_and_a_config_only_change_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("README.md", "# app\n")
    tree.write(".mergeguard.yml", config_text(("detect-secrets",)))
    tree.commit("base")
    tree.git("branch", "base")
    tree.write(".mergeguard.yml", config_text(("detect-secrets",), "# a comment\n"))
    tree.commit("comment")
    code, report, markdown = scan(tree, capsys, "--base", "base")
    assert code == 0, report["reason"]
    (change,) = report["policy_changes"]
    assert change == {
        "path": ".mergeguard.yml",
        "status": "modified",
        "effects": ["no setting changes (comments or layout only)"],
    }
    assert "[!IMPORTANT]" in markdown


def test_a_config_the_base_does_not_have_gives_the_defaults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("README.md", "# app\n")
    tree.commit("base")
    tree.git("branch", "base")
    tree.write(".mergeguard.yml", config_text((), "fail-on: critical\n"))
    tree.write(SECRET_FILE, f'AWS_KEY = "{KEY}"\n')
    tree.commit("add")
    code, report, _ = scan(tree, capsys, "--base", "base", "--scanners", "detect-secrets")
    assert code == 1 and report["fail_on"] == "high"
    assert report["policy_changes"][0]["status"] == "added"


def test_errors_name_the_copy_that_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write(".mergeguard.yml", "fail-on: high\npolicy-changes: sometimes\n")
    base = tree.commit("base")
    assert cli.main(["scan", str(tree.root), "--base", base]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"mergeguard: error: .mergeguard.yml (base {base[:7]}):2: policy-changes: "
        "must be one of warn, block, got 'sometimes'"
    ]
    tree.write(".mergeguard.yml", "fail-on: high\n")
    base = tree.commit("fixed")
    tree.write(".mergeguard.yml", "fail-on: loud\n")
    tree.commit("the change's config does not validate")
    assert cli.main(["scan", str(tree.root), "--base", base]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("mergeguard: error: .mergeguard.yml:1: fail-on: ")


def test_a_symlinked_config_in_the_change_is_not_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = repo(tmp_path, ("detect-secrets",))
    outside = tmp_path / "outside.yml"
    outside.write_text(config_text(()), encoding="utf-8")
    (tree.root / ".mergeguard.yml").unlink()
    (tree.root / ".mergeguard.yml").symlink_to(outside)
    tree.commit("link")
    code, report, _ = scan(tree, capsys, "--base", "base")
    assert code == 1, report["reason"]
    assert report["policy_changes"][0]["path"] == ".mergeguard.yml"


def test_the_action_reads_the_policy_at_the_base_and_says_so(tmp_path: Path) -> None:
    from tests.github_server import serving  # noqa: PLC0415 - the loopback API only for this test
    from tests.test_action_e2e import TOKEN, pr_event, run_action  # noqa: PLC0415

    tree = GitTree(tmp_path / "workspace")
    tree.write("README.md", "# app\n")
    tree.write(".mergeguard.yml", config_text(("detect-secrets",)))
    base = tree.commit("base")
    tree.write(".mergeguard.yml", config_text((), "policy-changes: block\n"))
    tree.write(SECRET_FILE, f'AWS_KEY = "{KEY}"\n')
    head = tree.commit("add credentials, switch the scanner off")
    with serving(TOKEN) as api:
        run = run_action(tree, api, "pull_request", pr_event(base, head), scanners="")
        (comment,) = api.comments_on(7)
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1] == "mergeguard: FAIL: 1 finding at or above high severity"
    summary = (tree.root.parent / "home" / "summary.md").read_text(encoding="utf-8")
    for text in (comment["body"], summary):
        assert "Policy change: this pull request edits 1 policy file" in text
        assert "turns scanner detect-secrets off" in text and "policy-changes: warn → block" in text
    for text in (run.stdout, run.stderr, comment["body"], summary):
        assert TOKEN not in text and KEY not in text


def test_bandit_settings_in_the_changes_pyproject_do_not_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pyproject.toml is scanned as the change wrote it, but Bandit runs with the base's [tool.bandit]."""
    tree = GitTree(tmp_path / "repo")
    tree.write(".mergeguard.yml", config_text(("bandit",)))
    tree.write(
        "pyproject.toml", '[project]\nname = "app"\nversion = "1"\n\n[tool.bandit]\nskips = ["B101"]\n'
    )
    tree.commit("base")
    tree.git("branch", "base")
    tree.write(
        "run.py", "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    )
    tree.write(
        "pyproject.toml",
        '[project]\nname = "app"\nversion = "2"\ndependencies = ["flask==2.0.0"]\n\n'
        '[tool.bandit]\nskips = ["B101", "B602"]\n',
    )
    tree.commit("shell out, quietly")
    code, report, _ = scan(tree, capsys, "--base", "base")
    assert code == 1, report["reason"]
    assert any(f["rule_id"] == "B602" and f["blocking"] for f in report["findings"])
    (change,) = report["policy_changes"]
    assert change["path"] == "pyproject.toml" and change["effects"] == [
        "changes Bandit's settings ([tool.bandit])"
    ]
    assert (tree.root / "pyproject.toml").read_text(encoding="utf-8").endswith('skips = ["B101", "B602"]\n')
    full, full_report, _ = scan(tree, capsys, "--all-files")
    assert full == 0, full_report["reason"]


@pytest.mark.parametrize(
    "written",
    [
        '[tool]\nbandit = { skips = ["B101", "B602"] }\n',  # an inline table: not swapped out exactly
        'tool.bandit.skips = ["B101", "B602"]\n',  # dotted keys
        '[tool.bandit\nskips = ["B602"]\n',  # not TOML: Bandit itself would stop on it
    ],
)
def test_bandit_settings_the_change_writes_in_another_form_do_not_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], written: str
) -> None:
    """When the base's [tool.bandit] cannot be put in the change's pyproject.toml, Bandit reads the
    base's copy laid beside the view: the change's skips are not applied to its own scan."""
    tree = GitTree(tmp_path / "repo")
    tree.write(".mergeguard.yml", config_text(("bandit",)))
    tree.write(
        "pyproject.toml", '[project]\nname = "app"\nversion = "1"\n\n[tool.bandit]\nskips = ["B101"]\n'
    )
    tree.write("check.py", "def check(x):\n    assert x\n")
    tree.commit("base")
    tree.git("branch", "base")
    tree.write(
        "run.py", "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    )
    tree.write("check.py", "def check(x):\n    assert x\n    assert not x is None\n")
    tree.write("pyproject.toml", '[project]\nname = "app"\nversion = "2"\n\n' + written)
    tree.commit("shell out, quietly")
    code, report, _ = scan(tree, capsys, "--base", "base")
    assert code == 1, report["reason"]
    assert [f["rule_id"] for f in report["findings"] if f["blocking"]] == ["B602"]
    assert not [f for f in report["findings"] if f["rule_id"] == "B101"]  # the base's skip still holds
    assert [s["status"] for s in report["scanners"] if s["name"] == "bandit"] == ["ok"]


@pytest.mark.parametrize(
    ("change", "base", "expected"),
    [
        (b'[project]\nname = "a"\n[tool.bandit]\nskips = ["B602"]\n', b"", b'[project]\nname = "a"\n'),
        (
            b'[tool.bandit]\nskips = ["B602"]\n[tool.ruff]\nline-length = 1\n',
            b'[tool.bandit]\nskips = ["B101"]\n',
            b'[tool.ruff]\nline-length = 1\n\n[tool.bandit]\nskips = ["B101"]\n',
        ),
        (b'[tool]\nbandit.skips = ["B602"]\n', b"", None),  # a dotted key: not rewritten exactly
        (b'tool = {bandit = {skips = ["B602"]}}\n', b"", None),
        (b"[tool.bandit\n", b"", None),  # not TOML
    ],
)
def test_the_changes_pyproject_gets_the_bases_bandit_table(
    change: bytes, base: bytes, expected: bytes | None
) -> None:
    from mergeguard.scanners.bandit import with_base_bandit  # noqa: PLC0415

    assert with_base_bandit(change, base) == expected


def test_what_the_change_wrote_is_inert_in_the_policy_section(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = repo(tmp_path, ("detect-secrets",))
    hostile = "<img src=x> @org-team [link](https://evil.example) ::error::pwn\n- item"
    entry = {"fingerprint": "0" * 32, "tool": "bandit", "rule": "B602", "path": "a|b.py", "reason": hostile}
    tree.write(".mergeguard-baseline.yml", json.dumps({"version": 1, "entries": [entry]}))
    tree.write(".trivyignore", "<script>alert(1)</script>\n")
    tree.commit("hostile policy text")
    code, report, markdown = scan(tree, capsys, "--base", "base")
    assert code == 1
    (accepts,) = next(c for c in report["policy_changes"] if c["path"] == ".mergeguard-baseline.yml")[
        "effects"
    ]
    assert accepts == f"accepts bandit B602 in a|b.py: {hostile}"  # JSON keeps the words as written
    section = markdown.split("Policy change", 1)[1].split("\nChanges <code>", 1)[0]
    for raw in ("<img", "<script", "@org-team", "](https", "a|b.py", "\n- item"):
        assert raw not in section
    assert "&#60;img src=x&#62;" in section and "&#60;script&#62;" in section


def test_forking_from_an_old_commit_does_not_bring_its_laxer_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The change's author picks its fork point; the policy is the base branch's as it stands now."""
    tree = GitTree(tmp_path / "repo")
    tree.write("README.md", "# app\n")
    tree.write(".mergeguard.yml", "exclude: ['**']\n")  # lax, once
    old = tree.commit("lax policy")
    tree.write(".mergeguard.yml", config_text(SECRET_SCANNERS))
    tree.commit("strict policy")
    tree.git("branch", "base")
    tree.git("checkout", "-q", "-b", "change", old)  # forks before the strict policy
    tree.write(SECRET_FILE, f'AWS_KEY = "{KEY}"\n')
    tree.commit("add credentials")
    code, report, _ = scan(tree, capsys, "--base", "base")
    assert code == 1, report["reason"]
    assert {f["path"] for f in report["findings"] if f["blocking"]} == {SECRET_FILE}
    assert report["policy_changes"] == []  # the change edits no policy file
