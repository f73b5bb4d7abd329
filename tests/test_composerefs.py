"""A file of any name that a compose file pulls in (`include:`, `extends: file:`) is a compose file
(found by a red team: `include: [ops/stack.yaml]` with a privileged service in it passed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mergeguard.cli import main as cli
from mergeguard.core import composerefs, gitrepo
from tests.gitutil import GitTree


def write(root: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return sorted(files)


def test_includes_and_extends_are_followed_through_what_they_pull_in(tmp_path: Path) -> None:
    files = write(
        tmp_path,
        {
            "compose.yaml": "include:\n  - ops/stack.yaml\n  - path: [ops/more.yml, '${X:-ops/extra.yml}']\n",
            "ops/stack.yaml": "services:\n  web:\n    extends: {file: ../common/base.yml, service: base}\n",
            "ops/more.yml": "services: {}\n",
            "ops/extra.yml": "services: {}\n",
            "common/base.yml": "services:\n  base:\n    extends: {file: deeper/root.yaml, service: x}\n",
            "common/deeper/root.yaml": "services: {x: {image: alpine}}\n",
            "unrelated.yaml": "services: {x: {privileged: true}}\n",
        },
    )
    assert composerefs.referenced(tmp_path, files) == {
        "ops/stack.yaml", "ops/more.yml", "ops/extra.yml", "common/base.yml", "common/deeper/root.yaml",
    }  # fmt: skip


@pytest.mark.parametrize(
    "include",
    [
        "../outside.yaml",  # not in the repository
        "/etc/compose.yaml",
        "https://example.com/compose.yaml",
        "git@github.com:org/repo.git",
        "${UNSET}/stack.yaml",  # unknown until run
        "missing.yaml",
    ],
)
def test_what_names_no_file_of_the_repository_is_nothing(tmp_path: Path, include: str) -> None:
    files = write(tmp_path, {"app/compose.yaml": f"include: ['{include}']\n", "stack.yaml": "services: {}\n"})
    assert composerefs.referenced(tmp_path, files) == frozenset()


def test_an_unreadable_compose_file_names_nothing(tmp_path: Path) -> None:
    files = write(tmp_path, {"compose.yaml": "include: [a.yaml\n  - : :\n", "a.yaml": "x\n"})
    assert composerefs.referenced(tmp_path, files) == frozenset()


@pytest.mark.parametrize(
    "compose",
    [
        "x-e: &e {extends: {file: ops/a.yaml, service: x}}\nservices:\n  web:\n    <<: *e\n",
        "x-f: &f {file: ops/a.yaml}\nservices:\n  web:\n    extends: {<<: *f, service: x}\n",
        "x-s: &s {services: {web: {extends: {file: ops/a.yaml, service: x}}}}\n<<: *s\n",
        "x-i: &i {include: [ops/a.yaml]}\n<<: *i\n",
        "x-p: &p {path: ops/a.yaml}\ninclude:\n  - <<: [*p]\n",
    ],
)
def test_a_reference_brought_by_a_merge_key_is_followed(tmp_path: Path, compose: str) -> None:
    files = write(tmp_path, {"compose.yaml": compose, "ops/a.yaml": "services: {x: {privileged: true}}\n"})
    assert composerefs.referenced(tmp_path, files) == {"ops/a.yaml"}


def test_each_node_is_read_once_however_many_aliases_lead_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = ",".join(f"f{i}.yaml" for i in range(300))  # read once per alias: 300 x 300 names
    compose = f"x-l: &l [{names}]\nx-m: &m {{path: *l}}\ninclude: [{','.join(['*m'] * 300)}]\n"
    files = write(tmp_path, {"compose.yaml": compose, "f7.yaml": "services: {}\n"})
    calls: list[str] = []
    inside = composerefs._inside

    def counted(here: str, name: str) -> str | None:
        calls.append(name)
        return inside(here, name)

    monkeypatch.setattr(composerefs, "_inside", counted)
    assert composerefs.referenced(tmp_path, files) == {"f7.yaml"}
    assert len(calls) == 300


def test_many_compose_files_by_name_leave_the_references_followed(tmp_path: Path) -> None:
    many = {f"envs/docker-compose.{i}.yml": "services: {}\n" for i in range(composerefs.MAX_FILES + 1)}
    files = write(tmp_path, {**many, "compose.yaml": "include: [ops/a.yaml]\n", "ops/a.yaml": "x\n"})
    assert composerefs.referenced(tmp_path, files) == {"ops/a.yaml"}


def scan(tree: GitTree, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    out = tree.root.parent / "r.json"
    argv = ["scan", str(tree.root), "--base", "base", "--scanners", "compose-check", "--json", str(out)]
    code = cli.main(argv)
    assert "Traceback" not in capsys.readouterr().err
    return code, json.loads(out.read_text(encoding="utf-8"))


def pull_request(root: Path, base: dict[str, str], change: dict[str, str]) -> GitTree:
    """A repository whose branch `base` holds the `base` files and whose HEAD writes `change` on them."""
    tree = GitTree(root)
    for path, text in base.items():
        tree.write(path, text)
    tree.commit("base")
    tree.git("branch", "base")
    for path, text in change.items():
        tree.write(path, text)
    tree.commit("the change")
    return tree


WEB = "services:\n  web:\n    image: nginx:1.27\n"
DEBUG = "services:\n  debug:\n    image: alpine:3.20\n    privileged: true\n"


@pytest.mark.scanner
def test_a_privileged_service_in_an_included_file_of_another_name_blocks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change = {"compose.yaml": "include: [ops/stack.yaml]\n" + WEB, "ops/stack.yaml": DEBUG}
    code, report = scan(pull_request(tmp_path / "repo", {"compose.yaml": WEB}, change), capsys)
    blocking = {(f["path"], f["rule_id"]) for f in report["findings"] if f["blocking"]}
    assert code == 1 and blocking == {("ops/stack.yaml", "COMPOSE-001")}


@pytest.mark.scanner
def test_an_included_files_findings_at_the_base_stay_pre_existing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = {"compose.yaml": "include: [ops/stack.yaml]\n", "ops/stack.yaml": DEBUG}
    change = {"ops/stack.yaml": DEBUG.replace("alpine:3.20", "alpine:3.21")}  # a newer alpine
    code, report = scan(pull_request(tmp_path / "repo", base, change), capsys)
    assert code == 0, report["reason"]
    assert [f["status"] for f in report["findings"] if f["rule_id"] == "COMPOSE-001"] == ["pre-existing"]


@pytest.mark.scanner
def test_a_file_the_change_includes_is_judged_as_added_whatever_it_held_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A privileged service merged earlier under another name (no compose file then) is new once a
    change includes it, though the change does not touch the file (found by a red team)."""
    base = {"compose.yaml": WEB, "ops/stack.yaml": DEBUG}  # ops/stack.yaml: no compose file yet
    change = {"compose.yaml": "include: [ops/stack.yaml]\n" + WEB}
    code, report = scan(pull_request(tmp_path / "repo", base, change), capsys)
    blocking = {(f["path"], f["rule_id"], f["status"]) for f in report["findings"] if f["blocking"]}
    assert code == 1 and blocking == {("ops/stack.yaml", "COMPOSE-001", "new")}


def test_the_base_is_read_from_git_under_the_scanned_directory(tmp_path: Path) -> None:
    tree = GitTree(tmp_path / "repo")
    tree.write("svc/compose.yaml", "include: [ops/stack.yaml]\n")
    tree.write("svc/ops/stack.yaml", "services: {}\n")
    tree.write("other/compose.yaml", "include: [../svc/ops/stack.yaml]\n")  # outside the scanned directory
    tree.commit("base")
    base = tree.git("rev-parse", "HEAD").strip()
    tree.write("svc/compose.yaml", "services: {}\n")  # the work tree no longer includes it
    assert composerefs.at_base(gitrepo.Repo(tree.root, "svc/"), base) == {"ops/stack.yaml"}


def test_a_compose_file_padded_past_the_parse_limit_still_names_its_yaml_files(tmp_path: Path) -> None:
    padding = "# " + "x" * 78 + "\n"
    compose = "include: [ops/stack.yaml]\n" + padding * (composerefs._READ_BYTES // len(padding) + 1)
    files = write(tmp_path, {"compose.yaml": compose, "ops/stack.yaml": "services: {}\n"})
    assert composerefs.referenced(tmp_path, files) == {"ops/stack.yaml"}
