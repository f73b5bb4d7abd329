"""Every changed byte is seen: `.gitattributes` and NUL bytes do not hide a change's lines in PR mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.cli import main as cli
from mergeguard.core import changes
from mergeguard.core.filekinds import FileKind
from mergeguard.scan.scope_dir import scan_view
from tests.gitutil import GitTree

KEY = "AKIA" + "QYLPMN5HFIQR7XYZ"  # AWS-shaped (AKIA + 16 of A-Z2-7), split so no scanner flags this file
BASE_CODE = "import os\n\n\ndef main():\n    return os.getcwd()\n"

pytestmark = pytest.mark.scanner


@pytest.fixture
def tree(tmp_path: Path) -> GitTree:
    git = GitTree(tmp_path / "repo")
    git.write("app.py", BASE_CODE)
    git.commit("base")
    git.git("branch", "base")
    return git


def scan(tree: GitTree, capsys: pytest.CaptureFixture[str], scanners: str) -> tuple[int, dict[str, object]]:
    out = tree.root.parent / "r.json"
    code = cli.main(["scan", str(tree.root), "--base", "base", "--scanners", scanners, "--json", str(out)])
    printed = capsys.readouterr()
    assert KEY not in printed.out + printed.err + out.read_text(encoding="utf-8")
    return code, json.loads(out.read_text(encoding="utf-8"))


@pytest.mark.parametrize("attributes", ["*.py -diff\n", "*.py binary\n", "* -text -diff\n"])
def test_gitattributes_in_the_change_do_not_hide_its_lines(
    tree: GitTree, capsys: pytest.CaptureFixture[str], attributes: str
) -> None:
    tree.write(".gitattributes", attributes)
    tree.write("app.py", BASE_CODE + f'\nAWS_KEY = "{KEY}"\n')
    tree.commit("hide it")
    collected = changes.collect(tree.root, "base", [])
    app = collected.lookup("app.py")
    assert app is not None and app.lines == frozenset({6, 7})
    code, report = scan(tree, capsys, "detect-secrets,gitleaks")
    assert code == 1, report["reason"]
    found = {(f["path"], f["start_line"], f["status"]) for f in report["findings"]}  # type: ignore[attr-defined]
    assert ("app.py", 7, "new") in found
    tools = {t for f in report["findings"] for t in f["tools"]}  # type: ignore[attr-defined]
    assert tools == {"detect-secrets", "gitleaks"}  # Gitleaks reads the commits: --text there too


@pytest.mark.parametrize("scanner", ["detect-secrets", "trivy-secret"])
def test_a_nul_byte_does_not_hide_a_file_from_the_secret_scanners(
    tree: GitTree, capsys: pytest.CaptureFixture[str], scanner: str
) -> None:
    tree.write("notes.txt", b"\x00binary, honest\n" + f"aws_access_key_id = {KEY}\n".encode())
    tree.commit("a file git calls binary")
    collected = changes.collect(tree.root, "base", [])
    notes = collected.lookup("notes.txt")
    assert notes is not None and notes.lines == frozenset({1, 2})
    assert FileKind.ANY in notes.kinds  # a secret-scan target like any other file
    code, report = scan(tree, capsys, scanner)
    assert code == 1, report["reason"]
    found = {(f["path"], f["start_line"], f["status"]) for f in report["findings"]}  # type: ignore[attr-defined]
    assert ("notes.txt", 2, "new") in found


def test_the_view_turns_nul_bytes_of_text_into_spaces_and_leaves_real_binaries(tree: GitTree) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00"
    tree.write("logo.png", png)
    tree.write("notes.txt", b"a\x00b\nline two\n")
    tree.commit("two files git calls binary")
    with scan_view(changes.collect(tree.root, "base", [])) as view:
        assert (view / "logo.png").read_bytes() == png
        assert (view / "notes.txt").read_bytes() == b"a b\nline two\n"  # same lines and columns
    assert (tree.root / "notes.txt").read_bytes() == b"a\x00b\nline two\n"  # the tree is never touched
