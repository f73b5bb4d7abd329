"""What the Action's workspace holds, as actions/checkout leaves it: a repository below the workspace
(`path:`) owned by the runner's user, GitHub's merge commit, a shallow clone."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mergeguard.core.errors import UsageError
from mergeguard.github import checkout
from mergeguard.github.context import from_env
from tests.github_server import serving
from tests.gitutil import GitTree
from tests.test_action_context import PR, env_with
from tests.test_action_e2e import CODE, TOKEN, pr_event, run_action_in

pytestmark = pytest.mark.scanner
as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")


@pytest.fixture
def below(tmp_path: Path) -> tuple[GitTree, str, str]:
    """A pull request adding a shell call to app/, checked out with `path: src`, the runner's user
    owning it (seen from the container's root: another user)."""
    tree = GitTree(tmp_path / "workspace" / "src")
    tree.write("app/main.py", "def ok():\n    return 1\n")
    base = tree.commit("base")
    tree.write("app/run.py", CODE)
    head = tree.commit("add a task runner")
    tree.git("checkout", "-q", base)
    tree.git("merge", "-q", "--no-ff", "-m", f"Merge {head} into {base}", head)
    return tree, base, head


def _foreign(tree: GitTree, monkeypatch: pytest.MonkeyPatch) -> None:
    """`tree` and its workspace owned by another user; the test's own git calls still trust it (the
    Action's run has an environment of its own)."""
    for path in [tree.root.parent, *tree.root.parent.rglob("*")]:
        os.chown(path, 65534, 65534, follow_symlinks=False)
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "safe.directory")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", str(tree.root))


@as_root
def test_a_foreign_owned_repository_below_the_workspace_is_still_a_repository(
    below: tuple[GitTree, str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """git asks about the repository's top level (`src`), not the scanned `src/app`: trusting only the
    workspace made git refuse it, and the repository was taken for a plain folder."""
    tree, base, head = below
    tree.write("app/untracked_local.py", CODE)  # not the pull request's: git does not track it
    _foreign(tree, monkeypatch)
    workspace, event = tree.root.parent, pr_event(base, head)
    inputs = {"working-directory": "src/app", "comment": "false"}
    with serving(TOKEN) as api:
        changed = run_action_in(workspace, tree, api, "pull_request", event, **inputs)
        whole = run_action_in(workspace, tree, api, "pull_request", event, **inputs, scope="all")
        tree.git("checkout", "-q", base)  # pull_request_target: actions/checkout gives the base branch
        target = run_action_in(workspace, tree, api, "pull_request_target", event, **inputs, scope="all")
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert whole.returncode == 1, whole.stdout + whole.stderr
    assert "untracked_local.py" not in (workspace / "mergeguard.sarif").read_text()
    assert target.returncode == 2, target.stdout + target.stderr
    assert "the workspace is not pull request #7's code" in target.stderr


def test_a_pull_request_is_measured_from_the_base_its_merge_commit_was_built_on(tmp_path: Path) -> None:
    """The payload's base.sha stays where the base branch was when the pull request was opened, while
    refs/pull/N/merge is rebuilt on its current tip: what reached the base since is not the change's,
    and the policy is the base's as it stands."""
    tree = GitTree(tmp_path / "workspace")
    tree.write("README.md", "# app\n")
    opened_on = tree.commit("base")
    tree.git("checkout", "-q", "-b", "docs")
    tree.write("README.md", "# app\n\nMore docs.\n")
    head = tree.commit("docs only")
    tree.git("checkout", "-q", "main")  # another pull request lands, and the policy changes
    tree.write("app/b.py", CODE)
    tree.write(".mergeguard.yml", "fail-on: critical\n")
    tip = tree.commit("other pull request")
    tree.git("checkout", "-q", "--detach", tip)
    tree.git("merge", "-q", "--no-ff", "-m", f"Merge {head} into {tip}", head)
    with serving(TOKEN) as api:
        result = run_action_in(
            tree.root,
            tree,
            api,
            "pull_request",
            pr_event(opened_on, head),
            comment="false",
            **{"json-file": "r.json"},
        )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tree.root / "r.json").read_text())
    assert (report["base"], report["fail_on"], report["findings"]) == (tip, "critical", [])


@pytest.fixture
def origin(tmp_path: Path) -> tuple[GitTree, str, str, str]:
    """The repository on GitHub: a pull request adding a shell call, and its refs/pull/7/merge."""
    tree = GitTree(tmp_path / "origin")
    tree.write("README.md", "# app\n")
    base = tree.commit("base")
    tree.git("checkout", "-q", "-b", "pr")
    tree.write("app/run.py", CODE)
    head = tree.commit("add a task runner")
    tree.git("checkout", "-q", "--detach", base)
    tree.git("merge", "-q", "--no-ff", "-m", f"Merge {head} into {base}", head)
    merge = tree.git("rev-parse", "HEAD").strip()
    tree.git("update-ref", "refs/pull/7/merge", merge)
    tree.git("checkout", "-q", "main")
    return tree, base, head, merge


def clone(origin: GitTree, ref: str, dest: Path, depth: int) -> GitTree:
    """What actions/checkout leaves: `ref` fetched `depth` commits deep, HEAD detached on it."""
    tree = GitTree(dest)
    tree.git(
        "fetch", "-q", "--no-tags", f"--depth={depth}", f"file://{origin.root}", f"+{ref}:refs/remotes/pull"
    )
    tree.git("checkout", "-q", "--detach", "refs/remotes/pull")
    return tree


def test_a_clone_of_depth_1_is_the_pull_requests_code_by_name(
    origin: tuple[GitTree, str, str, str], tmp_path: Path
) -> None:
    """actions/checkout's default depth shows the merge commit without its parents: it is known as the
    pull request's by GITHUB_SHA (or the payload's merge_commit_sha), and a full scan needs no history."""
    github, base, head, merge = origin
    event = pr_event(base, head)
    tree = clone(github, "refs/pull/7/merge", tmp_path / "ws", 1)
    with serving(TOKEN) as api:
        whole = run_action_in(tree.root, tree, api, "pull_request", event, comment="false", scope="all")
        changed = run_action_in(tree.root, tree, api, "pull_request", event, comment="false")
        named = {"number": 7, "base": {"sha": base}, "head": {"sha": head}, "merge_commit_sha": merge}
        target = run_action_in(
            tree.root, tree, api, "pull_request_target", {"pull_request": named}, scope="all"
        )
        based = clone(github, "refs/heads/main", tmp_path / "base", 1)  # GITHUB_SHA: the base's tip here
        refused = run_action_in(
            based.root, based, api, "pull_request_target", {"pull_request": named}, scope="all"
        )
    assert whole.returncode == 1, whole.stdout + whole.stderr
    assert changed.returncode == 2 and "fetch-depth: 0" in changed.stderr, changed.stdout + changed.stderr
    assert target.returncode == 1, target.stdout + target.stderr
    assert refused.returncode == 2 and "is not pull request #7's code" in refused.stderr, refused.stderr


def test_a_merge_commit_the_payload_does_not_name_in_a_clone_of_depth_1_asks_for_the_history(
    origin: tuple[GitTree, str, str, str], tmp_path: Path
) -> None:
    """pull_request_target checking out refs/pull/7/merge at depth 1, the payload's merge_commit_sha
    still null (GitHub computes it after `opened`): HEAD is the merge commit, but nothing shows it.
    The refusal said actions/checkout had checked out the base branch, which it had not."""
    github, base, head, merge = origin
    tree = clone(github, "refs/pull/7/merge", tmp_path / "ws", 1)
    env = env_with(tmp_path, "pull_request_target", pr_event(base, head))
    ctx = from_env({**env, "GITHUB_SHA": base, "GITHUB_WORKSPACE": str(tree.root)})
    with pytest.raises(UsageError) as caught:
        checkout.require_pull_request_code(ctx)
    assert f"HEAD {merge[:12]} cannot be shown to be pull request #7's code" in str(caught.value)
    assert "fetch-depth: 0" in str(caught.value) and "checks out the base branch" not in str(caught.value)


def test_a_clone_too_shallow_for_the_pull_requests_commits_is_exit_2_naming_the_fix(
    origin: tuple[GitTree, str, str, str], tmp_path: Path
) -> None:
    """fetch-depth 2 shows the merge commit and its parents, but hides the head's own parents:
    its history is cut, and Gitleaks would read one commit of the pull request as adding every file."""
    github, base, head, _ = origin
    tree = clone(github, "refs/pull/7/merge", tmp_path / "ws", 2)
    with serving(TOKEN) as api:
        result = run_action_in(
            tree.root, tree, api, "pull_request", pr_event(base, head), scanners="gitleaks"
        )
        assert api.writes() == []
    assert result.returncode == 2, result.stdout + result.stderr
    assert "the clone is shallow inside the change's commits" in result.stderr
    assert "fetch-depth: 0" in result.stderr


def test_check_run_annotations_are_on_repository_paths(below: tuple[GitTree, str, str]) -> None:
    """With actions/checkout's `path: src`, the workspace's src/app/run.py is the repository's
    app/run.py: the Checks API places annotations by repository path, as code scanning does."""
    tree, base, head = below
    inputs = {"working-directory": "src/app", "comment": "false", "check-name": "mergeguard"}
    with serving(TOKEN) as api:
        result = run_action_in(tree.root.parent, tree, api, "pull_request", pr_event(base, head), **inputs)
        (run,) = api.check_runs.values()
    assert result.returncode == 1, result.stdout + result.stderr
    assert {note["path"] for note in run["annotations"]} == {"app/run.py"}


@pytest.mark.parametrize("event", ["pull_request_target", "pull_request"])
def test_a_workspace_without_git_is_the_pull_requests_code_only_on_pull_request(
    tmp_path: Path, event: str
) -> None:
    """actions/checkout without git downloads the ref: under pull_request_target, the base branch's."""
    (tmp_path / "main.py").write_text(CODE)
    ctx = from_env(env_with(tmp_path, event, PR))
    if event == "pull_request":
        checkout.require_pull_request_code(ctx)
        return
    with pytest.raises(UsageError, match="not a git checkout, so it cannot be shown to hold pull request #7"):
        checkout.require_pull_request_code(ctx)
