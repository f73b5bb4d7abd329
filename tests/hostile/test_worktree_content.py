"""The lines a change touched are those of the file the scanners read, not of a blob a filter wrote.

Git LFS (any `.gitattributes` `filter=`) commits a pointer and checks the real file out: git's diff
of the pointers names three lines, while the scanners read the whole file. Such a file, or one edited
after the commit, is the change's on every line; a CRLF checkout of the committed text is not.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mergeguard.cli import main as cli
from mergeguard.core import changes
from tests.gitutil import GitTree

BASE_CODE = "import os\n\n\ndef ping(host):\n    return os.system('ping -c1 localhost')\n"
NEW_CODE = (
    "import subprocess\n\n\ndef ping(host):\n    return subprocess.call('ping -c1 ' + host, shell=True)\n"
)
POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 99\n".format("0" * 64)


@pytest.fixture
def tree(tmp_path: Path) -> GitTree:
    git = GitTree(tmp_path / "repo")
    git.write("app/net.py", BASE_CODE)
    git.commit("base")
    git.git("branch", "base")
    return git


def test_a_file_committed_through_a_filter_counts_every_line(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """An LFS-like clean filter commits a pointer: the diff shows three lines, the scanners read five."""
    pointer = tree.root.parent / "pointer"
    pointer.write_text(POINTER, encoding="utf-8")
    tree.git("config", "filter.lfs.clean", f"cat >/dev/null; cat '{pointer}'")
    tree.write(".gitattributes", "app/net.py filter=lfs diff=lfs merge=lfs -text\n")
    tree.write("app/net.py", NEW_CODE)
    tree.commit("into LFS")
    assert tree.git("show", "HEAD:app/net.py") == POINTER  # what git diffs
    net = changes.collect(tree.root, "base", []).lookup("app/net.py")
    assert net is not None and net.lines == frozenset(range(1, 6))
    out = tree.root.parent / "r.json"
    code = cli.main(["scan", str(tree.root), "--base", "base", "--scanners", "bandit", "--json", str(out)])
    capsys.readouterr()
    report = json.loads(out.read_text(encoding="utf-8"))
    assert code == 1, report["reason"]
    assert ("B602", 5, "new") in {(f["rule_id"], f["start_line"], f["status"]) for f in report["findings"]}


def test_a_file_edited_after_the_commit_counts_every_line(tree: GitTree) -> None:
    tree.write("app/net.py", BASE_CODE + "# x\n")
    tree.commit("a comment")
    tree.write("app/net.py", NEW_CODE + "# x\n")  # not committed: the diff does not hold it
    net = changes.collect(tree.root, "base", []).lookup("app/net.py")
    assert net is not None and net.lines == frozenset(range(1, 7))


def test_a_crlf_checkout_changes_only_the_lines_the_change_touched(tree: GitTree) -> None:
    tree.write(".gitattributes", "* text=auto eol=crlf\n")
    tree.commit("CRLF checkouts")
    tree.git("branch", "-f", "base")
    tree.write("app/net.py", BASE_CODE.replace("localhost", "127.0.0.1"))
    tree.commit("one line")
    (tree.root / "app/net.py").unlink()
    tree.git("checkout", "--", "app/net.py")
    assert (tree.root / "app/net.py").read_bytes().count(b"\r\n") == 5
    net = changes.collect(tree.root, "base", []).lookup("app/net.py")
    assert net is not None and net.lines == frozenset({5})
