"""A relative PATH or `--root` is made absolute: a report naming files absolutely lands in the repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mergeguard.cli.main import main
from mergeguard.scanners import commands
from tests.gitutil import GitTree

CODE = "import subprocess\nsubprocess.call(input(), shell=True)\n"


@pytest.fixture
def repo(tmp_path: Path) -> GitTree:
    """A branch whose one commit makes app.py run a shell command (Bandit B602, high)."""
    tree = GitTree(tmp_path / "repo")
    tree.write("app.py", "x = 1\n")
    tree.commit("base")
    tree.git("branch", "base")
    tree.write("app.py", CODE)
    tree.commit("shell")
    return tree


def bandit_report(scanned: Path, out: Path) -> Path:
    """What `bandit -r "$PWD"` writes in CI: every file name absolute."""
    exe = commands.find_executable("bandit")
    if exe is None:
        pytest.skip("bandit is not installed")
    argv = [exe, "-r", str(scanned), "-f", "json", "-o", str(out), "-q", "--exit-zero"]
    subprocess.run(argv, check=True, capture_output=True)
    assert f'"{scanned}/app.py"' in out.read_text()
    return out


@pytest.mark.scanner
def test_pr_mode_on_a_relative_path_gates_on_an_absolute_report(
    repo: GitTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    report = bandit_report(repo.root, tmp_path / "bandit.json")
    monkeypatch.chdir(repo.root)
    out = tmp_path / "r.json"
    argv = ["scan", ".", "--base", "base", "--scanners", "none", "--report", f"bandit={report}"]
    assert main([*argv, "--json", str(out)]) == 1, capsys.readouterr().out
    data = json.loads(out.read_text())
    assert {(f["path"], f["rule_id"]) for f in data["findings"]} == {("app.py", "B404"), ("app.py", "B602")}
    assert data["findings_out_of_scope"] == 0


@pytest.mark.scanner
@pytest.mark.parametrize("scanned", ["link", "repo"])
@pytest.mark.parametrize("root", ["", "--root link", "--root repo"])  # "": the default, `.`
def test_convert_places_absolute_paths_under_a_symlinked_root(
    repo: GitTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scanned: str, root: str
) -> None:
    """A checkout reached through a symlink: the report may name either spelling of it."""
    (tmp_path / "link").symlink_to(repo.root)
    report = bandit_report(tmp_path / scanned, tmp_path / "bandit.json")
    monkeypatch.chdir(tmp_path if root else tmp_path / "link")
    out = tmp_path / "c.json"
    assert main(["convert", "--tool", "bandit", str(report), *root.split(), "--json", str(out)]) == 0
    assert {f["path"] for f in json.loads(out.read_text())["findings"]} == {"app.py"}
