"""What is in scope: changed files, changed lines, classification, excludes."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from mergeguard.cli import main as cli
from mergeguard.core import basekinds, changes, gitrepo, links
from mergeguard.core.errors import ScannerError, UsageError
from mergeguard.core.filekinds import FileKind, classify
from mergeguard.core.gitdiff import unquote_c_style
from tests.gitutil import GitTree, with_user_git_config


@pytest.fixture
def tree(tmp_path: Path) -> GitTree:
    repo = GitTree(tmp_path / "repo")
    repo.write("app.py", "import os\n\n\ndef main():\n    return os.getcwd()\n")
    repo.write("Dockerfile", "FROM python:3.11-slim\nCMD python\n")
    repo.write("gone.txt", "to be deleted\n")
    repo.write("old name.py", "x = 1\ny = 2\n")
    repo.commit("base")
    repo.git("branch", "base")
    return repo


def test_changed_files_follow_renames_ignore_deletions_and_keep_binaries(tree: GitTree) -> None:
    tree.write("app.py", "import os\n\nimport sys\n\ndef main():\n    return os.getcwd()\n")
    (tree.root / "gone.txt").unlink()
    tree.git("mv", "old name.py", "new näme.py")
    tree.write("-dash.py", "print(1)\n")
    tree.write("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00binary\x00")
    tree.commit("pr")
    result = changes.collect(tree.root, "base", [])
    # a binary file stays in scope (for the secret scanners): a NUL byte must not hide a secret
    assert [f.path for f in result.files] == ["-dash.py", "app.py", "logo.png", "new näme.py"]
    assert result.lookup("app.py") is not None
    assert result.lookup("app.py").lines == frozenset({3})  # type: ignore[union-attr]
    assert result.lookup("new näme.py").lines == frozenset()  # type: ignore[union-attr]


def test_changed_lines_of_a_path_with_spaces_and_odd_characters(tree: GitTree) -> None:
    name = "api/@org team <img>%0A::x.py"
    tree.write(name, "a = 1\nb = 2\n")
    tree.write('quo"te\\d.py', "c = 3\n")
    tree.commit("odd names")
    result = changes.collect(tree.root, "base", [])
    assert result.lookup(name).lines == frozenset({1, 2})  # type: ignore[union-attr]
    assert result.lookup('quo"te\\d.py').lines == frozenset({1})  # type: ignore[union-attr]
    assert result.commit_range is not None and result.commit_range.count == 1


def test_an_added_line_that_reads_like_a_file_header_is_content(tree: GitTree) -> None:
    """`++ b/docs.txt` added to a file shows as `+++ b/docs.txt` in the patch: read as a header, the
    lines after it were credited to another file and a new `shell=True` looked pre-existing."""
    tree.write("app.py", 'import os\n"""\n++ b/docs.txt\n\x0c+++ b/nowhere\n"""\nos.system("x")\n')
    tree.commit("pr")
    result = changes.collect(tree.root, "base", [])
    assert result.lookup("app.py").lines == frozenset({2, 3, 4, 5, 6})  # type: ignore[union-attr]
    assert [f.path for f in result.files] == ["app.py"]


@pytest.mark.parametrize(
    "name", ["evil\u2028.py", "cfg\x85.py", "form\x0cfeed.py", "v\x0btab.py", "r\x1eec.py"]
)
def test_a_name_with_a_character_python_splits_lines_at_keeps_its_lines(tree: GitTree, name: str) -> None:
    """git writes these unquoted (or quoted, for controls); only `\\n` ends a patch line."""
    tree.write(name, "a = 1\nb = 2\n")
    tree.commit("pr")
    assert changes.collect(tree.root, "base", []).lookup(name).lines == frozenset({1, 2})  # type: ignore[union-attr]


def test_a_users_git_config_does_not_change_the_lines_read(
    tree: GitTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `diff.noprefix` in a developer's ~/.gitconfig the patch read `+++ app.py`, no `b/`: every
    edit of an existing file read as pre-existing (a new os.system passed unseen). Colour,
    `diff.interHunkContext` and GIT_DIFF_OPTS (which overrides -U0) change the patch too."""
    with_user_git_config(monkeypatch, tmp_path / "home")
    monkeypatch.setenv("GIT_DIFF_OPTS", "-u3")
    tree.write("app.py", "import os\nimport sys\n\n\ndef main():\n    return os.system('x')\n")
    tree.commit("pr")
    result = changes.collect(tree.root, "base", [])
    assert result.lookup("app.py").lines == frozenset({2, 6})  # type: ignore[union-attr]


def test_a_file_moved_out_of_an_excluded_place_is_the_changes_every_line(tree: GitTree) -> None:
    """Moved as it is, a file keeps its lines (a rename adds none): out of `tests/fixtures/**`, which
    nobody judged, into the code, every line is the change's. A move between judged places is not."""
    tree.write("tests/fixtures/vuln.py", "import os\nos.system(input())\n")
    tree.commit("a fixture")
    tree.git("branch", "-f", "base")
    (tree.root / "src").mkdir()
    tree.git("mv", "tests/fixtures/vuln.py", "src/run.py")
    tree.git("mv", "app.py", "src/app.py")
    tree.commit("move them")
    result = changes.collect(tree.root, "base", ["tests/fixtures/**"])
    assert result.lookup("src/run.py").lines == frozenset({1, 2})  # type: ignore[union-attr]
    assert result.lookup("src/app.py").lines == frozenset()  # type: ignore[union-attr]


def test_a_file_moved_into_a_scanned_directory_from_outside_it_is_the_changes(tree: GitTree) -> None:
    """`services/api` of a monorepo scanned alone: a file moved in from `services/legacy` was never
    judged by this scan, as one moved out of an excluded place, so it counts as added (its old name,
    outside the directory, was kept and looked up at `services/api/services/legacy/run.py`). Scanned
    from the top, the same move is a rename."""
    tree.write("services/legacy/run.py", "import subprocess\nsubprocess.call(input(), shell=True)\n")
    tree.write("services/api/main.py", "print('api')\n")
    tree.commit("a monorepo")
    tree.git("branch", "-f", "base")
    tree.git("mv", "services/legacy/run.py", "services/api/run.py")
    tree.commit("fold legacy into api")
    alone = changes.collect(tree.root / "services/api", "base", []).lookup("run.py")
    assert alone is not None and (alone.lines, alone.origin, alone.added) == (frozenset({1, 2}), None, True)
    whole = changes.collect(tree.root, "base", []).lookup("services/api/run.py")
    assert whole is not None and (whole.lines, whole.origin, whole.added) == (
        frozenset(),
        "services/legacy/run.py",
        False,
    )


SCRIPT = '#!/usr/bin/env python3\nimport os, sys\nos.system("rotate " + sys.argv[1])\n'
MANIFEST = "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"


@pytest.mark.parametrize("batch", [1_000, 2])
def test_a_file_renamed_or_made_executable_into_a_kind_gains_it(
    tree: GitTree, batch: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kind its old name, mode and content did not give it: no scanner of it judged the base's copy.
    A file renamed within its kind, or a manifest edited, gains nothing. The base is asked in batches
    (more renamed names than one command line holds)."""
    monkeypatch.setattr(basekinds, "_BATCH", batch)
    tree.write("notes/build.txt", "FROM ubuntu\nRUN sudo apt-get install -y curl\n")
    tree.write("tools/run_py.txt", "import subprocess\n")
    tree.write("scripts/rotate.run", SCRIPT)
    tree.write("deploy/pod.yaml", MANIFEST)
    tree.write("deploy/notes.yaml", "owner: ops\n")
    tree.commit("kept under other names")
    tree.git("branch", "-f", "base")
    tree.git("mv", "notes/build.txt", "Dockerfile.api")
    tree.git("mv", "tools/run_py.txt", "tools/run.py")
    tree.git("mv", "app.py", "src_app.py")
    (tree.root / "scripts/rotate.run").chmod(0o755)
    tree.write("deploy/pod.yaml", MANIFEST + "spec: {}\n")
    tree.write("deploy/notes.yaml", MANIFEST)
    tree.commit("promote them")
    result = changes.collect(tree.root, "base", [])
    gained = {f.path: f.gained for f in result.files}
    assert gained == {
        "Dockerfile.api": {FileKind.DOCKERFILE},
        "tools/run.py": {FileKind.PYTHON},
        "scripts/rotate.run": {FileKind.PYTHON},
        "deploy/notes.yaml": {FileKind.IAC},
        "src_app.py": frozenset(),
        "deploy/pod.yaml": frozenset(),
    }


def test_a_link_reaching_content_the_base_held_under_another_name_gains_its_kinds(tree: GitTree) -> None:
    """`Dockerfile.web -> build/spec`, dangling at the base, `notes/build.txt` moved to `build/spec`:
    no Dockerfile scanner read that content (a red team's findings read as pre-existing). A link that
    led to its target already, the target edited in place, gains nothing."""
    tree.write("notes/build.txt", "FROM ubuntu\nRUN sudo apt-get install -y curl\n")
    tree.write("docker/api.Dockerfile", "FROM ubuntu\n")
    (tree.root / "Dockerfile.web").symlink_to("build/spec")
    (tree.root / "api.Dockerfile").symlink_to("docker/api.Dockerfile")
    tree.commit("a dangling link, and one to a Dockerfile")
    tree.git("branch", "-f", "base")
    (tree.root / "build").mkdir()
    tree.git("mv", "notes/build.txt", "build/spec")
    tree.write("docker/api.Dockerfile", "FROM ubuntu\nUSER app\n")
    tree.commit("fill the link's target")
    gained = {f.path: f.gained for f in changes.collect(tree.root, "base", []).files}
    assert gained["Dockerfile.web"] == {FileKind.DOCKERFILE}
    assert gained["api.Dockerfile"] == frozenset()


def test_a_submodule_is_listed_as_not_scanned_when_bumped_and_in_a_full_scan(
    tree: GitTree, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No scanner reads another repository's code: a bump that adds a key there changes no file here,
    and the reports say the submodule was not scanned (even when the change's `.gitmodules` says
    `ignore = all`); an excluded one is not listed."""
    lib = GitTree(tmp_path / "lib")
    lib.write("lib.py", "print('hi')\n")
    lib.commit("v1")
    for path in ("vendor/lib", "third_party/lib"):
        tree.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib.root), path)
    tree.commit("vendor it")
    tree.git("branch", "-f", "base")
    lib.write("keys.py", 'KEY = "AKIAQ4ZR7XK2MB5NWT3J"\n')
    lib.commit("v2")
    for path in ("vendor/lib", "third_party/lib"):
        tree.git("-C", path, "pull", "-q", str(lib.root), "main")
    tree.git("config", "-f", ".gitmodules", "submodule.vendor/lib.ignore", "all")
    tree.commit("bump")
    assert changes.collect(tree.root, "base", ["third_party/**"]).submodules == ("vendor/lib",)
    assert changes.collect(tree.root, None, []).submodules == ("third_party/lib", "vendor/lib")
    out = tmp_path / "r.json"
    argv = ["scan", str(tree.root), "--base", "base", "--scanners", "bandit", "--json", str(out)]
    assert cli.main(argv) == 0
    assert "Not scanned: 2 submodules (another repository's code" in capsys.readouterr().out
    assert json.loads(out.read_text(encoding="utf-8"))["submodules_not_scanned"] == [
        "third_party/lib",
        "vendor/lib",
    ]


def test_a_directory_of_submodules_alone_says_so(tree: GitTree, tmp_path: Path) -> None:
    """Nothing to scan, and why: what is there is other repositories' code."""
    lib = GitTree(tmp_path / "lib")
    lib.write("lib.py", "print('hi')\n")
    lib.commit("v1")
    tree.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib.root), "vendor/lib")
    tree.commit("vendor it")
    with pytest.raises(UsageError, match=r"nothing to scan: only submodules \(lib\), which no scanner reads"):
        changes.collect(tree.root / "vendor", None, [])


def test_merge_base_is_used_not_the_base_tip(tree: GitTree) -> None:
    tree.git("checkout", "-q", "-b", "feature")
    tree.write("feature.py", "a = 1\n")
    tree.commit("feature")
    tree.git("checkout", "-q", "base")
    tree.write("later-on-base.py", "b = 2\n")
    tree.commit("base moves on")
    tree.git("checkout", "-q", "feature")
    result = changes.collect(tree.root, "base", [])
    assert [f.path for f in result.files] == ["feature.py"]


def test_all_files_takes_tracked_regular_files_only(tree: GitTree) -> None:
    (tree.root / "link.py").symlink_to("/etc/passwd")
    tree.commit("add a symlink")
    (tree.root / "untracked.py").write_text("u = 1\n")
    result = changes.collect(tree.root, None, [])
    assert [f.path for f in result.files] == ["Dockerfile", "app.py", "gone.txt", "old name.py"]
    assert all(f.lines is None for f in result.files)


def test_a_link_inside_the_repository_is_scanned_under_its_name_and_one_out_is_not(tree: GitTree) -> None:
    tree.write("lib/real.py", "r = 1\n")
    (tree.root / "lib" / "util.py").symlink_to("../app.py")
    (tree.root / "vendored").symlink_to("lib")  # a directory link: each file under it, links followed
    (tree.root / "passwd.py").symlink_to("/etc/passwd")
    (tree.root / "git.cfg").symlink_to(".git/config")
    tree.commit("links")
    result = changes.collect(tree.root, None, [])
    assert [f.path for f in result.files if "/" in f.path] == [
        "lib/real.py",
        "lib/util.py",
        "vendored/real.py",
        "vendored/util.py",
    ]
    assert not {"passwd.py", "git.cfg"} & {f.path for f in result.files}


def test_in_pr_mode_a_link_brings_the_lines_of_its_target(tree: GitTree) -> None:
    """A new link counts every line; an old link counts the lines the change touched behind it,
    even when its target sits in an excluded place."""
    tree.write("tests/fixtures/evil.py", "a = 1\n")
    (tree.root / "src").mkdir()
    (tree.root / "src" / "old_link.py").symlink_to("../tests/fixtures/evil.py")
    tree.commit("an innocent link")
    tree.git("branch", "-f", "base")
    (tree.root / "src" / "new_link.py").symlink_to("../app.py")
    tree.write("tests/fixtures/evil.py", "a = 1\nimport os\nos.system(input())\n")
    tree.commit("evil behind the old link")
    result = changes.collect(tree.root, "base", ["tests/**"])
    lines = {f.path: f.lines for f in result.files}
    assert lines["src/old_link.py"] == frozenset({2, 3})
    assert lines["src/new_link.py"] == frozenset(
        range(1, 1 + len((tree.root / "app.py").read_text().splitlines()))
    )
    assert "tests/fixtures/evil.py" not in lines


def test_subdirectory_scan_is_relative_to_it(tree: GitTree) -> None:
    tree.write("svc/api/Dockerfile", "FROM scratch\n")
    tree.commit("svc")
    result = changes.collect(tree.root / "svc", "base", [])
    assert [f.path for f in result.files] == ["api/Dockerfile"]
    assert result.repo is not None and result.repo.prefix == "svc/"


def test_excludes_are_listed_not_scanned(tree: GitTree) -> None:
    tree.write("examples/demo/app.py", "x = 1\n")
    tree.write("vendor/lib/Dockerfile", "FROM scratch\n")
    tree.commit("more")
    result = changes.collect(tree.root, None, ["examples/**", "Dockerfile"])
    assert "examples/demo/app.py" in result.excluded
    assert {"Dockerfile", "vendor/lib/Dockerfile"} <= set(result.excluded)
    assert [f.path for f in result.files] == ["app.py", "gone.txt", "old name.py"]


def test_unknown_base_names_the_fetch_depth_fix(tree: GitTree) -> None:
    with pytest.raises(UsageError, match="fetch-depth: 0"):
        changes.collect(tree.root, "origin/main", [])


def test_shallow_clone_without_the_base_commit_names_the_fix(tree: GitTree, tmp_path: Path) -> None:
    tree.write("a.py", "a = 1\n")
    tree.commit("second")
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{tree.root}", str(clone)],
        check=True,
        capture_output=True,
    )
    with pytest.raises(UsageError, match="fetch-depth: 0"):
        changes.collect(clone, "HEAD~1", [])


def test_base_needs_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("a = 1\n")
    with pytest.raises(UsageError, match="needs a git repository"):
        changes.collect(tmp_path, "main", [])
    assert [f.path for f in changes.collect(tmp_path, None, []).files] == ["a.py"]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("Dockerfile", FileKind.DOCKERFILE),
        ("svc/Containerfile", FileKind.DOCKERFILE),
        ("Dockerfile.prod", FileKind.DOCKERFILE),
        ("api.dockerfile", FileKind.DOCKERFILE),
        ("deploy/api-Dockerfile", FileKind.DOCKERFILE),  # what `docker build -f` is given
        ("docker/prod_Dockerfile", FileKind.DOCKERFILE),
        ("Dockerfile-windows", FileKind.DOCKERFILE),
        ("Containerfile", FileKind.DOCKERFILE),
        ("docker-compose.yml", FileKind.COMPOSE),
        ("compose.prod.yaml", FileKind.COMPOSE),
        ("deploy/docker-stack.yml", FileKind.COMPOSE),  # a swarm stack: the compose format
        ("docker-stack.prod.yaml", FileKind.COMPOSE),
        ("src/app.py", FileKind.PYTHON),
        ("requirements-dev.txt", FileKind.PY_REQUIREMENTS),
        ("requirements/base.in", FileKind.PY_REQUIREMENTS),
        ("poetry.lock", FileKind.PY_REQUIREMENTS),
        ("infra/main.tf", FileKind.IAC),
        (".github/workflows/ci.yml", FileKind.IAC),
    ],
)
def test_classify(path: str, kind: FileKind) -> None:
    assert kind in classify(path)
    assert FileKind.ANY in classify(path)


@pytest.mark.parametrize(
    "path",
    [
        "src/dockerfile.py",
        "docs/Dockerfile.md",
        "dockerfile_test.go",
        "Dockerfile.json",
        "Dockerfile.dockerignore",
        "mydockerfile",
        *("Dockerfile-windows.template", "Dockerfile.j2", "Dockerfile.tmpl", "alpine.Dockerfile.in"),
    ],
)
def test_code_and_templates_named_after_dockerfiles_are_not_one(path: str) -> None:
    """A template (docker-library's `Dockerfile-linux.template`) is not buildable: hadolint calls it
    unparseable, a blocking false alarm."""
    assert FileKind.DOCKERFILE not in classify(path)


@pytest.mark.parametrize(
    ("head", "python"),
    [
        (b"#!/usr/bin/env python3\nimport os\n", True),
        (b"#!/usr/bin/python3.12 -u\n", True),
        (b"#!/usr/bin/env -S uv run --script\n", True),  # PEP 723
        (b"#!/usr/bin/env pypy3\n", True),
        (b"#!/bin/sh\nexec python3 x.py\n", False),
        (b"#!/usr/bin/env pythonista\n", False),
        (b"print('no shebang')\n", False),
    ],
)
def test_a_script_without_extension_is_python_by_its_shebang(head: bytes, python: bool) -> None:
    assert (FileKind.PYTHON in classify("bin/deploy", head)) is python
    assert (FileKind.PYTHON in classify("cgi-bin/ping.cgi", head)) is python
    assert FileKind.PYTHON not in classify("bin/deploy.sh")  # an extension decides unless its head was read
    assert FileKind.PYTHON not in classify("k8s/app.yaml", head)


@pytest.mark.scanner
def test_python_scripts_named_for_cgi_or_executable_are_python(
    tree: GitTree, capsys: pytest.CaptureFixture[str]
) -> None:
    """Red team: `cgi-bin/ping.cgi` with a Python `#!` line was "no files of kind python": only a name
    without a `.` had its first line read. A script's suffix where that line decides (`.cgi`, `.fcgi`)
    and an executable file (`./tool.sh` runs what its `#!` names) are read; other files are not."""
    script = (
        '#!/usr/bin/env python3\nimport subprocess, sys\nsubprocess.call("ping " + sys.argv[1], shell=True)\n'
    )
    tree.write("cgi-bin/ping.cgi", script)
    tree.write("bin/tool.sh", script).chmod(0o755)
    tree.write("docs/example.sh", script)  # not executable: `sh docs/example.sh` runs a shell
    tree.commit("scripts")
    kinds = {f.path: f.kinds for f in changes.collect(tree.root, "base", []).files}
    assert FileKind.PYTHON in kinds["cgi-bin/ping.cgi"] and FileKind.PYTHON in kinds["bin/tool.sh"]
    assert FileKind.PYTHON not in kinds["docs/example.sh"]
    out = tree.root.parent / "r.json"
    assert (
        cli.main(["scan", str(tree.root), "--base", "base", "--scanners", "bandit", "--json", str(out)]) == 1
    )
    found = {(f["path"], f["rule_id"]) for f in json.loads(out.read_text(encoding="utf-8"))["findings"]}
    assert {("cgi-bin/ping.cgi", "B602"), ("bin/tool.sh", "B602")} <= found


def test_yaml_is_iac_only_with_a_manifest_marker() -> None:
    assert FileKind.IAC in classify("k8s/deploy.yaml", b"apiVersion: apps/v1\nkind: Deployment\n")
    assert FileKind.IAC not in classify("config/settings.yaml", b"debug: true\n")
    assert classify("notes.txt") == frozenset({FileKind.ANY})


def test_a_manifest_is_iac_in_json_and_behind_any_number_of_comment_lines(tmp_path: Path) -> None:
    """A pod in JSON, or behind 70 comment lines (past any fixed head), is still for the IaC scanners."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}
    (tmp_path / "pod.json").write_text(json.dumps(pod))
    (tmp_path / "padded.yaml").write_text("# padding " * 700 + "\napiVersion: v1\nkind: Pod\n")
    (tmp_path / "across.yaml").write_text("#" * ((1 << 20) - 5) + "\napiVersion: v1\n")  # across two blocks
    (tmp_path / "settings.json").write_text('{"debug": true}')
    (tmp_path / "flow.yaml").write_text("{apiVersion: v1, kind: Pod, metadata: {name: p}}\n")
    (tmp_path / "quoted.yaml").write_text("'apiVersion': v1\n'kind': Pod\n")
    (tmp_path / "stack.json").write_text(
        '{"Resources": {"B": {"Type": "AWS::S3::Bucket"}}}'
    )  # no version key
    found = {f.path: FileKind.IAC in f.kinds for f in changes.collect(tmp_path, None, []).files}
    assert found == {
        **dict.fromkeys(
            ("pod.json", "padded.yaml", "across.yaml", "flow.yaml", "quoted.yaml", "stack.json"), True
        ),
        "settings.json": False,
    }


@pytest.mark.parametrize(
    ("patterns", "path", "matched"),
    [
        (["examples/**"], "examples/a/b.py", True),
        (["examples"], "examples/a/b.py", True),
        (["examples/*.py"], "examples/a/b.py", False),
        (["*.md"], "docs/deep/x.md", True),
        (["docs/*.md"], "docs/deep/x.md", False),
        (["**/fixtures/**"], "tests/fixtures/x", True),
        # `**/` spans any number of directories, none included, not just one.
        (["**/fixtures/**"], "a/b/c/fixtures/x", True),
        (["src/**/gen.py"], "src/gen.py", True),
        (["src/**/gen.py"], "src/a/b/c/gen.py", True),
        (["**/secret.txt"], "deep/er/still/secret.txt", True),
        (["src/**/gen.py"], "lib/src/a/gen.py", False),
        (["tests/fixtures/"], "tests/fixtures/a/b", True),
        (["a?.py"], "ab.py", True),
        (["a?.py"], "a/b.py", False),
        # A leading `/` or `./` is the top of the repository only, as in a .gitignore (a real config's
        # `/build` excluded the product code in app/build/ too).
        (["/build"], "build/out.txt", True),
        (["/build"], "app/build/deploy.py", False),
        (["./examples/**"], "examples/a.py", True),
        (["./examples/**"], "lib/examples/a.py", False),
        (["/*.md"], "docs/x.md", False),
        (["[Tt]ests/"], "Tests/a.py", True),
        (["[Tt]ests/"], "app/tests/a.py", True),
        (["[Tt]ests/"], "tests2/a.py", False),
        (["log[!0-9].txt"], "logs.txt", True),
        (["log[!0-9].txt"], "log1.txt", False),
    ],
)
def test_exclude_globs(patterns: list[str], path: str, matched: bool) -> None:
    assert changes.compile_globs(patterns)(path) is matched


def test_git_c_style_quoting_is_undone() -> None:
    assert unquote_c_style('"a\\"b\\\\c\\td"') == 'a"b\\c\td'
    assert unquote_c_style('"caf\\303\\251.py"') == "café.py"


def test_commit_count_counts_only_commits_that_add_text(tree: GitTree) -> None:
    tree.write("feature.py", "a = 1\n")
    tree.commit("adds text")
    tree.git("mv", "feature.py", "renamed.py")
    tree.commit("pure rename")
    tree.commit("empty")
    tree.write("image.bin", b"\x00\x01\x02")
    tree.commit("binary only")
    (tree.root / "gone.txt").unlink()
    tree.commit("deletion only")
    result = changes.collect(tree.root, "base", [])
    assert result.commit_range is not None
    assert result.commit_range.count == 1


def test_a_full_scan_of_nothing_is_an_error_not_a_pass(tmp_path: Path) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("untracked.py", "x = 1\n")
    with pytest.raises(UsageError, match="no files tracked by git"):
        changes.collect(tree.root, None, [])
    tree.commit("now tracked")
    with pytest.raises(UsageError, match="all 1 files are excluded"):
        changes.collect(tree.root, None, ["*.py"])
    with pytest.raises(UsageError, match="nothing to scan: no files"):
        changes.collect(tmp_path / "repo" / ".git" / "refs" / "tags", None, [])


def test_links_reaching_more_files_than_are_read_fail_the_scan_in_one_line(
    tree: GitTree, monkeypatch: pytest.MonkeyPatch
) -> None:
    """150 links to a directory of 3,000 files made 450,000 names: a scan that would not end."""
    monkeypatch.setattr(links, "MAX_REACHED", 5)  # the limit: this, or twice the files tracked
    for n in range(10):
        tree.write(f"lib/m{n}.py", "x = 1\n")
    (tree.root / "copy0").symlink_to("lib")
    tree.commit("a link to a directory")
    tracked = len(changes.collect(tree.root, None, []).files) - 10  # one link: within twice the files
    for n in range(1, 4):
        (tree.root / f"copy{n}").symlink_to("lib")
    tree.commit("more links to it")
    with pytest.raises(ScannerError, match=rf"copy2: symlinks lead to more than {2 * tracked:,} files"):
        changes.collect(tree.root, None, [])


def test_a_re_pointed_link_on_the_way_makes_every_line_the_changes(tree: GitTree) -> None:
    """`app/helpers.py -> ../vendor/helpers.py -> impl.py`; the change re-points only the middle
    link (in an excluded place) to code that was already there."""
    tree.write("vendor/impl.py", "a = 1\n")
    tree.write("tests/fixtures/vuln.py", "import os\nos.system(input())\n")
    (tree.root / "vendor" / "helpers.py").symlink_to("impl.py")
    (tree.root / "app").mkdir()
    (tree.root / "app" / "helpers.py").symlink_to("../vendor/helpers.py")
    tree.commit("links")
    tree.git("branch", "-f", "base")
    (tree.root / "vendor" / "helpers.py").unlink()
    (tree.root / "vendor" / "helpers.py").symlink_to("../tests/fixtures/vuln.py")
    tree.commit("re-point the middle link")
    found = {f.path: f.lines for f in changes.collect(tree.root, "base", ["vendor/**", "tests/**"]).files}
    assert found == {"app/helpers.py": frozenset({1, 2})}


COMPOSE = """services:
  snekbox:
    image: ghcr.io/python-discord/snekbox:latest
    privileged: true
  bot:
    build: .
    environment:
      REDIS_HOST: "redis"
"""
RUN_DOCKERFILE = """FROM ubuntu:22.04
RUN apt-get update && \\
  apt-get install -y --no-install-recommends sudo curl ca-certificates && \\
  curl -fsSL https://example.com/install.sh -o /tmp/install.sh && \\
  sudo sh /tmp/install.sh --prefix /usr/local && \\
  rm -rf /var/lib/apt/lists/* /tmp/install.sh
CMD ["bash"]
"""
DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.25.3
          securityContext:
            privileged: true
"""


def reindented(text: str) -> str:
    """2-space indentation made 4, a YAML list item's `- ` counted in it (its keys stay aligned)."""
    return re.sub(r"(?m)^( *)((?:- )*)", lambda m: " " * (2 * len(m[1]) + len(m[2])) + m[2], text)


def test_a_file_moved_and_re_indented_is_a_rename_white_space_aside(tree: GitTree) -> None:
    """`docker-compose.yml` -> `compose.yaml` re-indented 2 -> 4 (python-discord/bot), a Dockerfile's
    continued `RUN` and a manifest the same: git, comparing bytes, pairs none of them, and every old
    finding read as new. Each is its old file moved: only a line the change wrote is touched."""
    moves = {
        "docker-compose.yml": "compose.yaml",
        "Dockerfile.ci": "docker/Dockerfile",
        "deploy.yaml": "k8s/web.yaml",
    }
    texts = {"docker-compose.yml": COMPOSE, "Dockerfile.ci": RUN_DOCKERFILE, "deploy.yaml": DEPLOYMENT}
    for name, text in texts.items():
        tree.write(name, text)
    tree.commit("kept")
    tree.git("branch", "-f", "base")
    for old, new in moves.items():
        tree.git("rm", "-q", old)
        tree.write(new, reindented(texts[old]))
    tree.write("compose.yaml", reindented(COMPOSE + "  debug:\n    image: busybox\n    privileged: true\n"))
    tree.commit("rename and re-indent, add a privileged service")
    assert set(gitrepo.added_files(gitrepo.Repo(tree.root, ""), "base")) == set(moves.values())  # git's view
    found = {f.path: (f.origin, f.added, f.lines) for f in changes.collect(tree.root, "base", []).files}
    assert found == {
        "compose.yaml": ("docker-compose.yml", False, frozenset({9, 10, 11})),
        "docker/Dockerfile": ("Dockerfile.ci", False, frozenset()),
        "k8s/web.yaml": ("deploy.yaml", False, frozenset()),
    }


def test_only_a_file_of_the_same_kinds_and_mostly_the_same_lines_is_paired(tree: GitTree) -> None:
    """Pairing must not make a new file's problems the base's. Of the files added as a Dockerfile
    and a compose file are deleted, only the compose file moved is a rename: a Dockerfile sharing
    only its `FROM` line and blank lines with the deleted one (most of its lines, not of its bytes),
    the compose text under a name of another kind (no compose check read it there) and a second copy
    of it stay added (a deleted file is paired once, with the most alike); a rename git found stays
    git's."""
    padded = "FROM ubuntu:22.04\n" + "\n" * 10
    tree.write("build/Dockerfile", padded + "USER app\n")
    tree.write("docker-compose.yml", COMPOSE)
    tree.commit("kept")
    tree.git("branch", "-f", "base")
    tree.git("rm", "-q", "build/Dockerfile", "docker-compose.yml")
    tree.write("Dockerfile.web", padded + "RUN curl -fsSL https://example.com/x.sh | sh\n")
    tree.write("compose.yaml", reindented(COMPOSE))
    tree.write("compose.prod.yaml", reindented(COMPOSE + "  worker:\n    image: busybox\n"))
    tree.write("notes/stack.txt", reindented(COMPOSE))
    tree.git("mv", "old name.py", "renamed.py")
    tree.commit("unrelated files")
    found = {f.path: (f.origin, f.added) for f in changes.collect(tree.root, "base", []).files}
    assert found == {
        "Dockerfile.web": (None, True),
        "compose.prod.yaml": (None, True),
        "compose.yaml": ("docker-compose.yml", False),
        "notes/stack.txt": (None, True),
        "renamed.py": ("old name.py", False),
    }


CONFIGMAP = """apiVersion: v1
kind: ConfigMap
metadata:
  name: app-cm
  namespace: django-app
data:
  DB_HOST: "postgres-service"
  DB_PASSWORD: "sampleuser123"
  DB_PORT: "5432"
  STATIC_ROOT: "/data/static"
"""
FLOW_DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: prod}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: "nginx:1.25.3"}
"""


class _Indented(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def redumped(text: str) -> str:
    """`text` loaded and dumped again as `yq` or a formatter writes it: block style, 4 spaces, quotes
    only where a string needs them (`'5432'`)."""
    return yaml.dump(yaml.safe_load(text), Dumper=_Indented, indent=4, sort_keys=False)


def test_a_file_moved_and_re_dumped_is_a_rename_by_what_yaml_reads(tree: GitTree) -> None:
    """A ConfigMap moved and re-dumped (quotes dropped, 2 -> 4 spaces), a flow-style Deployment moved,
    re-dumped in block style and made privileged, a JSON manifest moved and written on one line:
    few lines alike, git and the line measure pair none. Each is its old file moved, by what PyYAML
    reads in both; a YAML file and a JSON one of the same documents are not paired."""
    other = CONFIGMAP.replace("app-cm", "worker-cm")
    texts = {"k8s/app-cm.yml": CONFIGMAP, "deploy.yaml": FLOW_DEPLOYMENT, "cm.json": "", "other.yaml": other}
    texts["cm.json"] = json.dumps(yaml.safe_load(CONFIGMAP), indent=2) + "\n"
    for name, text in texts.items():
        tree.write(name, text)
    tree.commit("kept")
    tree.git("branch", "-f", "base")
    tree.git("rm", "-q", *texts)
    privileged = FLOW_DEPLOYMENT.replace("image:", "securityContext: {privileged: true}, image:")
    moved = {
        "deploy/app-cm.yml": redumped(CONFIGMAP),
        "k8s/web.yaml": redumped(privileged),
        "deploy/cm.json": json.dumps(yaml.safe_load(CONFIGMAP)) + "\n",
        "other.json": json.dumps(yaml.safe_load(other)) + "\n",
    }
    for name, text in moved.items():
        tree.write(name, text)
    tree.commit("move and re-dump")
    assert set(gitrepo.added_files(gitrepo.Repo(tree.root, ""), "base")) == set(moved)  # git's view
    found = {f.path: (f.origin, f.added) for f in changes.collect(tree.root, "base", []).files}
    assert found == {
        "deploy/app-cm.yml": ("k8s/app-cm.yml", False),
        "k8s/web.yaml": ("deploy.yaml", False),
        "deploy/cm.json": ("cm.json", False),
        "other.json": (None, True),
    }


def test_a_file_written_back_where_it_was_is_paired_with_its_own_old_copy(tree: GitTree) -> None:
    """The red team's swap: a privileged `dev/web.yaml` and a plain `prod/web.yaml` deleted and written
    back as `.yml`, re-dumped, their contents swapped. By likeness alone prod's new privileged file
    paired with dev's old one, its problems pre-existing; each is its own old copy, changed."""
    privileged = FLOW_DEPLOYMENT.replace("image:", "securityContext: {privileged: true}, image:")
    tree.write("dev/web.yaml", privileged)
    tree.write("prod/web.yaml", FLOW_DEPLOYMENT)
    tree.commit("kept")
    tree.git("branch", "-f", "base")
    tree.git("rm", "-q", "dev/web.yaml", "prod/web.yaml")
    tree.write("dev/web.yml", redumped(FLOW_DEPLOYMENT))
    tree.write("prod/web.yml", redumped(privileged))
    tree.commit("swap")
    found = {f.path: (f.origin, f.added) for f in changes.collect(tree.root, "base", []).files}
    assert found == {"dev/web.yml": ("dev/web.yaml", False), "prod/web.yml": ("prod/web.yaml", False)}
