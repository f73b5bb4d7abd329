"""The action's metadata, image recipe and example workflows: valid for GitHub, pinned, least-privilege."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / "examples" / "workflows").glob("*.yml"))
ACTION = ROOT / "action.yml"
MERGEGUARD_USES = re.compile(r"^OWNER/mergeguard@v\d+\.\d+\.\d+$")  # the examples' placeholder
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40} # v\d+(?:\.\d+)*$")
UPLOAD, DOWNLOAD = "actions/upload-artifact@", "actions/download-artifact@"
SHA_PINNED_BASE = re.compile(r"^ARG BASE=[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$", re.MULTILINE)


def _tool(name: str) -> str:
    """The tool from this interpreter's environment (`make dev` installs it there), else from PATH."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.is_file() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (make dev installs it)")
    return found


def _run(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, timeout=120)


def _load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def _steps(workflow: dict[Any, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(job id, job, step) for every step of every job."""
    return [(name, job, step) for name, job in workflow["jobs"].items() for step in job.get("steps", [])]


def _lint_repo(tmp_path: Path, workflows: dict[str, str]) -> Path:
    """A repository holding the action at its root and `workflows`, which use it as `./`."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    for name in ("action.yml", "Dockerfile"):
        shutil.copy(ROOT / name, tmp_path / name)
    for name, text in workflows.items():
        local = re.sub(r"OWNER/mergeguard@v[\d.]+", "./", text)
        (tmp_path / ".github" / "workflows" / name).write_text(local, encoding="utf-8")
    _run("git", "init", "--quiet", cwd=tmp_path)  # actionlint finds the repository root by .git
    return tmp_path


def _actionlint(repo: Path) -> list[dict[str, Any]]:
    result = _run(_tool("actionlint"), "-format", "{{json .}}", cwd=repo)
    assert result.returncode in (0, 1), result.stderr
    errors: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    return errors


def test_the_examples_are_the_documented_ones() -> None:
    """A PR gate, the fork-safe pair, a full scan, image scans (alone, against the base), a sharded gate."""
    names = {path.name for path in WORKFLOWS}
    pair = {"fork-safe-scan.yml", "fork-safe-report.yml"}
    shown = {"full-scan.yml", "image-scan.yml", "image-pr.yml", "sharded.yml"}
    assert names == {"pr-gate.yml", *pair, *shown}


def test_workflows_pass_actionlint_with_inputs_checked_against_action_yml(tmp_path: Path) -> None:
    texts = {path.name: path.read_text(encoding="utf-8") for path in WORKFLOWS}
    errors = _actionlint(_lint_repo(tmp_path, texts))
    assert errors == []


def test_actionlint_here_does_reject_an_input_the_action_does_not_have(tmp_path: Path) -> None:
    text = (ROOT / "examples" / "workflows" / "pr-gate.yml").read_text(encoding="utf-8")
    errors = _actionlint(_lint_repo(tmp_path, {"bad.yml": text.replace("fail-on:", "fail_on:")}))
    assert [e["kind"] for e in errors] == ["action"]
    assert 'input "fail_on" is not defined' in errors[0]["message"]


def test_workflows_and_action_match_githubs_schemas() -> None:
    tool = _tool("check-jsonschema")
    workflows = _run(tool, "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS))
    assert workflows.returncode == 0, workflows.stdout + workflows.stderr
    action = _run(tool, "--builtin-schema", "vendor.github-actions", str(ACTION))
    assert action.returncode == 0, action.stdout + action.stderr


def test_the_schema_check_here_does_reject_an_unknown_event(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    gate = (ROOT / "examples" / "workflows" / "pr-gate.yml").read_text(encoding="utf-8")
    bad.write_text(gate.replace("pull_request:", "pull-request:"), encoding="utf-8")
    result = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(bad))
    assert result.returncode == 1, result.stdout


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_sha_with_its_version(path: Path) -> None:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    uses = [line.split("uses:", 1)[1].strip() for line in lines if line.startswith(("uses:", "- uses:"))]
    assert uses
    unpinned = [u for u in uses if not (PINNED.match(u) or MERGEGUARD_USES.match(u))]
    assert unpinned == []


def _writes_needed(job: dict[str, Any]) -> set[str]:
    """The write scopes a job's steps need: comment, SARIF upload, check run."""
    needed = set()
    for step in job.get("steps", []):
        uses, args = step.get("uses", ""), {k: str(v) for k, v in step.get("with", {}).items()}
        script = args.get("script", "")
        if MERGEGUARD_USES.match(uses) and args.get("shard"):
            continue  # a shard publishes nothing: its merge step does
        if MERGEGUARD_USES.match(uses):
            needed |= {"pull-requests"} if args.get("comment", "true") != "false" else set()
            needed |= {"security-events"} if args.get("upload-sarif") == "true" else set()
            needed |= {"checks"} if args.get("check-name") else set()
        needed |= {"security-events"} if uses.startswith("github/codeql-action/upload-sarif@") else set()
        needed |= {"pull-requests"} if "createComment" in script or "updateComment" in script else set()
    return needed


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_permissions_are_least_privilege(path: Path) -> None:
    workflow = _load(path)
    assert workflow["permissions"] in ({}, {"contents": "read"})  # the default for any job left out
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions", workflow["permissions"])
        writes = {scope for scope, level in granted.items() if level == "write"}
        assert writes == _writes_needed(job), name
        assert set(granted.values()) <= {"read", "write"}, name


def test_the_fork_safe_pair_never_runs_pull_request_code_with_a_write_token() -> None:
    scan = _load(ROOT / "examples" / "workflows" / "fork-safe-scan.yml")
    report = _load(ROOT / "examples" / "workflows" / "fork-safe-report.yml")
    assert list(scan[True]) == ["pull_request"]  # PyYAML reads the key `on` as True
    granted = [job.get("permissions", scan["permissions"]) for job in scan["jobs"].values()]
    assert granted and all(set(g.values()) <= {"read"} for g in granted), granted
    assert report[True]["workflow_run"]["workflows"] == [scan["name"]]
    report_uses = [step.get("uses", "") for _, _, step in _steps(report)]
    assert not any(u.startswith(("actions/checkout@", "./")) or MERGEGUARD_USES.match(u) for u in report_uses)
    assert [step for _, _, step in _steps(report) if "run" in step] == []  # no shell at all: data only
    uploaded = [s["with"]["name"] for _, _, s in _steps(scan) if s.get("uses", "").startswith(UPLOAD)]
    downloaded = [s["with"] for _, _, s in _steps(report) if s.get("uses", "").startswith(DOWNLOAD)]
    assert [d["name"] for d in downloaded] == uploaded
    assert downloaded[0]["run-id"] == "${{ github.event.workflow_run.id }}"


CHECKOUTS = [path for path in WORKFLOWS if "actions/checkout@" in path.read_text(encoding="utf-8")]


@pytest.mark.parametrize("path", CHECKOUTS, ids=lambda p: p.name)
def test_a_pull_request_scan_fetches_the_history_it_compares_with(path: Path) -> None:
    workflow = _load(path)
    checkouts = [
        (job, s) for _, job, s in _steps(workflow) if s.get("uses", "").startswith("actions/checkout@")
    ]
    assert checkouts
    for job, step in checkouts:
        mergeguard = [s for s in job["steps"] if MERGEGUARD_USES.match(s.get("uses", ""))]
        changed = any(s["with"].get("scope", "") != "all" for s in mergeguard)
        assert step["with"].get("persist-credentials") is False
        if changed and "pull_request" in workflow[True]:
            assert step["with"].get("fetch-depth") == 0


def test_action_yml_is_the_documented_docker_action() -> None:
    action = _load(ACTION)
    assert action["runs"] == {"using": "docker", "image": "Dockerfile"}
    defaults = {name: spec.get("default") for name, spec in action["inputs"].items()}
    assert defaults == {
        "github-token": "${{ github.token }}", "fail-on": "", "scanners": "", "config": "",
        "baseline": "", "images": "", "base-images": "", "base-reports": "", "vuln-db-dir": "",
        "offline": "false", "scope": "", "comment": "true",
        "comment-author": "", "upload-sarif": "false",
        "sarif-file": "mergeguard.sarif", "json-file": "", "markdown-file": "",
        "check-name": "", "annotations": "true",
        "working-directory": ".", "shard": "", "merge-reports": "",
    }  # fmt: skip
    outputs = ["verdict", "findings", "new-findings", "blocking", "sarif-file", "json-file", "markdown-file"]
    assert list(action["outputs"]) == outputs


def test_dockerfile_entrypoint_and_digest_pinned_base() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert SHA_PINNED_BASE.search(text)
    assert re.search(r"^FROM \$\{BASE\}$", text, re.MULTILINE)
    assert text.rstrip().splitlines()[-1] == 'ENTRYPOINT ["mergeguard", "action"]'
    assert not re.search(r"^USER ", text, re.MULTILINE)  # GitHub runs Docker actions as root


@pytest.mark.scanner
def test_dockerfile_passes_hadolint() -> None:
    result = _run(_tool("hadolint"), "--no-color", str(ROOT / "Dockerfile"))
    assert result.returncode == 0, result.stdout + result.stderr


RELEASE = ROOT / ".github" / "workflows" / "release.yml"
MAJOR_PINNED = re.compile(r"^[\w.-]+/[\w.-]+@v\d+ # pin by SHA after review$")


def test_the_release_workflow_passes_actionlint_and_the_schema(tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    shutil.copy(RELEASE, tmp_path / ".github" / "workflows" / "release.yml")
    _run("git", "init", "--quiet", cwd=tmp_path)
    assert _actionlint(tmp_path) == []
    schema = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(RELEASE))
    assert schema.returncode == 0, schema.stdout + schema.stderr


def test_the_release_signs_attests_and_checks_action_yml_before_publishing() -> None:
    workflow = _load(RELEASE)
    assert set(workflow[True]) == {"push", "workflow_dispatch"}
    assert workflow[True]["push"] == {"tags": ["v*.*.*"]}
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {
        "contents": "write", "packages": "write", "id-token": "write", "attestations": "write",
    }  # fmt: skip
    lines = [line.strip() for line in RELEASE.read_text(encoding="utf-8").splitlines()]
    uses = [line.split("uses:", 1)[1].strip() for line in lines if line.startswith(("uses:", "- uses:"))]
    assert [u for u in uses if not (PINNED.match(u) or MAJOR_PINNED.match(u))] == []
    steps = [s.get("uses", "").split("@")[0] or s.get("run", "") for s in job["steps"]]
    order = [
        "docker/build-push-action", "actions/attest-build-provenance", "actions/attest-sbom",
        'cosign sign --yes "$IMAGE@$DIGEST"',
    ]  # fmt: skip
    assert [steps.index(s) for s in order] == sorted(steps.index(s) for s in order)
    check = 'python3 tools/release_action.py --check --owner "$OWNER"'
    publish = next(i for i, s in enumerate(steps) if "gh release create" in s)
    assert check in steps[publish].splitlines()[0]  # checked again right before the release is made
    assert any(check in s for s in steps[: publish - 1] if 'release_action.py "$DIGEST"' in s)
