"""The GitHub side against a hostile PR and a misbehaving API: `mergeguard action` on the loopback API.

What a PR can write (the config, the template, symlinks) never reads outside the workspace or another
person's comment; what the API answers never turns into a traceback or a changed verdict.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.github_server import FakeGitHub, serving
from tests.gitutil import GitTree

TOKEN = "ghs_hostileTokenThatMustNeverBePrinted00"
CODE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
MARKER = "<!-- mergeguard -->"

pytestmark = pytest.mark.scanner


@pytest.fixture
def tree(tmp_path: Path) -> GitTree:
    """A workspace, nothing committed yet: a test writes its policy files, then calls `pr`."""
    git = GitTree(tmp_path / "workspace")
    git.write("README.md", "# app\n")
    return git


def pr(tree: GitTree) -> GitTree:
    """Commits what is there as the base (so it is policy wherever it is read from), then a PR on top that
    adds code bandit blocks on (exit 1)."""
    tree.commit("base")
    tree.write("app/run.py", CODE)
    tree.commit("add a task runner")
    return tree


def action(
    tree: GitTree, api: FakeGitHub, inputs: dict[str, str] | None = None, *, env: dict[str, str] | None = None
) -> Run:
    """`mergeguard action` on a pull_request event as GitHub runs it, with `env` over the defaults."""
    home = tree.root.parent / "home"
    home.mkdir(exist_ok=True)
    base, head = tree.git("rev-parse", "HEAD~1").strip(), tree.git("rev-parse", "HEAD").strip()
    event = tree.root.parent / "event.json"
    event.write_text(
        json.dumps({"pull_request": {"number": 7, "base": {"sha": base}, "head": {"sha": head}}})
    )
    full = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_SHA": head,
        "GITHUB_REF": "refs/pull/7/merge",
        "GITHUB_REPOSITORY": api.repository,
        "GITHUB_WORKSPACE": str(tree.root),
        "GITHUB_API_URL": api.url,
        "GITHUB_STEP_SUMMARY": str(home / "summary.md"),
        "GITHUB_OUTPUT": str(home / "output.txt"),
        "INPUT_GITHUB-TOKEN": TOKEN,
        "INPUT_SCANNERS": "bandit",
        **{f"INPUT_{k.upper()}": v for k, v in (inputs or {}).items()},
        **(env or {}),
    }
    exe = str(Path(sys.executable).parent / "mergeguard")
    done = subprocess.run([exe, "action"], env=full, capture_output=True, text=True, timeout=300, check=False)
    return Run(done.returncode, done.stdout, done.stderr, api)


class Run:
    """What one run printed and sent, with the checks every hostile case shares."""

    def __init__(self, code: int, stdout: str, stderr: str, api: FakeGitHub) -> None:
        self.code, self.stdout, self.stderr, self.api = code, stdout, stderr, api

    @property
    def log(self) -> str:
        return self.stdout + self.stderr

    def assert_clean(self) -> None:
        """No traceback, and the token in no output and no request body."""
        assert "Traceback" not in self.log, self.log
        assert TOKEN not in self.log
        assert all(TOKEN not in json.dumps(call.body) for call in self.api.calls)

    def notices(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith(("::notice::", "::warning::"))]


def refused(run: Run) -> str:
    """The one refusal line of a run that stopped before scanning (exit 2, nothing sent to GitHub)."""
    run.assert_clean()
    assert run.code == 2, run.log
    assert run.api.writes() == []
    (line,) = run.stderr.strip().splitlines()
    return line


def with_config(tree: GitTree, template: str) -> GitTree:
    """The config names `template`."""
    tree.write(".mergeguard.yml", f"comment-template: {template}\n")
    return tree


# --- templates and report paths stay inside the workspace ---------------------------------------------------


@pytest.mark.parametrize("template", ["/proc/self/environ", "../../outside.md.j2", "/etc/passwd"])
def test_a_template_outside_the_workspace_is_refused(tree: GitTree, template: str) -> None:
    (tree.root.parent.parent / "outside.md.j2").write_text("{{ secret }}")
    pr(with_config(tree, template))
    with serving(TOKEN) as api:
        line = refused(action(tree, api))
    assert "comment-template" in line and "outside" in line and "refused" in line


def test_a_template_symlinked_out_of_the_workspace_is_refused(tree: GitTree) -> None:
    (tree.root / "tmpl.md.j2").symlink_to("/proc/self/environ")
    (tree.root / "docs").mkdir()
    (tree.root / "docs" / "up").symlink_to("../..")  # a directory link out, then a normal name
    pr(with_config(tree, "tmpl.md.j2"))
    with serving(TOKEN) as api:
        assert "outside" in refused(action(tree, api))
    with_config(tree, "docs/up/home/summary.md").commit("policy")
    with serving(TOKEN) as api:
        assert "outside" in refused(action(tree, api))


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_template_that_is_not_a_regular_file_is_refused_without_hanging(tree: GitTree, kind: str) -> None:
    pr(with_config(tree, "tmpl"))
    path = tree.root / "tmpl"
    os.mkfifo(path) if kind == "fifo" else path.mkdir()
    with serving(TOKEN) as api:
        assert "not a regular file" in refused(action(tree, api))


def test_a_template_inside_the_workspace_still_works(tree: GitTree) -> None:
    tree.write(".github/comment.md.j2", "custom comment: {{ verdict }}\n")
    pr(with_config(tree, ".github/comment.md.j2"))
    with serving(TOKEN) as api:
        run = action(tree, api)
        run.assert_clean()
        assert run.code == 1, run.log
        assert "custom comment" in api.comments_on(7)[0]["body"]


def test_a_template_the_pull_request_rewrites_is_read_at_the_base(tree: GitTree) -> None:
    tree.write(".github/comment.md.j2", "base template: {{ verdict }}\n")
    with_config(tree, ".github/comment.md.j2").commit("base")
    tree.write(".github/comment.md.j2", "all clear, merge away\n")
    tree.write("app/run.py", CODE)
    tree.commit("add a task runner, and a friendlier comment")
    with serving(TOKEN) as api:
        run = action(tree, api)
        run.assert_clean()
        assert run.code == 1, run.log
        body = api.comments_on(7)[0]["body"]
    assert "base template: fail" in body
    assert "all clear" not in body


@pytest.mark.parametrize(
    ("name", "path"), [("sarif-file", "../../escaped.sarif"), ("json-file", "/tmp/../tmp/escaped.json")]
)
def test_a_report_path_outside_the_workspace_is_refused_and_nothing_is_written(
    tree: GitTree, name: str, path: str
) -> None:
    pr(tree)
    with serving(TOKEN) as api:
        line = refused(action(tree, api, {name: path}))
    assert f"input {name}" in line and "outside" in line
    assert not (tree.root.parent.parent / "escaped.sarif").exists()
    assert not Path("/tmp/escaped.json").exists()


def test_a_report_path_symlinked_out_is_refused_and_one_symlinked_inside_is_written_through(
    tree: GitTree,
) -> None:
    pr(tree)
    outside = tree.root.parent / "victim.txt"
    outside.write_text("untouched\n")
    (tree.root / "out.sarif").symlink_to(outside)
    with serving(TOKEN) as api:
        assert "outside" in refused(action(tree, api, {"sarif-file": "out.sarif"}))
    assert outside.read_text() == "untouched\n"

    (tree.root / "git.sarif").symlink_to(".git/config")
    with serving(TOKEN) as api:
        assert ".git directory" in refused(action(tree, api, {"sarif-file": "git.sarif"}))
    assert "[core]" in (tree.root / ".git" / "config").read_text()

    (tree.root / "reports").mkdir()
    (tree.root / "reports" / "real.sarif").write_text("old\n")
    (tree.root / "link.sarif").symlink_to("reports/real.sarif")
    with serving(TOKEN) as api:
        run = action(tree, api, {"sarif-file": "link.sarif"})
    run.assert_clean()
    assert run.code == 1, run.log
    assert (tree.root / "link.sarif").is_symlink()
    assert json.loads((tree.root / "reports" / "real.sarif").read_text())["version"] == "2.1.0"


# --- the sticky comment is ours -----------------------------------------------------------------------------


def test_a_foreign_comment_with_the_marker_is_never_edited(tree: GitTree) -> None:
    planted = f"{MARKER}\nmergeguard: PASS (all clear, merge away)"
    pr(tree)
    with serving(TOKEN) as api:
        foreign = api.add_comment(7, planted, user="mallory")
        first = action(tree, api)
        second = action(tree, api)
        for run in (first, second):
            run.assert_clean()
            assert run.code == 1, run.log
        assert api.comments[foreign]["body"] == planted
        ours = [c for c in api.comments_on(7) if c["id"] != foreign]
        assert len(ours) == 1 and ours[0]["user"] == "github-actions[bot]"
        patched = [c.path for c in api.writes() if c.method == "PATCH"]
        assert patched in ([], [f"/repos/{api.repository}/issues/comments/{ours[0]['id']}"])
        assert ("GET", "/user") in [(c.method, c.path) for c in api.calls]


def test_with_a_personal_token_its_own_login_decides_and_the_bots_comment_is_foreign(tree: GitTree) -> None:
    pr(tree)
    with serving(TOKEN, user_login="octocat") as api:
        bots = api.add_comment(7, f"{MARKER}\nan older bot's comment", user="github-actions[bot]")
        run = action(tree, api)
        run.assert_clean()
        assert api.comments[bots]["body"] == f"{MARKER}\nan older bot's comment"
        assert [c["user"] for c in api.comments_on(7)] == ["github-actions[bot]", "octocat"]


def test_comment_author_names_whose_comment_is_ours(tree: GitTree) -> None:
    pr(tree)
    with serving(TOKEN) as api:
        apps = api.add_comment(7, f"{MARKER}\nlast run", user="my-gate[bot]")
        api.add_comment(7, f"{MARKER}\nplanted", user="mallory")
        run = action(tree, api, {"comment-author": "my-gate[bot]"})
        run.assert_clean()
        assert api.comments[apps]["body"] != f"{MARKER}\nlast run"
        assert len(api.comments_on(7)) == 2
        assert ("GET", "/user") not in [(c.method, c.path) for c in api.calls]


# --- an API that answers nonsense ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ((200, b'{"id": 1, "body": '), "not valid JSON"),
        ((200, {"message": "a list was expected"}), "not a JSON list"),
        ((200, [1, 2]), "other than JSON objects"),
        ((200, b"[" * 50_000), "JSON"),
        ((302, {"message": "Found"}), "HTTP 302"),
        ((307, {}), "HTTP 307"),
        ((301, {"message": "Moved"}), "redirects elsewhere"),
    ],
)
def test_a_nonsense_answer_is_a_notice_and_the_rest_is_still_published(
    tree: GitTree, answer: tuple[int, object], said: str
) -> None:
    status, body = answer
    pr(tree)
    with serving(TOKEN) as api, serving(TOKEN) as elsewhere:
        other_host = elsewhere.url.replace("127.0.0.1", "localhost")  # the same machine, another name
        api.reply_next(status, body, {"Location": f"{other_host}/repos/{api.repository}/issues/7/comments"})
        run = action(tree, api, {"check-name": "mergeguard"})
        assert elsewhere.calls == []  # the token never goes to another host
        assert len(api.check_runs) == 1  # the comment failed; the check run was still created
    run.assert_clean()
    assert run.code == 1, run.log
    (notice,) = [n for n in run.notices() if "PR comment" in n]
    assert notice.startswith("::notice::GitHub could not be updated (the verdict stands): PR comment: ")
    assert said in notice
    assert run.stdout.strip().splitlines()[-1].startswith("mergeguard: FAIL: ")


@pytest.mark.parametrize(
    "url", ["ftp://api.example", "not a url", "https://", "http://exa mple.com", "http://h:0/"]
)
def test_a_garbage_api_url_is_one_notice_and_the_verdict_stands(tree: GitTree, url: str) -> None:
    pr(tree)
    with serving(TOKEN) as api:
        run = action(tree, api, env={"GITHUB_API_URL": url})
        assert api.calls == []
    run.assert_clean()
    assert run.code == 1, run.log
    assert [n for n in run.notices() if "GITHUB_API_URL" in n and "not an http(s) URL" in n]


@pytest.mark.parametrize("variable", ["GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"])
@pytest.mark.parametrize("where", ["missing/dir/file", "."])
def test_an_unwritable_github_file_is_a_warning_and_the_verdict_stands(
    tree: GitTree, variable: str, where: str
) -> None:
    path = tree.root.parent / where
    pr(tree)
    with serving(TOKEN) as api:
        run = action(tree, api, env={variable: str(path)})
        assert len(api.comments_on(7)) == 1
    run.assert_clean()
    assert run.code == 1, run.log
    assert [n for n in run.notices() if n.startswith("::warning::") and variable in n]
    assert run.stdout.strip().splitlines()[-1].startswith("mergeguard: FAIL: ")
