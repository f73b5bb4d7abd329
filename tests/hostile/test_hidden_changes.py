"""Every changed byte is seen: `.gitattributes` and NUL bytes do not hide a change's lines in PR mode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


@pytest.mark.parametrize(
    "content",
    [
        'DOC = """\n++ b/docs/usage.txt\n"""\n',  # shown as `+++ b/docs/usage.txt` in the patch
        "# \x0c+++ b/nowhere\n",  # a form feed: a line break to Python, not to git
    ],
)
def test_an_added_line_that_reads_like_a_diff_header_hides_nothing_after_it(
    tree: GitTree, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    tree.write("app.py", BASE_CODE + content + f'AWS_KEY = "{KEY}"\n')
    tree.commit("a header in the content")
    code, report = scan(tree, capsys, "trivy-secret")
    assert code == 1, report["reason"]
    assert {(f["path"], f["status"]) for f in report["findings"]} == {("app.py", "new")}  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["back\\slash.py", "x\\..\\..\\y.py", "evil\u2028.py", "cfg\x85.py"])
def test_a_name_a_tool_or_python_could_misread_keeps_its_findings_in_the_change(
    tree: GitTree, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """A backslash is part of a Linux file's name (not a separator to turn into `/`, which took the
    file out of the change); U+2028 and U+0085 are in names git writes unquoted."""
    source = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    tree.write(name, f'{source}\nAWS_KEY = "{KEY}"\n')
    tree.commit("an odd name")
    code, report = scan(tree, capsys, "bandit,trivy-secret")
    assert code == 1, report["reason"]
    assert report["findings_out_of_scope"] == 0
    blocking = {(f["path"], f["rule_id"], f["status"]) for f in report["findings"] if f["blocking"]}  # type: ignore[attr-defined]
    assert blocking == {(name, "B602", "new"), (name, "aws-access-key-id", "new")}
    assert all(s["status"] == "ok" for s in report["scanners"] if s["name"] in ("bandit", "trivy-secret"))  # type: ignore[attr-defined]


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


def test_the_view_re_encodes_utf16_text_as_utf8(tree: GitTree) -> None:
    """Windows tools write UTF-16: its every other byte is NUL, so as spaces it read `a w s _ …`."""
    text = f"aws_access_key_id = {KEY}\r\nline two\r\n"
    tree.write("with-bom.txt", text.encode("utf-16"))  # a byte order mark, little-endian here
    tree.write("no-bom.txt", text.encode("utf-16-le"))
    tree.write("big-endian.txt", text.encode("utf-16-be"))
    tree.commit("UTF-16 files")
    with scan_view(changes.collect(tree.root, "base", [])) as view:
        for name in ("with-bom.txt", "no-bom.txt", "big-endian.txt"):
            assert (view / name).read_bytes() == text.encode("utf-8"), name


LATIN1 = "# Configuración de la base de datos\nspring.datasource.password=Xk9vB2mQ7pLw4Rt8zT\n"


def test_the_view_re_encodes_latin1_text_as_utf8_by_the_encoding_it_names(tree: GitTree) -> None:
    """Found on a real repository: Java's `.properties` are Latin-1, and detect-secrets skipped one. A
    file naming its encoding is decoded by that name, and the name it gives becomes utf-8 (a red team
    hid a password behind `# coding: latin-1`, which left the file as it was)."""
    tree.write("application.properties", LATIN1.encode("latin-1"))
    tree.write("legacy.py", "# -*- coding: latin-1 -*-\ncafé = 1\n".encode("latin-1"))
    word = "\u043f\u0430\u0440\u043e\u043b\u044c"  # "password" in Russian
    tree.write("cyrillic.txt", f"# coding: koi8-r\n{word} = 1\n".encode("koi8-r"))
    tree.commit("8-bit text")
    with scan_view(changes.collect(tree.root, "base", [])) as view:
        assert (view / "application.properties").read_bytes() == LATIN1.encode("utf-8")
        assert (view / "legacy.py").read_text(encoding="utf-8") == "# -*- coding: utf-8 -*-\ncafé = 1\n"
        assert (view / "cyrillic.txt").read_text(encoding="utf-8") == f"# coding: utf-8\n{word} = 1\n"
    assert (tree.root / "application.properties").read_bytes() == LATIN1.encode("latin-1")


def test_an_encoding_that_does_not_read_ascii_as_ascii_is_not_believed(tree: GitTree) -> None:
    """A red team declared `# coding: cp037` (EBCDIC) on a Latin-1 file: decoded by that name, its
    secrets became other characters and no secret scanner saw them. Such a name is Windows-1252."""
    for name, declaration in (("ebcdic.properties", "# coding: cp037\n"), ("wide.py", "# coding: utf-16\n")):
        tree.write(name, (declaration + LATIN1).encode("latin-1"))
    tree.commit("a declaration that lies")
    with scan_view(changes.collect(tree.root, "base", [])) as view:
        for name in ("ebcdic.properties", "wide.py"):
            text = (view / name).read_text(encoding="utf-8")
            assert "spring.datasource.password=Xk9vB2mQ7pLw4Rt8zT" in text, name


def test_a_file_utf16_only_in_its_head_is_not_decoded_as_utf16(tree: GitTree) -> None:
    """A red team wrote 8,000 bytes of UTF-16 and then plain text: decoded whole as UTF-16, the
    text became CJK characters. Its NUL bytes become spaces instead, and the text stays text."""
    head = ("# generated by a Windows tool\r\n" * 300).encode("utf-16-le")
    tree.write("app.properties", head + f"\naws_access_key_id = {KEY}\n".encode())
    tree.commit("UTF-16 at the top only")
    with scan_view(changes.collect(tree.root, "base", [])) as view:
        assert f"aws_access_key_id = {KEY}" in (view / "app.properties").read_text(encoding="utf-8")


@pytest.mark.parametrize("declaration", ["", "# file encoding: ISO-8859-1\n"])
def test_a_secret_in_latin1_text_is_found_by_detect_secrets(
    tree: GitTree, capsys: pytest.CaptureFixture[str], declaration: str
) -> None:
    tree.write("application.properties", (declaration + LATIN1).encode("latin-1"))
    tree.commit("a Latin-1 .properties")
    _, report = scan(tree, capsys, "detect-secrets")
    found = {(f["path"], f["start_line"], f["rule_id"]) for f in report["findings"]}  # type: ignore[attr-defined]
    line = 2 + declaration.count("\n")
    assert found == {("application.properties", line, "Secret Keyword")}  # medium alone: not blocking


def test_a_big_text_file_with_a_nul_byte_is_still_read_by_the_secret_scanners(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """Past 10 MB it was laid out as it is, and every secret scanner skipped it as binary."""
    filler = b"# padding line of a generated file, nothing to see here 0123456789\n" * 170_000  # 11.5 MB
    tree.write("dump.sql", b"\x00" + filler + f"aws_access_key_id = {KEY}\n".encode())
    tree.commit("a big file with a NUL")
    code, report = scan(tree, capsys, "trivy-secret")
    assert code == 1, report["reason"]
    assert {(f["path"], f["status"]) for f in report["findings"]} == {("dump.sql", "new")}  # type: ignore[attr-defined]


def test_the_changes_own_inline_suppressions_are_not_honoured_and_are_listed(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """`# nosec`, `pragma: allowlist secret`, `gitleaks:allow` on lines the change adds switched its
    findings off; like its config edits, they count once merged. Lines and columns stay."""
    tree.write(
        "app.py",
        "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)  # nosec\n"
        f'\nAWS_KEY = "{KEY}"  # pragma: allowlist secret gitleaks:allow\n',
    )
    tree.commit("suppressed by the change itself")
    code, report = scan(tree, capsys, "bandit,detect-secrets,gitleaks,trivy-secret")
    assert code == 1, report["reason"]
    blocking = {(f["rule_id"], f["start_line"]) for f in report["findings"] if f["blocking"]}  # type: ignore[attr-defined]
    assert ("B602", 5) in blocking and ("aws-access-key-id", 7) in blocking
    tools = {t for f in report["findings"] if f["start_line"] == 7 for t in f["tools"]}  # type: ignore[attr-defined]
    assert {"detect-secrets", "gitleaks", "trivy-secret"} <= tools
    changes_listed: list[dict[str, Any]] = report["policy_changes"]  # type: ignore[assignment]
    [listed] = changes_listed
    assert (listed["path"], listed["status"]) == ("app.py", "suppresses")
    assert [e.split(" (")[0] for e in listed["effects"]] == [
        "line 5 adds bandit's inline suppression",
        "line 7 adds detect-secrets's inline suppression",
        "line 7 adds gitleaks's inline suppression",
    ]


def test_inline_suppressions_already_at_the_base_keep_working(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    tree.write(
        "tool.py",
        "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)  # nosec\n",
    )
    tree.commit("accepted at the base")
    tree.git("branch", "-f", "base")
    tree.write(
        "tool.py",
        "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)  # nosec\n# x\n",
    )
    tree.commit("an unrelated line")
    code, report = scan(tree, capsys, "bandit")
    assert code == 0, report["reason"]
    assert report["policy_changes"] == []


def test_syntax_bandit_cannot_read_added_to_a_file_makes_its_skipped_file_finding_new(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """3.12 syntax appended (Bandit on 3.11 checks nothing in the file) is the change's: not pre-existing."""
    tree.write("app.py", BASE_CODE + "\ntype Cmd = str\n\n\ndef run(x: Cmd) -> int:\n    return x\n")
    tree.commit("newer syntax")
    code, report = scan(tree, capsys, "bandit")
    found = [(f["rule_id"], f["start_line"], f["end_line"], f["status"]) for f in report["findings"]]  # type: ignore[attr-defined]
    assert found == [("skipped-file", 1, 11, "new")]
    assert code == 1


def test_a_secret_committed_and_deleted_again_is_found_with_no_file_left_in_scope(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """The tree is back to the base, but the secret stays in the history the merge brings in."""
    secret = "aws_secret_access_key = " + "Tq9vXb2LmR7kP4sW8nZ3" + "yH6cJ1dF5gA0eU2iO7rQ"
    tree.write("creds.ini", f"[default]\naws_access_key_id = {KEY}\n{secret}\n")
    tree.commit("add credentials")
    tree.git("rm", "-q", "creds.ini")
    tree.commit("remove them again")
    assert changes.collect(tree.root, "base", []).files == ()
    code, report = scan(tree, capsys, "gitleaks")
    found = {(f["path"], f["status"]) for f in report["findings"]}  # type: ignore[attr-defined]
    assert found == {("creds.ini", "new")}
    assert code == 1


@pytest.mark.parametrize(
    ("path", "content", "scanners", "rule"),
    [
        (
            "bin/deploy",
            "#!/usr/bin/env python3\nimport subprocess\nsubprocess.call(input(), shell=True)\n",
            "bandit",
            "B602",
        ),
        ("deploy/api-Dockerfile", 'FROM ubuntu:22.04\nUSER root\nCMD ["bash"]\n', "trivy-config", "DS-0002"),
        ("docker/prod_Dockerfile", "FROM ubuntu:22.04\nRUN sudo rm -rf /tmp/cache\n", "hadolint", "DL3004"),
    ],
)
def test_code_under_a_name_its_scanner_would_not_pick_is_still_scanned(
    tree: GitTree, capsys: pytest.CaptureFixture[str], path: str, content: str, scanners: str, rule: str
) -> None:
    """A Python script without `.py` (run by its `#!`), a Dockerfile named for `docker build -f`."""
    tree.write(path, content)
    tree.commit("an unusual name")
    code, report = scan(tree, capsys, scanners)
    found = {(f["path"], f["rule_id"], f["status"]) for f in report["findings"]}  # type: ignore[attr-defined]
    assert (path, rule, "new") in found
    assert code == 1


def test_code_reached_through_a_link_into_an_excluded_place_is_scanned_under_the_links_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`src/helpers.py -> ../tests/fixtures/helpers.py`, the base excluding `tests/`: imported from the
    product, so judged as the product's (it passed: every scanner skipped, nothing in scope)."""
    git = GitTree(tmp_path / "repo")
    git.write(".mergeguard.yml", "exclude: ['tests/**']\n")
    git.write("app.py", BASE_CODE)
    git.commit("base")
    git.git("branch", "base")
    git.write(
        "tests/fixtures/helpers.py",
        "import subprocess\n\n\ndef run(x):\n    return subprocess.call(x, shell=True)\n",
    )
    (git.root / "src").mkdir()
    (git.root / "src" / "helpers.py").symlink_to("../tests/fixtures/helpers.py")
    git.commit("a helper, by a link")
    code, report = scan(git, capsys, "bandit")
    found = {(f["path"], f["rule_id"], f["status"]) for f in report["findings"]}  # type: ignore[attr-defined]
    assert ("src/helpers.py", "B602", "new") in found
    assert not any(path.startswith("tests/") for path, _, _ in found)
    assert code == 1
