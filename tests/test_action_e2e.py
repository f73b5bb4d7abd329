"""`mergeguard action` end to end, as GitHub runs it, against a loopback stand-in for the API."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

from tests.github_server import DENIED, FakeGitHub, serving
from tests.gitutil import GitTree

TOKEN = "ghs_e2eTokenThatMustNeverBePrinted000000"
SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"
HOSTILE = "api/@org-team <img src=x>%0A::error::pwn.py"
CODE = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"

pytestmark = pytest.mark.scanner


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[GitTree, str, str]:
    tree = GitTree(tmp_path / "workspace")
    tree.write("README.md", "# app\n")
    base = tree.commit("base")
    tree.write(HOSTILE, CODE)
    head = tree.commit("add a task runner")
    return tree, base, head


def run_action(
    tree: GitTree, api: FakeGitHub, event: str, payload: object, **inputs: str
) -> subprocess.CompletedProcess[str]:
    return run_action_in(tree.root, tree, api, event, payload, **inputs)


def run_action_in(
    workspace: Path, tree: GitTree, api: FakeGitHub, event: str, payload: object, /, **inputs: str
) -> subprocess.CompletedProcess[str]:
    """The Action run on `tree`'s HEAD in `workspace` (above `tree` with actions/checkout's `path:`)."""
    home = workspace.parent / "home"
    home.mkdir(exist_ok=True)
    event_file = workspace.parent / "event.json"
    event_file.write_text(json.dumps(payload))
    head = tree.git("rev-parse", "HEAD").strip()
    env = {
        "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin",
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(event_file),
        "GITHUB_SHA": head,
        "GITHUB_REF": "refs/pull/7/merge" if event == "pull_request" else "refs/heads/main",
        "GITHUB_REPOSITORY": api.repository,
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_API_URL": api.url,
        "GITHUB_STEP_SUMMARY": str(home / "summary.md"),
        "GITHUB_OUTPUT": str(home / "output.txt"),
        "INPUT_GITHUB-TOKEN": TOKEN,
        "INPUT_SCANNERS": "bandit,hadolint",
        **{f"INPUT_{k.upper()}": v for k, v in inputs.items()},
        **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"},  # the sources under test, if given
    }
    exe = str(Path(sys.executable).parent / "mergeguard")
    return subprocess.run([exe, "action"], env=env, capture_output=True, text=True, timeout=300, check=False)


def pr_event(base: str, head: str) -> dict[str, object]:
    return {"pull_request": {"number": 7, "base": {"sha": base}, "head": {"sha": head}}}


def outputs(tree: GitTree) -> dict[str, str]:
    text = (tree.root.parent / "home" / "output.txt").read_text()
    values, lines = {}, iter(text.splitlines())
    for line in lines:
        name, delimiter = line.split("<<", 1)
        values[name] = "\n".join(iter(lambda: next(lines), delimiter))
    return values


def test_two_runs_leave_one_comment_edited_and_a_check_run(workspace: tuple[GitTree, str, str]) -> None:
    tree, base, head = workspace
    with serving(TOKEN) as api:
        first = run_action(tree, api, "pull_request", pr_event(base, head), **{"check-name": "mergeguard"})
        assert first.returncode == 1, first.stdout + first.stderr
        (comment,) = api.comments_on(7)
        first_id, first_body = comment["id"], comment["body"]
        assert first_body.startswith("<!-- mergeguard -->")
        tree.write("api/more.py", CODE)
        head2 = tree.commit("more")
        second = run_action(tree, api, "pull_request", pr_event(base, head2), **{"check-name": "mergeguard"})
        assert second.returncode == 1
        (edited,) = api.comments_on(7)
        assert edited["id"] == first_id and edited["body"] != first_body
        assert [c.method for c in api.writes() if "/comments" in c.path] == ["POST", "PATCH"]
        assert len(api.check_runs) == 2 and all(r["conclusion"] == "failure" for r in api.check_runs.values())
    values = outputs(tree)
    assert (
        values["verdict"] == "fail"
        and int(values["blocking"]) >= 1
        and values["sarif-file"] == "mergeguard.sarif"
    )
    assert (tree.root / "mergeguard.sarif").is_file()
    summary = (tree.root.parent / "home" / "summary.md").read_text()
    assert "mergeguard: failed" in summary
    for run in (first, second):
        assert TOKEN not in run.stdout + run.stderr
        assert run.stdout.strip().splitlines()[-1].startswith("mergeguard: FAIL: ")


def test_hostile_file_names_come_out_inert(workspace: tuple[GitTree, str, str]) -> None:
    tree, base, head = workspace
    with serving(TOKEN) as api:
        result = run_action(tree, api, "pull_request", pr_event(base, head))
        body = api.comments_on(7)[0]["body"]
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert annotations, result.stdout
    assert all("%250A%3A%3Aerror%3A%3Apwn.py" in a for a in annotations if "pwn" in a)
    assert not any(line.startswith("::error::pwn") for line in result.stdout.splitlines())
    summary = (tree.root.parent / "home" / "summary.md").read_text()
    for text in (body, summary):
        assert "<img" not in text and "@org-team" not in text
        assert "&#60;img" in text or "&lt;img" in text


def test_a_full_scan_uploads_sarif_for_the_right_commit_and_ref(workspace: tuple[GitTree, str, str]) -> None:
    tree, _, head = workspace
    with serving(TOKEN) as api:
        result = run_action(
            tree, api, "push", {"before": "0" * 40, "after": head}, **{"upload-sarif": "true"}
        )
        assert result.returncode == 1, result.stdout + result.stderr
        (upload,) = api.sarifs.values()
    assert upload["commit_sha"] == head and upload["ref"] == "refs/heads/main"
    sarif = (
        upload["sarif"]
        if isinstance(upload["sarif"], dict)
        else json.loads(gzip.decompress(base64.b64decode(upload["sarif"])))
    )
    jsonschema.validate(sarif, json.loads(SCHEMA.read_text()))
    assert "code scanning upload" in result.stdout and "complete" in result.stdout


def test_a_pr_scan_is_never_uploaded_under_the_full_scans_category(
    workspace: tuple[GitTree, str, str],
) -> None:
    tree, base, head = workspace
    with serving(TOKEN) as api:
        result = run_action(tree, api, "pull_request", pr_event(base, head), **{"upload-sarif": "true"})
        assert api.sarifs == {}
    assert "::notice::upload-sarif skipped: this scan covered only the changed files" in result.stdout


def test_a_token_that_cannot_write_keeps_the_verdict_and_says_why(
    workspace: tuple[GitTree, str, str],
) -> None:
    tree, base, head = workspace
    with serving(TOKEN, denied=DENIED) as api:
        result = run_action(tree, api, "pull_request", pr_event(base, head), **{"check-name": "mergeguard"})
    assert result.returncode == 1
    assert "::notice::PR comment skipped: GitHub answered 403" in result.stdout
    assert "read-only" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert "mergeguard: failed" in (tree.root.parent / "home" / "summary.md").read_text()


def test_scanners_none_with_nothing_to_gate_on_is_exit_2_not_a_pass(
    workspace: tuple[GitTree, str, str],
) -> None:
    tree, base, head = workspace
    with serving(TOKEN) as api:
        result = run_action(tree, api, "pull_request", pr_event(base, head), scanners="none")
        assert api.writes() == []
    assert result.returncode == 2, result.stdout + result.stderr
    assert "nothing would be checked" in result.stderr


def test_a_checkout_without_the_pull_requests_code_is_exit_2_not_a_pass(
    workspace: tuple[GitTree, str, str],
) -> None:
    """Under pull_request_target actions/checkout checks out the base branch: an empty range would
    pass a pull request nobody looked at (and say so in a PASS comment)."""
    tree, base, head = workspace
    tree.git("checkout", "-q", base)
    with serving(TOKEN) as api:
        result = run_action(tree, api, "pull_request_target", pr_event(base, head))
        assert api.writes() == []
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"HEAD {base[:12]} is neither its head {head[:12]} nor GitHub's merge commit" in result.stderr
    assert "Traceback" not in result.stderr
    tree.git("checkout", "-q", head)  # the head itself, or GitHub's merge commit of it: scanned
    with serving(TOKEN) as api:
        assert run_action(tree, api, "pull_request_target", pr_event(base, head)).returncode == 1
    tree.git("checkout", "-q", base)
    tree.git("merge", "-q", "--no-ff", "-m", "Merge into base", head)
    with serving(TOKEN) as api:
        assert run_action(tree, api, "pull_request", pr_event(base, head)).returncode == 1


def test_the_images_input_reaches_the_scan(workspace: tuple[GitTree, str, str]) -> None:
    """An image named in `images` is scanned: a file that is no image fails trivy-image, naming it."""
    tree, _, head = workspace
    junk = tree.root.parent / "not-an-image.tar"
    junk.write_bytes(b"this is no docker save tarball\n" * 64)
    report = tree.root / "report.json"
    with serving(TOKEN) as api:
        result = run_action(
            tree,
            api,
            "push",
            {"before": "0" * 40, "after": head},
            images=f"docker-archive:{junk}",
            scanners="bandit,trivy-image",
            offline="true",  # no database download: the image part fails on its own
            **{"json-file": "report.json"},
        )
    assert result.returncode == 1, result.stdout + result.stderr  # the blocking finding decides
    scanners = {s["name"]: s for s in json.loads(report.read_text())["scanners"]}
    image_runs = [s for name, s in scanners.items() if name.startswith("trivy-image")]
    assert image_runs and all(s["status"] == "failed" for s in image_runs), image_runs
    last = result.stdout.strip().splitlines()[-1]
    assert "scanner trivy-image failed: image " in last and "not-an-image.tar" in last


def test_new_findings_counts_findings_whose_acceptance_expired(workspace: tuple[GitTree, str, str]) -> None:
    tree, _, head = workspace
    push = {"before": "0" * 40, "after": head}
    with serving(TOKEN) as api:
        run_action(tree, api, "push", push, **{"json-file": "report.json"})
        first = json.loads((tree.root / "report.json").read_text())["findings"]
        b602 = next(f for f in first if f["rule_id"] == "B602")
        tree.write(
            ".mergeguard-baseline.yml",
            "version: 1\nentries:\n"
            f"- fingerprint: {b602['fingerprint']}\n  tool: bandit\n  rule: B602\n"
            f"  path: {json.dumps(b602['path'])}\n  reason: accepted until the rewrite\n"
            "  accepted_by: ops\n  expires: 2000-01-01\n",
        )
        tree.commit("accept B602 for a while")
        push = {"before": head, "after": tree.git("rev-parse", "HEAD").strip()}
        result = run_action(tree, api, "push", push, **{"json-file": "report.json"})
    findings = json.loads((tree.root / "report.json").read_text())["findings"]
    statuses = sorted(f["status"] for f in findings)
    assert "expired" in statuses and set(statuses) <= {"new", "expired"}, statuses
    values = outputs(tree)
    assert values["new-findings"] == values["findings"] == str(len(findings)), result.stdout


def test_every_report_file_input_is_written_and_named_in_the_outputs(
    workspace: tuple[GitTree, str, str],
) -> None:
    tree, _, head = workspace
    files = {"json-file": "out/report.json", "markdown-file": "out/report.md"}
    with serving(TOKEN) as api:
        result = run_action(tree, api, "push", {"before": "0" * 40, "after": head}, **files)
    assert result.returncode == 1, result.stdout + result.stderr
    values = outputs(tree)
    assert {name: values[name] for name in files} == files
    assert values["sarif-file"] == "mergeguard.sarif" and (tree.root / "mergeguard.sarif").is_file()
    markdown = (tree.root / "out" / "report.md").read_text()
    assert markdown == (tree.root.parent / "home" / "summary.md").read_text()
    assert "mergeguard: failed" in markdown
    assert json.loads((tree.root / "out" / "report.json").read_text())["verdict"] == "fail"
