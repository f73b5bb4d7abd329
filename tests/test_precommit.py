"""`mergeguard precommit`: the index's content under HEAD's policy, and the hook run by pre-commit itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mergeguard.cli import main as cli
from tests.gitutil import GitTree

REPO = Path(__file__).resolve().parent.parent
SECRET = 'import subprocess\nAWS_KEY = "AKIAIOSFODNN7EXAMPLF"\nsubprocess.call("ls", shell=True)\n'
SCANNERS = "gitleaks,detect-secrets,bandit"


def _tree(tmp_path: Path) -> GitTree:
    tree = GitTree(tmp_path / "repo")
    tree.write("ok.py", "print(1)\n")
    tree.commit("init")
    return tree


def _precommit(tree: GitTree, tmp_path: Path, *extra: str) -> tuple[int, dict[str, object]]:
    out = tmp_path / "report.json"
    code = cli.main(["precommit", str(tree.root), "--scanners", SCANNERS, "--json", str(out), *extra])
    return code, json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}


def _paths(report: dict[str, object]) -> set[str]:
    findings = report["findings"]
    assert isinstance(findings, list)
    return {f["path"] for f in findings}


@pytest.mark.scanner
def test_the_staged_secret_fails_though_the_work_tree_is_clean(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    tree.write("app.py", SECRET)
    tree.git("add", "app.py")
    tree.write("app.py", "print(2)\n")  # the work tree no longer has it: the commit would
    tree.write("loose.py", SECRET)  # never staged: not part of the commit
    code, report = _precommit(tree, tmp_path)
    assert code == 1
    assert _paths(report) == {"app.py"}
    assert report["verdict"] == "fail"


@pytest.mark.scanner
def test_a_clean_index_passes_though_the_work_tree_has_a_secret(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    tree.write("app.py", "print(2)\n")
    tree.git("add", "app.py")
    tree.write("app.py", SECRET)
    code, report = _precommit(tree, tmp_path)
    assert code == 0
    assert _paths(report) == set()


@pytest.mark.scanner
def test_heads_config_decides_not_the_staged_one(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    tree.write(".mergeguard.yml", "fail-on: critical\n")
    tree.commit("policy")
    tree.write(".mergeguard.yml", "fail-on: info\n")  # staged, not yet HEAD's: not the policy
    tree.write("app.py", 'import subprocess\nsubprocess.call("ls", shell=True)\n')  # Bandit: high at most
    tree.git("add", "-A")
    code, report = _precommit(tree, tmp_path)
    assert report["fail_on"] == "critical"
    assert code == 0


def test_nothing_staged_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = _tree(tmp_path)
    tree.write("loose.py", SECRET)
    assert cli.main(["precommit", str(tree.root)]) == 0
    assert "nothing staged" in capsys.readouterr().out


def test_outside_a_repository_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["precommit", str(tmp_path)]) == 2
    assert "needs a git repository" in capsys.readouterr().err


def _hook_repo(tmp_path: Path) -> tuple[Path, str]:
    """A committed copy of what pre-commit installs from this repository (its manifest and package)."""
    copy = tmp_path / "hook-repo"
    copy.mkdir()
    for name in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copy2(REPO / name, copy / name)
    shutil.copytree(REPO / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    hook = GitTree(copy)
    hook.commit("hook")
    return copy, hook.git("rev-parse", "HEAD").strip()


@pytest.mark.scanner
@pytest.mark.skipif(
    shutil.which("pre-commit", path=str(Path(sys.executable).parent)) is None, reason="no pre-commit"
)
def test_the_hook_blocks_a_staged_secret_through_pre_commit(tmp_path: Path) -> None:
    """pre-commit installs the hook from its manifest (PyPI: the package index is reachable) and runs it."""
    hook_repo, _ = _hook_repo(tmp_path)
    tree = _tree(tmp_path)
    tree.write("app.py", SECRET)
    tree.git("add", "app.py")
    pre_commit = str(Path(sys.executable).parent / "pre-commit")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    argv = [pre_commit, "try-repo", str(hook_repo), "mergeguard-secrets", "--verbose"]
    done = subprocess.run(argv, cwd=tree.root, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "app.py:2" in done.stdout
    assert "AKIAIOSFODNN7EXAMPLF" not in done.stdout  # the secret itself is never printed
    tree.git("rm", "-q", "--cached", "app.py")
    tree.write("clean.py", "print(3)\n")
    tree.git("add", "clean.py")
    done = subprocess.run(argv, cwd=tree.root, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
